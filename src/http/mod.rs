//! The HTTP surface (docs/architecture.md, "The request path"): the router, its tower layers,
//! and the routes.
//!
//! Layers, outermost first: request id (a client's own only when short and plain) → trace span
//! (every log line carries the id) → panic catcher (a masked 500, the next request unaffected) →
//! whole-request timeout → CORS → body limit; `/graphql` alone also sheds load past
//! `server.max_in_flight_requests` (a 503 at once, never a queue), so health probes still answer
//! under load. Every refusal renders through `impl IntoResponse for GatewayError`.

mod auth;
mod graphql;
mod health;
mod hooks;
mod jobs;
pub mod playground;
mod ratelimit;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Semaphore;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{BoxError, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Sessions;
use crate::config::Config;
use crate::gateway::{Gateway, GatewayError, code};
use crate::sources::commerce::{CommerceGraphql, ForwardedHeaders};
use crate::store::Store;

pub use health::Readiness;
pub use ratelimit::RateLimits;

/// Shared by every handler. Cheap to clone: one reference count (every request clones it
/// more than once on its way through the router).
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct SharedState {
    pub gateway: Arc<Gateway>,
    pub config: Arc<Config>,
    pub commerce: Arc<dyn CommerceGraphql>,
    pub readiness: Arc<Readiness>,
    /// `Cache-Control` of public answers, built once from the cache settings.
    pub public_cache_control: HeaderValue,
    /// Rate limits and sensitive-mutation rules, checked before a request is executed.
    pub rate_limits: Arc<RateLimits>,
    /// The durable state store (sessions, login attempts).
    pub store: Store,
    /// BFF sessions behind the `__Host-bff_session` cookie.
    pub sessions: Arc<Sessions>,
    /// Single sign-on, when providers and Commerce admin credentials are configured.
    pub sso: Option<crate::auth::sso::Sso>,
}

impl AppState {
    pub fn new(
        gateway: Arc<Gateway>,
        commerce: Arc<dyn CommerceGraphql>,
        sessions: Arc<Sessions>,
        config: Arc<Config>,
        sso: Option<crate::auth::sso::Sso>,
    ) -> Self {
        let cache = &config.cache;
        let public_cache_control = HeaderValue::from_str(&format!(
            "public, max-age=0, s-maxage={}, stale-while-revalidate={}",
            cache.ttl_secs, cache.stale_while_revalidate_secs
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("no-store"));
        let rate_limits = Arc::new(RateLimits::new(&config));
        Self(Arc::new(SharedState {
            gateway,
            config,
            commerce,
            readiness: Arc::new(Readiness::default()),
            public_cache_control,
            rate_limits,
            store: sessions.store().clone(),
            sessions,
            sso,
        }))
    }

    /// The headers of a client request that go to Commerce, with `X-Forwarded-For` kept only
    /// from a trusted proxy; the client address the rate limits key on is read from them.
    fn forwarded_headers(&self, headers: &HeaderMap, peer: SocketAddr) -> ForwardedHeaders {
        let ip = peer.ip();
        let trusted = self.config.server.trusted_proxies.contains(&ip);
        ForwardedHeaders::from_client(headers, Some(ip), trusted)
    }
}

/// The whole router with its layers.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let request_id_header = axum::http::HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<_>| {
            let id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-");
            // `operation`, `route` and `upstream_ms` are recorded by the gateway (`Gateway::execute`).
            tracing::info_span!(
                "request",
                request_id = %id,
                method = %request.method(),
                path = %request.uri().path(),
                operation = tracing::field::Empty,
                route = tracing::field::Empty,
                upstream_ms = tracing::field::Empty,
            )
        })
        .on_response(log_access);
    let cors = cors_layer(&config.server.cors_allowed_origins);
    // Past `max_in_flight_requests` /graphql requests (GET and POST share the semaphore), a
    // request is refused at once with 503 and `Retry-After` instead of queueing.
    let retry_after = config.server.overload_retry_after_secs;
    let shed = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |_: BoxError| async move {
            overloaded(retry_after)
        }))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(Arc::new(
            Semaphore::new(config.server.max_in_flight_requests),
        )));
    Router::new()
        .route(
            "/graphql",
            get(graphql::get).post(graphql::post).layer(shed),
        )
        .route("/playground/assets/{*file}", get(playground::served_asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/hooks/commerce/cache", post(hooks::purge_cache))
        .route("/auth/login", get(auth::login))
        .route("/auth/callback", get(auth::callback))
        .route("/auth/logout", get(auth::logout).post(auth::logout))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/jobs/runs/{run_id}", get(jobs::run))
        .fallback(not_found)
        .layer(hooks::VarnishPurgeLayer::new(state.clone()))
        .layer(DefaultBodyLimit::max(config.server.body_limit_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::map_request(drop_unsafe_request_id))
                .layer(SetRequestIdLayer::new(
                    request_id_header.clone(),
                    SequentialRequestId::new(),
                ))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(request_id_header))
                .layer(CatchPanicLayer::custom(masked_panic))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    Duration::from_millis(config.server.request_timeout_ms),
                ))
                .layer(cors),
        )
        .with_state(state)
}

/// One access-log line per request, inside the request's span (which adds the operation,
/// route and Commerce time): status, latency in milliseconds (a number) and cache status.
fn log_access<B>(response: &Response<B>, latency: Duration, _span: &tracing::Span) {
    let cache = response
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok());
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_micros() as f64 / 1000.0,
        cache = cache.map(tracing::field::display),
        "finished processing request"
    );
}

/// CORS for `/graphql`: `*` allows any origin, never with credentials; otherwise the listed
/// origins, with credentials (the session cookie),
/// normalised as at config load (an entry that is not an origin is skipped, never a panic).
fn cors_layer(allowed: &[String]) -> CorsLayer {
    if allowed.is_empty() {
        return CorsLayer::new();
    }
    let allow_origin = if allowed.iter().any(|o| o.trim() == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            allowed
                .iter()
                .filter_map(|o| crate::config::normalize_origin(o).ok())
                .filter(|o| o != "*")
                .filter_map(|o| HeaderValue::from_str(&o).ok()),
        )
    };
    // Listed origins may send the session cookie (`credentials: "include"`): they are trusted
    // by configuration, and the CSRF rule admits the same list. Never with `*`.
    let credentials = !allowed.iter().any(|o| o.trim() == "*");
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_credentials(credentials)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        // Listed by name: `*` does not cover `Authorization`.
        .allow_headers(cors_allowed_headers())
        .expose_headers([
            axum::http::HeaderName::from_static("x-magento-cache-id"),
            axum::http::HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(600))
}

/// The 503 of a request shed past `server.max_in_flight_requests`.
fn overloaded(retry_after_secs: u64) -> Response {
    GatewayError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        code::OVERLOADED,
        None,
        format!("The server is busy; retry in {retry_after_secs} s."),
    )
    .retry_after(retry_after_secs)
    .into_response()
}

async fn not_found() -> Response {
    GatewayError::not_found().into_response()
}

/// Request headers a browser page may send cross-origin: everything forwarded to Commerce
/// (`Authorization` included), the preflight-forcing headers, the JSON content type and the
/// request id.
fn cors_allowed_headers() -> Vec<HeaderName> {
    ForwardedHeaders::PASSED
        .iter()
        .chain(graphql::PREFLIGHT_HEADERS.iter())
        .chain(["content-type", "x-request-id"].iter())
        .map(|name| HeaderName::from_static(name))
        .collect()
}

/// A client's `X-Request-Id` is kept only when it is short and plain (`[A-Za-z0-9-]{1,64}`);
/// otherwise it is dropped and the request-id layer makes a fresh one, so nothing a client
/// chose ends up in logs, headers or error messages unchecked.
async fn drop_unsafe_request_id<B>(mut request: Request<B>) -> Request<B> {
    let headers = request.headers_mut();
    if !headers
        .get_all(REQUEST_ID_HEADER)
        .iter()
        .all(|id| is_plain_request_id(id.as_bytes()))
    {
        headers.remove(REQUEST_ID_HEADER);
    }
    request
}

const REQUEST_ID_HEADER: &str = "x-request-id";

/// Request ids without a random draw per request: a per-process random prefix and a counter,
/// e.g. `3f9c2a7b1d04e6a8-1a2b`. Unique within the process and, by the prefix, across restarts
/// and replicas (as far as 64 random bits go); plain by construction (`[0-9a-f-]`, 33 bytes at
/// most), so it passes the same check as a client's own.
#[derive(Clone)]
struct SequentialRequestId {
    prefix: u64,
    next: Arc<AtomicU64>,
}

impl SequentialRequestId {
    fn new() -> Self {
        // `RandomState` is seeded from the OS's random source once per process.
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(std::process::id().into());
        Self {
            prefix: hasher.finish(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    fn id(&self, n: u64) -> Option<HeaderValue> {
        use std::io::Write;
        let mut buf = std::io::Cursor::new([0u8; 40]);
        write!(buf, "{:016x}-{n:x}", self.prefix).ok()?;
        let len = usize::try_from(buf.position()).ok()?;
        HeaderValue::from_bytes(buf.get_ref().get(..len)?).ok()
    }
}

impl MakeRequestId for SequentialRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        self.id(self.next.fetch_add(1, Ordering::Relaxed))
            .map(RequestId::new)
    }
}

fn is_plain_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len()) && id.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// A panic anywhere in a request becomes this; the detail goes to the log only.
fn masked_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "request handler panicked");
    GatewayError::internal().into_response()
}

#[cfg(test)]
mod tests {
    use super::{SequentialRequestId, cors_layer, is_plain_request_id};
    use axum::http::{HeaderValue, Method, Request, header};
    use tower::{ServiceBuilder, ServiceExt};

    async fn preflight(allowed: &[&str], origin: &str) -> axum::http::HeaderMap {
        let allowed: Vec<String> = allowed.iter().map(|o| o.to_string()).collect();
        let service = ServiceBuilder::new()
            .layer(cors_layer(&allowed))
            .service(tower::service_fn(|_: Request<axum::body::Body>| async {
                Ok::<_, std::convert::Infallible>(axum::http::Response::new(
                    axum::body::Body::empty(),
                ))
            }));
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(axum::body::Body::empty())
            .expect("request");
        service
            .oneshot(request)
            .await
            .expect("answers")
            .headers()
            .clone()
    }

    #[tokio::test]
    async fn a_star_allows_any_origin_without_credentials() {
        let headers = preflight(&["*"], "https://anyone.example").await;
        assert_eq!(
            headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            Some(&HeaderValue::from_static("*"))
        );
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    }

    #[tokio::test]
    async fn a_listed_origin_with_a_trailing_slash_still_matches() {
        let headers = preflight(&["https://Shop.example.com/"], "https://shop.example.com").await;
        assert_eq!(
            headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            Some(&HeaderValue::from_static("https://shop.example.com"))
        );
        let other = preflight(&["https://shop.example.com"], "https://evil.example").await;
        assert!(!other.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }

    #[tokio::test]
    async fn no_origin_list_makes_the_cors_layer_panic() {
        let hostile = [
            "*",
            "",
            " ",
            "null",
            "shop.example.com",
            "https://a.example/path?q#f",
            "https://a.example\r\nX: y",
            "*.example.com",
            "http://[::1]:3000/",
            "https://user:pw@a.example",
            "\u{0}",
        ];
        for origin in hostile {
            preflight(&[origin], "https://a.example").await;
            preflight(&[origin, "*", "https://b.example"], "https://a.example").await;
        }
    }

    #[test]
    fn made_request_ids_are_plain_and_distinct() {
        let ids = SequentialRequestId::new();
        let first = ids.id(1).expect("an id");
        let last = ids.id(u64::MAX).expect("an id");
        assert_ne!(first, last);
        assert_ne!(first, SequentialRequestId::new().id(1).expect("an id"));
        for id in [first, last] {
            assert!(is_plain_request_id(id.as_bytes()), "{id:?}");
        }
    }

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(is_plain_request_id(b"0b6f2a1c-7d3e-4f00-9c1a-5e2d8b7a6c41"));
        assert!(is_plain_request_id(b"abc"));
        assert!(is_plain_request_id(&[b'a'; 64]));
        for hostile in [
            &b""[..],
            &[b'a'; 65],
            b"id with spaces",
            b"{\"a\":1}",
            b"a\r\nSet-Cookie: x=1",
            b"abc_def",
        ] {
            assert!(!is_plain_request_id(hostile), "{hostile:?}");
        }
    }
}
