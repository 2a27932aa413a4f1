//! The HTTP surface (DESIGN §2.7): the router, its tower layers, and the routes.
//!
//! Layers, outermost first: request id → trace span (every log line carries the id) → panic
//! catcher (a masked 500, the next request unaffected) → whole-request timeout → CORS → body
//! limit.

mod graphql;
mod health;
mod hooks;
pub mod playground;
mod ratelimit;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::config::Config;
use crate::gateway::{Gateway, GatewayError};
use crate::sources::commerce::CommerceGraphql;

pub use health::Readiness;
pub use ratelimit::RateLimits;

/// Shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub gateway: Arc<Gateway>,
    pub config: Arc<Config>,
    pub commerce: Arc<dyn CommerceGraphql>,
    pub readiness: Arc<Readiness>,
    /// `Cache-Control` of public answers, built once from the cache settings.
    pub public_cache_control: HeaderValue,
    /// Rate limits and sensitive-mutation rules, checked before a request is executed.
    pub rate_limits: Arc<RateLimits>,
}

impl AppState {
    pub fn new(
        gateway: Arc<Gateway>,
        commerce: Arc<dyn CommerceGraphql>,
        config: Arc<Config>,
    ) -> Self {
        let cache = &config.cache;
        let public_cache_control = HeaderValue::from_str(&format!(
            "public, max-age=0, s-maxage={}, stale-while-revalidate={}",
            cache.ttl_secs, cache.stale_while_revalidate_secs
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("no-store"));
        let rate_limits = Arc::new(RateLimits::new(&config));
        Self {
            gateway,
            config,
            commerce,
            readiness: Arc::new(Readiness::default()),
            public_cache_control,
            rate_limits,
        }
    }
}

/// The whole router with its layers.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let request_id_header = axum::http::HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let id = request
            .extensions()
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
    })
    // One access-log line per request: status and latency, inside the request's span.
    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    let cors = if config.server.cors_allowed_origins.is_empty() {
        CorsLayer::new()
    } else {
        let origins: Vec<HeaderValue> = config
            .server
            .cors_allowed_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers(tower_http::cors::Any)
            .expose_headers([axum::http::HeaderName::from_static("x-magento-cache-id")])
            .max_age(Duration::from_secs(600))
    };
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/playground/assets/{*file}", get(playground::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/hooks/commerce/cache", post(hooks::purge_cache))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.server.body_limit_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(
                    request_id_header.clone(),
                    MakeRequestUuid,
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

async fn not_found() -> Response {
    graphql::error(&GatewayError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        None,
        "No such route.",
    ))
}

/// A panic anywhere in a request becomes this; the detail goes to the log only.
fn masked_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "request handler panicked");
    graphql::error(&GatewayError::internal()).into_response()
}
