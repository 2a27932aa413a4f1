//! Never tell an attacker anything (issue 6 §4): no schema hints or playground in production,
//! Commerce's internal errors masked behind the request id, no POST from another site's pages,
//! CORS that names the headers it allows, and no client-chosen request id that is not plain.

use reqwest::Method;
use sandbox::Faults;
use serde_json::json;
use storefront_bff::config::{Config, Profile};

use crate::support::{Answer, TestApp, decode};

const MISSPELT: &str = "{ products(search: \"jacket\") { itemz { sku } } }";
/// A sign-in as the wholesale demo customer (`support::WHOLESALE_CUSTOMER`).
const MUTATION: &str = "mutation { generateCustomerToken(email: \"wholesale@example.com\", password: \"Wholesale123!\") { token } }";

fn production(config: &mut Config) {
    config.profile = Profile::Production;
}

fn message(answer: &Answer) -> &str {
    answer.body["errors"][0]["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn validation_errors_suggest_field_names_in_demo_but_not_in_production() {
    let demo = TestApp::start().await;
    let answer = demo.query(MISSPELT, json!({})).await;
    assert_eq!(answer.error_code(), Some("GRAPHQL_VALIDATION_FAILED"));
    assert!(message(&answer).contains("Did you mean"), "{}", answer.body);
    demo.shutdown().await;

    let app = TestApp::start_with(production, Vec::new()).await;
    let answer = app.query(MISSPELT, json!({})).await;
    assert_eq!(answer.error_code(), Some("GRAPHQL_VALIDATION_FAILED"));
    assert!(message(&answer).contains("itemz"), "{}", answer.body);
    assert!(
        !message(&answer).contains("Did you mean") && !message(&answer).contains("\"items\""),
        "{}",
        answer.body
    );
    assert_eq!(app.upstream_calls(), 0);
    app.shutdown().await;
}

async fn browser_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.app.url()))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn production_serves_no_playground_unless_enabled() {
    let app = TestApp::start_with(production, Vec::new()).await;
    let page = browser_get(&app, "/graphql").await;
    assert_eq!(page.status(), 400);
    let body = page.text().await.expect("body");
    assert!(
        !body.contains("<html") && !body.contains("graphiql"),
        "{body}"
    );
    let asset = browser_get(&app, "/playground/assets/graphiql.min.js").await;
    assert_eq!(asset.status(), 404);
    assert_eq!(app.upstream_calls(), 0);
    app.shutdown().await;

    let enabled = |c: &mut Config| {
        production(c);
        c.graphql.playground = Some(true);
    };
    let app = TestApp::start_with(enabled, Vec::new()).await;
    let page = browser_get(&app, "/graphql").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("playground"));
    let asset = browser_get(&app, "/playground/assets/graphiql.min.js").await;
    assert_eq!(asset.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn a_database_error_in_commerce_reaches_the_client_as_a_request_id_only() {
    let app = TestApp::start().await;
    app.sandbox.sandbox.set_faults(Faults {
        database_error: true,
        ..Faults::default()
    });
    let answer = app
        .query_with(
            "{ storeConfig { store_code } }",
            json!({}),
            &[("x-request-id", "edge-test-0001")],
        )
        .await;
    let text = answer.body.to_string();
    for secret in ["SQLSTATE", "db-primary", "/var/www", "Mysql.php", "trace"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(
        message(&answer),
        "Internal server error. Request id: edge-test-0001"
    );
    assert_eq!(answer.error_code(), Some("INTERNAL_SERVER_ERROR"));
    assert_eq!(
        answer.body["errors"][0]["extensions"]["category"],
        "internal"
    );
    assert_eq!(answer.header("x-request-id"), Some("edge-test-0001"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));

    app.sandbox.sandbox.set_faults(Faults::default());
    let healthy = app.query("{ storeConfig { store_code } }", json!({})).await;
    assert_eq!(healthy.body["data"]["storeConfig"]["store_code"], "default");
    app.shutdown().await;
}

async fn post_from(app: &TestApp, headers: &[(&str, &str)]) -> Answer {
    app.query_with(MUTATION, json!({}), headers).await
}

#[tokio::test]
async fn a_post_from_another_sites_page_is_refused_before_commerce() {
    let allow =
        |c: &mut Config| c.server.cors_allowed_origins = vec!["https://shop.example".into()];
    let app = TestApp::start_with(allow, Vec::new()).await;
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let answer = post_from(&app, headers).await;
        assert_eq!(answer.status, 403, "{headers:?}: {}", answer.body);
        assert_eq!(answer.error_code(), Some("FORBIDDEN_ORIGIN"), "{headers:?}");
    }
    assert_eq!(app.upstream_calls(), 0);

    let own_origin = app.app.url();
    for headers in [
        &[
            ("origin", "https://shop.example"),
            ("sec-fetch-site", "cross-site"),
        ][..],
        &[
            ("origin", own_origin.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
        &[],
    ] {
        let answer = post_from(&app, headers).await;
        assert_eq!(answer.status, 200, "{headers:?}: {}", answer.body);
        assert!(
            answer.body["data"]["generateCustomerToken"]["token"].is_string(),
            "{headers:?}: {}",
            answer.body
        );
    }

    let url = reqwest::Url::parse_with_params(
        &app.graphql_url(),
        &[("query", "{ storeConfig { store_code } }")],
    )
    .expect("url");
    let get = app
        .http
        .get(url)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("sent");
    let get = decode(get).await;
    assert_eq!(get.status, 200, "GET queries stay open for CDN caching");
    assert_eq!(get.body["data"]["storeConfig"]["store_code"], "default");
    app.shutdown().await;
}

#[tokio::test]
async fn cors_preflight_names_authorization_and_every_forwarded_header() {
    let allow =
        |c: &mut Config| c.server.cors_allowed_origins = vec!["https://shop.example".into()];
    let app = TestApp::start_with(allow, Vec::new()).await;
    let response = app
        .http
        .request(Method::OPTIONS, app.graphql_url())
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,store",
        )
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    let allowed = response
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(!allowed.contains('*'), "{allowed}");
    for header in [
        "authorization",
        "content-type",
        "store",
        "content-currency",
        "x-magento-cache-id",
        "x-adobe-company",
        "preview-version",
        "x-recaptcha",
        "x-request-id",
        "apollo-require-preflight",
    ] {
        assert!(
            allowed.split(',').any(|h| h.trim() == header),
            "{header} not in {allowed}"
        );
    }
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );
    assert_eq!(app.upstream_calls(), 0);
    app.shutdown().await;
}

fn is_plain(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[tokio::test]
async fn a_hostile_request_id_never_reaches_the_response() {
    let app = TestApp::start().await;
    app.sandbox.sandbox.set_faults(Faults {
        database_error: true,
        ..Faults::default()
    });
    let kilobyte = "a".repeat(1024);
    // Raw CR/LF cannot travel in a header value at all (hyper refuses it); their encoded forms,
    // JSON, spaces and sheer length can.
    for hostile in [
        kilobyte.as_str(),
        r#"{"request_id":"x","admin":true}"#,
        "abc%0d%0aSet-Cookie:%20session=1",
        "id with spaces",
        "<script>alert(1)</script>",
    ] {
        let answer = app
            .query_with(
                "{ storeConfig { store_code } }",
                json!({}),
                &[("x-request-id", hostile)],
            )
            .await;
        let id = answer.header("x-request-id").unwrap_or_default().to_owned();
        assert!(
            is_plain(&id) && id != hostile,
            "{hostile:?} answered as {id:?}"
        );
        let text = answer.body.to_string();
        assert!(!text.contains(hostile), "{hostile:?} in {text}");
        assert_eq!(
            message(&answer),
            format!("Internal server error. Request id: {id}")
        );
    }
    let not_found = app
        .http
        .get(format!("{}/nope", app.app.url()))
        .header("x-request-id", kilobyte.as_str())
        .send()
        .await
        .expect("sent");
    let id = not_found.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(is_plain(&id), "{id}");
    let not_found = decode(not_found).await;
    assert_eq!(not_found.status, 404);
    assert_eq!(not_found.error_code(), Some("NOT_FOUND"));
    assert!(!not_found.body.to_string().contains(&kilobyte));
    app.shutdown().await;
}
