//! The REST journal: the last [`CAPACITY`] REST exchanges (method, path with query, request
//! body, answer status and body), so tests can hold what a client really sent, and what the
//! sandbox answered, against Adobe's Swagger. Bodies over [`MAX_BODY`] bytes are left out
//! (`truncated`).

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
    entries: Mutex<VecDeque<RestExchange>>,
}

impl Journal {
    pub fn entries(&self) -> Vec<RestExchange> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn push(&self, exchange: RestExchange) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.pop_front();
        }
        entries.push_back(exchange);
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
    let mut truncated = bytes.len() > MAX_BODY;
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(answer) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    truncated |= answer.len() > MAX_BODY;
    sandbox.inner.rest.journal.push(RestExchange {
        method,
        path,
        request: request_body,
        status: parts.status.as_u16(),
        response: parsed(&answer),
        truncated,
    });
    Response::from_parts(parts, Body::from(answer))
}
