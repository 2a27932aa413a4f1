//! Resolvers end to end: GraphQL documents through the router, answers checked the way a
//! storefront (or the BFF) reads them.

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{Faults, Sandbox, SandboxConfig};

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 400,
        ..SandboxConfig::default()
    })
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn data(&self) -> &Value {
        &self.body["data"]
    }

    fn error(&self) -> (&str, &str) {
        let error = &self.body["errors"][0];
        (
            error["message"].as_str().unwrap_or_default(),
            error["extensions"]["category"].as_str().unwrap_or_default(),
        )
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn send(sandbox: &Sandbox, request: Request<Body>) -> Answer {
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

async fn post(
    sandbox: &Sandbox,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    send(sandbox, request.body(Body::from(body)).expect("request")).await
}

async fn get(sandbox: &Sandbox, query: &str, headers: &[(&str, &str)]) -> Answer {
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut request = Request::get(format!("/graphql?query={encoded}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(sandbox, request.body(Body::empty()).expect("request")).await
}

async fn token(sandbox: &Sandbox, email: &str, password: &str) -> String {
    let answer = post(
        sandbox,
        "mutation($e: String!, $p: String!) { generateCustomerToken(email: $e, password: $p) { token } }",
        json!({ "e": email, "p": password }),
        &[],
    )
    .await;
    answer.data()["generateCustomerToken"]["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

const PRODUCT_FIELDS: &str = "
    __typename uid id sku name url_key url_suffix stock_status
    description { html }
    price_range {
        minimum_price { regular_price { value currency } final_price { value currency } discount { amount_off percent_off } }
        maximum_price { final_price { value } }
    }
    image { url label }
    media_gallery { __typename url position }
    categories { uid name url_path }
    ... on ConfigurableProduct {
        configurable_options { attribute_code label values { uid value_index label swatch_data { __typename value } } }
        variants { attributes { code value_index } product { sku stock_status price_range { minimum_price { final_price { value } } } } }
    }";

#[tokio::test]
async fn products_search_pages_and_describes_products_in_adobes_shape() {
    let sandbox = sandbox();
    let query = format!(
        "{{ products(search: \"jacket\", pageSize: 5) {{ total_count page_info {{ page_size current_page total_pages }}
            sort_fields {{ default options {{ value label }} }} items {{ {PRODUCT_FIELDS} }} }} }}"
    );
    let answer = post(&sandbox, &query, json!({}), &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let products = &answer.data()["products"];
    let total = products["total_count"].as_u64().expect("total");
    assert!(total > 0);
    assert_eq!(products["page_info"]["page_size"], 5);
    assert_eq!(products["page_info"]["total_pages"], total.div_ceil(5));
    assert_eq!(products["sort_fields"]["default"], "relevance");
    let items = products["items"].as_array().expect("items");
    assert!(!items.is_empty() && items.len() <= 5);
    for item in items {
        assert!(item["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert_eq!(
            item["uid"],
            crate::uid::encode_id(item["id"].as_u64().expect("id") as u32)
        );
        assert_eq!(item["url_suffix"], ".html");
        assert_eq!(
            item["price_range"]["minimum_price"]["final_price"]["currency"],
            "USD"
        );
        assert!(
            item["image"]["url"]
                .as_str()
                .is_some_and(|u| u.contains("/media/catalog/product/"))
        );
        assert_eq!(item["media_gallery"][0]["__typename"], "ProductImage");
        assert!(
            !item["categories"]
                .as_array()
                .expect("categories")
                .is_empty()
        );
        if item["__typename"] == "ConfigurableProduct" {
            let options = item["configurable_options"].as_array().expect("options");
            assert_eq!(options[0]["attribute_code"], "color");
            assert_eq!(
                options[0]["values"][0]["swatch_data"]["__typename"],
                "ColorSwatchData"
            );
            let variants = item["variants"].as_array().expect("variants");
            assert!(
                variants[0]["product"]["sku"]
                    .as_str()
                    .expect("sku")
                    .starts_with(item["sku"].as_str().expect("sku"))
            );
        }
    }
}

#[tokio::test]
async fn paging_errors_are_commerces() {
    let sandbox = sandbox();
    let answer = post(
        &sandbox,
        "{ products(filter: {}, pageSize: 200, currentPage: 5) { total_count } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.error(),
        (
            "currentPage value 5 specified is greater than the 2 page(s) available.",
            "graphql-input"
        )
    );
    assert_eq!(
        answer.body["errors"][0]["path"],
        json!(["products"]),
        "{}",
        answer.body
    );
    let answer = post(
        &sandbox,
        "{ products(filter: {}, pageSize: 0) { total_count } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(
        answer.error(),
        ("pageSize value must be greater than 0.", "graphql-input")
    );
    let answer = post(&sandbox, "{ products { total_count } }", json!({}), &[]).await;
    assert_eq!(
        answer.error(),
        (
            "'search' or 'filter' input argument is required.",
            "graphql-input"
        )
    );
}

#[tokio::test]
async fn aggregations_count_every_match_and_narrow_to_direct_children_on_request() {
    let sandbox = sandbox();
    let query = "query($id: String) { products(filter: { category_id: { eq: $id } }, pageSize: 2) {
        total_count
        aggregations(filter: { category: { includeDirectChildrenOnly: true } }) {
            attribute_code label count position options { label value count }
        }
    } }";
    let answer = post(&sandbox, query, json!({ "id": "3" }), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let products = &answer.data()["products"];
    let total = products["total_count"].as_u64().expect("total");
    let aggregations = products["aggregations"].as_array().expect("aggregations");
    let price = aggregations
        .iter()
        .find(|a| a["attribute_code"] == "price")
        .expect("price");
    let counted: u64 = price["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(counted, total);
    let categories = aggregations
        .iter()
        .find(|a| a["attribute_code"] == "category_uid")
        .expect("categories");
    let labels: Vec<&str> = categories["options"]
        .as_array()
        .expect("options")
        .iter()
        .filter_map(|o| o["label"].as_str())
        .collect();
    assert_eq!(labels, ["Tops", "Bottoms"]);
    assert_eq!(categories["count"], 2);
}

#[tokio::test]
async fn category_trees_nest_and_list_their_products() {
    let sandbox = sandbox();
    let query = "{ categories { total_count items { id name level children { name url_path level
        children { name breadcrumbs { category_name category_level }
            products(pageSize: 3, sort: { price: ASC }) { total_count items { sku price_range { minimum_price { final_price { value } } } } }
        } } } } }";
    let answer = post(&sandbox, query, json!({}), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let root = &answer.data()["categories"]["items"][0];
    assert_eq!(root["id"], 2);
    assert_eq!(root["name"], "Default Category");
    let women = &root["children"][0];
    assert_eq!(
        (
            women["name"].as_str(),
            women["url_path"].as_str(),
            women["level"].as_u64()
        ),
        (Some("Women"), Some("women"), Some(2))
    );
    let tops = &women["children"][0];
    assert_eq!(
        tops["breadcrumbs"],
        json!([{ "category_name": "Women", "category_level": 2 }])
    );
    let prices: Vec<f64> = tops["products"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["price_range"]["minimum_price"]["final_price"]["value"].as_f64())
        .collect();
    assert!(!prices.is_empty());
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");

    let answer = post(&sandbox, "{ categoryList(filters: { url_key: { eq: \"jackets-men\" } }) { url_path product_count } }", json!({}), &[]).await;
    assert_eq!(
        answer.data()["categoryList"][0]["url_path"],
        "men/tops-men/jackets-men"
    );
    let answer = post(&sandbox, "{ category(id: 99999) { name } }", json!({}), &[]).await;
    assert_eq!(
        answer.error(),
        ("Category doesn't exist", "graphql-no-such-entity")
    );
}

#[tokio::test]
async fn routes_resolve_products_categories_and_pages() {
    let sandbox = sandbox();
    let key = post(
        &sandbox,
        "{ products(filter: {}, pageSize: 1) { items { url_key sku } } }",
        json!({}),
        &[],
    )
    .await;
    let item = &key.data()["products"]["items"][0];
    let url = format!("/{}.html", item["url_key"].as_str().expect("url key"));
    let query = "query($u: String!) { route(url: $u) { __typename relative_url redirect_code type ... on ProductInterface { sku } ... on CategoryInterface { name } ... on CmsPage { title } } }";
    let answer = post(&sandbox, query, json!({ "u": url }), &[]).await;
    assert_eq!(answer.data()["route"]["sku"], item["sku"]);
    assert_eq!(answer.data()["route"]["type"], "PRODUCT");
    let answer = post(
        &sandbox,
        query,
        json!({ "u": "women/tops-women.html" }),
        &[],
    )
    .await;
    assert_eq!(answer.data()["route"]["__typename"], "CategoryTree");
    assert_eq!(
        answer.data()["route"]["relative_url"],
        "women/tops-women.html"
    );
    let answer = post(&sandbox, query, json!({ "u": "/" }), &[]).await;
    assert_eq!(answer.data()["route"]["title"], "Home Page");
    let answer = post(&sandbox, query, json!({ "u": "nowhere.html" }), &[]).await;
    assert_eq!(answer.data()["route"], Value::Null);
    assert!(answer.body.get("errors").is_none());
    let answer = post(
        &sandbox,
        "{ urlResolver(url: \"about-us\") { type relative_url entity_uid } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(answer.data()["urlResolver"]["type"], "CMS_PAGE");
}

#[tokio::test]
async fn store_and_currency_headers_scope_prices_and_configuration() {
    let sandbox = sandbox();
    let query = "{ storeConfig { store_code base_currency_code locale } currency { base_currency_code available_currency_codes }
        products(filter: { sku: { eq: \"WJ01\" } }) { items { price_range { minimum_price { final_price { value currency } } } } } }";
    let usd = post(&sandbox, query, json!({}), &[]).await;
    let eur = post(&sandbox, query, json!({}), &[("Content-Currency", "EUR")]).await;
    let de = post(&sandbox, query, json!({}), &[("Store", "de")]).await;
    let price = |a: &Answer| {
        a.data()["products"]["items"][0]["price_range"]["minimum_price"]["final_price"].clone()
    };
    let dollars = price(&usd)["value"].as_f64().expect("price");
    assert_eq!(price(&eur)["currency"], "EUR");
    assert_eq!(
        price(&eur)["value"].as_f64(),
        Some((dollars * 92.0).round() / 100.0)
    );
    assert_eq!(de.data()["storeConfig"]["store_code"], "de");
    assert_eq!(de.data()["storeConfig"]["locale"], "de_DE");
    assert_eq!(
        de.data()["currency"]["available_currency_codes"],
        json!(["EUR"])
    );
    assert_eq!(price(&de)["currency"], "EUR");
    assert_ne!(
        usd.header("x-magento-cache-id"),
        eur.header("x-magento-cache-id")
    );
    assert_ne!(
        usd.header("x-magento-cache-id"),
        de.header("x-magento-cache-id")
    );

    let unknown = post(&sandbox, query, json!({}), &[("Store", "fr")]).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(
        unknown.error(),
        ("Requested store is not found", "graphql-input")
    );
    let refused = post(
        &sandbox,
        query,
        json!({}),
        &[("Store", "de"), ("Content-Currency", "USD")],
    )
    .await;
    assert_eq!(
        refused.error(),
        ("Please correct the target currency", "graphql-input")
    );
}

#[tokio::test]
async fn customer_groups_see_their_own_prices_and_private_cache_headers() {
    let sandbox = sandbox();
    let query = "{ products(filter: { sku: { eq: \"WJ01\" } }) { items { price_range { minimum_price { final_price { value } } } } } }";
    let final_price = |a: &Answer| {
        a.data()["products"]["items"][0]["price_range"]["minimum_price"]["final_price"]["value"]
            .as_f64()
    };
    let guest = get(&sandbox, query, &[]).await;
    let wholesale = token(&sandbox, "wholesale@example.com", "Wholesale123!").await;
    let retailer = token(&sandbox, "retailer@example.com", "Retailer123!").await;
    let general = token(&sandbox, "roni_cost@example.com", "roni_cost3@example.com").await;
    let as_wholesale = get(
        &sandbox,
        query,
        &[("Authorization", &format!("Bearer {wholesale}"))],
    )
    .await;
    let as_retailer = get(
        &sandbox,
        query,
        &[("Authorization", &format!("Bearer {retailer}"))],
    )
    .await;
    let as_general = get(
        &sandbox,
        query,
        &[("Authorization", &format!("Bearer {general}"))],
    )
    .await;
    let guest_price = final_price(&guest).expect("guest price");
    assert!(
        final_price(&as_wholesale).expect("wholesale price")
            < final_price(&as_retailer).expect("retailer price")
    );
    assert!(final_price(&as_retailer).expect("retailer price") < guest_price);
    assert_eq!(final_price(&as_general), Some(guest_price));

    assert!(
        guest.header("cache-control").contains("public"),
        "{:?}",
        guest.headers
    );
    assert!(as_wholesale.header("cache-control").starts_with("no-store"));
    assert_eq!(as_wholesale.header("x-magento-tags"), "");
    let ids = [&guest, &as_wholesale, &as_retailer, &as_general]
        .map(|a| a.header("x-magento-cache-id").to_owned());
    assert!(ids.iter().all(|id| id.len() == 64));
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        4
    );
    assert_eq!(
        Some(ids[1].clone()),
        sandbox.cache_id("default", "USD", crate::CustomerGroup::Wholesale)
    );
}

#[tokio::test]
async fn sign_in_errors_and_bad_tokens_are_answered_as_commerce_does() {
    let sandbox = sandbox();
    let answer = post(&sandbox, "mutation { generateCustomerToken(email: \"wholesale@example.com\", password: \"nope\") { token } }", json!({}), &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.error().1, "graphql-authentication");
    let answer = post(
        &sandbox,
        "{ storeConfig { store_code } }",
        json!({}),
        &[("Authorization", "Bearer not-a-token")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.error(),
        ("Failed to read JWT token", "graphql-authentication")
    );
    let answer = post(&sandbox, "{ customer { email } }", json!({}), &[]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.error(),
        (
            "The current customer isn't authorized.",
            "graphql-authorization"
        )
    );

    let token = token(&sandbox, "retailer@example.com", "Retailer123!").await;
    let bearer = format!("Bearer {token}");
    let me = post(
        &sandbox,
        "{ customer { email firstname } customerGroup { uid } }",
        json!({}),
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(me.data()["customer"]["email"], "retailer@example.com");
    assert_eq!(me.data()["customerGroup"]["uid"], crate::uid::encode_id(3));
    let revoked = post(
        &sandbox,
        "mutation { revokeCustomerToken { result } }",
        json!({}),
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(revoked.data()["revokeCustomerToken"]["result"], true);
    let after = post(
        &sandbox,
        "{ customer { email } }",
        json!({}),
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(
        after.error(),
        ("User token has been revoked", "graphql-authentication")
    );
}

#[tokio::test]
async fn a_login_response_carries_the_new_customers_cache_identity() {
    let sandbox = sandbox();
    let answer = post(&sandbox, "mutation { generateCustomerToken(email: \"wholesale@example.com\", password: \"Wholesale123!\") { token } }", json!({}), &[]).await;
    assert_eq!(
        Some(answer.header("x-magento-cache-id").to_owned()),
        sandbox.cache_id("default", "USD", crate::CustomerGroup::Wholesale)
    );
}

#[tokio::test]
async fn cacheable_gets_carry_the_tags_of_their_entities() {
    let sandbox = sandbox();
    let answer = get(&sandbox, "{ products(filter: { sku: { in: [\"WJ01\", \"MJ01\"] } }) { items { id } } cmsPage(identifier: \"home\") { title } }", &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let ids: Vec<u64> = answer.data()["products"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_u64())
        .collect();
    assert_eq!(ids.len(), 2);
    let tags: Vec<&str> = answer.header("x-magento-tags").split(',').collect();
    assert_eq!(tags[0], "cat_p");
    for id in ids {
        assert!(tags.contains(&format!("cat_p_{id}").as_str()), "{tags:?}");
    }
    assert!(tags.contains(&"cms_p_2"));
    assert_eq!(
        answer.header("cache-control"),
        "max-age=86400, public, s-maxage=86400"
    );

    let post_answer = post(
        &sandbox,
        "{ cmsPage(identifier: \"home\") { title } }",
        json!({}),
        &[],
    )
    .await;
    assert!(post_answer.header("cache-control").starts_with("no-store"));
    let mixed = get(
        &sandbox,
        "{ cmsPage(identifier: \"home\") { title } customerGroup { uid } }",
        &[],
    )
    .await;
    assert!(mixed.header("cache-control").starts_with("no-store"));
    let empty = get(
        &sandbox,
        "{ products(search: \"zzzqqq\") { total_count } }",
        &[],
    )
    .await;
    assert!(
        empty.header("cache-control").starts_with("no-store"),
        "no tags, no caching"
    );
    let mutation = get(&sandbox, "mutation { revokeCustomerToken { result } }", &[]).await;
    assert_eq!(
        mutation.error(),
        (
            "Mutation requests allowed only for POST requests",
            "graphql-input"
        )
    );
}

#[tokio::test]
async fn fields_the_sandbox_does_not_emulate_say_so() {
    let sandbox = sandbox();
    let answer = post(
        &sandbox,
        "{ compareList(uid: \"abc\") { uid } storeConfig { store_code } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(
        answer.error(),
        (
            "The sandbox does not emulate the `compareList` query yet.",
            "graphql-no-such-entity"
        )
    );
    assert_eq!(answer.data()["storeConfig"]["store_code"], "default");
    let answer = post(
        &sandbox,
        "mutation { clearCart(input: { uid: \"abc\" }) { cart { id } } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(
        answer.error().0,
        "The sandbox does not emulate the `clearCart` mutation yet."
    );
}

/// graphql-js's `getIntrospectionQuery()`, as the BFF and GraphiQL send it.
const INTROSPECTION_QUERY: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name }
    subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
  fragment FullType on __Type { kind name description
    fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
    inputFields { ...InputValue } interfaces { ...TypeRef }
    enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
  fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
  fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";

#[tokio::test]
async fn introspection_returns_adobes_whole_schema() {
    let sandbox = sandbox();
    let answer = post(&sandbox, INTROSPECTION_QUERY, json!({}), &[]).await;
    assert!(
        answer.body.get("errors").is_none(),
        "{}",
        answer.body["errors"]
    );
    let schema = &answer.data()["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    let types = schema["types"].as_array().expect("types");
    assert!(types.len() > 800, "{}", types.len());
    let product = types
        .iter()
        .find(|t| t["name"] == "ProductInterface")
        .expect("ProductInterface");
    let id = product["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "id")
        .expect("id");
    assert_eq!(id["isDeprecated"], true);
    let query = types.iter().find(|t| t["name"] == "Query").expect("Query");
    assert!(query["fields"].as_array().is_some_and(|f| f.len() > 50));
}

#[tokio::test]
async fn invalid_requests_get_commerces_statuses() {
    let sandbox = sandbox();
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .expect("request");
    let answer = send(&sandbox, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.error(),
        ("Syntax Error: Unable to parse the request.", "graphql")
    );
    let answer = post(&sandbox, "{ products(", json!({}), &[]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = post(&sandbox, "{ nope }", json!({}), &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.error().1, "graphql");
    let answer = post(
        &sandbox,
        "query($n: Int!) { products(filter: {}, pageSize: $n) { total_count } }",
        json!({ "n": "many" }),
        &[],
    )
    .await;
    assert_eq!(answer.error().1, "graphql");
}

#[tokio::test]
async fn cms_and_directory_queries_answer_and_fail_like_commerce() {
    let sandbox = sandbox();
    let answer = post(&sandbox, "{ cmsBlocks(identifiers: [\"home-promo\", \"1\"]) { items { identifier title } } countries { id } country(id: \"DE\") { full_name_english available_regions { code } } }", json!({}), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    assert_eq!(
        answer.data()["cmsBlocks"]["items"][1]["identifier"],
        "footer-links"
    );
    assert_eq!(answer.data()["country"]["full_name_english"], "Germany");
    let answer = post(
        &sandbox,
        "{ cmsPage(identifier: \"missing\") { title } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(
        answer.error(),
        (
            "The CMS page with the \"missing\" ID doesn't exist.",
            "graphql-no-such-entity"
        )
    );
    let answer = post(
        &sandbox,
        "{ cmsBlocks(identifiers: []) { items { title } } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(answer.error().1, "graphql-input");
    let answer = post(&sandbox, "{ country(id: \"XX\") { id } }", json!({}), &[]).await;
    assert_eq!(
        answer.error(),
        (
            "Requested country is not available.",
            "graphql-no-such-entity"
        )
    );
    let answer = post(
        &sandbox,
        "{ availableStores { store_code } }",
        json!({}),
        &[("Store", "de")],
    )
    .await;
    assert_eq!(
        answer.data()["availableStores"],
        json!([{ "store_code": "de" }])
    );
}

#[tokio::test]
async fn option_selection_narrows_to_a_variant() {
    let sandbox = sandbox();
    let query =
        "{ products(filter: { sku: { eq: \"WJ01\" } }) { items { ... on ConfigurableProduct {
        configurable_options { attribute_code values { uid } } } } } }";
    let answer = post(&sandbox, query, json!({}), &[]).await;
    let item = &answer.data()["products"]["items"][0];
    assert!(
        item["configurable_options"].is_array(),
        "women's jackets are configurable: {item}"
    );
    let first = |code: &str| {
        item["configurable_options"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["attribute_code"] == code))
            .map(|o| o["values"][0]["uid"].clone())
            .expect("value")
    };
    let chosen = json!([first("color"), first("size")]);
    let query = "query($uids: [ID!]) { products(filter: { sku: { eq: \"WJ01\" } }) { items { ... on ConfigurableProduct {
        configurable_product_options_selection(configurableOptionValueUids: $uids) {
            variant { sku } options_available_for_selection { attribute_code option_value_uids }
            configurable_options { attribute_code values { uid is_available } } media_gallery { url }
        } } } } }";
    let answer = post(&sandbox, query, json!({ "uids": chosen }), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let selection =
        &answer.data()["products"]["items"][0]["configurable_product_options_selection"];
    assert!(
        selection["variant"]["sku"]
            .as_str()
            .expect("variant")
            .starts_with("WJ01-")
    );
}

#[tokio::test]
async fn calls_are_counted_per_root_field_once_per_request() {
    let sandbox = sandbox();
    post(&sandbox, "{ a: products(filter: {}) { total_count } b: products(search: \"x\") { total_count } storeConfig { id } }", json!({}), &[]).await;
    post(
        &sandbox,
        "query Q { ...Root } fragment Root on Query { products(filter: {}) { total_count } }",
        json!({}),
        &[],
    )
    .await;
    post(&sandbox, "{ broken", json!({}), &[]).await;
    let calls = sandbox.calls();
    assert_eq!(calls.total, 3);
    assert_eq!(calls.of("products"), 2);
    assert_eq!(calls.of("storeConfig"), 1);
    let admin = send(
        &sandbox,
        Request::get("/admin/calls")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(admin.body["by_root_field"]["products"], 2);
    let reset = send(
        &sandbox,
        Request::post("/admin/calls/reset")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(sandbox.calls().total, 0);
}

#[tokio::test]
async fn faults_make_the_upstream_sick() {
    let sandbox = sandbox();
    let put = |body: &str| {
        Request::put("/admin/faults")
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .expect("request")
    };
    let answer = send(&sandbox, put(r#"{"down": true}"#)).await;
    assert_eq!(answer.body["down"], true);
    let down = post(&sandbox, "{ storeConfig { id } }", json!({}), &[]).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        down.body
            .as_str()
            .is_some_and(|b| b.contains("Backend fetch failed"))
    );
    assert_eq!(
        sandbox.calls().total,
        1,
        "a call to a down upstream still arrives"
    );

    sandbox.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    for _ in 0..4 {
        let sick = post(&sandbox, "{ storeConfig { id } }", json!({}), &[]).await;
        assert!(matches!(sick.status.as_u16(), 500 | 503), "{}", sick.status);
        assert!(sick.body.is_string(), "not a GraphQL body");
    }
    let invalid = send(&sandbox, put(r#"{"error_rate": 2}"#)).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sandbox.faults().error_rate, 1.0);

    sandbox.set_faults(Faults {
        database_error: true,
        ..Faults::default()
    });
    let broken = post(&sandbox, "{ storeConfig { id } }", json!({}), &[]).await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        broken.body["errors"][0]["extensions"]["category"],
        "internal"
    );
    assert!(
        broken.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("db-primary")),
        "{}",
        broken.body
    );

    sandbox.set_faults(Faults {
        latency_ms: 30,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let slow = post(&sandbox, "{ storeConfig { id } }", json!({}), &[]).await;
    assert_eq!(slow.status, StatusCode::OK);
    assert!(started.elapsed() >= std::time::Duration::from_millis(30));
    let faults = send(
        &sandbox,
        Request::get("/admin/faults")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(faults.body["latency_ms"], 30);
}

#[tokio::test]
async fn a_spawned_sandbox_serves_on_its_port_until_shut_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let handle = sandbox()
        .spawn(([127, 0, 0, 1], 0).into())
        .await
        .expect("binds");
    assert!(handle.graphql_url().starts_with("http://127.0.0.1:"));
    let mut stream = tokio::net::TcpStream::connect(handle.addr)
        .await
        .expect("connects");
    stream
        .write_all(b"GET /graphql?query=%7BstoreConfig%7Bbase_media_url%7D%7D HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
        .await
        .expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("reads");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(&format!("{}media/", handle.base_url())),
        "{response}"
    );
    let addr = handle.addr;
    handle.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Every leaf field of `type_name` (those needing no arguments), as a selection.
fn leaf_selection(type_name: &str) -> String {
    let sdl = commerce_schema::Sdl::bundled();
    sdl.fields(type_name)
        .iter()
        .filter(|f| sdl.shape(&f.node.ty.node).kind == commerce_schema::ShapeKind::Leaf)
        .filter(|f| {
            f.node
                .arguments
                .iter()
                .all(|a| a.node.ty.node.nullable || a.node.default_value.is_some())
        })
        .map(|f| f.node.name.node.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn every_leaf_field_of_the_emulated_types_resolves_with_its_declared_type() {
    let sandbox = sandbox();
    let cases = [
        format!(
            "{{ storeConfig {{ {} }} availableStores {{ store_code }} }}",
            leaf_selection("StoreConfig")
        ),
        format!(
            "{{ products(filter: {{ sku: {{ in: [\"WJ01\", \"24-MB01\"] }} }}) {{ items {{
                ... on SimpleProduct {{ {} }}
                ... on ConfigurableProduct {{ {} variants {{ product {{ {} }} }} }} }} }} }}",
            leaf_selection("SimpleProduct"),
            leaf_selection("ConfigurableProduct"),
            leaf_selection("SimpleProduct")
        ),
        format!(
            "{{ categories {{ items {{ {} children {{ {} }} }} }} }}",
            leaf_selection("CategoryTree"),
            leaf_selection("CategoryTree")
        ),
        format!(
            "{{ cmsPage(identifier: \"home\") {{ {} }} }}",
            leaf_selection("CmsPage")
        ),
        format!(
            "{{ currency {{ {} exchange_rates {{ {} }} }} }}",
            leaf_selection("Currency"),
            leaf_selection("ExchangeRate")
        ),
        format!(
            "{{ countries {{ {} available_regions {{ {} }} }} }}",
            leaf_selection("Country"),
            leaf_selection("Region")
        ),
        format!(
            "{{ urlResolver(url: \"women.html\") {{ {} }} }}",
            leaf_selection("EntityUrl")
        ),
    ];
    for query in cases {
        let answer = post(&sandbox, &query, json!({}), &[]).await;
        assert!(
            answer.body.get("errors").is_none(),
            "{query}\n{}",
            answer.body["errors"]
        );
    }
}

mod account;
mod b2b;
mod cart_addresses;
mod cart_types;
mod carts;
mod directives;
mod types;
mod wishlist_cart;
