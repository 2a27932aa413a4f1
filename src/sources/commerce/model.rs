//! Wire types of a delegated Commerce operation.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;

/// How the operation travels: GET lets Varnish/Fastly in front of Commerce serve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamMethod {
    Get,
    Post,
}

/// One operation for Commerce.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    pub query: Arc<str>,
    /// Serialised JSON object of the operation's variables, if any.
    pub variables: Option<Arc<str>>,
    pub operation_name: Option<Arc<str>>,
    pub method: UpstreamMethod,
    pub headers: ForwardedHeaders,
}

/// Commerce's answer, body untouched.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    pub status: u16,
    pub body: Bytes,
    /// `X-Magento-Cache-Id`: Commerce's cache identity for this caller.
    pub cache_id: Option<HeaderValue>,
    /// `X-Magento-Tags`: the entities in the answer, for purging.
    pub tags: Vec<String>,
}

/// The caller's headers that Commerce needs (docs/architecture.md), filtered and typed once at
/// the edge: read them through [`store`](Self::store),
/// [`customer_token`](Self::customer_token) … rather than by header name.
#[derive(Debug, Clone, Default)]
pub struct ForwardedHeaders(pub Vec<(HeaderName, HeaderValue)>);

const STORE: &str = "store";
const CONTENT_CURRENCY: &str = "content-currency";
const AUTHORIZATION: &str = "authorization";
const CACHE_ID: &str = "x-magento-cache-id";
const COMPANY: &str = "x-adobe-company";
const PREVIEW_VERSION: &str = "preview-version";

impl ForwardedHeaders {
    /// Headers passed on as they came.
    pub const PASSED: [&'static str; 7] = [
        STORE,
        CONTENT_CURRENCY,
        AUTHORIZATION,
        CACHE_ID,
        COMPANY,
        PREVIEW_VERSION,
        "x-recaptcha",
    ];

    /// Picks the forwarded headers from a client request. `client_ip` is the peer address;
    /// `trusted` says whether the peer is a trusted proxy whose `X-Forwarded-For` is kept.
    /// Values that are not visible ASCII are dropped (Commerce reads none of them), so every
    /// accessor sees exactly what is forwarded.
    pub fn from_client(
        headers: &HeaderMap,
        client_ip: Option<std::net::IpAddr>,
        trusted: bool,
    ) -> Self {
        let mut out = Vec::with_capacity(4);
        for name in Self::PASSED {
            if let Some(v) = headers.get(name).filter(|v| v.to_str().is_ok()) {
                out.push((HeaderName::from_static(name), v.clone()));
            }
        }
        let forwarded_for = match (trusted, headers.get("x-forwarded-for"), client_ip) {
            (true, Some(chain), Some(ip)) => chain
                .to_str()
                .ok()
                .and_then(|c| HeaderValue::from_str(&format!("{c}, {ip}")).ok()),
            (_, _, Some(ip)) => HeaderValue::from_str(&ip.to_string()).ok(),
            _ => None,
        };
        if let Some(v) = forwarded_for {
            out.push((HeaderName::from_static("x-forwarded-for"), v));
        }
        Self(out)
    }

    /// Sends `token` as `Authorization: Bearer` unless the caller sent its own `Authorization`
    /// (which always wins): a BFF session's Commerce customer token, typed in once at the edge.
    pub fn with_session_token(mut self, token: &secrecy::SecretString) -> Self {
        use secrecy::ExposeSecret;
        if self.get(AUTHORIZATION).is_some() {
            return self;
        }
        if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
            value.set_sensitive(true);
            self.0.push((HeaderName::from_static(AUTHORIZATION), value));
        }
        self
    }

    /// `Store`: the store view code.
    pub fn store(&self) -> Option<&str> {
        self.text(STORE)
    }

    /// `Content-Currency`: the display currency asked for.
    pub fn currency(&self) -> Option<&str> {
        self.text(CONTENT_CURRENCY)
    }

    /// `Authorization` as sent (`Bearer <customer token>`): any credential makes an answer
    /// private to its caller.
    pub fn customer_token(&self) -> Option<&str> {
        self.text(AUTHORIZATION)
    }

    /// `X-Magento-Cache-Id`: Commerce's cache identity the caller claims.
    pub fn cache_id(&self) -> Option<&str> {
        self.text(CACHE_ID)
    }

    /// `X-Adobe-Company`: the B2B company a company user acts for.
    pub fn company(&self) -> Option<&str> {
        self.text(COMPANY)
    }

    /// `Preview-Version`: the staging preview timestamp.
    pub fn preview_version(&self) -> Option<&str> {
        self.text(PREVIEW_VERSION)
    }

    /// `X-Forwarded-For` as it goes to Commerce: the client chain from trusted proxies, ending
    /// with the peer.
    pub fn forwarded_for(&self) -> Option<&str> {
        self.text("x-forwarded-for")
    }

    /// Only the `Store` header: for questions about the store view, not the caller.
    pub fn store_only(&self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|(n, _)| n.as_str() == STORE)
                .cloned()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&HeaderValue> {
        self.0
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_forwarded_header_has_its_typed_accessor() {
        let mut client = HeaderMap::new();
        for (name, value) in [
            ("store", "de"),
            ("content-currency", "EUR"),
            ("authorization", "Bearer abc"),
            ("x-magento-cache-id", "c1"),
            ("x-adobe-company", "MTI="),
            ("preview-version", "1700000000"),
            ("x-unrelated", "dropped"),
        ] {
            client.insert(name, HeaderValue::from_static(value));
        }
        let headers = ForwardedHeaders::from_client(&client, None, false);
        assert_eq!(headers.store(), Some("de"));
        assert_eq!(headers.currency(), Some("EUR"));
        assert_eq!(headers.customer_token(), Some("Bearer abc"));
        assert_eq!(headers.cache_id(), Some("c1"));
        assert_eq!(headers.company(), Some("MTI="));
        assert_eq!(headers.preview_version(), Some("1700000000"));
        assert!(headers.get("x-unrelated").is_none());
        let store_only = headers.store_only();
        assert_eq!(store_only.store(), Some("de"));
        assert_eq!(store_only.0.len(), 1);
    }

    #[test]
    fn a_header_that_is_not_text_is_not_forwarded() {
        let mut client = HeaderMap::new();
        let opaque = HeaderValue::from_bytes(b"Bearer \xff").expect("obs-text is a valid value");
        client.insert("authorization", opaque);
        let headers = ForwardedHeaders::from_client(&client, None, false);
        assert!(headers.customer_token().is_none());
        assert!(headers.0.is_empty());
    }
}
