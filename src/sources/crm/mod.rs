//! The CRM's real-time person verification at SSO sign-in, behind the [`Crm`] trait (contract:
//! docs/connectors/crm.md), and [`CrmService`], which the login callback asks: it bounds the
//! identity's claims, guards the call (deadline, retries, breaker), and turns the answer into
//! "let in as a consumer", "let in as a company user" or a refusal. It fails closed: no answer
//! means no login.

mod client;
mod model;

use std::sync::Arc;
use std::time::Duration;

pub use client::HttpCrm;
pub use model::{
    CompanyRef, CompanyRole, CompanyStatus, CompanyUser, CompanyUserStatus, MAX_ANSWER_BYTES,
    MAX_EMAIL_BYTES, MAX_ISSUER_BYTES, MAX_SUBJECT_BYTES, Person, Refusal, Verdict, VerifyRequest,
};

use super::connector::ConnectorClient;
use super::resilience::{Guard, GuardSettings, SourceError, SourceHealth};
use crate::config::CrmConfig;

/// One person verification.
#[async_trait::async_trait]
pub trait Crm: Send + Sync + 'static {
    /// The CRM's verdict on the person; a read, safe to retry.
    async fn verify_person(&self, request: &VerifyRequest) -> Result<Verdict, SourceError>;
}

/// Who may sign in, once the CRM has answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// A plain Commerce customer (also every person while no CRM is configured).
    Consumer,
    /// A user of an approved company, active.
    CompanyUser(CompanyUser),
}

/// Why the login must end without a session or a Commerce account.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CrmError {
    /// A claim is outside the contract's bounds; the CRM was not asked.
    #[error("the identity's `{0}` is missing, empty or too long")]
    InvalidIdentity(&'static str),
    /// The CRM refused the person, or named a company user the BFF may not let in.
    #[error("refused by the CRM: {}", .0.reason)]
    Refused(Refusal),
    /// No usable answer (timeout, 5xx, 401, unreadable, breaker open): fail closed.
    #[error("the CRM is unavailable: {0}")]
    Unavailable(SourceError),
}

/// The guarded CRM, or none (then everyone is a consumer). Cheap to share behind an `Arc`.
pub struct CrmService {
    crm: Option<Arc<dyn Crm>>,
    guard: Guard,
}

impl CrmService {
    pub fn new(crm: Option<Arc<dyn Crm>>, config: &CrmConfig) -> Self {
        let settings = GuardSettings {
            deadline: Duration::from_millis(config.timeout_ms),
            retries: config.retries,
            breaker_failures: config.breaker_failures,
            breaker_open: Duration::from_millis(config.breaker_open_ms),
        };
        Self {
            crm,
            guard: Guard::new("crm", settings),
        }
    }

    /// The HTTP connector at `crm.url`, or a disabled service when the URL is empty.
    pub fn from_config(config: &CrmConfig) -> Result<Self, SourceError> {
        let url = config.url.trim();
        if url.is_empty() {
            return Ok(Self::new(None, config));
        }
        let attempt = Duration::from_millis(config.timeout_ms);
        let client = ConnectorClient::new(url, config.token.clone(), attempt)?;
        let crm: Arc<dyn Crm> = Arc::new(HttpCrm::new(client));
        Ok(Self::new(Some(crm), config))
    }

    /// Whether a CRM is asked at all.
    pub fn is_enabled(&self) -> bool {
        self.crm.is_some()
    }

    /// Verifies the person an identity provider vouched for (`email` verified, `sub`, `iss`).
    pub async fn verify(
        &self,
        email: &str,
        subject: &str,
        issuer: &str,
    ) -> Result<Admission, CrmError> {
        let request = bounded_request(email, subject, issuer)?;
        let Some(crm) = &self.crm else {
            return Ok(Admission::Consumer);
        };
        let verdict = self
            .guard
            .call(|| crm.verify_person(&request))
            .await
            .map_err(CrmError::Unavailable)?;
        admit(verdict)
    }

    /// Breaker state for `/readyz`; `None` when disabled.
    pub fn health(&self) -> Option<SourceHealth> {
        self.crm.as_ref().map(|_| self.guard.health())
    }
}

/// The request, when every claim is within the contract's bounds.
fn bounded_request(email: &str, subject: &str, issuer: &str) -> Result<VerifyRequest, CrmError> {
    let email = email.trim();
    let fits = |value: &str, max: usize| !value.trim().is_empty() && value.len() <= max;
    if !fits(email, MAX_EMAIL_BYTES) || email.len() < 3 || email.matches('@').count() != 1 {
        return Err(CrmError::InvalidIdentity("email"));
    }
    if !fits(subject, MAX_SUBJECT_BYTES) {
        return Err(CrmError::InvalidIdentity("subject"));
    }
    if !fits(issuer, MAX_ISSUER_BYTES) {
        return Err(CrmError::InvalidIdentity("issuer"));
    }
    Ok(VerifyRequest {
        email: email.to_string(),
        subject: subject.to_string(),
        issuer: issuer.to_string(),
    })
}

/// The verdict as an admission. A company user of a company that is not approved, or an
/// inactive one, is refused whatever the CRM meant: Commerce would not let them buy either.
fn admit(verdict: Verdict) -> Result<Admission, CrmError> {
    let refuse = |reason: &str| {
        Err(CrmError::Refused(Refusal {
            reason: reason.to_string(),
            message: None,
        }))
    };
    match verdict {
        Verdict::Consumer => Ok(Admission::Consumer),
        Verdict::Blocked(refusal) => Err(CrmError::Refused(refusal)),
        Verdict::CompanyUser(user) if user.company.status != CompanyStatus::Approved => {
            refuse("COMPANY_BLOCKED")
        }
        Verdict::CompanyUser(user) if user.user_status != CompanyUserStatus::Active => {
            refuse("USER_INACTIVE")
        }
        Verdict::CompanyUser(user) => Ok(Admission::CompanyUser(user)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company_user(status: CompanyStatus, user_status: CompanyUserStatus) -> Verdict {
        Verdict::CompanyUser(CompanyUser {
            person: Person {
                email: "b@acme.example".into(),
                firstname: "B".into(),
                lastname: "B".into(),
                job_title: None,
            },
            company: CompanyRef {
                id: "MQ==".into(),
                entity_id: 1,
                name: "Acme Corp".into(),
                status,
            },
            role: CompanyRole {
                name: "Default User".into(),
                company_admin: false,
            },
            user_status,
        })
    }

    fn reason(result: Result<Admission, CrmError>) -> Option<String> {
        match result {
            Err(CrmError::Refused(refusal)) => Some(refusal.reason),
            _ => None,
        }
    }

    #[test]
    fn only_active_users_of_approved_companies_are_let_in() {
        use CompanyStatus::{Approved, Blocked, Pending, Rejected};
        use CompanyUserStatus::{Active, Inactive};
        assert!(matches!(
            admit(company_user(Approved, Active)),
            Ok(Admission::CompanyUser(_))
        ));
        for status in [Pending, Rejected, Blocked] {
            let refused = reason(admit(company_user(status, Active)));
            assert_eq!(refused.as_deref(), Some("COMPANY_BLOCKED"), "{status:?}");
        }
        let inactive = reason(admit(company_user(Approved, Inactive)));
        assert_eq!(inactive.as_deref(), Some("USER_INACTIVE"));
        assert_eq!(admit(Verdict::Consumer).ok(), Some(Admission::Consumer));
    }

    #[test]
    fn claims_outside_the_contracts_bounds_are_refused_before_any_call() {
        let long = "x".repeat(256);
        let long_email = format!("{}@example.com", "e".repeat(250));
        let cases = [
            (("", "s", "i"), "email"),
            (("no-at", "s", "i"), "email"),
            (("a@b@c", "s", "i"), "email"),
            ((long_email.as_str(), "s", "i"), "email"),
            (("a@b.example", " ", "i"), "subject"),
            (("a@b.example", long.as_str(), "i"), "subject"),
            (("a@b.example", "s", ""), "issuer"),
        ];
        for ((email, subject, issuer), field) in cases {
            let refused = bounded_request(email, subject, issuer);
            assert!(
                matches!(refused, Err(CrmError::InvalidIdentity(f)) if f == field),
                "{email} {subject} {issuer}"
            );
        }
        let fine = bounded_request(" a@b.example ", "s", "https://idp.example/");
        assert_eq!(fine.map(|r| r.email).ok().as_deref(), Some("a@b.example"));
    }

    #[tokio::test]
    async fn without_a_crm_everyone_is_a_consumer() {
        let service = CrmService::new(None, &CrmConfig::default());
        assert!(!service.is_enabled());
        let admitted = service
            .verify("buyer@acme.example", "s", "https://idp.example/")
            .await;
        assert_eq!(admitted.ok(), Some(Admission::Consumer));
    }
}
