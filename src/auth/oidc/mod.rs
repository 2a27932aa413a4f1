//! OpenID Connect client: the BFF signs a shopper in at a configured OpenID Provider with the
//! authorization code flow (PKCE S256, `state`, `nonce`) and trusts the id_token only after
//! checking its signature and claims itself.
//!
//! * [`registry`]: the providers configured by name (`[auth.providers.<name>]`).
//! * [`fetch`]: the one bounded, redirect-less HTTP client every provider call goes through
//!   (also handed to `oauth2` for the token exchange).
//! * [`discovery`]: the provider's metadata, fetched and cached, checked against the issuer.
//! * [`jwks`]: the provider's signing keys, cached, refetched once (rate-limited) on an
//!   unknown `kid`.
//! * [`id_token`]: signature, algorithm allowlist and claim validation.
//! * [`authorize`]: the authorization request and the code exchange.

mod authorize;
mod discovery;
mod fetch;
mod id_token;
mod jwks;
mod registry;

pub use authorize::{AuthorizationRequest, TokenSet};
pub use discovery::ProviderMetadata;
pub use id_token::VerifiedIdentity;
pub use registry::{OidcProvider, OidcProviders};

/// Authorization-request parameters the BFF sets itself; `extra_params` cannot replace them.
pub const RESERVED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "request",
    "request_uri",
];

/// Why a sign-in at a provider failed. Messages are for logs; clients see only the code
/// ([`OidcError::code`]).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("no OpenID Provider named `{0}` is configured")]
    UnknownProvider(String),
    #[error("the provider could not be reached or answered badly: {0}")]
    Provider(String),
    #[error("the provider's metadata is not acceptable: {0}")]
    Metadata(String),
    #[error("the token exchange failed: {0}")]
    TokenExchange(String),
    #[error("the id_token was refused: {0}")]
    IdToken(#[from] IdTokenRejection),
    #[error("the provider gave no e-mail address for the person")]
    EmailMissing,
    #[error("the provider has not verified the person's e-mail address")]
    EmailUnverified,
}

/// Why an id_token was refused; each one of the attacks the validation exists for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenRejection {
    #[error("not a well-formed JWS: {0}")]
    Malformed(String),
    #[error("algorithm `{0}` is not allowed")]
    Algorithm(String),
    #[error("no signing key with kid `{0}` at the provider")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    Signature,
    #[error("`iss` is not the configured issuer")]
    Issuer,
    #[error("`aud` does not contain the client id")]
    Audience,
    #[error("`azp` is missing or not the client id")]
    AuthorizedParty,
    #[error("the token has expired")]
    Expired,
    #[error("`iat` is in the future or too old")]
    IssuedAt,
    #[error("`nonce` does not match the login attempt")]
    Nonce,
    #[error("a required claim is missing or malformed: {0}")]
    Claims(String),
}

impl OidcError {
    /// The stable `code` a client is shown for this failure (the README's error table).
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::UnknownProvider(_) => "SSO_UNKNOWN_PROVIDER",
            OidcError::Provider(_) | OidcError::Metadata(_) => "SSO_PROVIDER_UNAVAILABLE",
            OidcError::TokenExchange(_) => "SSO_CODE_REJECTED",
            OidcError::IdToken(_) => "SSO_ID_TOKEN_INVALID",
            OidcError::EmailMissing | OidcError::EmailUnverified => "SSO_EMAIL_UNVERIFIED",
        }
    }
}

/// An issuer must be an absolute https URL without query or fragment (http only for
/// localhost, so a local test or demo provider works); otherwise a network attacker could
/// serve the keys.
pub fn check_issuer(issuer: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(issuer.trim()).map_err(|_| format!("`{issuer}` is not a URL"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{issuer}` must not have a query or fragment"));
    }
    check_secure(&url)?;
    Ok(url)
}

/// https, or http to a loopback host.
fn check_secure(url: &reqwest::Url) -> Result<(), String> {
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(format!("`{url}` has no host"));
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!("`{url}` must use https (http only for localhost)")),
    }
}
