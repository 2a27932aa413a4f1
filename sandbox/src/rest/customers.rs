//! `GET /V1/customers/search`, `POST /V1/customers`, `GET` and `PUT /V1/customers/{id}`:
//! Commerce's `CustomerRepositoryInterface::getList` / `getById` / `save` and
//! `AccountManagementInterface::createAccount`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::model::{apply, customer_json};
use super::search::SearchCriteria;
use super::{
    CUSTOMER_MANAGE, CUSTOMER_READ, RestError, authorize, back_office, check_store, json_body, ok,
    record,
};
use crate::Sandbox;
use crate::customers::{AccountError, Customer};

type PathParams = Path<HashMap<String, String>>;

fn store(params: &HashMap<String, String>) -> Option<&str> {
    params.get("store").map(String::as_str)
}

fn answer(result: Result<Value, RestError>) -> Response {
    result.map(ok).unwrap_or_else(IntoResponse::into_response)
}

pub(super) async fn search(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    record(&sandbox, "REST GET /V1/customers/search");
    if let Some(fault) = crate::http::inject_faults(&sandbox).await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, store(&params))?;
        authorize(&sandbox, &headers, CUSTOMER_READ)?;
        let criteria = SearchCriteria::parse(&query)?;
        let data = &sandbox.inner.data;
        let (items, total) = criteria.apply(data.customers.all())?;
        let items: Vec<Value> = items.iter().map(|c| customer_json(data, c)).collect();
        Ok(json!({
            "items": items,
            "search_criteria": criteria.to_json(),
            "total_count": total,
        }))
    })())
}

pub(super) async fn get_by_id(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
) -> Response {
    record(&sandbox, "REST GET /V1/customers/{id}");
    if let Some(fault) = crate::http::inject_faults(&sandbox).await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, store(&params))?;
        authorize(&sandbox, &headers, CUSTOMER_READ)?;
        let customer = existing(&sandbox, params.get("id"))?;
        Ok(customer_json(&sandbox.inner.data, &customer))
    })())
}

pub(super) async fn create(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&sandbox, "REST POST /V1/customers");
    if let Some(fault) = crate::http::inject_faults(&sandbox).await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, store(&params))?;
        let caller = back_office(&sandbox, &headers);
        let body = json_body(&body)?;
        let input = customer_object(&body)?;
        let password = match body.get("password") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => Some(p.as_str()),
            Some(_) => {
                return Err(RestError::InvalidType {
                    value: "password".to_owned(),
                    expected: "string",
                });
            }
        };
        let now = crate::clock::datetime(crate::clock::now());
        let mut draft = Customer::draft("", "", "", &now);
        if let Some(code) = store(&params).filter(|c| *c != "all")
            && let Some(view) = sandbox.inner.data.stores.select(Some(code))
        {
            draft.website_id = view.website_id;
            draft.store_id = view.id;
            draft.created_in = view.name.to_owned();
        }
        apply(input, &mut draft, caller.is_some())?;
        let data = &sandbox.inner.data;
        let customer = data
            .customers
            .create(draft, password)
            .map_err(account_error)?;
        Ok(customer_json(data, &customer))
    })())
}

pub(super) async fn update(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&sandbox, "REST PUT /V1/customers/{id}");
    if let Some(fault) = crate::http::inject_faults(&sandbox).await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, store(&params))?;
        authorize(&sandbox, &headers, CUSTOMER_MANAGE)?;
        let body = json_body(&body)?;
        let input = customer_object(&body)?;
        let id = existing(&sandbox, params.get("id"))?.id;
        let data = &sandbox.inner.data;
        // Errors of `apply` are carried out of the closure the store runs under its lock.
        let mut refused = None;
        let updated = data.customers.update(id, |customer| {
            apply(input, customer, true).map_err(|e| {
                refused = Some(e);
                AccountError::NoSuchCustomer(id)
            })
        });
        if let Some(e) = refused {
            return Err(e);
        }
        let customer = updated.map_err(account_error)?;
        Ok(customer_json(data, &customer))
    })())
}

/// The `customer` object of a body, or Commerce's "required" error.
fn customer_object(body: &Value) -> Result<&Map<String, Value>, RestError> {
    match body.get("customer") {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(RestError::Required {
            field: "customer".to_owned(),
        }),
    }
}

/// The account of a path id, or Commerce's 404.
fn existing(sandbox: &Sandbox, id: Option<&String>) -> Result<Arc<Customer>, RestError> {
    let raw = id.map(String::as_str).unwrap_or_default();
    let not_found = || RestError::NoSuchEntity {
        field: "customerId",
        value: raw.chars().take(32).collect(),
    };
    let id: u32 = raw.trim().parse().map_err(|_| not_found())?;
    sandbox.inner.data.customers.by_id(id).ok_or_else(not_found)
}

fn account_error(error: AccountError) -> RestError {
    match error {
        AccountError::NoSuchCustomer(id) => RestError::NoSuchEntity {
            field: "customerId",
            value: id.to_string(),
        },
        other => RestError::Input(other.to_string()),
    }
}
