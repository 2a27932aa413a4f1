//! A small OpenID Provider on the sandbox's port under `/oidc`, so the BFF's demo (`cargo run`)
//! shows the whole single sign-on loop without an external identity provider. DEMO ONLY: there
//! are no passwords (a login page lists the demo people, any of them can be picked) and the
//! signing key is public (`demo_key`).
//!
//! What it implements, as Entra ID, Okta, Auth0 or Keycloak do for a confidential web client:
//!
//! * discovery at `/oidc/.well-known/openid-configuration`, keys at `/oidc/jwks` (one RS256 key);
//! * `/oidc/authorize`: the authorization code flow only, PKCE `S256` required, `client_id` and
//!   `redirect_uri` checked against the one registered client before anything else (a wrong one
//!   gets an error page, never a redirect); `login_hint` picks the person, otherwise a page lists
//!   them; `prompt=none` without a known hint answers `login_required`; the answer carries `iss`
//!   (RFC 9207);
//! * `/oidc/token`: `client_secret_basic` or `client_secret_post`, the code verifier checked,
//!   codes single-use and valid for [`CODE_LIFETIME`] (a replayed code also revokes the access
//!   token it bought); RS256 id_tokens with `iss`, `sub`, `aud`, `azp`, `exp`, `iat`,
//!   `auth_time`, `nonce`, `email`, `email_verified` and names; no refresh tokens;
//! * `/oidc/userinfo` with the access token; `/oidc/end_session` with `id_token_hint` and a
//!   registered `post_logout_redirect_uri`.
//!
//! The people are the seeded customers (company users included), plus three without a Commerce
//! account: [`demo::BLOCKED_PERSON`] (the CRM refuses them), [`demo::OIDC_NEW_PERSON`] (the BFF
//! creates their account) and [`demo::OIDC_UNVERIFIED_PERSON`] (`email_verified: false`).

mod authorize;
mod demo_key;
mod keys;
mod token;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::connectors::json;
use crate::{Sandbox, demo};

/// How long an authorization code can be redeemed.
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// Lifetime of id_tokens and access tokens.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// Most codes and access tokens held at once; past it the oldest requests are refused
/// (`temporarily_unavailable`) until some expire.
const MAX_GRANTS: usize = 10_000;
/// Most redirect URIs a test or the demo wiring can register.
const MAX_REGISTERED_URIS: usize = 100;

/// A person who can sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub subject: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub email_verified: bool,
}

/// A code on its way to the token endpoint.
struct Grant {
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    scope: String,
    identity: Identity,
    issued: Instant,
    /// Set when redeemed: a second redemption is refused and revokes this access token.
    redeemed_with: Option<String>,
}

/// What an access token stands for at `/userinfo`.
struct AccessGrant {
    identity: Identity,
    expires: Instant,
}

/// The registered demo client, the codes and the access tokens.
pub(crate) struct Provider {
    redirect_uris: RwLock<Vec<String>>,
    post_logout_redirect_uris: RwLock<Vec<String>>,
    codes: Mutex<HashMap<String, Grant>>,
    access_tokens: Mutex<HashMap<String, AccessGrant>>,
    keys: keys::Keys,
}

impl Provider {
    pub fn new(redirect_uris: Vec<String>, post_logout_redirect_uris: Vec<String>) -> Provider {
        Provider {
            redirect_uris: RwLock::new(redirect_uris),
            post_logout_redirect_uris: RwLock::new(post_logout_redirect_uris),
            codes: Mutex::new(HashMap::new()),
            access_tokens: Mutex::new(HashMap::new()),
            keys: keys::Keys::demo(),
        }
    }

    /// Registers one more `redirect_uri` of the demo client (exact match); `false` when the
    /// list is full or the URI is not absolute http(s).
    pub fn register_redirect_uri(&self, uri: &str) -> bool {
        register(&self.redirect_uris, uri)
    }

    pub fn register_post_logout_redirect_uri(&self, uri: &str) -> bool {
        register(&self.post_logout_redirect_uris, uri)
    }

    fn is_redirect_uri(&self, uri: &str) -> bool {
        registered(&self.redirect_uris, uri)
    }

    fn is_post_logout_redirect_uri(&self, uri: &str) -> bool {
        registered(&self.post_logout_redirect_uris, uri)
    }

    /// Stores a grant under a new code; `None` when no randomness or room is left.
    fn issue_code(&self, grant: Grant) -> Option<String> {
        let code = random_token()?;
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        codes.retain(|_, g| g.issued.elapsed() < CODE_LIFETIME);
        if codes.len() >= MAX_GRANTS {
            return None;
        }
        codes.insert(code.clone(), grant);
        Some(code)
    }

    fn issue_access_token(&self, identity: Identity) -> Option<String> {
        let token = random_token()?;
        let mut tokens = self
            .access_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        tokens.retain(|_, t| t.expires > now);
        if tokens.len() >= MAX_GRANTS {
            return None;
        }
        let expires = now + TOKEN_LIFETIME;
        tokens.insert(token.clone(), AccessGrant { identity, expires });
        Some(token)
    }

    fn revoke_access_token(&self, token: &str) {
        let mut tokens = self
            .access_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tokens.remove(token);
    }

    /// Ends every access token of `subject` (the provider's side of a logout).
    fn revoke_subject(&self, subject: &str) {
        let mut tokens = self
            .access_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|_, t| t.identity.subject != subject);
    }

    fn identity_of_access_token(&self, token: &str) -> Option<Identity> {
        let tokens = self
            .access_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tokens
            .get(token)
            .filter(|t| t.expires > Instant::now())
            .map(|t| t.identity.clone())
    }
}

fn register(list: &RwLock<Vec<String>>, uri: &str) -> bool {
    let absolute = uri.starts_with("http://") || uri.starts_with("https://");
    let mut list = list.write().unwrap_or_else(PoisonError::into_inner);
    if !absolute || uri.len() > 2048 || list.len() >= MAX_REGISTERED_URIS {
        return false;
    }
    if !list.iter().any(|u| u == uri) {
        list.push(uri.to_string());
    }
    true
}

fn registered(list: &RwLock<Vec<String>>, uri: &str) -> bool {
    let list = list.read().unwrap_or_else(PoisonError::into_inner);
    list.iter().any(|u| u == uri)
}

/// The routes, to nest under `/oidc`.
pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize::authorize))
        .route("/token", axum::routing::post(token::token))
        .route("/userinfo", get(token::userinfo).post(token::userinfo))
        .route("/end_session", get(authorize::end_session))
}

impl Sandbox {
    /// The provider's issuer: `http://<sandbox>/oidc` (relative `/oidc` before the sandbox is
    /// spawned without a configured base URL).
    pub fn oidc_issuer(&self) -> String {
        let base = self.inner.data.base_url.get().map_or("/", String::as_str);
        format!("{}{}", base.trim_end_matches('/'), demo::OIDC_ISSUER_PATH)
    }

    /// Registers a `redirect_uri` of the demo client (exact match), e.g. the BFF's
    /// `http://127.0.0.1:<port>/auth/callback` once it is bound; `false` when refused (not
    /// absolute http(s), or 100 already registered).
    pub fn register_oidc_redirect_uri(&self, uri: &str) -> bool {
        self.inner.oidc.register_redirect_uri(uri)
    }

    /// Registers a `post_logout_redirect_uri` of the demo client (exact match).
    pub fn register_oidc_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.inner.oidc.register_post_logout_redirect_uri(uri)
    }

    /// The person `email` names: a seeded customer or one of the provider's own people.
    pub(crate) fn oidc_identity(&self, email: &str) -> Option<Identity> {
        let email = email.trim();
        if let Some(customer) = self.inner.data.customers.by_email(email) {
            return Some(identity(
                &customer.email,
                &customer.firstname,
                &customer.lastname,
                true,
            ));
        }
        extra_people()
            .into_iter()
            .find(|p| p.email.eq_ignore_ascii_case(email))
    }

    /// Everyone the login page lists: the named seeded customers, then the provider's own.
    pub(crate) fn oidc_people(&self) -> Vec<Identity> {
        let customers = self.inner.data.customers.all().into_iter();
        customers
            .filter(|c| c.id < crate::customers::FIRST_EXTRA_BUYER_ID)
            .map(|c| identity(&c.email, &c.firstname, &c.lastname, true))
            .chain(extra_people())
            .collect()
    }
}

/// The people the provider knows who have no Commerce account.
fn extra_people() -> [Identity; 3] {
    [
        identity(demo::BLOCKED_PERSON, "Blair", "Locke", true),
        identity(demo::OIDC_NEW_PERSON, "Nora", "Newman", true),
        identity(demo::OIDC_UNVERIFIED_PERSON, "Uma", "Verity", false),
    ]
}

/// An identity whose `sub` is stable and opaque: derived from the e-mail, as a provider's
/// account id would be, never the e-mail itself.
fn identity(email: &str, given_name: &str, family_name: &str, email_verified: bool) -> Identity {
    let digest = Sha256::new()
        .chain_update(b"sandbox oidc subject ")
        .chain_update(email.to_ascii_lowercase().as_bytes())
        .finalize();
    let subject = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    Identity {
        subject,
        email: email.to_string(),
        given_name: given_name.to_string(),
        family_name: family_name.to_string(),
        email_verified,
    }
}

async fn discovery(State(sandbox): State<Sandbox>) -> Response {
    let issuer = sandbox.oidc_issuer();
    let body = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/end_session"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce",
            "email", "email_verified", "name", "given_name", "family_name"
        ],
        "authorization_response_iss_parameter_supported": true,
    });
    no_store(json(StatusCode::OK, &body))
}

async fn jwks(State(sandbox): State<Sandbox>) -> Response {
    json(StatusCode::OK, &sandbox.inner.oidc.keys.jwks())
}

/// 32 random bytes, base64url: codes and access tokens.
fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Tokens and codes must not be stored by caches (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A `302` to `location`.
fn redirect(location: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            no_store(response)
        }
        Err(_) => page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect",
            "The redirect target cannot be sent.",
        ),
    }
}

/// `base` with `pairs` appended to its query, each part percent-encoded.
fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = base.to_string();
    let mut separator = if base.contains('?') { '&' } else { '?' };
    for (name, value) in pairs {
        url.push(separator);
        url.push_str(name);
        url.push('=');
        url.push_str(&encode_component(value));
        separator = '&';
    }
    url
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A small HTML page (`title` and `message` are escaped).
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{m}</p></body></html>",
        t = escape_html(title),
        m = escape_html(message)
    );
    crate::http::html_response(status, body)
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Constant-time equality of two secrets.
fn secrets_match(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests;
