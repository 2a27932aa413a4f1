//! Errors the BFF answers itself: the catalogue of `extensions.code` values (documented in the
//! README, a test holds the two together) and the one renderer every route uses
//! (`impl IntoResponse for GatewayError`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One entry of the catalogue: the code, the HTTP status it is answered with, and its meaning.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub code: &'static str,
    pub status: u16,
    pub meaning: &'static str,
}

/// Declares each code as a constant and lists them all in [`code::ALL`].
macro_rules! catalogue {
    ($($(#[doc = $doc:literal])+ $name:ident = $status:literal;)+) => {
        $($(#[doc = $doc])+ pub const $name: &str = stringify!($name);)+
        /// Every code above, with its status and meaning.
        pub const ALL: &[super::Code] = &[$(super::Code {
            code: stringify!($name),
            status: $status,
            meaning: concat!($($doc),+),
        }),+];
    };
}

/// Every `extensions.code` the BFF itself answers with. Commerce's own errors carry Commerce's
/// `extensions.category` instead (and no code), except those masked as `INTERNAL_SERVER_ERROR`.
pub mod code {
    catalogue! {
        /// The HTTP request is malformed: not JSON, no `query`, `variables` not an object, an unknown operation name, a batch of the wrong size.
        BAD_REQUEST = 400;
        /// `POST /graphql` without `Content-Type: application/json` (or a preflight-forcing header).
        UNSUPPORTED_MEDIA_TYPE = 415;
        /// The request body is larger than `server.body_limit_bytes`.
        PAYLOAD_TOO_LARGE = 413;
        /// A mutation sent as `GET`.
        METHOD_NOT_ALLOWED = 405;
        /// A `POST` from a browser page whose origin is neither this one nor in `server.cors_allowed_origins`, or marked `Sec-Fetch-Site: cross-site` by the browser.
        FORBIDDEN_ORIGIN = 403;
        /// A request carrying the session cookie (and no `Authorization`) from a page whose `Origin` (or `Referer`) is neither this BFF's origin nor in `server.cors_allowed_origins`, or a `POST` with neither header (CSRF).
        SESSION_ORIGIN_REFUSED = 403;
        /// The document is not valid GraphQL syntax (answered in a 200 GraphQL response).
        GRAPHQL_PARSE_FAILED = 200;
        /// The document does not validate against the schema (answered in a 200 GraphQL response).
        GRAPHQL_VALIDATION_FAILED = 200;
        /// `__schema` / `__type` while introspection is off (the production default).
        INTROSPECTION_DISABLED = 200;
        /// More lexical tokens than `graphql.max_tokens`.
        TOO_MANY_TOKENS = 400;
        /// Selections nested deeper than `graphql.max_depth`.
        QUERY_TOO_DEEP = 400;
        /// More aliased fields than `graphql.max_aliases`.
        TOO_MANY_ALIASES = 400;
        /// More root fields than `graphql.max_root_fields`.
        TOO_MANY_ROOT_FIELDS = 400;
        /// Brackets in the document, or fragment spreads in a chain, nested deeper than `graphql.max_nesting` (refused before parsing).
        NESTING_TOO_DEEP = 400;
        /// JSON `variables` nested deeper than `graphql.max_nesting` (refused before decoding).
        VARIABLES_TOO_DEEP = 400;
        /// A sensitive mutation (sign-in, password, account, e-mail, coupon: `rate_limits.sensitive_mutations`) selected more than once in one operation.
        SENSITIVE_MUTATION_REPEATED = 400;
        /// More than one operation of a batch holds a sensitive mutation.
        SENSITIVE_MUTATION_BATCHED = 400;
        /// A `pageSize` above `query_cost.max_page_size` (refused, not capped).
        PAGE_SIZE_TOO_LARGE = 400;
        /// The operation (or a batch as a whole) costs more than `query_cost.max_cost`.
        COST_LIMIT_EXCEEDED = 400;
        /// More directives at one location than `query_cost.max_directives_per_field`.
        TOO_MANY_DIRECTIVES = 400;
        /// A non-repeatable directive twice at one location.
        DUPLICATE_DIRECTIVE = 400;
        /// The client IP, customer token or account is over its rate (`[rate_limits]`); `Retry-After` says when to come back.
        RATE_LIMITED = 429;
        /// More `/graphql` requests in flight than `server.max_in_flight_requests`; `Retry-After` says when to come back.
        OVERLOADED = 503;
        /// The inventory connector failed: `live_stock` is `null`, the rest of the answer intact.
        INVENTORY_UNAVAILABLE = 200;
        /// The CPQ connector failed: `contract_price` is `null`, the rest of the answer intact.
        PRICING_UNAVAILABLE = 200;
        /// Commerce could not be reached or answered something that is not GraphQL.
        UPSTREAM_UNAVAILABLE = 502;
        /// A failure inside the BFF, or a Commerce error that is not meant for clients (category `internal` or unknown); the message carries the request id, the detail is in the log.
        INTERNAL_SERVER_ERROR = 500;
        /// No such route (also the cache hook while no secret is configured).
        NOT_FOUND = 404;
        /// A bearer secret is missing or wrong: the cache hook's (`hooks.commerce_secret`) or the job admin endpoint's (`jobs.admin_token`).
        UNAUTHENTICATED = 401;
        /// `GET /admin/jobs…`: the state store holding the job runs could not be read.
        STORE_UNAVAILABLE = 503;
        /// `/auth/*` while no OpenID Provider or no Commerce admin credentials are configured.
        SSO_NOT_CONFIGURED = 404;
        /// `/auth/login?provider=` names no configured provider.
        SSO_UNKNOWN_PROVIDER = 400;
        /// `return_to` is neither a relative path nor under `auth.return_to_origins` and `auth.return_to_paths` (never followed: no open redirect).
        SSO_RETURN_TO_REFUSED = 400;
        /// `/auth/callback` without the pre-login cookie: the login was not started in this browser (login CSRF).
        SSO_LOGIN_NOT_STARTED = 400;
        /// The login attempt is unknown, already used (a replayed callback) or older than `auth.login_attempt_max_age_secs`.
        SSO_LOGIN_EXPIRED = 400;
        /// `state` is missing or not the login attempt's.
        SSO_STATE_MISMATCH = 400;
        /// The provider answered the callback with an error (e.g. the person cancelled), or from another issuer (RFC 9207 `iss`).
        SSO_PROVIDER_DENIED = 400;
        /// The provider refused the authorization code (replayed, expired, or not issued for this login's PKCE verifier).
        SSO_CODE_REJECTED = 400;
        /// The id_token failed validation: signature, algorithm, key, `iss`, `aud`, `azp`, `exp`, `iat` or `nonce`.
        SSO_ID_TOKEN_INVALID = 400;
        /// The provider gave no e-mail address or has not verified it; the Commerce customer is found by e-mail.
        SSO_EMAIL_UNVERIFIED = 403;
        /// The CRM refused the person (e.g. a blocked company user): no Commerce account, no session.
        SSO_PERSON_BLOCKED = 403;
        /// The CRM could not be asked about the person; the login fails closed.
        SSO_CRM_UNAVAILABLE = 503;
        /// The OpenID Provider could not be reached or its metadata is not acceptable (issuer mismatch, plain http).
        SSO_PROVIDER_UNAVAILABLE = 502;
    }
}

/// A request the gateway refuses or cannot complete. Messages are safe for clients: they never
/// name upstream hosts or carry upstream detail (that goes to the log).
#[derive(Debug, Clone)]
pub struct GatewayError {
    pub status: StatusCode,
    pub errors: Vec<Value>,
    /// Seconds after which a refused client may try again (`Retry-After`).
    pub retry_after_secs: Option<u64>,
}

impl GatewayError {
    /// One error with a code from [`code`] (and Commerce's category where one applies).
    pub fn new(
        status: StatusCode,
        code: &str,
        category: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let mut extensions = json!({ "code": code });
        if let Some(category) = category {
            extensions["category"] = Value::from(category);
        }
        Self {
            status,
            errors: vec![json!({ "message": message.into(), "extensions": extensions })],
            retry_after_secs: None,
        }
    }

    /// A document over one of the configured limits.
    pub fn limit(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, Some("graphql"), message)
    }

    /// A malformed HTTP request (not JSON, no query, …).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::BAD_REQUEST, None, message)
    }

    /// Commerce gave no usable answer.
    pub fn upstream_unavailable() -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            code::UPSTREAM_UNAVAILABLE,
            None,
            "Commerce is unavailable; try again shortly.",
        )
    }

    /// A failure inside the BFF, detail in the log only.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code::INTERNAL_SERVER_ERROR,
            None,
            "Internal server error.",
        )
    }

    /// No such route.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            None,
            "No such route.",
        )
    }

    /// Errors from async-graphql's parser or validator, located in the client's document.
    pub fn from_server_errors(code: &str, errors: Vec<async_graphql::ServerError>) -> Self {
        Self {
            status: StatusCode::OK,
            errors: errors
                .into_iter()
                .map(|e| {
                    let mut v = json!({
                        "message": e.message,
                        "extensions": { "code": code, "category": "graphql" },
                    });
                    if !e.locations.is_empty() {
                        v["locations"] = e
                            .locations
                            .iter()
                            .map(|l| json!({ "line": l.line, "column": l.column }))
                            .collect();
                    }
                    v
                })
                .collect(),
            retry_after_secs: None,
        }
    }

    /// The same refusal, telling the client when to try again.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// The response body: `{"errors": [...]}`.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({ "errors": self.errors })).unwrap_or_default()
    }
}

/// The one rendering of a refusal: GraphQL's error shape as JSON, never stored by a cache.
impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("x-cache", HeaderValue::from_static("BYPASS"));
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_names_itself() {
        let mut seen = std::collections::HashSet::new();
        for entry in code::ALL {
            assert!(seen.insert(entry.code), "{} listed twice", entry.code);
            assert!(StatusCode::from_u16(entry.status).is_ok(), "{}", entry.code);
            assert!(!entry.meaning.is_empty(), "{}", entry.code);
        }
        assert_eq!(code::FORBIDDEN_ORIGIN, "FORBIDDEN_ORIGIN");
    }

    #[test]
    fn the_readme_documents_every_code_with_its_status() {
        let readme = include_str!("../../README.md");
        for entry in code::ALL {
            let row = format!("| `{}` | {} |", entry.code, entry.status);
            assert!(
                readme.contains(&row),
                "README.md lacks the row starting `{row}`"
            );
        }
        let documented = readme
            .lines()
            .filter(|l| l.starts_with("| `") && l.contains("` | "))
            .filter_map(|l| l.split('`').nth(1))
            .filter(|c| c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'));
        for code in documented {
            assert!(
                code::ALL.iter().any(|e| e.code == code),
                "README.md documents `{code}`, which the catalogue does not have"
            );
        }
    }
}
