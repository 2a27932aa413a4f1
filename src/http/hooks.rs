//! `POST /hooks/commerce/cache`: Commerce (or whatever invalidates its full-page cache) tells
//! the BFF which tags changed. Authenticated by a shared secret as a bearer token, compared in
//! constant time; off unless a secret is configured.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

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
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(
        presented
            .as_bytes()
            .ct_eq(secret.expose_secret().as_bytes()),
    ) {
        return GatewayError::new(
            StatusCode::UNAUTHORIZED,
            code::UNAUTHENTICATED,
            None,
            "The hook secret is missing or wrong.",
        )
        .into_response();
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
