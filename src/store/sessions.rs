//! BFF sessions: what the `__Host-bff_session` cookie points to. The row is keyed by the
//! SHA-256 of the cookie's id and holds the tokens sealed (see `seal.rs`): a database leak gives
//! neither a usable cookie nor a usable token. Expired rows are never returned, even before the
//! purge deletes them.

use secrecy::{ExposeSecret, SecretString};
use sqlx::Row;

use super::{OpaqueId, Store, StoreError, on_pool};

/// The id the session cookie carries.
pub type SessionId = OpaqueId;

/// One signed-in shopper's server-side state. Times are Unix seconds.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The Commerce customer token sent upstream as `Authorization: Bearer`.
    pub customer_token: SecretString,
    /// When Commerce stops accepting `customer_token`.
    pub customer_token_expires_at: i64,
    pub customer_email: String,
    /// The customer's Commerce cart, when known.
    pub cart_id: Option<String>,
    /// The configured OpenID Provider's name the shopper signed in with.
    pub provider: String,
    /// The provider's id_token, for `id_token_hint` at logout.
    pub id_token: Option<SecretString>,
    /// The provider's refresh token, when it issued one.
    pub refresh_token: Option<SecretString>,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The session ends when unused until then (moved forward as it is used).
    pub idle_expires_at: i64,
    /// The session ends then however active.
    pub absolute_expires_at: i64,
}

impl SessionRecord {
    /// Whether the session is still alive at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        now < self.idle_expires_at && now < self.absolute_expires_at
    }
}

/// The sessions table.
pub struct Sessions<'a> {
    store: &'a Store,
}

/// The columns besides the key, in [`SessionRecord`]'s order (a macro, so the SQL stays a
/// `&'static str` sqlx accepts without an audit wrapper).
macro_rules! columns {
    () => {
        "customer_email, provider, cart_id, customer_token_sealed, customer_token_expires_at, \
         id_token_sealed, refresh_token_sealed, created_at, last_seen_at, idle_expires_at, \
         absolute_expires_at"
    };
}

/// The associated data sealing a column of one row: a sealed value opens only there.
fn context(id_hash: &[u8; 32], column: &str) -> Vec<u8> {
    let mut context = Vec::with_capacity(id_hash.len() + 1 + column.len());
    context.extend_from_slice(id_hash);
    context.push(b'/');
    context.extend_from_slice(column.as_bytes());
    context
}

impl<'a> Sessions<'a> {
    pub(super) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    fn seal(&self, hash: &[u8; 32], column: &str, v: &SecretString) -> Result<Vec<u8>, StoreError> {
        self.store
            .sealer()
            .seal(v.expose_secret().as_bytes(), &context(hash, column))
    }

    fn seal_optional(
        &self,
        hash: &[u8; 32],
        column: &str,
        v: Option<&SecretString>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        v.map(|v| self.seal(hash, column, v)).transpose()
    }

    /// Stores a new session under `id`.
    pub async fn insert(&self, id: &SessionId, session: &SessionRecord) -> Result<(), StoreError> {
        let hash = id.hash();
        let token = self.seal(&hash, "customer_token", &session.customer_token)?;
        let id_token = self.seal_optional(&hash, "id_token", session.id_token.as_ref())?;
        let refresh = self.seal_optional(&hash, "refresh_token", session.refresh_token.as_ref())?;
        let sql = concat!(
            "INSERT INTO sessions (id_hash, ",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        on_pool!(self.store, pool => {
            sqlx::query(sql)
                .bind(&hash[..])
                .bind(&session.customer_email)
                .bind(&session.provider)
                .bind(&session.cart_id)
                .bind(&token)
                .bind(session.customer_token_expires_at)
                .bind(&id_token)
                .bind(&refresh)
                .bind(session.created_at)
                .bind(session.last_seen_at)
                .bind(session.idle_expires_at)
                .bind(session.absolute_expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The live session under `id`; `None` when there is none, it expired, or its tokens do not
    /// open with this key (sealed by another key: treated as no session, and logged).
    pub async fn find(
        &self,
        id: &SessionId,
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let hash = id.hash();
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM sessions WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2"
        );
        let sealer = self.store.sealer();
        let open = |sealed: Option<Vec<u8>>, column: &str| -> Result<Option<SecretString>, ()> {
            match sealed {
                None => Ok(None),
                Some(s) => sealer
                    .open_secret(&s, &context(&hash, column))
                    .map(Some)
                    .ok_or(()),
            }
        };
        let record = on_pool!(self.store, pool => {
            let Some(row) = sqlx::query(sql).bind(&hash[..]).bind(now).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let token: Vec<u8> = row.try_get("customer_token_sealed")?;
            let (Ok(Some(customer_token)), Ok(id_token), Ok(refresh_token)) = (
                open(Some(token), "customer_token"),
                open(row.try_get("id_token_sealed")?, "id_token"),
                open(row.try_get("refresh_token_sealed")?, "refresh_token"),
            ) else {
                tracing::warn!("a session's tokens do not open with this sealing key (session.secret changed, or replicas have different keys): treated as signed out");
                return Ok(None);
            };
            SessionRecord {
                customer_token,
                customer_token_expires_at: row.try_get("customer_token_expires_at")?,
                customer_email: row.try_get("customer_email")?,
                cart_id: row.try_get("cart_id")?,
                provider: row.try_get("provider")?,
                id_token,
                refresh_token,
                created_at: row.try_get("created_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
                idle_expires_at: row.try_get("idle_expires_at")?,
                absolute_expires_at: row.try_get("absolute_expires_at")?,
            }
        });
        Ok(Some(record))
    }

    /// Records a use at `now`: the idle expiry moves to `idle_expires_at` (the absolute one never
    /// moves). Returns whether a live session was there.
    pub async fn touch(
        &self,
        id: &SessionId,
        now: i64,
        idle_expires_at: i64,
    ) -> Result<bool, StoreError> {
        let hash = id.hash();
        let sql = "UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 \
                   WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2";
        let done = on_pool!(self.store, pool => {
            sqlx::query(sql).bind(&hash[..]).bind(now).bind(idle_expires_at).execute(pool).await?.rows_affected()
        });
        Ok(done > 0)
    }

    /// Replaces the Commerce customer token (after a re-mint). Returns whether the session was
    /// there.
    pub async fn replace_customer_token(
        &self,
        id: &SessionId,
        token: &SecretString,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let hash = id.hash();
        let sealed = self.seal(&hash, "customer_token", token)?;
        let sql = "UPDATE sessions SET customer_token_sealed = $2, customer_token_expires_at = $3 \
                   WHERE id_hash = $1";
        let done = on_pool!(self.store, pool => {
            sqlx::query(sql).bind(&hash[..]).bind(&sealed).bind(expires_at).execute(pool).await?.rows_affected()
        });
        Ok(done > 0)
    }

    /// Sets (or clears) the customer's cart id. Returns whether the session was there.
    pub async fn set_cart_id(
        &self,
        id: &SessionId,
        cart_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let hash = id.hash();
        let sql = "UPDATE sessions SET cart_id = $2 WHERE id_hash = $1";
        let done = on_pool!(self.store, pool => {
            sqlx::query(sql).bind(&hash[..]).bind(cart_id).execute(pool).await?.rows_affected()
        });
        Ok(done > 0)
    }

    /// Ends the session. Returns whether there was one.
    pub async fn delete(&self, id: &SessionId) -> Result<bool, StoreError> {
        let hash = id.hash();
        let done = on_pool!(self.store, pool => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&hash[..]).execute(pool).await?.rows_affected()
        });
        Ok(done > 0)
    }

    /// Rows stored, expired or not (for tests and metrics).
    pub async fn count(&self) -> Result<i64, StoreError> {
        let n = on_pool!(self.store, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM sessions").fetch_one(pool).await?.try_get("n")?
        });
        Ok(n)
    }

    pub(super) async fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        let sql = "DELETE FROM sessions WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1";
        let done = on_pool!(self.store, pool => {
            sqlx::query(sql).bind(now).execute(pool).await?.rows_affected()
        });
        Ok(done)
    }
}
