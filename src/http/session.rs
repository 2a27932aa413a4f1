//! The session cookie on `/graphql`: a request with the cookie and no `Authorization` passes
//! the CSRF origin rule, then goes to Commerce with the session's customer token. A request that
//! sends `Authorization` itself is passed through as before and its cookie ignored. An unknown
//! or expired cookie makes the request a guest's, and the answer clears the cookie; a live
//! session whose token could not be re-minted is a guest's too, but keeps its cookie.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::auth::session::{clear_cookie, has_session_cookie};
use crate::auth::{ActiveSession, SessionLookup, is_trusted_origin};
use crate::gateway::{GatewayError, code};

/// What the cookie gave this request.
#[derive(Default)]
pub(super) struct RequestSession {
    pub(super) active: Option<ActiveSession>,
    /// A cookie came but names no live session: the answer removes it.
    clear_cookie: bool,
}

/// Resolves the request's session, or refuses it (CSRF) before anything runs. `safe_method`:
/// the request is a GET (which cannot run a mutation).
pub(super) async fn session_for(
    state: &AppState,
    headers: &HeaderMap,
    safe_method: bool,
) -> Result<RequestSession, Response> {
    if headers.contains_key(header::AUTHORIZATION) || !has_session_cookie(headers) {
        return Ok(RequestSession::default());
    }
    if !is_trusted_origin(
        headers,
        safe_method,
        &state.config.server.cors_allowed_origins,
    ) {
        return Err(GatewayError::new(
            StatusCode::FORBIDDEN,
            code::SESSION_ORIGIN_REFUSED,
            None,
            "A request with the session cookie must come from this site's pages (Origin).",
        )
        .into_response());
    }
    match state.sessions.lookup(headers).await {
        Ok(SessionLookup::Active(active)) => Ok(RequestSession {
            active: Some(active),
            clear_cookie: false,
        }),
        // Commerce could not re-mint the token: a guest for now, still signed in for later.
        Ok(SessionLookup::TokenExpired | SessionLookup::NoCookie) => Ok(RequestSession::default()),
        Ok(SessionLookup::Unknown) => Ok(RequestSession {
            active: None,
            clear_cookie: true,
        }),
        Err(e) => {
            tracing::error!(error = %e, "the session store failed");
            Err(GatewayError::internal().into_response())
        }
    }
}

impl RequestSession {
    /// Adds what the answer must say about the cookie. An answer that clears it is never
    /// stored by a shared cache (it would hand the `Set-Cookie` to others).
    pub(super) fn finish(&self, mut response: Response) -> Response {
        if self.clear_cookie {
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, clear_cookie());
            headers.insert(
                header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
        }
        response
    }
}
