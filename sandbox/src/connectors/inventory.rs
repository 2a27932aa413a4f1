//! `POST /inventory/v1/stock/lookup`, per `docs/connectors/inventory.md`: stock per source of
//! every known SKU asked for (simple products, variants, and configurable parents as the sum
//! of their variants), from the ledger in `crate::stock`.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Service, SkuRequest, json, serve};
use crate::Sandbox;
use crate::stock::{SOURCES, SkuStock};

#[derive(Deserialize)]
struct StockLookup<'a> {
    #[serde(borrow)]
    skus: Vec<Cow<'a, str>>,
}

#[derive(Serialize)]
struct StockAnswer<'a> {
    items: Vec<StockItem<'a>>,
}

#[derive(Serialize)]
struct StockItem<'a> {
    sku: &'a str,
    sources: [SourceLine; 3],
    updated_at: String,
}

#[derive(Serialize)]
struct SourceLine {
    source_code: &'static str,
    quantity: u32,
    reserved: u32,
}

impl<'a> StockItem<'a> {
    fn new(sku: &'a str, stock: SkuStock) -> StockItem<'a> {
        let line = |i: usize| SourceLine {
            source_code: SOURCES[i],
            quantity: stock.sources[i].quantity,
            reserved: stock.sources[i].reserved,
        };
        StockItem {
            sku,
            sources: [line(0), line(1), line(2)],
            updated_at: crate::clock::rfc3339(stock.updated_at),
        }
    }
}

impl SkuRequest for StockLookup<'_> {
    fn sku_count(&self) -> usize {
        self.skus.len()
    }
}

pub(crate) async fn lookup(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = &sandbox.inner;
    serve(
        &sandbox,
        Service::Inventory,
        &headers,
        &body,
        "{\"skus\": [...]}",
        |request: &StockLookup<'_>| {
            let stock = inner
                .inventory
                .lookup(&inner.data.catalog, request.skus.iter().map(|s| s.as_ref()));
            let items = stock
                .into_iter()
                .map(|(sku, stock)| StockItem::new(sku, stock))
                .collect();
            json(StatusCode::OK, &StockAnswer { items })
        },
    )
    .await
}
