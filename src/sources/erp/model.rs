//! Items of the ERP/WMS feeds and the contract's bounds on them.

use serde::{Deserialize, Serialize};

use crate::sources::feed::{FeedItem, check_amount, check_len, check_sku, check_text};

/// Longest product name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest `type_id` or `source_code`, in characters.
pub const MAX_CODE_CHARS: usize = 64;
/// Most websites one product is assigned to.
pub const MAX_WEBSITES: usize = 100;

/// One product of the ERP's product master, with its base price.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ErpProduct {
    pub sku: String,
    pub name: String,
    /// Commerce's product type: `simple`, `virtual`, `downloadable`, `configurable`, … (the
    /// flow checks it against Commerce's types).
    pub type_id: String,
    /// Commerce's attribute set id.
    pub attribute_set_id: u32,
    /// Base price in the catalog (base) currency.
    pub price: f64,
    /// Commerce's `status`: 1 enabled, 2 disabled.
    pub status: u8,
    /// Commerce's `visibility`: 1 not visible individually, 2 catalog, 3 search, 4 both.
    pub visibility: u8,
    /// In the store's weight unit; `None` for goods without weight.
    #[serde(default)]
    pub weight: Option<f64>,
    /// Commerce website ids the product is assigned to.
    pub website_ids: Vec<u32>,
    /// A variant's configurable parent.
    #[serde(default)]
    pub parent_sku: Option<String>,
    /// When the ERP last changed the product, Unix seconds.
    pub updated_at: i64,
}

impl FeedItem for ErpProduct {
    fn check(&self) -> Result<(), String> {
        check_sku(&self.sku)?;
        check_text("name", &self.name, MAX_NAME_CHARS, true)?;
        check_text("type_id", &self.type_id, MAX_CODE_CHARS, true)?;
        if self.attribute_set_id == 0 {
            return Err("attribute_set_id must be a positive id".into());
        }
        check_amount("price", self.price)?;
        if !matches!(self.status, 1 | 2) {
            return Err(format!(
                "status must be 1 (enabled) or 2 (disabled), got {}",
                self.status
            ));
        }
        if !(1..=4).contains(&self.visibility) {
            return Err(format!(
                "visibility must be 1 to 4, got {}",
                self.visibility
            ));
        }
        if let Some(weight) = self.weight {
            check_amount("weight", weight)?;
        }
        check_len("website_ids", self.website_ids.len(), MAX_WEBSITES)?;
        if let Some(parent) = &self.parent_sku {
            check_sku(parent).map_err(|e| format!("parent_{e}"))?;
        }
        if self.updated_at < 0 {
            return Err("updated_at must be Unix seconds, at least 0".into());
        }
        Ok(())
    }
}

/// One (SKU, source) row of the WMS stock: what Commerce may sell from that source.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StockRow {
    pub sku: String,
    /// Commerce MSI source code (the flow checks it against Commerce's sources).
    pub source_code: String,
    /// Quantity Commerce may sell from the source: on hand less the WMS's own reservations.
    pub quantity: f64,
    /// Commerce's source item status: 1 in stock, 0 out of stock.
    pub status: u8,
    /// When the WMS last changed the SKU's stock, Unix seconds.
    #[serde(default)]
    pub updated_at: Option<i64>,
}

impl FeedItem for StockRow {
    fn check(&self) -> Result<(), String> {
        check_sku(&self.sku)?;
        check_text("source_code", &self.source_code, MAX_CODE_CHARS, true)?;
        check_amount("quantity", self.quantity)?;
        if !matches!(self.status, 0 | 1) {
            return Err(format!("status must be 0 or 1, got {}", self.status));
        }
        if self.updated_at.is_some_and(|t| t < 0) {
            return Err("updated_at must be Unix seconds, at least 0".into());
        }
        Ok(())
    }
}
