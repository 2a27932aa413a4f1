//! B2B companies and the customer's cart, through `/graphql`.

use super::*;
use crate::demo;

async fn login(sandbox: &Sandbox, (email, password): (&str, &str)) -> String {
    format!("Bearer {}", token(sandbox, email, password).await)
}

#[tokio::test]
async fn company_users_see_their_company_and_the_id_the_cpq_expects() {
    let sandbox = sandbox();
    let query = "{ company { id name legal_name email legal_address { city country_code }
        credit { credit_limit { value currency } } company_admin { email } }
        customer { email firstname lastname job_title companies { items { id name } } } }";
    let acme = login(&sandbox, demo::ACME_BUYER).await;
    let answer = post(&sandbox, query, json!({}), &[("Authorization", &acme)]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let company = &answer.data()["company"];
    assert_eq!(company["id"], demo::ACME_COMPANY_ID);
    assert_eq!(company["name"], "Acme Corp");
    assert_eq!(company["legal_name"], "Acme Corporation Inc.");
    assert_eq!(company["email"], "purchasing@acme.example");
    assert_eq!(company["company_admin"]["email"], demo::ACME_ADMIN.0);
    let customer = &answer.data()["customer"];
    assert_eq!(customer["email"], demo::ACME_BUYER.0);
    assert_eq!(customer["firstname"], "Bugs");
    assert_eq!(
        customer["companies"]["items"][0]["id"],
        demo::ACME_COMPANY_ID
    );

    let globex = login(&sandbox, demo::GLOBEX_BUYER).await;
    let answer = post(
        &sandbox,
        "{ company { id name } }",
        json!({}),
        &[("Authorization", &globex)],
    )
    .await;
    assert_eq!(answer.data()["company"]["id"], demo::GLOBEX_COMPANY_ID);
    let hooli = login(&sandbox, demo::UNKNOWN_TO_CPQ_BUYER).await;
    let answer = post(
        &sandbox,
        "{ company { id } }",
        json!({}),
        &[("Authorization", &hooli)],
    )
    .await;
    assert_eq!(
        answer.data()["company"]["id"],
        demo::UNKNOWN_TO_CPQ_COMPANY_ID
    );
}

#[tokio::test]
async fn a_customer_without_a_company_gets_null_and_a_guest_is_refused() {
    let sandbox = sandbox();
    let roni = login(
        &sandbox,
        ("roni_cost@example.com", "roni_cost3@example.com"),
    )
    .await;
    let answer = post(
        &sandbox,
        "{ company { id } customer { companies { items { id } } } }",
        json!({}),
        &[("Authorization", &roni)],
    )
    .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    assert_eq!(answer.data()["company"], Value::Null);
    assert_eq!(answer.data()["customer"]["companies"]["items"], json!([]));
    let guest = post(&sandbox, "{ company { id } }", json!({}), &[]).await;
    assert_eq!(guest.status, StatusCode::FORBIDDEN);
    assert_eq!(guest.error().1, "graphql-authorization");
    assert_eq!(guest.data()["company"], Value::Null);
}

#[tokio::test]
async fn acme_and_globex_share_a_cache_identity_that_initech_does_not() {
    let sandbox = sandbox();
    let mut ids = Vec::new();
    for buyer in [demo::ACME_BUYER, demo::GLOBEX_BUYER, demo::INITECH_BUYER] {
        let auth = login(&sandbox, buyer).await;
        let answer = post(
            &sandbox,
            "{ customer { email } }",
            json!({}),
            &[("Authorization", &auth)],
        )
        .await;
        ids.push(answer.header("x-magento-cache-id").to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
}

const CART_FIELDS: &str = "id total_quantity email
    prices { grand_total { value currency } subtotal_excluding_tax { value } }
    items { __typename uid quantity
        product { __typename sku name stock_status price_range { minimum_price { final_price { value } } } }
        prices { price { value currency } row_total { value currency } }
        ... on ConfigurableCartItem { configured_variant { sku } configurable_options { option_label value_label } } }
    itemsV2(pageSize: 2) { total_count items { uid } page_info { total_pages } }";

#[tokio::test]
async fn the_customer_cart_holds_seeded_lines_with_full_products_and_totals() {
    let sandbox = sandbox();
    let auth = login(&sandbox, demo::ACME_BUYER).await;
    let query = format!("{{ customerCart {{ {CART_FIELDS} }} }}");
    let answer = post(&sandbox, &query, json!({}), &[("Authorization", &auth)]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    assert!(answer.header("cache-control").contains("no-cache"));
    let cart = &answer.data()["customerCart"];
    let items = cart["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    assert_eq!(cart["email"], demo::ACME_BUYER.0);
    let typenames: Vec<&str> = items
        .iter()
        .filter_map(|i| i["__typename"].as_str())
        .collect();
    assert!(typenames.contains(&"SimpleCartItem") && typenames.contains(&"ConfigurableCartItem"));
    let mut quantity = 0.0;
    let mut total = 0.0;
    for item in items {
        let price = item["prices"]["price"]["value"].as_f64().expect("price");
        let row = item["prices"]["row_total"]["value"].as_f64().expect("row");
        let qty = item["quantity"].as_f64().expect("quantity");
        assert!((row - price * qty).abs() < 0.01, "{item}");
        assert_eq!(item["prices"]["price"]["currency"], "USD");
        assert!(item["product"]["sku"].is_string() && item["product"]["name"].is_string());
        if item["__typename"] == "ConfigurableCartItem" {
            assert_eq!(item["product"]["__typename"], "ConfigurableProduct");
            let variant = item["configured_variant"]["sku"].as_str().expect("variant");
            assert!(variant.starts_with(item["product"]["sku"].as_str().expect("sku")));
            assert_eq!(
                item["configurable_options"].as_array().map(Vec::len),
                Some(2)
            );
        }
        quantity += qty;
        total += row;
    }
    assert_eq!(cart["total_quantity"].as_f64(), Some(quantity));
    let grand_total = cart["prices"]["grand_total"]["value"]
        .as_f64()
        .expect("total");
    assert!((grand_total - total).abs() < 0.01);
    assert_eq!(cart["itemsV2"]["total_count"], 5);
    assert_eq!(cart["itemsV2"]["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(cart["itemsV2"]["page_info"]["total_pages"], 3);

    let euros = post(
        &sandbox,
        &query,
        json!({}),
        &[("Authorization", &auth), ("Content-Currency", "EUR")],
    )
    .await;
    let cart_eur = &euros.data()["customerCart"];
    assert_eq!(cart_eur["id"], cart["id"], "one cart per customer");
    assert_eq!(cart_eur["prices"]["grand_total"]["currency"], "EUR");
}

#[tokio::test]
async fn a_cart_is_read_by_its_masked_id_only_by_its_owner() {
    let sandbox = sandbox();
    let owner = login(&sandbox, ("wholesale@example.com", "Wholesale123!")).await;
    let answer = post(
        &sandbox,
        "{ customerCart { id items { uid } } }",
        json!({}),
        &[("Authorization", &owner)],
    )
    .await;
    let cart_id = answer.data()["customerCart"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(cart_id.len(), 32);
    let query = "query($id: String!) { cart(cart_id: $id) { id items { uid } } }";
    let own = post(
        &sandbox,
        query,
        json!({ "id": cart_id }),
        &[("Authorization", &owner)],
    )
    .await;
    assert!(own.body.get("errors").is_none(), "{}", own.body);
    assert_eq!(
        own.data()["cart"]["items"],
        answer.data()["customerCart"]["items"]
    );

    let other = login(&sandbox, demo::GLOBEX_BUYER).await;
    let refused = post(
        &sandbox,
        query,
        json!({ "id": cart_id }),
        &[("Authorization", &other)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.error(),
        (
            format!("The current user cannot perform operations on cart \"{cart_id}\"").as_str(),
            "graphql-authorization"
        )
    );
    let guest = post(&sandbox, query, json!({ "id": cart_id }), &[]).await;
    assert_eq!(guest.error().1, "graphql-authorization");
    let unknown = post(
        &sandbox,
        query,
        json!({ "id": "nope" }),
        &[("Authorization", &owner)],
    )
    .await;
    assert_eq!(
        unknown.error(),
        (
            "Could not find a cart with ID \"nope\"",
            "graphql-no-such-entity"
        )
    );
    let guest_cart = post(&sandbox, "{ customerCart { id } }", json!({}), &[]).await;
    assert_eq!(guest_cart.error().1, "graphql-authorization");
}

#[tokio::test]
async fn every_leaf_field_of_company_and_cart_resolves_with_its_declared_type() {
    let sandbox = sandbox();
    let auth = login(&sandbox, demo::INITECH_BUYER).await;
    let query = format!(
        "{{ company {{ {} legal_address {{ {} }} credit {{ available_credit {{ value }} outstanding_balance {{ value }} }} }}
           customer {{ {} }}
           customerCart {{ {} items {{ ... on SimpleCartItem {{ {} }} ... on ConfigurableCartItem {{ {} }}
             prices {{ {} }} }} }} }}",
        leaf_selection("Company"),
        leaf_selection("CompanyLegalAddress"),
        leaf_selection("Customer"),
        leaf_selection("Cart"),
        leaf_selection("SimpleCartItem"),
        leaf_selection("ConfigurableCartItem"),
        "price { value } price_including_tax { value } original_item_price { value } original_row_total { value } row_total { value } row_total_including_tax { value } total_item_discount { value } catalog_discount { amount_off percent_off }"
    );
    let answer = post(&sandbox, &query, json!({}), &[("Authorization", &auth)]).await;
    assert!(
        answer.body.get("errors").is_none(),
        "{query}\n{}",
        answer.body["errors"]
    );
}
