//! Merged data: live stock and contract prices on Commerce's own product types — one batched
//! call per source per request, cached per scope, isolated per company, degrading gracefully.

use std::time::Duration;

use sandbox::{Faults, Service};
use serde_json::{Value, json};

use crate::forwarding::category_with_products;
use crate::support::TestApp;

const STOCK_PLP: &str = r#"
query StockPage($uid: String!) {
  products(filter: { category_uid: { eq: $uid } }, pageSize: 24) {
    items {
      name stock_status
      stock: live_stock { salable_qty status freshness updated_at sources { source_code salable_qty status } }
      ... on ConfigurableProduct { variants { product { sku live_stock { salable_qty } } } }
    }
  }
}"#;

const PRICE_PLP: &str = r#"
query PricePage($uid: String!, $qty: Float) {
  products(filter: { category_uid: { eq: $uid } }, pageSize: 24) {
    items {
      sku
      one: contract_price { unit_price { value currency } price_list { id } freshness }
      many: contract_price(quantity: $qty) { unit_price { value } quantity tiers { min_quantity unit_price { value } } }
    }
  }
}"#;

fn items(answer: &Value) -> &Vec<Value> {
    answer["data"]["products"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {answer}"))
}

async fn login(app: &TestApp, who: (&str, &str)) -> String {
    format!("Bearer {}", app.customer_token(who.0, who.1).await)
}

#[tokio::test]
async fn a_category_page_with_variants_makes_one_inventory_call_and_a_repeat_none() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let answer = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    assert_eq!(
        app.inventory_calls(),
        1,
        "one lookup for the page, variants included"
    );
    let items = items(&answer.body);
    assert!(
        items.iter().all(|i| i["stock"]["salable_qty"].is_number()),
        "{}",
        answer.body
    );
    let variant = items
        .iter()
        .find_map(|i| i["variants"][0]["product"].as_object())
        .expect("a configurable product with variants");
    assert!(variant["live_stock"]["salable_qty"].is_number());

    // The BFF's numbers are the inventory's.
    let sku = variant["sku"].as_str().expect("sku");
    let truth = app
        .connector("/inventory/v1/stock/lookup", json!({ "skus": [sku] }))
        .await;
    let sources = truth["items"][0]["sources"].as_array().expect("sources");
    let expected: f64 = sources
        .iter()
        .map(|s| {
            (s["quantity"].as_f64().unwrap_or(0.0) - s["reserved"].as_f64().unwrap_or(0.0)).max(0.0)
        })
        .sum();
    assert_eq!(
        variant["live_stock"]["salable_qty"].as_f64(),
        Some(expected)
    );

    let (commerce, inventory) = (app.upstream_calls(), app.inventory_calls());
    let again = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert_eq!(again.body, answer.body);
    assert_eq!(app.upstream_calls(), commerce, "Commerce was asked again");
    assert_eq!(
        app.inventory_calls(),
        inventory,
        "the inventory was asked again"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn join_keys_are_fetched_but_never_reach_the_client() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let answer = app
        .query(
            "query($uid: String!) { products(filter: { category_uid: { eq: $uid } }, pageSize: 5) { items { name live_stock { status } } } }",
            json!({ "uid": uid }),
        )
        .await;
    let text = answer.body.to_string();
    assert!(
        !text.contains("_bff_sku") && !text.contains("\"sku\""),
        "{text}"
    );
    for item in items(&answer.body) {
        let keys: Vec<&String> = item.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["name", "live_stock"]);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn contract_prices_of_one_company_never_reach_another_company_or_a_guest() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let vars = json!({ "uid": uid, "qty": 50 });
    let acme = login(&app, sandbox::demo::ACME_BUYER).await;
    let globex = login(&app, sandbox::demo::GLOBEX_BUYER).await;

    let acme_answer = app
        .query_with(PRICE_PLP, vars.clone(), &[("Authorization", &acme)])
        .await;
    let globex_answer = app
        .query_with(PRICE_PLP, vars.clone(), &[("Authorization", &globex)])
        .await;
    assert!(
        acme_answer.body.get("errors").is_none(),
        "{}",
        acme_answer.body
    );
    let acme_first = &items(&acme_answer.body)[0];
    let globex_first = &items(&globex_answer.body)[0];
    assert!(
        acme_first["one"]["unit_price"]["value"].is_number(),
        "{}",
        acme_answer.body
    );
    assert_ne!(
        acme_first["one"]["price_list"]["id"],
        globex_first["one"]["price_list"]["id"]
    );
    assert_ne!(
        acme_first["one"]["unit_price"],
        globex_first["one"]["unit_price"]
    );

    // Each company's price is the CPQ's price for that company.
    let company = app
        .query_with("{ company { id } }", json!({}), &[("Authorization", &acme)])
        .await
        .body["data"]["company"]["id"]
        .as_str()
        .expect("Acme's company id")
        .to_string();
    let sku = acme_first["sku"].as_str().expect("sku");
    let truth = app
        .connector(
            "/cpq/v1/contract-prices/lookup",
            json!({ "company_id": company, "currency": "USD", "skus": [sku] }),
        )
        .await;
    let tiers = truth["items"][0]["tiers"].as_array().expect("tiers");
    assert_eq!(
        acme_first["one"]["unit_price"]["value"],
        tiers[0]["unit_price"]
    );

    // A guest with the same query: no prices, no CPQ call, and no company's prices from a cache.
    let cpq_calls = app.cpq_calls();
    for _ in 0..2 {
        let guest = app.query(PRICE_PLP, vars.clone()).await;
        assert!(
            items(&guest.body)
                .iter()
                .all(|i| i["one"].is_null() && i["many"].is_null()),
            "{}",
            guest.body
        );
        let text = guest.body.to_string();
        assert!(!text.contains("price_list"), "{text}");
    }
    assert_eq!(app.cpq_calls(), cpq_calls, "a guest caused a CPQ lookup");

    // Interleaved repeats stay apart (entity and response caches).
    let acme_again = app
        .query_with(PRICE_PLP, vars.clone(), &[("Authorization", &acme)])
        .await;
    let globex_again = app
        .query_with(PRICE_PLP, vars.clone(), &[("Authorization", &globex)])
        .await;
    assert_eq!(acme_again.body, acme_answer.body);
    assert_eq!(globex_again.body, globex_answer.body);
    app.shutdown().await;
}

#[tokio::test]
async fn customers_without_a_company_get_no_contract_price_and_cause_no_cpq_call() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let general = login(&app, crate::support::GENERAL_CUSTOMER).await;
    let answer = app
        .query_with(
            PRICE_PLP,
            json!({ "uid": uid, "qty": 1 }),
            &[("Authorization", &general)],
        )
        .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    assert!(items(&answer.body).iter().all(|i| i["one"].is_null()));
    assert_eq!(app.cpq_calls(), 0);
    app.shutdown().await;
}

#[tokio::test]
async fn contract_prices_follow_quantity_tiers_and_validity() {
    let app = TestApp::start().await;
    let acme = login(&app, sandbox::demo::ACME_BUYER).await;
    let query = r#"query($skus: [String]) { products(filter: { sku: { in: $skus } }) { items { sku
        one: contract_price(quantity: 1) { unit_price { value } }
        bulk: contract_price(quantity: 1000) { unit_price { value } tiers { min_quantity } } } } }"#;
    let expired =
        sandbox::demo::expired_contract_sku(&app.sandbox.sandbox).expect("an expired contract SKU");
    let future =
        sandbox::demo::future_contract_sku(&app.sandbox.sandbox).expect("a future contract SKU");
    let catalog = app
        .query("{ products(filter: { price: { from: \"0\" } }, pageSize: 50) { items { __typename sku } } }", json!({}))
        .await;
    let plain = items(&catalog.body)
        .iter()
        .filter(|i| i["__typename"] == "SimpleProduct")
        .filter_map(|i| i["sku"].as_str())
        .find(|sku| *sku != expired && *sku != future)
        .expect("a simple product with a valid contract price")
        .to_string();
    let answer = app
        .query_with(
            query,
            json!({ "skus": [plain, expired, future] }),
            &[("Authorization", &acme)],
        )
        .await;
    let (expired, future) = (expired.as_str(), future.as_str());
    let by_sku = |sku: &str| -> Value {
        items(&answer.body)
            .iter()
            .find(|i| i["sku"] == sku)
            .cloned()
            .unwrap_or_else(|| panic!("{sku} missing: {}", answer.body))
    };
    let priced = by_sku(&plain);
    let one = priced["one"]["unit_price"]["value"]
        .as_f64()
        .expect("price for 1");
    let bulk = priced["bulk"]["unit_price"]["value"]
        .as_f64()
        .expect("price for 1000");
    assert!(bulk < one, "the top tier is cheaper: {priced}");
    assert!(
        by_sku(expired)["one"].is_null(),
        "an expired contract price was served"
    );
    assert!(
        by_sku(future)["one"].is_null(),
        "a not-yet-valid contract price was served"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn contract_prices_appear_under_cart_items() {
    let app = TestApp::start().await;
    let acme = login(&app, sandbox::demo::ACME_BUYER).await;
    let answer = app
        .query_with(
            "{ customerCart { items { quantity product { sku contract_price { unit_price { value } } } } } }",
            json!({}),
            &[("Authorization", &acme)],
        )
        .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let cart_items = answer.body["data"]["customerCart"]["items"]
        .as_array()
        .expect("cart items");
    assert!(!cart_items.is_empty());
    assert!(
        cart_items
            .iter()
            .any(|i| i["product"]["contract_price"]["unit_price"]["value"].is_number()),
        "{}",
        answer.body
    );
    assert_eq!(app.cpq_calls(), 1);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_failing_inventory_leaves_commerce_data_intact_with_a_coded_error() {
    let app = TestApp::start_with(|c| c.inventory.retries = 0, Vec::new()).await;
    let uid = category_with_products(&app).await;
    let plain = app.query_commerce(
        "query($uid: String!) { products(filter: { category_uid: { eq: $uid } }, pageSize: 24) { items { name stock_status } } }",
        json!({ "uid": uid }),
        &[],
    );
    let plain = plain.await.body;
    app.sandbox.sandbox.set_service_faults(
        Service::Inventory,
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    );
    let answer = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.error_code(),
        Some("INVENTORY_UNAVAILABLE"),
        "{}",
        answer.body
    );
    assert!(answer.body["errors"][0]["path"].is_array());
    for (item, commerce) in items(&answer.body).iter().zip(items(&plain)) {
        assert_eq!(item["name"], commerce["name"]);
        assert_eq!(item["stock_status"], commerce["stock_status"]);
        assert!(item["stock"].is_null());
    }
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    app.shutdown().await;
}

#[tokio::test]
async fn stale_stock_is_served_within_the_window_when_the_inventory_fails() {
    let app = TestApp::start_with(
        |c| {
            c.inventory.ttl_ms = 1;
            c.inventory.retries = 0;
        },
        Vec::new(),
    )
    .await;
    let uid = category_with_products(&app).await;
    let fresh = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert_eq!(items(&fresh.body)[0]["stock"]["freshness"], "FRESH");
    tokio::time::sleep(Duration::from_millis(20)).await;
    app.sandbox.sandbox.set_service_faults(
        Service::Inventory,
        Faults {
            down: true,
            ..Faults::default()
        },
    );
    let stale = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    let first = &items(&stale.body)[0]["stock"];
    assert_eq!(first["freshness"], "STALE", "{}", stale.body);
    assert_eq!(
        first["salable_qty"],
        items(&fresh.body)[0]["stock"]["salable_qty"]
    );
    assert_eq!(stale.header("cache-control"), Some("no-store"));
    app.shutdown().await;
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_recovers_through_a_probe() {
    let app = TestApp::start_with(
        |c| {
            c.inventory.retries = 0;
            c.inventory.breaker_failures = 2;
            c.inventory.breaker_open_ms = 2_000;
            c.inventory.ttl_ms = 1;
            c.inventory.stale_ms = 0;
        },
        Vec::new(),
    )
    .await;
    let uid = category_with_products(&app).await;
    app.sandbox.sandbox.set_service_faults(
        Service::Inventory,
        Faults {
            down: true,
            ..Faults::default()
        },
    );
    for _ in 0..2 {
        let answer = app.query(STOCK_PLP, json!({ "uid": uid })).await;
        assert_eq!(answer.error_code(), Some("INVENTORY_UNAVAILABLE"));
    }
    assert_eq!(app.inventory_calls(), 2);
    let refused = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert_eq!(refused.error_code(), Some("INVENTORY_UNAVAILABLE"));
    assert_eq!(
        app.inventory_calls(),
        2,
        "an open breaker still called the inventory"
    );
    let ready = crate::support::decode(
        app.http
            .get(format!("{}/readyz", app.app.url()))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(ready.body["inventory"]["breaker"], "open");
    assert_eq!(
        ready.status, 200,
        "a degraded source does not make the BFF unready"
    );

    app.sandbox
        .sandbox
        .set_service_faults(Service::Inventory, Faults::default());
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let recovered = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert!(recovered.body.get("errors").is_none(), "{}", recovered.body);
    assert_eq!(app.inventory_calls(), 3, "one probe");
    let ready = crate::support::decode(
        app.http
            .get(format!("{}/readyz", app.app.url()))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(ready.body["inventory"]["breaker"], "closed");
    app.shutdown().await;
}

#[tokio::test]
async fn the_deadline_holds_when_a_source_hangs() {
    let app = TestApp::start_with(|c| c.inventory.timeout_ms = 200, Vec::new()).await;
    let uid = category_with_products(&app).await;
    app.sandbox.sandbox.set_service_faults(
        Service::Inventory,
        Faults {
            latency_ms: 30_000,
            ..Faults::default()
        },
    );
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        app.query(STOCK_PLP, json!({ "uid": uid })),
    )
    .await
    .expect("the page answered despite a hanging inventory");
    assert_eq!(answer.error_code(), Some("INVENTORY_UNAVAILABLE"));
    assert!(!items(&answer.body).is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn stock_status_can_be_overwritten_from_live_stock() {
    let app = TestApp::start_with(|c| c.inventory.overwrite_stock_status = true, Vec::new()).await;
    let uid = category_with_products(&app).await;
    let answer = app
        .query(
            "query($uid: String!) { products(filter: { category_uid: { eq: $uid } }, pageSize: 24) { items { stock_status only_x_left_in_stock live_stock { salable_qty status } } } }",
            json!({ "uid": uid }),
        )
        .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    for item in items(&answer.body) {
        assert_eq!(item["stock_status"], item["live_stock"]["status"], "{item}");
        let qty = item["live_stock"]["salable_qty"].as_f64().expect("qty");
        if qty > 5.0 {
            assert!(item["only_x_left_in_stock"].is_null());
        } else {
            assert_eq!(item["only_x_left_in_stock"].as_f64(), Some(qty));
        }
    }
    assert_eq!(app.inventory_calls(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn price_range_can_be_overwritten_for_contract_customers() {
    let app = TestApp::start_with(|c| c.cpq.overwrite_price_range = true, Vec::new()).await;
    let uid = category_with_products(&app).await;
    let acme = login(&app, sandbox::demo::ACME_BUYER).await;
    let query = "query($uid: String!) { products(filter: { category_uid: { eq: $uid } }, pageSize: 10) { items { sku price_range { minimum_price { regular_price { value } final_price { value } } } contract_price { unit_price { value } } } } }";
    let answer = app
        .query_with(query, json!({ "uid": uid }), &[("Authorization", &acme)])
        .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let priced: Vec<&Value> = items(&answer.body)
        .iter()
        .filter(|i| i["contract_price"].is_object())
        .collect();
    assert!(!priced.is_empty());
    for item in priced {
        assert_eq!(
            item["price_range"]["minimum_price"]["final_price"]["value"],
            item["contract_price"]["unit_price"]["value"]
        );
    }
    let guest = app.query(query, json!({ "uid": uid })).await;
    let commerce = app
        .query_commerce(
            query
                .replace(" contract_price { unit_price { value } }", "")
                .as_str(),
            json!({ "uid": uid }),
            &[],
        )
        .await;
    for (g, c) in items(&guest.body).iter().zip(items(&commerce.body)) {
        assert_eq!(
            g["price_range"], c["price_range"],
            "a guest saw an overwritten price"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_merged_answer_is_reused_only_while_its_stock_is_fresh() {
    let app = TestApp::start_with(|c| c.inventory.ttl_ms = 2_000, Vec::new()).await;
    let query = "query($from: String!) { products(filter: { price: { from: $from } }, pageSize: 50) { items { __typename sku live_stock { salable_qty } } } }";
    let vars = json!({ "from": "0" });
    let first = app.query(query, vars.clone()).await;
    let sku = items(&first.body)
        .iter()
        .find(|i| i["__typename"] == "SimpleProduct")
        .and_then(|i| i["sku"].as_str())
        .expect("a simple product on the page")
        .to_string();
    assert!(
        app.sandbox.sandbox.set_stock(&sku, "wh-east", 4242),
        "the sandbox knows {sku}"
    );
    let (commerce, inventory) = (app.upstream_calls(), app.inventory_calls());
    let cached = app.query(query, vars.clone()).await;
    assert_eq!(
        cached.body, first.body,
        "within the stock TTL the merged answer is reused"
    );
    assert_eq!(
        (app.upstream_calls(), app.inventory_calls()),
        (commerce, inventory)
    );
    assert!(
        cached
            .header("cache-control")
            .is_some_and(|c| c.contains("s-maxage=2")),
        "{:?}",
        cached.header("cache-control")
    );

    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let refreshed = app.query(query, vars.clone()).await;
    let item = items(&refreshed.body)
        .iter()
        .find(|i| i["sku"] == sku.as_str())
        .expect("same product");
    assert!(
        item["live_stock"]["salable_qty"].as_f64().unwrap_or(0.0) >= 4242.0,
        "{item}"
    );
    assert_eq!(app.inventory_calls(), inventory + 1);
    assert_eq!(
        app.upstream_calls(),
        commerce,
        "Commerce's part is still cached"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn with_the_cache_off_concurrent_identical_pages_share_one_lookup_per_source() {
    let app = TestApp::start_with(|c| c.cache.enabled = false, Vec::new()).await;
    let uid = category_with_products(&app).await;
    app.sandbox.sandbox.set_faults(Faults {
        latency_ms: 600,
        ..Faults::default()
    });
    let (commerce, inventory) = (app.upstream_calls(), app.inventory_calls());
    let answers =
        futures_util::future::join_all((0..8).map(|_| app.query(STOCK_PLP, json!({ "uid": uid }))))
            .await;
    assert!(
        answers
            .iter()
            .all(|a| a.body.get("errors").is_none() && a.body == answers[0].body)
    );
    assert_eq!(app.upstream_calls() - commerce, 1);
    assert_eq!(app.inventory_calls() - inventory, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn purging_a_tag_also_drops_merged_answers() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let first = app.query(STOCK_PLP, json!({ "uid": uid })).await;
    let tag = first
        .header("surrogate-key")
        .and_then(|k| k.split(' ').find(|t| t.starts_with("cat_p_")))
        .expect("a product tag")
        .to_string();
    let calls = app.upstream_calls();
    app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert_eq!(app.upstream_calls(), calls, "the merged answer is cached");
    let purged = app
        .http
        .post(format!("{}/hooks/commerce/cache", app.app.url()))
        .bearer_auth(crate::support::HOOK_SECRET)
        .json(&json!({ "tags": [tag] }))
        .send()
        .await
        .expect("sent");
    assert_eq!(purged.status(), 200);
    app.query(STOCK_PLP, json!({ "uid": uid })).await;
    assert_eq!(
        app.upstream_calls(),
        calls + 1,
        "a purged product stayed in a merged answer"
    );
    app.shutdown().await;
}
