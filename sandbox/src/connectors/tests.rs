//! The connectors through the router: the contracts in `docs/connectors/`, auth, faults and the
//! admin routes.

use axum::body::to_bytes;
use axum::http::Request;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;
use crate::{Sandbox, SandboxConfig, demo};

fn headers(authorization: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(authorization).expect("header"),
    );
    headers
}

#[test]
fn only_the_configured_bearer_token_is_accepted() {
    assert!(bearer_matches(&headers("Bearer secret"), "secret"));
    assert!(bearer_matches(&headers("bearer  secret "), "secret"));
    assert!(!bearer_matches(&headers("Bearer secreT"), "secret"));
    assert!(!bearer_matches(&headers("Bearer secret2"), "secret"));
    assert!(!bearer_matches(&headers("Basic secret"), "secret"));
    assert!(!bearer_matches(&HeaderMap::new(), "secret"));
}

#[tokio::test]
async fn calls_are_counted_even_when_refused() {
    let connector = Connector::new(Duration::ZERO, 1);
    assert!(connector.admit("t", &headers("Bearer t"), 3).await.is_ok());
    let refused = connector.admit("t", &HeaderMap::new(), 2).await;
    assert_eq!(
        refused.err().map(|r| r.status()),
        Some(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(connector.calls(), ServiceCalls { total: 2, skus: 5 });
    connector.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    let down = connector.admit("t", &headers("Bearer t"), 1).await;
    assert_eq!(
        down.err().map(|r| r.status()),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
    connector.reset_calls();
    assert_eq!(connector.calls(), ServiceCalls::default());
}

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 60,
        order_stream: false,
        ..SandboxConfig::default()
    })
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn call(sandbox: &Sandbox, request: Request<Body>) -> Answer {
    let response = sandbox
        .router()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    Answer {
        status,
        headers,
        body,
    }
}

/// POSTs `body` to a connector path with the demo token.
async fn lookup(sandbox: &Sandbox, path: &str, body: Value) -> Answer {
    lookup_as(sandbox, path, body, Some(demo::CONNECTOR_TOKEN)).await
}

async fn lookup_as(sandbox: &Sandbox, path: &str, body: Value, token: Option<&str>) -> Answer {
    let mut request = Request::post(path)
        .header("content-type", "application/json")
        .header("x-request-id", "req-42");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    call(
        sandbox,
        request.body(Body::from(body.to_string())).expect("request"),
    )
    .await
}

async fn admin(sandbox: &Sandbox, method: &str, path: &str, body: Option<Value>) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    call(sandbox, request).await
}

fn sku(sandbox: &Sandbox, index: usize) -> String {
    sandbox.inner.data.catalog.products[index].sku.clone()
}

fn variant_skus(sandbox: &Sandbox, index: usize) -> Vec<String> {
    let catalog = &sandbox.inner.data.catalog;
    catalog.products[index]
        .configurable
        .iter()
        .flat_map(|c| c.variants())
        .map(|v| catalog.variant_sku(index as u32, v))
        .collect()
}

const STOCK: &str = "/inventory/v1/stock/lookup";
const PRICES: &str = "/cpq/v1/contract-prices/lookup";

#[tokio::test]
async fn stock_lookups_answer_every_known_sku_in_every_source() {
    let sandbox = sandbox();
    let (simple, parent) = (sku(&sandbox, 1), sku(&sandbox, 0));
    let variants = variant_skus(&sandbox, 0);
    let answer = lookup(
        &sandbox,
        STOCK,
        json!({ "skus": [simple, "NOPE", parent, variants[0], simple] }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["x-request-id"], "req-42");
    let items = answer.body["items"].as_array().expect("items");
    let skus: Vec<&str> = items.iter().filter_map(|i| i["sku"].as_str()).collect();
    assert_eq!(
        skus,
        [simple.as_str(), parent.as_str(), variants[0].as_str()]
    );
    for item in items {
        let sources: Vec<&str> = item["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .filter_map(|s| s["source_code"].as_str())
            .collect();
        assert_eq!(sources, demo::SOURCES);
        let updated_at = item["updated_at"].as_str().expect("updated_at");
        assert!(
            updated_at.len() == 20 && updated_at.ends_with('Z'),
            "{updated_at}"
        );
        assert!(item["sources"][0]["reserved"].is_u64());
    }
    let all = lookup(&sandbox, STOCK, json!({ "skus": variants })).await;
    for source in 0..3 {
        let sum: u64 = all.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["sources"][source]["quantity"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(items[1]["sources"][source]["quantity"].as_u64(), Some(sum));
    }
    assert_eq!(
        sandbox.service_calls(Service::Inventory),
        ServiceCalls {
            total: 2,
            skus: 5 + variants.len() as u64
        }
    );
}

#[tokio::test]
async fn stock_follows_the_order_stream_and_stock_counts() {
    let sandbox = sandbox();
    let moved = sandbox.step_order_stream();
    let moved = if moved.is_empty() {
        sandbox.step_order_stream()
    } else {
        moved
    };
    assert!(!moved.is_empty());
    let answer = lookup(&sandbox, STOCK, json!({ "skus": moved })).await;
    let now = crate::clock::rfc3339(crate::clock::now());
    let stamp = answer.body["items"][0]["updated_at"]
        .as_str()
        .expect("stamp");
    assert!(
        now.as_str() >= stamp && stamp > &now[..10],
        "{stamp} vs {now}"
    );

    let simple = sku(&sandbox, 1);
    let put = json!({ "sku": simple, "source_code": "store-berlin", "quantity": 3 });
    let set = admin(&sandbox, "PUT", "/admin/inventory/stock", Some(put)).await;
    assert_eq!(set.status, StatusCode::NO_CONTENT);
    let answer = lookup(&sandbox, STOCK, json!({ "skus": [simple] })).await;
    assert_eq!(
        answer.body["items"][0]["sources"][2],
        json!({ "source_code": "store-berlin", "quantity": 3, "reserved": 0 })
    );
    let unknown = json!({ "sku": "NOPE", "source_code": "wh-east", "quantity": 3 });
    let missing = admin(&sandbox, "PUT", "/admin/inventory/stock", Some(unknown)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let step = admin(&sandbox, "POST", "/admin/inventory/order-stream/step", None).await;
    assert!(step.body["changed"].is_array());
}

#[tokio::test]
async fn connectors_refuse_missing_or_wrong_tokens_and_bad_bodies() {
    let sandbox = sandbox();
    for path in [STOCK, PRICES] {
        for token in [None, Some("wrong")] {
            let body = json!({ "company_id": "MQ==", "currency": "USD", "skus": ["x"] });
            let answer = lookup_as(&sandbox, path, body, token).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(answer.body["error"]["code"], "UNAUTHORIZED");
            assert_eq!(answer.headers["www-authenticate"], "Bearer");
        }
        let answer = lookup(&sandbox, path, json!({ "sku": "x" })).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(answer.body["error"]["code"], "INVALID_REQUEST");
    }
    let calls = admin(&sandbox, "GET", "/admin/calls/all", None).await;
    assert_eq!(
        calls.body,
        json!({ "commerce": 0, "inventory": 3, "cpq": 3, "crm": 0, "erp": 0, "pim": 0 })
    );
}

#[tokio::test]
async fn connector_faults_are_set_per_service() {
    let sandbox = sandbox();
    let down = json!({ "down": true });
    let put = admin(&sandbox, "PUT", "/admin/inventory/faults", Some(down)).await;
    assert_eq!(put.body["down"], true);
    let answer = lookup(&sandbox, STOCK, json!({ "skus": ["x"] })).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.body["error"]["code"], "SERVICE_UNAVAILABLE");
    assert!(sandbox.service_faults(Service::Cpq).eq(&Faults::default()));
    assert!(!sandbox.faults().down, "Commerce is untouched");
    let prices = json!({ "company_id": "MQ==", "currency": "USD", "skus": [] });
    assert_eq!(
        lookup(&sandbox, PRICES, prices.clone()).await.status,
        StatusCode::OK
    );

    sandbox.set_service_faults(
        Service::Cpq,
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    );
    for _ in 0..4 {
        let sick = lookup(&sandbox, PRICES, prices.clone()).await;
        assert!(matches!(sick.status.as_u16(), 500 | 503), "{}", sick.status);
    }
    let invalid = admin(
        &sandbox,
        "PUT",
        "/admin/cpq/faults",
        Some(json!({ "error_rate": 3 })),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let faults = admin(&sandbox, "GET", "/admin/cpq/faults", None).await;
    assert_eq!(faults.body["error_rate"], 1.0);

    let calls = admin(&sandbox, "GET", "/admin/cpq/calls", None).await;
    assert_eq!(calls.body, json!({ "total": 5, "skus": 0 }));
    let reset = admin(&sandbox, "POST", "/admin/cpq/calls/reset", None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(sandbox.service_calls(Service::Cpq), ServiceCalls::default());
    assert_eq!(sandbox.service_calls(Service::Inventory).total, 1);
}

#[tokio::test(start_paused = true)]
async fn a_latency_fault_makes_a_connector_hang() {
    let sandbox = sandbox();
    sandbox.set_service_faults(Service::Inventory, Faults::latency(Duration::from_secs(10)));
    let started = tokio::time::Instant::now();
    let answer = lookup(&sandbox, STOCK, json!({ "skus": [] })).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_secs(10));
}

#[tokio::test]
async fn contract_prices_differ_per_company_and_convert_to_euros() {
    let sandbox = sandbox();
    let skus = json!([sku(&sandbox, 4), "NOPE", variant_skus(&sandbox, 0)[0]]);
    let ask = |company: &str, currency: &str| json!({ "company_id": company, "currency": currency, "skus": skus });
    let acme = lookup(&sandbox, PRICES, ask(demo::ACME_COMPANY_ID, "USD")).await;
    assert_eq!(acme.status, StatusCode::OK);
    assert_eq!(acme.body["currency"], "USD");
    assert_eq!(acme.body["price_list"]["contract_id"], "C-1042");
    let items = acme.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "the unknown SKU is left out");
    let tiers: Vec<u64> = items[0]["tiers"]
        .as_array()
        .expect("tiers")
        .iter()
        .filter_map(|t| t["min_quantity"].as_u64())
        .collect();
    assert_eq!(tiers, [1, 10, 50]);
    let globex = lookup(&sandbox, PRICES, ask(demo::GLOBEX_COMPANY_ID, "USD")).await;
    assert_eq!(globex.body["price_list"]["id"], "PL-GLOBEX");
    assert_ne!(
        globex.body["items"][0]["tiers"][0]["unit_price"],
        items[0]["tiers"][0]["unit_price"]
    );
    let euros = lookup(&sandbox, PRICES, ask(demo::ACME_COMPANY_ID, "EUR")).await;
    assert_eq!(euros.body["currency"], "EUR");
    let usd = items[0]["tiers"][0]["unit_price"].as_f64().expect("usd");
    let eur = euros.body["items"][0]["tiers"][0]["unit_price"]
        .as_f64()
        .expect("eur");
    assert!((eur - usd * 0.92).abs() < 0.011, "{usd} USD vs {eur} EUR");
}

#[tokio::test]
async fn unknown_companies_currencies_and_companies_without_contract() {
    let sandbox = sandbox();
    let ask = |company: &str, currency: &str| json!({ "company_id": company, "currency": currency, "skus": ["x"] });
    let unknown = lookup(
        &sandbox,
        PRICES,
        ask(demo::UNKNOWN_TO_CPQ_COMPANY_ID, "USD"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"]["code"], "UNKNOWN_COMPANY");
    let none = lookup(&sandbox, PRICES, ask(demo::NO_CONTRACT_COMPANY_ID, "USD")).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(
        none.body,
        json!({ "price_list": null, "currency": "USD", "items": [] })
    );
    let yen = lookup(&sandbox, PRICES, ask(demo::ACME_COMPANY_ID, "JPY")).await;
    assert_eq!(yen.status, StatusCode::BAD_REQUEST);
    assert_eq!(yen.body["error"]["code"], "UNSUPPORTED_CURRENCY");
}

#[tokio::test]
async fn the_expired_and_future_contract_prices_are_outside_their_validity() {
    let sandbox = sandbox();
    let expired = demo::expired_contract_sku(&sandbox).expect("expired");
    let future = demo::future_contract_sku(&sandbox).expect("future");
    let today = crate::clock::iso_date(crate::clock::today());
    for company in [
        demo::ACME_COMPANY_ID,
        demo::GLOBEX_COMPANY_ID,
        demo::INITECH_COMPANY_ID,
    ] {
        let ask = json!({ "company_id": company, "currency": "USD", "skus": [expired, future, sku(&sandbox, 4)] });
        let answer = lookup(&sandbox, PRICES, ask).await;
        let items = &answer.body["items"];
        let valid_to = items[0]["valid_to"].as_str().expect("expired has an end");
        assert!(valid_to < today.as_str(), "{company}: {valid_to}");
        let valid_from = items[1]["valid_from"].as_str().expect("future has a start");
        assert!(valid_from > today.as_str(), "{company}: {valid_from}");
        let from = items[2]["valid_from"].as_str().unwrap_or("");
        let to = items[2]["valid_to"].as_str().unwrap_or("9999");
        assert!(
            from <= today.as_str() && today.as_str() <= to,
            "{company}: {from}..{to}"
        );
    }
}

#[test]
fn the_documented_special_skus_match_the_default_configuration() {
    let sandbox = Sandbox::new(SandboxConfig::default());
    assert_eq!(
        demo::expired_contract_sku(&sandbox).as_deref(),
        Some("24-TV01")
    );
    assert_eq!(
        demo::future_contract_sku(&sandbox).as_deref(),
        Some("24-UG01")
    );
}

#[tokio::test(start_paused = true)]
async fn a_spawned_sandbox_runs_the_order_stream_until_shut_down() {
    let handle = Sandbox::new(SandboxConfig {
        products: 60,
        ..SandboxConfig::default()
    })
    .spawn(([127, 0, 0, 1], 0).into())
    .await
    .expect("binds");
    assert!(handle.inventory_url().ends_with("/inventory"));
    assert!(handle.cpq_url().ends_with("/cpq"));
    let changed = |handle: &crate::SandboxHandle| handle.sandbox.inner.inventory.changed_skus();
    tokio::time::sleep(crate::ORDER_STREAM_INTERVAL * 8).await;
    let moving = changed(&handle);
    assert!(moving > 0, "the stream moved stock");
    let sandbox = handle.sandbox.clone();
    handle.shutdown().await;
    let stopped = sandbox.inner.inventory.changed_skus();
    tokio::time::sleep(crate::ORDER_STREAM_INTERVAL * 8).await;
    assert_eq!(sandbox.inner.inventory.changed_skus(), stopped);

    let quiet = Sandbox::new(SandboxConfig {
        products: 60,
        order_stream: false,
        ..SandboxConfig::default()
    })
    .spawn(([127, 0, 0, 1], 0).into())
    .await
    .expect("binds");
    tokio::time::sleep(crate::ORDER_STREAM_INTERVAL * 8).await;
    assert_eq!(quiet.sandbox.inner.inventory.changed_skus(), 0);
}

const VERIFY: &str = "/crm/v1/persons/verify";

fn person(email: &str) -> Value {
    json!({ "email": email, "subject": "sub-1", "issuer": "https://idp.example/" })
}

#[tokio::test]
async fn the_crm_names_the_company_of_every_company_user() {
    let sandbox = sandbox();
    let buyer = lookup(&sandbox, VERIFY, person(demo::ACME_BUYER.0)).await;
    assert_eq!(buyer.status, StatusCode::OK);
    assert_eq!(buyer.headers["x-request-id"], "req-42");
    assert_eq!(
        buyer.body,
        json!({
            "verdict": "company_user",
            "person": { "email": "buyer@acme.example", "firstname": "Bugs", "lastname": "Bunny", "job_title": "Buyer" },
            "company": { "id": demo::ACME_COMPANY_ID, "entity_id": 1, "name": "Acme Corp", "status": "APPROVED" },
            "role": { "name": "Default User", "company_admin": false },
            "user_status": "ACTIVE"
        })
    );
    let admin = lookup(&sandbox, VERIFY, person("ADMIN@acme.example")).await;
    assert_eq!(
        admin.body["role"],
        json!({ "name": "Company Administrator", "company_admin": true })
    );
    let globex = lookup(&sandbox, VERIFY, person(demo::GLOBEX_BUYER.0)).await;
    assert_eq!(globex.body["company"]["id"], demo::GLOBEX_COMPANY_ID);
    assert_eq!(globex.body["company"]["name"], "Globex Corporation");
}

#[tokio::test]
async fn consumers_and_strangers_are_consumers_and_the_blocked_person_is_refused() {
    let sandbox = sandbox();
    for email in ["roni_cost@example.com", "new.shopper@example.com"] {
        let answer = lookup(&sandbox, VERIFY, person(email)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, json!({ "verdict": "consumer" }), "{email}");
    }
    let blocked = lookup(&sandbox, VERIFY, person(demo::BLOCKED_PERSON)).await;
    assert_eq!(blocked.status, StatusCode::OK);
    assert_eq!(blocked.body["verdict"], "blocked");
    assert_eq!(blocked.body["reason"], "PERSON_BLOCKED");
    let customers = &sandbox.inner.data.customers;
    assert!(
        customers.by_email(demo::BLOCKED_PERSON).is_none(),
        "the blocked person has no Commerce account"
    );
    assert_eq!(
        sandbox.service_calls(Service::Crm),
        ServiceCalls { total: 3, skus: 0 }
    );
}

#[tokio::test]
async fn the_crm_refuses_bad_tokens_and_fields_outside_their_bounds() {
    let sandbox = sandbox();
    for token in [None, Some("wrong")] {
        let answer = lookup_as(&sandbox, VERIFY, person(demo::ACME_BUYER.0), token).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body["error"]["code"], "UNAUTHORIZED");
    }
    let long_subject = "s".repeat(256);
    let long_issuer = format!("https://idp.example/{}", "i".repeat(2048));
    let long_email = format!("{}@example.com", "e".repeat(250));
    let bad = [
        json!({ "email": "buyer@acme.example", "subject": "s" }),
        json!({ "email": "", "subject": "s", "issuer": "i" }),
        json!({ "email": "no-at-sign", "subject": "s", "issuer": "i" }),
        json!({ "email": "a@b@c", "subject": "s", "issuer": "i" }),
        json!({ "email": long_email, "subject": "s", "issuer": "i" }),
        json!({ "email": "a@b.example", "subject": " ", "issuer": "i" }),
        json!({ "email": "a@b.example", "subject": long_subject, "issuer": "i" }),
        json!({ "email": "a@b.example", "subject": "s", "issuer": long_issuer }),
    ];
    for body in bad {
        let answer = lookup(&sandbox, VERIFY, body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["error"]["code"], "INVALID_REQUEST", "{body}");
    }
    sandbox.set_service_faults(
        Service::Crm,
        Faults {
            down: true,
            ..Faults::default()
        },
    );
    let down = lookup(&sandbox, VERIFY, person(demo::ACME_BUYER.0)).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(sandbox.service_faults(Service::Cpq).eq(&Faults::default()));
    let calls = admin(&sandbox, "GET", "/admin/crm/calls", None).await;
    assert_eq!(calls.body, json!({ "total": 11, "skus": 0 }));
}
