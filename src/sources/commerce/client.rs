//! The HTTP client for Commerce's `/graphql` endpoint.

use std::time::Duration;

use axum::http::HeaderValue;

use super::{CommerceError, CommerceGraphql, UpstreamMethod, UpstreamRequest, UpstreamResponse};
use crate::config::CommerceConfig;
use crate::sources::transport::TransportError;

/// Talks to a real (or sandboxed) Commerce over HTTP. Cheap to clone.
#[derive(Clone)]
pub struct HttpCommerce {
    http: reqwest::Client,
    url: reqwest::Url,
    timeout_ms: u64,
    max_get_url_bytes: usize,
}

impl HttpCommerce {
    pub fn new(url: &str, config: &CommerceConfig) -> Result<Self, CommerceError> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| CommerceError::Transport(TransportError::other(e.to_string())))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .timeout(Duration::from_millis(config.timeout_ms))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storefront-bff/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CommerceError::Transport(TransportError::other(e.to_string())))?;
        Ok(Self {
            http,
            url,
            timeout_ms: config.timeout_ms,
            max_get_url_bytes: config.max_get_url_bytes,
        })
    }

    fn get_url(&self, request: &UpstreamRequest) -> Option<reqwest::Url> {
        let mut url = self.url.clone();
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("query", &request.query);
            if let Some(v) = &request.variables {
                pairs.append_pair("variables", v);
            }
            if let Some(name) = &request.operation_name {
                pairs.append_pair("operationName", name);
            }
        }
        (url.as_str().len() <= self.max_get_url_bytes).then_some(url)
    }

    fn post_body(request: &UpstreamRequest) -> String {
        let mut body = String::with_capacity(request.query.len() + 64);
        body.push_str("{\"query\":");
        body.push_str(&serde_json::Value::from(&*request.query).to_string());
        if let Some(v) = &request.variables {
            body.push_str(",\"variables\":");
            body.push_str(v);
        }
        if let Some(name) = &request.operation_name {
            body.push_str(",\"operationName\":");
            body.push_str(&serde_json::Value::from(&**name).to_string());
        }
        body.push('}');
        body
    }
}

#[async_trait::async_trait]
impl CommerceGraphql for HttpCommerce {
    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse, CommerceError> {
        let get_url = match request.method {
            UpstreamMethod::Get => self.get_url(&request),
            UpstreamMethod::Post => None,
        };
        let mut builder = match get_url {
            Some(url) => self.http.get(url),
            None => self
                .http
                .post(self.url.clone())
                .header("content-type", "application/json")
                .body(Self::post_body(&request)),
        };
        builder = builder.header("accept", "application/json");
        for (name, value) in &request.headers.0 {
            builder = builder.header(name, value);
        }
        if let Some(id) = crate::sources::connector::current_request_id() {
            builder = builder.header("x-request-id", &*id);
        }
        let response = builder.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let cache_id = headers.get("x-magento-cache-id").cloned();
        let tags = headers
            .get("x-magento-tags")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let is_json = headers
            .get("content-type")
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        // Commerce answers GraphQL errors with 200 (and some with 500) and a JSON body; anything
        // else is a proxy or server failure, not an answer.
        if !is_json || !(200..300).contains(&status) && !body.starts_with(b"{") {
            return Err(CommerceError::Status { status });
        }
        Ok(UpstreamResponse {
            status,
            body,
            cache_id,
            tags,
        })
    }
}

impl HttpCommerce {
    fn transport_error(&self, e: reqwest::Error) -> CommerceError {
        if e.is_timeout() {
            CommerceError::Timeout(self.timeout_ms)
        } else {
            CommerceError::Transport(TransportError::from_reqwest(&e))
        }
    }
}
