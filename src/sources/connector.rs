//! The HTTP side shared by the JSON connector contracts (docs/connectors/): a bearer-token
//! `POST` of a JSON body, answered with JSON.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::resilience::SourceError;

/// One connector endpoint family (`{base}/v1/...`). Cheap to clone.
#[derive(Clone)]
pub struct ConnectorClient {
    http: reqwest::Client,
    base: String,
    token: Option<SecretString>,
}

impl ConnectorClient {
    /// `base` is the connector's base URL; `attempt_timeout` bounds one try (the guard's
    /// deadline bounds the whole call).
    pub fn new(
        base: &str,
        token: Option<SecretString>,
        attempt_timeout: Duration,
    ) -> Result<Self, SourceError> {
        let http = reqwest::Client::builder()
            .connect_timeout(attempt_timeout)
            .timeout(attempt_timeout)
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storefront-bff/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SourceError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
        })
    }

    /// POSTs `body` to `{base}{path}` and decodes the JSON answer.
    pub async fn post<B: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<A, SourceError> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                SourceError::Transport("attempt timed out".into())
            } else {
                SourceError::Transport(e.without_url().to_string())
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(SourceError::Status(status.as_u16()));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SourceError::Transport(e.without_url().to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| SourceError::Decode(e.to_string()))
    }
}
