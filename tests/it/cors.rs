//! CORS as configured by an operator (issue 7): `*` lets any origin's pages call the BFF (never
//! with credentials), and an origin written with a trailing `/` still matches what browsers send.

use reqwest::Method;
use serde_json::json;
use storefront_bff::config::Config;

use crate::support::{TestApp, decode};

async fn preflight(app: &TestApp, origin: &str) -> reqwest::header::HeaderMap {
    let response = app
        .http
        .request(Method::OPTIONS, app.graphql_url())
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    response.headers().clone()
}

/// A cross-site page's POST (what the browser sends after the preflight).
async fn post_from(app: &TestApp, origin: &str) -> u16 {
    let response = app
        .http
        .post(app.graphql_url())
        .header("origin", origin)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "query": "{ storeConfig { store_code } }" }))
        .send()
        .await
        .expect("sent");
    decode(response).await.status
}

#[tokio::test]
async fn a_star_lets_any_sites_pages_call_without_credentials() {
    let any = |c: &mut Config| c.server.cors_allowed_origins = vec!["*".into()];
    let app = TestApp::start_with(any, Vec::new()).await;
    let headers = preflight(&app, "https://anyone.example").await;
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
    assert!(!headers.contains_key("access-control-allow-credentials"));
    assert_eq!(post_from(&app, "https://anyone.example").await, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn an_origin_configured_with_a_trailing_slash_matches_the_browsers_origin() {
    let loaded = Config::load(
        None,
        vec![(
            "BFF_SERVER__CORS_ALLOWED_ORIGINS".to_string(),
            r#"["https://Shop.example/"]"#.to_string(),
        )],
    )
    .expect("loads");
    let origins = loaded.server.cors_allowed_origins.clone();
    assert_eq!(origins, ["https://shop.example"]);
    let app = TestApp::start_with(|c| c.server.cors_allowed_origins = origins, Vec::new()).await;
    let headers = preflight(&app, "https://shop.example").await;
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );
    assert_eq!(post_from(&app, "https://shop.example").await, 200);
    assert_eq!(post_from(&app, "https://evil.example").await, 403);
    app.shutdown().await;
}
