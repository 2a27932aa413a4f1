//! The ERP/WMS feeds, per `docs/connectors/erp.md`: `GET /erp/v1/products` (the product master
//! and base prices, changed since a time), `GET /erp/v1/stock` (every stock row of the WMS
//! ledger) and `GET /erp/v1/stock/changes` (the rows of SKUs whose stock changed since a
//! time). Paging and the bad rows are `crate::feeds`'; this module renders the items.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::{PageQuery, Service, invalid_cursor, invalid_query, json, serve_page};
use crate::Sandbox;
use crate::catalog::attributes::{LARGE_SIZE_FROM, LARGE_SIZE_SURCHARGE};
use crate::catalog::types::Kind;
use crate::catalog::{Catalog, Family, mix};
use crate::feeds::{ErpDefect, MasterRow, StockDefect, StockPage, StockRow};

/// Commerce's default attribute set.
const DEFAULT_ATTRIBUTE_SET_ID: u32 = 4;
/// Commerce's main website.
const MAIN_WEBSITE_ID: u32 = 1;
/// Commerce's `visibility`: not visible individually (variants), catalog and search (the rest).
const NOT_VISIBLE_INDIVIDUALLY: u8 = 1;
const CATALOG_SEARCH: u8 = 4;

/// `GET /erp/v1/products?changed_since=&cursor=&limit=`.
pub(crate) async fn products(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    serve_page(&sandbox, Service::Erp, &headers, || {
        let query = match PageQuery::parse(&uri) {
            Ok(query) => query,
            Err(message) => return (invalid_query(&message), 0),
        };
        let inner = &sandbox.inner;
        let catalog = &inner.data.catalog;
        let page = inner.feeds.master_page(
            catalog,
            &inner.inventory,
            false,
            query.since(),
            query.cursor.as_deref(),
            query.limit(),
        );
        let Ok(page) = page else {
            return (invalid_cursor(), 0);
        };
        let items: Vec<Value> = page.rows.iter().map(|row| product(catalog, row)).collect();
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

/// `GET /erp/v1/stock?cursor=&limit=`.
pub(crate) async fn stock(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    serve_page(&sandbox, Service::Erp, &headers, || {
        let query = match PageQuery::parse(&uri) {
            Ok(query) => query,
            Err(message) => return (invalid_query(&message), 0),
        };
        let inner = &sandbox.inner;
        let page = inner.feeds.stock_page(
            &inner.data.catalog,
            &inner.inventory,
            query.cursor.as_deref(),
            query.limit(),
        );
        match page {
            Ok(page) => stock_answer(&page, false),
            Err(_) => (invalid_cursor(), 0),
        }
    })
    .await
}

/// `GET /erp/v1/stock/changes?since=&cursor=&limit=`.
pub(crate) async fn stock_changes(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    serve_page(&sandbox, Service::Erp, &headers, || {
        let query = match PageQuery::parse(&uri) {
            Ok(query) => query,
            Err(message) => return (invalid_query(&message), 0),
        };
        let inner = &sandbox.inner;
        let page = inner.feeds.stock_changes_page(
            &inner.data.catalog,
            &inner.inventory,
            query.since(),
            query.cursor.as_deref(),
            query.limit(),
        );
        match page {
            Ok(page) => stock_answer(&page, true),
            Err(_) => (invalid_cursor(), 0),
        }
    })
    .await
}

fn stock_answer(page: &StockPage<'_>, with_watermark: bool) -> (Response, usize) {
    let items: Vec<Value> = page.rows.iter().map(stock_row).collect();
    let count = items.len();
    let mut body = json!({ "items": items, "next_cursor": page.next_cursor });
    if with_watermark {
        body["watermark"] = json!(page.watermark);
    }
    (json(StatusCode::OK, &body), count)
}

/// One row of the ledger: what Commerce may sell from the source (on hand less what the WMS
/// holds for its own open orders) and whether the source has any.
fn stock_row(row: &StockRow<'_>) -> Value {
    let quantity = row.stock.salable();
    let mut item = json!({
        "sku": row.sku,
        "source_code": row.source_code,
        "quantity": quantity,
        "status": u8::from(quantity > 0),
        "updated_at": row.updated_at,
    });
    match row.defect.filter(|_| row.first) {
        Some(StockDefect::NegativeQuantity) => item["quantity"] = json!(-3),
        Some(StockDefect::MissingSku) => {
            if let Some(map) = item.as_object_mut() {
                map.remove("sku");
            }
        }
        Some(StockDefect::QuantityNotANumber) => item["quantity"] = json!("12"),
        Some(StockDefect::UnknownSource) | None => {}
    }
    item
}

/// One SKU of the product master at its revision: revision 0 is the catalog's seed; each later
/// one moves the price by up to ±10 % and renames the product.
fn product(catalog: &Catalog, row: &MasterRow<'_>) -> Value {
    let product = catalog.seeded_product(row.item.product);
    let (name, type_id, visibility, size, parent) = match row.item.variant {
        Some(v) => (
            catalog.seeded_variant_name(row.item.product, v),
            "simple",
            NOT_VISIBLE_INDIVIDUALLY,
            Some(v.size),
            Some(product.sku.as_str()),
        ),
        None => {
            let type_id = match (&product.kind, &product.configurable) {
                (_, Some(_)) => "configurable",
                (Kind::Virtual, _) => "virtual",
                (Kind::Downloadable(_), _) => "downloadable",
                _ => "simple",
            };
            (product.name.clone(), type_id, CATALOG_SEARCH, None, None)
        }
    };
    let surcharge = match size {
        Some(s) if s >= LARGE_SIZE_FROM => LARGE_SIZE_SURCHARGE,
        _ => 0,
    };
    let h =
        mix(catalog.seed ^ 0xe2b0_0001 ^ (u64::from(row.item.id) << 20) ^ u64::from(row.revision));
    let cents = u64::from(product.price + surcharge);
    let cents = match row.revision {
        0 => cents,
        _ => cents * (90 + h % 21) / 100,
    };
    let name = match row.revision {
        0 => name,
        r => format!("{name} (rev. {r})"),
    };
    let weightless = matches!(product.kind, Kind::Virtual | Kind::Downloadable(_))
        || catalog.category(product.leaf).family == Family::Digital;
    let weight = (!weightless).then(|| (h >> 8) as f64 % 480.0 / 100.0 + 0.2);
    let mut item = json!({
        "sku": row.sku,
        "name": name,
        "type_id": type_id,
        "attribute_set_id": DEFAULT_ATTRIBUTE_SET_ID,
        "price": cents as f64 / 100.0,
        "status": 1,
        "visibility": visibility,
        "weight": weight.map(|w| (w * 100.0).round() / 100.0),
        "website_ids": [MAIN_WEBSITE_ID],
        "parent_sku": parent,
        "updated_at": row.updated_at,
    });
    match row.erp_defect {
        Some(ErpDefect::MissingSku) => {
            if let Some(map) = item.as_object_mut() {
                map.remove("sku");
            }
        }
        Some(ErpDefect::PriceNotANumber) => item["price"] = json!("abc"),
        Some(ErpDefect::StatusOutOfRange) => item["status"] = json!(3),
        Some(ErpDefect::SkuTooLong) => {
            item["sku"] = json!(format!("{:X<70}", format!("{}-", row.sku)))
        }
        None => {}
    }
    item
}
