//! Test and benchmark controls: upstream call counters and injectable faults, as JSON routes
//! under `/admin` and as methods on [`crate::Sandbox`].
//!
//! Commerce (`/graphql`):
//! * `GET /admin/calls` → `{"total": N, "by_root_field": {"products": n, …}}`
//! * `POST /admin/calls/reset` → `204`
//! * `GET /admin/faults` → `{"latency_ms": 0, "jitter_ms": 0, "error_rate": 0.0, "down": false,
//!   "database_error": false}`
//! * `PUT /admin/faults` with the same shape (missing fields take their defaults) → the new
//!   faults; `422` when `error_rate` is outside 0..=1.
//!
//! The connectors, under `/admin/inventory`, `/admin/cpq`, `/admin/crm`, `/admin/erp` and
//! `/admin/pim`:
//! * `GET …/calls` → `{"total": N, "skus": n}` (for the ERP and the PIM, `skus` counts the
//!   items their pages answered); `POST …/calls/reset` → `204`
//! * `GET …/faults`, `PUT …/faults`: as for Commerce.
//!
//! The feeds:
//! * `POST /admin/erp/changes` / `POST /admin/pim/changes` with `{"count": n}` (at most
//!   10,000) → `{"changed": ["MJ01-M-Blue", …]}`: n draws of the seed's generator get a new
//!   revision stamped now (a SKU drawn twice is listed once).
//! * `GET /admin/feeds/bad-rows` → `{"erp_products": [["SKU", "missing_sku"], …], "stock":
//!   […], "pim_products": […]}`: the SKUs served broken.
//!
//! The inventory's stock:
//! * `POST /admin/inventory/order-stream/step` → `{"changed": ["MJ01-M-Blue", …]}`: one step of
//!   the simulated order stream.
//! * `PUT /admin/inventory/stock` with `{"sku": "…", "source_code": "wh-east", "quantity": 0}`
//!   → `204`; `404` for an unknown SKU or source or a configurable parent.
//!
//! Mail: `GET /admin/mail` → `{"messages": [{"template", "to", "subject", "variables",
//! "sent_at"}, …]}`, oldest first (password reset tokens are in `variables.token`).
//!
//! Reviews: `POST /admin/reviews/approve` → `{"approved": n}`: approves every pending review.
//!
//! All of them: `GET /admin/calls/all` → `{"commerce": n, "inventory": n, "cpq": n, "crm": n,
//! "erp": n, "pim": n}`
//! (totals).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::{Sandbox, Service};

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
    /// Every call is answered with HTTP 500 and a GraphQL error of category `internal` naming
    /// the database host, as Commerce in developer mode answers when its database is gone.
    pub database_error: bool,
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

    /// What these faults do to one call: its added delay and whether it fails. The generator is
    /// locked only when jitter or errors need a draw.
    pub(crate) fn draw(&self, rng: &Mutex<fastrand::Rng>) -> Draw {
        if self.down {
            return Draw {
                delay: Duration::ZERO,
                failure: Some(Failure::Down),
            };
        }
        if self.database_error {
            return Draw {
                delay: Duration::from_millis(self.latency_ms),
                failure: Some(Failure::Database),
            };
        }
        let (jitter, failure) = if self.jitter_ms > 0 || self.error_rate > 0.0 {
            let mut rng = rng.lock().unwrap_or_else(PoisonError::into_inner);
            let jitter = if self.jitter_ms > 0 {
                rng.u64(0..=self.jitter_ms)
            } else {
                0
            };
            let fails = self.error_rate > 0.0 && rng.f64() < self.error_rate;
            let failure = fails.then(|| {
                if rng.bool() {
                    Failure::Unavailable
                } else {
                    Failure::Internal
                }
            });
            (jitter, failure)
        } else {
            (0, None)
        };
        Draw {
            delay: Duration::from_millis(self.latency_ms.saturating_add(jitter)),
            failure,
        }
    }
}

/// The effect of the faults on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Draw {
    /// Wait this long before answering (not when down).
    pub delay: Duration,
    pub failure: Option<Failure>,
}

/// How a faulted call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `down`: answered at once with 503.
    Down,
    /// An injected error answered with 500.
    Internal,
    /// An injected error answered with 503.
    Unavailable,
    /// `database_error`: a GraphQL error of category `internal`, answered with 500.
    Database,
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

pub(crate) async fn approve_reviews(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "approved": sandbox.approve_reviews() }))
}

pub(crate) async fn get_mail(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "messages": sandbox.mail() }))
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
    replace_faults(&sandbox, Service::Commerce, faults)
}

fn replace_faults(sandbox: &Sandbox, service: Service, faults: Faults) -> Response {
    if !faults.is_valid() {
        let body = serde_json::json!({ "message": "error_rate must be between 0.0 and 1.0" });
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    }
    sandbox.set_service_faults(service, faults);
    Json(faults).into_response()
}

/// `GET /admin/calls/all`: every service's total, for benchmarks that sum upstream calls.
pub(crate) async fn get_all_calls(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    let total = |service| sandbox.service_calls(service).total;
    Json(serde_json::json!({
        "commerce": total(Service::Commerce),
        "inventory": total(Service::Inventory),
        "cpq": total(Service::Cpq),
        "crm": total(Service::Crm),
        "erp": total(Service::Erp),
        "pim": total(Service::Pim),
    }))
}

/// `calls`, `calls/reset` and `faults` of one connector, to nest under `/admin/<service>`.
pub(crate) fn service_routes(service: Service) -> Router<Sandbox> {
    Router::new()
        .route(
            "/calls",
            get(move |State(sandbox): State<Sandbox>| async move {
                Json(sandbox.service_calls(service))
            }),
        )
        .route(
            "/calls/reset",
            post(move |State(sandbox): State<Sandbox>| async move {
                sandbox.reset_service_calls(service);
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/faults",
            get(move |State(sandbox): State<Sandbox>| async move {
                Json(sandbox.service_faults(service))
            })
            .put(
                move |State(sandbox): State<Sandbox>, Json(faults): Json<Faults>| async move {
                    replace_faults(&sandbox, service, faults)
                },
            ),
        )
}

/// `POST /admin/inventory/order-stream/step`.
pub(crate) async fn step_order_stream(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "changed": sandbox.step_order_stream() }))
}

/// Body of `POST /admin/erp/changes` and `POST /admin/pim/changes`.
#[derive(Deserialize)]
pub(crate) struct FeedChanges {
    count: usize,
}

/// Most SKUs one forced change may touch.
const MAX_FORCED_CHANGES: usize = 10_000;

/// `POST /admin/erp/changes`.
pub(crate) async fn change_erp_products(
    State(sandbox): State<Sandbox>,
    Json(changes): Json<FeedChanges>,
) -> Json<serde_json::Value> {
    let changed = sandbox.change_erp_products(changes.count.min(MAX_FORCED_CHANGES));
    Json(serde_json::json!({ "changed": changed }))
}

/// `POST /admin/pim/changes`.
pub(crate) async fn change_pim_products(
    State(sandbox): State<Sandbox>,
    Json(changes): Json<FeedChanges>,
) -> Json<serde_json::Value> {
    let changed = sandbox.change_pim_products(changes.count.min(MAX_FORCED_CHANGES));
    Json(serde_json::json!({ "changed": changed }))
}

/// `GET /admin/feeds/bad-rows`.
pub(crate) async fn get_feed_bad_rows(State(sandbox): State<Sandbox>) -> Json<crate::BadRows> {
    Json(sandbox.feed_bad_rows())
}

/// Body of `PUT /admin/inventory/stock`.
#[derive(Deserialize)]
pub(crate) struct StockChange {
    sku: String,
    source_code: String,
    quantity: u32,
}

pub(crate) async fn put_stock(
    State(sandbox): State<Sandbox>,
    Json(change): Json<StockChange>,
) -> StatusCode {
    if sandbox.set_stock(&change.sku, &change.source_code, change.quantity) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

/// `GET /admin/rest-journal`: the last REST exchanges, oldest first.
pub(crate) async fn get_rest_journal(
    State(sandbox): State<Sandbox>,
) -> Json<Vec<crate::RestExchange>> {
    Json(sandbox.rest_journal())
}

pub(crate) async fn reset_rest_journal(State(sandbox): State<Sandbox>) -> StatusCode {
    sandbox.reset_rest_journal();
    StatusCode::NO_CONTENT
}

/// `GET /admin/rest/bulk-faults`.
pub(crate) async fn get_bulk_faults(State(sandbox): State<Sandbox>) -> Json<crate::BulkFaults> {
    Json(sandbox.bulk_faults())
}

/// `PUT /admin/rest/bulk-faults` `{"retriable_rate": 0.2, "failing_skus": ["MJ01"]}`.
pub(crate) async fn put_bulk_faults(
    State(sandbox): State<Sandbox>,
    Json(faults): Json<crate::BulkFaults>,
) -> StatusCode {
    sandbox.set_bulk_faults(faults);
    StatusCode::NO_CONTENT
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
