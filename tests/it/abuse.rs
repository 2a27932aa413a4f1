//! One request never does the work of thousands: sensitive mutations run once and are rate
//! limited, clients are rate limited, page sizes and costs are bounded, duplicate fields reach
//! Commerce once, directives are bounded. Every refusal happens before any upstream call and the
//! process keeps serving.

use serde_json::{Value, json};
use storefront_bff::gateway::GraphqlRequest;

use crate::support::{Answer, GENERAL_CUSTOMER, TestApp, decode};

const SIGN_IN: &str = "mutation($e: String!, $p: String!) { generateCustomerToken(email: $e, password: $p) { token } }";

const STORE_CODE: &str = "{ storeConfig { store_code } }";

async fn post_batch(app: &TestApp, batch: Value, headers: &[(&str, &str)]) -> Answer {
    let mut request = app.http.post(app.graphql_url()).json(&batch);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    decode(request.send().await.expect("sent")).await
}

/// `answer` is a 429 `RATE_LIMITED` refusal made without calling Commerce since `calls`; returns
/// its `Retry-After` in seconds.
fn assert_rate_limited_before_commerce(app: &TestApp, answer: &Answer, calls: u64) -> u64 {
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.error_code(), Some("RATE_LIMITED"));
    let wait = retry_after(answer);
    assert_eq!(app.upstream_calls(), calls);
    wait
}

fn retry_after(answer: &Answer) -> u64 {
    answer
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a Retry-After in seconds: {:?}", answer.headers))
}

#[tokio::test]
async fn twenty_aliased_sign_ins_in_one_operation_are_refused_before_commerce() {
    let app = TestApp::start().await;
    let guesses: String = (0..20)
        .map(|i| {
            format!("g{i}: generateCustomerToken(email: \"roni_cost@example.com\", password: \"guess{i}\") {{ token }} ")
        })
        .collect();
    let answer = app
        .query(&format!("mutation {{ {guesses} }}"), json!({}))
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("SENSITIVE_MUTATION_REPEATED"));
    // The same 20 guesses in each operation of a batch of 10: 200 guesses, none sent.
    let operation = json!({ "query": format!("mutation {{ {guesses} }}") });
    let answer = post_batch(&app, Value::Array(vec![operation; 10]), &[]).await;
    assert_eq!(answer.status, 400);
    assert!(
        matches!(
            answer.error_code(),
            Some("SENSITIVE_MUTATION_REPEATED" | "SENSITIVE_MUTATION_BATCHED")
        ),
        "{}",
        answer.body
    );
    assert_eq!(app.upstream_calls(), 0);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_batch_with_several_sign_ins_is_refused_whole_and_one_sign_in_per_batch_runs() {
    let app = TestApp::start().await;
    let (email, password) = GENERAL_CUSTOMER;
    let sign_in = json!({ "query": SIGN_IN, "variables": { "e": email, "p": "wrong" } });
    let answer = post_batch(&app, json!([sign_in, sign_in, sign_in]), &[]).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("SENSITIVE_MUTATION_BATCHED"));
    assert_eq!(app.upstream_calls(), 0);

    let right = json!({ "query": SIGN_IN, "variables": { "e": email, "p": password } });
    let answer = post_batch(&app, json!([right, { "query": STORE_CODE }]), &[]).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body[0]["data"]["generateCustomerToken"]["token"].is_string());
    assert_eq!(
        answer.body[1]["data"]["storeConfig"]["store_code"],
        "default"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn sign_ins_naming_one_email_are_rate_limited_whatever_its_spelling() {
    let app = TestApp::start_with(
        |c| {
            c.rate_limits.sensitive_per_account_per_minute = 1;
            c.rate_limits.sensitive_per_account_burst = 2;
        },
        Vec::new(),
    )
    .await;
    let (email, password) = GENERAL_CUSTOMER;
    for _ in 0..2 {
        let answer = app
            .query(SIGN_IN, json!({ "e": email, "p": "wrong" }))
            .await;
        // Commerce answers the wrong password itself (401).
        assert_eq!(answer.status, 401, "{}", answer.body);
    }
    let calls = app.upstream_calls();
    assert_eq!(calls, 2);
    // The third try, even with a literal e-mail in other letter case and the right password.
    let literal = format!(
        "mutation {{ generateCustomerToken(email: \"{}\", password: \"{password}\") {{ token }} }}",
        email.to_uppercase()
    );
    let answer = app.query(&literal, json!({})).await;
    let wait = assert_rate_limited_before_commerce(&app, &answer, calls);
    assert!((1..=60).contains(&wait));
    // Another customer's sign-in from the same address is not held back.
    let answer = app
        .query(SIGN_IN, json!({ "e": "someone@example.com", "p": "x" }))
        .await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn password_changes_with_one_customer_token_are_rate_limited_per_account() {
    let app = TestApp::start_with(
        |c| {
            c.rate_limits.sensitive_per_account_per_minute = 1;
            c.rate_limits.sensitive_per_account_burst = 2;
        },
        Vec::new(),
    )
    .await;
    let (email, password) = GENERAL_CUSTOMER;
    let bearer = format!("Bearer {}", app.customer_token(email, password).await);
    let change = "mutation($old: String!) { changeCustomerPassword(currentPassword: $old, newPassword: \"N3w-passw0rd!\") { email } }";
    // Keyed by the token (the call names no e-mail): two guesses, then none.
    let with_token = [("authorization", bearer.as_str())];
    for guess in ["guess1", "guess2"] {
        let answer = app
            .query_with(change, json!({ "old": guess }), &with_token)
            .await;
        assert_ne!(answer.status, 429, "{}", answer.body);
    }
    let calls = app.upstream_calls();
    let answer = app
        .query_with(change, json!({ "old": "guess3" }), &with_token)
        .await;
    assert_rate_limited_before_commerce(&app, &answer, calls);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn sensitive_mutations_are_rate_limited_per_client_behind_a_trusted_proxy() {
    let app = TestApp::start_with(
        |c| {
            c.server.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
            c.rate_limits.sensitive_per_ip_per_minute = 1;
            c.rate_limits.sensitive_per_ip_burst = 2;
        },
        Vec::new(),
    )
    .await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    let reset = "mutation($e: String!) { requestPasswordResetEmail(email: $e) }";
    for i in 0..2 {
        let answer = app
            .query_with(
                reset,
                json!({ "e": format!("a{i}@example.com") }),
                &from("203.0.113.7"),
            )
            .await;
        assert_ne!(answer.status, 429, "{}", answer.body);
    }
    let calls = app.upstream_calls();
    let answer = app
        .query_with(
            reset,
            json!({ "e": "a3@example.com" }),
            &from("203.0.113.7"),
        )
        .await;
    assert_rate_limited_before_commerce(&app, &answer, calls);
    // Another client behind the same proxy has its own allowance.
    let answer = app
        .query_with(
            reset,
            json!({ "e": "b@example.com" }),
            &from("198.51.100.2"),
        )
        .await;
    assert_ne!(answer.status, 429, "{}", answer.body);
    app.shutdown().await;
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after_and_commerce_is_not_called() {
    let app = TestApp::start_with(
        |c| {
            c.rate_limits.per_ip_per_second = 1;
            c.rate_limits.per_ip_burst = 3;
            c.cache.enabled = false;
        },
        Vec::new(),
    )
    .await;
    // A batch counts each of its operations.
    let one = json!({ "query": STORE_CODE });
    let answer = post_batch(&app, json!([one, one, one, one]), &[]).await;
    assert_eq!(answer.status, 429);
    assert_eq!(app.upstream_calls(), 0);
    for _ in 0..3 {
        assert_eq!(app.query(STORE_CODE, json!({})).await.status, 200);
    }
    let calls = app.upstream_calls();
    let answer = app.query(STORE_CODE, json!({})).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.error_code(), Some("RATE_LIMITED"));
    assert!((1..=2).contains(&retry_after(&answer)));
    // Neither GET nor a forged X-Forwarded-For (the peer is no trusted proxy) gets around it.
    let url = format!(
        "{}?query={}",
        app.graphql_url(),
        "%7BstoreConfig%7Bstore_code%7D%7D"
    );
    let get = decode(app.http.get(url).send().await.expect("sent")).await;
    assert_eq!(get.status, 429);
    let forged = app
        .query_with(
            STORE_CODE,
            json!({}),
            &[("x-forwarded-for", "198.51.100.9")],
        )
        .await;
    assert_eq!(forged.status, 429);
    assert_eq!(app.upstream_calls(), calls);
    let health = app
        .http
        .get(format!("{}/healthz", app.app.url()))
        .send()
        .await;
    assert_eq!(health.expect("healthz answers").status().as_u16(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn a_customer_token_over_its_rate_gets_429_while_other_callers_are_served() {
    let app = TestApp::start_with(
        |c| {
            c.rate_limits.per_token_per_second = 1;
            c.rate_limits.per_token_burst = 2;
        },
        Vec::new(),
    )
    .await;
    let (email, password) = GENERAL_CUSTOMER;
    let token = app.customer_token(email, password).await;
    let bearer = format!("Bearer {token}");
    let me = "{ customer { email } }";
    for _ in 0..2 {
        let answer = app
            .query_with(me, json!({}), &[("authorization", &bearer)])
            .await;
        assert_eq!(answer.body["data"]["customer"]["email"], email);
    }
    let calls = app.upstream_calls();
    let answer = app
        .query_with(me, json!({}), &[("authorization", &bearer)])
        .await;
    assert_rate_limited_before_commerce(&app, &answer, calls);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_page_size_above_the_maximum_is_refused_as_a_literal_and_as_a_variable() {
    let app = TestApp::start_with(|c| c.query_cost.max_page_size = 50, Vec::new()).await;
    let literal = "{ products(filter: {}, pageSize: 99999999) { items { sku } } }";
    let answer = app.query(literal, json!({})).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("PAGE_SIZE_TOO_LARGE"));
    let variable = "query($n: Int) { products(filter: {}, pageSize: $n) { items { sku } } }";
    for n in [json!(51), json!(99999999.0), json!(1e30)] {
        let answer = app.query(variable, json!({ "n": n })).await;
        assert_eq!(answer.error_code(), Some("PAGE_SIZE_TOO_LARGE"), "{n}");
    }
    let defaulted =
        "query($n: Int = 1000) { products(filter: {}, pageSize: $n) { items { sku } } }";
    let answer = app.query(defaulted, json!({})).await;
    assert_eq!(answer.error_code(), Some("PAGE_SIZE_TOO_LARGE"));
    assert_eq!(app.upstream_calls(), 0);
    // At the maximum, the same document is answered (the plan is cached, the check is not).
    let answer = app.query(variable, json!({ "n": 50 })).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body["data"]["products"]["items"]
            .as_array()
            .map(Vec::len),
        Some(50)
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_cost_is_reported_when_asked_and_a_costlier_operation_is_refused() {
    let app = TestApp::start_with(|c| c.query_cost.max_cost = 100, Vec::new()).await;
    let query = "query($n: Int) { products(filter: {}, pageSize: $n) { items { sku price_range { minimum_price { final_price { value } } } } } }";
    // products 1 + 20 items × (item 1 + price_range 1 + minimum_price 1 + final_price 1).
    let answer = app
        .query_with(query, json!({ "n": 20 }), &[("x-query-cost", "true")])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["extensions"]["cost"], 81);
    // Through a named fragment and an inline fragment, the same selection costs the same.
    let fragments = "query($n: Int) { products(filter: {}, pageSize: $n) { items { ...P } } }
        fragment P on ProductInterface { sku ... on ProductInterface { price_range { minimum_price { final_price { value } } } } }";
    let answer = app
        .query_with(fragments, json!({ "n": 20 }), &[("x-query-cost", "true")])
        .await;
    assert_eq!(answer.body["extensions"]["cost"], 81, "{}", answer.body);
    assert!(answer.body["data"]["products"]["items"][0]["sku"].is_string());
    let unasked = app.query(query, json!({ "n": 20 })).await;
    assert!(
        unasked
            .body
            .get("extensions")
            .is_none_or(|e| e.get("cost").is_none())
    );
    let calls = app.upstream_calls();

    let answer = app.query(query, json!({ "n": 30 })).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("COST_LIMIT_EXCEEDED"));
    let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("121"), "{message}");
    // A batch is one request: two operations of 81 cost 162.
    let one = json!({ "query": query, "variables": { "n": 20 } });
    let answer = post_batch(&app, json!([one, one]), &[]).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("COST_LIMIT_EXCEEDED"));
    assert_eq!(app.upstream_calls(), calls);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn thousands_of_copies_of_a_field_reach_commerce_as_one() {
    let app = TestApp::start().await;
    let copies = "store_code ".repeat(5_000);
    let query = format!("{{ storeConfig {{ {copies} }} storeConfig {{ store_name }} }}");
    let plan = app
        .app
        .state
        .gateway
        .plan_request(&GraphqlRequest {
            query: Some(query.clone()),
            ..GraphqlRequest::default()
        })
        .await
        .expect("plans");
    let upstream = plan.upstream_query.as_deref().unwrap_or("");
    assert_eq!(upstream.matches("store_code").count(), 1, "{upstream}");
    assert_eq!(upstream.matches("store_name").count(), 1, "{upstream}");
    assert!(upstream.len() < 200, "{upstream}");
    // The client's answer is what field collection gives anyway.
    let answer = app.query(&query, json!({})).await;
    assert_eq!(
        answer.body["data"],
        json!({ "storeConfig": { "store_code": "default", "store_name": answer.body["data"]["storeConfig"]["store_name"] } })
    );
    assert!(answer.body["data"]["storeConfig"]["store_name"].is_string());
    app.shutdown().await;
}

#[tokio::test]
async fn repeated_and_excess_directives_are_refused_before_commerce() {
    let app = TestApp::start().await;
    let fifty = format!(
        "{{ storeConfig {{ store_code {} }} }}",
        "@include(if: true) ".repeat(50)
    );
    let answer = app.query(&fifty, json!({})).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("TOO_MANY_DIRECTIVES"));
    let twice = "{ storeConfig { store_code @include(if: true) @include(if: true) } }";
    let answer = app.query(twice, json!({})).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("DUPLICATE_DIRECTIVE"));
    let spread = "{ storeConfig { ...S @skip(if: false) @skip(if: false) } } fragment S on StoreConfig { store_code }";
    assert_eq!(
        app.query(spread, json!({})).await.error_code(),
        Some("DUPLICATE_DIRECTIVE")
    );
    assert_eq!(app.upstream_calls(), 0);
    app.assert_still_serves().await;
    app.shutdown().await;
}
