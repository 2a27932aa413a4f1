//! The catalog and inventory REST routes through the router, and what they change in the
//! storefront GraphQL.

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use super::tests::{call, graphql, sandbox};
use crate::demo::INTEGRATION_TOKEN;
use crate::{BulkFaults, Sandbox};

const TOKEN: Option<&str> = Some(INTEGRATION_TOKEN);

/// SKU of the first seeded simple product.
fn simple_sku(sandbox: &Sandbox) -> String {
    let catalog = &sandbox.inner.data.catalog;
    catalog
        .products
        .iter()
        .find(|p| p.configurable.is_none())
        .map(|p| p.sku.clone())
        .expect("a simple product")
}

async fn storefront(sandbox: &Sandbox, sku: &str) -> Value {
    let query = format!(
        "{{ products(filter: {{ sku: {{ eq: \"{sku}\" }} }}) {{ items {{ sku name stock_status \
         only_x_left_in_stock description {{ html }} \
         price_range {{ minimum_price {{ regular_price {{ value }} }} }} }} }} }}"
    );
    let (status, body) = graphql(sandbox, &query, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["products"]["items"].clone()
}

async fn send(sandbox: &Sandbox, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    call(sandbox, method, uri, TOKEN, Some(body.to_string())).await
}

#[tokio::test]
async fn a_product_written_over_rest_shows_in_graphql_and_disabling_hides_it() {
    let sandbox = sandbox();
    let sku = simple_sku(&sandbox);
    let before = storefront(&sandbox, &sku).await;
    assert_eq!(before.as_array().map(Vec::len), Some(1));
    let body = json!({ "product": { "sku": sku, "name": "Renamed", "price": 12.5,
        "custom_attributes": [{ "attribute_code": "description", "value": "<p>New</p>" }] } });
    let (status, saved) = send(&sandbox, "PUT", &format!("/rest/V1/products/{sku}"), body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["name"], "Renamed");
    let after = storefront(&sandbox, &sku).await;
    assert_eq!(after[0]["name"], "Renamed");
    assert_eq!(after[0]["description"]["html"], "<p>New</p>");
    assert_eq!(
        after[0]["price_range"]["minimum_price"]["regular_price"]["value"],
        12.5
    );
    let (_, got) = call(
        &sandbox,
        "GET",
        &format!("/rest/default/V1/products/{sku}"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(got["price"], 12.5);

    let disable = json!({ "product": { "status": 2 } });
    let (status, _) = send(
        &sandbox,
        "PUT",
        &format!("/rest/V1/products/{sku}"),
        disable,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(storefront(&sandbox, &sku).await, json!([]));
}

#[tokio::test]
async fn a_product_created_over_rest_is_found_by_sku_and_search_and_unknown_attributes_are_refused()
{
    let sandbox = sandbox();
    let body = json!({ "product": { "sku": "NEW-1", "name": "Zephyr Quasar Lamp", "price": 30,
        "type_id": "simple", "attribute_set_id": 4, "status": 1, "visibility": 4,
        "extension_attributes": { "website_ids": [1], "category_links": [{ "position": 0, "category_id": "3" }] } } });
    let (status, created) = send(&sandbox, "POST", "/rest/V1/products", body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let found = storefront(&sandbox, "NEW-1").await;
    assert_eq!(found[0]["name"], "Zephyr Quasar Lamp");
    assert_eq!(
        found[0]["stock_status"], "OUT_OF_STOCK",
        "no source items yet"
    );
    let (_, searched) = graphql(
        &sandbox,
        "{ products(search: \"quasar\") { items { sku } } }",
        None,
    )
    .await;
    assert_eq!(searched["data"]["products"]["items"][0]["sku"], "NEW-1");

    let bad = json!({ "product": { "sku": "NEW-1", "custom_attributes": [{ "attribute_code": "flux", "value": "1" }] } });
    let (status, error) = send(&sandbox, "PUT", "/rest/V1/products/NEW-1", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["message"], super::product_model::UNKNOWN_ATTRIBUTE);
    assert_eq!(error["parameters"], json!(["flux"]));
    let (status, _) = call(&sandbox, "GET", "/rest/V1/products/NOPE", TOKEN, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&sandbox, "GET", "/rest/V1/products/NEW-1", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Polls the detailed status until no operation is open (the consumer runs after a few ms).
async fn settled(sandbox: &Sandbox, uuid: &str) -> Value {
    for _ in 0..500 {
        let (status, body) = call(
            sandbox,
            "GET",
            &format!("/rest/V1/bulk/{uuid}/detailed-status"),
            TOKEN,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let open = body["operations_list"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| o["status"] == 4);
        if !open {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    panic!("the bulk never settled");
}

#[tokio::test]
async fn an_async_bulk_completes_later_with_commerces_statuses_and_partial_failures() {
    let sandbox = sandbox();
    let sku = simple_sku(&sandbox);
    sandbox.set_bulk_faults(BulkFaults {
        retriable_rate: 0.0,
        failing_skus: vec!["BULK-FAIL".into()],
    });
    let body = json!([
        { "product": { "sku": sku, "name": "Bulk Renamed" } },
        { "product": { "sku": "BULK-BAD", "name": "X", "custom_attributes": [{ "attribute_code": "nope", "value": 1 }] } },
        { "product": { "sku": "BULK-FAIL", "name": "Y" } },
    ]);
    let (status, accepted) = send(
        &sandbox,
        "PUT",
        "/rest/all/async/bulk/V1/products/bySku",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["errors"], false);
    assert_eq!(accepted["request_items"][2]["id"], 2);
    assert_eq!(accepted["request_items"][0]["status"], "accepted");
    let uuid = accepted["bulk_uuid"].as_str().expect("uuid").to_owned();
    let detailed = settled(&sandbox, &uuid).await;
    let statuses: Vec<&Value> = detailed["operations_list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|o| &o["status"])
        .collect();
    assert_eq!(statuses, [&json!(1), &json!(3), &json!(3)]);
    assert_eq!(
        detailed["operations_list"][1]["result_message"],
        "The attribute with a \"nope\" attributeCode doesn't exist. Verify the attribute and try again."
    );
    assert_eq!(storefront(&sandbox, &sku).await[0]["name"], "Bulk Renamed");
    let (_, count) = call(
        &sandbox,
        "GET",
        &format!("/rest/V1/bulk/{uuid}/operation-status/3"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(count, 2);
    let (_, summary) = call(
        &sandbox,
        "GET",
        &format!("/rest/V1/bulk/{uuid}/status"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(summary["operation_count"], 3);
    let (status, missing) = call(&sandbox, "GET", "/rest/V1/bulk/nope/status", TOKEN, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["message"], "Bulk uuid %bulkUuid not exist");

    sandbox.set_bulk_faults(BulkFaults {
        retriable_rate: 1.0,
        failing_skus: vec![],
    });
    let (_, accepted) = send(
        &sandbox,
        "POST",
        "/rest/async/bulk/V1/products",
        json!([{ "product": { "sku": sku, "name": "Z" } }]),
    )
    .await;
    let uuid = accepted["bulk_uuid"].as_str().expect("uuid").to_owned();
    assert_eq!(
        settled(&sandbox, &uuid).await["operations_list"][0]["status"],
        2
    );
}

#[tokio::test]
async fn base_prices_apply_and_refused_rows_come_back_with_commerces_messages() {
    let sandbox = sandbox();
    let sku = simple_sku(&sandbox);
    let body = json!({ "prices": [
        { "sku": sku, "price": 99.99, "store_id": 0 },
        { "sku": "NOPE", "price": 1, "store_id": 0 },
        { "sku": sku, "price": -1, "store_id": 0 },
    ] });
    let (status, refused) = send(&sandbox, "POST", "/rest/V1/products/base-prices", body).await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_eq!(refused.as_array().map(Vec::len), Some(2));
    assert_eq!(
        refused[0]["message"],
        "Requested product doesn't exist: %sku"
    );
    assert_eq!(refused[0]["parameters"], json!(["NOPE"]));
    let shown = storefront(&sandbox, &sku).await;
    assert_eq!(
        shown[0]["price_range"]["minimum_price"]["regular_price"]["value"],
        99.99
    );
    let (_, info) = send(
        &sandbox,
        "POST",
        "/rest/V1/products/base-prices-information",
        json!({ "skus": [sku] }),
    )
    .await;
    assert_eq!(info[0]["price"], 99.99);
}

#[tokio::test]
async fn source_items_set_commerces_salable_quantity_and_a_bad_batch_changes_nothing() {
    let sandbox = sandbox();
    let sku = simple_sku(&sandbox);
    let (_, sources) = call(&sandbox, "GET", "/rest/V1/inventory/sources", TOKEN, None).await;
    let codes: Vec<&str> = sources["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["source_code"].as_str())
        .collect();
    assert_eq!(codes, ["default", "wh-east", "wh-west", "store-berlin"]);

    let search = format!(
        "/rest/V1/inventory/source-items?searchCriteria[filterGroups][0][filters][0][field]=sku&searchCriteria[filterGroups][0][filters][0][value]={sku}"
    );
    let (_, seeded) = call(&sandbox, "GET", &search, TOKEN, None).await;
    let total: f64 = seeded["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["status"] == 1)
        .filter_map(|i| i["quantity"].as_f64())
        .sum();
    let before = storefront(&sandbox, &sku).await;
    assert_eq!(
        before[0]["stock_status"],
        if total > 0.0 {
            "IN_STOCK"
        } else {
            "OUT_OF_STOCK"
        }
    );

    let items = json!({ "sourceItems": [
        { "sku": sku, "source_code": "wh-east", "quantity": 3, "status": 1 },
        { "sku": sku, "source_code": "wh-west", "quantity": 0, "status": 0 },
        { "sku": sku, "source_code": "store-berlin", "quantity": 0, "status": 0 },
    ] });
    let (status, answer) = send(&sandbox, "POST", "/rest/V1/inventory/source-items", items).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let after = storefront(&sandbox, &sku).await;
    assert_eq!(after[0]["only_x_left_in_stock"], 3.0);

    let bad = json!({ "sourceItems": [
        { "sku": sku, "source_code": "wh-east", "quantity": 50, "status": 1 },
        { "sku": sku, "source_code": "atlantis", "quantity": 1, "status": 1 },
    ] });
    let (status, error) = send(&sandbox, "POST", "/rest/V1/inventory/source-items", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["message"], "Could not save Source Item");
    assert_eq!(
        storefront(&sandbox, &sku).await[0]["only_x_left_in_stock"],
        3.0,
        "nothing applied"
    );

    let delete = json!({ "sourceItems": [{ "sku": sku, "source_code": "wh-east" }] });
    let (status, _) = send(
        &sandbox,
        "POST",
        "/rest/V1/inventory/source-items-delete",
        delete,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        storefront(&sandbox, &sku).await[0]["stock_status"],
        "OUT_OF_STOCK"
    );
    let (_, east) = call(
        &sandbox,
        "GET",
        &format!("{search}&searchCriteria[pageSize]=10"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(east["total_count"], 2, "wh-west and store-berlin remain");
}

#[tokio::test]
async fn imported_rows_change_products_and_invalid_rows_are_reported() {
    let sandbox = sandbox();
    let sku = simple_sku(&sandbox);
    let body = json!({ "source": { "entity": "catalog_product", "behavior": "append",
        "validation_strategy": "validation-skip-errors", "allowed_error_count": "10",
        "items": [ { "sku": sku, "name": "Imported Name", "price": "7.5" }, { "name": "no sku" } ] } });
    let (status, messages) = send(&sandbox, "POST", "/rest/V1/import/json", body).await;
    assert_eq!(status, StatusCode::OK, "{messages}");
    assert_eq!(
        messages,
        json!(["SKU is empty in row(s): 2", "Entities Processed: 1"])
    );
    assert_eq!(storefront(&sandbox, &sku).await[0]["name"], "Imported Name");

    let csv = format!("sku,name,description,qty\n{sku},\"From CSV, quoted\",<p>csv</p>,4\n");
    let data = base64::engine::general_purpose::STANDARD.encode(csv);
    let body = json!({ "source": { "entity": "catalog_product", "behavior": "append",
        "validation_strategy": "validation-stop-on-errors", "allowed_error_count": "0", "csv_data": data } });
    let (status, messages) = send(&sandbox, "POST", "/rest/V1/import/csv", body).await;
    assert_eq!(status, StatusCode::OK, "{messages}");
    assert_eq!(messages, json!(["Entities Processed: 1"]));
    let shown = storefront(&sandbox, &sku).await;
    assert_eq!(shown[0]["name"], "From CSV, quoted");
    assert_eq!(shown[0]["description"]["html"], "<p>csv</p>");
}

#[tokio::test]
async fn the_journal_records_rest_exchanges_and_seeded_answers_stay_unchanged_without_writes() {
    let sandbox = sandbox();
    let sku = simple_sku(&sandbox);
    let untouched = storefront(&sandbox, &sku).await;
    let (status, _) = call(
        &sandbox,
        "GET",
        &format!("/rest/V1/products/{sku}"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(storefront(&sandbox, &sku).await, untouched);
    let journal = sandbox.rest_journal();
    let last = journal.last().expect("an exchange");
    assert_eq!(last.method, "GET");
    assert_eq!(last.path, format!("/rest/V1/products/{sku}"));
    assert_eq!(last.status, 200);
    assert_eq!(
        last.response.as_ref().map(|r| r["sku"].clone()),
        Some(json!(sku))
    );
    assert!(
        sandbox
            .calls()
            .by_root_field
            .contains_key("REST GET /V1/products/{sku}")
    );
}
