//! `/auth/login`, `/auth/callback`, `/auth/logout`: the browser side of single sign-on. The
//! flow itself is `crate::auth::sso`; these handlers only read the query and cookies, and turn
//! the outcome into a 302 with cookies or an error in the one error rendering (no detail
//! leaked: the cause goes to the log with the request id).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::auth::sso::{CallbackParams, LoginParams, SsoError, clear_login_cookie};
use crate::gateway::{Caller, GatewayError, code};

/// `GET /auth/login?provider=&return_to=&cart_id=`.
pub(crate) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<LoginParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(sso) = state.sso.as_ref() else {
        return refused(&SsoError::NotConfigured, &[]);
    };
    if let Err(limited) = admit_sign_in(&state, &headers, peer) {
        return limited.into_response();
    }
    let Ok(Query(params)) = query else {
        return refused(&SsoError::BadParameter("query"), &[]);
    };
    match sso.start_login(params).await {
        Ok(started) => {
            let cookies: Vec<HeaderValue> = HeaderValue::from_str(&started.login_cookie)
                .ok()
                .into_iter()
                .collect();
            redirect(&started.location, &cookies)
        }
        Err(e) => refused(&e, &[]),
    }
}

/// `GET /auth/callback?code=&state=` (the provider's redirect).
pub(crate) async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<CallbackParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(sso) = state.sso.as_ref() else {
        return refused(&SsoError::NotConfigured, &[]);
    };
    if let Err(limited) = admit_sign_in(&state, &headers, peer) {
        return limited.into_response();
    }
    let clear = HeaderValue::from_str(&clear_login_cookie()).ok();
    let clear: Vec<HeaderValue> = clear.into_iter().collect();
    let Ok(Query(params)) = query else {
        return refused(&SsoError::BadParameter("query"), &clear);
    };
    match sso.finish_login(&headers, params).await {
        Ok(done) => {
            let mut cookies = clear;
            cookies.push(done.session_cookie);
            redirect(&done.location, &cookies)
        }
        Err(e) => refused(&e, &clear),
    }
}

/// `GET|POST /auth/logout`. Only from the BFF's own pages or a configured storefront origin:
/// another site must not be able to sign a shopper out (logout CSRF).
pub(crate) async fn logout(
    State(state): State<AppState>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    let Some(sso) = state.sso.as_ref() else {
        return refused(&SsoError::NotConfigured, &[]);
    };
    let config = &state.config;
    let allowed: Vec<String> = config
        .server
        .cors_allowed_origins
        .iter()
        .chain(&config.auth.return_to_origins)
        .filter_map(|o| crate::config::normalize_origin(o).ok())
        .collect();
    if !crate::auth::is_trusted_origin(&headers, method == axum::http::Method::GET, &allowed) {
        return GatewayError::new(
            StatusCode::FORBIDDEN,
            code::FORBIDDEN_ORIGIN,
            None,
            "Sign-out is only accepted from this shop's own pages.",
        )
        .into_response();
    }
    match sso.logout(&headers).await {
        Ok(out) => redirect(&out.location, &[out.clear_cookie]),
        Err(e) => refused(&e, &[]),
    }
}

/// The sign-on rate limit per client address (behind trusted proxies, the forwarded client).
fn admit_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<(), GatewayError> {
    let caller = Caller {
        headers: state.forwarded_headers(headers, peer),
        ..Caller::default()
    };
    state.rate_limits.admit_sign_in(&caller)
}

/// A 302 that no cache keeps, with `Set-Cookie`s.
fn redirect(location: &str, cookies: &[HeaderValue]) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        return GatewayError::internal().into_response();
    };
    let mut response = (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
    add_cookies(&mut response, cookies);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The error with its catalogue code; the detail is logged, not sent.
fn refused(error: &SsoError, cookies: &[HeaderValue]) -> Response {
    let code = error.code();
    let status = code::ALL
        .iter()
        .find(|c| c.code == code)
        .and_then(|c| StatusCode::from_u16(c.status).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    if status.is_server_error() {
        tracing::error!(code, error = %error, "SSO step failed");
    } else {
        tracing::warn!(code, error = %error, "SSO step refused");
    }
    let mut response =
        GatewayError::new(status, code, None, error.public_message()).into_response();
    add_cookies(&mut response, cookies);
    response
}

fn add_cookies(response: &mut Response, cookies: &[HeaderValue]) {
    for cookie in cookies {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
}
