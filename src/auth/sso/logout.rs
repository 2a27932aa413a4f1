//! `/auth/logout`: revoke the Commerce token, end the session, and log out at the provider
//! when it offers RP-initiated logout (`end_session_endpoint`).

use super::{Sso, SsoError};

/// Where to send the browser, and the cookie that clears the session.
pub struct LoggedOut {
    pub location: String,
    pub clear_cookie: Option<String>,
}

impl Sso {
    pub async fn logout(&self, cookies: &axum::http::HeaderMap) -> Result<LoggedOut, SsoError> {
        let Some(ended) = self.sessions.end(cookies).await.map_err(SsoError::Store)? else {
            return Ok(LoggedOut {
                location: "/".into(),
                clear_cookie: None,
            });
        };
        if let Some(token) = &ended.customer_token
            && let Err(e) = self.admin.revoke_customer_token(token).await
        {
            // The session is gone either way; the token expires on its own.
            tracing::warn!(error = %e, "SSO logout: revokeCustomerToken failed");
        }
        let provider = ended
            .provider
            .as_deref()
            .and_then(|name| self.providers.get(Some(name)).ok());
        let location = match provider {
            Some(provider) => provider
                .end_session_url(ended.id_token.as_deref(), &self.post_logout_redirect_uri)
                .await
                .unwrap_or_else(|| "/".into()),
            None => "/".into(),
        };
        Ok(LoggedOut {
            location,
            clear_cookie: Some(ended.clear_cookie),
        })
    }
}
