//! Writing to Commerce in batches, shared by the flows:
//!
//! * [`write_products`]: Commerce's asynchronous bulk API, as Adobe recommends for catalog
//!   imports — one `PUT /async/bulk/V1/products/bySku` per batch, its status polled
//!   (`/V1/bulk/{uuid}/detailed-status`) until no operation is open, operations that failed
//!   retriably resubmitted alone (a few rounds), the others reported with Commerce's message.
//! * [`write_isolating`]: a synchronous batch call (source items, base prices) that Commerce
//!   refuses whole when one item is bad: the batch is split in halves until the bad items stand
//!   alone, so one bad row costs a few extra calls, not the run.

use std::future::Future;
use std::time::{Duration, Instant};

use super::context::{FlowError, RunContext};
use crate::config::JobsConfig;
use crate::sources::commerce::admin::model::{OperationStatus, ProductWrite};
use crate::sources::commerce::admin::{AdminError, CommerceAdmin};
use crate::store::{RunCounts, RunIssue};

/// Rounds of resubmitting retriably failed operations before the attempt gives up (and the
/// run is retried after a backoff, from the same cursor).
const RESUBMIT_ROUNDS: usize = 3;

/// What a batch write did.
#[derive(Debug, Default)]
pub struct Written {
    /// Keys Commerce accepted.
    pub written: Vec<String>,
    /// Items Commerce refused, with its message.
    pub failed: Vec<RunIssue>,
    /// Requests sent.
    pub calls: i64,
}

impl Written {
    /// Adds another batch's outcome.
    pub fn add(&mut self, other: Written) {
        self.written.extend(other.written);
        self.failed.extend(other.failed);
        self.calls += other.calls;
    }

    /// The counters of a step that read `read` items, skipped `skipped` of them and made
    /// `other_calls` Commerce calls besides these writes.
    pub fn counts(&self, read: i64, skipped: i64, other_calls: i64) -> RunCounts {
        RunCounts {
            read,
            written: count(self.written.len()),
            skipped,
            failed: count(self.failed.len()),
            commerce_calls: self.calls + other_calls,
        }
    }
}

/// A length as a counter.
pub fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Maps a Commerce admin error of a whole call to the attempt's fate.
pub fn flow_error(what: &str, e: AdminError) -> FlowError {
    if e.is_retriable() {
        FlowError::Retriable(format!("{what}: {e}"))
    } else {
        match e {
            AdminError::NotConfigured | AdminError::Unauthorized => {
                FlowError::Fatal(format!("{what}: {e}"))
            }
            other => FlowError::Retriable(format!("{what}: {other}")),
        }
    }
}

/// Writes `products` through the asynchronous bulk API (see the module doc).
pub async fn write_products(
    admin: &CommerceAdmin,
    config: &JobsConfig,
    run: &RunContext,
    products: Vec<ProductWrite>,
) -> Result<Written, FlowError> {
    let mut out = Written::default();
    let mut pending = products;
    let mut last_message = String::new();
    for _ in 0..=RESUBMIT_ROUNDS {
        if pending.is_empty() {
            return Ok(out);
        }
        out.calls += 1;
        let accepted = admin
            .submit_products_bulk(&pending)
            .await
            .map_err(|e| flow_error("async bulk products", e))?;
        let operations =
            poll_until_settled(admin, config, run, &accepted.bulk_uuid, &mut out).await?;
        let mut retry = Vec::new();
        for (index, product) in pending.into_iter().enumerate() {
            let operation = operations
                .iter()
                .find(|o| usize::try_from(o.id).ok() == Some(index))
                .or_else(|| operations.get(index));
            match operation {
                Some(op) => match op.status {
                    OperationStatus::Complete => out.written.push(product.sku.clone()),
                    OperationStatus::FailedRetriable => {
                        last_message = op.result_message.clone().unwrap_or_default();
                        retry.push(product);
                    }
                    OperationStatus::FailedNotRetriable | OperationStatus::Rejected => {
                        out.failed.push(RunIssue::failed(
                            product.sku.clone(),
                            op.result_message
                                .clone()
                                .unwrap_or_else(|| "Commerce refused the operation".into()),
                        ));
                    }
                    OperationStatus::Open => retry.push(product),
                },
                None => retry.push(product),
            }
        }
        pending = retry;
    }
    if pending.is_empty() {
        return Ok(out);
    }
    Err(FlowError::Retriable(format!(
        "{} bulk operations still failing after {RESUBMIT_ROUNDS} resubmissions: {last_message}",
        pending.len()
    )))
}

async fn poll_until_settled(
    admin: &CommerceAdmin,
    config: &JobsConfig,
    run: &RunContext,
    bulk_uuid: &str,
    out: &mut Written,
) -> Result<Vec<crate::sources::commerce::admin::model::BulkOperation>, FlowError> {
    let deadline = Instant::now() + Duration::from_secs(config.bulk_timeout_secs);
    let pause = Duration::from_millis(config.bulk_poll_ms);
    let mut renewed = Instant::now();
    loop {
        out.calls += 1;
        let status = admin
            .bulk_detailed_status(bulk_uuid)
            .await
            .map_err(|e| flow_error("bulk status", e))?;
        if !status
            .operations
            .iter()
            .any(|o| o.status == OperationStatus::Open)
        {
            return Ok(status.operations);
        }
        if Instant::now() >= deadline {
            return Err(FlowError::Retriable(format!(
                "bulk {bulk_uuid} still has open operations after {} s",
                config.bulk_timeout_secs
            )));
        }
        if renewed.elapsed() > Duration::from_secs(10) {
            run.renew_lease().await?;
            renewed = Instant::now();
        }
        tokio::time::sleep(pause).await;
    }
}

/// Calls `send` with `items`; when Commerce refuses the whole batch for its content (HTTP
/// 4xx), splits it in halves until each bad item stands alone and reports it with Commerce's
/// message. `key` names an item in the run's issues.
pub async fn write_isolating<T, F, Fut>(
    items: &[T],
    key: impl Fn(&T) -> String,
    send: F,
) -> Result<Written, FlowError>
where
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<(), AdminError>>,
    T: Clone,
{
    let mut out = Written::default();
    let mut stack: Vec<&[T]> = vec![items];
    while let Some(batch) = stack.pop() {
        if batch.is_empty() {
            continue;
        }
        out.calls += 1;
        match send(batch.to_vec()).await {
            Ok(()) => out.written.extend(batch.iter().map(&key)),
            Err(e) if is_content_refusal(&e) => {
                if batch.len() == 1 {
                    out.failed
                        .push(RunIssue::failed(key(&batch[0]), refusal_message(&e)));
                } else {
                    let (left, right) = batch.split_at(batch.len() / 2);
                    stack.push(right);
                    stack.push(left);
                }
            }
            Err(e) => return Err(flow_error("Commerce", e)),
        }
    }
    Ok(out)
}

fn is_content_refusal(e: &AdminError) -> bool {
    matches!(e, AdminError::Status { status, .. } if (400..500).contains(status) && *status != 401 && *status != 429)
}

fn refusal_message(e: &AdminError) -> String {
    match e {
        AdminError::Status { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
