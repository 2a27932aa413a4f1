//! Merged fields in every query shape a client writes: arguments and sub-selections in the cache
//! keys, the spec's field collection (repeated keys, fragments, directives), variable defaults,
//! directives on the merged fields themselves, join keys no alias can hit, and overwritten prices
//! that add up.

use std::collections::HashMap;

use sandbox::Faults;
use serde_json::{Value, json};

use crate::support::TestApp;

fn items(answer: &Value) -> &Vec<Value> {
    answer["data"]["products"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {answer}"))
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

async fn acme(app: &TestApp) -> String {
    let (email, password) = sandbox::demo::ACME_BUYER;
    format!("Bearer {}", app.customer_token(email, password).await)
}

/// Acme's contract tiers, from the CPQ itself, for the products listed in an answer.
async fn acme_tiers_of_items(app: &TestApp, answer: &Value) -> HashMap<String, Vec<(f64, f64)>> {
    let skus: Vec<&str> = items(answer)
        .iter()
        .filter_map(|i| i["sku"].as_str())
        .collect();
    acme_tiers(app, &skus).await
}

/// Acme's contract tiers per SKU, straight from the CPQ connector: (min quantity, unit price).
async fn acme_tiers(app: &TestApp, skus: &[&str]) -> HashMap<String, Vec<(f64, f64)>> {
    let truth = app
        .connector(
            "/cpq/v1/contract-prices/lookup",
            json!({ "company_id": sandbox::demo::ACME_COMPANY_ID, "currency": "USD", "skus": skus }),
        )
        .await;
    truth["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            let tiers = item["tiers"]
                .as_array()
                .expect("tiers")
                .iter()
                .map(|t| {
                    (
                        t["min_quantity"].as_f64().expect("min"),
                        t["unit_price"].as_f64().expect("price"),
                    )
                })
                .collect();
            (item["sku"].as_str().expect("sku").to_string(), tiers)
        })
        .collect()
}

/// The items whose contract price is valid today (the sandbox seeds an expired and a future one).
fn contract_items<'v>(app: &TestApp, answer: &'v Value) -> Vec<&'v Value> {
    let sandbox = &app.sandbox.sandbox;
    let invalid = [
        sandbox::demo::expired_contract_sku(sandbox),
        sandbox::demo::future_contract_sku(sandbox),
    ];
    items(answer)
        .iter()
        .filter(|i| !invalid.iter().flatten().any(|sku| i["sku"] == sku.as_str()))
        .collect()
}

fn unit_price_for(tiers: &[(f64, f64)], quantity: f64) -> f64 {
    tiers
        .iter()
        .rfind(|(min, _)| *min <= quantity)
        .map(|(_, price)| *price)
        .expect("a tier")
}

const PRICED: &str = "query($from: String!) { products(filter: { price: { from: $from } }, pageSize: 6) { items { sku contract_price(quantity: 1) { unit_price { value } } } } }";

#[tokio::test]
async fn a_cached_merged_answer_is_never_served_for_another_quantity_or_selection() {
    let app = TestApp::start().await;
    let token = acme(&app).await;
    let auth = [("Authorization", token.as_str())];
    let vars = json!({ "from": "0" });
    let one = app.query_with(PRICED, vars.clone(), &auth).await;
    assert!(one.body.get("errors").is_none(), "{}", one.body);
    let commerce_calls = app.upstream_calls();
    let hundred = app
        .query_with(
            &PRICED.replace("quantity: 1", "quantity: 100"),
            vars.clone(),
            &auth,
        )
        .await;
    assert_eq!(
        app.upstream_calls(),
        commerce_calls,
        "Commerce's part of the answer is still shared"
    );
    let tiers = acme_tiers_of_items(&app, &hundred.body).await;
    for item in contract_items(&app, &hundred.body) {
        let sku = item["sku"].as_str().expect("sku");
        assert_eq!(
            item["contract_price"]["unit_price"]["value"].as_f64(),
            Some(unit_price_for(&tiers[sku], 100.0)),
            "{item}"
        );
    }

    let stock = "{ products(filter: { price: { from: \"0\" } }, pageSize: 6) { items { live_stock { salable_qty } } } }";
    let first = app.query(stock, json!({})).await;
    assert!(keys(&items(&first.body)[0]["live_stock"]) == ["salable_qty"]);
    let other = app
        .query(&stock.replace("salable_qty", "status"), json!({}))
        .await;
    for item in items(&other.body) {
        assert_eq!(keys(&item["live_stock"]), ["status"], "{}", other.body);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn with_the_cache_off_concurrent_requests_of_different_shapes_get_their_own_answers() {
    let app = TestApp::start_with(|c| c.cache.enabled = false, Vec::new()).await;
    let token = acme(&app).await;
    let auth = [("Authorization", token.as_str())];
    app.sandbox.sandbox.set_faults(Faults {
        latency_ms: 600,
        ..Faults::default()
    });
    let vars = json!({ "from": "0" });
    let hundred_query = PRICED.replace("quantity: 1", "quantity: 100");
    let stock = "{ products(filter: { price: { from: \"0\" } }, pageSize: 6) { items { live_stock { salable_qty } } } }";
    let status = stock.replace("salable_qty", "status");
    let (one, hundred, quantities, statuses) = tokio::join!(
        app.query_with(PRICED, vars.clone(), &auth),
        app.query_with(&hundred_query, vars.clone(), &auth),
        app.query(stock, json!({})),
        app.query(&status, json!({})),
    );
    let tiers = acme_tiers_of_items(&app, &one.body).await;
    for (answer, quantity) in [(&one, 1.0), (&hundred, 100.0)] {
        for item in contract_items(&app, &answer.body) {
            let sku = item["sku"].as_str().expect("sku");
            assert_eq!(
                item["contract_price"]["unit_price"]["value"].as_f64(),
                Some(unit_price_for(&tiers[sku], quantity)),
                "quantity {quantity}: {item}"
            );
        }
    }
    for (answer, key) in [(&quantities, "salable_qty"), (&statuses, "status")] {
        for item in items(&answer.body) {
            assert_eq!(keys(&item["live_stock"]), [key], "{}", answer.body);
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_key_selected_several_times_merges_per_object_as_the_spec_collects_fields() {
    let app = TestApp::start().await;
    let query = r#"{ products(filter: { price: { from: "0" } }, pageSize: 50) { items {
        __typename
        stock: live_stock @skip(if: true) { updated_at }
        name
        stock: live_stock { salable_qty }
        ... on ConfigurableProduct { stock: live_stock { status } name }
        ...Simple
        sku
    } } }
    fragment Simple on SimpleProduct { stock: live_stock { sources { source_code } sources { salable_qty } } }"#;
    let answer = app.query(query, json!({})).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let mut seen = (false, false);
    for item in items(&answer.body) {
        assert_eq!(keys(item), ["__typename", "name", "stock", "sku"], "{item}");
        match item["__typename"].as_str() {
            Some("ConfigurableProduct") => {
                seen.0 = true;
                assert_eq!(keys(&item["stock"]), ["salable_qty", "status"], "{item}");
            }
            Some("SimpleProduct") => {
                seen.1 = true;
                assert_eq!(keys(&item["stock"]), ["salable_qty", "sources"], "{item}");
                for source in item["stock"]["sources"].as_array().expect("sources") {
                    assert_eq!(keys(source), ["source_code", "salable_qty"], "{item}");
                }
            }
            _ => assert_eq!(keys(&item["stock"]), ["salable_qty"], "{item}"),
        }
    }
    assert_eq!(seen, (true, true), "{}", answer.body);

    // A key's first occurrence on the object's own type fixes its place.
    let query = r#"{ products(filter: { price: { from: "0" } }, pageSize: 50) { items {
        __typename ... on ConfigurableProduct { s: live_stock { status } } name s: live_stock { salable_qty } } } }"#;
    let answer = app.query(query, json!({})).await;
    for item in items(&answer.body) {
        let (order, stock): (&[&str], &[&str]) = match item["__typename"].as_str() {
            Some("ConfigurableProduct") => {
                (&["__typename", "s", "name"], &["status", "salable_qty"])
            }
            _ => (&["__typename", "name", "s"], &["salable_qty"]),
        };
        assert_eq!(keys(item), order, "{item}");
        assert_eq!(keys(&item["s"]), stock, "{item}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_repeated_key_takes_its_place_from_its_first_occurrence_that_is_not_skipped() {
    let app = TestApp::start().await;
    let filter = r#"filter: { sku: { in: ["WJ01", "24-TV02", "HBA01"] } }"#;
    // Forwarded: the first `products` collects nothing, so the second fixes `total_count` first.
    let forwarded = format!(
        "query($no: Boolean = false) {{
            products({filter}) {{ total_count @skip(if: true) }}
            products({filter}) @include(if: $no) {{ total_count items {{ sku }} }}
            products({filter}) {{ items {{ sku }} }}
        }}"
    );
    let variables = json!({ "no": true });
    let answer = app.query(&forwarded, variables.clone()).await;
    assert_eq!(
        keys(&answer.body["data"]["products"]),
        ["total_count", "items"],
        "{}",
        answer.body
    );
    let commerce = app.query_commerce(&forwarded, variables, &[]).await;
    assert_eq!(
        answer.body, commerce.body,
        "the BFF answers as Commerce does"
    );

    // Merged: the first `items` is skipped, so the second puts `live_stock` before `sku`.
    let merged = format!(
        "{{
            products({filter}) {{ items @skip(if: true) {{ sku }} }}
            products({filter}) {{ items {{ live_stock {{ status }} sku }} }}
            products({filter}) {{ items {{ sku }} }}
        }}"
    );
    let answer = app.query(&merged, json!({})).await;
    assert_eq!(items(&answer.body).len(), 3, "{}", answer.body);
    for item in items(&answer.body) {
        assert_eq!(keys(item), ["live_stock", "sku"], "{item}");
    }

    // The same through a fragment that may answer under the key between two identical fields.
    let fragment = format!(
        "{{ products({filter}) {{
            items {{ name }}
            ... on Products {{ items {{ live_stock {{ status }} }} }}
            items {{ name sku }}
        }} }}"
    );
    let answer = app.query(&fragment, json!({})).await;
    for item in items(&answer.body) {
        assert_eq!(keys(item), ["name", "live_stock", "sku"], "{item}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn variable_defaults_hold_for_merged_arguments_and_directives() {
    let app = TestApp::start().await;
    let token = acme(&app).await;
    let query = r#"query($from: String!, $q: Float = 100, $s: Boolean = true, $i: Boolean = false) {
      products(filter: { price: { from: $from } }, pageSize: 6) { items {
        sku
        contract_price(quantity: $q) { quantity unit_price { value } }
        live_stock @skip(if: $s) { salable_qty }
        stock: live_stock { status salable_qty @include(if: $i) }
      } } }"#;
    let answer = app
        .query_with(query, json!({ "from": "0" }), &[("Authorization", &token)])
        .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let tiers = acme_tiers_of_items(&app, &answer.body).await;
    for item in contract_items(&app, &answer.body) {
        assert_eq!(keys(item), ["sku", "contract_price", "stock"], "{item}");
        assert_eq!(item["contract_price"]["quantity"].as_f64(), Some(100.0));
        let sku = item["sku"].as_str().expect("sku");
        assert_eq!(
            item["contract_price"]["unit_price"]["value"].as_f64(),
            Some(unit_price_for(&tiers[sku], 100.0))
        );
        assert_eq!(keys(&item["stock"]), ["status"]);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn one_alias_may_carry_different_arguments_on_different_product_types() {
    let app = TestApp::start().await;
    let token = acme(&app).await;
    let query = r#"{ products(filter: { price: { from: "0" } }, pageSize: 20) { items { __typename sku
        ... on SimpleProduct { cp: contract_price(quantity: 100) { quantity unit_price { value } } }
        ... on ConfigurableProduct { cp: contract_price(quantity: 10) { quantity } } } } }"#;
    let answer = app
        .query_with(query, json!({}), &[("Authorization", &token)])
        .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let tiers = acme_tiers_of_items(&app, &answer.body).await;
    let mut seen = (false, false);
    for item in contract_items(&app, &answer.body) {
        let cp = &item["cp"];
        match item["__typename"].as_str() {
            Some("SimpleProduct") => {
                seen.0 = true;
                let sku = item["sku"].as_str().expect("sku");
                assert_eq!(cp["quantity"].as_f64(), Some(100.0), "{item}");
                assert_eq!(
                    cp["unit_price"]["value"].as_f64(),
                    Some(unit_price_for(&tiers[sku], 100.0)),
                    "{item}"
                );
            }
            Some("ConfigurableProduct") => {
                seen.1 = true;
                assert_eq!(cp.to_string(), r#"{"quantity":10.0}"#, "{item}");
            }
            _ => {}
        }
    }
    assert_eq!(seen, (true, true), "{}", answer.body);
    app.shutdown().await;
}

#[tokio::test]
async fn include_and_skip_with_variables_on_a_merged_field_are_answered_by_the_bff() {
    let app = TestApp::start().await;
    let query = r#"query($from: String!, $with: Boolean!, $without: Boolean!) {
      products(filter: { price: { from: $from } }, pageSize: 4) { items {
        name
        on: live_stock @include(if: $with) { status }
        off: live_stock @skip(if: $without) { status }
      } } }"#;
    for (with, without, expected) in [
        (true, false, vec!["name", "on", "off"]),
        (false, true, vec!["name"]),
        (true, true, vec!["name", "on"]),
    ] {
        let answer = app
            .query(
                query,
                json!({ "from": "0", "with": with, "without": without }),
            )
            .await;
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
        for item in items(&answer.body) {
            assert_eq!(keys(item), expected, "{}", answer.body);
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn client_aliases_that_look_like_join_keys_come_back_untouched() {
    let app = TestApp::start().await;
    let query = r#"{ products(filter: { price: { from: "0" } }, pageSize: 4) { items {
        _bff_sku: sku _bff1_sku: name _bff: url_key live_stock { status } } } }"#;
    let answer = app.query(query, json!({})).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let commerce = app
        .query_commerce(&query.replace("live_stock { status }", ""), json!({}), &[])
        .await;
    for (item, truth) in items(&answer.body).iter().zip(items(&commerce.body)) {
        assert_eq!(
            keys(item),
            ["_bff_sku", "_bff1_sku", "_bff", "live_stock"],
            "{item}"
        );
        assert_eq!(item["_bff_sku"], truth["_bff_sku"]);
        assert_eq!(item["_bff1_sku"], truth["_bff1_sku"]);
        assert_eq!(item["_bff"], truth["_bff"]);
        assert!(item["live_stock"]["status"].is_string(), "{item}");
    }
    app.shutdown().await;
}

fn has_cents_precision(value: f64) -> bool {
    ((value * 100.0).round() / 100.0 - value).abs() < 1e-12
        && format!("{value}")
            .split('.')
            .nth(1)
            .is_none_or(|d| d.len() <= 2)
}

#[tokio::test]
async fn overwritten_price_ranges_use_each_variants_contract_price_and_round_like_commerce() {
    let app = TestApp::start_with(|c| c.cpq.overwrite_price_range = true, Vec::new()).await;
    let token = acme(&app).await;
    let auth = [("Authorization", token.as_str())];
    let query = r#"{ products(filter: { price: { from: "0" } }, pageSize: 50) { items {
        __typename sku
        price_range {
          minimum_price { final_price { value } discount { amount_off percent_off } }
          maximum_price { final_price { value } discount { amount_off } }
        }
        ... on ConfigurableProduct { variants { product { sku } } }
    } } }"#;
    let answer = app.query_with(query, json!({}), &auth).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let regular = app
        .query_commerce(
            r#"{ products(filter: { price: { from: "0" } }, pageSize: 50) { items { sku
                price_range { minimum_price { regular_price { value } } maximum_price { regular_price { value } } } } } }"#,
            json!({}),
            &auth,
        )
        .await;
    let mut skus: Vec<String> = Vec::new();
    for item in items(&answer.body) {
        skus.push(item["sku"].as_str().expect("sku").to_string());
        for variant in item["variants"].as_array().into_iter().flatten() {
            skus.push(variant["product"]["sku"].as_str().expect("sku").to_string());
        }
    }
    let sku_refs: Vec<&str> = skus.iter().map(String::as_str).collect();
    let tiers = acme_tiers(&app, &sku_refs).await;
    let expired = sandbox::demo::expired_contract_sku(&app.sandbox.sandbox).unwrap_or_default();
    let future = sandbox::demo::future_contract_sku(&app.sandbox.sandbox).unwrap_or_default();
    let mut checked = (0, 0, 0);
    for (item, truth) in items(&answer.body).iter().zip(items(&regular.body)) {
        let sku = item["sku"].as_str().expect("sku");
        assert_eq!(truth["sku"], sku);
        if sku == expired || sku == future {
            continue;
        }
        let (min, max) = match item["variants"].as_array() {
            Some(variants) => {
                checked.1 += 1;
                let prices: Vec<f64> = variants
                    .iter()
                    .filter_map(|v| v["product"]["sku"].as_str())
                    .map(|s| unit_price_for(&tiers[s], 1.0))
                    .collect();
                let min = prices.iter().copied().fold(f64::INFINITY, f64::min);
                let max = prices.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if max > min {
                    checked.2 += 1;
                }
                (min, max)
            }
            None => {
                checked.0 += 1;
                let unit = unit_price_for(&tiers[sku], 1.0);
                (unit, unit)
            }
        };
        let range = &item["price_range"];
        for (key, unit) in [("minimum_price", min), ("maximum_price", max)] {
            assert_eq!(
                range[key]["final_price"]["value"].as_f64(),
                Some(unit),
                "{key}: {item}"
            );
            let regular = truth["price_range"][key]["regular_price"]["value"]
                .as_f64()
                .expect("regular price");
            let off = range[key]["discount"]["amount_off"]
                .as_f64()
                .expect("amount_off");
            assert!(has_cents_precision(off), "{key} amount_off {off}: {item}");
            assert!((off - (regular - unit)).abs() < 0.005, "{key}: {item}");
        }
        let percent = range["minimum_price"]["discount"]["percent_off"]
            .as_f64()
            .expect("percent_off");
        assert!(has_cents_precision(percent), "{item}");
        assert!(percent > 0.0, "a contract price is a discount: {item}");
    }
    assert!(
        checked.0 > 0 && checked.1 > 0 && checked.2 > 0,
        "simple, configurable, configurable with a dearer size: {checked:?}: {}",
        answer.body
    );
    app.shutdown().await;
}

/// `value` without the keys in `drop`, at any depth.
fn without(value: &Value, drop: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), without(v, drop)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| without(v, drop)).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn merged_fields_under_several_root_fields_an_abstract_route_and_variants_keep_commerces_answer_around_them()
 {
    let app = TestApp::start().await;
    let first = app
        .query(
            "{ products(filter: { price: { from: \"0\" } }, pageSize: 1) { items { url_key url_suffix } } }",
            json!({}),
        )
        .await;
    let item = &items(&first.body)[0];
    let url = format!(
        "{}{}",
        item["url_key"].as_str().expect("url_key"),
        item["url_suffix"].as_str().unwrap_or("")
    );
    let query = r#"query Page($url: String!, $n: Int = 3, $deep: Boolean = false) {
      route(url: $url) { __typename ... on ProductInterface { stock: live_stock { status } sku } relative_url }
      first: products(filter: { price: { from: "0" } }, pageSize: $n) { items { ...Card } }
      second: products(filter: { price: { from: "0" } }, pageSize: 4) { total_count items { name
        ... on ConfigurableProduct { variants { product { sku live_stock { salable_qty sources @include(if: $deep) { source_code } } } } } } }
    }
    fragment Card on ProductInterface { __typename name live_stock { status } ... on SimpleProduct { live_stock { salable_qty } } }"#;
    let commerce_query = r#"query Page($url: String!, $n: Int = 3) {
      route(url: $url) { __typename ... on ProductInterface { sku } relative_url }
      first: products(filter: { price: { from: "0" } }, pageSize: $n) { items { ...Card } }
      second: products(filter: { price: { from: "0" } }, pageSize: 4) { total_count items { name
        ... on ConfigurableProduct { variants { product { sku } } } } }
    }
    fragment Card on ProductInterface { __typename name }"#;
    let vars = json!({ "url": url });
    let answer = app.query(query, vars.clone()).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let commerce = app.query_commerce(commerce_query, vars, &[]).await;
    assert_eq!(
        without(&answer.body, &["stock", "live_stock"]).to_string(),
        commerce.body.to_string(),
        "Commerce's part, key order included"
    );
    let data = &answer.body["data"];
    assert_eq!(
        keys(&data["route"]),
        ["__typename", "stock", "sku", "relative_url"]
    );
    assert_eq!(keys(&data["route"]["stock"]), ["status"]);
    for card in data["first"]["items"].as_array().expect("items") {
        let expected: &[&str] = match card["__typename"].as_str() {
            Some("SimpleProduct") => &["status", "salable_qty"],
            _ => &["status"],
        };
        assert_eq!(keys(&card["live_stock"]), expected, "{card}");
    }
    let variants: Vec<&Value> = data["second"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|i| i["variants"].as_array().into_iter().flatten())
        .collect();
    assert!(!variants.is_empty(), "{}", answer.body);
    for variant in variants {
        assert_eq!(keys(&variant["product"]), ["sku", "live_stock"]);
        assert_eq!(keys(&variant["product"]["live_stock"]), ["salable_qty"]);
    }
    assert_eq!(
        app.inventory_calls(),
        1,
        "one lookup for the whole operation"
    );
    app.shutdown().await;
}
