//! ERP/WMS → Commerce, the whole stock (daily): every source item the WMS lists is written
//! with `POST /V1/inventory/source-items` in batches, then every Commerce source item of those
//! sources that the feed no longer lists is zeroed (or deleted with
//! `/V1/inventory/source-items-delete`, `jobs.inventory_full.vanished`).
//!
//! Resumable: the cursor holds the WMS's page cursor and the phase; the keys written so far are
//! kept in the run's seen set, so a resumed run still knows what vanished. Writing a source
//! item is setting it, so a batch sent again after a crash changes nothing.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::FlowDeps;
use super::bulk::{Written, count, write_isolating};
use super::context::{FlowError, Outcome, RunContext};
use super::stock::{StockBatch, StockFeed, commerce_sources, forget, read_step, validate_rows};
use crate::config::{JobsConfig, Vanished};
use crate::sources::commerce::admin::model::{SourceItem, SourceItemKey};

/// Source items per page when listing Commerce's (reading is cheap; fewer calls matter).
const LIST_PAGE_SIZE: u32 = 1_000;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// The WMS's cursor of the next page (`None` before the first).
    feed: Option<String>,
    /// The whole feed is written; what is left is zeroing the vanished items.
    feed_done: bool,
    /// Source codes the feed listed so far.
    sources: BTreeSet<String>,
}

pub async fn run_once(
    run: &mut RunContext,
    deps: &FlowDeps,
    config: &JobsConfig,
) -> Result<Outcome, FlowError> {
    let erp = deps.erp()?;
    let commerce = deps.commerce()?;
    let mut calls = 0;
    let known = commerce_sources(commerce, &mut calls).await?;
    let mut cursor: Cursor = run.cursor().unwrap_or_default();
    let want = step_size(run);
    let mut first_calls = calls;
    while !cursor.feed_done {
        let page = read_step(erp, StockFeed::Full, cursor.feed.clone(), want).await?;
        // A row skipped for bad data still names a SKU the WMS has: its Commerce items are
        // kept as they are, not taken for vanished.
        let mut seen: Vec<String> = page
            .rejected
            .iter()
            .filter(|r| !r.key.starts_with('#'))
            .map(|r| any_source(&r.key))
            .collect();
        let StockBatch {
            items,
            issues,
            read,
        } = validate_rows(page.items, page.rejected, &known);
        cursor
            .sources
            .extend(items.iter().map(|i| i.source_code.clone()));
        let written = write_source_items(run, deps, &items).await?;
        cursor.feed = page.next_cursor;
        cursor.feed_done = cursor.feed.is_none();
        seen.extend(items.iter().map(key));
        let counts = written.counts(read, count(issues.len()), std::mem::take(&mut first_calls));
        let mut all_issues = issues;
        all_issues.extend(written.failed.iter().cloned());
        run.record(Some(&cursor), counts, &all_issues, &seen)
            .await?;
    }
    zero_vanished(run, deps, config, &cursor).await?;
    Ok(Outcome::default())
}

/// `sku@source`, the key of a source item in the seen set and in issues.
fn key(item: &SourceItem) -> String {
    format!("{}@{}", item.sku, item.source_code)
}

/// Rows per step: `batch_size` per Commerce request, `concurrency` requests at once.
pub(super) fn step_size(run: &RunContext) -> usize {
    usize::try_from(run.batch_size()).unwrap_or(1).max(1) * run.concurrency().max(1)
}

/// The seen-set key standing for every source of `sku`.
fn any_source(sku: &str) -> String {
    format!("{sku}@*")
}

/// Writes `items` in `concurrency` batches at once; the live-stock cache forgets their SKUs.
pub(super) async fn write_source_items(
    run: &RunContext,
    deps: &FlowDeps,
    items: &[SourceItem],
) -> Result<Written, FlowError> {
    let commerce = deps.commerce()?;
    let batch = usize::try_from(run.batch_size()).unwrap_or(1).max(1);
    let writes = items.chunks(batch).map(|chunk| {
        write_isolating(chunk, key, |b: Vec<SourceItem>| async move {
            commerce.save_source_items(&b).await
        })
    });
    let mut out = Written::default();
    for result in futures_util::future::join_all(writes).await {
        out.add(result?);
    }
    let skus: Vec<String> = items.iter().map(|i| i.sku.clone()).collect();
    forget(deps, &skus).await;
    Ok(out)
}

/// Zeroes (or deletes) every Commerce source item of the feed's sources that this run did
/// not see. Items already at 0 and out of stock are left alone, so a daily run does not
/// rewrite yesterday's zeroes.
async fn zero_vanished(
    run: &mut RunContext,
    deps: &FlowDeps,
    config: &JobsConfig,
    cursor: &Cursor,
) -> Result<(), FlowError> {
    let commerce = deps.commerce()?;
    let seen: HashSet<String> = run.seen().await?;
    let mut vanished = Vec::new();
    let mut calls = 0;
    let mut probe = String::new();
    for source in &cursor.sources {
        // Pages until Commerce's total is listed (or a page comes back empty): Commerce may
        // answer fewer items per page than asked for.
        let mut page = 1;
        let mut listed: u64 = 0;
        loop {
            calls += 1;
            let answer = commerce
                .list_source_items(source, page, LIST_PAGE_SIZE)
                .await
                .map_err(|e| super::bulk::flow_error("list source items", e))?;
            let count = answer.items.len() as u64;
            listed += count;
            for item in answer.items {
                if item.quantity == 0.0 && item.status == 0 {
                    continue;
                }
                // One buffer for every lookup: 100,000 listed items, no allocation each.
                probe.clear();
                let _ = write!(probe, "{}@{}", item.sku, item.source_code);
                let mut listed = seen.contains(probe.as_str());
                if !listed {
                    probe.clear();
                    let _ = write!(probe, "{}@*", item.sku);
                    listed = seen.contains(probe.as_str());
                }
                if !listed {
                    vanished.push(item);
                }
            }
            if count == 0 || listed >= answer.total_count {
                break;
            }
            page += 1;
        }
    }
    let written = match config.inventory_vanished {
        Vanished::Zero => {
            let zeroed: Vec<SourceItem> = vanished
                .iter()
                .map(|i| SourceItem {
                    quantity: 0.0,
                    status: 0,
                    ..i.clone()
                })
                .collect();
            write_source_items(run, deps, &zeroed).await?
        }
        Vanished::Delete => {
            let keys: Vec<SourceItemKey> = vanished
                .iter()
                .map(|i| SourceItemKey {
                    sku: i.sku.clone(),
                    source_code: i.source_code.clone(),
                })
                .collect();
            let out = write_isolating(
                &keys,
                |k| format!("{}@{}", k.sku, k.source_code),
                |b: Vec<SourceItemKey>| async move { commerce.delete_source_items(&b).await },
            )
            .await?;
            let skus: Vec<String> = keys.iter().map(|k| k.sku.clone()).collect();
            forget(deps, &skus).await;
            out
        }
    };
    if !vanished.is_empty() {
        tracing::info!(run = %run.run.run_id, vanished = vanished.len(), mode = ?config.inventory_vanished, "source items no longer in the feed");
    }
    let counts = written.counts(0, 0, calls);
    run.record(None::<&()>, counts, &written.failed, &[]).await
}
