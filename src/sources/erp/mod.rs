//! The ERP/WMS feeds the data flows read, behind the [`Erp`] trait (contract:
//! docs/connectors/erp.md): the product master with base prices changed since a watermark,
//! the whole stock per source, and the stock changed since a watermark.

mod client;
mod model;

pub use client::HttpErp;
pub use model::{ErpProduct, StockRow};

use super::feed::Page;
use super::resilience::SourceError;

/// Keyset-paged reads of the ERP/WMS. `SourceError::is_retriable` tells a failure worth a later
/// retry from one that is not; a malformed item is a `Page::rejected` entry, never an error.
#[async_trait::async_trait]
pub trait Erp: Send + Sync + 'static {
    /// Products whose master data or base price changed at or after `changed_since` (Unix
    /// seconds, inclusive), ordered by (`updated_at`, `sku`); `cursor` from the previous page.
    async fn product_changes(
        &self,
        changed_since: i64,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ErpProduct>, SourceError>;

    /// Every (sku, source) row of the stock ledger, ordered by (`sku`, `source_code`).
    async fn stock_full(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<StockRow>, SourceError>;

    /// The rows of every SKU whose stock changed at or after `since` (Unix seconds, inclusive),
    /// ordered by (`updated_at`, `sku`, `source_code`).
    async fn stock_changes(
        &self,
        since: i64,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<StockRow>, SourceError>;
}
