//! ERP/WMS → Commerce, changed stock only (every few minutes): the WMS's rows changed since
//! the flow's watermark, written with `POST /V1/inventory/source-items`; the watermark moves
//! to the feed's when the run ends, so Commerce is never more than the schedule's interval
//! behind. Resumable from the WMS's page cursor; a resumed run reads the same change set (the
//! run keeps the watermark it started from).

use serde::{Deserialize, Serialize};

use super::FlowDeps;
use super::context::{FlowError, Outcome, RunContext};
use super::inventory_full::{step_size, write_source_items};
use super::stock::{StockBatch, StockFeed, commerce_sources, read_step, validate_rows};
use crate::store::RunCounts;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    feed: Option<String>,
    /// The highest watermark the feed reported so far.
    watermark: Option<i64>,
}

pub async fn run_once(run: &mut RunContext, deps: &FlowDeps) -> Result<Outcome, FlowError> {
    let erp = deps.erp()?;
    let commerce = deps.commerce()?;
    let since = run.since().and_then(|w| w.parse::<i64>().ok()).unwrap_or(0);
    let mut calls = 0;
    let known = commerce_sources(commerce, &mut calls).await?;
    let mut cursor: Cursor = run.cursor().unwrap_or_default();
    let want = step_size(run);
    loop {
        let page = read_step(
            erp,
            StockFeed::ChangedSince(since),
            cursor.feed.clone(),
            want,
        )
        .await?;
        cursor.watermark = cursor.watermark.max(page.watermark);
        let StockBatch {
            items,
            issues,
            read,
        } = validate_rows(page.items, page.rejected, &known);
        let written = write_source_items(run, deps, &items).await?;
        cursor.feed = page.next_cursor;
        let skipped = i64::try_from(issues.len()).unwrap_or(0);
        let mut all_issues = issues;
        all_issues.extend(written.failed.iter().cloned());
        let counts = RunCounts {
            read,
            written: i64::try_from(written.written.len()).unwrap_or(0),
            skipped,
            failed: i64::try_from(written.failed.len()).unwrap_or(0),
            commerce_calls: written.calls + std::mem::take(&mut calls),
        };
        run.record(Some(&cursor), counts, &all_issues, &[]).await?;
        if cursor.feed.is_none() {
            break;
        }
    }
    Ok(Outcome {
        watermark_after: Some(cursor.watermark.unwrap_or(since).to_string()),
    })
}
