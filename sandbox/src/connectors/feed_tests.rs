//! The ERP/WMS and PIM feeds through the router: query bounds, auth, faults, the admin
//! routes, and what an answer looks like on the wire.

use axum::body::to_bytes;
use axum::http::Request;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;
use crate::{Faults, Sandbox, SandboxConfig, demo};

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 30,
        order_stream: false,
        feed_changes: false,
        ..SandboxConfig::default()
    })
}

async fn send(sandbox: &Sandbox, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = sandbox
        .router()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

async fn get(sandbox: &Sandbox, uri: &str, token: Option<&str>) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::get(uri).header("x-request-id", "req-7");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    send(sandbox, request.body(Body::empty()).expect("request")).await
}

async fn post(sandbox: &Sandbox, uri: &str, body: Value) -> Value {
    let request = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    send(sandbox, request).await.2
}

const TOKEN: Option<&str> = Some(demo::CONNECTOR_TOKEN);

#[tokio::test]
async fn every_feed_answers_a_page_with_items_a_cursor_and_the_request_id() {
    let sandbox = sandbox();
    for uri in [
        "/erp/v1/products?changed_since=0&limit=3",
        "/erp/v1/stock?limit=3",
        "/erp/v1/stock/changes?since=0&limit=3",
        "/pim/v1/products?limit=3",
    ] {
        let (status, headers, body) = get(&sandbox, uri, TOKEN).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(3), "{uri}");
        assert!(body["next_cursor"].is_string(), "{uri}");
        assert_eq!(
            headers.get("x-request-id").and_then(|v| v.to_str().ok()),
            Some("req-7")
        );
    }
    let (_, _, product) = get(&sandbox, "/erp/v1/products?limit=1", TOKEN).await;
    let item = &product["items"][0];
    for field in [
        "sku",
        "name",
        "type_id",
        "attribute_set_id",
        "price",
        "status",
        "visibility",
        "website_ids",
        "updated_at",
    ] {
        assert!(!item[field].is_null(), "{field} in {item}");
    }
    assert!(product["watermark"].is_u64());
    let (_, _, stock) = get(&sandbox, "/erp/v1/stock?limit=1", TOKEN).await;
    assert!(
        stock.get("watermark").is_none(),
        "the full feed has no watermark"
    );
    assert_eq!(stock["items"][0]["source_code"], "store-berlin");
    assert_eq!(
        sandbox.service_calls(Service::Erp),
        ServiceCalls { total: 5, skus: 11 }
    );
    assert_eq!(sandbox.service_calls(Service::Pim).total, 1);
}

#[tokio::test]
async fn feeds_refuse_missing_tokens_bad_limits_and_foreign_cursors() {
    let sandbox = sandbox();
    let (status, headers, body) = get(&sandbox, "/erp/v1/stock", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    let (status, _, _) = get(&sandbox, "/pim/v1/products", Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for uri in [
        "/erp/v1/stock?limit=0",
        "/erp/v1/stock?limit=1001",
        "/erp/v1/stock?limit=ten",
        "/erp/v1/products?changed_since=-1",
    ] {
        let (status, _, body) = get(&sandbox, uri, TOKEN).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"]["code"], "INVALID_REQUEST", "{uri}");
    }
    let (_, _, page) = get(&sandbox, "/erp/v1/stock?limit=2", TOKEN).await;
    let cursor = page["next_cursor"].as_str().expect("cursor").to_string();
    let (status, _, body) = get(
        &sandbox,
        &format!("/pim/v1/products?cursor={cursor}"),
        TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "INVALID_CURSOR");
    let larger = Sandbox::new(SandboxConfig {
        products: 60,
        order_stream: false,
        feed_changes: false,
        ..SandboxConfig::default()
    });
    let (_, _, all) = get(&larger, "/erp/v1/stock", TOKEN).await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(500),
        "the default limit is 500"
    );
}

#[tokio::test]
async fn feed_faults_are_their_own_and_forced_changes_show_in_the_next_delta() {
    let sandbox = sandbox();
    let down = Faults {
        down: true,
        ..Faults::default()
    };
    sandbox.set_service_faults(Service::Erp, down);
    let (status, _, body) = get(&sandbox, "/erp/v1/stock", TOKEN).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE");
    let (status, _, _) = get(&sandbox, "/pim/v1/products", TOKEN).await;
    assert_eq!(status, StatusCode::OK, "the PIM is not the ERP");
    sandbox.set_service_faults(Service::Erp, Faults::default());

    let since = crate::clock::now();
    let changed = post(&sandbox, "/admin/erp/changes", json!({"count": 4})).await;
    let changed: Vec<&str> = changed["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!changed.is_empty());
    let (_, _, delta) = get(
        &sandbox,
        &format!("/erp/v1/products?changed_since={since}"),
        TOKEN,
    )
    .await;
    let items = delta["items"].as_array().expect("items");
    assert_eq!(items.len(), changed.len());
    assert!(delta["watermark"].as_u64().is_some_and(|w| w >= since));
    let pim = post(&sandbox, "/admin/pim/changes", json!({"count": 2})).await;
    assert!(pim["changed"].as_array().is_some_and(|c| !c.is_empty()));
    let (_, _, bad) = send(
        &sandbox,
        Request::get("/admin/feeds/bad-rows")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(bad["stock"][1][1], "unknown_source");
    let (_, _, totals) = send(
        &sandbox,
        Request::get("/admin/calls/all")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(totals["erp"], 2);
    assert_eq!(totals["pim"], 1);
}

#[tokio::test]
async fn the_feeds_stay_the_source_when_commerce_is_written_over_rest() {
    let sandbox = sandbox();
    let (parent, variant) = {
        let catalog = &sandbox.inner.data.catalog;
        let (index, product) = catalog
            .products
            .iter()
            .enumerate()
            .find(|(_, p)| p.configurable.is_some())
            .expect("a configurable product");
        let first = product
            .configurable
            .as_ref()
            .and_then(|c| c.variants().next())
            .expect("a variant");
        (
            product.sku.clone(),
            catalog.variant_sku(index as u32, first),
        )
    };
    let feeds = [
        "/erp/v1/products?changed_since=0&limit=1000",
        "/pim/v1/products?limit=1000",
    ];
    let mut before = Vec::new();
    for uri in feeds {
        before.push(get(&sandbox, uri, TOKEN).await.2);
    }
    for sku in [&parent, &variant] {
        let body = json!({ "product": { "sku": sku, "name": "Written In Commerce", "price": 1 } });
        let request = Request::put(format!("/rest/V1/products/{sku}"))
            .header("content-type", "application/json")
            .header(
                "authorization",
                format!("Bearer {}", demo::INTEGRATION_TOKEN),
            )
            .body(Body::from(body.to_string()))
            .expect("request");
        let (status, _, saved) = send(&sandbox, request).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
    }
    for (uri, before) in feeds.into_iter().zip(before) {
        let after = get(&sandbox, uri, TOKEN).await.2;
        assert!(
            after.to_string().contains(&variant),
            "{uri} lists the variant"
        );
        assert_eq!(after, before, "{uri} reads Commerce's data back");
    }
}
