//! The BFF's Commerce REST client for the back-office flows, driven against the sandbox on
//! port 0: each call does what Commerce would, and every request it sent and every answer it
//! got fits Adobe's Swagger (`rest_swagger`).

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

use sandbox::{BulkFaults, Faults, RestExchange, Sandbox, SandboxConfig, SandboxHandle};
use storefront_bff::config::CommerceConfig;
use storefront_bff::sources::commerce::admin::CommerceAdmin;
use storefront_bff::sources::commerce::admin::model::{
    BasePrice, ImportBehavior, OperationStatus, ProductWrite, SourceItem, SourceItemKey,
};

use crate::rest_swagger::{assert_rest_journal_matches_swagger, check_exchange, swagger};

async fn start() -> (SandboxHandle, CommerceAdmin) {
    let handle = Sandbox::new(SandboxConfig {
        products: 50,
        categories: 10,
        order_stream: false,
        ..SandboxConfig::default()
    })
    .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .expect("sandbox starts");
    let config = CommerceConfig {
        admin_token: Some(sandbox::demo::INTEGRATION_TOKEN.to_string().into()),
        ..CommerceConfig::default()
    };
    let admin = CommerceAdmin::new(&handle.graphql_url(), &config).expect("client");
    (handle, admin)
}

/// A seeded simple product's SKU, as the storefront lists it.
async fn simple_sku(handle: &SandboxHandle) -> String {
    let query = "{ products(filter: { category_id: { eq: \"2\" } }, pageSize: 50) { items { __typename sku } } }";
    let answer: serde_json::Value = reqwest::Client::new()
        .post(handle.graphql_url())
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    let items = answer["data"]["products"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .find(|i| i["__typename"] == "SimpleProduct")
        .and_then(|i| i["sku"].as_str())
        .expect("a simple product")
        .to_owned()
}

fn product(sku: &str, name: &str) -> ProductWrite {
    ProductWrite {
        sku: sku.to_owned(),
        name: Some(name.to_owned()),
        price: Some(19.5),
        status: Some(1),
        visibility: Some(4),
        type_id: Some("simple".into()),
        attribute_set_id: Some(4),
        weight: Some(1.2),
        website_ids: Some(vec![1]),
        category_ids: Some(vec![3]),
        custom_attributes: vec![("description".into(), json!("<p>From the ERP</p>"))],
        media: Vec::new(),
    }
}

#[tokio::test]
async fn every_flow_call_does_what_commerce_does_and_fits_adobes_swagger() {
    let (handle, admin) = start().await;
    let sandbox = &handle.sandbox;
    let sku = simple_sku(&handle).await;
    sandbox.set_bulk_faults(BulkFaults {
        retriable_rate: 0.0,
        failing_skus: vec!["ERP-FAILS".into()],
    });

    let accepted = admin
        .submit_products_bulk(&[
            product(&sku, "Bulk Name"),
            product("ERP-NEW 1/2", "New"),
            product("ERP-FAILS", "X"),
        ])
        .await
        .expect("bulk accepted");
    assert!(!accepted.errors);
    assert_eq!(
        accepted
            .request_items
            .iter()
            .map(|i| i.id)
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let mut status = admin
        .bulk_detailed_status(&accepted.bulk_uuid)
        .await
        .expect("status");
    for _ in 0..500 {
        if status
            .operations
            .iter()
            .all(|o| o.status != OperationStatus::Open)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        status = admin
            .bulk_detailed_status(&accepted.bulk_uuid)
            .await
            .expect("status");
    }
    assert_eq!(status.operation_count, 3);
    let statuses: Vec<OperationStatus> = status.operations.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        [
            OperationStatus::Complete,
            OperationStatus::Complete,
            OperationStatus::FailedNotRetriable
        ]
    );
    assert!(status.operations[2].result_message.is_some());

    admin
        .save_product(&product("ERP-NEW 1/2", "Saved Singly"))
        .await
        .expect("saved");
    let refused = admin
        .save_base_prices(&[
            BasePrice {
                sku: sku.clone(),
                price: 42.0,
                store_id: 0,
            },
            BasePrice {
                sku: "NOPE".into(),
                price: 1.0,
                store_id: 0,
            },
        ])
        .await
        .expect("prices");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].parameters, ["NOPE"]);

    let sources = admin.list_sources().await.expect("sources");
    assert_eq!(sources, ["default", "wh-east", "wh-west", "store-berlin"]);
    admin
        .save_source_items(&[SourceItem {
            sku: sku.clone(),
            source_code: "wh-east".into(),
            quantity: 7.0,
            status: 1,
        }])
        .await
        .expect("source items");
    let page = admin
        .list_source_items("wh-east", 1, 500)
        .await
        .expect("page");
    assert!(page.items.iter().any(|i| i.sku == sku && i.quantity == 7.0));
    assert!(page.total_count >= page.items.len() as u64);
    admin
        .delete_source_items(&[SourceItemKey {
            sku: sku.clone(),
            source_code: "wh-east".into(),
        }])
        .await
        .expect("deleted");
    let error = admin
        .save_source_items(&[SourceItem {
            sku: sku.clone(),
            source_code: "atlantis".into(),
            quantity: 1.0,
            status: 1,
        }])
        .await
        .expect_err("unknown source");
    assert!(!error.is_retriable(), "{error}");

    let messages = admin
        .import_json(
            ImportBehavior::Append,
            &[
                json!({ "sku": sku, "name": "Imported" }),
                json!({ "name": "no sku" }),
            ],
        )
        .await
        .expect("import");
    assert_eq!(
        messages.last().map(String::as_str),
        Some("Entities Processed: 1")
    );

    sandbox.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    let error = admin.list_sources().await.expect_err("Commerce is down");
    assert!(error.is_retriable(), "{error}");
    sandbox.set_faults(Faults::default());

    let answer = reqwest::Client::new()
        .post(handle.graphql_url())
        .json(&json!({ "query": format!("{{ products(filter: {{ sku: {{ in: [\"{sku}\", \"ERP-NEW 1/2\"] }} }}) {{ items {{ sku name price_range {{ minimum_price {{ regular_price {{ value }} }} }} }} }} }}") }))
        .send()
        .await
        .expect("graphql")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    let items = &answer["data"]["products"]["items"];
    assert_eq!(items.as_array().map(Vec::len), Some(2), "{answer}");
    assert_eq!(items[0]["name"], "Imported");
    assert_eq!(
        items[0]["price_range"]["minimum_price"]["regular_price"]["value"],
        42.0
    );
    assert_eq!(items[1]["name"], "Saved Singly");

    let journal: Vec<RestExchange> = sandbox
        .rest_journal()
        .into_iter()
        .filter(|e| e.status != 503)
        .collect();
    // Ten calls besides the status polls (at least one).
    assert!(journal.len() >= 11, "{journal:?}");
    assert_rest_journal_matches_swagger(&journal);
    handle.shutdown().await;
}

#[test]
fn the_swagger_check_fails_on_a_wrong_body_an_unknown_path_and_a_wrong_answer() {
    let swagger = swagger();
    let exchange = |method: &str,
                    path: &str,
                    request: serde_json::Value,
                    status: u16,
                    response: serde_json::Value| RestExchange {
        method: method.into(),
        path: path.into(),
        request: Some(request),
        status,
        response: Some(response),
        truncated: false,
    };
    let good = exchange(
        "POST",
        "/rest/V1/inventory/source-items",
        json!({ "sourceItems": [{ "sku": "A", "source_code": "wh-east", "quantity": 1, "status": 1 }] }),
        200,
        json!([]),
    );
    check_exchange(&swagger, &good).expect("a valid exchange");
    let mut wrong_type = good.clone();
    wrong_type.request = Some(
        json!({ "sourceItems": [{ "sku": "A", "source_code": "wh-east", "quantity": "many", "status": 1 }] }),
    );
    assert!(check_exchange(&swagger, &wrong_type).is_err());
    let mut undeclared = good.clone();
    undeclared.request = Some(json!({ "sourceItems": [{ "sku": "A", "qty": 1 }] }));
    assert!(check_exchange(&swagger, &undeclared).is_err());
    let mut missing = good.clone();
    missing.request = Some(json!({}));
    assert!(check_exchange(&swagger, &missing).is_err());
    let mut unknown = good.clone();
    unknown.path = "/rest/V1/inventory/warehouses".into();
    assert!(check_exchange(&swagger, &unknown).is_err());
    let bulk = exchange(
        "PUT",
        "/rest/all/async/bulk/V1/products/bySku",
        json!([{ "product": { "sku": "A" } }]),
        202,
        json!({ "bulk_uuid": "u", "request_items": [{ "id": 0, "data_hash": "h", "status": "accepted" }], "errors": false }),
    );
    check_exchange(&swagger, &bulk).expect("a valid bulk");
    let mut not_array = bulk.clone();
    not_array.request = Some(json!({ "product": { "sku": "A" } }));
    assert!(check_exchange(&swagger, &not_array).is_err());
    let mut bad_answer = bulk.clone();
    bad_answer.response = Some(json!({ "bulk_uuid": 5 }));
    assert!(check_exchange(&swagger, &bad_answer).is_err());
}
