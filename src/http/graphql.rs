//! `/graphql` over HTTP: the transport rules (JSON only, no POST from another site's page, no
//! mutation over GET, bounded bodies and batches) and the mapping of gateway answers to HTTP
//! responses and cache headers.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};

use super::AppState;
use super::playground;
use super::session::{RequestSession, session_for};
use crate::cache::{StoredResponse, surrogate_key};
use crate::gateway::{
    Answer, CacheStatus, Cacheability, Caller, GatewayError, GatewayResponse, GraphqlRequest,
    check_variables_nesting, code,
};
use crate::sources::connector::REQUEST_ID;

/// Headers whose presence forces a CORS preflight, so a request carrying one cannot come from a
/// cross-site form even without a JSON content type.
pub(super) const PREFLIGHT_HEADERS: [&str; 3] = [
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "graphql-require-preflight",
];

const NOT_A_REQUEST: &str =
    "The body is not a GraphQL request: expected JSON with `query`, `variables`, `operationName`.";

/// Answers caches downstream should vary on.
const VARY: &str = "Store, Content-Currency, X-Magento-Cache-Id, X-Adobe-Company, Authorization";

/// Takes the whole request rather than a `HeaderMap` extractor, which would clone the headers.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let headers = std::mem::take(&mut parts.headers);
    // The body limit (`DefaultBodyLimit`) travels in the parts' extensions.
    let body = Bytes::from_request(Request::from_parts(parts, body), &state).await;
    let id = request_id(&headers);
    REQUEST_ID
        .scope(id, post_inner(state, peer, headers, body))
        .await
}

async fn post_inner(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let session = match session_for(&state, &headers, false).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let response = post_answer(&state, peer, &headers, body, &session).await;
    session.finish(response)
}

async fn post_answer(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
    session: &RequestSession,
) -> Response {
    if is_cross_site(headers, &state.config.server.cors_allowed_origins) {
        return GatewayError::new(
            StatusCode::FORBIDDEN,
            code::FORBIDDEN_ORIGIN,
            None,
            "POST /graphql is not accepted from another site's pages.",
        )
        .into_response();
    }
    if !is_json(headers) && !PREFLIGHT_HEADERS.iter().any(|h| headers.contains_key(*h)) {
        return GatewayError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::UNSUPPORTED_MEDIA_TYPE,
            None,
            "POST /graphql takes `Content-Type: application/json`.",
        )
        .into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return GatewayError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::PAYLOAD_TOO_LARGE,
                None,
                format!(
                    "The request body exceeds {} bytes.",
                    state.config.server.body_limit_bytes
                ),
            )
            .into_response();
        }
        Err(_) => {
            return GatewayError::bad_request("The request body could not be read.")
                .into_response();
        }
    };
    let caller = caller(state, headers, peer, false, session);
    let is_batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    // Only `variables` can nest in a request object (the query is a string): bound them before
    // serde_json turns them into values.
    let enclosing = if is_batch { 2 } else { 1 };
    if let Err(e) = check_variables_nesting(&body, enclosing, state.config.graphql.max_nesting) {
        return e.into_response();
    }
    if !is_batch {
        return match serde_json::from_slice::<GraphqlRequest>(&body) {
            Ok(request) => answer(state, request, &caller).await,
            Err(_) => GatewayError::bad_request(NOT_A_REQUEST).into_response(),
        };
    }
    let requests: Vec<GraphqlRequest> = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return GatewayError::bad_request("The body is not a batch of GraphQL requests.")
                .into_response();
        }
    };
    let max = state.config.graphql.max_batch;
    if requests.is_empty() || requests.len() > max {
        return GatewayError::bad_request(format!(
            "A batch holds 1 to {max} operations; this one has {}.",
            requests.len()
        ))
        .into_response();
    }
    if let Err(refused) = state
        .rate_limits
        .admit(&state.gateway, &requests, &caller)
        .await
    {
        return refused.into_response();
    }
    let answers = futures_util::future::join_all(
        requests
            .into_iter()
            .map(|r| state.gateway.execute(r, &caller)),
    )
    .await;
    respond_batch(answers)
}

pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let params = match Query::<HashMap<String, String>>::try_from_uri(&parts.uri) {
        Ok(Query(params)) => params,
        Err(rejection) => return rejection.into_response(),
    };
    let headers = parts.headers;
    let id = request_id(&headers);
    REQUEST_ID
        .scope(id, get_inner(state, peer, headers, params))
        .await
}

/// The id the request-id layer gave this request (a fresh one if none came).
fn request_id(headers: &HeaderMap) -> std::sync::Arc<str> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .into()
}

async fn get_inner(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    mut params: HashMap<String, String>,
) -> Response {
    if state.config.playground_enabled()
        && playground::wants_page(&headers, params.contains_key("query"))
    {
        return playground::page().await;
    }
    if let Some(v) = params.get("variables")
        && let Err(e) = check_variables_nesting(v.as_bytes(), 0, state.config.graphql.max_nesting)
    {
        return e.into_response();
    }
    let variables = match params.get("variables").map(|v| serde_json::from_str(v)) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            return GatewayError::bad_request("`variables` is not valid JSON.").into_response();
        }
    };
    let request = GraphqlRequest {
        query: params.remove("query"),
        variables,
        operation_name: params.remove("operationName").filter(|n| !n.is_empty()),
    };
    let session = match session_for(&state, &headers, true).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let caller = caller(&state, &headers, peer, true, &session);
    let mut response = session.finish(answer(&state, request, &caller).await);
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// Admits one operation (rate limits, sensitive mutations) and answers it.
async fn answer(state: &AppState, request: GraphqlRequest, caller: &Caller) -> Response {
    let admitted = state
        .rate_limits
        .admit(&state.gateway, std::slice::from_ref(&request), caller)
        .await;
    if let Err(refused) = admitted {
        return refused.into_response();
    }
    match state.gateway.answer(request, caller).await {
        Answer::Response(response) => respond(response, &state.public_cache_control),
        Answer::Hit {
            stored,
            cacheability,
        } => respond_hit(&stored, cacheability, &state.public_cache_control),
    }
}

/// The caller as the gateway sees it: the forwarded headers, with the session's Commerce token
/// as `Authorization` when the cookie named a live session (and the client sent none).
fn caller(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    via_get: bool,
    session: &RequestSession,
) -> Caller {
    let mut forwarded = state.forwarded_headers(headers, peer);
    if let Some(active) = &session.active {
        forwarded = forwarded.with_session_token(&active.record.customer_token);
    }
    Caller {
        headers: forwarded,
        via_get,
        report_cost: headers
            .get("x-query-cost")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true")),
    }
}

/// Whether a POST comes from a browser page of another site: an `Origin` that is neither in
/// `allowed` (the CORS allowlist) nor this host's own, or a browser's `Sec-Fetch-Site:
/// cross-site` from an origin not in `allowed`. Clients that are not browsers send neither.
/// Such a page could not read the answer anyway (CORS), but a mutation would still run, with
/// whatever credentials the browser attaches.
fn is_cross_site(headers: &HeaderMap, allowed: &[String]) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| {
        allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(o))
    }) {
        return false;
    }
    let marked_cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same_origin = |origin: &str| {
        origin
            .split_once("://")
            .zip(host)
            .is_some_and(|((_, authority), host)| authority.eq_ignore_ascii_case(host))
    };
    marked_cross_site || origin.is_some_and(|o| !same_origin(o))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json")
                || mime.eq_ignore_ascii_case("application/graphql-response+json")
        })
}

/// `public` is the `Cache-Control` of a public answer (built once from the cache settings).
fn respond(answer: GatewayResponse, public: &HeaderValue) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    set_headers(
        response.headers_mut(),
        public,
        answer.cacheability,
        answer.cache_status,
        answer.cache_id,
        is_public(answer.cacheability)
            .then(|| surrogate_key(&answer.tags))
            .flatten(),
    );
    response
}

/// A response-cache hit: the same headers as [`respond`] gives the answer when it is stored,
/// from the values kept with the entry.
fn respond_hit(
    stored: &StoredResponse,
    cacheability: Cacheability,
    public: &HeaderValue,
) -> Response {
    let mut response = Response::new(Body::from(stored.response.body.clone()));
    set_headers(
        response.headers_mut(),
        public,
        cacheability,
        CacheStatus::Hit,
        stored.response.cache_id.clone(),
        is_public(cacheability)
            .then(|| stored.surrogate_key.clone())
            .flatten(),
    );
    response
}

/// Whether shared caches may keep the answer (and so may purge it by its `Surrogate-Key`).
fn is_public(cacheability: Cacheability) -> bool {
    matches!(
        cacheability,
        Cacheability::Public | Cacheability::PublicFor(_)
    )
}

/// A batch answers with the most restrictive cacheability of its parts, never publicly.
fn respond_batch(answers: Vec<GatewayResponse>) -> Response {
    let mut body = BytesMut::new();
    body.put_u8(b'[');
    for (i, a) in answers.iter().enumerate() {
        if i > 0 {
            body.put_u8(b',');
        }
        body.put_slice(&a.body);
    }
    body.put_u8(b']');
    let private = answers
        .iter()
        .all(|a| a.cacheability != Cacheability::NoStore);
    let mut response = (StatusCode::OK, body.freeze()).into_response();
    set_headers(
        response.headers_mut(),
        &HeaderValue::from_static("no-store"),
        if private {
            Cacheability::Private
        } else {
            Cacheability::NoStore
        },
        CacheStatus::Bypass,
        answers.iter().find_map(|a| a.cache_id.clone()),
        None,
    );
    response
}

fn set_headers(
    headers: &mut HeaderMap,
    public: &HeaderValue,
    cacheability: Cacheability,
    cache_status: CacheStatus,
    cache_id: Option<HeaderValue>,
    surrogate_key: Option<HeaderValue>,
) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let cache_control = match cacheability {
        Cacheability::Public => public.clone(),
        Cacheability::PublicFor(secs) => {
            HeaderValue::from_str(&format!("public, max-age=0, s-maxage={secs}"))
                .unwrap_or_else(|_| HeaderValue::from_static("no-store"))
        }
        Cacheability::Private => HeaderValue::from_static("private, no-cache"),
        Cacheability::NoStore => HeaderValue::from_static("no-store"),
    };
    headers.insert(header::CACHE_CONTROL, cache_control);
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    headers.insert("x-cache", HeaderValue::from_static(cache_status.as_str()));
    if let Some(id) = cache_id {
        headers.insert("x-magento-cache-id", id);
    }
    if let Some(v) = surrogate_key {
        headers.insert("surrogate-key", v);
    }
}
