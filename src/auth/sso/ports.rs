//! What the SSO flow needs from the rest of the BFF, as traits: the durable login attempts and
//! sessions (`src/store/`). The flow is tested against the real implementations; the traits keep
//! `auth/` independent of how they are stored.

use secrecy::SecretString;

/// The server-side half of a started login, keyed by the random id in the pre-login cookie.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: SecretString,
    /// Where to send the browser afterwards (already checked against the allowlist).
    pub return_to: String,
    /// The guest cart to merge into the customer's cart.
    pub guest_cart_id: Option<String>,
    /// Unix seconds after which the attempt is void.
    pub expires_at: i64,
}

/// Storage of pending logins. `take` is single-use and atomic: a replayed callback finds
/// nothing.
#[async_trait::async_trait]
pub trait PendingLogins: Send + Sync + 'static {
    /// Stores the attempt under a fresh random id (at least 256 bits) and returns the id as
    /// the pre-login cookie's value.
    async fn insert(&self, login: &PendingLogin) -> Result<String, String>;
    /// Removes and returns the attempt the cookie value names, unless missing or expired.
    async fn take(&self, cookie_value: &str) -> Result<Option<PendingLogin>, String>;
}

/// A finished sign-in, ready to become a BFF session.
pub struct SignedIn {
    pub provider: String,
    pub email: String,
    pub customer_token: SecretString,
    /// Unix seconds when Commerce's customer token expires (re-minted before then).
    pub customer_token_expires_at: i64,
    pub cart_id: Option<String>,
    pub id_token: String,
}

/// Starts and ends BFF sessions; the value returned by `start` is the session cookie.
#[async_trait::async_trait]
pub trait SessionIssuer: Send + Sync + 'static {
    /// Stores the session and returns its `Set-Cookie` header value.
    async fn start(&self, signed_in: SignedIn) -> Result<String, String>;
    /// Ends the session the request's cookies name, if any, returning what logout needs and
    /// the `Set-Cookie` value that clears the cookie.
    async fn end(&self, cookies: &axum::http::HeaderMap) -> Result<Option<EndedSession>, String>;
}

/// What is left of an ended session: enough to revoke the Commerce token and to log out at
/// the provider.
pub struct EndedSession {
    pub provider: Option<String>,
    pub customer_token: Option<SecretString>,
    pub id_token: Option<String>,
    /// `Set-Cookie` clearing the session cookie.
    pub clear_cookie: String,
}
