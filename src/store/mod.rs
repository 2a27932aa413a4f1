//! The durable state store (DESIGN §2.5): one sqlx pool on SQLite (the default: one file in
//! `store.data_dir`, created on first start) or PostgreSQL (`store.url`, for several
//! replicas), with embedded migrations per backend, and typed repositories on top:
//! [`sessions`] (BFF sessions behind the cookie) and [`login_attempts`] (the pre-login state of
//! an OIDC login), and [`job_runs`] (the job runtime's run records, cursors and watermarks;
//! apalis keeps its queue in its own tables on the same pool). The webhook inbox and outbox of
//! later issues live here too.
//!
//! Queries are plain SQL strings written once for both backends (`$1` placeholders, `BIGINT`
//! Unix seconds, `BLOB`/`BYTEA` bytes, `DELETE … RETURNING`); there are no compile-time checked
//! `query!` macros, so building needs no database.

pub mod job_runs;
pub mod login_attempts;
mod seal;
pub mod sessions;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{SessionConfig, StoreConfig};

pub use job_runs::{JobRuns, NewRun, Progress, RunCounts, RunIssue, RunRecord, RunState};
pub use login_attempts::{LoginAttempt, LoginAttemptId, LoginAttempts};
pub use seal::OpaqueId;
pub use sessions::{SessionId, SessionRecord, Sessions};

use seal::Sealer;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("src/store/migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// What can go wrong in the store. Messages never carry a URL, a token or a key.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Open(sqlx::Error),
    #[error("database migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("session sealing key: {0}")]
    Key(String),
}

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pool of the configured backend. The later job runtime (apalis) takes the concrete pool.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of either backend: the SQL is the same,
/// the code is compiled once per driver.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Starting a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken up front (waiting up to the busy timeout) — a deferred transaction that reads first and
/// writes later fails at once with `SQLITE_BUSY_SNAPSHOT` when another connection (apalis'
/// heartbeats and polls share the file) wrote in between. On PostgreSQL a plain `BEGIN`.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// The store: cheap to clone (the pool and the key are shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    sealer: std::sync::Arc<Sealer>,
}

/// Rows deleted by one purge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub login_attempts: u64,
}

impl Store {
    /// Opens (and on SQLite creates) the database, applies pending migrations, and loads the
    /// sealing key (`session.secret`, or the generated key file in `store.data_dir`).
    pub async fn open(store: &StoreConfig, session: &SessionConfig) -> Result<Store, StoreError> {
        let pool = match store.postgres_url() {
            Some(url) => Pool::Postgres(open_postgres(url, store).await?),
            None => Pool::Sqlite(open_sqlite(store).await?),
        };
        match &pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        let sealer = Sealer::load(session.secret.as_ref(), &store.data_dir)?;
        Ok(Store {
            pool,
            sealer: std::sync::Arc::new(sealer),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The concrete pool, for components that need it (the job runtime of a later issue).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn sessions(&self) -> Sessions<'_> {
        Sessions::new(self)
    }

    pub fn login_attempts(&self) -> LoginAttempts<'_> {
        LoginAttempts::new(self)
    }

    pub fn job_runs(&self) -> JobRuns<'_> {
        JobRuns::new(self)
    }

    /// Deletes expired sessions and login attempts (reads already ignore them).
    pub async fn purge_expired(&self, now: i64) -> Result<Purged, StoreError> {
        Ok(Purged {
            sessions: self.sessions().purge_expired(now).await?,
            login_attempts: self.login_attempts().purge_expired(now).await?,
        })
    }

    /// Waits for open connections to finish and closes the pool.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Starts the purge task: every `interval` until `stop` turns true. The server handle owns
    /// the returned task and awaits it on shutdown.
    pub fn spawn_purge(
        &self,
        interval: Duration,
        mut stop: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                match store.purge_expired(unix_now()).await {
                    Ok(p) if p != Purged::default() => tracing::debug!(
                        sessions = p.sessions,
                        login_attempts = p.login_attempts,
                        "purged expired sessions and login attempts"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
                }
            }
        })
    }

    pub(crate) fn sealer(&self) -> &Sealer {
        &self.sealer
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

async fn open_sqlite(config: &StoreConfig) -> Result<SqlitePool, StoreError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StoreError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let options = SqliteConnectOptions::new()
        .filename(config.sqlite_path())
        .create_if_missing(true)
        // WAL: readers do not wait for the writer; `busy_timeout` waits out the writer lock
        // instead of failing at once.
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .foreign_keys(true);
    SqlitePoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .connect_with(options)
        .await
        .map_err(StoreError::Open)
}

async fn open_postgres(url: &str, config: &StoreConfig) -> Result<PgPool, StoreError> {
    // A parse error from sqlx may quote the URL (and its password): say only what is wrong.
    let options = PgConnectOptions::from_str(url).map_err(|_| {
        StoreError::Open(sqlx::Error::Configuration(
            "store.url is not a valid PostgreSQL URL".into(),
        ))
    })?;
    // Every pooled connection starts with the configured schema first on its search path (the
    // schema was validated as a plain identifier).
    let options = options.options([("search_path", config.schema.as_str())]);
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .connect_with(options)
        .await
        .map_err(StoreError::Open)
}
