//! Test and benchmark controls: upstream call counters and injectable faults, as JSON routes
//! under `/admin` and as methods on [`crate::Sandbox`].
//!
//! * `GET /admin/calls` → `{"total": N, "by_root_field": {"products": n, …}}`
//! * `POST /admin/calls/reset` → `204`
//! * `GET /admin/faults` → `{"latency_ms": 0, "jitter_ms": 0, "error_rate": 0.0, "down": false}`
//! * `PUT /admin/faults` with the same shape (missing fields take their defaults) → the new
//!   faults; `422` when `error_rate` is outside 0..=1.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::Sandbox;

/// Faults injected into every `/graphql` call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every call, in milliseconds.
    pub latency_ms: u64,
    /// Up to this many more milliseconds, drawn uniformly per call.
    pub jitter_ms: u64,
    /// Share of calls (0.0..=1.0) answered with HTTP 500 or 503 and a non-GraphQL body, as a
    /// sick Commerce behind a proxy answers.
    pub error_rate: f64,
    /// Every call is answered at once with HTTP 503.
    pub down: bool,
}

impl Faults {
    /// Faults adding a fixed latency.
    pub fn latency(latency: Duration) -> Faults {
        Faults {
            latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            ..Faults::default()
        }
    }

    fn is_valid(&self) -> bool {
        (0.0..=1.0).contains(&self.error_rate)
    }
}

/// A snapshot of the upstream calls received on `/graphql`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCounts {
    /// Requests received (including faulted and invalid ones).
    pub total: u64,
    /// Per root field name: requests whose operation selected it (once per request).
    pub by_root_field: BTreeMap<String, u64>,
}

impl CallCounts {
    /// Calls that selected `field`.
    pub fn of(&self, field: &str) -> u64 {
        self.by_root_field.get(field).copied().unwrap_or(0)
    }
}

/// The live counters.
#[derive(Default)]
pub(crate) struct CallCounter {
    counts: Mutex<CallCounts>,
}

impl CallCounter {
    /// Records one request selecting `root_fields` (each counted once).
    pub fn record<'a>(&self, root_fields: impl IntoIterator<Item = &'a str>) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.total += 1;
            let mut seen: Vec<&str> = Vec::new();
            for field in root_fields {
                if !seen.contains(&field) {
                    seen.push(field);
                    *counts.by_root_field.entry(field.to_owned()).or_default() += 1;
                }
            }
        }
    }

    pub fn snapshot(&self) -> CallCounts {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts = CallCounts::default();
        }
    }
}

pub(crate) async fn get_calls(State(sandbox): State<Sandbox>) -> Json<CallCounts> {
    Json(sandbox.calls())
}

pub(crate) async fn reset_calls(State(sandbox): State<Sandbox>) -> StatusCode {
    sandbox.reset_calls();
    StatusCode::NO_CONTENT
}

pub(crate) async fn get_faults(State(sandbox): State<Sandbox>) -> Json<Faults> {
    Json(sandbox.faults())
}

pub(crate) async fn put_faults(
    State(sandbox): State<Sandbox>,
    Json(faults): Json<Faults>,
) -> Response {
    if !faults.is_valid() {
        let body = serde_json::json!({ "message": "error_rate must be between 0.0 and 1.0" });
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    }
    sandbox.set_faults(faults);
    Json(faults).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_root_field_counts_once_per_request() {
        let counter = CallCounter::default();
        counter.record(["products", "products", "storeConfig"]);
        counter.record(["products"]);
        counter.record([]);
        let counts = counter.snapshot();
        assert_eq!(counts.total, 3);
        assert_eq!(counts.of("products"), 2);
        assert_eq!(counts.of("storeConfig"), 1);
        assert_eq!(counts.of("cart"), 0);
        counter.reset();
        assert_eq!(counter.snapshot(), CallCounts::default());
    }

    #[test]
    fn faults_parse_partially_and_reject_impossible_rates() {
        let faults: Faults = serde_json::from_str(r#"{"latency_ms": 20}"#).expect("parses");
        assert_eq!(
            faults,
            Faults {
                latency_ms: 20,
                ..Faults::default()
            }
        );
        assert!(faults.is_valid());
        assert!(
            !Faults {
                error_rate: 1.5,
                ..Faults::default()
            }
            .is_valid()
        );
        assert!(
            !Faults {
                error_rate: f64::NAN,
                ..Faults::default()
            }
            .is_valid()
        );
    }
}
