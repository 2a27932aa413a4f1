//! A product's attributes as Commerce's REST API wrote them (`catalog-data-product-interface`):
//! what the compact seeded `Product` does not carry. Seeded products have none until written;
//! the GraphQL resolvers then fall back to the seeded, derived texts.

use serde_json::Value;

/// Commerce's `status`: 1 enabled, 2 disabled.
pub(crate) const STATUS_DISABLED: u8 = 2;
/// Commerce's `visibility`: 1 not visible individually … 4 catalog, search.
pub(crate) const VISIBILITY_NOT_VISIBLE: u8 = 1;

/// REST-written attributes of one product version.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Content {
    pub status: u8,
    pub visibility: u8,
    pub type_id: String,
    pub attribute_set_id: u32,
    pub weight: Option<f64>,
    pub website_ids: Vec<u32>,
    /// Commerce category ids of `extension_attributes.category_links`, in the order given.
    pub category_ids: Vec<u32>,
    pub description: Option<String>,
    pub short_description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub meta_keyword: Option<String>,
    /// Other custom attributes as written (`attribute_code`, `value`), in the order given.
    pub custom: Vec<(String, Value)>,
    /// `media_gallery_entries` as written.
    pub media: Vec<Value>,
    /// Commerce's `updated_at` of the last write ("Y-m-d H:i:s").
    pub updated_at: String,
}

impl Content {
    /// Whether `products` still lists the product (enabled and visible somewhere).
    pub fn is_listed(&self) -> bool {
        self.status != STATUS_DISABLED && self.visibility != VISIBILITY_NOT_VISIBLE
    }
}
