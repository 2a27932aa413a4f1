//! The REST admin subset through the router, and `generateCustomerTokenAsAdmin`, whose admin
//! token comes from it.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::demo::{ADMIN_USER, INTEGRATION_TOKEN};
use crate::{Sandbox, SandboxConfig};

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 20,
        categories: 5,
        order_stream: false,
        ..SandboxConfig::default()
    })
}

async fn call(
    sandbox: &Sandbox,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request");
    let response = sandbox.router().oneshot(request).await.expect("answer");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

async fn admin_token(sandbox: &Sandbox) -> String {
    let (username, password) = ADMIN_USER;
    let body = json!({ "username": username, "password": password }).to_string();
    let (status, token) = call(
        sandbox,
        "POST",
        "/rest/V1/integration/admin/token",
        None,
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    token.as_str().expect("a JSON string").to_owned()
}

fn email_search(email: &str) -> String {
    format!(
        "/rest/V1/customers/search?searchCriteria[filterGroups][0][filters][0][field]=email\
         &searchCriteria[filterGroups][0][filters][0][value]={email}\
         &searchCriteria[filterGroups][0][filters][0][conditionType]=eq"
    )
}

async fn graphql(sandbox: &Sandbox, query: &str, token: Option<&str>) -> (StatusCode, Value) {
    let body = json!({ "query": query }).to_string();
    call(sandbox, "POST", "/graphql", token, Some(body)).await
}

#[tokio::test]
async fn the_demo_admin_gets_a_token_and_wrong_credentials_get_commerces_401() {
    let sandbox = sandbox();
    let token = admin_token(&sandbox).await;
    assert_eq!(token.split('.').count(), 3, "a JWT like Commerce's");
    let wrong = json!({ "username": "admin", "password": "nope" }).to_string();
    let (status, body) = call(
        &sandbox,
        "POST",
        "/rest/default/V1/integration/admin/token",
        None,
        Some(wrong),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["message"],
        "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."
    );
}

#[tokio::test]
async fn malformed_admin_token_requests_are_refused_with_commerces_messages() {
    let sandbox = sandbox();
    let uri = "/rest/V1/integration/admin/token";
    let (status, body) = call(&sandbox, "POST", uri, None, Some("{not json".into())).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({ "message": "Decoding error.", "parameters": [] })
        )
    );
    let (status, body) = call(
        &sandbox,
        "POST",
        uri,
        None,
        Some(r#"{"password":"x"}"#.into()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({ "message": "\"%fieldName\" is required. Enter and try again.", "parameters": { "fieldName": "username" } })
    );
    let huge = format!(r#"{{"username":"{}"}}"#, "a".repeat(super::MAX_BODY_BYTES));
    let (status, _) = call(&sandbox, "POST", uri, None, Some(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = call(
        &sandbox,
        "POST",
        "/rest/nowhere/V1/integration/admin/token",
        None,
        Some("{}".into()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "Request does not match any route.");
}

#[tokio::test]
async fn customers_search_finds_an_account_by_email_for_admin_and_integration_tokens() {
    let sandbox = sandbox();
    let admin = admin_token(&sandbox).await;
    for token in [admin.as_str(), INTEGRATION_TOKEN] {
        let (status, body) = call(
            &sandbox,
            "GET",
            &email_search("RONI_COST@example.com"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total_count"], 1);
        assert_eq!(body["items"][0]["id"], 1);
        assert_eq!(body["items"][0]["email"], "roni_cost@example.com");
        assert_eq!(body["items"][0]["group_id"], 1);
        assert_eq!(
            body["search_criteria"]["filter_groups"][0]["filters"][0],
            json!({ "field": "email", "value": "RONI_COST@example.com", "condition_type": "eq" })
        );
    }
    let (_, none) = call(
        &sandbox,
        "GET",
        &email_search("nobody@example.com"),
        Some(INTEGRATION_TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (none["total_count"].clone(), none["items"].clone()),
        (json!(0), json!([]))
    );
}

#[tokio::test]
async fn customer_search_by_a_customer_or_nobody_is_commerces_401() {
    let sandbox = sandbox();
    let customer = sandbox
        .customer_token("roni_cost@example.com")
        .expect("token");
    for token in [None, Some(customer.as_str()), Some("garbage")] {
        let (status, body) = call(
            &sandbox,
            "GET",
            &email_search("roni_cost@example.com"),
            token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            json!({
                "message": "The consumer isn't authorized to access %resources.",
                "parameters": { "resources": "Magento_Customer::customer" },
            })
        );
    }
    let (status, body) = call(
        &sandbox,
        "GET",
        "/rest/V1/customers/search",
        Some(INTEGRATION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["parameters"]["fieldName"], "searchCriteria");
}

#[tokio::test]
async fn a_created_customer_signs_in_and_a_second_one_with_the_same_email_is_refused() {
    let sandbox = sandbox();
    let body = json!({
        "customer": { "email": "new@example.com", "firstname": "Nia", "lastname": "New", "website_id": 1 },
        "password": "Secret123!",
    })
    .to_string();
    let (status, created) = call(
        &sandbox,
        "POST",
        "/rest/V1/customers",
        Some(INTEGRATION_TOKEN),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["email"], "new@example.com");
    assert_eq!(created["group_id"], 1);
    let id = created["id"].as_u64().expect("id");
    assert!(id >= 100);
    let (_, signed_in) = graphql(
        &sandbox,
        r#"mutation { generateCustomerToken(email: "new@example.com", password: "Secret123!") { token } }"#,
        None,
    )
    .await;
    assert!(
        signed_in["data"]["generateCustomerToken"]["token"].is_string(),
        "{signed_in}"
    );
    let (status, again) = call(&sandbox, "POST", "/rest/V1/customers", None, Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again,
        json!({ "message": "A customer with the same email address already exists in an associated website.", "parameters": [] })
    );
    assert_eq!(
        sandbox.inner.data.customers.all().len(),
        10,
        "nothing else was created"
    );
}

#[tokio::test]
async fn only_a_back_office_caller_creates_a_customer_in_a_group_or_with_a_weak_password_refused() {
    let sandbox = sandbox();
    let wholesale = json!({ "customer": { "email": "w@example.com", "firstname": "W", "lastname": "H", "group_id": 2 } }).to_string();
    let (status, body) = call(
        &sandbox,
        "POST",
        "/rest/V1/customers",
        None,
        Some(wholesale.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["parameters"]["resources"], "Magento_Customer::manage");
    let (status, body) = call(
        &sandbox,
        "POST",
        "/rest/V1/customers",
        Some(INTEGRATION_TOKEN),
        Some(wholesale),
    )
    .await;
    assert_eq!(
        (status, body["group_id"].clone()),
        (StatusCode::OK, json!(2))
    );
    let weak = json!({ "customer": { "email": "weak@example.com", "firstname": "W", "lastname": "K" }, "password": "short" }).to_string();
    let (status, body) = call(&sandbox, "POST", "/rest/V1/customers", None, Some(weak)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "The password needs at least 8 characters. Create a new password and try again."
    );
    let nameless = json!({ "customer": { "email": "x@example.com", "lastname": "K" } }).to_string();
    let (status, body) = call(&sandbox, "POST", "/rest/V1/customers", None, Some(nameless)).await;
    assert_eq!(
        (status, body["parameters"]["fieldName"].clone()),
        (StatusCode::BAD_REQUEST, json!("firstname"))
    );
    assert!(
        sandbox
            .inner
            .data
            .customers
            .by_email("weak@example.com")
            .is_none()
    );
}

#[tokio::test]
async fn put_updates_a_customer_and_refuses_unknown_ids_taken_emails_and_anonymous_callers() {
    let sandbox = sandbox();
    let admin = admin_token(&sandbox).await;
    let change = json!({ "customer": { "email": "rita@example.com", "firstname": "Rita", "lastname": "Lopez-Diaz", "group_id": 2 } }).to_string();
    let (status, body) = call(
        &sandbox,
        "PUT",
        "/rest/default/V1/customers/3",
        None,
        Some(change.clone()),
    )
    .await;
    assert_eq!(
        (status, body["parameters"]["resources"].clone()),
        (StatusCode::UNAUTHORIZED, json!("Magento_Customer::manage"))
    );
    let (status, body) = call(
        &sandbox,
        "PUT",
        "/rest/V1/customers/3",
        Some(&admin),
        Some(change.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["lastname"].clone(), body["group_id"].clone()),
        (json!("Lopez-Diaz"), json!(2))
    );
    let (_, found) = call(&sandbox, "GET", "/rest/V1/customers/3", Some(&admin), None).await;
    assert_eq!(found["email"], "rita@example.com");
    assert!(
        sandbox
            .inner
            .data
            .customers
            .by_email("retailer@example.com")
            .is_none()
    );
    let (status, body) = call(
        &sandbox,
        "PUT",
        "/rest/V1/customers/4242",
        Some(&admin),
        Some(change),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({ "message": "No such entity with %fieldName = %fieldValue", "parameters": { "fieldName": "customerId", "fieldValue": "4242" } })
    );
    let taken = json!({ "customer": { "email": "wholesale@example.com", "firstname": "R", "lastname": "L" } }).to_string();
    let (status, body) = call(
        &sandbox,
        "PUT",
        "/rest/V1/customers/3",
        Some(&admin),
        Some(taken),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "A customer with the same email address already exists in an associated website."
    );
    assert_eq!(
        sandbox
            .inner
            .data
            .customers
            .by_id(3)
            .map(|c| c.email.clone())
            .as_deref(),
        Some("rita@example.com")
    );
}

#[tokio::test]
async fn rest_calls_count_in_the_commerce_call_counters() {
    let sandbox = sandbox();
    admin_token(&sandbox).await;
    call(
        &sandbox,
        "GET",
        &email_search("a@b.c"),
        Some(INTEGRATION_TOKEN),
        None,
    )
    .await;
    let calls = sandbox.calls();
    assert_eq!(calls.total, 2);
    assert_eq!(
        calls.by_root_field.get("REST GET /V1/customers/search"),
        Some(&1)
    );
    assert_eq!(
        calls
            .by_root_field
            .get("REST POST /V1/integration/admin/token"),
        Some(&1)
    );
}

const AS_ADMIN: &str = r#"mutation { generateCustomerTokenAsAdmin(input: { customer_email: "buyer@acme.example" }) { customer_token } }"#;

#[tokio::test]
async fn an_admin_token_mints_a_customer_token_that_signs_the_customer_in() {
    let sandbox = sandbox();
    let admin = admin_token(&sandbox).await;
    let (status, body) = graphql(&sandbox, AS_ADMIN, Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["data"]["generateCustomerTokenAsAdmin"]["customer_token"]
        .as_str()
        .expect("a customer token")
        .to_owned();
    let (_, me) = graphql(&sandbox, "{ customer { email } }", Some(&token)).await;
    assert_eq!(me["data"]["customer"]["email"], "buyer@acme.example");
}

#[tokio::test]
async fn generate_customer_token_as_admin_refuses_integrations_customers_guests_and_unknown_emails()
{
    let sandbox = sandbox();
    let customer = sandbox
        .customer_token("roni_cost@example.com")
        .expect("token");
    for token in [Some(INTEGRATION_TOKEN), Some(customer.as_str()), None] {
        let (status, body) = graphql(&sandbox, AS_ADMIN, token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["data"]["generateCustomerTokenAsAdmin"], Value::Null);
        assert_eq!(
            body["errors"][0]["message"],
            "The current customer isn't authorized."
        );
        assert_eq!(
            body["errors"][0]["extensions"]["category"],
            "graphql-authorization"
        );
    }
    let admin = admin_token(&sandbox).await;
    let unknown = AS_ADMIN.replace("buyer@acme.example", "nobody@example.com");
    let (_, body) = graphql(&sandbox, &unknown, Some(&admin)).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Customer email provided does not exist"
    );
    assert_eq!(body["errors"][0]["extensions"]["category"], "graphql-input");
    let blank = AS_ADMIN.replace("buyer@acme.example", " ");
    let (_, body) = graphql(&sandbox, &blank, Some(&admin)).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Specify the \"customer email\" value."
    );
}
