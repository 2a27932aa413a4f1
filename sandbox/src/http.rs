//! `/graphql` the way Commerce serves it: `POST` with a JSON body or `GET` with `query`,
//! `variables` and `operationName` parameters; the `Store`, `Content-Currency` and
//! `Authorization` headers validated before execution; `X-Magento-Cache-Id` on every response;
//! `X-Magento-Tags` and public `Cache-Control` on cacheable GET responses; Commerce's HTTP
//! statuses (400 syntax, 401 authentication, 403 authorization). Faults are injected here too.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{PathSegment, ServerError, Variables};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::Sandbox;
use crate::admin::Failure;
use crate::errors::{Category, http_status};
use crate::schema::{CACHEABLE_ROOT_FIELDS, PATH_EXTENSION};
use crate::scope::{RequestScope, cache_id};

const CACHE_ID_HEADER: &str = "x-magento-cache-id";
const TAGS_HEADER: &str = "x-magento-tags";
const NO_CACHE: &str = "no-store, no-cache, must-revalidate, max-age=0";

/// A GraphQL request as it arrived.
#[derive(Debug, Default, Deserialize)]
struct Call {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

/// How a request reached `/graphql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

pub(crate) async fn get(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let variables = match params
        .get("variables")
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
    {
        None => Ok(None),
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|_| "Unable to parse the variables."),
    };
    let call = variables.map(|variables| Call {
        query: params.get("query").cloned(),
        variables,
        operation_name: params.get("operationName").cloned(),
    });
    handle(&sandbox, Method::Get, &headers, call).await
}

pub(crate) async fn post(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = serde_json::from_slice::<Call>(&body).map_err(|_| "Unable to parse the request.");
    handle(&sandbox, Method::Post, &headers, call).await
}

/// A placeholder image for any product media path.
pub(crate) async fn media(Path(path): Path<String>) -> Response {
    let svg = crate::schema::placeholder_svg(&path);
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

async fn handle(
    sandbox: &Sandbox,
    method: Method,
    headers: &HeaderMap,
    call: Result<Call, &'static str>,
) -> Response {
    let parsed = call.map(|call| {
        let document =
            async_graphql::parser::parse_query(call.query.as_deref().unwrap_or_default());
        (call, document)
    });
    let operation = match &parsed {
        Ok((call, Ok(document))) => Operation::of(document, call.operation_name.as_deref()),
        _ => None,
    };
    let root_fields = operation
        .iter()
        .flat_map(|o| o.root_fields.iter().map(String::as_str));
    sandbox.inner.calls.record(root_fields);

    if let Some(fault) = inject_faults(sandbox).await {
        return fault;
    }
    let (call, document) = match parsed {
        Err(message) => return syntax_error(sandbox, format!("Syntax Error: {message}")),
        Ok((_, Err(e))) => return syntax_error(sandbox, format!("Syntax Error: {e}")),
        Ok((call, Ok(document))) => (call, document),
    };
    let scope = match request_scope(sandbox, headers) {
        Ok(scope) => Arc::new(scope),
        Err(refusal) => {
            return early_error(sandbox, refusal.store, refusal.category, &refusal.message);
        }
    };
    let is_mutation = operation
        .as_ref()
        .is_some_and(|o| o.ty == OperationType::Mutation);
    if method == Method::Get && is_mutation {
        let message = "Mutation requests allowed only for POST requests";
        return early_error(sandbox, Some(scope.store), Category::Input, message);
    }

    let mut request = async_graphql::Request::new(call.query.unwrap_or_default())
        .variables(Variables::from_json(call.variables.unwrap_or_default()))
        .data(Arc::clone(&scope));
    if let Some(name) = call.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    request.set_parsed_query(document);
    let mut response = sandbox.inner.schema.execute(request).await;
    for error in &mut response.errors {
        categorise(error);
    }
    let cacheable = method == Method::Get
        && operation.is_some_and(|o| o.is_cacheable())
        && scope.customer.is_none()
        && response.errors.is_empty();
    respond(sandbox, &scope, &response, cacheable)
}

/// The operation a request runs.
struct Operation {
    ty: OperationType,
    /// Distinct root field names, `__typename` excluded.
    root_fields: Vec<String>,
}

impl Operation {
    /// The operation `name` selects; `None` when the document does not say which one to run.
    fn of(document: &ExecutableDocument, name: Option<&str>) -> Option<Operation> {
        let op: &OperationDefinition = match (&document.operations, name.filter(|n| !n.is_empty()))
        {
            (DocumentOperations::Single(op), _) => &op.node,
            (DocumentOperations::Multiple(ops), Some(name)) => &ops.get(name)?.node,
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                &ops.values().next()?.node
            }
            (DocumentOperations::Multiple(_), None) => return None,
        };
        let mut root_fields = Vec::new();
        let mut visited = HashSet::new();
        collect_root_fields(
            document,
            &op.selection_set.node,
            &mut root_fields,
            &mut visited,
        );
        Some(Operation {
            ty: op.ty,
            root_fields,
        })
    }

    /// A query whose every root field Commerce caches.
    fn is_cacheable(&self) -> bool {
        self.ty == OperationType::Query
            && !self.root_fields.is_empty()
            && self
                .root_fields
                .iter()
                .all(|f| CACHEABLE_ROOT_FIELDS.contains(&f.as_str()))
    }
}

fn collect_root_fields<'d>(
    document: &'d ExecutableDocument,
    selection: &'d SelectionSet,
    fields: &mut Vec<String>,
    visited: &mut HashSet<&'d str>,
) {
    for item in &selection.items {
        match &item.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if name != "__typename" && !fields.iter().any(|f| f == name) {
                    fields.push(name.to_owned());
                }
            }
            Selection::InlineFragment(fragment) => {
                collect_root_fields(document, &fragment.node.selection_set.node, fields, visited);
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if visited.insert(name)
                    && let Some(fragment) = document.fragments.get(name)
                {
                    collect_root_fields(
                        document,
                        &fragment.node.selection_set.node,
                        fields,
                        visited,
                    );
                }
            }
        }
    }
}

/// A request a validator refuses before execution.
struct Refusal {
    /// The store view, when the `Store` header was valid.
    store: Option<usize>,
    category: Category,
    message: String,
}

/// Commerce's request validators, in order: the `Store` header, the `Content-Currency` header,
/// the bearer token.
fn request_scope(sandbox: &Sandbox, headers: &HeaderMap) -> Result<RequestScope, Refusal> {
    let data = &sandbox.inner.data;
    let refuse = |store, category, message: &str| Refusal {
        store,
        category,
        message: message.to_owned(),
    };
    let store = data
        .stores
        .position(header_str(headers, "store"))
        .ok_or_else(|| refuse(None, Category::Input, "Requested store is not found"))?;
    let currency = data.stores.all()[store]
        .display_currency(header_str(headers, "content-currency"))
        .ok_or_else(|| {
            refuse(
                Some(store),
                Category::Input,
                "Please correct the target currency",
            )
        })?;
    let Some(token) = bearer_token(headers) else {
        return Ok(RequestScope::new(store, currency, None));
    };
    match data.customers.verify_token(token) {
        Ok(customer) => Ok(RequestScope::new(
            store,
            currency,
            Some((customer.id, customer.group)),
        )),
        Err(e) => match data.admins.identify(token) {
            Some(caller) => Ok(RequestScope::new(store, currency, None).with_back_office(caller)),
            None => Err(refuse(
                Some(store),
                Category::Authentication,
                &e.to_string(),
            )),
        },
    }
}

/// The HTTP answer to an executed operation: Commerce's status for its errors, its cache
/// identity, and public cache headers with the entities' tags when it is cacheable (Commerce
/// does not cache a response that tagged nothing).
fn respond(
    sandbox: &Sandbox,
    scope: &RequestScope,
    response: &async_graphql::Response,
    cacheable: bool,
) -> Response {
    let inner = &sandbox.inner;
    let status = http_status(response.errors.iter().map(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("category"))
            .map(|c| match c {
                async_graphql::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    }));
    let body = if response.errors.is_empty() {
        serde_json::to_vec(response)
    } else {
        serde_json::to_value(response).and_then(|mut body| {
            null_failed_fields(&mut body);
            serde_json::to_vec(&body)
        })
    }
    .unwrap_or_else(|_| br#"{"errors":[{"message":"Internal error"}]}"#.to_vec());
    let mut http = json_response(status, body);
    let headers = http.headers_mut();
    insert(
        headers,
        CACHE_ID_HEADER,
        &scope.cache_id(inner.data.store(scope), &inner.salt),
    );
    let tags = scope.tags();
    if cacheable && !tags.is_empty() {
        let ttl = inner.cache_ttl.as_secs();
        insert(
            headers,
            header::CACHE_CONTROL.as_str(),
            &format!("max-age={ttl}, public, s-maxage={ttl}"),
        );
        insert(headers, header::PRAGMA.as_str(), "cache");
        insert(headers, TAGS_HEADER, &tags.join(","));
    } else {
        insert(headers, header::CACHE_CONTROL.as_str(), NO_CACHE);
        insert(headers, header::PRAGMA.as_str(), "no-cache");
    }
    http
}

/// Puts `null` where a field failed: async-graphql leaves a failed nullable field out of
/// `data` (and answers `"data": null` when every root field failed), while the GraphQL spec and
/// Commerce answer the key with `null` beside its error — `{"data": {"customer": null}}` for a
/// guest. Only a failed non-null root field (`customerCart: Cart!`) nulls `data` itself.
fn null_failed_fields(body: &mut serde_json::Value) {
    let paths: Vec<Vec<serde_json::Value>> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["path"].as_array().cloned())
                .collect()
        })
        .unwrap_or_default();
    let root_field =
        |path: &Vec<serde_json::Value>| path.first().and_then(|s| s.as_str().map(str::to_owned));
    let roots: Vec<String> = paths.iter().filter_map(root_field).collect();
    if body["data"].is_null()
        && !roots.is_empty()
        && !roots
            .iter()
            .any(|r| crate::schema::is_non_null_root_field(r))
    {
        body["data"] = serde_json::Value::Object(serde_json::Map::new());
    }
    for path in paths {
        let mut at = &mut body["data"];
        for segment in &path {
            let next = match (at, segment) {
                (serde_json::Value::Object(map), serde_json::Value::String(key)) => {
                    map.entry(key.clone()).or_insert(serde_json::Value::Null)
                }
                (serde_json::Value::Array(items), serde_json::Value::Number(n)) => {
                    match n.as_u64().and_then(|i| items.get_mut(i as usize)) {
                        Some(item) => item,
                        None => break,
                    }
                }
                _ => break,
            };
            at = next;
        }
    }
}

/// Latency, injected errors and `down`; `Some` when the call is answered by the fault.
pub(crate) async fn inject_faults(sandbox: &Sandbox) -> Option<Response> {
    let draw = sandbox.faults().draw(&sandbox.inner.rng);
    if !draw.delay.is_zero() {
        tokio::time::sleep(draw.delay).await;
    }
    draw.failure.map(|failure| match failure {
        Failure::Down => html_response(StatusCode::SERVICE_UNAVAILABLE, BACKEND_DOWN),
        Failure::Unavailable => html_response(StatusCode::SERVICE_UNAVAILABLE, PROXY_UNAVAILABLE),
        Failure::Internal => html_response(StatusCode::INTERNAL_SERVER_ERROR, PROXY_INTERNAL_ERROR),
        Failure::Database => json_response(500, DATABASE_ERROR.as_bytes().to_vec()),
    })
}

/// What Commerce in developer mode answers when MySQL is unreachable: the driver's message with
/// the database host, category `internal`, and the debug detail.
const DATABASE_ERROR: &str = r#"{"errors":[{"message":"SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo for db-primary.prod.internal failed: Name or service not known","extensions":{"category":"internal"},"debugMessage":"Zend_Db_Adapter_Exception at /var/www/html/vendor/magento/framework/DB/Adapter/Pdo/Mysql.php:426","trace":[{"file":"/var/www/html/vendor/magento/framework/DB/Adapter/Pdo/Mysql.php","line":426}]}],"data":null}"#;

const BACKEND_DOWN: &str = "<!DOCTYPE html>\n<html><head><title>503 Backend fetch failed</title></head><body>\
<h1>Error 503 Backend fetch failed</h1><p>Backend fetch failed</p><h3>Guru Meditation:</h3><p>XID: 32770</p>\
<hr><p>Varnish cache server</p></body></html>\n";
pub(crate) const PROXY_UNAVAILABLE: &str = "<html><head><title>503 Service Temporarily Unavailable</title></head><body>\
<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>\n";
const PROXY_INTERNAL_ERROR: &str = "<html><head><title>500 Internal Server Error</title></head><body>\
<center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>\n";

pub(crate) fn html_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    response
}

fn json_response(status: u16, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// Commerce's 400 for an unreadable request or document.
fn syntax_error(sandbox: &Sandbox, message: String) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "category": Category::Graphql.as_str() } }] });
    guest_error(sandbox, None, 400, body)
}

/// An error a request validator raises before execution, with Commerce's status for its category.
fn early_error(
    sandbox: &Sandbox,
    store: Option<usize>,
    category: Category,
    message: &str,
) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "category": category.as_str() } }] });
    let status = match category {
        Category::Authentication => 401,
        Category::Authorization => 403,
        _ => 200,
    };
    guest_error(sandbox, store, status, body)
}

fn guest_error(
    sandbox: &Sandbox,
    store: Option<usize>,
    status: u16,
    body: serde_json::Value,
) -> Response {
    let stores = sandbox.inner.data.stores.all();
    let mut response = json_response(status, serde_json::to_vec(&body).unwrap_or_default());
    let headers = response.headers_mut();
    if let Some(store) = stores.get(store.unwrap_or(0)) {
        let id = cache_id(
            store.default_display_currency,
            crate::customers::CustomerGroup::NotLoggedIn,
            false,
            store.code,
            &sandbox.inner.salt,
        );
        insert(headers, CACHE_ID_HEADER, &id);
    }
    insert(headers, header::CACHE_CONTROL.as_str(), NO_CACHE);
    insert(headers, header::PRAGMA.as_str(), "no-cache");
    response
}

/// Gives a resolver error the path its resolver recorded, and errors without a Commerce
/// category (syntax, validation) webonyx's `graphql`.
fn categorise(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if let Some(async_graphql::Value::List(path)) = extensions.get(PATH_EXTENSION) {
        if error.path.is_empty() {
            error.path = path
                .iter()
                .filter_map(|segment| match segment {
                    async_graphql::Value::String(name) => Some(PathSegment::Field(name.clone())),
                    async_graphql::Value::Number(n) => {
                        n.as_u64().map(|i| PathSegment::Index(i as usize))
                    }
                    _ => None,
                })
                .collect();
        }
        extensions.unset(PATH_EXTENSION);
    }
    if extensions.get("category").is_none() {
        extensions.set("category", Category::Graphql.as_str());
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The token of an `Authorization: Bearer <token>` header; other schemes are ignored, as
/// Commerce ignores them.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, "authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}
