//! `/auth/logout`: revoke the Commerce token, end the session, and log out at the provider
//! when it offers RP-initiated logout (`end_session_endpoint`).

use secrecy::ExposeSecret;

use super::{Sso, SsoError};

/// Where to send the browser, and the cookie that clears the session.
pub struct LoggedOut {
    pub location: String,
    pub clear_cookie: axum::http::HeaderValue,
}

impl Sso {
    pub async fn logout(&self, cookies: &axum::http::HeaderMap) -> Result<LoggedOut, SsoError> {
        let (ended, clear_cookie) = self
            .sessions
            .end(cookies)
            .await
            .map_err(|e| SsoError::Store(e.to_string()))?;
        let Some(ended) = ended else {
            return Ok(LoggedOut {
                location: "/".into(),
                clear_cookie,
            });
        };
        if let Err(e) = self
            .admin
            .revoke_customer_token(&ended.customer_token)
            .await
        {
            // The session is gone either way; the token expires on its own.
            tracing::warn!(error = %e, "SSO logout: revokeCustomerToken failed");
        }
        let provider = self.providers.get(Some(&ended.provider)).ok();
        let id_token = ended
            .id_token
            .as_ref()
            .map(|t| t.expose_secret().to_string());
        let location = match provider {
            Some(provider) => provider
                .end_session_url(id_token.as_deref(), &self.post_logout_redirect_uri)
                .await
                .unwrap_or_else(|| "/".into()),
            None => "/".into(),
        };
        Ok(LoggedOut {
            location,
            clear_cookie,
        })
    }
}
