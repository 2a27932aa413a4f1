//! Cart addresses from the customer's address book (`customer_address_id` /
//! `customer_address_uid`) with Commerce's errors for guests and other customers' addresses,
//! and `save_in_address_book` saving a typed address when the order is placed.

use super::*;
use crate::demo;

async fn send_as(sandbox: &Sandbox, auth: Option<&str>, query: &str, variables: Value) -> Answer {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    post(sandbox, query, variables, &headers).await
}

async fn bearer(sandbox: &Sandbox, (email, password): (&str, &str)) -> String {
    format!("Bearer {}", token(sandbox, email, password).await)
}

async fn cart_of(sandbox: &Sandbox, auth: &str) -> String {
    let answer = send_as(sandbox, Some(auth), "{ customerCart { id } }", json!({})).await;
    answer.data()["customerCart"]["id"]
        .as_str()
        .expect("customer cart")
        .to_owned()
}

const SHIP_BY_BOOK: &str = "mutation($id: String!, $uid: String, $address_id: Int) {
    setShippingAddressesOnCart(input: { cart_id: $id, shipping_addresses: [{ customer_address_uid: $uid, customer_address_id: $address_id }] }) {
        cart { shipping_addresses { city customer_address_uid region { code } } } } }";

/// Category and message of an answer's first error.
fn error_of(answer: &Answer) -> (String, String) {
    let error = &answer.body["errors"][0];
    (
        error["extensions"]["category"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_customer_ships_to_a_saved_address_and_nobody_else_can() {
    let sandbox = sandbox();
    let roni = bearer(
        &sandbox,
        ("roni_cost@example.com", "roni_cost3@example.com"),
    )
    .await;
    let created = send_as(
        &sandbox,
        Some(&roni),
        "mutation { createCustomerAddress(input: { firstname: \"Veronica\", lastname: \"Costello\",
            street: [\"6146 Honey Bluff Parkway\"], city: \"Calder\", postcode: \"49628\", telephone: \"555-229-3326\",
            country_code: US, region: { region_code: \"CA\" } }) { id uid } }",
        json!({}),
    )
    .await;
    assert!(created.body.get("errors").is_none(), "{}", created.body);
    let address = &created.data()["createCustomerAddress"];
    let (id, uid) = (address["id"].clone(), address["uid"].clone());
    let cart = cart_of(&sandbox, &roni).await;
    let shipped = send_as(
        &sandbox,
        Some(&roni),
        SHIP_BY_BOOK,
        json!({ "id": cart, "uid": uid }),
    )
    .await;
    assert!(shipped.body.get("errors").is_none(), "{}", shipped.body);
    assert_eq!(
        shipped.data()["setShippingAddressesOnCart"]["cart"]["shipping_addresses"][0],
        json!({ "city": "Calder", "customer_address_uid": uid, "region": { "code": "CA" } })
    );
    let billed = send_as(
        &sandbox,
        Some(&roni),
        "mutation($id: String!, $address_id: Int) { setBillingAddressOnCart(input: { cart_id: $id,
            billing_address: { customer_address_id: $address_id } }) { cart { billing_address { city } } } }",
        json!({ "id": cart, "address_id": id }),
    )
    .await;
    assert_eq!(
        billed.data()["setBillingAddressOnCart"]["cart"]["billing_address"]["city"],
        "Calder",
        "{}",
        billed.body
    );

    let buyer = bearer(&sandbox, demo::ACME_BUYER).await;
    let theirs = cart_of(&sandbox, &buyer).await;
    let refused = send_as(
        &sandbox,
        Some(&buyer),
        SHIP_BY_BOOK,
        json!({ "id": theirs, "address_id": id }),
    )
    .await;
    assert_eq!(
        error_of(&refused),
        (
            "graphql-authorization".to_owned(),
            format!("Current customer does not have permission to address with ID \"{id}\"")
        )
    );
    let unknown = send_as(
        &sandbox,
        Some(&buyer),
        SHIP_BY_BOOK,
        json!({ "id": theirs, "address_id": 987_654 }),
    )
    .await;
    assert_eq!(
        error_of(&unknown),
        (
            "graphql-no-such-entity".to_owned(),
            "Could not find a address with ID \"987654\"".to_owned()
        )
    );
    let guest_cart = send_as(&sandbox, None, "mutation { createEmptyCart }", json!({})).await;
    let guest_cart = guest_cart.data()["createEmptyCart"].clone();
    let guest = send_as(
        &sandbox,
        None,
        SHIP_BY_BOOK,
        json!({ "id": guest_cart, "uid": uid }),
    )
    .await;
    assert_eq!(
        error_of(&guest),
        (
            "graphql-authorization".to_owned(),
            "The current customer isn't authorized.".to_owned()
        )
    );
    let bad_uid = send_as(
        &sandbox,
        Some(&buyer),
        SHIP_BY_BOOK,
        json!({ "id": theirs, "uid": "not a uid" }),
    )
    .await;
    assert_eq!(
        error_of(&bad_uid).1,
        "Value of uid \"not a uid\" is incorrect."
    );
    let untouched = send_as(
        &sandbox,
        Some(&buyer),
        "query($id: String!) { cart(cart_id: $id) { shipping_addresses { city } } }",
        json!({ "id": theirs }),
    )
    .await;
    assert_eq!(
        untouched.data()["cart"]["shipping_addresses"],
        json!([]),
        "refusals change nothing"
    );
}

#[tokio::test]
async fn an_address_typed_with_save_in_address_book_joins_the_book_when_the_order_is_placed() {
    let sandbox = sandbox();
    let buyer = bearer(&sandbox, demo::ACME_BUYER).await;
    let book = "{ customer { addresses { city default_shipping default_billing } } }";
    let before = send_as(&sandbox, Some(&buyer), book, json!({})).await;
    let before = before.data()["customer"]["addresses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        before.iter().all(|a| a["city"] != "Sacramento"),
        "{before:?}"
    );
    let cart = cart_of(&sandbox, &buyer).await;
    let steps = [
        r#"setShippingAddressesOnCart(input: { cart_id: $id, shipping_addresses: [{ address: { firstname: "Ada", lastname: "Lovelace",
            street: ["1 Capitol Mall"], city: "Sacramento", region_id: 12, postcode: "95814", country_code: "US", telephone: "555-0100",
            save_in_address_book: true } }] }) { cart { id } }"#,
        "setBillingAddressOnCart(input: { cart_id: $id, billing_address: { same_as_shipping: true } }) { cart { id } }",
        r#"setShippingMethodsOnCart(input: { cart_id: $id, shipping_methods: [{ carrier_code: "tablerate", method_code: "bestway" }] }) { cart { id } }"#,
        r#"setPaymentMethodOnCart(input: { cart_id: $id, payment_method: { code: "checkmo" } }) { cart { id } }"#,
    ];
    for step in steps {
        let answer = send_as(
            &sandbox,
            Some(&buyer),
            &format!("mutation($id: String!) {{ {step} }}"),
            json!({ "id": cart }),
        )
        .await;
        assert!(
            answer.body.get("errors").is_none(),
            "{step}: {}",
            answer.body
        );
    }
    let unsaved = send_as(&sandbox, Some(&buyer), book, json!({})).await;
    assert_eq!(
        unsaved.data()["customer"]["addresses"]
            .as_array()
            .map(Vec::len),
        Some(before.len()),
        "nothing is saved before the order"
    );
    let placed = send_as(
        &sandbox,
        Some(&buyer),
        "mutation($id: String!) { placeOrder(input: { cart_id: $id }) { errors { message } orderV2 { number } } }",
        json!({ "id": cart }),
    )
    .await;
    assert_eq!(
        placed.data()["placeOrder"]["errors"],
        json!([]),
        "{}",
        placed.body
    );
    let after = send_as(&sandbox, Some(&buyer), book, json!({})).await;
    let after = after.data()["customer"]["addresses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        after.len(),
        before.len() + 1,
        "shipping and billing are one address: saved once"
    );
    let saved = after
        .iter()
        .find(|a| a["city"] == "Sacramento")
        .expect("saved address");
    let had_default = before.iter().any(|a| a["default_shipping"] == true);
    assert_eq!(
        saved["default_shipping"], !had_default,
        "default only when there was none"
    );
}
