//! `GET /admin/jobs` and `GET /admin/jobs/runs/{run_id}`: the job runs, read-only, for
//! monitoring (what `storefront-bff jobs status` prints, as JSON). Behind a bearer token
//! (`jobs.admin_token`, compared in constant time); without one configured the routes do not
//! exist (404), so nothing about the back office shows by default.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::hooks::bearer_matches;
use crate::gateway::{GatewayError, code};
use crate::jobs::FlowName;
use crate::store::job_runs::MAX_ISSUES_PER_RUN;

/// Most runs one listing returns.
const MAX_LISTED_RUNS: i64 = 200;

#[derive(Deserialize)]
pub(super) struct ListQuery {
    flow: Option<String>,
    limit: Option<i64>,
}

/// The flows with their watermark and latest run, and the latest runs.
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    if let Some(refused) = refuse(&state, &headers) {
        return refused;
    }
    let flow = match query.flow.as_deref() {
        None | Some("") => None,
        Some(name) => match FlowName::parse(name) {
            Some(flow) => Some(flow),
            None => {
                return GatewayError::new(
                    StatusCode::BAD_REQUEST,
                    code::BAD_REQUEST,
                    None,
                    "Unknown flow: use product_master, inventory_full, inventory_delta or catalog_content.",
                )
                .into_response();
            }
        },
    };
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_LISTED_RUNS);
    let runs = state.store.job_runs();
    let mut flows = Vec::new();
    for f in FlowName::ALL {
        let settings = f.settings(&state.config.jobs);
        let (watermark, last) = match (
            runs.watermark(f.as_str()).await,
            runs.recent(Some(f.as_str()), 1).await,
        ) {
            (Ok(w), Ok(last)) => (w, last.into_iter().next()),
            _ => return unavailable(),
        };
        flows.push(json!({
            "flow": f.as_str(),
            "description": f.describe(),
            "enabled": settings.enabled,
            "schedule": settings.schedule,
            "watermark": watermark,
            "last_run": last,
        }));
    }
    match runs.recent(flow.map(FlowName::as_str), limit).await {
        Ok(list) => Json(json!({ "flows": flows, "runs": list })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "reading job runs failed");
            unavailable()
        }
    }
}

/// One run with the reasons its items were skipped or failed (the first 1000).
pub(super) async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
) -> Response {
    if let Some(refused) = refuse(&state, &headers) {
        return refused;
    }
    let runs = state.store.job_runs();
    let record = match runs.get(&run_id).await {
        Ok(Some(record)) => record,
        Ok(None) => return GatewayError::not_found().into_response(),
        Err(_) => return unavailable(),
    };
    match runs.issues(&run_id, MAX_ISSUES_PER_RUN).await {
        Ok(issues) => Json(json!({ "run": record, "issues": issues })).into_response(),
        Err(_) => unavailable(),
    }
}

/// 404 when no token is configured, 401 when the caller's is missing or wrong.
fn refuse(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &state.config.jobs.admin_token else {
        return Some(GatewayError::not_found().into_response());
    };
    if bearer_matches(headers, token) {
        return None;
    }
    let mut response = GatewayError::new(
        StatusCode::UNAUTHORIZED,
        code::UNAUTHENTICATED,
        None,
        "The admin token is missing or wrong.",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    Some(response)
}

fn unavailable() -> Response {
    GatewayError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        code::STORE_UNAVAILABLE,
        None,
        "The job store is not available.",
    )
    .into_response()
}
