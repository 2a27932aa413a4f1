//! The response cache: what it keeps, what it never keeps, whose answers it keeps apart, and
//! how Commerce's tags purge it.

use serde_json::json;

use crate::forwarding::{PLP_QUERY, category_with_products, plp_variables};
use crate::support::{GENERAL_CUSTOMER, HOOK_SECRET, TestApp, WHOLESALE_CUSTOMER};

#[tokio::test]
async fn a_repeated_anonymous_category_page_makes_no_upstream_call() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let first = app.query(PLP_QUERY, plp_variables(&uid)).await;
    assert_eq!(first.header("x-cache"), Some("MISS"));
    let calls = app.upstream_calls();
    let second = app.query(PLP_QUERY, plp_variables(&uid)).await;
    assert_eq!(
        app.upstream_calls(),
        calls,
        "the second page view went upstream"
    );
    assert_eq!(second.header("x-cache"), Some("HIT"));
    assert_eq!(second.body, first.body);
    let cache_control = second.header("cache-control").expect("cache-control");
    assert!(
        cache_control.contains("public") && cache_control.contains("s-maxage="),
        "{cache_control}"
    );
    assert!(
        second
            .header("surrogate-key")
            .is_some_and(|k| k.contains("cat_p"))
    );
    app.shutdown().await;
}

#[tokio::test]
async fn concurrent_identical_misses_make_one_upstream_call() {
    let app = TestApp::start_with(|_| {}, Vec::new()).await;
    app.sandbox.sandbox.set_faults(sandbox::Faults {
        latency_ms: 600,
        ..Default::default()
    });
    let uid = "MTQ="; // any category uid: the answer's content does not matter here
    let calls = app.upstream_calls();
    let answers =
        futures_util::future::join_all((0..8).map(|_| app.query(PLP_QUERY, plp_variables(uid))))
            .await;
    assert!(answers.iter().all(|a| a.status == 200));
    assert_eq!(app.upstream_calls() - calls, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn mutations_and_errored_answers_are_never_cached() {
    let app = TestApp::start().await;
    let login = "mutation { generateCustomerToken(email: \"nobody@example.com\", password: \"wrong\") { token } }";
    let calls = app.upstream_calls();
    for _ in 0..2 {
        let answer = app.query(login, json!({})).await;
        assert!(answer.body["errors"].is_array());
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    assert_eq!(app.upstream_calls() - calls, 2);

    let failing =
        "{ products(filter: { price: { from: \"0\" } }, currentPage: 100000) { items { sku } } }";
    let calls = app.upstream_calls();
    for _ in 0..2 {
        let answer = app.query(failing, json!({})).await;
        assert!(answer.body["errors"].is_array(), "{}", answer.body);
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    assert_eq!(
        app.upstream_calls() - calls,
        2,
        "an errored answer was served from cache"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn customer_groups_see_their_own_prices_never_each_others() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let query = "query($uid: String!) { products(filter: { category_uid: { eq: $uid } }, pageSize: 24) { items { sku price_range { minimum_price { final_price { value } } } } } }";
    let vars = json!({ "uid": uid });
    let (general, wholesale) = (GENERAL_CUSTOMER, WHOLESALE_CUSTOMER);
    let general_token = app.customer_token(general.0, general.1).await;
    let wholesale_token = app.customer_token(wholesale.0, wholesale.1).await;

    // What Commerce itself answers each caller.
    let guest_truth = app.query_commerce(query, vars.clone(), &[]).await.body;
    let general_auth = format!("Bearer {general_token}");
    let wholesale_auth = format!("Bearer {wholesale_token}");
    let general_truth = app
        .query_commerce(query, vars.clone(), &[("Authorization", &general_auth)])
        .await
        .body;
    let wholesale_truth = app
        .query_commerce(query, vars.clone(), &[("Authorization", &wholesale_auth)])
        .await
        .body;
    assert_ne!(
        guest_truth, wholesale_truth,
        "the sandbox must price groups differently"
    );

    // Each caller twice, interleaved, so a shared cache entry would show.
    for _ in 0..2 {
        assert_eq!(app.query(query, vars.clone()).await.body, guest_truth);
        let general_answer = app
            .query_with(query, vars.clone(), &[("Authorization", &general_auth)])
            .await;
        assert_eq!(general_answer.body, general_truth);
        assert!(
            general_answer
                .header("cache-control")
                .is_some_and(|c| c.starts_with("private"))
        );
        let wholesale_answer = app
            .query_with(query, vars.clone(), &[("Authorization", &wholesale_auth)])
            .await;
        assert_eq!(wholesale_answer.body, wholesale_truth);
        // The same group's cache identity with a different token still gets its own prices.
        let cache_id = wholesale_answer
            .header("x-magento-cache-id")
            .expect("cache id")
            .to_string();
        let forged = app
            .query_with(
                query,
                vars.clone(),
                &[
                    ("Authorization", &general_auth),
                    ("X-Magento-Cache-Id", &cache_id),
                ],
            )
            .await;
        assert_eq!(
            forged.body, general_truth,
            "a forged cache id exposed another group's prices"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn purging_a_tag_sends_the_next_request_upstream() {
    let app = TestApp::start().await;
    let uid = category_with_products(&app).await;
    let first = app.query(PLP_QUERY, plp_variables(&uid)).await;
    let tags = first.header("surrogate-key").expect("tags").to_string();
    let product_tag = tags
        .split(' ')
        .find(|t| t.starts_with("cat_p_"))
        .expect("a product tag")
        .to_string();

    let purge = |secret: &str, body: serde_json::Value| {
        app.http
            .post(format!("{}/hooks/commerce/cache", app.app.url()))
            .bearer_auth(secret)
            .json(&body)
            .send()
    };
    let denied = purge(
        "wrong-secret-wrong-secret",
        json!({ "tags": [product_tag] }),
    )
    .await
    .expect("sent");
    assert_eq!(denied.status(), 401);
    let calls = app.upstream_calls();
    app.query(PLP_QUERY, plp_variables(&uid)).await;
    assert_eq!(
        app.upstream_calls(),
        calls,
        "still cached after a denied purge"
    );

    let unrelated = purge(HOOK_SECRET, json!({ "tags": ["cat_p_999999999"] }))
        .await
        .expect("sent");
    assert_eq!(unrelated.status(), 200);
    app.query(PLP_QUERY, plp_variables(&uid)).await;
    assert_eq!(
        app.upstream_calls(),
        calls,
        "an unrelated tag purged the entry"
    );

    let purged = purge(HOOK_SECRET, json!({ "tags": [product_tag] }))
        .await
        .expect("sent");
    assert_eq!(purged.status(), 200);
    let after = app.query(PLP_QUERY, plp_variables(&uid)).await;
    assert_eq!(after.header("x-cache"), Some("MISS"));
    assert_eq!(app.upstream_calls(), calls + 1);
    app.shutdown().await;
}

#[tokio::test]
async fn customer_data_is_never_cached() {
    let app = TestApp::start().await;
    let (email, password) = GENERAL_CUSTOMER;
    let token = format!("Bearer {}", app.customer_token(email, password).await);
    let calls = app.upstream_calls();
    for _ in 0..2 {
        let answer = app
            .query_with(
                "{ customer { email } }",
                json!({}),
                &[("Authorization", &token)],
            )
            .await;
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    assert_eq!(app.upstream_calls() - calls, 2);
    app.shutdown().await;
}

#[tokio::test]
async fn with_the_cache_off_concurrent_identical_queries_still_share_one_call() {
    let app = TestApp::start_with(|c| c.cache.enabled = false, Vec::new()).await;
    app.sandbox.sandbox.set_faults(sandbox::Faults {
        latency_ms: 600,
        ..Default::default()
    });
    let query = "{ storeConfig { store_code } }";
    let answers = futures_util::future::join_all((0..8).map(|_| app.query(query, json!({})))).await;
    assert!(
        answers
            .iter()
            .all(|a| a.body["data"]["storeConfig"]["store_code"] == "default")
    );
    assert_eq!(app.upstream_calls(), 1);
    app.query(query, json!({})).await;
    assert_eq!(
        app.upstream_calls(),
        2,
        "nothing is kept once the call settles"
    );
    app.shutdown().await;
}
