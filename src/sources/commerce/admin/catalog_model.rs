//! Wire types of the catalog and inventory calls, per Adobe's 2.4.9 Swagger
//! (`catalog-data-product-interface`, `catalog-data-base-price-interface`,
//! `catalog-data-price-update-result-interface`, `inventory-api-data-source-item-interface`,
//! `asynchronous-operations-data-*`) and the async bulk answer of Adobe's REST docs.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};

/// A product as written to Commerce (`{"product": …}`); `None` fields are left out, so a write
/// changes only what it names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductWrite {
    pub sku: String,
    pub name: Option<String>,
    pub price: Option<f64>,
    /// 1 enabled, 2 disabled.
    pub status: Option<u8>,
    /// 1 not visible individually, 2 catalog, 3 search, 4 both.
    pub visibility: Option<u8>,
    pub type_id: Option<String>,
    pub attribute_set_id: Option<u32>,
    pub weight: Option<f64>,
    pub website_ids: Option<Vec<u32>>,
    /// Commerce category ids (`extension_attributes.category_links`).
    pub category_ids: Option<Vec<u32>>,
    /// `custom_attributes` (`description`, `short_description`, `meta_title`, `url_key` …).
    pub custom_attributes: Vec<(String, Value)>,
    pub media: Vec<MediaEntry>,
}

/// One `media_gallery_entries` item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaEntry {
    pub media_type: String,
    pub label: Option<String>,
    pub position: u32,
    pub disabled: bool,
    /// `image`, `small_image`, `thumbnail` …
    pub types: Vec<String>,
    pub file: String,
}

impl Serialize for ProductWrite {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("sku", &self.sku)?;
        if let Some(v) = &self.name {
            map.serialize_entry("name", v)?;
        }
        if let Some(v) = self.price {
            map.serialize_entry("price", &v)?;
        }
        if let Some(v) = self.status {
            map.serialize_entry("status", &v)?;
        }
        if let Some(v) = self.visibility {
            map.serialize_entry("visibility", &v)?;
        }
        if let Some(v) = &self.type_id {
            map.serialize_entry("type_id", v)?;
        }
        if let Some(v) = self.attribute_set_id {
            map.serialize_entry("attribute_set_id", &v)?;
        }
        if let Some(v) = self.weight {
            map.serialize_entry("weight", &v)?;
        }
        if self.website_ids.is_some() || self.category_ids.is_some() {
            let mut extension = serde_json::Map::new();
            if let Some(ids) = &self.website_ids {
                extension.insert("website_ids".into(), json!(ids));
            }
            if let Some(ids) = &self.category_ids {
                let links: Vec<Value> = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| json!({ "position": i, "category_id": id.to_string() }))
                    .collect();
                extension.insert("category_links".into(), json!(links));
            }
            map.serialize_entry("extension_attributes", &extension)?;
        }
        if !self.custom_attributes.is_empty() {
            let attributes: Vec<Value> = self
                .custom_attributes
                .iter()
                .map(|(code, value)| json!({ "attribute_code": code, "value": value }))
                .collect();
            map.serialize_entry("custom_attributes", &attributes)?;
        }
        if !self.media.is_empty() {
            map.serialize_entry("media_gallery_entries", &self.media)?;
        }
        map.end()
    }
}

/// The 202 answer of an async bulk request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BulkAccepted {
    pub bulk_uuid: String,
    pub request_items: Vec<BulkRequestItem>,
    /// Whether some elements were rejected at once.
    pub errors: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BulkRequestItem {
    /// Position in the submitted array.
    pub id: u32,
    /// `accepted` or `rejected`.
    pub status: String,
}

/// Commerce's bulk operation status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationStatus {
    Complete,
    FailedRetriable,
    FailedNotRetriable,
    Open,
    Rejected,
}

impl<'de> Deserialize<'de> for OperationStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u8::deserialize(deserializer)? {
            1 => Ok(OperationStatus::Complete),
            2 => Ok(OperationStatus::FailedRetriable),
            3 => Ok(OperationStatus::FailedNotRetriable),
            4 => Ok(OperationStatus::Open),
            5 => Ok(OperationStatus::Rejected),
            other => Err(serde::de::Error::custom(format!(
                "unknown operation status {other}"
            ))),
        }
    }
}

/// `GET /V1/bulk/{uuid}/detailed-status`, the parts a flow needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BulkDetailedStatus {
    #[serde(rename = "operations_list")]
    pub operations: Vec<BulkOperation>,
    pub operation_count: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BulkOperation {
    /// Position of the operation in the submitted array.
    pub id: u32,
    pub status: OperationStatus,
    #[serde(default)]
    pub result_message: Option<String>,
    #[serde(default)]
    pub error_code: Option<i64>,
}

/// A base price row (`catalog-data-base-price-interface`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasePrice {
    pub sku: String,
    pub price: f64,
    /// 0 for the global scope.
    pub store_id: u32,
}

/// A refused price row (`catalog-data-price-update-result-interface`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriceUpdateResult {
    pub message: String,
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// An MSI source item (`inventory-api-data-source-item-interface`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceItem {
    pub sku: String,
    pub source_code: String,
    pub quantity: f64,
    /// 1 in stock, 0 out of stock.
    pub status: u8,
}

/// The key of a source item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceItemKey {
    pub sku: String,
    pub source_code: String,
}

/// One page of `GET /V1/inventory/source-items`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SourceItemPage {
    pub items: Vec<SourceItem>,
    pub total_count: u64,
}

/// Commerce import behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportBehavior {
    Append,
    Replace,
    Delete,
}

impl ImportBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportBehavior::Append => "append",
            ImportBehavior::Replace => "replace",
            ImportBehavior::Delete => "delete",
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Sources {
    pub(crate) items: Vec<SourceCode>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SourceCode {
    pub(crate) source_code: String,
}
