//! The back-office systems the BFF reaches through its connector contracts
//! (`docs/connectors/`), emulated over HTTP: the inventory service (`inventory`), the CPQ
//! (`cpq`), the CRM (`crm`), and the ERP/WMS and PIM feeds the data flows read (`erp`, `pim`,
//! paging through `crate::feeds`).
//!
//! What every connector shares lives here: the bearer token (401 with an `error` body when it
//! is missing or wrong), call counters (requests and SKUs asked for), injectable faults with
//! Commerce's semantics (latency, jitter, a share of 500/503 answers, down), the
//! `{"error": {"code", "message"}}` body of non-2xx answers, and `X-Request-Id` echoed back.
//! A call is counted as it arrives, before faults and authentication, as Commerce's calls are.

pub(crate) mod cpq;
pub(crate) mod crm;
pub(crate) mod erp;
pub(crate) mod inventory;
pub(crate) mod pim;

use crate::Sandbox;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::admin::{Failure, Faults};
use crate::http::{PROXY_UNAVAILABLE, html_response};

/// The upstream systems the sandbox emulates, for counters and faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Adobe Commerce's storefront GraphQL (`/graphql`).
    Commerce,
    /// The ERP/WMS stock service (`/inventory/v1/stock/lookup`).
    Inventory,
    /// The CPQ's contract prices (`/cpq/v1/contract-prices/lookup`).
    Cpq,
    /// The CRM's person verification at SSO sign-in (`/crm/v1/persons/verify`).
    Crm,
    /// The ERP/WMS feeds: product master and stock (`/erp/v1/products`, `/erp/v1/stock`,
    /// `/erp/v1/stock/changes`).
    Erp,
    /// The PIM's content feed (`/pim/v1/products`).
    Pim,
}

/// Calls one service received since the start or the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCalls {
    /// Requests received, faulted, refused and invalid ones included.
    pub total: u64,
    /// SKUs the requests asked for, summed (duplicates included); always 0 for Commerce and
    /// the CRM; for the ERP and the PIM, the items their pages answered.
    pub skus: u64,
}

/// Counters and faults of one connector.
pub(crate) struct Connector {
    calls: AtomicU64,
    skus: AtomicU64,
    faults: RwLock<Faults>,
    rng: Mutex<fastrand::Rng>,
}

impl Connector {
    pub fn new(latency: Duration, seed: u64) -> Connector {
        Connector {
            calls: AtomicU64::new(0),
            skus: AtomicU64::new(0),
            faults: RwLock::new(Faults::latency(latency)),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    fn record(&self, skus: usize) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.skus.fetch_add(skus as u64, Ordering::Relaxed);
    }

    pub fn calls(&self) -> ServiceCalls {
        ServiceCalls {
            total: self.calls.load(Ordering::Relaxed),
            skus: self.skus.load(Ordering::Relaxed),
        }
    }

    pub fn reset_calls(&self) {
        self.calls.store(0, Ordering::Relaxed);
        self.skus.store(0, Ordering::Relaxed);
    }

    pub fn faults(&self) -> Faults {
        *self.faults.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// Counts the call, then applies faults and checks the token; `Err` carries the answer of a
    /// faulted or refused call.
    async fn admit(&self, token: &str, headers: &HeaderMap, skus: usize) -> Result<(), Response> {
        self.record(skus);
        let draw = self.faults().draw(&self.rng);
        if !draw.delay.is_zero() {
            tokio::time::sleep(draw.delay).await;
        }
        match draw.failure {
            Some(Failure::Down) => {
                return Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SERVICE_UNAVAILABLE",
                    "The service is down for maintenance.",
                ));
            }
            Some(Failure::Internal | Failure::Database) => {
                return Err(error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "The service failed to answer.",
                ));
            }
            // A proxy in front of the connector answers, without the contract's body.
            Some(Failure::Unavailable) => {
                return Err(html_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    PROXY_UNAVAILABLE,
                ));
            }
            None => {}
        }
        if !bearer_matches(headers, token) {
            let mut refusal = error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "A valid bearer token is required.",
            );
            refusal
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Err(refusal);
        }
        Ok(())
    }
}

/// Whether `Authorization` is `Bearer <token>` (compared in constant time).
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some((scheme, given)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
    else {
        return false;
    };
    let given = given.trim().as_bytes();
    scheme.eq_ignore_ascii_case("bearer")
        && given.len() == token.len()
        && given
            .iter()
            .zip(token.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A connector request that names SKUs (counted per call).
pub(crate) trait SkuRequest {
    fn sku_count(&self) -> usize;
}

/// One connector call: counted, admitted (token, injected faults), its body parsed and
/// answered, then logged with the BFF's request id. `expected` names the body's shape for the
/// 400 answer.
pub(crate) async fn serve<'b, R>(
    sandbox: &Sandbox,
    service: Service,
    headers: &HeaderMap,
    body: &'b [u8],
    expected: &str,
    answer: impl FnOnce(&R) -> Response,
) -> Response
where
    R: serde::Deserialize<'b> + SkuRequest,
{
    let request = serde_json::from_slice::<R>(body);
    let skus = request.as_ref().map_or(0, SkuRequest::sku_count);
    let Some(controls) = sandbox.connector(service) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "No such connector.");
    };
    let response = match controls
        .admit(&sandbox.inner.connector_token, headers, skus)
        .await
    {
        Err(refusal) => refusal,
        Ok(()) => match &request {
            Err(e) => error(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                &format!("Expected {expected}: {e}"),
            ),
            Ok(request) => answer(request),
        },
    };
    correlate(service, headers, skus, response)
}

/// One page of a feed (`GET`, no body): counted, admitted (token, injected faults), answered
/// by `answer` (the answer and how many items it holds, added to the SKU counter), then
/// logged with the BFF's request id.
pub(crate) async fn serve_page(
    sandbox: &Sandbox,
    service: Service,
    headers: &HeaderMap,
    answer: impl FnOnce() -> (Response, usize),
) -> Response {
    let Some(controls) = sandbox.connector(service) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "No such connector.");
    };
    let response = match controls
        .admit(&sandbox.inner.connector_token, headers, 0)
        .await
    {
        Err(refusal) => refusal,
        Ok(()) => {
            let (response, items) = answer();
            controls.skus.fetch_add(items as u64, Ordering::Relaxed);
            response
        }
    };
    correlate(service, headers, 0, response)
}

/// The query of a feed page: `cursor`, `limit` (1..=1000, default 500) and the feed's
/// `changed_since` / `since` (Unix seconds, default 0).
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub changed_since: Option<i64>,
    pub since: Option<i64>,
}

/// Largest `limit` of a feed page.
pub(crate) const MAX_PAGE_LIMIT: usize = 1_000;
/// `limit` when none is given.
pub(crate) const DEFAULT_PAGE_LIMIT: usize = 500;

impl PageQuery {
    /// The query of `uri`, or what is wrong with it (for a 400 answer, [`invalid_query`]).
    pub fn parse(uri: &axum::http::Uri) -> Result<PageQuery, String> {
        let axum::extract::Query(query) = axum::extract::Query::<PageQuery>::try_from_uri(uri)
            .map_err(|e| format!("Invalid query: {e}"))?;
        if query
            .limit
            .is_some_and(|l| !(1..=MAX_PAGE_LIMIT as i64).contains(&l))
        {
            return Err("limit must be between 1 and 1000.".into());
        }
        if query.changed_since.is_some_and(|s| s < 0) || query.since.is_some_and(|s| s < 0) {
            return Err("changed_since and since are Unix seconds, at least 0.".into());
        }
        Ok(query)
    }

    pub fn limit(&self) -> usize {
        self.limit.map_or(DEFAULT_PAGE_LIMIT, |l| l as usize)
    }

    /// `changed_since` or `since`, as the feed names it.
    pub fn since(&self) -> u64 {
        self.changed_since.or(self.since).unwrap_or(0) as u64
    }
}

/// The answer to a query outside the contract.
pub(crate) fn invalid_query(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
}

/// The answer to a cursor the feed never gave out.
pub(crate) fn invalid_cursor() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "INVALID_CURSOR",
        "The cursor is not one this feed gave out; start again without one.",
    )
}

/// The contract's error answer.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    json(status, &body)
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Logs the call with the BFF's request id and echoes the id on the answer.
pub(crate) fn correlate(
    service: Service,
    headers: &HeaderMap,
    skus: usize,
    mut response: Response,
) -> Response {
    let request_id = headers.get("x-request-id");
    tracing::debug!(
        ?service,
        request_id = request_id.and_then(|v| v.to_str().ok()),
        skus,
        status = response.status().as_u16(),
        "connector call"
    );
    if let Some(id) = request_id {
        response.headers_mut().insert("x-request-id", id.clone());
    }
    response
}

#[cfg(test)]
mod feed_tests;
#[cfg(test)]
mod tests;
