//! The REST admin subset through the router, and `generateCustomerTokenAsAdmin`, whose admin
//! token comes from it.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::demo::{ADMIN_USER, INTEGRATION_TOKEN};
use crate::{Sandbox, SandboxConfig};

pub(super) fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 20,
        categories: 5,
        order_stream: false,
        ..SandboxConfig::default()
    })
}

pub(super) async fn call(
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

pub(super) async fn graphql(
    sandbox: &Sandbox,
    query: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
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

/// Adobe's Swagger for these routes (see the reference folder's README).
const SWAGGER: &str = include_str!(
    "../../../crates/commerce-schema/reference/adobe-commerce-rest-2.4.9-admin.customers-subset.json"
);

/// Whether `value` fits `schema`: declared types, no undeclared object members, required
/// members present. A description of the answer, not of every value Commerce would accept.
fn conforms(value: &Value, schema: &Value, definitions: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return conforms(value, &definitions[name], definitions, at);
    }
    match (schema["type"].as_str(), value) {
        (Some("object") | None, Value::Object(members)) => {
            for (key, member) in members {
                let declared = &schema["properties"][key];
                if declared.is_null() {
                    return Err(format!("{at}.{key} is not declared"));
                }
                conforms(member, declared, definitions, &format!("{at}.{key}"))?;
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                let key = required.as_str().unwrap_or_default();
                if !members.contains_key(key) {
                    return Err(format!("{at}.{key} is required"));
                }
            }
            Ok(())
        }
        (Some("array"), Value::Array(items)) => {
            items.iter().enumerate().try_for_each(|(i, item)| {
                conforms(item, &schema["items"], definitions, &format!("{at}[{i}]"))
            })
        }
        (Some("string"), Value::String(_))
        | (Some("boolean"), Value::Bool(_))
        | (Some("number"), Value::Number(_)) => Ok(()),
        (Some("integer"), Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        (expected, value) => Err(format!("{at} is {value}, the Swagger says {expected:?}")),
    }
}

fn response_schema(swagger: &Value, path: &str, method: &str, status: &str) -> Value {
    swagger["paths"][path][method]["responses"][status]["schema"].clone()
}

#[tokio::test]
async fn rest_answers_match_adobes_swagger() {
    let swagger: Value = serde_json::from_str(SWAGGER).expect("the bundled Swagger is JSON");
    let definitions = &swagger["definitions"];
    let sandbox = sandbox();
    let admin = admin_token(&sandbox).await;
    let token_schema = response_schema(&swagger, "/V1/integration/admin/token", "post", "200");
    conforms(
        &Value::String(admin.clone()),
        &token_schema,
        definitions,
        "token",
    )
    .expect("token");

    let body = json!({ "customer": { "email": "c@example.com", "firstname": "C", "lastname": "D", "dob": "1990-01-02", "gender": 1 }, "password": "Secret123!" });
    let (_, created) = call(
        &sandbox,
        "POST",
        "/rest/V1/customers",
        Some(&admin),
        Some(body.to_string()),
    )
    .await;
    let schema = response_schema(&swagger, "/V1/customers", "post", "200");
    conforms(&created, &schema, definitions, "created").expect("created customer");

    let address = crate::customers::Address {
        firstname: "Bugs".into(),
        lastname: "Bunny".into(),
        street: vec!["1 Acme Way".into()],
        city: "Austin".into(),
        region: Some((57, Some("TX".into()), "Texas".into())),
        postcode: "73301".into(),
        country_code: "US".into(),
        telephone: "555-0100".into(),
        company: Some("Acme Corp".into()),
        ..Default::default()
    };
    let defaults = crate::customers::Defaults {
        billing: Some(true),
        shipping: Some(true),
    };
    let address_id = sandbox
        .inner
        .data
        .customers
        .add_address(5, address, defaults)
        .expect("address");
    let (_, b2b) = call(&sandbox, "GET", "/rest/V1/customers/5", Some(&admin), None).await;
    let schema = response_schema(&swagger, "/V1/customers/{customerId}", "get", "200");
    conforms(&b2b, &schema, definitions, "company user").expect("company user");
    assert_eq!(
        b2b["extension_attributes"]["company_attributes"]["company_id"],
        1
    );
    assert_eq!(b2b["default_billing"], address_id.to_string());
    assert_eq!(b2b["addresses"][0]["region"]["region_code"], "TX");

    let search = format!(
        "{}&searchCriteria[sortOrders][0][field]=email&searchCriteria[pageSize]=5",
        email_search("%25example.com").replace("=eq", "=like")
    );
    let (_, found) = call(&sandbox, "GET", &search, Some(&admin), None).await;
    let schema = response_schema(&swagger, "/V1/customers/search", "get", "200");
    conforms(&found, &schema, definitions, "search").expect("search results");
    let mut undeclared = found.clone();
    undeclared["items"][0]["nickname"] = json!("x");
    assert!(
        conforms(&undeclared, &schema, definitions, "search").is_err(),
        "the check can fail"
    );
    assert_eq!(found["items"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        found["total_count"], 4,
        "roni, wholesale, retailer and the new account"
    );
    assert_eq!(
        found["items"][0]["email"], "c@example.com",
        "sorted by email"
    );

    let (_, refused) = call(&sandbox, "GET", "/rest/V1/customers/5", None, None).await;
    let error = &definitions["error-response"];
    // The Swagger lists `parameters` as an array; Commerce sends named placeholders' values as
    // one object of the item's shape (and `[]` when there are none), which the sandbox mirrors.
    let mut shaped = refused.clone();
    shaped["parameters"] = json!([refused["parameters"]]);
    conforms(&shaped, error, definitions, "error").expect("error response");
}

#[tokio::test]
async fn a_commerce_that_is_down_is_down_for_rest_too() {
    let sandbox = sandbox();
    sandbox.set_faults(crate::Faults {
        down: true,
        ..crate::Faults::default()
    });
    let (status, _) = call(
        &sandbox,
        "GET",
        &email_search("a@b.c"),
        Some(INTEGRATION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    sandbox.set_faults(crate::Faults::default());
    let (status, _) = call(
        &sandbox,
        "GET",
        &email_search("a@b.c"),
        Some(INTEGRATION_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
