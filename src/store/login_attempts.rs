//! The pre-login state of an OIDC login, between `/auth/login` and `/auth/callback`. Keyed by
//! the SHA-256 of the pre-login cookie's id; the PKCE verifier is sealed. [`LoginAttempts::take`]
//! is single-use and atomic (`DELETE … RETURNING`): of two callbacks racing with the same
//! cookie, one gets the attempt and the other nothing, so a replayed callback finds nothing.

use secrecy::{ExposeSecret, SecretString};
use sqlx::Row;

use super::{OpaqueId, Store, StoreError, on_pool};

/// The id the pre-login cookie carries.
pub type LoginAttemptId = OpaqueId;

/// One login in progress. Times are Unix seconds.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The configured OpenID Provider's name.
    pub provider: String,
    /// The `state` sent to the provider, compared at the callback.
    pub state: String,
    /// The `nonce` sent to the provider, expected in the id_token.
    pub nonce: String,
    /// The PKCE code verifier for the token exchange.
    pub pkce_verifier: SecretString,
    /// Where the shopper goes after the login (already checked against the allowlist).
    pub return_to: String,
    /// The guest cart to merge into the customer's cart.
    pub guest_cart_id: Option<String>,
    pub created_at: i64,
    /// The attempt is void from then on.
    pub expires_at: i64,
}

/// The login_attempts table.
pub struct LoginAttempts<'a> {
    store: &'a Store,
}

fn context(id_hash: &[u8; 32]) -> Vec<u8> {
    let mut context = id_hash.to_vec();
    context.extend_from_slice(b"/pkce_verifier");
    context
}

impl<'a> LoginAttempts<'a> {
    pub(super) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Stores a new attempt under `id`.
    pub async fn insert(
        &self,
        id: &LoginAttemptId,
        attempt: &LoginAttempt,
    ) -> Result<(), StoreError> {
        let hash = id.hash();
        let verifier = self.store.sealer().seal(
            attempt.pkce_verifier.expose_secret().as_bytes(),
            &context(&hash),
        )?;
        let sql = "INSERT INTO login_attempts (id_hash, provider, state, nonce, \
                   pkce_verifier_sealed, return_to, guest_cart_id, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_pool!(self.store, pool => {
            sqlx::query(sql)
                .bind(&hash[..])
                .bind(&attempt.provider)
                .bind(&attempt.state)
                .bind(&attempt.nonce)
                .bind(&verifier)
                .bind(&attempt.return_to)
                .bind(&attempt.guest_cart_id)
                .bind(attempt.created_at)
                .bind(attempt.expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Removes and returns the attempt under `id`: once only. An expired attempt is removed too
    /// and answers `None`, as does one whose verifier does not open with this key.
    pub async fn take(
        &self,
        id: &LoginAttemptId,
        now: i64,
    ) -> Result<Option<LoginAttempt>, StoreError> {
        let hash = id.hash();
        let sql = "DELETE FROM login_attempts WHERE id_hash = $1 RETURNING provider, state, \
                   nonce, pkce_verifier_sealed, return_to, guest_cart_id, created_at, expires_at";
        let sealer = self.store.sealer();
        let attempt = on_pool!(self.store, pool => {
            let Some(row) = sqlx::query(sql).bind(&hash[..]).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let sealed: Vec<u8> = row.try_get("pkce_verifier_sealed")?;
            let Some(pkce_verifier) = sealer.open_secret(&sealed, &context(&hash)) else {
                tracing::warn!("a login attempt's PKCE verifier does not open with this sealing key: refused");
                return Ok(None);
            };
            LoginAttempt {
                provider: row.try_get("provider")?,
                state: row.try_get("state")?,
                nonce: row.try_get("nonce")?,
                pkce_verifier,
                return_to: row.try_get("return_to")?,
                guest_cart_id: row.try_get("guest_cart_id")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
            }
        });
        Ok((now < attempt.expires_at).then_some(attempt))
    }

    /// Rows stored, expired or not (for tests and metrics).
    pub async fn count(&self) -> Result<i64, StoreError> {
        let n = on_pool!(self.store, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM login_attempts").fetch_one(pool).await?.try_get("n")?
        });
        Ok(n)
    }

    pub(super) async fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        let done = on_pool!(self.store, pool => {
            sqlx::query("DELETE FROM login_attempts WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }
}
