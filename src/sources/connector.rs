//! The HTTP side shared by the JSON connector contracts (docs/connectors/): a bearer-token
//! `POST` of a JSON body, answered with JSON.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::resilience::SourceError;
use super::transport::TransportError;

tokio::task_local! {
    /// The storefront request's id while it is being served, sent along to every upstream as
    /// `X-Request-Id` so their logs and ours correlate.
    pub static REQUEST_ID: Arc<str>;
}

/// The current request's id, if a request is being served on this task.
pub fn current_request_id() -> Option<Arc<str>> {
    REQUEST_ID.try_with(Arc::clone).ok()
}

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
            .map_err(|e| SourceError::Transport(TransportError::from_reqwest(&e)))?;
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
        self.post_bounded(path, body, usize::MAX).await
    }

    /// [`Self::post`] for contracts that bound their answers: an answer longer than
    /// `max_answer_bytes` is a decode failure, read no further than the bound.
    pub async fn post_bounded<B: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        max_answer_bytes: usize,
    ) -> Result<A, SourceError> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        if let Some(id) = current_request_id() {
            request = request.header("x-request-id", &*id);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SourceError::Transport(TransportError::from_reqwest(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SourceError::Status(status.as_u16()));
        }
        let bytes = read_bounded(response, max_answer_bytes).await?;
        serde_json::from_slice(&bytes).map_err(|e| SourceError::Decode(e.to_string()))
    }
}

impl ConnectorClient {
    /// GETs `{base}{path}?{query}` and returns the answer's body, read no further than
    /// `max_answer_bytes` (a longer answer is a decode failure).
    pub async fn get_bounded(
        &self,
        path: &str,
        query: &[(&str, String)],
        max_answer_bytes: usize,
    ) -> Result<Vec<u8>, SourceError> {
        let url = reqwest::Url::parse_with_params(&format!("{}{path}", self.base), query)
            .map_err(|e| SourceError::Transport(TransportError::other(e.to_string())))?;
        let mut request = self.http.get(url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        if let Some(id) = current_request_id() {
            request = request.header("x-request-id", &*id);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SourceError::Transport(TransportError::from_reqwest(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SourceError::Status(status.as_u16()));
        }
        read_bounded(response, max_answer_bytes).await
    }
}

/// The answer's body, refused as soon as it is known to exceed `max` bytes.
async fn read_bounded(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, SourceError> {
    let too_long = || SourceError::Decode(format!("answer longer than {max} bytes"));
    if response
        .content_length()
        .is_some_and(|length| length > max as u64)
    {
        return Err(too_long());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| SourceError::Transport(TransportError::from_reqwest(&e)))?
    {
        if bytes.len() + chunk.len() > max {
            return Err(too_long());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::Router;
    use axum::http::HeaderMap;
    use axum::routing::post;

    use super::*;

    #[tokio::test]
    async fn the_request_id_and_token_go_along_with_every_call() {
        /// (X-Request-Id, Authorization) of each call received.
        type Seen = Vec<(Option<String>, Option<String>)>;
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let record = seen.clone();
        let app = Router::new().route(
            "/v1/echo",
            post(move |headers: HeaderMap| async move {
                let get = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                record
                    .lock()
                    .expect("lock")
                    .push((get("x-request-id"), get("authorization")));
                "{}"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = ConnectorClient::new(
            &format!("http://{addr}"),
            Some("t0ken".to_string().into()),
            Duration::from_secs(5),
        )
        .expect("client");
        let empty = serde_json::json!({});
        let call = client.post::<_, serde_json::Value>("/v1/echo", &empty);
        REQUEST_ID
            .scope(Arc::from("req-42"), call)
            .await
            .expect("answer");
        let _: serde_json::Value = client
            .post("/v1/echo", &serde_json::json!({}))
            .await
            .expect("answer");
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(
            seen[0],
            (Some("req-42".into()), Some("Bearer t0ken".into()))
        );
        assert_eq!(seen[1].0, None, "an id outside a request");
    }
}
