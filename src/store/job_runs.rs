//! The job runtime's records (`src/jobs/`): one row per run (state, attempts, counters, the
//! durable cursor, watermarks before and after), the reasons items were skipped or failed, the
//! item keys a full sync has seen so far, and per flow its watermark and the lease that keeps
//! two runs of one flow from overlapping across replicas. apalis keeps the queue itself in its
//! own tables; these rows are what operators read (`jobs status`, `GET /admin/jobs`).

use std::collections::HashSet;

use sqlx::Row;

use super::{BeginWrite, Store, StoreError, on_pool};

/// Reasons stored per run; the counters count every item, the list stops here.
pub const MAX_ISSUES_PER_RUN: i64 = 1_000;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Waiting for a worker.
    Queued,
    /// A worker is on it.
    Running,
    /// An attempt failed; the next one waits out its backoff.
    Retrying,
    /// Done; items may still have been skipped or failed (see the counters).
    Succeeded,
    /// Out of attempts (or failed for a reason no retry can fix): dead-lettered.
    Dead,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Retrying => "retrying",
            RunState::Succeeded => "succeeded",
            RunState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> RunState {
        match s {
            "running" => RunState::Running,
            "retrying" => RunState::Retrying,
            "succeeded" => RunState::Succeeded,
            "dead" => RunState::Dead,
            _ => RunState::Queued,
        }
    }

    /// Whether the run will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, RunState::Succeeded | RunState::Dead)
    }
}

/// Item counters of a run (or of one step of it, to add).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunCounts {
    /// Items read from the source.
    pub read: i64,
    /// Items Commerce accepted.
    pub written: i64,
    /// Items not sent: invalid or unknown to Commerce (reasons in the issues).
    pub skipped: i64,
    /// Items Commerce refused (its message in the issues).
    pub failed: i64,
    /// Requests sent to Commerce.
    pub commerce_calls: i64,
}

/// Why one item was skipped or failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunIssue {
    /// `skipped` (never sent) or `failed` (Commerce refused it).
    pub kind: &'static str,
    /// The SKU, `sku@source`, or `#<position>` when the item had no key.
    pub item: String,
    pub reason: String,
}

impl RunIssue {
    pub fn skipped(item: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            kind: "skipped",
            item: item.into(),
            reason: reason.into(),
        }
    }

    pub fn failed(item: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            kind: "failed",
            item: item.into(),
            reason: reason.into(),
        }
    }
}

/// One run. Times are Unix seconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunRecord {
    pub run_id: String,
    pub flow: String,
    /// `schedule`, `manual` or `import`.
    pub trigger: String,
    /// Ignore the watermark: everything, not only what changed.
    pub full: bool,
    pub state: RunState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
    pub counts: RunCounts,
    pub watermark_before: Option<String>,
    pub watermark_after: Option<String>,
    /// Where a resumed attempt continues (the flow's own format).
    pub cursor: Option<String>,
    /// The worker of the latest attempt.
    pub worker: Option<String>,
    pub last_error: Option<String>,
}

/// A new run, as queued.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub run_id: &'a str,
    pub flow: &'a str,
    pub trigger: &'a str,
    pub full: bool,
    pub max_attempts: i64,
    pub now: i64,
}

/// What one step of a run adds.
#[derive(Debug, Default)]
pub struct Progress<'a> {
    /// The cursor to resume from after this step (`None`: leave it).
    pub cursor: Option<&'a str>,
    pub counts: RunCounts,
    pub issues: &'a [RunIssue],
    /// Item keys this step delivered (full syncs).
    pub seen: &'a [String],
}

/// The columns [`RunRecord`] reads, as a literal so the queries stay `&'static str`.
macro_rules! run_columns {
    () => {
        "run_id, flow, trigger_kind, full_sync, state, attempts, max_attempts, queued_at, \
         started_at, finished_at, updated_at, items_read, items_written, items_skipped, \
         items_failed, commerce_calls, watermark_before, watermark_after, cursor, worker, \
         last_error"
    };
}

macro_rules! record_from_row {
    ($row:expr) => {{
        let row = $row;
        RunRecord {
            run_id: row.try_get("run_id")?,
            flow: row.try_get("flow")?,
            trigger: row.try_get("trigger_kind")?,
            full: row.try_get::<i64, _>("full_sync")? != 0,
            state: RunState::parse(row.try_get::<&str, _>("state")?),
            attempts: row.try_get("attempts")?,
            max_attempts: row.try_get("max_attempts")?,
            queued_at: row.try_get("queued_at")?,
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
            updated_at: row.try_get("updated_at")?,
            counts: RunCounts {
                read: row.try_get("items_read")?,
                written: row.try_get("items_written")?,
                skipped: row.try_get("items_skipped")?,
                failed: row.try_get("items_failed")?,
                commerce_calls: row.try_get("commerce_calls")?,
            },
            watermark_before: row.try_get("watermark_before")?,
            watermark_after: row.try_get("watermark_after")?,
            cursor: row.try_get("cursor")?,
            worker: row.try_get("worker")?,
            last_error: row.try_get("last_error")?,
        }
    }};
}

/// Ending a run (well or dead) drops its seen keys, by run id.
const DELETE_SEEN: &str = "DELETE FROM job_run_seen WHERE run_id = $1";

/// Ending an attempt releases the flow's lease, when this run holds it (flow, run id).
const RELEASE_LEASE: &str = "UPDATE job_flows SET lease_holder = NULL, lease_until = 0 \
                             WHERE flow = $1 AND lease_holder = $2";

/// The job tables.
pub struct JobRuns<'a> {
    store: &'a Store,
}

impl<'a> JobRuns<'a> {
    pub(super) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Records a queued run; `false` when a run with this id exists already (a scheduled tick
    /// another replica queued first).
    pub async fn insert_queued(&self, run: &NewRun<'_>) -> Result<bool, StoreError> {
        let sql = "INSERT INTO job_runs (run_id, flow, trigger_kind, full_sync, state, attempts, \
                   max_attempts, queued_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, \
                   $6, $6) ON CONFLICT (run_id) DO NOTHING";
        let done = on_pool!(self.store, pool => {
            sqlx::query(sql)
                .bind(run.run_id)
                .bind(run.flow)
                .bind(run.trigger)
                .bind(i64::from(run.full))
                .bind(run.max_attempts)
                .bind(run.now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    pub async fn get(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let sql = concat!(
            "SELECT ",
            run_columns!(),
            " FROM job_runs WHERE run_id = $1"
        );
        on_pool!(self.store, pool => {
            let row = sqlx::query(sql).bind(run_id).fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(record_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// The latest runs, newest first, of one flow or of all.
    pub async fn recent(
        &self,
        flow: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let sql = concat!(
            "SELECT ",
            run_columns!(),
            " FROM job_runs WHERE ($1 IS NULL OR flow = $1) \
             ORDER BY queued_at DESC, run_id DESC LIMIT $2"
        );
        on_pool!(self.store, pool => {
            let rows = sqlx::query(sql).bind(flow).bind(limit).fetch_all(pool).await?;
            let mut runs = Vec::with_capacity(rows.len());
            for row in rows {
                runs.push(record_from_row!(row));
            }
            Ok(runs)
        })
    }

    /// Whether a run of `flow` is queued, running or waiting to retry.
    pub async fn has_active(&self, flow: &str) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM job_runs WHERE flow = $1 \
                   AND state IN ('queued', 'running', 'retrying')";
        let count: i64 = on_pool!(self.store, pool => {
            sqlx::query_scalar(sql).bind(flow).fetch_one(pool).await?
        });
        Ok(count > 0)
    }

    /// Starts an attempt: state running, one more attempt, the worker, the start time (kept
    /// from the first attempt), and the watermark the run starts from (kept once set, so a
    /// resumed run reads the same change set). Returns the record as it now is.
    pub async fn begin_attempt(
        &self,
        run_id: &str,
        worker: &str,
        watermark_before: Option<&str>,
        now: i64,
    ) -> Result<Option<RunRecord>, StoreError> {
        let sql = "UPDATE job_runs SET state = 'running', attempts = attempts + 1, worker = $2, \
                   started_at = COALESCE(started_at, $3), updated_at = $3, \
                   watermark_before = COALESCE(watermark_before, $4) \
                   WHERE run_id = $1 AND state NOT IN ('succeeded', 'dead')";
        on_pool!(self.store, pool => {
            sqlx::query(sql)
                .bind(run_id)
                .bind(worker)
                .bind(now)
                .bind(watermark_before)
                .execute(pool)
                .await?;
        });
        match self.get(run_id).await? {
            Some(run) if run.state == RunState::Running => Ok(Some(run)),
            _ => Ok(None),
        }
    }

    /// Adds one step's counters, issues and seen keys and moves the cursor, atomically: a
    /// crash leaves either the step before or the step after, never half of one.
    pub async fn save_progress(
        &self,
        run_id: &str,
        step: &Progress<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        let c = step.counts;
        on_pool!(self.store, pool => {
            let mut tx = pool.begin_write().await?;
            let issued: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM job_run_issues WHERE run_id = $1",
            )
            .bind(run_id)
            .fetch_one(&mut *tx)
            .await?;
            let room = usize::try_from((MAX_ISSUES_PER_RUN - issued).max(0)).unwrap_or(0);
            for (i, issue) in step.issues.iter().take(room).enumerate() {
                sqlx::query(
                    "INSERT INTO job_run_issues (run_id, seq, kind, item_key, reason) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(run_id)
                .bind(issued + i64::try_from(i).unwrap_or(0))
                .bind(issue.kind)
                .bind(&issue.item)
                .bind(&issue.reason)
                .execute(&mut *tx)
                .await?;
            }
            if !step.seen.is_empty() {
                // One row per step (keys newline-separated): a 100,000-item sync stores a few
                // hundred rows, not 100,000.
                let seq: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM job_run_seen WHERE run_id = $1",
                )
                .bind(run_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO job_run_seen (run_id, seq, item_keys) VALUES ($1, $2, $3)",
                )
                .bind(run_id)
                .bind(seq)
                .bind(step.seen.join("\n"))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE job_runs SET items_read = items_read + $2, \
                 items_written = items_written + $3, items_skipped = items_skipped + $4, \
                 items_failed = items_failed + $5, commerce_calls = commerce_calls + $6, \
                 cursor = COALESCE($7, cursor), updated_at = $8 WHERE run_id = $1",
            )
            .bind(run_id)
            .bind(c.read)
            .bind(c.written)
            .bind(c.skipped)
            .bind(c.failed)
            .bind(c.commerce_calls)
            .bind(step.cursor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The item keys the run has seen so far.
    pub async fn seen(&self, run_id: &str) -> Result<HashSet<String>, StoreError> {
        let sql = "SELECT item_keys FROM job_run_seen WHERE run_id = $1";
        let rows: Vec<String> = on_pool!(self.store, pool => {
            sqlx::query_scalar(sql).bind(run_id).fetch_all(pool).await?
        });
        Ok(rows
            .iter()
            .flat_map(|keys| keys.split('\n'))
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// The stored reasons of a run, in the order they happened.
    pub async fn issues(&self, run_id: &str, limit: i64) -> Result<Vec<RunIssue>, StoreError> {
        let sql = "SELECT kind, item_key, reason FROM job_run_issues WHERE run_id = $1 \
                   ORDER BY seq LIMIT $2";
        on_pool!(self.store, pool => {
            let rows = sqlx::query(sql).bind(run_id).bind(limit).fetch_all(pool).await?;
            let mut issues = Vec::with_capacity(rows.len());
            for row in rows {
                let kind: String = row.try_get("kind")?;
                issues.push(RunIssue {
                    kind: if kind == "failed" { "failed" } else { "skipped" },
                    item: row.try_get("item_key")?,
                    reason: row.try_get("reason")?,
                });
            }
            Ok(issues)
        })
    }

    /// Ends a run well: the flow's watermark moves to `watermark_after` (when given), the
    /// seen keys go, the lease is released — in one transaction.
    pub async fn finish(
        &self,
        run: &RunRecord,
        watermark_after: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self.store, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE job_runs SET state = 'succeeded', finished_at = $2, updated_at = $2, \
                 watermark_after = $3, last_error = NULL WHERE run_id = $1",
            )
            .bind(&run.run_id)
            .bind(now)
            .bind(watermark_after)
            .execute(&mut *tx)
            .await?;
            if let Some(mark) = watermark_after {
                sqlx::query(
                    "INSERT INTO job_flows (flow, watermark) VALUES ($1, $2) \
                     ON CONFLICT (flow) DO UPDATE SET watermark = excluded.watermark",
                )
                .bind(&run.flow)
                .bind(mark)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(DELETE_SEEN)
                .bind(&run.run_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(RELEASE_LEASE)
                .bind(&run.flow)
                .bind(&run.run_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// An attempt failed: `retrying` (the cursor stays for the next attempt) or `dead`
    /// (dead-lettered). The lease is released either way.
    pub async fn fail_attempt(
        &self,
        run: &RunRecord,
        dead: bool,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let state = if dead { "dead" } else { "retrying" };
        on_pool!(self.store, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE job_runs SET state = $2, last_error = $3, updated_at = $4, \
                 finished_at = CASE WHEN $2 = 'dead' THEN $4 ELSE finished_at END \
                 WHERE run_id = $1",
            )
            .bind(&run.run_id)
            .bind(state)
            .bind(error)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if dead {
                sqlx::query(DELETE_SEEN)
                    .bind(&run.run_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(RELEASE_LEASE)
                .bind(&run.flow)
                .bind(&run.run_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes (or renews) the flow's lease for `run_id` until `until`; `false` while another run
    /// of the flow holds an unexpired one.
    pub async fn acquire_lease(
        &self,
        flow: &str,
        run_id: &str,
        until: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO job_flows (flow, lease_holder, lease_until) VALUES ($1, $2, $3) \
                   ON CONFLICT (flow) DO UPDATE SET lease_holder = excluded.lease_holder, \
                   lease_until = excluded.lease_until \
                   WHERE job_flows.lease_holder IS NULL OR job_flows.lease_holder = $2 \
                   OR job_flows.lease_until < $4";
        let done = on_pool!(self.store, pool => {
            sqlx::query(sql)
                .bind(flow)
                .bind(run_id)
                .bind(until)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// The watermark the flow's last good run left.
    pub async fn watermark(&self, flow: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT watermark FROM job_flows WHERE flow = $1";
        let mark: Option<Option<String>> = on_pool!(self.store, pool => {
            sqlx::query_scalar(sql).bind(flow).fetch_optional(pool).await?
        });
        Ok(mark.flatten())
    }
}
