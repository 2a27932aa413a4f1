//! Commerce's MSI REST: `GET /V1/inventory/sources`, `GET` / `POST /V1/inventory/source-items`,
//! `POST /V1/inventory/source-items-delete`, over `catalog::source_items`. A batch with an
//! unknown SKU or source code, or an invalid item, is refused whole (400) and changes nothing,
//! as Commerce's `SourceItemsSave` (one transaction) does. Sources: Commerce's `default` plus
//! the seeded `wh-east`, `wh-west`, `store-berlin`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::search::{Fields, Kind, SearchCriteria};
use super::{RestError, answer, authorize, check_store, guard, json_body};
use crate::Sandbox;
use crate::catalog::Catalog;
use crate::catalog::source_items::{ItemSources, SOURCES, SourceItem};

/// ACL resources of the routes.
const SOURCE_READ: &str = "Magento_InventoryApi::source";
const SOURCE_ITEM_WRITE: &str = "Magento_InventoryApi::source_item";

/// Source names, countries and postcodes, in [`SOURCES`] order.
const SOURCE_DETAILS: [(&str, &str, &str); 4] = [
    ("Default Source", "US", "00000"),
    ("East Coast Warehouse", "US", "07001"),
    ("West Coast Warehouse", "US", "90001"),
    ("Berlin Store", "DE", "10115"),
];

type PathParams = Path<HashMap<String, String>>;

pub(super) async fn sources(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST GET /V1/inventory/sources").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, SOURCE_READ)?;
        let items: Vec<Value> = SOURCES
            .iter()
            .zip(SOURCE_DETAILS)
            .map(|(code, (name, country, postcode))| {
                json!({ "source_code": code, "name": name, "enabled": true,
                        "country_id": country, "postcode": postcode })
            })
            .collect();
        Ok(json!({
            "items": items,
            "search_criteria": SearchCriteria::everything().to_json(),
            "total_count": SOURCES.len(),
        }))
    })())
}

/// A source item as listed: (SKU, source index, item).
type Listed = (String, usize, SourceItem);

struct SourceItemFields;

impl Fields<Listed> for SourceItemFields {
    fn kind(&self, field: &str) -> Option<Kind> {
        match field {
            "sku" | "source_code" => Some(Kind::Text),
            "quantity" | "status" => Some(Kind::Number),
            _ => None,
        }
    }

    fn value(&self, (sku, source, item): &Listed, field: &str) -> Option<String> {
        match field {
            "sku" => Some(sku.clone()),
            "source_code" => Some(SOURCES[*source].to_owned()),
            "quantity" => Some(item.quantity.to_string()),
            "status" => Some(item.status.to_string()),
            _ => None,
        }
    }
}

pub(super) async fn list(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST GET /V1/inventory/source-items").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, SOURCE_READ)?;
        let criteria = SearchCriteria::parse(&query)?;
        let catalog = &sandbox.inner.data.catalog;
        let (skip, take) = match criteria.page() {
            Some((size, page)) => ((page - 1).saturating_mul(size), size),
            None => (0, usize::MAX),
        };
        // Streams every assigned source item in catalog order, keeping one page.
        let mut total = 0usize;
        let mut page = Vec::new();
        let mut failure = None;
        for_each_item(catalog, |sku, sources| {
            for (source, item) in sources.iter().enumerate() {
                let Some(item) = item else { continue };
                let listed = (sku.to_owned(), source, *item);
                match criteria.accepts(&listed, &SourceItemFields) {
                    Ok(true) => {
                        if total >= skip && page.len() < take {
                            page.push(listed);
                        }
                        total += 1;
                    }
                    Ok(false) => {}
                    Err(e) => failure = Some(e),
                }
            }
            failure.is_none()
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let items: Vec<Value> = page
            .into_iter()
            .map(|(sku, source, item)| {
                json!({ "sku": sku, "source_code": SOURCES[source],
                        "quantity": item.quantity, "status": item.status })
            })
            .collect();
        Ok(json!({ "items": items, "search_criteria": criteria.to_json(), "total_count": total }))
    })())
}

/// Calls `f` with every simple product's and variant's SKU and source items, in catalog
/// order, while it returns `true`. Configurable parents and bundles have no source items.
fn for_each_item(catalog: &Catalog, mut f: impl FnMut(&str, &ItemSources) -> bool) {
    use crate::catalog::types::Kind as ProductKind;
    for index in 0..catalog.product_count() {
        let product = catalog.product(index);
        match &product.configurable {
            Some(matrix) => {
                for variant in matrix.variants() {
                    let sku = catalog.variant_sku(index, variant);
                    if !f(&sku, &catalog.item_sources(index, Some(variant))) {
                        return;
                    }
                }
            }
            None if matches!(product.kind, ProductKind::Bundle(_)) => {}
            None => {
                if !f(&product.sku, &catalog.item_sources(index, None)) {
                    return;
                }
            }
        }
    }
}

pub(super) async fn save(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST POST /V1/inventory/source-items").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, SOURCE_ITEM_WRITE)?;
        write(&sandbox, &json_body(&body)?, false)?;
        Ok(json!([]))
    })())
}

pub(super) async fn delete(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST POST /V1/inventory/source-items-delete").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, SOURCE_ITEM_WRITE)?;
        write(&sandbox, &json_body(&body)?, true)?;
        Ok(json!([]))
    })())
}

/// Validates every item of `{"sourceItems": [...]}`, then applies all of them at once.
pub(super) fn write(sandbox: &Sandbox, body: &Value, delete: bool) -> Result<(), RestError> {
    let Some(Value::Array(items)) = body.get("sourceItems") else {
        return Err(RestError::Required {
            field: "sourceItems".to_owned(),
        });
    };
    let catalog = &sandbox.inner.data.catalog;
    let could_not = if delete {
        "Could not delete Source Items"
    } else {
        "Could not save Source Item"
    };
    let mut changes = Vec::with_capacity(items.len());
    let mut invalid = Vec::new();
    for item in items {
        let Value::Object(item) = item else {
            return Err(super::product_model::type_error(item, "object"));
        };
        let sku = field_text(item, "sku");
        let source_code = field_text(item, "source_code");
        for (field, value) in [("sku", &sku), ("source_code", &source_code)] {
            if value.trim().is_empty() {
                invalid.push(json!({ "message": "\"%field\" can not be empty.",
                                     "parameters": { "field": field } }));
            }
        }
        let value = if delete {
            None
        } else {
            let quantity = super::product_model::number(item, "quantity")?.unwrap_or(0.0);
            let status = super::product_model::integer(item, "status")?.unwrap_or(1);
            if !quantity.is_finite() || !(0..=1).contains(&status) {
                invalid.push(json!({ "message": "\"%field\" should be numeric.",
                                     "parameters": { "field": "quantity / status" } }));
            }
            Some(SourceItem {
                quantity,
                status: u8::from(status == 1),
            })
        };
        if !invalid.is_empty() {
            continue;
        }
        let source = SOURCES.iter().position(|s| *s == source_code);
        let found = catalog.item_by_sku(&sku).filter(|(index, variant)| {
            variant.is_some() || catalog.product(*index).configurable.is_none()
        });
        let (Some(source), Some((index, variant))) = (source, found) else {
            return Err(RestError::input(could_not, &[]));
        };
        let id = variant.map_or_else(|| catalog.product_id(index), |v| v.id);
        changes.push((id, catalog.item_sources(index, variant), source, value));
    }
    if !invalid.is_empty() {
        return Err(RestError::Validation { errors: invalid });
    }
    catalog.source_items.apply(&changes);
    Ok(())
}

fn field_text(item: &Map<String, Value>, key: &str) -> String {
    match item.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}
