//! `/auth/login`: check `return_to` and the guest cart id, store the pending login, set the
//! pre-login cookie, send the browser to the provider.

use super::{LOGIN_COOKIE, Sso, SsoError};
use crate::store::{LoginAttempt, LoginAttemptId, unix_now};

/// Query parameters of `/auth/login`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginParams {
    pub provider: Option<String>,
    pub return_to: Option<String>,
    pub cart_id: Option<String>,
}

/// Where to send the browser, and the pre-login cookie to set.
pub struct LoginStarted {
    pub location: String,
    pub login_cookie: String,
}

/// Longest guest cart id accepted (Commerce's masked ids are 32 characters).
const MAX_CART_ID_BYTES: usize = 64;

impl Sso {
    pub async fn start_login(&self, params: LoginParams) -> Result<LoginStarted, SsoError> {
        let return_to = self.return_to.check(params.return_to.as_deref())?;
        let guest_cart_id = params.cart_id.filter(|c| !c.is_empty());
        if guest_cart_id.as_ref().is_some_and(|c| {
            c.len() > MAX_CART_ID_BYTES || !c.bytes().all(|b| b.is_ascii_alphanumeric())
        }) {
            return Err(SsoError::BadParameter("cart_id"));
        }
        let provider = self.providers.get(params.provider.as_deref())?;
        let request = provider.start_login().await?;
        let now = unix_now();
        let login = LoginAttempt {
            provider: provider.name().to_string(),
            state: request.state,
            nonce: request.nonce,
            pkce_verifier: request.pkce_verifier,
            return_to,
            guest_cart_id,
            created_at: now,
            expires_at: now.saturating_add(self.attempt_ttl_secs as i64),
        };
        let id = LoginAttemptId::generate().map_err(|e| SsoError::Store(e.to_string()))?;
        self.store
            .login_attempts()
            .insert(&id, &login)
            .await
            .map_err(|e| SsoError::Store(e.to_string()))?;
        let id = id.to_cookie_value();
        Ok(LoginStarted {
            location: request.url,
            login_cookie: format!(
                "{LOGIN_COOKIE}={id}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
                self.attempt_ttl_secs
            ),
        })
    }
}
