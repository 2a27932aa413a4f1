//! Errors the gateway answers itself, in GraphQL's error shape with a stable `extensions.code`.

use axum::http::StatusCode;
use serde_json::{Value, json};

/// A request the gateway refuses or cannot complete. Messages are safe for clients: they never
/// name upstream hosts or carry upstream detail (that goes to the log).
#[derive(Debug, Clone)]
pub struct GatewayError {
    pub status: StatusCode,
    pub errors: Vec<Value>,
}

impl GatewayError {
    /// One error with a code (and Commerce's category where one applies).
    pub fn new(
        status: StatusCode,
        code: &str,
        category: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let mut extensions = json!({ "code": code });
        if let Some(category) = category {
            extensions["category"] = Value::from(category);
        }
        Self {
            status,
            errors: vec![json!({ "message": message.into(), "extensions": extensions })],
        }
    }

    /// A document over one of the configured limits.
    pub fn limit(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, Some("graphql"), message)
    }

    /// A malformed HTTP request (not JSON, no query, …).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", None, message)
    }

    /// Commerce gave no usable answer.
    pub fn upstream_unavailable() -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "UPSTREAM_UNAVAILABLE",
            None,
            "Commerce is unavailable; try again shortly.",
        )
    }

    /// A failure inside the BFF, detail in the log only.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            None,
            "Internal server error.",
        )
    }

    /// Errors from async-graphql's parser or validator, located in the client's document.
    pub fn from_server_errors(code: &str, errors: Vec<async_graphql::ServerError>) -> Self {
        Self {
            status: StatusCode::OK,
            errors: errors
                .into_iter()
                .map(|e| {
                    let mut v = json!({
                        "message": e.message,
                        "extensions": { "code": code, "category": "graphql" },
                    });
                    if !e.locations.is_empty() {
                        v["locations"] = e
                            .locations
                            .iter()
                            .map(|l| json!({ "line": l.line, "column": l.column }))
                            .collect();
                    }
                    v
                })
                .collect(),
        }
    }

    /// The response body: `{"errors": [...]}`.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({ "errors": self.errors })).unwrap_or_default()
    }
}
