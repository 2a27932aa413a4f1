//! `POST /V1/products`, `PUT /V1/products/{sku}`, `GET /V1/products/{sku}`: Commerce's
//! `ProductRepositoryInterface::save` / `get`, over the catalog's REST overlay. Saving a SKU
//! that does not exist creates it (as Commerce's `save` does, for `PUT` too). The variants of
//! seeded configurable products are saved like any simple product (see `variants`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};

use super::product_model::{NO_SUCH_PRODUCT, apply, product_json};
use super::variants;
use super::{CATALOG_PRODUCTS, RestError, answer, authorize, check_store, guard, json_body};
use crate::Sandbox;
use crate::catalog::types::Kind;
use crate::catalog::{Catalog, Product, ROOT_CATEGORY_ID, Variant};

type PathParams = Path<HashMap<String, String>>;

pub(super) async fn get(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST GET /V1/products/{sku}").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, CATALOG_PRODUCTS)?;
        let catalog = &sandbox.inner.data.catalog;
        let sku = params.get("sku").map(String::as_str).unwrap_or_default();
        let (index, variant) = catalog
            .item_by_sku(sku)
            .ok_or_else(|| RestError::missing(NO_SUCH_PRODUCT, Value::Array(Vec::new())))?;
        Ok(saved_json(catalog, Saved { index, variant }))
    })())
}

pub(super) async fn create(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST POST /V1/products").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, CATALOG_PRODUCTS)?;
        let body = json_body(&body)?;
        let saved = save(&sandbox, None, product_object(&body)?)?;
        Ok(saved_json(&sandbox.inner.data.catalog, saved))
    })())
}

pub(super) async fn update(
    State(sandbox): State<Sandbox>,
    Path(params): PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST PUT /V1/products/{sku}").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, CATALOG_PRODUCTS)?;
        let body = json_body(&body)?;
        let sku = params.get("sku").map(String::as_str);
        let saved = save(&sandbox, sku, product_object(&body)?)?;
        Ok(saved_json(&sandbox.inner.data.catalog, saved))
    })())
}

/// The `product` object of a body, or Commerce's "required" error.
pub(super) fn product_object(body: &Value) -> Result<&Map<String, Value>, RestError> {
    match body.get("product") {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(RestError::Required {
            field: "product".to_owned(),
        }),
    }
}

/// What a save wrote: a product, or a variant of the configurable product at `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Saved {
    pub index: u32,
    pub variant: Option<Variant>,
}

/// The saved product or variant as `catalog-data-product-interface`.
pub(super) fn saved_json(catalog: &Catalog, saved: Saved) -> Value {
    match saved.variant {
        Some(variant) => variants::variant_json(catalog, saved.index, variant),
        None => product_json(catalog, saved.index),
    }
}

/// Saves a product or a configurable product's variant (the SKU of the path wins over the
/// body's, as in Commerce).
pub(super) fn save(
    sandbox: &Sandbox,
    path_sku: Option<&str>,
    input: &Map<String, Value>,
) -> Result<Saved, RestError> {
    let body_sku = super::product_model::text(input, "sku")?;
    let sku = path_sku
        .map(str::to_owned)
        .or(body_sku)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| RestError::Required {
            field: "sku".to_owned(),
        })?;
    if sku.chars().count() > 64 {
        return Err(RestError::input(
            "SKU length should be %1 characters maximum.",
            &["64"],
        ));
    }
    let catalog = &sandbox.inner.data.catalog;
    // One writer at a time: a save reads the current version and stores the next.
    let _writing = sandbox
        .inner
        .rest
        .catalog_writes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let existing = catalog.product_by_sku(&sku);
    if existing.is_none()
        && let Some((index, Some(variant))) = catalog.item_by_sku(&sku)
    {
        variants::save(catalog, index, variant, input)?;
        return Ok(Saved {
            index,
            variant: Some(variant),
        });
    }
    let mut product = match existing {
        Some(index) => catalog.product(index).clone(),
        None => new_product(catalog, &sku, input),
    };
    apply(catalog, input, &mut product, existing.is_none())?;
    let index = catalog.save_product(existing, product).map_err(|e| {
        tracing::warn!(error = %e, "sandbox product save refused");
        RestError::input("The product was unable to be saved. Please try again.", &[])
    })?;
    Ok(Saved {
        index,
        variant: None,
    })
}

/// A product the request creates: no price, stock or categories until written.
fn new_product(catalog: &Catalog, sku: &str, input: &Map<String, Value>) -> Product {
    let virtual_type = input.get("type_id").and_then(Value::as_str) == Some("virtual");
    Product {
        id: catalog.next_created_id(),
        sku: sku.to_owned(),
        name: String::new(),
        url_key: crate::catalog::slug(sku),
        leaf: ROOT_CATEGORY_ID - 2,
        price: 0,
        special_percent: 0,
        qty: 0,
        material: 0,
        color: None,
        configurable: None,
        tiered: false,
        age_days: 0,
        kind: if virtual_type {
            Kind::Virtual
        } else {
            Kind::Standard
        },
        content: None,
    }
}
