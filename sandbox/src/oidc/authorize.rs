//! `/oidc/authorize` (the login page and the code) and `/oidc/end_session`.

use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Grant, Identity, escape_html, page, redirect, with_query};
use crate::{Sandbox, demo};

/// Longest `state`, `nonce`, `scope` or `login_hint` accepted, in bytes.
const MAX_PARAMETER: usize = 1024;

/// The authorization request's parameters (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core
/// §3.1.2.1). Unknown parameters are ignored, as the specifications require.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
    prompt: Option<String>,
}

pub(super) async fn authorize(
    State(sandbox): State<Sandbox>,
    params: Result<Query<AuthorizeParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The authorization request's query cannot be read.",
        );
    };
    // Without a known client and one of its redirect URIs, an error must not be redirected
    // anywhere (RFC 6749 §4.1.2.1): it would make the provider an open redirector.
    if params.client_id.as_deref() != Some(demo::OIDC_CLIENT_ID) {
        return page(
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "client_id is missing or not registered.",
        );
    }
    let provider = &sandbox.inner.oidc;
    let Some(redirect_uri) = params
        .redirect_uri
        .as_deref()
        .filter(|uri| provider.is_redirect_uri(uri))
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect_uri",
            "redirect_uri is missing or not registered for this client.",
        );
    };
    let issuer = sandbox.oidc_issuer();
    let state = params.state.as_deref().filter(|s| s.len() <= MAX_PARAMETER);
    let refuse = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", &issuer));
        redirect(&with_query(redirect_uri, &pairs))
    };
    if let Some((error, description)) = invalid(&params) {
        return refuse(error, description);
    }
    let person = params
        .login_hint
        .as_deref()
        .and_then(|hint| sandbox.oidc_identity(hint));
    let Some(identity) = person else {
        if params.prompt.as_deref() == Some("none") {
            return refuse("login_required", "Pick a person on the login page.");
        }
        return login_page(&sandbox, &params);
    };
    let grant = Grant {
        redirect_uri: redirect_uri.to_string(),
        code_challenge: params.code_challenge.clone().unwrap_or_default(),
        nonce: params.nonce.clone(),
        scope: params.scope.clone().unwrap_or_default(),
        identity,
        issued: Instant::now(),
        redeemed_with: None,
    };
    let Some(code) = provider.issue_code(grant) else {
        return refuse("temporarily_unavailable", "Too many pending logins.");
    };
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", &issuer));
    redirect(&with_query(redirect_uri, &pairs))
}

/// The first problem of a request from the registered client, as an OAuth error.
fn invalid(params: &AuthorizeParams) -> Option<(&'static str, &'static str)> {
    let too_long = [
        &params.state,
        &params.nonce,
        &params.scope,
        &params.login_hint,
    ]
    .into_iter()
    .flatten()
    .any(|value| value.len() > MAX_PARAMETER);
    if too_long {
        return Some(("invalid_request", "A parameter is too long."));
    }
    if params.response_type.as_deref() != Some("code") {
        return Some((
            "unsupported_response_type",
            "Only the authorization code flow (response_type=code) is supported.",
        ));
    }
    let scope = params.scope.as_deref().unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return Some(("invalid_scope", "The openid scope is required."));
    }
    if params.code_challenge_method.as_deref() != Some("S256") {
        return Some((
            "invalid_request",
            "PKCE is required: code_challenge_method must be S256.",
        ));
    }
    let challenge = params.code_challenge.as_deref().unwrap_or_default();
    if !is_pkce_value(challenge) {
        return Some(("invalid_request", "code_challenge is missing or malformed."));
    }
    None
}

/// 43 to 128 characters of RFC 7636's alphabet (a challenge and a verifier share it).
pub(super) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The people to pick from, each a link to this request with their `login_hint`.
fn login_page(sandbox: &Sandbox, params: &AuthorizeParams) -> Response {
    let fields = [
        ("response_type", &params.response_type),
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("scope", &params.scope),
        ("state", &params.state),
        ("nonce", &params.nonce),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
    ];
    let kept: Vec<(&str, &str)> = fields
        .iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (*name, v)))
        .collect();
    let mut items = String::new();
    for person in sandbox.oidc_people() {
        let mut pairs = kept.clone();
        pairs.push(("login_hint", &person.email));
        let href = with_query("authorize", &pairs);
        items.push_str(&format!(
            "<li><a href=\"{}\">{} {}</a> &lt;{}&gt;{}</li>",
            escape_html(&href),
            escape_html(&person.given_name),
            escape_html(&person.family_name),
            escape_html(&person.email),
            if person.email_verified {
                ""
            } else {
                " (e-mail not verified)"
            },
        ));
    }
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in: sandbox demo provider</title></head>\
         <body><h1>Sign in</h1><p>Demo OpenID Provider of the Commerce sandbox: no passwords, \
         pick a person.</p><ul>{items}</ul></body></html>"
    );
    crate::http::html_response(StatusCode::OK, body)
}

/// RP-initiated logout's parameters (OpenID Connect RP-Initiated Logout 1.0 §2).
#[derive(Debug, Default, Deserialize)]
pub(super) struct EndSessionParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
}

#[derive(Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
}

pub(super) async fn end_session(
    State(sandbox): State<Sandbox>,
    params: Result<Query<EndSessionParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The logout request's query cannot be read.",
        );
    };
    let provider = &sandbox.inner.oidc;
    let issuer = sandbox.oidc_issuer();
    let hint = match params.id_token_hint.as_deref() {
        None => None,
        Some(token) => match provider.keys.read_own::<HintClaims>(token, &issuer) {
            Some(claims) if claims.aud == demo::OIDC_CLIENT_ID => Some(claims),
            _ => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Invalid id_token_hint",
                    "The id_token_hint was not issued by this provider to this client.",
                );
            }
        },
    };
    if params
        .client_id
        .as_deref()
        .is_some_and(|id| id != demo::OIDC_CLIENT_ID)
    {
        return page(
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "client_id is not registered.",
        );
    }
    let client_known = hint.is_some() || params.client_id.is_some();
    if let Some(claims) = &hint {
        provider.revoke_subject(&claims.sub);
    }
    match params.post_logout_redirect_uri.as_deref() {
        None => page(
            StatusCode::OK,
            "Signed out",
            "You are signed out of the sandbox's demo provider.",
        ),
        Some(uri) if client_known && provider.is_post_logout_redirect_uri(uri) => {
            let state = params.state.as_deref().filter(|s| s.len() <= MAX_PARAMETER);
            let pairs: Vec<(&str, &str)> = state.map(|s| ("state", s)).into_iter().collect();
            redirect(&with_query(uri, &pairs))
        }
        Some(_) => page(
            StatusCode::BAD_REQUEST,
            "Invalid post_logout_redirect_uri",
            "post_logout_redirect_uri is not registered for this client, or no client is named.",
        ),
    }
}

impl Identity {
    /// `name` as OpenID Connect's standard claim.
    pub(super) fn name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}
