//! What the two inventory flows share: checking the WMS's rows against Commerce's inventory
//! sources, and clearing the live-stock cache of the SKUs a run changed.

use std::collections::HashSet;

use super::FlowDeps;
use super::bulk::flow_error;
use super::context::FlowError;
use crate::sources::commerce::admin::CommerceAdmin;
use crate::sources::commerce::admin::model::SourceItem;
use crate::sources::erp::StockRow;
use crate::sources::feed::Rejected;
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
