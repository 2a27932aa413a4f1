//! Cache invalidation from Commerce, two ways (docs/deploy.md, "Purging"):
//!
//! * `POST /hooks/commerce/cache` with a JSON body of tags, authenticated by a shared secret as
//!   a bearer token (compared in constant time); off unless a secret is configured.
//! * `PURGE` (any path) with `X-Magento-Tags-Pattern`, exactly what Commerce sends to Varnish
//!   when its full-page cache is set to Varnish: a regular expression over an entry's
//!   comma-joined tags (`.*` for everything). Commerce sends no credentials, so besides the
//!   bearer secret a source IP in `hooks.purge_allowed_ips` is accepted, as Varnish's ACL does.

use axum::Json;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, Either};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use tower::{Layer, Service};

use super::AppState;
use crate::gateway::{GatewayError, code};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeRequest {
    /// Commerce cache tags (`X-Magento-Tags` values such as `cat_p_42`).
    #[serde(default)]
    tags: Vec<String>,
    /// Drop every cached response.
    #[serde(default)]
    all: bool,
}

pub async fn purge_cache(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(secret) = &state.config.hooks.commerce_secret else {
        return GatewayError::not_found().into_response();
    };
    if !bearer_matches(&headers, secret) {
        return unauthenticated();
    }
    let request: PurgeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return GatewayError::bad_request(
                "Expected JSON like {\"tags\": [\"cat_p_42\"]} or {\"all\": true}.",
            )
            .into_response();
        }
    };
    if request.tags.is_empty() && !request.all {
        return GatewayError::bad_request("Name at least one tag, or set `all`.").into_response();
    }
    let Some(cache) = state.gateway.cache() else {
        return Json(json!({ "purged": false, "reason": "the response cache is off" }))
            .into_response();
    };
    if request.all {
        cache.purge_all();
        tracing::info!("response cache purged entirely");
    } else {
        tracing::info!(tags = ?request.tags, "response cache purged by tag");
        if cache.purge_tags(request.tags.clone()).is_err() {
            return GatewayError::internal().into_response();
        }
    }
    Json(json!({ "purged": true, "tags": request.tags, "all": request.all })).into_response()
}

/// The header Commerce's Varnish purge carries: a regular expression over comma-joined tags.
const TAGS_PATTERN: &str = "x-magento-tags-pattern";

/// Compiled patterns are bounded: a hostile pattern cannot make a large automaton.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Serves `PURGE` on any path (Commerce purges `/` of each `http_cache_hosts` entry); every
/// other method goes on to the routes untouched (a plain layer rather than `from_fn`, which
/// would clone the state and box a future for every request).
#[derive(Clone)]
pub struct VarnishPurgeLayer(AppState);

impl VarnishPurgeLayer {
    pub fn new(state: AppState) -> Self {
        Self(state)
    }
}

impl<S> Layer<S> for VarnishPurgeLayer {
    type Service = VarnishPurge<S>;

    fn layer(&self, inner: S) -> VarnishPurge<S> {
        VarnishPurge {
            inner,
            state: self.0.clone(),
        }
    }
}

/// The service of [`VarnishPurgeLayer`].
#[derive(Clone)]
pub struct VarnishPurge<S> {
    inner: S,
    state: AppState,
}

impl<S> Service<Request> for VarnishPurge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.method().as_str() != "PURGE" {
            return Either::Left(self.inner.call(request));
        }
        let state = self.state.clone();
        Either::Right(Box::pin(async move { Ok(varnish_purge(&state, request)) }))
    }
}

fn varnish_purge(state: &AppState, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let hooks = &state.config.hooks;
    if hooks.commerce_secret.is_none() && hooks.purge_allowed_ips.is_empty() {
        return GatewayError::not_found().into_response();
    }
    if !purge_allowed(state, request.headers(), peer) {
        tracing::warn!(peer = ?peer, "PURGE refused: neither the hook secret nor an allowed source IP (hooks.purge_allowed_ips)");
        return unauthenticated();
    }
    let Some(pattern) = request
        .headers()
        .get(TAGS_PATTERN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return GatewayError::bad_request("PURGE needs an X-Magento-Tags-Pattern header.")
            .into_response();
    };
    purge_pattern(state, pattern)
}

fn purge_pattern(state: &AppState, pattern: &str) -> Response {
    let Ok(regex) = regex::RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
    else {
        return GatewayError::bad_request(
            "X-Magento-Tags-Pattern is not a valid regular expression.",
        )
        .into_response();
    };
    let Some(cache) = state.gateway.cache() else {
        return Json(json!({ "purged": false, "reason": "the response cache is off" }))
            .into_response();
    };
    if pattern == ".*" {
        cache.purge_all();
    } else if cache.purge_matching(regex).is_err() {
        return GatewayError::internal().into_response();
    }
    tracing::info!(pattern, "response cache purged by PURGE");
    Json(json!({ "purged": true, "pattern": pattern })).into_response()
}

/// The bearer secret, or a source IP Commerce's purge may come from.
fn purge_allowed(state: &AppState, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
    let hooks = &state.config.hooks;
    let by_secret = hooks
        .commerce_secret
        .as_ref()
        .is_some_and(|secret| bearer_matches(headers, secret));
    by_secret || peer.is_some_and(|ip| hooks.purge_allowed_ips.contains(&ip))
}

/// Whether `Authorization: Bearer` carries `secret` (compared in constant time).
pub(super) fn bearer_matches(headers: &HeaderMap, secret: &secrecy::SecretString) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    bool::from(
        presented
            .as_bytes()
            .ct_eq(secret.expose_secret().as_bytes()),
    )
}

fn unauthenticated() -> Response {
    GatewayError::new(
        StatusCode::UNAUTHORIZED,
        code::UNAUTHENTICATED,
        None,
        "The hook secret is missing or wrong.",
    )
    .into_response()
}
