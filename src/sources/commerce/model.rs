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

/// The caller's headers that Commerce needs (DESIGN §2.1), already filtered.
#[derive(Debug, Clone, Default)]
pub struct ForwardedHeaders(pub Vec<(HeaderName, HeaderValue)>);

impl ForwardedHeaders {
    /// Headers passed on as they came.
    pub const PASSED: [&'static str; 7] = [
        "store",
        "content-currency",
        "authorization",
        "x-magento-cache-id",
        "x-adobe-company",
        "preview-version",
        "x-recaptcha",
    ];

    /// Picks the forwarded headers from a client request. `client_ip` is the peer address;
    /// `trusted` says whether the peer is a trusted proxy whose `X-Forwarded-For` is kept.
    pub fn from_client(
        headers: &HeaderMap,
        client_ip: Option<std::net::IpAddr>,
        trusted: bool,
    ) -> Self {
        let mut out = Vec::with_capacity(4);
        for name in Self::PASSED {
            if let Some(v) = headers.get(name) {
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

    pub fn get(&self, name: &str) -> Option<&HeaderValue> {
        self.0
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }
}
