//! Wire types of the inventory connector contract.

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
pub struct LookupRequest<'a> {
    pub skus: &'a [String],
}

#[derive(Debug, Deserialize)]
pub struct LookupAnswer {
    #[serde(default)]
    pub items: Vec<StockItem>,
}

/// One SKU's stock across sources.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct StockItem {
    pub sku: String,
    #[serde(default)]
    pub sources: Vec<SourceStock>,
    /// When the ERP/WMS last changed this SKU's stock (RFC 3339).
    pub updated_at: String,
}

/// Stock of one source (warehouse, store).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct SourceStock {
    pub source_code: String,
    pub quantity: f64,
    #[serde(default)]
    pub reserved: f64,
}

impl SourceStock {
    /// On hand minus reserved, never below 0.
    pub fn salable(&self) -> f64 {
        (self.quantity - self.reserved).max(0.0)
    }
}

impl StockItem {
    pub fn salable(&self) -> f64 {
        self.sources.iter().map(SourceStock::salable).sum()
    }
}
