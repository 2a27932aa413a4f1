//! What the two inventory flows share: checking the WMS's rows against Commerce's inventory
//! sources, and clearing the live-stock cache of the SKUs a run changed.

use std::collections::HashSet;

use super::FlowDeps;
use super::bulk::flow_error;
use super::context::FlowError;
use crate::sources::commerce::admin::CommerceAdmin;
use crate::sources::commerce::admin::model::SourceItem;
use crate::sources::erp::{Erp, StockRow};
use crate::sources::feed::{Page, Rejected};
use crate::store::RunIssue;

/// A page of WMS rows, checked.
pub(super) struct StockBatch {
    /// Rows to write.
    pub items: Vec<SourceItem>,
    /// Rows skipped, with why.
    pub issues: Vec<RunIssue>,
    /// Rows read (written or skipped).
    pub read: i64,
}

/// The inventory source codes Commerce has (an item for another source is skipped).
pub(super) async fn commerce_sources(
    commerce: &CommerceAdmin,
    calls: &mut i64,
) -> Result<HashSet<String>, FlowError> {
    *calls += 1;
    let sources = commerce
        .list_sources()
        .await
        .map_err(|e| flow_error("list inventory sources", e))?;
    Ok(sources.into_iter().collect())
}

/// Keeps the rows Commerce can take; the client's rejected rows and rows for a source
/// Commerce does not have become skipped issues.
pub(super) fn validate_rows(
    rows: Vec<StockRow>,
    rejected: Vec<Rejected>,
    known_sources: &HashSet<String>,
) -> StockBatch {
    let read = i64::try_from(rows.len() + rejected.len()).unwrap_or(i64::MAX);
    let mut issues: Vec<RunIssue> = rejected
        .into_iter()
        .map(|r| RunIssue::skipped(r.key, r.reason))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        if !known_sources.contains(&row.source_code) {
            issues.push(RunIssue::skipped(
                format!("{}@{}", row.sku, row.source_code),
                format!(
                    "unknown inventory source `{}`: Commerce has no source with this code",
                    row.source_code
                ),
            ));
            continue;
        }
        items.push(SourceItem {
            sku: row.sku,
            source_code: row.source_code,
            quantity: row.quantity,
            status: row.status,
        });
    }
    StockBatch {
        items,
        issues,
        read,
    }
}

/// Drops `skus` from the live-stock cache of this process.
pub(super) async fn forget(deps: &FlowDeps, skus: &[String]) {
    if let Some(stock) = &deps.stock {
        stock.forget(skus).await;
    }
}

/// A feed's failure: worth a retry (the connector's own retries and breaker ran already).
pub(super) fn source_error(e: impl std::fmt::Display) -> FlowError {
    FlowError::Retriable(format!("ERP/WMS feed: {e}"))
}

/// Which stock feed a flow reads.
#[derive(Clone, Copy)]
pub(super) enum StockFeed {
    /// Every row (`/erp/v1/stock`).
    Full,
    /// Rows changed at or after this Unix second (`/erp/v1/stock/changes`).
    ChangedSince(i64),
}

/// Reads feed pages from `cursor` until `want` rows (one step's worth: `batch_size ×
/// concurrency`, which may span several of the feed's pages) or the end of the feed.
pub(super) async fn read_step(
    erp: &dyn Erp,
    feed: StockFeed,
    mut cursor: Option<String>,
    want: usize,
) -> Result<Page<StockRow>, FlowError> {
    let mut step = Page {
        items: Vec::new(),
        rejected: Vec::new(),
        next_cursor: None,
        watermark: None,
    };
    loop {
        let limit = u32::try_from((want - step.items.len()).clamp(1, 1_000)).unwrap_or(1_000);
        let page = match feed {
            StockFeed::Full => erp.stock_full(cursor.as_deref(), limit).await,
            StockFeed::ChangedSince(since) => {
                erp.stock_changes(since, cursor.as_deref(), limit).await
            }
        }
        .map_err(source_error)?;
        step.items.extend(page.items);
        step.rejected.extend(page.rejected);
        step.watermark = step.watermark.max(page.watermark);
        cursor = page.next_cursor;
        if cursor.is_none() || step.items.len() + step.rejected.len() >= want {
            step.next_cursor = cursor;
            return Ok(step);
        }
    }
}
