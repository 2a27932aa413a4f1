//! Safe by default at the transport: each rule refuses the request before anything reaches
//! Commerce, with a stable `extensions.code` and nothing internal in the answer.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dynamic::{FieldFuture, ResolverContext};
use commerce_schema::{FieldResolver, OutputShape};
use serde_json::json;
use storefront_bff::gateway::Extension;

use crate::support::{TestApp, decode};

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = TestApp::start_with(|c| c.server.body_limit_bytes = 1024, Vec::new()).await;
    let padding = "a".repeat(4096);
    let answer = app
        .query(
            &format!("{{ storeConfig {{ store_code }} }} # {padding}"),
            json!({}),
        )
        .await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.error_code(), Some("PAYLOAD_TOO_LARGE"));
    assert_eq!(app.upstream_calls(), 0);
    app.shutdown().await;
}

#[tokio::test]
async fn get_never_runs_a_mutation() {
    let app = TestApp::start().await;
    let url = reqwest::Url::parse_with_params(
        &app.graphql_url(),
        &[("query", "mutation { createGuestCart { cart { id } } }")],
    )
    .expect("url");
    let answer = decode(app.http.get(url).send().await.expect("sent")).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.header("allow"), Some("POST"));
    assert_eq!(answer.error_code(), Some("METHOD_NOT_ALLOWED"));
    assert_eq!(app.upstream_calls(), 0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_cross_site_form_post_cannot_run_a_mutation() {
    let app = TestApp::start().await;
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .http
            .post(app.graphql_url())
            .header("content-type", content_type)
            .body(r#"{"query":"mutation { createGuestCart { cart { id } } }"}"#)
            .send()
            .await
            .expect("sent");
        let answer = decode(response).await;
        assert_eq!(answer.status, 415, "{content_type}");
        assert_eq!(answer.error_code(), Some("UNSUPPORTED_MEDIA_TYPE"));
    }
    assert_eq!(app.upstream_calls(), 0);

    // A non-simple header forces a CORS preflight, so such a request is not a form post.
    let response = app
        .http
        .post(app.graphql_url())
        .header("content-type", "text/plain")
        .header("apollo-require-preflight", "true")
        .body(r#"{"query":"{ storeConfig { store_code } }"}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(decode(response).await.status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn batches_are_capped() {
    let app = TestApp::start_with(|c| c.graphql.max_batch = 2, Vec::new()).await;
    let one = json!({ "query": "{ storeConfig { store_code } }" });
    let post = |batch: serde_json::Value| app.http.post(app.graphql_url()).json(&batch).send();
    let answer = decode(post(json!([one, one, one])).await.expect("sent")).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), Some("BAD_REQUEST"));
    assert_eq!(app.upstream_calls(), 0);

    let answer = decode(post(json!([one, one])).await.expect("sent")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.as_array().map(Vec::len), Some(2));
    assert_eq!(
        answer.body[1]["data"]["storeConfig"]["store_code"],
        "default"
    );
    app.shutdown().await;
}

fn explode<'a>(_: ResolverContext<'a>, _: &OutputShape) -> FieldFuture<'a> {
    panic!("resolver blew up at /srv/secret/path")
}

fn panicking_extension() -> Extension {
    let mut resolvers: HashMap<(String, String), FieldResolver> = HashMap::new();
    resolvers.insert(
        ("Query".to_string(), "explode".to_string()),
        Arc::new(explode),
    );
    Extension {
        sdl: "extend type Query { explode: String }".into(),
        resolvers,
    }
}

#[tokio::test]
async fn a_panicking_resolver_becomes_a_masked_500_and_the_next_request_works() {
    let app = TestApp::start_with(|_| {}, vec![panicking_extension()]).await;
    let answer = app.query("{ explode }", json!({})).await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.error_code(), Some("INTERNAL_SERVER_ERROR"));
    assert!(
        !answer.body.to_string().contains("/srv/secret"),
        "{}",
        answer.body
    );
    assert_eq!(app.upstream_calls(), 0);
    let next = app.query("{ storeConfig { store_code } }", json!({})).await;
    assert_eq!(next.status, 200);
    assert_eq!(next.body["data"]["storeConfig"]["store_code"], "default");
    app.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_commerce_never_shows_its_host_or_detail() {
    let app = TestApp::start().await;
    app.sandbox.sandbox.set_faults(sandbox::Faults {
        down: true,
        ..Default::default()
    });
    let answer = app.query("{ storeConfig { store_code } }", json!({})).await;
    assert_eq!(answer.status, 502);
    assert_eq!(answer.error_code(), Some("UPSTREAM_UNAVAILABLE"));
    let text = answer.body.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.contains(&app.sandbox.addr.port().to_string()),
        "{text}"
    );

    let ready = app
        .http
        .get(format!("{}/readyz", app.app.url()))
        .send()
        .await
        .expect("sent");
    // The response cache still serves, so the replica stays ready (docs/deploy.md, "Probes").
    assert_eq!(ready.status(), 200);
    let body = ready.text().await.expect("body");
    assert!(body.contains(r#""status":"degraded""#), "{body}");
    assert!(!body.contains("127.0.0.1"), "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn depth_alias_and_token_limits_refuse_before_commerce_is_called() {
    let app = TestApp::start_with(
        |c| {
            c.graphql.max_depth = 4;
            c.graphql.max_aliases = 3;
            c.graphql.max_tokens = 200;
        },
        Vec::new(),
    )
    .await;
    let deep = "{ categoryList { children { children { children { children { uid } } } } } }";
    assert_eq!(
        app.query(deep, json!({})).await.error_code(),
        Some("QUERY_TOO_DEEP")
    );
    let aliased = "{ a: storeConfig { store_code } b: storeConfig { store_code } c: storeConfig { store_code } d: storeConfig { store_code } }";
    assert_eq!(
        app.query(aliased, json!({})).await.error_code(),
        Some("TOO_MANY_ALIASES")
    );
    let long = format!("{{ storeConfig {{ {} }} }}", "store_code ".repeat(300));
    assert_eq!(
        app.query(&long, json!({})).await.error_code(),
        Some("TOO_MANY_TOKENS")
    );
    // A fragment cycle cannot make the depth walk loop; validation refuses it.
    let cyclic = "{ categoryList { ...A } } fragment A on CategoryTree { children { ...A } }";
    let answer = app.query(cyclic, json!({})).await;
    assert!(answer.body["errors"].is_array());
    assert_eq!(app.upstream_calls(), 0);
    app.shutdown().await;
}

#[tokio::test]
async fn invalid_documents_are_refused_with_their_location() {
    let app = TestApp::start().await;
    let answer = app
        .query(
            "{ products(search: \"x\") { items { no_such_field } } }",
            json!({}),
        )
        .await;
    assert_eq!(answer.error_code(), Some("GRAPHQL_VALIDATION_FAILED"));
    assert!(answer.body["errors"][0]["locations"].is_array());
    let answer = app.query("{ products(search: ", json!({})).await;
    assert_eq!(answer.error_code(), Some("GRAPHQL_PARSE_FAILED"));
    let answer = app
        .query("{ storeConfig { store_code } }", json!("not an object"))
        .await;
    assert_eq!(answer.error_code(), Some("BAD_REQUEST"));
    assert_eq!(app.upstream_calls(), 0);
    app.shutdown().await;
}

#[tokio::test]
async fn introspection_is_on_in_the_demo_profile_and_can_be_turned_off() {
    let app = TestApp::start().await;
    let answer = app
        .query("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(
        answer.body["data"]["__schema"]["queryType"]["name"],
        "Query"
    );
    app.shutdown().await;

    let app = TestApp::start_with(|c| c.graphql.introspection = Some(false), Vec::new()).await;
    let answer = app
        .query("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(answer.error_code(), Some("INTROSPECTION_DISABLED"));
    let answer = app
        .query("{ __type(name: \"Query\") { name } }", json!({}))
        .await;
    assert_eq!(answer.error_code(), Some("INTROSPECTION_DISABLED"));
    assert_eq!(app.upstream_calls(), 0);
    let typename = app
        .query("{ __typename storeConfig { store_code } }", json!({}))
        .await;
    assert_eq!(
        typename.body["data"]["storeConfig"]["store_code"],
        "default"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn introspection_mixed_with_commerce_fields_answers_both() {
    let app = TestApp::start().await;
    let answer = app
        .query(
            "{ __type(name: \"StoreConfig\") { name } storeConfig { store_code } }",
            json!({}),
        )
        .await;
    assert_eq!(
        answer.body["data"]["__type"]["name"], "StoreConfig",
        "{}",
        answer.body
    );
    assert_eq!(answer.body["data"]["storeConfig"]["store_code"], "default");
    assert_eq!(app.upstream_calls(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_health_answers() {
    let app = TestApp::start().await;
    let response = app
        .http
        .get(format!("{}/healthz", app.app.url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let ready = decode(
        app.http
            .get(format!("{}/readyz", app.app.url()))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["commerce"]["reachable"], true);
    assert_eq!(ready.body["schema"], "introspected");
    app.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let app = TestApp::start().await;
    let in_flight = app
        .hold_request_in_commerce(std::time::Duration::from_millis(1_500))
        .await;
    let TestApp {
        app: bff,
        sandbox,
        http,
    } = app;
    let url = bff.url();
    bff.shutdown().await;
    let answer = in_flight.await.expect("request task");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["data"]["storeConfig"]["store_code"], "default");
    assert!(
        http.get(format!("{url}/healthz")).send().await.is_err(),
        "still accepting after shutdown"
    );
    sandbox.shutdown().await;
}
