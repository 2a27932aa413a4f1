//! The variants of seeded configurable products written over REST (products, async bulk,
//! base prices, import), and what they change in the storefront GraphQL.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::tests::{call, graphql, sandbox};
use crate::Sandbox;
use crate::demo::INTEGRATION_TOKEN;

const TOKEN: Option<&str> = Some(INTEGRATION_TOKEN);

/// The `nth` seeded configurable product's SKU and its variants' SKUs.
fn configurable(sandbox: &Sandbox, nth: usize) -> (String, Vec<String>) {
    let catalog = &sandbox.inner.data.catalog;
    let (index, parent) = catalog
        .products
        .iter()
        .enumerate()
        .filter(|(_, p)| p.configurable.is_some())
        .nth(nth)
        .expect("a configurable product");
    let variants = parent
        .configurable
        .iter()
        .flat_map(|c| c.variants())
        .map(|v| catalog.variant_sku(index as u32, v))
        .collect();
    (parent.sku.clone(), variants)
}

const RANGE: &str = "price_range { minimum_price { regular_price { value } final_price { value } } \
     maximum_price { regular_price { value } } }";

/// The configurable product as the storefront shows it, with its variants.
async fn storefront(sandbox: &Sandbox, sku: &str) -> Value {
    let query = format!(
        "{{ products(filter: {{ sku: {{ eq: \"{sku}\" }} }}) {{ items {{ sku stock_status {RANGE} \
         ... on ConfigurableProduct {{ variants {{ product {{ sku name {RANGE} }} }} }} }} }} }}"
    );
    let (status, body) = graphql(sandbox, &query, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["products"]["items"][0].clone()
}

/// The storefront's variant with `sku` of `shown`, when it is listed.
fn variant<'a>(shown: &'a Value, sku: &str) -> Option<&'a Value> {
    shown["variants"]
        .as_array()?
        .iter()
        .map(|v| &v["product"])
        .find(|p| p["sku"] == sku)
}

async fn send(sandbox: &Sandbox, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    call(sandbox, method, uri, TOKEN, Some(body.to_string())).await
}

/// Polls the detailed status until no operation is open (the consumer runs after a few ms).
async fn settled(sandbox: &Sandbox, uuid: &str) -> Value {
    for _ in 0..500 {
        let uri = format!("/rest/V1/bulk/{uuid}/detailed-status");
        let (status, body) = call(sandbox, "GET", &uri, TOKEN, None).await;
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

fn regular(range: &Value, bound: &str) -> Value {
    range["price_range"][bound]["regular_price"]["value"].clone()
}

#[tokio::test]
async fn a_variant_saved_over_rest_and_through_a_bulk_shows_in_its_configurables_variants_and_range()
 {
    let sandbox = sandbox();
    let (parent, variants) = configurable(&sandbox, 0);
    let (cheap, dear) = (&variants[0], &variants[variants.len() - 1]);
    let body = json!({ "product": { "sku": cheap, "name": "Cheap Variant", "price": 1.25,
        "status": 1, "weight": 0.4,
        "custom_attributes": [{ "attribute_code": "description", "value": "<p>V</p>" }] } });
    let (status, saved) = send(&sandbox, "PUT", &format!("/rest/V1/products/{cheap}"), body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["sku"], cheap.as_str());
    assert_eq!(saved["type_id"], "simple");
    assert_eq!(
        saved["visibility"], 1,
        "a child is not visible individually"
    );

    let shown = storefront(&sandbox, &parent).await;
    assert_eq!(
        shown["sku"],
        parent.as_str(),
        "still its configurable's child"
    );
    assert_eq!(
        shown["variants"].as_array().map(Vec::len),
        Some(variants.len())
    );
    let child = variant(&shown, cheap).expect("listed");
    assert_eq!(child["name"], "Cheap Variant");
    assert_eq!(regular(child, "minimum_price"), 1.25);
    assert_eq!(regular(&shown, "minimum_price"), 1.25);

    let (_, got) = call(
        &sandbox,
        "GET",
        &format!("/rest/V1/products/{cheap}"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(got["name"], "Cheap Variant");
    assert_eq!(got["price"], 1.25);
    assert_eq!(got["weight"], 0.4);

    let bulk = json!([{ "product": { "sku": dear, "name": "Dear Variant", "price": 999 } }]);
    let (status, accepted) = send(
        &sandbox,
        "PUT",
        "/rest/all/async/bulk/V1/products/bySku",
        bulk,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let uuid = accepted["bulk_uuid"].as_str().expect("uuid").to_owned();
    let detailed = settled(&sandbox, &uuid).await;
    assert_eq!(detailed["operations_list"][0]["status"], 1, "{detailed}");
    let shown = storefront(&sandbox, &parent).await;
    assert_eq!(
        variant(&shown, dear).expect("listed")["name"],
        "Dear Variant"
    );
    assert_eq!(regular(&shown, "maximum_price"), 999.0);
    assert_eq!(regular(&shown, "minimum_price"), 1.25);
}

#[tokio::test]
async fn a_base_price_for_a_variant_applies_to_the_storefront_and_the_cart() {
    let sandbox = sandbox();
    let (parent, variants) = configurable(&sandbox, 0);
    let sku = &variants[1];
    let body = json!({ "prices": [{ "sku": sku, "price": 2.5, "store_id": 0 }] });
    let (status, refused) = send(&sandbox, "POST", "/rest/V1/products/base-prices", body).await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_eq!(refused, json!([]));
    let shown = storefront(&sandbox, &parent).await;
    assert_eq!(
        regular(variant(&shown, sku).expect("listed"), "minimum_price"),
        2.5
    );
    assert_eq!(regular(&shown, "minimum_price"), 2.5);
    let (_, info) = send(
        &sandbox,
        "POST",
        "/rest/V1/products/base-prices-information",
        json!({ "skus": [sku] }),
    )
    .await;
    assert_eq!(info[0]["price"], 2.5, "{info}");

    let (_, cart) = graphql(
        &sandbox,
        "mutation { createGuestCart { cart { id } } }",
        None,
    )
    .await;
    let id = cart["data"]["createGuestCart"]["cart"]["id"]
        .as_str()
        .expect("a cart id")
        .to_owned();
    let add = format!(
        "mutation {{ addProductsToCart(cartId: \"{id}\", cartItems: [{{ sku: \"{sku}\", quantity: 1 }}]) \
         {{ cart {{ items {{ prices {{ price {{ value }} }} }} }} user_errors {{ code }} }} }}"
    );
    let (_, added) = graphql(&sandbox, &add, None).await;
    let out = &added["data"]["addProductsToCart"];
    assert_eq!(out["user_errors"], json!([]), "{added}");
    let special =
        shown["variants"][1]["product"]["price_range"]["minimum_price"]["final_price"]["value"]
            .clone();
    assert_eq!(out["cart"]["items"][0]["prices"]["price"]["value"], special);
}

#[tokio::test]
async fn a_disabled_variant_is_no_longer_offered_nor_addable() {
    let sandbox = sandbox();
    let (parent, variants) = configurable(&sandbox, 0);
    let sku = &variants[0];
    let body = json!({ "product": { "sku": sku, "price": 0.5, "status": 2 } });
    let (status, saved) = send(&sandbox, "PUT", &format!("/rest/V1/products/{sku}"), body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["status"], 2);
    let shown = storefront(&sandbox, &parent).await;
    assert!(variant(&shown, sku).is_none(), "{shown}");
    assert_eq!(
        shown["variants"].as_array().map(Vec::len),
        Some(variants.len() - 1)
    );
    assert_ne!(
        regular(&shown, "minimum_price"),
        0.5,
        "a disabled variant's price is out of the range"
    );

    let (_, cart) = graphql(
        &sandbox,
        "mutation { createGuestCart { cart { id } } }",
        None,
    )
    .await;
    let id = cart["data"]["createGuestCart"]["cart"]["id"]
        .as_str()
        .expect("a cart id")
        .to_owned();
    let add = format!(
        "mutation {{ addProductsToCart(cartId: \"{id}\", cartItems: [{{ sku: \"{sku}\", quantity: 1 }}]) \
         {{ cart {{ items {{ uid }} }} user_errors {{ code }} }} }}"
    );
    let (_, added) = graphql(&sandbox, &add, None).await;
    let out = &added["data"]["addProductsToCart"];
    assert_eq!(out["cart"]["items"], json!([]), "{added}");
    assert_eq!(out["user_errors"][0]["code"], "PRODUCT_NOT_FOUND");
}

#[tokio::test]
async fn an_imported_row_for_a_variant_applies() {
    let sandbox = sandbox();
    let (parent, variants) = configurable(&sandbox, 0);
    let sku = &variants[2];
    let body = json!({ "source": { "entity": "catalog_product", "behavior": "append",
        "validation_strategy": "validation-stop-on-errors", "allowed_error_count": "0",
        "items": [{ "sku": sku, "name": "Imported Variant", "price": "3.75" }] } });
    let (status, messages) = send(&sandbox, "POST", "/rest/V1/import/json", body).await;
    assert_eq!(status, StatusCode::OK, "{messages}");
    assert_eq!(messages, json!(["Entities Processed: 1"]));
    let shown = storefront(&sandbox, &parent).await;
    let child = variant(&shown, sku).expect("listed");
    assert_eq!(child["name"], "Imported Variant");
    assert_eq!(regular(child, "minimum_price"), 3.75);
}

#[tokio::test]
async fn without_variant_writes_answers_stay_identical_and_other_configurables_are_untouched() {
    let written = sandbox();
    let untouched = sandbox();
    let (parent, variants) = configurable(&written, 0);
    let (other, _) = configurable(&written, 1);
    let fresh = storefront(&written, &other).await;
    assert_eq!(fresh, storefront(&untouched, &other).await);
    let (status, _) = call(
        &written,
        "GET",
        &format!("/rest/V1/products/{}", variants[0]),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        storefront(&written, &parent).await,
        storefront(&untouched, &parent).await,
        "a read writes nothing"
    );
    let body = json!({ "product": { "sku": variants[0], "name": "Elsewhere" } });
    let uri = format!("/rest/V1/products/{}", variants[0]);
    let (status, _) = send(&written, "PUT", &uri, body).await;
    assert_eq!(status, StatusCode::OK);
    assert!(written.inner.data.catalog.variants.is_active());
    assert_eq!(
        storefront(&written, &other).await,
        fresh,
        "another configurable's answer is derived as before"
    );
    let shown = storefront(&written, &parent).await;
    let seeded = storefront(&untouched, &parent).await;
    assert_eq!(
        shown["price_range"], seeded["price_range"],
        "the price was not written"
    );
}
