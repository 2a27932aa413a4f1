//! Wire types of the CRM connector contract (docs/connectors/crm.md) and the contract's bounds.

use serde::{Deserialize, Serialize};

/// Longest `email` the contract accepts, in bytes (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest `subject`, in bytes (OpenID Connect's limit on `sub`).
pub const MAX_SUBJECT_BYTES: usize = 255;
/// Longest `issuer`, in bytes.
pub const MAX_ISSUER_BYTES: usize = 2048;
/// Largest answer the BFF reads, in bytes; larger ones are failures.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The person an identity provider vouched for, as sent to the CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyRequest {
    pub email: String,
    pub subject: String,
    pub issuer: String,
}

/// The CRM's answer. `Blocked` and a company user the BFF refuses both end the login.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A user of a B2B company.
    CompanyUser(CompanyUser),
    /// Not a company user: a plain Commerce customer.
    Consumer,
    /// Must not get a session or a Commerce account.
    Blocked(Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CompanyUser {
    pub person: Person,
    pub company: CompanyRef,
    pub role: CompanyRole,
    pub user_status: CompanyUserStatus,
}

/// The CRM's record of the person, for a Commerce account the BFF creates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Person {
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    #[serde(default)]
    pub job_title: Option<String>,
}

/// The person's company, in Commerce's identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CompanyRef {
    /// `Company.id`: Commerce's uid.
    pub id: String,
    /// Commerce's company entity id (REST `company_id`).
    pub entity_id: u64,
    pub name: String,
    pub status: CompanyStatus,
}

/// Commerce's `CompanyStatusEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CompanyStatus {
    Pending,
    Approved,
    Rejected,
    Blocked,
}

/// Commerce's `CompanyUserStatusEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CompanyUserStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CompanyRole {
    pub name: String,
    pub company_admin: bool,
}

/// Why the CRM (or the BFF, reading a company user it may not let in) refuses the person.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refusal {
    /// Upper-case reason code: `PERSON_BLOCKED`, `COMPANY_BLOCKED`, `USER_INACTIVE`,
    /// `IDENTITY_MISMATCH`, or another the CRM defines.
    pub reason: String,
    /// For the log only, never shown to the shopper.
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_verdict_decodes() {
        let company_user = r#"{"verdict": "company_user",
            "person": {"email": "b@acme.example", "firstname": "B", "lastname": "B", "job_title": null},
            "company": {"id": "MQ==", "entity_id": 1, "name": "Acme Corp", "status": "APPROVED"},
            "role": {"name": "Default User", "company_admin": false}, "user_status": "ACTIVE"}"#;
        let decoded: Verdict = serde_json::from_str(company_user).expect("company user");
        let Verdict::CompanyUser(user) = decoded else {
            panic!("not a company user: {decoded:?}");
        };
        assert_eq!(user.company.status, CompanyStatus::Approved);
        assert_eq!(user.user_status, CompanyUserStatus::Active);
        let consumer: Verdict =
            serde_json::from_str(r#"{"verdict": "consumer"}"#).expect("consumer");
        assert_eq!(consumer, Verdict::Consumer);
        let blocked: Verdict =
            serde_json::from_str(r#"{"verdict": "blocked", "reason": "X_Y"}"#).expect("blocked");
        assert_eq!(
            blocked,
            Verdict::Blocked(Refusal {
                reason: "X_Y".into(),
                message: None
            })
        );
    }

    #[test]
    fn an_unknown_verdict_or_status_does_not_decode() {
        for body in [
            r#"{"verdict": "maybe"}"#,
            r#"{}"#,
            r#"{"verdict": "blocked"}"#,
            r#"{"verdict": "company_user", "person": {"email": "e", "firstname": "f", "lastname": "l"},
               "company": {"id": "MQ==", "entity_id": 1, "name": "A", "status": "SUSPENDED"},
               "role": {"name": "r", "company_admin": false}, "user_status": "ACTIVE"}"#,
        ] {
            assert!(serde_json::from_str::<Verdict>(body).is_err(), "{body}");
        }
    }
}
