//! `POST /V1/integration/admin/token`: Commerce's `AdminTokenServiceInterface::createAdminAccessToken`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{RestError, check_store, json_body, ok, record};
use crate::Sandbox;

pub(super) async fn create(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    record(&sandbox, "REST POST /V1/integration/admin/token");
    if let Some(fault) = crate::http::inject_faults(&sandbox).await {
        return fault;
    }
    admin_token(&sandbox, params.get("store").map(String::as_str), &body)
        .map(|token| ok(Value::String(token)))
        .unwrap_or_else(IntoResponse::into_response)
}

fn admin_token(sandbox: &Sandbox, store: Option<&str>, body: &Bytes) -> Result<String, RestError> {
    check_store(sandbox, store)?;
    let body = json_body(body)?;
    // Commerce's credentials validator: each of them a non-empty string, username first.
    let credential = |name: &str| -> Result<String, RestError> {
        match body.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(RestError::Required {
                field: name.to_owned(),
            }),
        }
    };
    let username = credential("username")?;
    let password = credential("password")?;
    sandbox
        .inner
        .data
        .admins
        .issue_token(&username, &password)
        .ok_or(RestError::SignInFailed)
}
