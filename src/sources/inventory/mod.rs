//! ERP/WMS real-time stock, behind the [`Inventory`] trait (contract: docs/connectors/inventory.md).

mod client;
mod model;

pub use client::HttpInventory;
pub use model::{SourceStock, StockItem};

use super::resilience::SourceError;

/// Batch stock lookup by SKU.
#[async_trait::async_trait]
pub trait Inventory: Send + Sync + 'static {
    /// Stock of the given SKUs; unknown SKUs are left out.
    async fn lookup(&self, skus: &[String]) -> Result<Vec<StockItem>, SourceError>;
}
