//! The durable state store: the same tests on SQLite (a temp dir) and on PostgreSQL
//! (`TEST_DATABASE_URL`, each test in its own freshly created schema, dropped at the end).

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use sqlx::Connection;
use storefront_bff::config::{SessionConfig, StoreConfig};
use storefront_bff::store::{
    Backend, LoginAttempt, LoginAttemptId, Purged, SessionId, SessionRecord, Store, unix_now,
};

use crate::support::unique_temp_dir;

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const SECRET: &str = "a session secret of at least thirty-two characters";

/// One backend's configuration, and what to remove afterwards.
pub struct TestDb {
    pub store: StoreConfig,
    pub session: SessionConfig,
    schema: Option<(String, String)>,
    dir: PathBuf,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = unique_temp_dir("bff-store");
        TestDb {
            store: StoreConfig {
                data_dir: dir.clone(),
                ..StoreConfig::default()
            },
            session: session_config(SECRET),
            schema: None,
            dir,
        }
    }

    /// A fresh schema in the test database; every pooled connection of the store uses it.
    pub async fn postgres() -> TestDb {
        let url =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into());
        let schema = format!(
            "bff_test_{}",
            SessionId::generate().expect("random").to_cookie_value()[..16].to_owned()
        );
        let mut admin = sqlx::PgConnection::connect(&url)
            .await
            .expect("PostgreSQL at TEST_DATABASE_URL answers");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("schema created");
        let _ = admin.close().await;
        let dir = unique_temp_dir("bff-store-pg");
        TestDb {
            store: StoreConfig {
                url: Some(url.clone().into()),
                schema: schema.clone(),
                data_dir: dir.clone(),
                ..StoreConfig::default()
            },
            session: session_config(SECRET),
            schema: Some((url, schema)),
            dir,
        }
    }

    pub async fn both() -> Vec<TestDb> {
        vec![TestDb::sqlite(), TestDb::postgres().await]
    }

    pub async fn open(&self) -> Store {
        Store::open(&self.store, &self.session)
            .await
            .expect("the store opens")
    }

    pub async fn drop_all(self) {
        if let Some((url, schema)) = &self.schema {
            let mut admin = sqlx::PgConnection::connect(url).await.expect("connects");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut admin)
                .await
                .expect("schema dropped");
            let _ = admin.close().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn session_config(secret: &str) -> SessionConfig {
    SessionConfig {
        secret: Some(secret.to_string().into()),
        ..SessionConfig::default()
    }
}

pub fn session(now: i64, token: &str) -> SessionRecord {
    SessionRecord {
        customer_token: token.to_string().into(),
        customer_token_expires_at: now + 3600,
        customer_email: "roni_cost@example.com".into(),
        cart_id: Some("cart-123".into()),
        provider: "demo".into(),
        id_token: Some("header.id-token-claims.signature".to_string().into()),
        refresh_token: None,
        created_at: now,
        last_seen_at: now,
        idle_expires_at: now + 600,
        absolute_expires_at: now + 6000,
    }
}

fn attempt(now: i64, expires_in: i64) -> LoginAttempt {
    LoginAttempt {
        provider: "demo".into(),
        state: "state-abc".into(),
        nonce: "nonce-def".into(),
        pkce_verifier: "pkce-verifier-0123456789".to_string().into(),
        return_to: "/checkout".into(),
        guest_cart_id: Some("guest-cart".into()),
        created_at: now,
        expires_at: now + expires_in,
    }
}

/// Every byte stored in the sessions table, as text as far as it goes.
async fn raw_session_bytes(store: &Store) -> Vec<u8> {
    use sqlx::Row;
    let sql = "SELECT id_hash, customer_token_sealed, id_token_sealed FROM sessions";
    let rows: Vec<Vec<u8>> = match store.pool() {
        storefront_bff::store::Pool::Sqlite(p) => sqlx::query(sql)
            .fetch_all(p)
            .await
            .expect("reads")
            .iter()
            .flat_map(|r| (0..3).map(|i| r.try_get::<Vec<u8>, _>(i).unwrap_or_default()))
            .collect(),
        storefront_bff::store::Pool::Postgres(p) => sqlx::query(sql)
            .fetch_all(p)
            .await
            .expect("reads")
            .iter()
            .flat_map(|r| (0..3).map(|i| r.try_get::<Vec<u8>, _>(i).unwrap_or_default()))
            .collect(),
    };
    rows.concat()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn sessions_survive_a_restart_of_the_store() {
    for db in TestDb::both().await {
        let now = unix_now();
        let id = SessionId::generate().expect("random");
        let store = db.open().await;
        store
            .sessions()
            .insert(&id, &session(now, "commerce-token-1"))
            .await
            .expect("inserted");
        store.close().await;

        let reopened = db.open().await;
        let found = reopened
            .sessions()
            .find(&id, now)
            .await
            .expect("reads")
            .expect("the session is still there after a restart");
        assert_eq!(found.customer_token.expose_secret(), "commerce-token-1");
        assert_eq!(found.customer_email, "roni_cost@example.com");
        assert_eq!(found.cart_id.as_deref(), Some("cart-123"));
        assert_eq!(found.provider, "demo");
        assert_eq!(
            found
                .id_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
            Some("header.id-token-claims.signature".to_string())
        );
        assert!(found.refresh_token.is_none());
        assert_eq!(found.absolute_expires_at, now + 6000);
        let other = SessionId::generate().expect("random");
        assert!(
            reopened
                .sessions()
                .find(&other, now)
                .await
                .expect("reads")
                .is_none()
        );
        reopened.close().await;
        db.drop_all().await;
    }
}

#[tokio::test]
async fn the_database_alone_gives_neither_the_cookie_nor_the_tokens() {
    for db in TestDb::both().await {
        let now = unix_now();
        let id = SessionId::generate().expect("random");
        let store = db.open().await;
        store
            .sessions()
            .insert(&id, &session(now, "commerce-token-secret"))
            .await
            .expect("inserted");
        let raw = raw_session_bytes(&store).await;
        assert!(!raw.is_empty());
        assert!(
            !contains(&raw, b"commerce-token-secret"),
            "{:?}",
            db.store.schema
        );
        assert!(!contains(&raw, b"id-token-claims"));
        let cookie = id.to_cookie_value();
        assert!(!contains(&raw, cookie.as_bytes()));
        store.close().await;

        // Another key (a changed session.secret) opens nothing: treated as signed out.
        let mut rekeyed = db;
        rekeyed.session = session_config("another secret, also of thirty-two characters");
        let other = rekeyed.open().await;
        assert!(
            other
                .sessions()
                .find(&id, now)
                .await
                .expect("reads")
                .is_none()
        );
        other.close().await;
        rekeyed.drop_all().await;
    }
}

#[tokio::test]
async fn expired_sessions_are_never_returned_and_the_purge_deletes_them() {
    for db in TestDb::both().await {
        let now = unix_now();
        let store = db.open().await;
        let live = SessionId::generate().expect("random");
        let idle = SessionId::generate().expect("random");
        let too_old = SessionId::generate().expect("random");
        store
            .sessions()
            .insert(&live, &session(now, "t1"))
            .await
            .expect("inserted");
        let mut s = session(now - 1000, "t2");
        s.idle_expires_at = now - 1;
        store.sessions().insert(&idle, &s).await.expect("inserted");
        let mut s = session(now - 7000, "t3");
        s.idle_expires_at = now + 600;
        s.absolute_expires_at = now;
        store
            .sessions()
            .insert(&too_old, &s)
            .await
            .expect("inserted");

        assert!(
            store
                .sessions()
                .find(&live, now)
                .await
                .expect("reads")
                .is_some()
        );
        assert!(
            store
                .sessions()
                .find(&idle, now)
                .await
                .expect("reads")
                .is_none()
        );
        assert!(
            store
                .sessions()
                .find(&too_old, now)
                .await
                .expect("reads")
                .is_none()
        );
        assert!(
            !store
                .sessions()
                .touch(&idle, now, now + 600)
                .await
                .expect("writes")
        );
        assert_eq!(store.sessions().count().await.expect("counts"), 3);

        let purged = store.purge_expired(now).await.expect("purges");
        assert_eq!(
            purged,
            Purged {
                sessions: 2,
                login_attempts: 0
            }
        );
        assert_eq!(store.sessions().count().await.expect("counts"), 1);
        assert!(
            store
                .sessions()
                .find(&live, now)
                .await
                .expect("reads")
                .is_some()
        );

        // Use keeps a session alive past its first idle expiry, until the absolute one.
        assert!(
            store
                .sessions()
                .touch(&live, now + 500, now + 1100)
                .await
                .expect("writes")
        );
        assert!(
            store
                .sessions()
                .find(&live, now + 700)
                .await
                .expect("reads")
                .is_some()
        );
        assert!(
            store
                .sessions()
                .find(&live, now + 1100)
                .await
                .expect("reads")
                .is_none()
        );
        store.close().await;
        db.drop_all().await;
    }
}

#[tokio::test]
async fn a_session_token_can_be_replaced_and_the_session_ended() {
    for db in TestDb::both().await {
        let now = unix_now();
        let store = db.open().await;
        let id = SessionId::generate().expect("random");
        store
            .sessions()
            .insert(&id, &session(now, "old"))
            .await
            .expect("inserted");
        let new: SecretString = "re-minted".to_string().into();
        assert!(
            store
                .sessions()
                .replace_customer_token(&id, &new, now + 7200)
                .await
                .expect("writes")
        );
        assert!(
            store
                .sessions()
                .set_cart_id(&id, Some("cart-2"))
                .await
                .expect("writes")
        );
        let found = store
            .sessions()
            .find(&id, now)
            .await
            .expect("reads")
            .expect("there");
        assert_eq!(found.customer_token.expose_secret(), "re-minted");
        assert_eq!(found.customer_token_expires_at, now + 7200);
        assert_eq!(found.cart_id.as_deref(), Some("cart-2"));
        assert!(store.sessions().delete(&id).await.expect("deletes"));
        assert!(!store.sessions().delete(&id).await.expect("deletes"));
        assert!(
            store
                .sessions()
                .find(&id, now)
                .await
                .expect("reads")
                .is_none()
        );
        store.close().await;
        db.drop_all().await;
    }
}

#[tokio::test]
async fn a_login_attempt_is_taken_once_and_never_after_it_expired() {
    for db in TestDb::both().await {
        let now = unix_now();
        let store = db.open().await;
        let id = LoginAttemptId::generate().expect("random");
        store
            .login_attempts()
            .insert(&id, &attempt(now, 600))
            .await
            .expect("inserted");
        let taken = store
            .login_attempts()
            .take(&id, now)
            .await
            .expect("reads")
            .expect("the first take gets it");
        assert_eq!(taken.state, "state-abc");
        assert_eq!(taken.nonce, "nonce-def");
        assert_eq!(
            taken.pkce_verifier.expose_secret(),
            "pkce-verifier-0123456789"
        );
        assert_eq!(taken.return_to, "/checkout");
        assert_eq!(taken.guest_cart_id.as_deref(), Some("guest-cart"));
        assert!(
            store
                .login_attempts()
                .take(&id, now)
                .await
                .expect("reads")
                .is_none()
        );

        let expired = LoginAttemptId::generate().expect("random");
        store
            .login_attempts()
            .insert(&expired, &attempt(now - 700, 600))
            .await
            .expect("inserted");
        assert!(
            store
                .login_attempts()
                .take(&expired, now)
                .await
                .expect("reads")
                .is_none()
        );
        assert_eq!(store.login_attempts().count().await.expect("counts"), 0);

        let stale = LoginAttemptId::generate().expect("random");
        store
            .login_attempts()
            .insert(&stale, &attempt(now - 700, 600))
            .await
            .expect("inserted");
        let purged = store.purge_expired(now).await.expect("purges");
        assert_eq!(purged.login_attempts, 1);
        store.close().await;
        db.drop_all().await;
    }
}

#[tokio::test]
async fn of_two_racing_callbacks_only_one_gets_the_login_attempt() {
    for db in TestDb::both().await {
        let now = unix_now();
        let store = db.open().await;
        for _ in 0..5 {
            let id = LoginAttemptId::generate().expect("random");
            store
                .login_attempts()
                .insert(&id, &attempt(now, 600))
                .await
                .expect("inserted");
            let takes = (0..4).map(|_| {
                let store = store.clone();
                let id = id.clone();
                tokio::spawn(async move { store.login_attempts().take(&id, now).await })
            });
            let mut won = 0;
            for take in futures_util::future::join_all(takes).await {
                if take.expect("joins").expect("no error").is_some() {
                    won += 1;
                }
            }
            assert_eq!(won, 1);
        }
        store.close().await;
        db.drop_all().await;
    }
}

#[tokio::test]
async fn sqlite_is_the_default_and_creates_its_file_and_key_on_first_start() {
    let dir = unique_temp_dir("bff-store-default");
    let config = StoreConfig {
        data_dir: dir.join("nested"),
        ..StoreConfig::default()
    };
    let store = Store::open(&config, &SessionConfig::default())
        .await
        .expect("opens");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(config.sqlite_path().is_file());
    assert!(config.data_dir.join("session.key").is_file());
    let now = unix_now();
    let id = SessionId::generate().expect("random");
    store
        .sessions()
        .insert(&id, &session(now, "t"))
        .await
        .expect("inserted");
    store.close().await;
    // The generated key is reused: the session still opens after a restart.
    let again = Store::open(&config, &SessionConfig::default())
        .await
        .expect("opens");
    assert!(
        again
            .sessions()
            .find(&id, now)
            .await
            .expect("reads")
            .is_some()
    );
    again.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_bad_postgres_url_never_shows_its_password() {
    let db = TestDb::sqlite();
    let store = StoreConfig {
        url: Some(
            "postgres://bff:hunter2-secret@127.0.0.1:1/none"
                .to_string()
                .into(),
        ),
        acquire_timeout_ms: 500,
        ..db.store.clone()
    };
    let error = Store::open(&store, &db.session)
        .await
        .expect_err("nothing listens");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    let config_error = storefront_bff::config::Config::load(
        None,
        vec![(
            "BFF_STORE__URL".to_string(),
            "mysql://u:hunter2@h/db".to_string(),
        )],
    )
    .expect_err("not postgres")
    .to_string();
    assert!(config_error.contains("store.url"), "{config_error}");
    assert!(!config_error.contains("hunter2"), "{config_error}");
    let loaded = storefront_bff::config::Config::load(
        None,
        vec![(
            "BFF_STORE__URL".to_string(),
            "postgres://bff:hunter2@db.internal/bff".to_string(),
        )],
    )
    .expect("a postgres URL loads");
    let shown = loaded.to_redacted_toml().expect("prints");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("url = \"[redacted]\""), "{shown}");
    assert!(!format!("{loaded:?}").contains("hunter2"));
    db.drop_all().await;
}
