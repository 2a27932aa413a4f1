//! The simple products behind seeded configurable products (their variants) over REST:
//! Commerce saves a configurable product's children like any simple product, so `GET` / `PUT`
//! / `POST /V1/products`, the async bulk, the import and base prices take variant SKUs too.
//! A variant is shown to `apply` and `version_json` as a product version of its own (entity
//! id, SKU, name, price, attributes), and what a write changed is stored in the catalog's
//! variant overlay: the variant stays its configurable product's child.

use serde_json::{Map, Value};

use super::RestError;
use super::product_model::{apply, initial_content, version_json};
use crate::catalog::content::VISIBILITY_NOT_VISIBLE;
use crate::catalog::types::Kind;
use crate::catalog::variant_overlay::VariantData;
use crate::catalog::{Catalog, Product, Variant, slug};

/// The current version of a variant of the configurable product at `parent`, as a product.
pub(super) fn variant_version(catalog: &Catalog, parent: u32, variant: Variant) -> Product {
    let of = catalog.product(parent);
    let written = catalog.written_variant(variant.id);
    let name = catalog.variant_name(parent, variant);
    let mut product = Product {
        id: variant.id,
        sku: catalog.variant_sku(parent, variant),
        url_key: slug(&name),
        name,
        leaf: of.leaf,
        price: catalog.variant_regular_price(parent, variant),
        special_percent: of.special_percent,
        qty: catalog.variant_qty(variant.id),
        material: of.material,
        color: Some(variant.color),
        configurable: None,
        tiered: of.tiered,
        age_days: of.age_days,
        kind: Kind::Standard,
        content: None,
    };
    let content = match written {
        Some(data) => data.content.clone(),
        None => {
            let now = crate::clock::datetime(crate::clock::now());
            let mut content = initial_content(&product, &now);
            // Commerce's children of a configurable product are "Not Visible Individually".
            content.visibility = VISIBILITY_NOT_VISIBLE;
            content
        }
    };
    product.content = Some(Box::new(content));
    product
}

/// The variant as `catalog-data-product-interface`.
pub(super) fn variant_json(catalog: &Catalog, parent: u32, variant: Variant) -> Value {
    // Variants are not visible individually: no categories of their own.
    version_json(&variant_version(catalog, parent, variant), Vec::new)
}

/// Applies a request's `product` object onto the variant and stores the result. The caller
/// holds the catalog write lock.
pub(super) fn save(
    catalog: &Catalog,
    parent: u32,
    variant: Variant,
    input: &Map<String, Value>,
) -> Result<(), RestError> {
    let mut product = variant_version(catalog, parent, variant);
    apply(catalog, input, &mut product, false)?;
    store(catalog, parent, variant, product);
    Ok(())
}

/// Stores `product` (a version from [`variant_version`]) as the variant's current data.
pub(super) fn store(catalog: &Catalog, parent: u32, variant: Variant, product: Product) {
    let content = match product.content {
        Some(content) => *content,
        None => {
            let now = crate::clock::datetime(crate::clock::now());
            initial_content(&product, &now)
        }
    };
    let data = VariantData {
        name: product.name,
        price: product.price,
        content,
    };
    catalog.save_variant(parent, variant, data);
}
