//! The runtime: apalis workers (one per flow and process) and cron schedules under one apalis
//! `Monitor`, enqueueing, and what one attempt of a run does — lease, run record, the flow's
//! `run_once`, then succeeded, retrying (apalis' retry layer waits out an exponential backoff
//! with jitter) or dead-lettered.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use tower::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use tower::util::rng::HasherRng;

use super::context::{FlowError, Outcome, RunContext};
use super::{FlowDeps, FlowName};
use crate::config::JobsConfig;
use crate::store::{NewRun, Pool, RunRecord, Store, StoreError, unix_now};

/// What went wrong outside a run (setting up, enqueueing).
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    #[error("job store: {0}")]
    Store(#[from] StoreError),
    #[error("job queue: {0}")]
    Queue(String),
    #[error(
        "unknown flow `{0}` (flows: product_master, inventory_full, inventory_delta, catalog_content)"
    )]
    UnknownFlow(String),
}

/// The payload apalis stores per queued run; everything else is in the run record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRequest {
    pub run_id: String,
    pub flow: String,
}

/// Why a run was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A cron tick at this Unix second.
    Schedule(u64),
    /// `jobs run`.
    Manual,
    /// `import FILE`.
    Import,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule(_) => "schedule",
            Trigger::Manual => "manual",
            Trigger::Import => "import",
        }
    }
}

/// The job runtime; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    rt: Arc<Runtime>,
}

struct Runtime {
    store: Store,
    config: JobsConfig,
    deps: FlowDeps,
    /// Distinguishes this process's workers in apalis' worker table.
    worker_tag: String,
}

/// The apalis queue (job type) of a flow.
fn queue_name(flow: FlowName) -> String {
    format!("storefront_bff.{}", flow.as_str())
}

impl Jobs {
    /// Applies apalis' own migrations on the store's pool (SQLite: tracked in their own
    /// `apalis_migrations` table beside ours; PostgreSQL: in the `apalis` schema, as apalis
    /// ships them).
    pub async fn open(store: Store, config: JobsConfig, deps: FlowDeps) -> Result<Jobs, JobsError> {
        match store.pool() {
            Pool::Sqlite(pool) => {
                let mut migrator = SqliteStorage::<()>::migrations();
                migrator.dangerous_set_table_name("apalis_migrations");
                migrator
                    .run(pool)
                    .await
                    .map_err(|e| JobsError::Queue(format!("apalis migrations: {e}")))?;
            }
            Pool::Postgres(pool) => {
                PostgresStorage::<()>::migrations()
                    .run(pool)
                    .await
                    .map_err(|e| JobsError::Queue(format!("apalis migrations: {e}")))?;
            }
        }
        let worker_tag = format!(
            "{}.{}.{:04x}",
            hostname(),
            std::process::id(),
            fastrand_u16()
        );
        Ok(Jobs {
            rt: Arc::new(Runtime {
                store,
                config,
                deps,
                worker_tag,
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.rt.store
    }

    pub fn config(&self) -> &JobsConfig {
        &self.rt.config
    }

    /// What `flow` lacks to run, as the option to set.
    pub fn missing(&self, flow: FlowName) -> Option<&'static str> {
        self.rt.deps.missing(flow)
    }

    /// Queues a run of `flow` and returns its id. A scheduled tick gets an id (and an apalis
    /// idempotency key) from the flow and the tick's time, so replicas queue it once.
    pub async fn enqueue(
        &self,
        flow: FlowName,
        full: bool,
        trigger: Trigger,
    ) -> Result<String, JobsError> {
        let run_id = match trigger {
            Trigger::Schedule(at) => format!("{}-{}", flow.as_str(), stamp(at)),
            _ => format!(
                "{}-{}-{:04x}",
                flow.as_str(),
                stamp(u64::try_from(unix_now()).unwrap_or(0)),
                fastrand_u16()
            ),
        };
        let max_attempts = i64::from(self.rt.config.max_attempts);
        self.rt
            .store
            .job_runs()
            .insert_queued(&NewRun {
                run_id: &run_id,
                flow: flow.as_str(),
                trigger: trigger.as_str(),
                full,
                max_attempts,
                now: unix_now(),
            })
            .await?;
        self.push(flow, &run_id).await?;
        Ok(run_id)
    }

    /// Pushes the run into apalis' queue, keyed by the run id: pushing it twice queues it once.
    async fn push(&self, flow: FlowName, run_id: &str) -> Result<(), JobsError> {
        let request = RunRequest {
            run_id: run_id.to_owned(),
            flow: flow.as_str().to_owned(),
        };
        // apalis counts attempts too; ours (in the run record) decide when a run is dead, so
        // apalis' own limit only has to stay out of the way.
        let apalis_attempts = usize::try_from(self.rt.config.max_attempts)
            .unwrap_or(usize::MAX)
            .saturating_mul(2);
        let task = TaskBuilder::new(request)
            .idempotency_key(run_id)
            .max_attempts(apalis_attempts)
            .build();
        match self.rt.store.pool() {
            Pool::Sqlite(pool) => {
                let mut storage = SqliteStorage::<RunRequest>::new(pool)
                    .with_config(apalis_sqlite::Config::default().queue(queue_name(flow)));
                storage
                    .push_task(task)
                    .await
                    .map_err(|e| JobsError::Queue(e.to_string()))
            }
            Pool::Postgres(pool) => {
                let mut storage = PostgresStorage::<RunRequest>::new(pool)
                    .with_config(apalis_postgres::Config::default().queue(queue_name(flow)));
                storage
                    .push_task(task)
                    .await
                    .map_err(|e| JobsError::Queue(e.to_string()))
            }
        }
    }

    /// Runs workers for `flows` (and their schedules when `schedules`) until `stop` resolves;
    /// a run in flight when it does is put back in the queue by apalis and resumed later from
    /// its cursor.
    pub async fn run_workers<S>(
        &self,
        flows: &[FlowName],
        schedules: bool,
        stop: S,
    ) -> Result<(), JobsError>
    where
        S: Future<Output = ()> + Send + 'static,
    {
        let mut monitor = Monitor::new().shutdown_timeout(Duration::from_secs(10));
        for &flow in flows {
            monitor = self.register_worker(monitor, flow);
            let settings = flow.settings(&self.rt.config);
            if !(schedules && settings.enabled) {
                continue;
            }
            // A flow whose systems are not configured is not scheduled (each tick would only
            // dead-letter); `jobs run` still says what is missing.
            match self.rt.deps.missing(flow) {
                Some(option) => tracing::info!(
                    flow = flow.as_str(),
                    "not scheduled: set {option} to run this flow"
                ),
                None => monitor = self.register_schedule(monitor, flow)?,
            }
        }
        monitor
            .run_with_signal(async move {
                stop.await;
                Ok(())
            })
            .await
            .map_err(|e| JobsError::Queue(e.to_string()))
    }

    fn register_worker(&self, monitor: Monitor, flow: FlowName) -> Monitor {
        let config = &self.rt.config;
        let heartbeat = Duration::from_secs(config.heartbeat_secs);
        let poll = Duration::from_millis(config.poll_ms);
        // apalis refuses a worker id seen alive within the heartbeat window, so every start
        // gets its own: host, process, and a random part.
        let name = format!(
            "{}@{}.{:04x}",
            flow.as_str(),
            self.rt.worker_tag,
            fastrand_u16()
        );
        let retries = usize::try_from(config.max_attempts).unwrap_or(1);
        let backoff = ExponentialBackoffMaker::new(
            Duration::from_millis(config.backoff_min_ms),
            Duration::from_millis(config.backoff_max_ms),
            0.5,
            HasherRng::default(),
        );
        let rt = self.rt.clone();
        macro_rules! worker {
            ($storage:expr) => {{
                let storage = $storage;
                monitor.register(move |_| {
                    let policy = match &backoff {
                        Ok(maker) => {
                            RetryPolicy::retries(retries).with_backoff(maker.clone().make_backoff())
                        }
                        // Validated config: min ≤ max, both > 0; fall back to apalis' default.
                        Err(_) => RetryPolicy::retries(retries)
                            .with_backoff(ExponentialBackoffMaker::default().make_backoff()),
                    };
                    WorkerBuilder::new(name.clone())
                        .backend(storage.clone())
                        .concurrency(1)
                        .retry(policy)
                        .data(rt.clone())
                        .build(execute)
                })
            }};
        }
        match self.rt.store.pool() {
            Pool::Sqlite(pool) => worker!(
                SqliteStorage::<RunRequest>::new(pool)
                    .with_config(
                        apalis_sqlite::Config::default()
                            .queue(queue_name(flow))
                            .heartbeat_interval(heartbeat)
                    )
                    .poll_with_strategy(Strategy::new().interval(poll))
            ),
            Pool::Postgres(pool) => worker!(
                PostgresStorage::<RunRequest>::new(pool)
                    .with_config(
                        apalis_postgres::Config::default()
                            .queue(queue_name(flow))
                            .heartbeat_interval(heartbeat)
                    )
                    .poll_with_strategy(Strategy::new().interval(poll))
            ),
        }
    }

    fn register_schedule(&self, monitor: Monitor, flow: FlowName) -> Result<Monitor, JobsError> {
        let expression = flow.settings(&self.rt.config).schedule;
        let schedule = cron::Schedule::from_str(&expression)
            .map_err(|e| JobsError::Queue(format!("schedule of {}: {e}", flow.as_str())))?;
        let name = format!(
            "{}-schedule@{}.{:04x}",
            flow.as_str(),
            self.rt.worker_tag,
            fastrand_u16()
        );
        let jobs = self.clone();
        Ok(monitor.register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(CronScheduler::new(schedule.clone()))
                .data(jobs.clone())
                .data(flow)
                .build(enqueue_tick)
        }))
    }

    /// Runs one attempt of a queued run in this process (apalis' worker calls this).
    async fn attempt(&self, request: &RunRequest, worker: &str) -> Attempted {
        let Some(flow) = FlowName::parse(&request.flow) else {
            return Attempted::Dead(format!("unknown flow `{}`", request.flow));
        };
        match self.try_attempt(flow, request, worker).await {
            Ok(a) => a,
            Err(e) => Attempted::Retry(e.to_string()),
        }
    }

    async fn try_attempt(
        &self,
        flow: FlowName,
        request: &RunRequest,
        worker: &str,
    ) -> Result<Attempted, StoreError> {
        let runs = self.rt.store.job_runs();
        let lease = self.lease_secs();
        self.wait_for_lease(flow, &request.run_id).await?;
        let watermark = runs.watermark(flow.as_str()).await?;
        let Some(run) = runs
            .begin_attempt(&request.run_id, worker, watermark.as_deref(), unix_now())
            .await?
        else {
            // Finished already (a duplicate delivery) or never recorded.
            return Ok(Attempted::Done);
        };
        let settings = flow.settings(&self.rt.config);
        let mut context = RunContext::new(self.rt.store.clone(), run.clone(), settings, lease);
        let result = AssertUnwindSafe(self.dispatch(flow, &mut context))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Err(FlowError::Fatal(
                    "the flow panicked (a bug; see the log)".into(),
                ))
            });
        self.settle(&context.run, result).await
    }

    async fn settle(
        &self,
        run: &RunRecord,
        result: Result<Outcome, FlowError>,
    ) -> Result<Attempted, StoreError> {
        let runs = self.rt.store.job_runs();
        let now = unix_now();
        match result {
            Ok(outcome) => {
                runs.finish(run, outcome.watermark_after.as_deref(), now)
                    .await?;
                tracing::info!(run = %run.run_id, read = run.counts.read, written = run.counts.written,
                    skipped = run.counts.skipped, failed = run.counts.failed, "job run succeeded");
                Ok(Attempted::Done)
            }
            Err(FlowError::Retriable(message)) if run.attempts < run.max_attempts => {
                runs.fail_attempt(run, false, &message, now).await?;
                tracing::warn!(run = %run.run_id, attempt = run.attempts, error = %message, "job run attempt failed; retrying after a backoff");
                Ok(Attempted::Retry(message))
            }
            Err(FlowError::Retriable(message) | FlowError::Fatal(message)) => {
                runs.fail_attempt(run, true, &message, now).await?;
                tracing::error!(run = %run.run_id, attempts = run.attempts, error = %message, "job run dead-lettered");
                Ok(Attempted::Dead(message))
            }
        }
    }

    async fn dispatch(&self, flow: FlowName, run: &mut RunContext) -> Result<Outcome, FlowError> {
        let deps = &self.rt.deps;
        let config = &self.rt.config;
        match flow {
            FlowName::ProductMaster => super::product_master::run_once(run, deps, config).await,
            FlowName::InventoryFull => super::inventory_full::run_once(run, deps, config).await,
            FlowName::InventoryDelta => super::inventory_delta::run_once(run, deps).await,
            FlowName::CatalogContent => super::catalog_content::run_once(run, deps, config).await,
        }
    }

    /// Runs the rows of `import FILE` in this process as a catalog-content run (trigger
    /// `import`), with the same record, cursor, retries and dead-letter as a queued run. An
    /// unfinished run of the same file (by its SHA-256) is resumed from its cursor.
    pub async fn run_import(
        &self,
        file_sha256: &str,
        rows: &[serde_json::Map<String, serde_json::Value>],
        skipped: &[crate::store::RunIssue],
        on_start: impl FnOnce(&str),
    ) -> Result<RunRecord, JobsError> {
        let flow = FlowName::CatalogContent;
        let runs = self.rt.store.job_runs();
        let prefix = format!("import-{}", &file_sha256[..file_sha256.len().min(16)]);
        let unfinished = runs
            .recent(Some(flow.as_str()), 200)
            .await?
            .into_iter()
            .find(|r| r.run_id.starts_with(&prefix) && !r.state.is_final());
        let fresh = unfinished.is_none();
        let run_id = match unfinished {
            Some(run) => run.run_id,
            None => {
                let id = format!("{prefix}-{}", stamp(u64::try_from(unix_now()).unwrap_or(0)));
                runs.insert_queued(&NewRun {
                    run_id: &id,
                    flow: flow.as_str(),
                    trigger: Trigger::Import.as_str(),
                    full: false,
                    max_attempts: i64::from(self.rt.config.max_attempts),
                    now: unix_now(),
                })
                .await?;
                id
            }
        };
        on_start(&run_id);
        let lease = self.lease_secs();
        let mut backoff = Duration::from_millis(self.rt.config.backoff_min_ms);
        let mut first = fresh;
        loop {
            self.wait_for_lease(flow, &run_id).await?;
            let Some(run) = runs
                .begin_attempt(&run_id, "import", None, unix_now())
                .await?
            else {
                break;
            };
            let settings = flow.settings(&self.rt.config);
            let mut context = RunContext::new(self.rt.store.clone(), run, settings, lease);
            let result = async {
                if std::mem::take(&mut first) && !skipped.is_empty() {
                    let counts = crate::store::RunCounts {
                        read: i64::try_from(skipped.len()).unwrap_or(0),
                        skipped: i64::try_from(skipped.len()).unwrap_or(0),
                        ..Default::default()
                    };
                    context.record(None::<&()>, counts, skipped, &[]).await?;
                }
                super::catalog_content::import_rows(&mut context, &self.rt.deps, rows).await
            }
            .await;
            match self.settle(&context.run, result).await? {
                Attempted::Retry(_) => {
                    tokio::time::sleep(backoff).await;
                    backoff =
                        (backoff * 2).min(Duration::from_millis(self.rt.config.backoff_max_ms));
                }
                Attempted::Done | Attempted::Dead(_) => break,
            }
        }
        runs.get(&run_id)
            .await?
            .ok_or_else(|| JobsError::Queue(format!("the run {run_id} disappeared")))
    }

    /// One run of a flow at a time, across replicas: waits until `run_id` holds the flow's
    /// lease (free, expired, or its own from before a crash).
    async fn wait_for_lease(&self, flow: FlowName, run_id: &str) -> Result<(), StoreError> {
        let lease = self.lease_secs();
        loop {
            let now = unix_now();
            let runs = self.rt.store.job_runs();
            if runs
                .acquire_lease(flow.as_str(), run_id, now + lease, now)
                .await?
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// How long a run's lease lasts without progress: a dead worker's flow is free again after it.
    fn lease_secs(&self) -> i64 {
        i64::try_from(self.rt.config.heartbeat_secs.saturating_mul(4))
            .unwrap_or(i64::MAX)
            .max(60)
    }
}

/// What one attempt ended with, for apalis.
enum Attempted {
    Done,
    Retry(String),
    Dead(String),
}

/// apalis' handler for a queued run.
async fn execute(
    request: RunRequest,
    jobs: Data<Arc<Runtime>>,
    worker: WorkerContext,
) -> Result<(), BoxDynError> {
    let jobs = Jobs {
        rt: (*jobs).clone(),
    };
    match jobs.attempt(&request, worker.name()).await {
        Attempted::Done => Ok(()),
        Attempted::Retry(message) => Err(message.into()),
        Attempted::Dead(message) => Err(Box::new(AbortError::new(message))),
    }
}

/// apalis-cron's handler: queue the tick's run (once across replicas), unless a run of the
/// flow is still queued or running.
async fn enqueue_tick(
    tick: Tick,
    jobs: Data<Jobs>,
    flow: Data<FlowName>,
) -> Result<(), BoxDynError> {
    let flow = *flow;
    if jobs.rt.store.job_runs().has_active(flow.as_str()).await? {
        tracing::info!(
            flow = flow.as_str(),
            "schedule skipped: a run of this flow is still queued or running"
        );
        return Ok(());
    }
    let run_id = jobs
        .enqueue(flow, false, Trigger::Schedule(tick.get_timestamp()))
        .await?;
    tracing::debug!(run = %run_id, "scheduled run queued");
    Ok(())
}

/// `20261127T130500Z` for a Unix second.
fn stamp(at: u64) -> String {
    let at = i64::try_from(at).unwrap_or(0);
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| at.to_string())
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "host".into())
}

fn fastrand_u16() -> u16 {
    let mut b = [0u8; 2];
    let _ = aws_lc_rs::rand::fill(&mut b);
    u16::from_be_bytes(b)
}
