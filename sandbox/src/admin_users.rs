//! Commerce's back-office identities, which the REST admin subset and
//! `generateCustomerTokenAsAdmin` require: one seeded admin user (`demo::ADMIN_USER`), whose
//! `POST /V1/integration/admin/token` answers an admin token (a JWT with `utypid` 2, valid four
//! hours as Commerce's `oauth/access_token_lifetime/admin` default), and one integration's
//! static access token (`SandboxConfig::integration_token`). Two-factor authentication, which
//! Commerce enables by default for admin tokens, is off, as on a developer installation.

use std::time::Duration;

use crate::customers::PasswordHash;
use crate::tokens::{TokenSigner, UserType};

/// Commerce's default admin token lifetime (`oauth/access_token_lifetime/admin`, 4 hours).
pub(crate) const ADMIN_TOKEN_LIFETIME: Duration = Duration::from_secs(4 * 3_600);

/// Who a back-office bearer token stands for (Commerce's user types 2 and 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BackOffice {
    /// An admin user, by id.
    Admin(u32),
    /// The integration whose access token came with the request.
    Integration,
}

impl BackOffice {
    /// Commerce's `UserContextInterface` user type: 1 integration, 2 admin.
    pub fn user_type(&self) -> u8 {
        match self {
            BackOffice::Integration => 1,
            BackOffice::Admin(_) => 2,
        }
    }
}

struct AdminUser {
    id: u32,
    username: String,
    password: PasswordHash,
}

/// The admin users, their token signer and the integration token.
pub(crate) struct AdminUsers {
    users: Vec<AdminUser>,
    signer: TokenSigner,
    integration_token: String,
}

impl AdminUsers {
    pub fn seeded(seed: u64, integration_token: String) -> AdminUsers {
        let (username, password) = crate::demo::ADMIN_USER;
        AdminUsers {
            users: vec![AdminUser {
                id: 1,
                username: username.to_owned(),
                password: PasswordHash::new(password, format!("{seed}:admin:1").as_bytes()),
            }],
            signer: TokenSigner::new(seed ^ 0xad31_u64.rotate_left(40)),
            integration_token,
        }
    }

    /// An admin token for these credentials; `None` when they sign in to no admin user.
    pub fn issue_token(&self, username: &str, password: &str) -> Option<String> {
        let user = self
            .users
            .iter()
            .find(|u| u.username == username && u.password.matches(password))?;
        Some(
            self.signer
                .issue(UserType::Admin, user.id, ADMIN_TOKEN_LIFETIME),
        )
    }

    /// The back-office identity of a bearer token, if it has one.
    pub fn identify(&self, token: &str) -> Option<BackOffice> {
        let token = token.trim();
        if !self.integration_token.is_empty() && constant_time_eq(token, &self.integration_token) {
            return Some(BackOffice::Integration);
        }
        let claims = self.signer.verify(token, UserType::Admin).ok()?;
        self.users
            .iter()
            .any(|u| u.id == claims.uid)
            .then_some(BackOffice::Admin(claims.uid))
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admins() -> AdminUsers {
        AdminUsers::seeded(1, crate::demo::INTEGRATION_TOKEN.to_owned())
    }

    #[test]
    fn the_demo_admin_gets_a_token_that_identifies_them() {
        let admins = admins();
        let (username, password) = crate::demo::ADMIN_USER;
        let token = admins.issue_token(username, password).expect("token");
        assert_eq!(admins.identify(&token), Some(BackOffice::Admin(1)));
        assert_eq!(admins.issue_token(username, "wrong"), None);
        assert_eq!(admins.issue_token("nobody", password), None);
    }

    #[test]
    fn the_integration_token_is_accepted_and_customer_tokens_are_not() {
        let admins = admins();
        assert_eq!(
            admins.identify(crate::demo::INTEGRATION_TOKEN),
            Some(BackOffice::Integration)
        );
        assert_eq!(admins.identify("sandbox-integration-tokeN"), None);
        let customers = crate::customers::Customers::seeded(1, Duration::from_secs(60), 0);
        let customer = customers.by_id(1).expect("roni");
        assert_eq!(admins.identify(&customers.issue_token(&customer)), None);
        assert_eq!(admins.identify(""), None);
    }
}
