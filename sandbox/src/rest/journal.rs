//! The REST journal: the last [`CAPACITY`] REST exchanges (method, path with query, request
//! body, answer status and body), so tests can hold what a client really sent, and what the
//! sandbox answered, against Adobe's Swagger. Bodies over [`MAX_BODY`] bytes are left out
//! (`truncated`), and the oldest exchanges go once the kept bodies exceed [`MAX_TOTAL`] bytes,
//! so a benchmark's large batches cannot grow it without bound.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Sandbox;

/// Exchanges kept.
const CAPACITY: usize = 512;
/// Largest body kept, in bytes.
const MAX_BODY: usize = 1024 * 1024;
/// Most body bytes kept over all exchanges.
const MAX_TOTAL: usize = 32 * 1024 * 1024;

/// One REST request and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestExchange {
    pub method: String,
    /// Path and query, as received.
    pub path: String,
    /// The request body as JSON (a string when it is not JSON); `None` when empty or truncated.
    pub request: Option<Value>,
    pub status: u16,
    /// The answer body as JSON (a string when it is not JSON); `None` when empty or truncated.
    pub response: Option<Value>,
    /// Whether a body was too large to keep.
    pub truncated: bool,
}

#[derive(Default)]
pub(crate) struct Journal {
    /// The exchanges with the body bytes each keeps, and the sum of those.
    entries: Mutex<(VecDeque<(RestExchange, usize)>, usize)>,
}

impl Journal {
    pub fn entries(&self) -> Vec<RestExchange> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.0.iter().map(|(e, _)| e.clone()).collect()
    }

    pub fn clear(&self) {
        *self.entries.lock().unwrap_or_else(PoisonError::into_inner) = Default::default();
    }

    fn push(&self, exchange: RestExchange, bytes: usize) {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (entries, total) = &mut *guard;
        entries.push_back((exchange, bytes));
        *total += bytes;
        while entries.len() > CAPACITY || (*total > MAX_TOTAL && entries.len() > 1) {
            if let Some((_, gone)) = entries.pop_front() {
                *total -= gone;
            }
        }
    }
}

fn parsed(bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() || bytes.len() > MAX_BODY {
        return None;
    }
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    )
}

/// Middleware of the REST routes: buffers both bodies (already bounded by the routes' body
/// limit and by the handlers) and records the exchange.
pub(crate) async fn record(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, super::MAX_BATCH_BODY_BYTES).await else {
        return super::RestError::input("The request body is too large.", &[]).into_response();
    };
    let request_body = parsed(&bytes);
    let request_len = bytes.len();
    let mut truncated = request_len > MAX_BODY;
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(answer) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    truncated |= answer.len() > MAX_BODY;
    let kept = [request_len, answer.len()]
        .iter()
        .filter(|n| **n <= MAX_BODY)
        .sum();
    sandbox.inner.rest.journal.push(
        RestExchange {
            method,
            path,
            request: request_body,
            status: parts.status.as_u16(),
            response: parsed(&answer),
            truncated,
        },
        kept,
    );
    Response::from_parts(parts, Body::from(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(i: usize) -> RestExchange {
        RestExchange {
            method: "POST".into(),
            path: format!("/rest/V1/inventory/source-items?{i}"),
            request: None,
            status: 200,
            response: None,
            truncated: false,
        }
    }

    #[test]
    fn the_journal_keeps_the_newest_exchanges_within_its_byte_budget() {
        let journal = Journal::default();
        for i in 0..100 {
            journal.push(exchange(i), MAX_BODY);
        }
        let kept = journal.entries();
        assert_eq!(kept.len(), MAX_TOTAL / MAX_BODY);
        assert_eq!(kept.last().map(|e| e.path.clone()), Some(exchange(99).path));
        for i in 0..CAPACITY + 10 {
            journal.push(exchange(i), 0);
        }
        assert_eq!(journal.entries().len(), CAPACITY);
        journal.clear();
        assert!(journal.entries().is_empty());
    }
}
