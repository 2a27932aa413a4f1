//! Commerce operations through the BFF answer exactly what Commerce answers.

use serde_json::{Value, json};

use crate::support::TestApp;

const PLP: &str = r#"
query CategoryPage($uid: String!, $pageSize: Int!, $currentPage: Int!) {
  products(filter: { category_uid: { eq: $uid } }, pageSize: $pageSize, currentPage: $currentPage, sort: { position: ASC }) {
    total_count
    page_info { current_page page_size total_pages }
    aggregations { attribute_code label count options { label value count } }
    sort_fields { default options { label value } }
    items {
      __typename uid sku name url_key url_suffix stock_status
      small_image { url label }
      price_range {
        minimum_price { regular_price { value currency } final_price { value currency } discount { amount_off percent_off } }
      }
      ... on ConfigurableProduct { configurable_options { attribute_code label values { uid label } } }
    }
  }
}"#;

const PDP: &str = r#"
query ProductDetail($urlKey: String!) {
  products(filter: { url_key: { eq: $urlKey } }) {
    items {
      __typename uid sku name url_key
      description { html }
      media_gallery { url label position }
      price_range { maximum_price { final_price { value currency } } minimum_price { final_price { value currency } } }
      price_tiers { quantity final_price { value } }
      categories { uid name url_path breadcrumbs { category_uid category_name } }
      ... on ConfigurableProduct {
        configurable_options { attribute_code label values { uid label value_index swatch_data { value } } }
        variants {
          attributes { code label value_index uid }
          product { uid sku stock_status price_range { minimum_price { final_price { value } } } }
        }
      }
    }
  }
}"#;

/// A top-level category that has products, found through the BFF.
pub async fn category_with_products(app: &TestApp) -> String {
    let answer = app
        .query(
            "{ categories { items { children { uid product_count } } } }",
            json!({}),
        )
        .await;
    let children = answer.body["data"]["categories"]["items"][0]["children"]
        .as_array()
        .unwrap_or_else(|| panic!("category tree: {}", answer.body))
        .clone();
    children
        .iter()
        .find(|c| c["product_count"].as_i64().unwrap_or(0) > 0)
        .and_then(|c| c["uid"].as_str())
        .expect("a category with products")
        .to_string()
}

pub fn plp_variables(uid: &str) -> Value {
    json!({ "uid": uid, "pageSize": 24, "currentPage": 1 })
}

pub const PLP_QUERY: &str = PLP;

async fn same_answer(app: &TestApp, query: &str, variables: Value) -> Value {
    let through_bff = app.query(query, variables.clone()).await;
    let direct = app.query_commerce(query, variables, &[]).await;
    assert_eq!(through_bff.status, 200, "{}", through_bff.body);
    assert!(
        through_bff.body.get("errors").is_none(),
        "{}",
        through_bff.body
    );
    assert_eq!(through_bff.body, direct.body);
    through_bff.body
}

#[tokio::test]
async fn a_category_page_with_aggregations_answers_as_commerce_does() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let body = same_answer(&app, PLP, plp_variables(&uid)).await;
    let products = &body["data"]["products"];
    assert!(products["total_count"].as_i64().unwrap_or(0) > 0);
    assert!(!products["items"].as_array().expect("items").is_empty());
    assert!(
        !products["aggregations"]
            .as_array()
            .expect("aggregations")
            .is_empty()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_product_page_by_url_key_carries_its_configurable_variants() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let listing = app
        .query(
            PLP,
            json!({ "uid": uid, "pageSize": 100, "currentPage": 1 }),
        )
        .await;
    let url_key = listing.body["data"]["products"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["__typename"] == "ConfigurableProduct")
        .and_then(|p| p["url_key"].as_str())
        .expect("a configurable product in the category")
        .to_string();
    let body = same_answer(&app, PDP, json!({ "urlKey": url_key })).await;
    let product = &body["data"]["products"]["items"][0];
    assert_eq!(product["__typename"], "ConfigurableProduct");
    assert!(!product["variants"].as_array().expect("variants").is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn the_category_tree_search_and_route_answer_as_commerce_does() {
    let app = TestApp::start().await;
    let tree = same_answer(
        &app,
        "{ categoryList { uid name children { uid name url_path level children { uid name url_path breadcrumbs { category_name } } } } }",
        json!({}),
    )
    .await;
    assert!(
        !tree["data"]["categoryList"][0]["children"]
            .as_array()
            .expect("children")
            .is_empty()
    );

    let uid = category_with_products(&app).await;
    let listing = app.query(PLP, plp_variables(&uid)).await;
    let first = &listing.body["data"]["products"]["items"][0];
    let word = first["name"]
        .as_str()
        .expect("name")
        .split_whitespace()
        .next()
        .expect("a word")
        .to_string();
    let search = same_answer(
        &app,
        "query($q: String!) { products(search: $q, pageSize: 10) { total_count items { sku name } } }",
        json!({ "q": word }),
    )
    .await;
    assert!(
        search["data"]["products"]["total_count"]
            .as_i64()
            .unwrap_or(0)
            > 0
    );

    let url = format!(
        "{}{}",
        first["url_key"].as_str().expect("url_key"),
        first["url_suffix"].as_str().unwrap_or("")
    );
    let route = same_answer(
        &app,
        "query($url: String!) { route(url: $url) { __typename relative_url redirect_code type ... on ProductInterface { sku } } }",
        json!({ "url": url }),
    )
    .await;
    assert_eq!(route["data"]["route"]["sku"], first["sku"]);
    app.shutdown().await;
}

#[tokio::test]
async fn aliases_and_fragments_on_interfaces_round_trip() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let query = r#"
      query Aliased($uid: String!) {
        listing: products(filter: { category_uid: { eq: $uid } }, pageSize: 6) {
          count: total_count
          entries: items { ...Card ...Configurable }
        }
        cheapest: products(filter: { category_uid: { eq: $uid } }, pageSize: 1, sort: { price: ASC }) {
          items { code: sku ... on SimpleProduct { kind: __typename } }
        }
      }
      fragment Card on ProductInterface { id: uid title: name link: url_key price: price_range { min: minimum_price { final_price { value } } } }
      fragment Configurable on ConfigurableProduct { options: configurable_options { code: attribute_code } variantList: variants { product { variantSku: sku } } }
    "#;
    let body = same_answer(&app, query, json!({ "uid": uid })).await;
    let entries = body["data"]["listing"]["entries"]
        .as_array()
        .expect("aliased items");
    assert!(
        entries
            .iter()
            .all(|e| e["title"].is_string() && e["id"].is_string())
    );
    assert!(body["data"]["cheapest"]["items"][0]["code"].is_string());
    app.shutdown().await;
}

#[tokio::test]
async fn upstream_graphql_errors_keep_their_path_and_category() {
    let app = TestApp::start().await;
    let query = "{ products(filter: { price: { from: \"0\" } }, pageSize: 5, currentPage: 100000) { items { sku } } }";
    let answer = app.query(query, json!({})).await;
    let direct = app.query_commerce(query, json!({}), &[]).await;
    let error = &answer.body["errors"][0];
    assert!(
        error["extensions"]["category"].is_string(),
        "{}",
        answer.body
    );
    assert_eq!(error["path"], direct.body["errors"][0]["path"]);
    assert_eq!(error["message"], direct.body["errors"][0]["message"]);
    app.shutdown().await;
}

#[tokio::test]
async fn store_and_currency_headers_reach_commerce_and_the_cache_id_comes_back() {
    let app = TestApp::start().await;
    let query = "{ storeConfig { store_code base_currency_code default_display_currency_code } currency { default_display_currency_code } }";
    let default = app.query(query, json!({})).await;
    // The sandbox seeds a second store view, `de` (EUR).
    let other = "de".to_string();
    let answer = app.query_with(query, json!({}), &[("Store", &other)]).await;
    assert_eq!(
        answer.body["data"]["storeConfig"]["store_code"],
        other.as_str()
    );
    assert_ne!(answer.body, default.body);
    let cache_id = answer
        .header("x-magento-cache-id")
        .expect("cache id comes back")
        .to_string();
    assert_ne!(
        Some(cache_id.as_str()),
        default.header("x-magento-cache-id")
    );
    let price = "{ products(filter: { price: { from: \"0\" } }, pageSize: 1) { items { price_range { minimum_price { final_price { currency } } } } } }";
    let euro = app
        .query_with(price, json!({}), &[("Content-Currency", "EUR")])
        .await;
    let currency = &euro.body["data"]["products"]["items"][0]["price_range"]["minimum_price"]["final_price"]
        ["currency"];
    assert_eq!(currency, "EUR", "{}", euro.body);
    let dollars = app.query(price, json!({})).await;
    assert_ne!(
        dollars.body, euro.body,
        "a cached USD answer was served for EUR"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn get_requests_run_queries_with_variables() {
    let app = TestApp::start().await;
    let url = reqwest::Url::parse_with_params(
        &app.graphql_url(),
        &[
            (
                "query",
                "query Q($id: String) { country(id: $id) { id full_name_english } }",
            ),
            ("variables", r#"{"id":"US"}"#),
            ("operationName", "Q"),
        ],
    )
    .expect("url");
    let answer = crate::support::decode(app.http.get(url).send().await.expect("sent")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["data"]["country"]["id"], "US");
    app.shutdown().await;
}

#[tokio::test]
async fn commerces_errors_point_into_the_document_the_client_sent() {
    let app = TestApp::start().await;
    // A multi-line document with an alias and a fragment, as storefronts write them: the BFF
    // prints another text for Commerce, but the error must point here, as Commerce's would.
    let guest = "query Account {\n  storeConfig { store_code }\n  me: customer {\n    ...Who\n  }\n}\nfragment Who on Customer { email }\n";
    let through = app.query(guest, json!({})).await;
    let direct = app.query_commerce(guest, json!({}), &[]).await;
    assert_eq!(
        through.body["errors"][0]["locations"],
        json!([{ "line": 3, "column": 3 }])
    );
    assert_eq!(
        through.body["errors"], direct.body["errors"],
        "{}",
        through.body
    );
    assert_eq!(through.body["data"], direct.body["data"]);
    assert_eq!(through.body["data"]["me"], Value::Null);
    // A cart mutation's error too (forwarded, never cached).
    let mutation = "mutation {\n  setGuestEmailOnCart(input: {\n    cart_id: \"nope\"\n    email: \"a@example.com\"\n  }) { cart { email } }\n}";
    let through = app.query(mutation, json!({})).await;
    let direct = app.query_commerce(mutation, json!({}), &[]).await;
    assert_eq!(
        through.body["errors"], direct.body["errors"],
        "{}",
        through.body
    );
    assert_eq!(
        through.body["errors"][0]["locations"],
        json!([{ "line": 2, "column": 3 }])
    );
    app.shutdown().await;
}
