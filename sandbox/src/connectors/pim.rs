//! The PIM's content feed, per `docs/connectors/pim.md`: `GET /pim/v1/products` (names,
//! descriptions, attributes, categories and images of every SKU, changed since a time). Paging
//! and the bad rows are `crate::feeds`'; this module renders the items.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{PageQuery, Service, invalid_cursor, invalid_query, json, serve_page};
use crate::Sandbox;
use crate::catalog::attributes::{COLORS, MATERIALS, SIZES};
use crate::catalog::{Catalog, slug};
use crate::feeds::{MasterRow, PimDefect};
use crate::schema::media::{dispersed, product_images};

/// `GET /pim/v1/products?changed_since=&cursor=&limit=`.
pub(crate) async fn products(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    serve_page(&sandbox, Service::Pim, &headers, || {
        let query = match PageQuery::parse(&uri) {
            Ok(query) => query,
            Err(message) => return (invalid_query(&message), 0),
        };
        let inner = &sandbox.inner;
        let catalog = &inner.data.catalog;
        let page = inner.feeds.master_page(
            catalog,
            &inner.inventory,
            true,
            query.since(),
            query.cursor.as_deref(),
            query.limit(),
        );
        let Ok(page) = page else {
            return (invalid_cursor(), 0);
        };
        let items: Vec<Value> = page.rows.iter().map(|row| content(catalog, row)).collect();
        let count = items.len();
        let body = json!({
            "items": items,
            "next_cursor": page.next_cursor,
            "watermark": page.watermark,
        });
        (json(StatusCode::OK, &body), count)
    })
    .await
}

/// One SKU's content at its revision: revision 0 is derived from the catalog's seed; each later
/// one rewrites the description and the meta title.
fn content(catalog: &Catalog, row: &MasterRow<'_>) -> Value {
    let index = row.item.product;
    let product = catalog.seeded_product(index);
    let variant = row.item.variant;
    let name = match variant {
        Some(v) => catalog.seeded_variant_name(index, v),
        None => product.name.clone(),
    };
    let material = MATERIALS[usize::from(product.material) % MATERIALS.len()];
    let mut attributes = Map::new();
    attributes.insert("material".into(), json!(material));
    let color = variant.map(|v| v.color).or(product.color);
    if let Some(color) = color {
        attributes.insert("color".into(), json!(COLORS[usize::from(color)].label));
    }
    if let Some(v) = variant {
        attributes.insert("size".into(), json!(SIZES[usize::from(v.size)].label));
    }
    let edition = match row.revision {
        0 => String::new(),
        r => format!(" Revised copy no. {r}."),
    };
    // Variants are not visible individually: no categories of their own.
    let category_ids: Vec<u32> = match variant {
        Some(_) => Vec::new(),
        None => catalog
            .product_categories(index)
            .into_iter()
            .map(|c| catalog.category(c).id)
            .collect(),
    };
    let images: Vec<Value> = product_images(index, product, variant)
        .into_iter()
        .enumerate()
        .map(|(i, image)| {
            json!({
                "file": dispersed(&image.file),
                "label": name,
                "position": i + 1,
                "roles": image.types,
            })
        })
        .collect();
    let mut item = json!({
        "sku": row.sku,
        "name": name,
        "description": format!("<p>{name}, made of {}.{edition}</p>", material.to_lowercase()),
        "short_description": format!("{name} in {}.", material.to_lowercase()),
        "meta_title": match row.revision { 0 => name.clone(), r => format!("{name} | rev. {r}") },
        "url_key": match variant { Some(_) => slug(&name), None => product.url_key.clone() },
        "attributes": attributes,
        "category_ids": category_ids,
        "images": images,
        "updated_at": row.updated_at,
    });
    match row.pim_defect {
        Some(PimDefect::MissingSku) => {
            if let Some(map) = item.as_object_mut() {
                map.remove("sku");
            }
        }
        Some(PimDefect::UnknownAttribute) => item["attributes"]["moon_phase"] = json!("waxing"),
        Some(PimDefect::ImagePositionNotANumber) => {
            if let Some(first) = item["images"].get_mut(0) {
                first["position"] = json!("first");
            }
        }
        Some(PimDefect::UrlKeyTooLong) => item["url_key"] = json!("x".repeat(300)),
        None => {}
    }
    item
}
