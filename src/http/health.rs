//! Liveness and readiness (docs/deploy.md, "Probes").
//!
//! * `/healthz` (liveness): the process answers HTTP. Never looks at Commerce: restarting a pod
//!   does not bring Commerce back.
//! * `/readyz` (readiness): this replica can serve storefront traffic. The schema is loaded
//!   before the listener opens, so a replica that answers is past start-up. It is `503` only
//!   while the replica drains for shutdown, and while Commerce is unreachable **and** the
//!   response cache is off (then nothing can be answered). With the cache on, a Commerce outage
//!   keeps readiness at `200` with `"status": "degraded"`: cached and stale answers still serve,
//!   and taking every replica out of service at once would turn a partial outage into a total
//!   one. Commerce's state (reachable, latency, breaker) is in the body either way.
//!
//! Commerce is probed with a trivial query at most once per second, whatever the poll rate, and
//! through its circuit breaker: while it is open the probe fails without a call.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Set once shutdown begins: load balancers stop sending new requests while in-flight ones
    /// finish.
    draining: AtomicBool,
}

impl Readiness {
    /// Marks the replica as shutting down: `/readyz` answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }
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
    let draining = state.readiness.draining.load(Ordering::Relaxed);
    let cache_serves = state.gateway.cache().is_some();
    let (status, verdict) = match (draining, probe.reachable, cache_serves) {
        (true, _, _) => (StatusCode::SERVICE_UNAVAILABLE, "draining"),
        (false, true, _) => (StatusCode::OK, "ready"),
        // Cached (and stale) answers still serve: stay in the load balancer.
        (false, false, true) => (StatusCode::OK, "degraded"),
        (false, false, false) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    // Inventory and CPQ degrade gracefully, so their breakers inform but never fail readiness.
    let breaker = state.commerce.breaker();
    let mut body = json!({
        "status": verdict,
        "schema": schema,
        "response_cache": if cache_serves { "on" } else { "off" },
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
