//! What a flow gets for one attempt of a run: the run as it stands (its durable cursor, the
//! watermark it started from, whether it is a full run), the sizes from the config, and the one
//! way to record progress — counters, issues, seen keys and the next cursor in one transaction,
//! which also renews the flow's lease.

use std::collections::HashSet;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::FlowSettings;
use crate::store::{Progress, RunCounts, RunIssue, RunRecord, Store, StoreError, unix_now};

/// The cursor of an incremental flow: where the feed continues, and the highest watermark its
/// pages reported so far (the flow's next watermark when the run ends).
#[derive(Debug, Default, Serialize, serde::Deserialize)]
pub struct FeedCursor {
    pub feed: Option<String>,
    pub watermark: Option<i64>,
}

impl FeedCursor {
    /// The run's outcome: the flow's watermark moves to the feed's (or stays at `since` when
    /// nothing changed).
    pub fn outcome(&self, since: i64) -> Outcome {
        Outcome {
            watermark_after: Some(self.watermark.unwrap_or(since).to_string()),
        }
    }
}

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Worth another attempt after a backoff: Commerce or a source down, slow or answering
    /// 5xx, a bulk whose operations keep failing retriably, the store busy.
    #[error("{0}")]
    Retriable(String),
    /// No retry can help (a source or Commerce not configured, credentials refused): the run
    /// is dead-lettered at once.
    #[error("{0}")]
    Fatal(String),
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        FlowError::Retriable(format!("store: {e}"))
    }
}

/// What a finished attempt leaves.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The flow's new watermark (`None`: unchanged).
    pub watermark_after: Option<String>,
}

/// One attempt of one run.
pub struct RunContext {
    store: Store,
    /// The run as this attempt started it.
    pub run: RunRecord,
    pub settings: FlowSettings,
    /// How long each progress step extends the flow's lease, in seconds.
    lease_secs: i64,
}

impl RunContext {
    pub(crate) fn new(
        store: Store,
        run: RunRecord,
        settings: FlowSettings,
        lease_secs: i64,
    ) -> Self {
        Self {
            store,
            run,
            settings,
            lease_secs,
        }
    }

    /// The cursor a previous attempt left, in the flow's own format (`None`: start over, also
    /// when it does not parse — a cursor from an older release).
    pub fn cursor<T: DeserializeOwned>(&self) -> Option<T> {
        let raw = self.run.cursor.as_deref()?;
        serde_json::from_str(raw).ok()
    }

    /// The watermark the run reads changes since (`None`: everything — a full run, or the
    /// flow's first).
    pub fn since(&self) -> Option<&str> {
        if self.run.full {
            None
        } else {
            self.run.watermark_before.as_deref()
        }
    }

    /// The watermark as the Unix second an incremental feed reads changes since (0: all).
    pub fn since_second(&self) -> i64 {
        self.since()
            .and_then(|w| w.parse::<i64>().ok())
            .unwrap_or(0)
    }

    pub fn batch_size(&self) -> u32 {
        self.settings.batch_size
    }

    pub fn concurrency(&self) -> usize {
        usize::try_from(self.settings.concurrency).unwrap_or(1)
    }

    /// Records one step: counters and issues are added, `seen` keys kept, and the cursor moves
    /// to `cursor` — atomically, so a crash resumes after the last recorded step.
    pub async fn record<C: Serialize>(
        &mut self,
        cursor: Option<&C>,
        counts: RunCounts,
        issues: &[RunIssue],
        seen: &[String],
    ) -> Result<(), FlowError> {
        let cursor = cursor
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| FlowError::Fatal(format!("cursor: {e}")))?;
        let now = unix_now();
        let step = Progress {
            cursor: cursor.as_deref(),
            counts,
            issues,
            seen,
        };
        self.store
            .job_runs()
            .save_progress(&self.run.run_id, &step, now)
            .await?;
        if let Some(c) = cursor {
            self.run.cursor = Some(c);
        }
        add(&mut self.run.counts, counts);
        self.renew_lease().await
    }

    /// Extends the flow's lease (long waits with nothing to record call it).
    pub async fn renew_lease(&self) -> Result<(), FlowError> {
        let now = unix_now();
        let held = self
            .store
            .job_runs()
            .acquire_lease(&self.run.flow, &self.run.run_id, now + self.lease_secs, now)
            .await?;
        if held {
            Ok(())
        } else {
            Err(FlowError::Retriable(
                "another run of this flow took over its lease".into(),
            ))
        }
    }

    /// The item keys this run has recorded as seen (across attempts).
    pub async fn seen(&self) -> Result<HashSet<String>, FlowError> {
        Ok(self.store.job_runs().seen(&self.run.run_id).await?)
    }
}

fn add(total: &mut RunCounts, step: RunCounts) {
    total.read += step.read;
    total.written += step.written;
    total.skipped += step.skipped;
    total.failed += step.failed;
    total.commerce_calls += step.commerce_calls;
}
