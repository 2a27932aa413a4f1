//! What an operator relies on: readiness that stays up while cached answers still serve, log
//! lines that say why an upstream failed (and which variable to fix), degradation messages true
//! to what the client got, and Commerce's own Varnish-style `PURGE`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use sandbox::Faults;
use serde_json::json;
use tracing::subscriber::DefaultGuard;

use crate::support::{Answer, HOOK_SECRET, TestApp, decode};

/// Everything the BFF logs while the guard lives, as plain text lines.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures the logs of this thread (tests run on a current-thread runtime, so the BFF's
    /// tasks log here too).
    fn capture() -> (Logs, DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }

    /// The first line containing every one of `needles`.
    fn line_with(&self, needles: &[&str]) -> Option<String> {
        self.text()
            .lines()
            .find(|line| needles.iter().all(|n| line.contains(n)))
            .map(str::to_owned)
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn get(app: &TestApp, path: &str) -> Answer {
    decode(
        app.http
            .get(format!("{}{path}", app.app.url()))
            .send()
            .await
            .expect("sent"),
    )
    .await
}

fn commerce_down() -> Faults {
    Faults {
        down: true,
        ..Faults::default()
    }
}

#[tokio::test]
async fn with_the_cache_on_a_commerce_outage_degrades_readiness_but_keeps_the_replica_in_service() {
    let app = TestApp::start().await;
    let ready = get(&app, "/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["commerce"]["reachable"], true);
    assert_eq!(ready.body["commerce"]["breaker"], "closed");

    app.sandbox.sandbox.set_faults(commerce_down());
    // Readiness reuses its probe for a second: wait until it has seen the outage.
    let mut ready = get(&app, "/readyz").await;
    for _ in 0..50 {
        if ready.body["commerce"]["reachable"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        ready = get(&app, "/readyz").await;
    }
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["status"], "degraded", "{}", ready.body);
    assert_eq!(ready.body["commerce"]["reachable"], false);
    assert_eq!(ready.body["response_cache"], "on");
    assert_eq!(get(&app, "/healthz").await.status, 200, "liveness");
    app.shutdown().await;
}

#[tokio::test]
async fn without_the_cache_a_commerce_outage_takes_the_replica_out_of_service() {
    let app = TestApp::start_with(|c| c.cache.enabled = false, Vec::new()).await;
    app.sandbox.sandbox.set_faults(commerce_down());
    let ready = get(&app, "/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert_eq!(ready.body["status"], "unavailable");
    assert_eq!(ready.body["response_cache"], "off");
    assert_eq!(
        get(&app, "/healthz").await.status,
        200,
        "liveness never depends on Commerce"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_draining_replica_answers_not_ready() {
    let app = TestApp::start().await;
    app.app.state.readiness.start_draining();
    let ready = get(&app, "/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert_eq!(ready.body["status"], "draining");
    app.shutdown().await;
}

/// Starts a BFF whose Commerce is at `url`, sends one query and returns the failure's log line.
async fn commerce_failure_logged(url: String) -> String {
    let (logs, _guard) = Logs::capture();
    let app = TestApp::start_with(
        move |c| {
            c.commerce.graphql_url = url;
            c.commerce.introspect = false;
        },
        Vec::new(),
    )
    .await;
    let answer = app
        .query("{ products(search: \"bag\") { total_count } }", json!({}))
        .await;
    assert_eq!(
        answer.error_code(),
        Some("UPSTREAM_UNAVAILABLE"),
        "{}",
        answer.body
    );
    app.shutdown().await;
    logs.line_with(&["source call failed", r#"source="commerce""#])
        .unwrap_or_else(|| panic!("no failure logged:\n{}", logs.text()))
}

#[tokio::test]
async fn a_failed_commerce_call_logs_whether_the_connection_was_refused_the_name_unknown_or_tls_wrong()
 {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let refused = commerce_failure_logged(format!("http://127.0.0.1:{port}/graphql")).await;
    assert!(
        refused.contains(r#"kind="connection_refused""#),
        "{refused}"
    );
    assert!(
        refused.contains("Connection refused (os error"),
        "the chain: {refused}"
    );

    let unknown = commerce_failure_logged("http://commerce.invalid/graphql".into()).await;
    assert!(unknown.contains(r#"kind="dns""#), "{unknown}");

    // https:// to the sandbox's plain-HTTP port.
    let sandbox = TestApp::start().await;
    let plain = sandbox
        .sandbox
        .graphql_url()
        .replacen("http://", "https://", 1);
    let tls = commerce_failure_logged(plain).await;
    assert!(tls.contains(r#"kind="tls""#), "{tls}");
    sandbox.shutdown().await;
}

const STOCK_QUERY: &str = "{ products(search: \"bag\", pageSize: 2) { items { sku stock_status live_stock { salable_qty } } } }";

#[tokio::test]
async fn a_connector_refusing_the_token_is_logged_with_the_variable_to_fix() {
    let (logs, _guard) = Logs::capture();
    let app = TestApp::start_with(
        |c| c.inventory.token = Some("not-the-token".to_string().into()),
        Vec::new(),
    )
    .await;
    let answer = app.query(STOCK_QUERY, json!({})).await;
    let errors = answer.body["errors"].as_array().expect("an error").clone();
    let error = errors
        .iter()
        .find(|e| e["extensions"]["code"] == "INVENTORY_UNAVAILABLE")
        .unwrap_or_else(|| panic!("{}", answer.body));
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("`live_stock` is null"), "{message}");
    assert!(message.contains("`stock_status`"), "{message}");
    assert!(
        answer.body["data"]["products"]["items"][0]["live_stock"].is_null(),
        "{}",
        answer.body
    );
    assert!(
        answer.body["data"]["products"]["items"][0]["stock_status"].is_string(),
        "Commerce's own stock status is kept: {}",
        answer.body
    );
    app.shutdown().await;
    let line = logs
        .line_with(&["source call failed", "BFF_INVENTORY__TOKEN"])
        .unwrap_or_else(|| panic!("no hint logged:\n{}", logs.text()));
    assert!(line.contains("unauthorized"), "{line}");
}

#[tokio::test]
async fn start_up_warns_about_a_connector_without_a_token_and_a_cache_nothing_can_purge() {
    let (logs, _guard) = Logs::capture();
    let app = TestApp::start_with(
        |c| {
            c.cpq.token = None;
            c.hooks.commerce_secret = None;
        },
        Vec::new(),
    )
    .await;
    app.shutdown().await;
    assert!(
        logs.line_with(&["WARN", "cpq.token is not", "BFF_CPQ__TOKEN"])
            .is_some(),
        "{}",
        logs.text()
    );
    assert!(
        logs.line_with(&["WARN", "nothing can purge it", "BFF_HOOKS__COMMERCE_SECRET"])
            .is_some(),
        "{}",
        logs.text()
    );
    assert!(
        logs.line_with(&["inventory.token is not"]).is_none(),
        "the inventory has its token: {}",
        logs.text()
    );
    assert!(
        logs.line_with(&["session.secret is not set"]).is_none(),
        "one SQLite replica needs no shared key: {}",
        logs.text()
    );
}

#[tokio::test]
async fn start_up_warns_when_replicas_on_postgres_would_each_generate_a_session_key() {
    let mut config = storefront_bff::config::Config::default();
    config.store.url = Some("postgres://bff@db.internal/bff".to_string().into());
    let warnings = storefront_bff::server::start_up_warnings(&config);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("session.secret is not set") && w.contains("BFF_SESSION__SECRET")),
        "{warnings:?}"
    );
    config.session.secret = Some(
        "a shared secret of thirty-two characters"
            .to_string()
            .into(),
    );
    let warnings = storefront_bff::server::start_up_warnings(&config);
    assert!(
        !warnings.iter().any(|w| w.contains("session.secret")),
        "{warnings:?}"
    );
}

const PRODUCTS: &str = "{ products(search: \"bag\", pageSize: 2) { items { sku name } } }";
const STORE: &str = "{ storeConfig { store_code } }";

async fn purge(app: &TestApp, pattern: &str, bearer: Option<&str>) -> Answer {
    let mut request = app
        .http
        .request(
            Method::from_bytes(b"PURGE").expect("method"),
            format!("{}/", app.app.url()),
        )
        .header("X-Magento-Tags-Pattern", pattern);
    if let Some(secret) = bearer {
        request = request.bearer_auth(secret);
    }
    decode(request.send().await.expect("sent")).await
}

/// Commerce's pattern for one tag, as its Varnish purge builds it.
fn tag_pattern(tag: &str) -> String {
    format!("((^|,){tag}(,|$))")
}

#[tokio::test]
async fn commerce_varnish_purge_from_an_allowed_address_drops_the_matching_answers_only() {
    let app = TestApp::start_with(
        |c| c.hooks.purge_allowed_ips = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        Vec::new(),
    )
    .await;
    let products = app.query(PRODUCTS, json!({})).await;
    let tag = products
        .header("surrogate-key")
        .and_then(|tags| tags.split(' ').find(|t| t.starts_with("cat_p_")))
        .unwrap_or_else(|| panic!("no product tag: {:?}", products.headers))
        .to_string();
    app.query(STORE, json!({})).await;
    assert_eq!(
        app.query(PRODUCTS, json!({})).await.header("x-cache"),
        Some("HIT")
    );

    let purged = purge(
        &app,
        &format!("{}|{}", tag_pattern("cat_p_999999"), tag_pattern(&tag)),
        None,
    )
    .await;
    assert_eq!(purged.status, 200, "{}", purged.body);
    assert_eq!(purged.body["purged"], true);
    assert_eq!(
        app.query(PRODUCTS, json!({})).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(
        app.query(STORE, json!({})).await.header("x-cache"),
        Some("HIT"),
        "an answer without the tag stays cached"
    );

    assert_eq!(purge(&app, ".*", None).await.status, 200);
    assert_eq!(
        app.query(STORE, json!({})).await.header("x-cache"),
        Some("MISS")
    );
    assert_eq!(purge(&app, "((", None).await.status, 400, "not a regex");
    app.shutdown().await;
}

#[tokio::test]
async fn a_purge_from_an_address_not_allowed_needs_the_hook_secret() {
    let app = TestApp::start().await;
    app.query(STORE, json!({})).await;
    let denied = purge(&app, ".*", None).await;
    assert_eq!(denied.status, 401, "{}", denied.body);
    assert_eq!(
        app.query(STORE, json!({})).await.header("x-cache"),
        Some("HIT")
    );
    let allowed = purge(&app, ".*", Some(HOOK_SECRET)).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        app.query(STORE, json!({})).await.header("x-cache"),
        Some("MISS")
    );

    let off = TestApp::start_with(|c| c.hooks.commerce_secret = None, Vec::new()).await;
    assert_eq!(
        purge(&off, ".*", Some(HOOK_SECRET)).await.status,
        404,
        "no secret and no allowed address: PURGE is off"
    );
    off.shutdown().await;
    app.shutdown().await;
}

#[tokio::test]
async fn every_login_the_demo_banner_lists_signs_in() {
    let app = TestApp::start().await;
    let banner = storefront_bff::server::demo_banner();
    let logins: Vec<(&str, &str)> = banner
        .iter()
        .filter_map(|line| line.trim().split("  ").next()?.split_once(" / "))
        .collect();
    assert!(logins.len() >= 6, "{banner:?}");
    assert!(logins.contains(&sandbox::demo::ACME_BUYER), "{banner:?}");
    for (email, password) in logins {
        app.customer_token(email, password).await;
    }
    for code in ["default", "de"] {
        assert!(
            banner
                .iter()
                .any(|l| l.contains("Store codes") && l.contains(code)),
            "{banner:?}"
        );
        let store = app.query_with(STORE, json!({}), &[("Store", code)]).await;
        assert_eq!(store.body["data"]["storeConfig"]["store_code"], code);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_connector_that_does_not_answer_in_time_is_logged_as_a_timeout() {
    let (logs, _guard) = Logs::capture();
    let app = TestApp::start_with(
        |c| {
            c.inventory.timeout_ms = 200;
            c.inventory.retries = 0;
        },
        Vec::new(),
    )
    .await;
    app.sandbox.sandbox.set_service_faults(
        sandbox::Service::Inventory,
        Faults::latency(std::time::Duration::from_secs(5)),
    );
    let answer = app.query(STOCK_QUERY, json!({})).await;
    assert!(
        answer.body["errors"].as_array().is_some_and(|errors| errors
            .iter()
            .any(|e| e["extensions"]["code"] == "INVENTORY_UNAVAILABLE")),
        "{}",
        answer.body
    );
    app.shutdown().await;
    let line = logs
        .line_with(&["source call failed", r#"source="inventory""#])
        .unwrap_or_else(|| panic!("no failure logged:\n{}", logs.text()));
    assert!(line.contains(r#"kind="timeout""#), "{line}");
}
