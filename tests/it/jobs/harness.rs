//! A store (SQLite file or a fresh PostgreSQL database), a sandbox, and the job runtime wired
//! to them, as `serve` wires it; plus the worker binary for the process-level tests.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};
use sqlx::Connection;
use storefront_bff::config::Config;
use storefront_bff::jobs::runtime::Trigger;
use storefront_bff::jobs::{FlowName, Jobs};
use storefront_bff::server::open_jobs;
use storefront_bff::store::{RunRecord, Store};
use tokio::sync::watch;

use crate::support::unique_temp_dir;

pub const BINARY: &str = env!("CARGO_BIN_EXE_storefront-bff");
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub const BOTH: [Db; 2] = [Db::Sqlite, Db::Postgres];

/// A store location: a temp dir (SQLite) or a fresh database (PostgreSQL: apalis keeps its
/// tables in the `apalis` schema of the database, so each test gets its own database).
pub struct StoreLocation {
    pub data_dir: std::path::PathBuf,
    pub url: Option<String>,
    database: Option<(String, String)>,
}

impl StoreLocation {
    pub async fn new(db: Db) -> StoreLocation {
        let data_dir = unique_temp_dir("bff-jobs");
        match db {
            Db::Sqlite => StoreLocation {
                data_dir,
                url: None,
                database: None,
            },
            Db::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL")
                    .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into());
                let name = format!("bff_jobs_{:016x}", fastrand_u64());
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("PostgreSQL at TEST_DATABASE_URL answers");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("database created");
                let _ = admin.close().await;
                let url = match admin_url.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("TEST_DATABASE_URL has no database name"),
                };
                StoreLocation {
                    data_dir,
                    url: Some(url),
                    database: Some((admin_url, name)),
                }
            }
        }
    }

    pub async fn remove(self) {
        if let Some((admin_url, name)) = &self.database
            && let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }

    /// The `BFF_*` variables pointing a BFF process at this store.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![(
            "BFF_STORE__DATA_DIR".to_string(),
            self.data_dir.display().to_string(),
        )];
        if let Some(url) = &self.url {
            env.push(("BFF_STORE__URL".into(), url.clone()));
        }
        env
    }
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// The sandbox the flows of a test talk to.
pub async fn start_sandbox(config: SandboxConfig) -> SandboxHandle {
    Sandbox::new(SandboxConfig {
        order_stream: false,
        // Changes come only from the test (change_erp_products, set_stock …), not over time.
        feed_changes: false,
        ..config
    })
    .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .expect("sandbox starts")
}

/// The BFF configuration pointing at `sandbox` and `store`, with quick retries for tests.
pub fn config_for(sandbox: &SandboxHandle, store: &StoreLocation) -> Config {
    let mut config = Config::default();
    config.store.data_dir = store.data_dir.clone();
    config.store.url = store.url.clone().map(Into::into);
    config.session.secret = Some(
        "a session secret of at least thirty-two characters"
            .to_string()
            .into(),
    );
    config.commerce.graphql_url = sandbox.graphql_url();
    config.commerce.admin_username = sandbox::demo::ADMIN_USER.0.to_string();
    config.commerce.admin_password = Some(sandbox::demo::ADMIN_USER.1.to_string().into());
    let base = sandbox.base_url().trim_end_matches('/').to_string();
    config.erp.url = format!("{base}/erp");
    config.erp.token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
    config.pim.url = format!("{base}/pim");
    config.pim.token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
    config.jobs.heartbeat_secs = 1;
    config.jobs.poll_ms = 50;
    config.jobs.max_attempts = 3;
    config.jobs.backoff_min_ms = 50;
    config.jobs.backoff_max_ms = 200;
    config.jobs.bulk_poll_ms = 20;
    config.jobs.bulk_timeout_secs = 30;
    config
}

/// The same configuration as `BFF_*` variables, for a BFF process.
pub fn env_for(sandbox: &SandboxHandle, store: &StoreLocation) -> Vec<(String, String)> {
    let base = sandbox.base_url().trim_end_matches('/').to_string();
    let mut env = store.env();
    env.extend(
        [
            (
                "BFF_SESSION__SECRET",
                "a session secret of at least thirty-two characters".to_string(),
            ),
            ("BFF_COMMERCE__GRAPHQL_URL", sandbox.graphql_url()),
            (
                "BFF_COMMERCE__ADMIN_USERNAME",
                sandbox::demo::ADMIN_USER.0.to_string(),
            ),
            (
                "BFF_COMMERCE__ADMIN_PASSWORD",
                sandbox::demo::ADMIN_USER.1.to_string(),
            ),
            ("BFF_ERP__URL", format!("{base}/erp")),
            ("BFF_ERP__TOKEN", sandbox::demo::CONNECTOR_TOKEN.to_string()),
            ("BFF_PIM__URL", format!("{base}/pim")),
            ("BFF_PIM__TOKEN", sandbox::demo::CONNECTOR_TOKEN.to_string()),
            ("BFF_JOBS__HEARTBEAT_SECS", "1".to_string()),
            ("BFF_JOBS__POLL_MS", "50".to_string()),
            ("BFF_JOBS__MAX_ATTEMPTS", "3".to_string()),
            ("BFF_JOBS__BACKOFF_MIN_MS", "50".to_string()),
            ("BFF_JOBS__BACKOFF_MAX_MS", "200".to_string()),
            ("BFF_JOBS__BULK_POLL_MS", "20".to_string()),
            ("BFF_LOG__FILTER", "warn".to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    env
}

/// Sandbox + store + runtime in this process.
pub struct Harness {
    pub sandbox: SandboxHandle,
    pub location: StoreLocation,
    pub config: Config,
    pub store: Store,
    pub jobs: Jobs,
}

impl Harness {
    pub async fn start(db: Db) -> Harness {
        Harness::start_with(db, SandboxConfig::default(), |_| {}).await
    }

    pub async fn start_with(
        db: Db,
        sandbox: SandboxConfig,
        configure: impl FnOnce(&mut Config),
    ) -> Harness {
        let sandbox = start_sandbox(sandbox).await;
        let location = StoreLocation::new(db).await;
        let mut config = config_for(&sandbox, &location);
        configure(&mut config);
        config.validate().expect("test config is valid");
        let store = Store::open(&config.store, &config.session)
            .await
            .expect("store opens");
        let jobs = open_jobs(&config, store.clone(), None)
            .await
            .expect("jobs open");
        Harness {
            sandbox,
            location,
            config,
            store,
            jobs,
        }
    }

    /// Queues a run of `flow` and runs this process's worker until the run is final.
    pub async fn run(&self, flow: FlowName, full: bool) -> RunRecord {
        let run_id = self
            .jobs
            .enqueue(flow, full, Trigger::Manual)
            .await
            .expect("run queued");
        self.work_until_final(flow, &run_id).await
    }

    /// Runs this process's worker for `flow` until `run_id` is final (60 s at most).
    pub async fn work_until_final(&self, flow: FlowName, run_id: &str) -> RunRecord {
        let (stop, mut stopped) = watch::channel(false);
        let jobs = self.jobs.clone();
        let worker = tokio::spawn(async move {
            jobs.run_workers(&[flow], false, async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
        });
        let run = wait_final(&self.store, run_id, Duration::from_secs(60)).await;
        let _ = stop.send(true);
        let _ = worker.await;
        run
    }

    /// Commerce's storefront GraphQL, straight from the sandbox.
    pub async fn commerce(&self, query: &str, variables: Value) -> Value {
        reqwest::Client::new()
            .post(self.sandbox.graphql_url())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("sandbox answers")
            .json()
            .await
            .expect("JSON")
    }

    /// `GET /rest/V1/<path>` with an admin token: Commerce's own view of an entity.
    pub async fn rest_get(&self, path: &str) -> Value {
        let base = self.sandbox.base_url().trim_end_matches('/').to_string();
        let http = reqwest::Client::new();
        let token: String = http
            .post(format!("{base}/rest/V1/integration/admin/token"))
            .json(&json!({ "username": sandbox::demo::ADMIN_USER.0, "password": sandbox::demo::ADMIN_USER.1 }))
            .send()
            .await
            .expect("token answer")
            .json()
            .await
            .expect("token");
        http.get(format!("{base}/rest/V1/{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("REST answers")
            .json()
            .await
            .expect("JSON")
    }

    pub async fn shutdown(self) {
        self.store.close().await;
        self.sandbox.shutdown().await;
        self.location.remove().await;
    }
}

/// Polls the run record until it is final.
pub async fn wait_final(store: &Store, run_id: &str, limit: Duration) -> RunRecord {
    wait_for(store, run_id, limit, |r| r.state.is_final()).await
}

/// Polls the run record until `ready` holds.
pub async fn wait_for(
    store: &Store,
    run_id: &str,
    limit: Duration,
    ready: impl Fn(&RunRecord) -> bool,
) -> RunRecord {
    let started = Instant::now();
    loop {
        if let Some(run) = store.job_runs().get(run_id).await.expect("store reads")
            && ready(&run)
        {
            return run;
        }
        assert!(
            started.elapsed() < limit,
            "run {run_id} did not get there within {limit:?}: {:?}",
            store.job_runs().get(run_id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A `storefront-bff worker` process; killed (SIGKILL) when dropped.
pub struct WorkerProcess(pub Child);

impl WorkerProcess {
    pub fn spawn(env: &[(String, String)]) -> WorkerProcess {
        let child = Command::new(BINARY)
            .arg("worker")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("worker starts");
        WorkerProcess(child)
    }

    /// `kill -9`: no shutdown, no cleanup, locks and leases left behind.
    pub fn kill_9(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
