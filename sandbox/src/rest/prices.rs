//! `POST /V1/products/base-prices` and `POST /V1/products/base-prices-information`:
//! Commerce's `BasePriceStorageInterface::update` / `get`. Refused rows come back as
//! `PriceUpdateResult {message, parameters}` and the others apply; the sandbox has one price
//! scope (Commerce's default, global), so a price for any existing store view applies to all.
//! Variants of seeded configurable products take a price of their own like any simple product
//! (until written, their parent's in their size).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::product_model::cents;
use super::variants;
use super::{CATALOG_PRODUCTS, RestError, answer, authorize, check_store, guard, json_body};
use crate::Sandbox;

pub(super) async fn update(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST POST /V1/products/base-prices").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, CATALOG_PRODUCTS)?;
        let body = json_body(&body)?;
        let Some(Value::Array(rows)) = body.get("prices") else {
            return Err(RestError::Required {
                field: "prices".to_owned(),
            });
        };
        let catalog = &sandbox.inner.data.catalog;
        let mut refused = Vec::new();
        let mut accepted = Vec::new();
        for row in rows {
            let sku = row["sku"].as_str().unwrap_or_default();
            let price = row["price"].as_f64();
            let store = row["store_id"].as_u64();
            let refuse = |message: &str, parameters: &[String]| json!({ "message": message, "parameters": parameters });
            let Some(item) = catalog.item_by_sku(sku) else {
                refused.push(refuse(
                    "Requested product doesn't exist: %sku",
                    &[sku.to_owned()],
                ));
                continue;
            };
            let Some(price) = price.filter(|p| *p >= 0.0 && p.is_finite()) else {
                refused.push(refuse(
                    "Invalid attribute %fieldName = %fieldValue.",
                    &["Price".to_owned(), row["price"].to_string()],
                ));
                continue;
            };
            match store {
                Some(store) if store <= 2 => accepted.push((item, cents(price))),
                _ => refused.push(refuse(
                    "Requested store is not found. Row ID: SKU = %SKU, Store ID: %storeId.",
                    &[sku.to_owned(), row["store_id"].to_string()],
                )),
            }
        }
        let _writing = sandbox
            .inner
            .rest
            .catalog_writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((index, variant), price) in accepted {
            if let Some(variant) = variant {
                let mut version = variants::variant_version(catalog, index, variant);
                version.price = price;
                variants::store(catalog, index, variant, version);
                continue;
            }
            let mut product = catalog.product(index).clone();
            product.price = price;
            catalog.save_product(Some(index), product).map_err(|_| {
                RestError::input("The product was unable to be saved. Please try again.", &[])
            })?;
        }
        Ok(Value::Array(refused))
    })())
}

pub(super) async fn information(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = "REST POST /V1/products/base-prices-information";
    if let Some(fault) = guard(&sandbox, route).await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, CATALOG_PRODUCTS)?;
        let body = json_body(&body)?;
        let Some(Value::Array(skus)) = body.get("skus") else {
            return Err(RestError::Required {
                field: "skus".to_owned(),
            });
        };
        let catalog = &sandbox.inner.data.catalog;
        let skus: Vec<&str> = skus.iter().filter_map(Value::as_str).collect();
        let missing: Vec<&str> = skus
            .iter()
            .copied()
            .filter(|s| catalog.item_by_sku(s).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(RestError::missing(
                "Requested products don't exist: %sku",
                json!({ "sku": missing.join(", ") }),
            ));
        }
        let prices: Vec<Value> = skus
            .iter()
            .filter_map(|sku| catalog.item_by_sku(sku).map(|i| (sku, i)))
            .map(|(sku, (index, variant))| {
                let cents = match variant {
                    Some(v) => catalog.variant_regular_price(index, v),
                    None => catalog.product(index).price,
                };
                let price = f64::from(cents) / 100.0;
                json!({ "price": price, "store_id": 0, "sku": sku })
            })
            .collect();
        Ok(Value::Array(prices))
    })())
}
