//! Identity (DESIGN §2.4): BFF sessions behind an opaque `__Host-` cookie ([`session`]) and
//! the Commerce side of a signed-in shopper — the customer token, minted as an admin
//! ([`CustomerTokenMinter`]) because an SSO shopper has no Commerce password. The OpenID
//! Connect client that starts sessions ([`oidc`]), the allowlist of where a finished login may
//! send the browser ([`return_to`]), and the login/callback/logout flow that ends in a Commerce
//! customer session ([`sso`]) live beside them.

pub mod oidc;
pub mod return_to;
pub mod session;
pub mod sso;

use secrecy::SecretString;

pub use session::{
    ActiveSession, NewSession, SESSION_COOKIE, SessionError, SessionLookup, Sessions,
    is_trusted_origin,
};

/// A Commerce customer token and when Commerce stops accepting it.
#[derive(Debug, Clone)]
pub struct MintedToken {
    pub token: SecretString,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Why no token could be minted. Messages are for the log: never a token or an admin secret.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// Commerce refused: the customer is gone or locked, or the admin credential is wrong.
    #[error("Commerce refused to mint a customer token: {0}")]
    Refused(String),
    /// Commerce could not be reached or answered something unusable.
    #[error("Commerce is unavailable for minting a customer token: {0}")]
    Unavailable(String),
}

/// Mints a Commerce customer token for a customer by e-mail address, without their password
/// (Commerce's `generateCustomerTokenAsAdmin`). Sessions call it to re-mint a token before it
/// expires, so a shopper stays signed in for as long as the BFF session lives.
#[async_trait::async_trait]
pub trait CustomerTokenMinter: Send + Sync {
    async fn mint(&self, email: &str) -> Result<MintedToken, MintError>;
}
