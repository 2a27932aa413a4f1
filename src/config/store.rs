//! `[store]` (the durable state store) and `[session]` (BFF sessions behind the cookie).

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The durable state store (`src/store/`): SQLite by default, PostgreSQL for several replicas.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `postgres://user:password@host:5432/db` for PostgreSQL; unset or empty: the SQLite file
    /// `<data_dir>/storefront-bff.sqlite3`. It may hold a password: set it as `BFF_STORE__URL`.
    #[serde(skip_serializing)]
    pub url: Option<SecretString>,
    /// Directory of the SQLite file (and of the generated session key when `session.secret` is
    /// unset), created on first start.
    pub data_dir: PathBuf,
    /// PostgreSQL schema the tables live in (every connection's `search_path`); it must exist.
    pub schema: String,
    /// Most open database connections, per BFF process.
    pub max_connections: u32,
    /// How long a request waits for a free connection, in milliseconds.
    pub acquire_timeout_ms: u64,
    /// How often expired sessions and login attempts are deleted, in seconds (reads never
    /// return them even before).
    pub purge_interval_secs: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: None,
            data_dir: PathBuf::from("./data"),
            schema: "public".into(),
            max_connections: 8,
            acquire_timeout_ms: 5_000,
            purge_interval_secs: 300,
        }
    }
}

impl StoreConfig {
    /// The PostgreSQL URL, when one is configured (empty counts as none).
    pub fn postgres_url(&self) -> Option<&str> {
        self.url
            .as_ref()
            .map(|u| u.expose_secret().trim())
            .filter(|u| !u.is_empty())
    }

    /// The SQLite file used when no PostgreSQL URL is set.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("storefront-bff.sqlite3")
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = self.postgres_url()
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            // The URL itself is never echoed: it may carry a password.
            return Err(ConfigError::invalid(
                "store.url",
                "store.url must be a postgres:// (or postgresql://) URL, or empty for SQLite"
                    .into(),
            ));
        }
        let schema = self.schema.as_str();
        let plain = !schema.is_empty()
            && schema.len() <= 63
            && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            return Err(ConfigError::invalid(
                "store.schema",
                format!(
                    "store.schema must be a plain lower-case identifier ([a-z_][a-z0-9_]*, at \
                     most 63 characters), got `{schema}`"
                ),
            ));
        }
        for (name, value) in [
            ("store.max_connections", u64::from(self.max_connections)),
            ("store.acquire_timeout_ms", self.acquire_timeout_ms),
            ("store.purge_interval_secs", self.purge_interval_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(
                    name,
                    format!("{name} must be greater than 0"),
                ));
            }
        }
        Ok(())
    }
}

/// BFF sessions: the `__Host-bff_session` cookie and the server-side state it points to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Key material (at least 32 characters) that encrypts the tokens a session holds at rest;
    /// set it as `BFF_SESSION__SECRET`, the same on every replica. Unset: a random key is
    /// generated once into `<store.data_dir>/session.key` (fine for one process; with several
    /// replicas each would have its own and sessions would not survive a hop).
    #[serde(skip_serializing)]
    pub secret: Option<SecretString>,
    /// A session unused this long ends, in seconds.
    pub idle_timeout_secs: u64,
    /// A session ends this long after sign-in however active, in seconds.
    pub absolute_timeout_secs: u64,
    /// The Commerce customer token is re-minted when it expires within this many seconds.
    pub token_refresh_margin_secs: u64,
    /// A session's last use is written at most this often, in seconds (not on every request).
    pub touch_interval_secs: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            secret: None,
            idle_timeout_secs: 2 * 60 * 60,
            absolute_timeout_secs: 7 * 24 * 60 * 60,
            token_refresh_margin_secs: 300,
            touch_interval_secs: 60,
        }
    }
}

impl SessionConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(secret) = &self.secret
            && secret.expose_secret().len() < 32
        {
            return Err(ConfigError::invalid(
                "session.secret",
                "session.secret must be at least 32 characters".into(),
            ));
        }
        for (name, value) in [
            ("session.idle_timeout_secs", self.idle_timeout_secs),
            ("session.absolute_timeout_secs", self.absolute_timeout_secs),
            ("session.touch_interval_secs", self.touch_interval_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(
                    name,
                    format!("{name} must be greater than 0"),
                ));
            }
        }
        if self.idle_timeout_secs > self.absolute_timeout_secs {
            return Err(ConfigError::invalid(
                "session.idle_timeout_secs",
                format!(
                    "session.idle_timeout_secs ({}) must not exceed session.absolute_timeout_secs ({})",
                    self.idle_timeout_secs, self.absolute_timeout_secs
                ),
            ));
        }
        if self.touch_interval_secs >= self.idle_timeout_secs {
            return Err(ConfigError::invalid(
                "session.touch_interval_secs",
                format!(
                    "session.touch_interval_secs ({}) must be below session.idle_timeout_secs ({}), \
                     or an active session could expire between two recorded uses",
                    self.touch_interval_secs, self.idle_timeout_secs
                ),
            ));
        }
        // Timestamps are stored as signed seconds: keep sums far from overflow.
        if self.absolute_timeout_secs > 366 * 24 * 60 * 60 {
            return Err(ConfigError::invalid(
                "session.absolute_timeout_secs",
                "session.absolute_timeout_secs must be at most one year (31622400)".into(),
            ));
        }
        Ok(())
    }
}
