//! `/oidc/token` (authorization code → id_token and access token) and `/oidc/userinfo`.

use std::sync::PoisonError;

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::authorize::is_pkce_value;
use super::{CODE_LIFETIME, Identity, TOKEN_LIFETIME, no_store, secrets_match};
use crate::connectors::json;
use crate::{Sandbox, demo};

/// The token request's form (RFC 6749 §4.1.3, RFC 7636 §4.5).
#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    email: &'a str,
    email_verified: bool,
    name: String,
    given_name: &'a str,
    family_name: &'a str,
}

/// An OAuth error answer (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": error, "error_description": description });
    let mut response = no_store(json(status, &body));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oidc\""),
        );
    }
    response
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

pub(super) async fn token(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Expected an application/x-www-form-urlencoded body.",
        );
    };
    if let Err(refusal) = authenticate_client(&headers, &form) {
        return refusal.response();
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only authorization_code is supported.",
        );
    }
    let provider = &sandbox.inner.oidc;
    let code = form.code.as_deref().unwrap_or_default();
    let (identity, nonce, scope) = {
        let mut codes = provider
            .codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(grant) = codes
            .get_mut(code)
            .filter(|g| g.issued.elapsed() < CODE_LIFETIME)
        else {
            return invalid_grant("The code is unknown or expired.");
        };
        // A replayed code: refuse it and revoke what it bought (RFC 6749 §4.1.2).
        if let Some(access_token) = &grant.redeemed_with {
            provider.revoke_access_token(access_token);
            return invalid_grant("The code was already used.");
        }
        // The code is spent whatever happens next, so a guessed verifier gets one try.
        grant.redeemed_with = Some(String::new());
        if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
            return invalid_grant("redirect_uri differs from the authorization request's.");
        }
        let verifier = form.code_verifier.as_deref().unwrap_or_default();
        if !is_pkce_value(verifier) || pkce_s256(verifier) != grant.code_challenge {
            return invalid_grant("The code_verifier does not match the code_challenge.");
        }
        (
            grant.identity.clone(),
            grant.nonce.clone(),
            grant.scope.clone(),
        )
    };
    let Some(access_token) = provider.issue_access_token(identity.clone()) else {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "Too many tokens outstanding.",
        );
    };
    if let Some(grant) = provider
        .codes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_mut(code)
    {
        grant.redeemed_with = Some(access_token.clone());
    }
    let issuer = sandbox.oidc_issuer();
    let now = crate::clock::now();
    let claims = IdTokenClaims {
        iss: &issuer,
        sub: &identity.subject,
        aud: demo::OIDC_CLIENT_ID,
        azp: demo::OIDC_CLIENT_ID,
        exp: now + TOKEN_LIFETIME.as_secs(),
        iat: now,
        auth_time: now,
        nonce: nonce.as_deref(),
        email: &identity.email,
        email_verified: identity.email_verified,
        name: identity.name(),
        given_name: &identity.given_name,
        family_name: &identity.family_name,
    };
    let Ok(id_token) = provider.keys.sign(&claims) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The id_token could not be signed.",
        );
    };
    let body = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "id_token": id_token,
        "scope": scope,
    });
    no_store(json(StatusCode::OK, &body))
}

/// Why the client is not authenticated.
enum ClientRefusal {
    /// Both a Basic header and a `client_secret` were sent.
    TwoMethods,
    /// No, or wrong, credentials.
    Failed,
}

impl ClientRefusal {
    fn response(self) -> Response {
        match self {
            ClientRefusal::TwoMethods => oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Use one client authentication method, not two.",
            ),
            ClientRefusal::Failed => oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed.",
            ),
        }
    }
}

/// `client_secret_basic` or `client_secret_post`, exactly one of them (RFC 6749 §2.3.1).
fn authenticate_client(headers: &HeaderMap, form: &TokenForm) -> Result<(), ClientRefusal> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let (id, secret) = match (basic, &form.client_secret) {
        (Some(_), Some(_)) => return Err(ClientRefusal::TwoMethods),
        (Some(credentials), None) => basic_credentials(credentials).ok_or(ClientRefusal::Failed)?,
        (None, Some(secret)) => (form.client_id.clone().unwrap_or_default(), secret.clone()),
        (None, None) => return Err(ClientRefusal::Failed),
    };
    let same_client = form.client_id.as_deref().is_none_or(|named| named == id);
    if id == demo::OIDC_CLIENT_ID
        && same_client
        && secrets_match(secret.as_bytes(), demo::OIDC_CLIENT_SECRET.as_bytes())
    {
        Ok(())
    } else {
        Err(ClientRefusal::Failed)
    }
}

/// `id:secret` of a Basic header, each form-urlencoded as RFC 6749 §2.3.1 asks.
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space, `%XX` a byte).
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `BASE64URL(SHA256(verifier))` (RFC 7636 §4.6).
pub(super) fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `/oidc/userinfo` (OpenID Connect Core §5.3): the claims of the access token's person.
pub(super) async fn userinfo(State(sandbox): State<Sandbox>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let identity = token.and_then(|t| sandbox.inner.oidc.identity_of_access_token(t));
    let Some(identity) = identity else {
        let body = serde_json::json!({ "error": "invalid_token" });
        let mut response = json(StatusCode::UNAUTHORIZED, &body);
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return response;
    };
    no_store(json(StatusCode::OK, &userinfo_claims(&identity)))
}

fn userinfo_claims(identity: &Identity) -> serde_json::Value {
    serde_json::json!({
        "sub": identity.subject,
        "email": identity.email,
        "email_verified": identity.email_verified,
        "name": identity.name(),
        "given_name": identity.given_name,
        "family_name": identity.family_name,
    })
}
