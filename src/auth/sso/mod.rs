//! The single sign-on flow (DESIGN §2.4): `/auth/login` stores a pending login and sends the
//! browser to the provider; `/auth/callback` checks it came back from THAT login (pre-login
//! cookie, single-use attempt, `state`), validates the id_token, asks the CRM about the person,
//! finds or creates the Commerce customer, mints its token, merges the guest cart and starts
//! the session; `/auth/logout` undoes it. Routes are in `src/http/auth.rs`.
//!
//! [`login`], [`callback`], [`logout`]: one file per step. Pending logins and sessions are the
//! store's (`src/store/`, [`crate::auth::Sessions`]); the CRM is `sources/crm`; Commerce is the
//! admin client (`sources/commerce/admin`).

mod callback;
mod login;
mod logout;

use std::sync::Arc;

use crate::auth::oidc::{OidcError, OidcProviders};
use crate::auth::return_to::{ReturnToError, ReturnToPolicy};
use crate::gateway::code;
use crate::sources::commerce::admin::{AdminError, CommerceAdmin};

use crate::auth::Sessions;
use crate::sources::crm::{CrmError, CrmService};
use crate::store::Store;
pub use callback::{CallbackParams, LoginFinished, clear_login_cookie};
pub use login::{LoginParams, LoginStarted};
pub use logout::LoggedOut;

/// The pre-login cookie: binds a pending login to the browser that started it.
pub const LOGIN_COOKIE: &str = "__Host-bff_login";

/// Why a login or logout step failed; [`SsoError::code`] is what the client sees, the rest
/// goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not configured")]
    NotConfigured,
    #[error(transparent)]
    Oidc(#[from] OidcError),
    #[error("return_to refused: {0}")]
    ReturnTo(#[from] ReturnToError),
    #[error("a parameter is invalid: {0}")]
    BadParameter(&'static str),
    #[error("the callback came without the pre-login cookie (login CSRF or another browser)")]
    NotStarted,
    #[error("the login attempt is unknown, used or expired")]
    AttemptExpired,
    #[error("`state` does not match the login attempt")]
    StateMismatch,
    #[error("the provider answered with an error: {0}")]
    ProviderDenied(String),
    #[error("the CRM: {0}")]
    Crm(#[from] CrmError),
    #[error("Commerce: {0}")]
    Commerce(#[from] AdminError),
    #[error("the state store failed: {0}")]
    Store(String),
}

impl SsoError {
    /// The catalogue code (src/gateway/error.rs) a client is shown.
    pub fn code(&self) -> &'static str {
        match self {
            SsoError::NotConfigured => code::SSO_NOT_CONFIGURED,
            SsoError::Oidc(OidcError::UnknownProvider(_)) => code::SSO_UNKNOWN_PROVIDER,
            SsoError::Oidc(OidcError::Provider(_) | OidcError::Metadata(_)) => {
                code::SSO_PROVIDER_UNAVAILABLE
            }
            SsoError::Oidc(OidcError::TokenExchange(_)) => code::SSO_CODE_REJECTED,
            SsoError::Oidc(OidcError::IdToken(_)) => code::SSO_ID_TOKEN_INVALID,
            SsoError::Oidc(OidcError::EmailMissing | OidcError::EmailUnverified) => {
                code::SSO_EMAIL_UNVERIFIED
            }
            SsoError::ReturnTo(_) => code::SSO_RETURN_TO_REFUSED,
            SsoError::BadParameter(_) => code::BAD_REQUEST,
            SsoError::NotStarted => code::SSO_LOGIN_NOT_STARTED,
            SsoError::AttemptExpired => code::SSO_LOGIN_EXPIRED,
            SsoError::StateMismatch => code::SSO_STATE_MISMATCH,
            SsoError::ProviderDenied(_) => code::SSO_PROVIDER_DENIED,
            SsoError::Crm(CrmError::Refused(_) | CrmError::InvalidIdentity(_)) => {
                code::SSO_PERSON_BLOCKED
            }
            SsoError::Crm(CrmError::Unavailable(_)) => code::SSO_CRM_UNAVAILABLE,
            SsoError::Commerce(_) => code::UPSTREAM_UNAVAILABLE,
            SsoError::Store(_) => code::INTERNAL_SERVER_ERROR,
        }
    }

    /// A message safe for the shopper: says what to do, names nothing internal.
    pub fn public_message(&self) -> &'static str {
        match self {
            SsoError::NotConfigured => "Single sign-on is not configured.",
            SsoError::Oidc(OidcError::UnknownProvider(_)) => "Unknown sign-in provider.",
            SsoError::ReturnTo(_) => "The page to return to after sign-in is not allowed.",
            SsoError::BadParameter(_) => "The sign-in request is malformed.",
            SsoError::NotStarted | SsoError::AttemptExpired | SsoError::StateMismatch => {
                "This sign-in link is not valid for this browser or has expired. Please sign in again."
            }
            SsoError::Oidc(OidcError::EmailMissing | OidcError::EmailUnverified) => {
                "Your e-mail address is not verified at the sign-in provider."
            }
            SsoError::Crm(CrmError::Refused(_) | CrmError::InvalidIdentity(_)) => {
                "Your account is not allowed to sign in to this shop."
            }
            SsoError::Oidc(OidcError::Provider(_) | OidcError::Metadata(_))
            | SsoError::Crm(CrmError::Unavailable(_))
            | SsoError::Commerce(_) => {
                "Sign-in is unavailable right now; please try again shortly."
            }
            SsoError::Oidc(_) | SsoError::ProviderDenied(_) => "Sign-in failed. Please try again.",
            SsoError::Store(_) => "Internal server error.",
        }
    }
}

/// Everything the SSO routes share. Cheap to clone.
#[derive(Clone)]
pub struct Sso {
    providers: OidcProviders,
    return_to: ReturnToPolicy,
    admin: Arc<CommerceAdmin>,
    store: Store,
    sessions: Arc<Sessions>,
    crm: Arc<CrmService>,
    attempt_ttl_secs: u64,
    /// Where the provider sends the browser after its own logout.
    post_logout_redirect_uri: String,
}

/// The parts [`Sso::new`] wires together.
pub struct SsoParts {
    pub providers: OidcProviders,
    pub return_to: ReturnToPolicy,
    pub admin: Arc<CommerceAdmin>,
    pub sessions: Arc<Sessions>,
    /// The B2B check (everyone is a consumer while `crm.url` is empty).
    pub crm: Arc<CrmService>,
    pub attempt_ttl_secs: u64,
    /// The BFF's public base URL (`auth.public_base_url` or the listen address).
    pub base_url: String,
}

impl Sso {
    pub fn new(parts: SsoParts) -> Self {
        Self {
            providers: parts.providers,
            return_to: parts.return_to,
            admin: parts.admin,
            store: parts.sessions.store().clone(),
            sessions: parts.sessions,
            crm: parts.crm,
            attempt_ttl_secs: parts.attempt_ttl_secs,
            post_logout_redirect_uri: format!("{}/", parts.base_url.trim_end_matches('/')),
        }
    }

    /// SSO as configured in `[auth]`; `base_url` is the listen address's URL, used when
    /// `auth.public_base_url` is empty.
    pub fn from_config(
        config: &crate::config::Config,
        base_url: &str,
        admin: Arc<CommerceAdmin>,
        sessions: Arc<Sessions>,
        crm: Arc<CrmService>,
    ) -> Result<Self, SsoError> {
        let base_url = if config.auth.public_base_url.trim().is_empty() {
            base_url.to_string()
        } else {
            config.auth.public_base_url.trim().to_string()
        };
        Ok(Self::new(SsoParts {
            providers: OidcProviders::new(&config.auth, &base_url)?,
            return_to: ReturnToPolicy::new(&config.auth),
            admin,
            sessions,
            crm,
            attempt_ttl_secs: config.auth.login_attempt_max_age_secs,
            base_url,
        }))
    }

    pub fn providers(&self) -> &OidcProviders {
        &self.providers
    }
}

/// `name=value` of a cookie in the request's `Cookie` headers.
pub fn request_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}
