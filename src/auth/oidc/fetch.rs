//! The HTTP client for OpenID Providers: redirects never followed (a provider that redirects its
//! token endpoint is misconfigured or compromised), a deadline per call, and every body read
//! with a size bound so a hostile endpoint cannot exhaust memory.

use std::time::Duration;

use serde::de::DeserializeOwned;

/// Largest body accepted from a provider (discovery, JWKS, token answer), in bytes.
pub(crate) const MAX_PROVIDER_BODY_BYTES: usize = 256 * 1024;

/// Why a call to the provider failed; the text is for logs.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Transport(String),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("the body is larger than {MAX_PROVIDER_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the body is not the expected JSON: {0}")]
    Json(String),
}

/// Cheap to clone.
#[derive(Clone)]
pub(crate) struct ProviderHttp {
    http: reqwest::Client,
}

impl ProviderHttp {
    pub(crate) fn new(timeout: Duration) -> Result<Self, FetchError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storefront-bff/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        Ok(Self { http })
    }

    /// GETs `url` and decodes a successful JSON answer.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, FetchError> {
        let response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::Status(status));
        }
        let body = read_bounded(response).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Json(e.to_string()))
    }

    /// Runs one request built by `oauth2` (the token exchange) and hands back its answer,
    /// whatever the status: `oauth2` reads the provider's error body itself.
    pub(crate) async fn execute(
        &self,
        request: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, FetchError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let mut builder = self.http.request(parts.method, url).body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| FetchError::Transport(error_chain(&e)))?;
        let mut answer = oauth2::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let body = read_bounded(response).await?;
        answer
            .body(body)
            .map_err(|e| FetchError::Transport(e.to_string()))
    }
}

/// Reads the body chunk by chunk, refusing it past [`MAX_PROVIDER_BODY_BYTES`].
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_PROVIDER_BODY_BYTES as u64)
    {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Transport(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_PROVIDER_BODY_BYTES {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The error and its sources, for the log (reqwest's own message is only the outermost).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
