//! ERP/WMS → Commerce, changed stock only (every few minutes): the WMS's rows changed since
//! the flow's watermark, written with `POST /V1/inventory/source-items`; the watermark moves
//! to the feed's when the run ends, so Commerce is never more than the schedule's interval
//! behind. Resumable from the WMS's page cursor; a resumed run reads the same change set (the
//! run keeps the watermark it started from).

use super::FlowDeps;
use super::bulk::count;
use super::context::{FeedCursor, FlowError, Outcome, RunContext};
use super::inventory_full::{step_size, write_source_items};
use super::stock::{StockBatch, StockFeed, commerce_sources, read_step, validate_rows};

pub async fn run_once(run: &mut RunContext, deps: &FlowDeps) -> Result<Outcome, FlowError> {
    let erp = deps.erp()?;
    let commerce = deps.commerce()?;
    let since = run.since_second();
    let mut calls = 0;
    let known = commerce_sources(commerce, &mut calls).await?;
    let mut cursor: FeedCursor = run.cursor().unwrap_or_default();
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
        let counts = written.counts(read, count(issues.len()), std::mem::take(&mut calls));
        let mut all_issues = issues;
        all_issues.extend(written.failed.iter().cloned());
        run.record(Some(&cursor), counts, &all_issues, &[]).await?;
        if cursor.feed.is_none() {
            break;
        }
    }
    Ok(cursor.outcome(since))
}
