//! The subset of Commerce's REST API (`/rest/V1/…` and `/rest/<store_code>/V1/…`, Adobe's 2.4.9
//! Swagger) the BFF's single sign-on needs:
//!
//! * `POST /V1/integration/admin/token` `{username, password}` → the admin token as a JSON
//!   string (`admin_token`);
//! * `GET /V1/customers/search?searchCriteria[…]` → `customer-data-customer-search-results-interface`
//!   (`customers`, `search`);
//! * `POST /V1/customers` `{customer, password?}` → the new customer (anonymous, as in Commerce;
//!   only a back-office caller may set `group_id`);
//! * `GET /V1/customers/{id}` and `PUT /V1/customers/{id}` `{customer}` → the customer.
//!
//! and what the back-office flows write into Commerce (`catalog-data-product-interface` etc.):
//!
//! * `POST /V1/products`, `GET` / `PUT /V1/products/{sku}` (`products`, `product_model`), over
//!   the catalog's overlay, so writes show in the storefront GraphQL; the variants of seeded
//!   configurable products (`MT13-S-Purple`) are saved like any simple product and stay their
//!   parent's children (`variants`: name, price, status, attributes; a disabled one leaves its
//!   parent's `variants` and price range and cannot be added to a cart);
//! * async bulk `POST /async/bulk/V1/products`, `PUT /async/bulk/V1/products/bySku` and the
//!   bulk status routes (`bulk`);
//! * `POST /V1/products/base-prices`, `/base-prices-information` (`prices`);
//! * `GET /V1/inventory/sources`, `GET` / `POST /V1/inventory/source-items`,
//!   `POST /V1/inventory/source-items-delete` (`source_items`);
//! * `POST /V1/import/json`, `/V1/import/csv` (`import`).
//!
//! Every exchange is kept in the REST journal (`journal`, `GET /admin/rest-journal`).
//!
//! Authorization is `Bearer <admin token or integration token>` (`crate::admin_users`);
//! anything else is answered as Commerce answers an anonymous caller: 401 "The consumer isn't
//! authorized to access %resources.". Errors have Commerce's body `{"message", "parameters"}`
//! (message with `%placeholders`, values beside it) and its statuses: 400 input, 401
//! authorization and authentication, 404 no such entity or route. Bodies are bounded
//! ([`MAX_BODY_BYTES`]; [`MAX_BATCH_BODY_BYTES`] for the catalog, inventory, bulk and import
//! routes). Each call counts in `/admin/calls` under `REST <METHOD> <route>` and
//! meets Commerce's injected faults (latency, errors, down) like a `/graphql` call.

mod admin_token;
pub(crate) mod bulk;
mod customers;
mod import;
pub(crate) mod journal;
mod model;
mod prices;
mod product_model;
mod products;
mod search;
mod source_items;
mod variants;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::admin_users::BackOffice;

/// Largest request body the REST routes read (Commerce's web API has no smaller limit a
/// sign-on flow would meet; the sandbox must not buffer arbitrary uploads).
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest body of the catalog and inventory routes (bulk, import, batches of prices and
/// source items): a product-master bulk of a few thousand products or an import file runs to
/// megabytes; 16 MiB takes any batch the flows send and still bounds what is buffered.
pub(crate) const MAX_BATCH_BODY_BYTES: usize = 16 * 1024 * 1024;

/// State of the REST subset beside the catalog: bulks, the journal, the write lock.
pub(crate) struct RestState {
    pub bulks: bulk::Bulks,
    pub journal: journal::Journal,
    /// How long the bulk consumer waits before applying a bulk.
    pub bulk_delay: std::time::Duration,
    /// One product write at a time (read the current version, store the next).
    pub catalog_writes: std::sync::Mutex<()>,
}

impl RestState {
    pub fn new(bulk_delay: std::time::Duration) -> RestState {
        RestState {
            bulks: bulk::Bulks::default(),
            journal: journal::Journal::default(),
            bulk_delay,
            catalog_writes: std::sync::Mutex::new(()),
        }
    }
}

/// The routes, with and without a store code, journaled.
pub(crate) fn routes(sandbox: &Sandbox) -> Router<Sandbox> {
    let batch = Router::new()
        .route("/products", post(products::create))
        .route("/products/{sku}", get(products::get).put(products::update))
        .route("/products/base-prices", post(prices::update))
        .route(
            "/products/base-prices-information",
            post(prices::information),
        )
        .route("/inventory/sources", get(source_items::sources))
        .route(
            "/inventory/source-items",
            get(source_items::list).post(source_items::save),
        )
        .route("/inventory/source-items-delete", post(source_items::delete))
        .route("/import/json", post(import::json_import))
        .route("/import/csv", post(import::csv_import))
        .route("/bulk/{bulkUuid}/status", get(bulk::status))
        .route(
            "/bulk/{bulkUuid}/detailed-status",
            get(bulk::detailed_status),
        )
        .route(
            "/bulk/{bulkUuid}/operation-status/{status}",
            get(bulk::operation_count),
        )
        .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES));
    let async_bulk = Router::new()
        .route("/products", post(bulk::submit_post))
        .route("/products/bySku", put(bulk::submit_put))
        .layer(DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES));
    let v1 = Router::new()
        .route("/integration/admin/token", post(admin_token::create))
        .route("/customers/search", get(customers::search))
        .route("/customers", post(customers::create))
        .route(
            "/customers/{id}",
            get(customers::get_by_id).put(customers::update),
        );
    let v1 = v1.layer(DefaultBodyLimit::max(MAX_BODY_BYTES)).merge(batch);
    Router::new()
        .nest("/rest/V1", v1.clone())
        .nest("/rest/{store}/V1", v1)
        .nest("/rest/async/bulk/V1", async_bulk.clone())
        .nest("/rest/{store}/async/bulk/V1", async_bulk)
        .layer(axum::middleware::from_fn_with_state(
            sandbox.clone(),
            journal::record,
        ))
}

/// A REST failure, rendered as Commerce renders its exceptions.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum RestError {
    /// `AuthorizationException`: the caller lacks the ACL resource.
    #[error("The consumer isn't authorized to access %resources.")]
    NotAuthorized { resource: &'static str },
    /// `AuthenticationException` of a failed sign-in.
    #[error(
        "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."
    )]
    SignInFailed,
    /// The body is not JSON (`Webapi\Rest\Request\Deserializer\Json`, production mode).
    #[error("Decoding error.")]
    Decoding,
    /// A required parameter is missing.
    #[error("\"%fieldName\" is required. Enter and try again.")]
    Required { field: String },
    /// A parameter of the wrong type (`ServiceInputProcessor`).
    #[error(
        "The \"%value\" value's type is invalid. The \"%type\" type was expected. Verify and try again."
    )]
    InvalidType {
        value: String,
        expected: &'static str,
    },
    /// A value outside what the field takes.
    #[error("Invalid value of \"%value\" provided for the %fieldName field.")]
    InvalidValue { field: String, value: String },
    /// `NoSuchEntityException::singleField`.
    #[error("No such entity with %fieldName = %fieldValue")]
    NoSuchEntity { field: &'static str, value: String },
    /// Any other input error, its message complete.
    #[error("{0}")]
    Input(String),
    /// An unknown store code or path.
    #[error("Request does not match any route.")]
    NoRoute,
    /// Any other Commerce exception: its message (with `%placeholders`), the values beside it
    /// (named as an object, positional `%1` as an array) and its HTTP status.
    #[error("{message}")]
    Localized {
        message: &'static str,
        parameters: Value,
        status: StatusCode,
    },
    /// `ValidationException`: "Validation Failed" with one entry per failed check.
    #[error("Validation Failed")]
    Validation { errors: Vec<Value> },
}

impl RestError {
    /// A 400 `LocalizedException` with positional (`%1`) values.
    pub(crate) fn input(message: &'static str, values: &[&str]) -> RestError {
        RestError::Localized {
            message,
            parameters: json!(values),
            status: StatusCode::BAD_REQUEST,
        }
    }

    /// A 404 `NoSuchEntityException` with named values.
    pub(crate) fn missing(message: &'static str, parameters: Value) -> RestError {
        RestError::Localized {
            message,
            parameters,
            status: StatusCode::NOT_FOUND,
        }
    }

    /// The message with its placeholders filled in, as Commerce writes it into a bulk
    /// operation's `result_message`.
    pub(crate) fn rendered(&self) -> String {
        let mut text = self.to_string();
        match self.parameters() {
            Value::Object(named) => {
                for (key, value) in named {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    text = text.replace(&format!("%{key}"), &value);
                }
            }
            Value::Array(values) => {
                for (i, value) in values.iter().enumerate().rev() {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    text = text.replace(&format!("%{}", i + 1), &value);
                }
            }
            _ => {}
        }
        text
    }

    fn status(&self) -> StatusCode {
        match self {
            RestError::Localized { status, .. } => *status,
            RestError::NotAuthorized { .. } | RestError::SignInFailed => StatusCode::UNAUTHORIZED,
            RestError::NoSuchEntity { .. } | RestError::NoRoute => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Commerce's `parameters`: named values for the message's placeholders, else `[]`.
    fn parameters(&self) -> Value {
        match self {
            RestError::NotAuthorized { resource } => json!({ "resources": resource }),
            RestError::Required { field } => json!({ "fieldName": field }),
            RestError::InvalidType { value, expected } => {
                json!({ "value": value, "type": expected })
            }
            RestError::InvalidValue { field, value } => {
                json!({ "value": value, "fieldName": field })
            }
            RestError::NoSuchEntity { field, value } => {
                json!({ "fieldName": field, "fieldValue": value })
            }
            RestError::Localized { parameters, .. } => parameters.clone(),
            _ => json!([]),
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut body = json!({ "message": self.to_string(), "parameters": self.parameters() });
        if let RestError::Validation { errors } = &self {
            body["errors"] = json!(errors);
        }
        (self.status(), axum::Json(body)).into_response()
    }
}

/// Commerce's ACL resources of the routes.
pub(crate) const CATALOG_PRODUCTS: &str = "Magento_Catalog::products";
pub(crate) const CUSTOMER_READ: &str = "Magento_Customer::customer";
pub(crate) const CUSTOMER_MANAGE: &str = "Magento_Customer::manage";

/// The back-office caller of a request, if its bearer token is an admin's or the integration's.
fn back_office(sandbox: &Sandbox, headers: &HeaderMap) -> Option<BackOffice> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    sandbox.inner.data.admins.identify(token)
}

/// The caller, or Commerce's 401 for `resource`.
fn authorize(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    resource: &'static str,
) -> Result<BackOffice, RestError> {
    back_office(sandbox, headers).ok_or(RestError::NotAuthorized { resource })
}

/// A JSON body, or Commerce's decoding error.
fn json_body(body: &Bytes) -> Result<Value, RestError> {
    serde_json::from_slice(body).map_err(|_| RestError::Decoding)
}

/// Checks the store code of `/rest/<store_code>/V1/…` (`all` included); Commerce routes an
/// unknown code nowhere.
fn check_store(sandbox: &Sandbox, store: Option<&str>) -> Result<(), RestError> {
    match store {
        None | Some("all") => Ok(()),
        Some(code) => {
            let known = sandbox
                .inner
                .data
                .stores
                .all()
                .iter()
                .any(|s| s.code == code);
            if known {
                Ok(())
            } else {
                Err(RestError::NoRoute)
            }
        }
    }
}

/// Counts a REST call in the Commerce call counters.
fn record(sandbox: &Sandbox, route: &str) {
    sandbox.inner.calls.record(std::iter::once(route));
}

/// Counts a call and meets the injected faults: the fault's answer, if any.
async fn guard(sandbox: &Sandbox, route: &'static str) -> Option<Response> {
    record(sandbox, route);
    crate::http::inject_faults(sandbox).await
}

/// A 200 JSON answer or Commerce's error.
fn answer(result: Result<Value, RestError>) -> Response {
    result.map(ok).unwrap_or_else(IntoResponse::into_response)
}

/// A 200 JSON answer.
fn ok(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod variant_tests;
