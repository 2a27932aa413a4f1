//! `catalog-data-product-interface` both ways: a product version as `GET /V1/products/{sku}`
//! answers it, and a request's `product` object applied onto a product version with Commerce's
//! checks (types, known attribute codes). Used by the product routes, the async bulk consumer
//! and the import.

use serde_json::{Map, Value, json};

use super::RestError;
use crate::catalog::content::Content;
use crate::catalog::types::Kind;
use crate::catalog::{Catalog, Product, slug};

/// Custom attribute codes of the default attribute set the sandbox knows besides the ones it
/// shows in GraphQL (`description`, `short_description`, `meta_*`, `url_key`).
const OTHER_ATTRIBUTES: [&str; 26] = [
    "special_price",
    "special_from_date",
    "special_to_date",
    "cost",
    "msrp",
    "tax_class_id",
    "color",
    "size",
    "material",
    "manufacturer",
    "country_of_manufacture",
    "news_from_date",
    "news_to_date",
    "gift_message_available",
    "options_container",
    "image",
    "small_image",
    "thumbnail",
    "swatch_image",
    "category_ids",
    "required_options",
    "has_options",
    "url_path",
    "activity",
    "gender",
    "pattern",
];

/// Commerce's `AttributeRepository` message for an attribute code it does not have.
pub(super) const UNKNOWN_ATTRIBUTE: &str =
    "The attribute with a \"%1\" attributeCode doesn't exist. Verify the attribute and try again.";

/// Commerce's `ProductRepository::get` message for an unknown SKU.
pub(super) const NO_SUCH_PRODUCT: &str =
    "The product that was requested doesn't exist. Verify the product and try again.";

/// The `type_id` of a product version.
pub(super) fn type_id(product: &Product) -> &str {
    if let Some(content) = &product.content {
        return &content.type_id;
    }
    match (&product.kind, &product.configurable) {
        (Kind::Virtual, _) => "virtual",
        (Kind::Downloadable(_), _) => "downloadable",
        (Kind::Bundle(_), _) => "bundle",
        (Kind::Standard, Some(_)) => "configurable",
        (Kind::Standard, None) => "simple",
    }
}

/// A seeded product's attributes before any write.
pub(super) fn initial_content(product: &Product, now: &str) -> Content {
    Content {
        status: 1,
        visibility: 4,
        type_id: type_id(product).to_owned(),
        attribute_set_id: if product.configurable.is_some() { 9 } else { 4 },
        weight: None,
        website_ids: vec![1],
        category_ids: Vec::new(),
        description: None,
        short_description: None,
        meta_title: None,
        meta_description: None,
        meta_keyword: None,
        custom: Vec::new(),
        media: Vec::new(),
        updated_at: now.to_owned(),
    }
}

/// The product as `catalog-data-product-interface`.
pub(super) fn product_json(catalog: &Catalog, index: u32) -> Value {
    let product = catalog.product(index);
    let seeded_categories = || {
        catalog
            .product_categories(index)
            .into_iter()
            .map(|c| catalog.category(c).id)
            .collect()
    };
    version_json(product, seeded_categories)
}

/// A product version as `catalog-data-product-interface`; `seeded_categories` are its
/// category ids until written.
pub(super) fn version_json(
    product: &Product,
    seeded_categories: impl FnOnce() -> Vec<u32>,
) -> Value {
    let now = crate::clock::datetime(crate::clock::now());
    let content = product
        .content
        .as_deref()
        .cloned()
        .unwrap_or_else(|| initial_content(product, &now));
    let category_ids: Vec<u32> = if product.content.is_some() {
        content.category_ids.clone()
    } else {
        seeded_categories()
    };
    let links: Vec<Value> = category_ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({ "position": i, "category_id": id.to_string() }))
        .collect();
    let mut custom = vec![json!({ "attribute_code": "url_key", "value": product.url_key })];
    for (code, value) in [
        ("description", &content.description),
        ("short_description", &content.short_description),
        ("meta_title", &content.meta_title),
        ("meta_description", &content.meta_description),
        ("meta_keyword", &content.meta_keyword),
    ] {
        if let Some(value) = value {
            custom.push(json!({ "attribute_code": code, "value": value }));
        }
    }
    custom.extend(
        content
            .custom
            .iter()
            .map(|(code, value)| json!({ "attribute_code": code, "value": value })),
    );
    let mut out = json!({
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "attribute_set_id": content.attribute_set_id,
        "price": f64::from(product.price) / 100.0,
        "status": content.status,
        "visibility": content.visibility,
        "type_id": content.type_id,
        "created_at": content.updated_at,
        "updated_at": content.updated_at,
        "extension_attributes": {
            "website_ids": content.website_ids,
            "category_links": links,
        },
        "product_links": [],
        "options": [],
        "media_gallery_entries": content.media,
        "tier_prices": [],
        "custom_attributes": custom,
    });
    if let Some(weight) = content.weight {
        out["weight"] = json!(weight);
    }
    out
}

/// Applies a request's `product` object onto a product version. `created` is set for a
/// product that did not exist before the request.
pub(super) fn apply(
    catalog: &Catalog,
    input: &Map<String, Value>,
    product: &mut Product,
    created: bool,
) -> Result<(), RestError> {
    let now = crate::clock::datetime(crate::clock::now());
    let mut content = match product.content.take() {
        Some(content) => *content,
        None => initial_content(product, &now),
    };
    content.updated_at = now;
    if let Some(name) = text(input, "name")? {
        if created && !has_custom(input, "url_key") {
            product.url_key = slug(&name);
        }
        product.name = name;
    }
    if let Some(price) = number(input, "price")? {
        if price < 0.0 || !price.is_finite() {
            return Err(RestError::InvalidValue {
                field: "price".to_owned(),
                value: price.to_string(),
            });
        }
        product.price = cents(price);
    }
    if let Some(status) = integer(input, "status")? {
        content.status = bounded("status", status, 1, 2)?;
    }
    if let Some(visibility) = integer(input, "visibility")? {
        content.visibility = bounded("visibility", visibility, 1, 4)?;
    }
    if let Some(type_id) = text(input, "type_id")? {
        // Commerce keeps a product's type; the sandbox takes one only for a new product.
        if created {
            if ![
                "simple",
                "virtual",
                "configurable",
                "downloadable",
                "bundle",
            ]
            .contains(&type_id.as_str())
            {
                return Err(RestError::InvalidValue {
                    field: "type_id".to_owned(),
                    value: type_id,
                });
            }
            content.type_id = type_id;
        }
    }
    if let Some(set) = integer(input, "attribute_set_id")? {
        content.attribute_set_id = set;
    }
    if let Some(weight) = number(input, "weight")? {
        content.weight = Some(weight);
    }
    if let Some(Value::Object(extension)) = input.get("extension_attributes") {
        apply_extension(catalog, extension, product, &mut content)?;
    }
    if let Some(attributes) = input.get("custom_attributes") {
        apply_custom(attributes, product, &mut content)?;
    }
    match input.get("media_gallery_entries") {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => content.media = entries.clone(),
        Some(other) => return Err(type_error(other, "array")),
    }
    if product.name.trim().is_empty() {
        return Err(RestError::Required {
            field: "name".to_owned(),
        });
    }
    product.content = Some(Box::new(content));
    Ok(())
}

fn apply_extension(
    catalog: &Catalog,
    extension: &Map<String, Value>,
    product: &mut Product,
    content: &mut Content,
) -> Result<(), RestError> {
    if let Some(ids) = extension.get("website_ids") {
        content.website_ids = integers(ids)?;
    }
    match extension.get("category_links") {
        None | Some(Value::Null) => {}
        Some(Value::Array(links)) => {
            let mut ids = Vec::new();
            for link in links {
                let id = match link.get("category_id") {
                    Some(Value::String(s)) => s.trim().parse::<u32>().ok(),
                    Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    _ => None,
                };
                let Some(id) = id.filter(|&id| catalog.category_index(id).is_some()) else {
                    return Err(RestError::input(
                        "The category with ID \"%1\" doesn't exist. Verify the category and try again.",
                        &[&link
                            .get("category_id")
                            .map(Value::to_string)
                            .unwrap_or_default()],
                    ));
                };
                ids.push(id);
            }
            // A product created over REST is shown under its deepest linked category.
            if product.content.is_none()
                && let Some(leaf) = ids
                    .iter()
                    .filter_map(|&id| catalog.category_index(id))
                    .max_by_key(|&c| catalog.category(c).level)
            {
                product.leaf = leaf;
            }
            content.category_ids = ids;
        }
        Some(other) => return Err(type_error(other, "array")),
    }
    Ok(())
}

fn apply_custom(
    attributes: &Value,
    product: &mut Product,
    content: &mut Content,
) -> Result<(), RestError> {
    let Value::Array(attributes) = attributes else {
        return Err(type_error(attributes, "array"));
    };
    for attribute in attributes {
        let code = match attribute.get("attribute_code") {
            Some(Value::String(code)) => code.as_str(),
            _ => {
                return Err(RestError::Required {
                    field: "attribute_code".to_owned(),
                });
            }
        };
        let value = attribute.get("value").cloned().unwrap_or(Value::Null);
        let as_text = || match &value {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
        match code {
            "description" => content.description = as_text(),
            "short_description" => content.short_description = as_text(),
            "meta_title" => content.meta_title = as_text(),
            "meta_description" => content.meta_description = as_text(),
            "meta_keyword" => content.meta_keyword = as_text(),
            "url_key" => {
                if let Some(key) = as_text().filter(|k| !k.trim().is_empty()) {
                    product.url_key = slug(&key);
                }
            }
            known if OTHER_ATTRIBUTES.contains(&known) => {
                content.custom.retain(|(c, _)| c != known);
                content.custom.push((known.to_owned(), value));
            }
            unknown => {
                let code: String = unknown.chars().take(64).collect();
                return Err(RestError::input(UNKNOWN_ATTRIBUTE, &[&code]));
            }
        }
    }
    Ok(())
}

/// Whether the request sets custom attribute `code`.
fn has_custom(input: &Map<String, Value>, code: &str) -> bool {
    input
        .get("custom_attributes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x["attribute_code"] == code))
}

/// A price in cents, rounded (bounded to what the compact catalog stores).
pub(super) fn cents(price: f64) -> u32 {
    // Saturating conversion: prices beyond 42 million dollars are clamped.
    (price * 100.0).round().clamp(0.0, f64::from(u32::MAX)) as u32
}

fn bounded(field: &str, value: u32, low: u32, high: u32) -> Result<u8, RestError> {
    u8::try_from(value)
        .ok()
        .filter(|v| (low..=high).contains(&u32::from(*v)))
        .ok_or_else(|| RestError::InvalidValue {
            field: field.to_owned(),
            value: value.to_string(),
        })
}

pub(super) fn text(input: &Map<String, Value>, key: &str) -> Result<Option<String>, RestError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(type_error(other, "string")),
    }
}

pub(super) fn number(input: &Map<String, Value>, key: &str) -> Result<Option<f64>, RestError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| type_error(&Value::String(s.clone()), "float")),
        Some(other) => Err(type_error(other, "float")),
    }
}

pub(super) fn integer(input: &Map<String, Value>, key: &str) -> Result<Option<u32>, RestError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => as_integer(value).map(Some),
    }
}

fn as_integer(value: &Value) -> Result<u32, RestError> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| type_error(value, "int")),
        Value::String(s) => s.trim().parse().map_err(|_| type_error(value, "int")),
        other => Err(type_error(other, "int")),
    }
}

fn integers(value: &Value) -> Result<Vec<u32>, RestError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(as_integer).collect(),
        other => Err(type_error(other, "int[]")),
    }
}

pub(super) fn type_error(value: &Value, expected: &'static str) -> RestError {
    let value = match value {
        Value::String(s) => s.chars().take(64).collect(),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
        other => other.to_string(),
    };
    RestError::InvalidType { value, expected }
}
