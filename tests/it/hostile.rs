//! Never crash, never hang: documents nested to overflow the parser's stack, clients that stall
//! half-way through their headers, more requests than the server takes at once, and a Commerce
//! that is down. Each is refused or cut off without calling Commerce, and the process answers
//! the next request.

use std::time::Duration;

use sandbox::Faults;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Answer, TestApp, decode};

/// Deep enough to overflow async-graphql's recursive parser on a 2 MiB stack.
const HOSTILE_DEPTH: usize = 1_500;

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// (where the nesting is, the document, the code it is refused with).
fn hostile_documents() -> Vec<(&'static str, String, &'static str)> {
    let list = nested("[", "\"x\"", "]", HOSTILE_DEPTH);
    let object = nested("{eq:", "\"x\"", "}", HOSTILE_DEPTH);
    vec![
        (
            "a list argument",
            format!("{{ products(filter: {{ sku: {{ in: {list} }} }}) {{ total_count }} }}"),
            "NESTING_TOO_DEEP",
        ),
        (
            "an object argument",
            format!("{{ products(filter: {{ sku: {object} }}) {{ total_count }} }}"),
            "NESTING_TOO_DEEP",
        ),
        (
            "a directive argument",
            format!("{{ storeConfig @include(if: {list}) {{ store_code }} }}"),
            "NESTING_TOO_DEEP",
        ),
        (
            "a variable default",
            format!("query($v: [String] = {list}) {{ storeConfig {{ store_code }} }}"),
            "NESTING_TOO_DEEP",
        ),
        (
            "a selection set within the token limit",
            nested("{a", "", "}", 4_000),
            "NESTING_TOO_DEEP",
        ),
        (
            "a selection set past the token limit",
            nested("{a", "", "}", 10_000),
            "TOO_MANY_TOKENS",
        ),
    ]
}

async fn get(app: &TestApp, params: &[(&str, &str)]) -> Answer {
    let url = reqwest::Url::parse_with_params(&app.graphql_url(), params).expect("url");
    decode(app.http.get(url).send().await.expect("sent")).await
}

async fn post_raw(app: &TestApp, body: String) -> Answer {
    let response = app
        .http
        .post(app.graphql_url())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("sent");
    decode(response).await
}

#[tokio::test]
async fn deeply_nested_documents_are_refused_by_post_and_get_before_parsing() {
    let app = TestApp::start().await;
    for (place, document, code) in hostile_documents() {
        let posted = app.query(&document, json!({})).await;
        assert_eq!(posted.status, 400, "POST, {place}: {}", posted.body);
        assert_eq!(posted.error_code(), Some(code), "POST, {place}");
        // URLs stop at 64 KiB (hyper answers 414 itself): 10,000 levels cannot come by GET.
        if document.len() > 20_000 {
            continue;
        }
        let got = get(&app, &[("query", &document)]).await;
        assert_eq!(got.status, 400, "GET, {place}: {}", got.body);
        assert_eq!(got.error_code(), Some(code), "GET, {place}");
    }
    assert_eq!(app.upstream_calls(), 0);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn brackets_inside_strings_and_comments_do_not_count_as_nesting() {
    let app = TestApp::start().await;
    let brackets = "[".repeat(HOSTILE_DEPTH);
    let document =
        format!("# {brackets}\n{{ products(search: \"{brackets}\") {{ total_count }} }}");
    let answer = app.query(&document, json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body["data"]["products"]["total_count"].is_number());
    app.shutdown().await;
}

#[tokio::test]
async fn deeply_nested_variables_are_refused_by_post_batch_and_get() {
    let app = TestApp::start().await;
    let query = "query($v: [String]) { products(filter: { sku: { in: $v } }) { total_count } }";
    let variables = nested("[", "\"x\"", "]", HOSTILE_DEPTH);
    let one = format!(
        r#"{{"query":{},"variables":{{"v":{variables}}}}}"#,
        json!(query)
    );
    for (how, answer) in [
        ("POST", post_raw(&app, one.clone()).await),
        ("batch", post_raw(&app, format!("[{one}]")).await),
        (
            "GET",
            get(
                &app,
                &[
                    ("query", query),
                    ("variables", &format!(r#"{{"v":{variables}}}"#)),
                ],
            )
            .await,
        ),
    ] {
        assert_eq!(answer.status, 400, "{how}: {}", answer.body);
        assert_eq!(answer.error_code(), Some("VARIABLES_TOO_DEEP"), "{how}");
    }
    // Past the configured bound but well within serde_json's own: the bound is ours.
    let shallow = nested("[", "\"x\"", "]", 70);
    let answer = post_raw(
        &app,
        format!(
            r#"{{"query":{},"variables":{{"v":{shallow}}}}}"#,
            json!(query)
        ),
    )
    .await;
    assert_eq!(answer.error_code(), Some("VARIABLES_TOO_DEEP"));
    assert_eq!(app.upstream_calls(), 0);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn long_fragment_chains_and_exponential_fragment_fan_outs_are_refused_without_expanding_them()
{
    let app = TestApp::start().await;
    // F0 spreads F1, which spreads F2, … 200 deep.
    let mut chain = String::from("{ storeConfig { ...F0 } }");
    for i in 0..200 {
        chain.push_str(&format!(
            " fragment F{i} on StoreConfig {{ store_code ...F{} }}",
            i + 1
        ));
    }
    chain.push_str(" fragment F200 on StoreConfig { store_code }");
    let answer = app.query(&chain, json!({})).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.error_code(), Some("NESTING_TOO_DEEP"));

    // Each fragment spreads the next twice: 2^40 selections once expanded.
    let mut fan_out = String::from("{ storeConfig { ...G0 } }");
    for i in 0..40 {
        let next = i + 1;
        fan_out.push_str(&format!(
            " fragment G{i} on StoreConfig {{ ...G{next} ... on StoreConfig {{ ...G{next} }} }}"
        ));
    }
    fan_out.push_str(" fragment G40 on StoreConfig { store_code }");
    let answer = app.query(&fan_out, json!({})).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.error_code(), Some("TOO_MANY_TOKENS"));

    // The same beside the operation that is run: validation still reads every operation.
    for beside in [&chain, &fan_out] {
        let document = format!(
            "query Small {{ storeConfig {{ store_code }} }} query Big {}",
            beside
        );
        let body = json!({ "query": document, "operationName": "Small" }).to_string();
        let answer = post_raw(&app, body).await;
        assert!(answer.body["errors"].is_array(), "{}", answer.body);
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
    }
    assert_eq!(app.upstream_calls(), 0);
    app.assert_still_serves().await;
    app.shutdown().await;
}

/// Reads until the server closes the connection; `None` if it stays open past `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(wait, read_all).await.ok()?;
    Some(seen)
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let app = TestApp::start_with(|c| c.server.header_read_timeout_ms = 300, Vec::new()).await;
    let mut half = TcpStream::connect(app.app.addr).await.expect("connects");
    half.write_all(b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Ty")
        .await
        .expect("writes");
    assert!(
        closed_within(&mut half, Duration::from_secs(20))
            .await
            .is_some(),
        "a half-sent request kept its connection open"
    );
    let mut silent = TcpStream::connect(app.app.addr).await.expect("connects");
    assert!(
        closed_within(&mut silent, Duration::from_secs(20))
            .await
            .is_some(),
        "a connection that never sent a byte stayed open"
    );
    assert_eq!(app.upstream_calls(), 0);
    app.assert_still_serves().await;
    app.shutdown().await;
}

#[tokio::test]
async fn past_the_in_flight_limit_requests_are_shed_at_once_with_retry_after() {
    let app = TestApp::start_with(
        |c| {
            c.server.max_in_flight_requests = 1;
            c.server.overload_retry_after_secs = 3;
        },
        Vec::new(),
    )
    .await;
    let held = app.hold_request_in_commerce(Duration::from_secs(2)).await;
    let posted = app
        .query("{ currency { base_currency_code } }", json!({}))
        .await;
    let got = get(&app, &[("query", "{ currency { base_currency_code } }")]).await;
    for (how, shed) in [("POST", &posted), ("GET", &got)] {
        assert_eq!(shed.status, 503, "{how}: {}", shed.body);
        assert_eq!(shed.header("retry-after"), Some("3"), "{how}");
        assert_eq!(shed.error_code(), Some("OVERLOADED"), "{how}");
        assert!(shed.header("x-request-id").is_some(), "{how}");
    }
    assert_eq!(app.upstream_calls(), 1, "a shed request reached Commerce");
    let health = app
        .http
        .get(format!("{}/healthz", app.app.url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200, "health probes are not shed");

    let first = held.await.expect("held request");
    assert_eq!(first.status, 200);
    app.sandbox.sandbox.set_faults(Faults::default());
    app.assert_still_serves().await;
    app.shutdown().await;
}

async fn readiness(app: &TestApp) -> Answer {
    decode(
        app.http
            .get(format!("{}/readyz", app.app.url()))
            .send()
            .await
            .expect("sent"),
    )
    .await
}

fn distinct_query(i: usize) -> String {
    format!("{{ products(search: \"outage-{i}\") {{ total_count }} }}")
}

#[tokio::test]
async fn while_commerce_is_down_the_breaker_stops_calling_it_and_cached_answers_still_serve() {
    let app = TestApp::start_with(
        |c| {
            c.commerce.breaker_failures = 3;
            c.commerce.breaker_open_ms = 600_000;
        },
        Vec::new(),
    )
    .await;
    let cached = "{ storeConfig { store_code } }";
    assert_eq!(app.query(cached, json!({})).await.status, 200);
    app.sandbox.sandbox.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    app.sandbox.sandbox.reset_calls();
    for i in 0..30 {
        let answer = app.query(&distinct_query(i), json!({})).await;
        assert_eq!(answer.status, 502, "{}", answer.body);
        assert_eq!(answer.error_code(), Some("UPSTREAM_UNAVAILABLE"));
    }
    assert_eq!(
        app.upstream_calls(),
        3,
        "30 requests, 3 calls until the breaker opened"
    );

    let hit = app.query(cached, json!({})).await;
    assert_eq!(hit.status, 200);
    assert_eq!(hit.header("x-cache"), Some("HIT"));
    assert_eq!(hit.body["data"]["storeConfig"]["store_code"], "default");

    let ready = readiness(&app).await;
    assert_eq!(
        ready.status, 200,
        "cached answers still serve, so the replica stays in service: {}",
        ready.body
    );
    assert_eq!(ready.body["status"], "degraded", "{}", ready.body);
    assert_eq!(ready.body["commerce"]["reachable"], false);
    assert_eq!(ready.body["commerce"]["breaker"], "open", "{}", ready.body);
    assert_eq!(
        app.upstream_calls(),
        3,
        "the readiness probe respects the breaker"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn after_its_cool_down_the_breaker_lets_a_probe_through_and_closes_when_commerce_is_back() {
    let app = TestApp::start_with(
        |c| {
            c.commerce.breaker_failures = 2;
            c.commerce.breaker_open_ms = 200;
        },
        Vec::new(),
    )
    .await;
    app.sandbox.sandbox.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    for i in 0..2 {
        assert_eq!(app.query(&distinct_query(i), json!({})).await.status, 502);
    }
    assert_eq!(readiness(&app).await.body["commerce"]["breaker"], "open");
    app.sandbox.sandbox.set_faults(Faults::default());
    let mut answered: Option<Value> = None;
    for i in 2..200 {
        let answer = app.query(&distinct_query(i), json!({})).await;
        if answer.status == 200 {
            answered = Some(answer.body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = answered.expect("a request passes once the breaker half-opens");
    assert!(
        body["data"]["products"]["total_count"].is_number(),
        "{body}"
    );
    assert_eq!(readiness(&app).await.body["commerce"]["breaker"], "closed");
    // Readiness reuses its last probe for a second: ask until it probes again.
    let mut ready = readiness(&app).await;
    for _ in 0..100 {
        if ready.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        ready = readiness(&app).await;
    }
    assert_eq!(ready.status, 200, "{}", ready.body);
    app.shutdown().await;
}

#[test]
fn a_nesting_bound_deep_enough_to_overflow_the_stack_is_refused_at_start_up() {
    for value in ["100000", "10"] {
        let error = storefront_bff::config::Config::load(
            None,
            vec![("BFF_GRAPHQL__MAX_NESTING".to_string(), value.to_string())],
        )
        .expect_err(value)
        .to_string();
        assert!(error.contains("graphql.max_nesting"), "{value}: {error}");
    }
}
