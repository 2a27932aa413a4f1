//! Liveness and readiness. `/healthz`: the process answers. `/readyz`: the schema is loaded and
//! Commerce answers a trivial query (probed at most once per second, whatever the poll rate,
//! and through Commerce's circuit breaker: while it is open the probe fails without a call).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::sources::commerce::{ForwardedHeaders, UpstreamMethod, UpstreamRequest};

/// The last Commerce probe, reused for a second so readiness polls cannot load Commerce.
#[derive(Default)]
pub struct Readiness {
    last: Mutex<Option<(Instant, Probe)>>,
}

#[derive(Clone, Copy)]
struct Probe {
    reachable: bool,
    latency_ms: u64,
}

const PROBE_REUSE: Duration = Duration::from_secs(1);

pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let probe = probe_commerce(&state).await;
    let schema = state.gateway.schema().source.as_str();
    let status = if probe.reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    // Inventory and CPQ degrade gracefully, so their breakers inform but never fail readiness.
    let breaker = state.commerce.breaker();
    let mut body = json!({
        "status": if probe.reachable { "ready" } else { "unavailable" },
        "schema": schema,
        "commerce": {
            "reachable": probe.reachable,
            "latency_ms": probe.latency_ms,
            "breaker": breaker.as_ref().map(|b| b.breaker),
            "consecutive_failures": breaker.as_ref().map(|b| b.consecutive_failures),
        },
    });
    for extension in state.gateway.extensions() {
        body[extension.source()] = json!(extension.health());
    }
    (status, Json(body)).into_response()
}

async fn probe_commerce(state: &AppState) -> Probe {
    if let Ok(last) = state.readiness.last.lock()
        && let Some((at, probe)) = *last
        && at.elapsed() < PROBE_REUSE
    {
        return probe;
    }
    let started = Instant::now();
    let request = UpstreamRequest {
        query: "query Readiness { __typename }".into(),
        variables: None,
        operation_name: None,
        method: UpstreamMethod::Post,
        headers: ForwardedHeaders::default(),
    };
    let reachable = match state.commerce.send(request).await {
        Ok(answer) => answer.status == 200,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: Commerce is not reachable");
            false
        }
    };
    let probe = Probe {
        reachable,
        latency_ms: started.elapsed().as_millis() as u64,
    };
    if let Ok(mut last) = state.readiness.last.lock() {
        *last = Some((Instant::now(), probe));
    }
    probe
}
