//! Carts, checkout and orders through `/graphql`, as a storefront drives them.

use super::*;
use crate::demo;

/// Sends a document with optional `Authorization`.
async fn gql(sandbox: &Sandbox, query: &str, variables: Value, auth: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    post(sandbox, query, variables, &headers).await
}

async fn bearer(sandbox: &Sandbox, (email, password): (&str, &str)) -> String {
    format!("Bearer {}", token(sandbox, email, password).await)
}

/// A simple product with at least `qty` salable units (sku, salable quantity).
fn simple_sku(sandbox: &Sandbox, qty: u32, nth: usize) -> (String, u32) {
    let catalog = &sandbox.inner.data.catalog;
    (0..catalog.products.len() as u32)
        .filter(|&p| catalog.product(p).configurable.is_none() && catalog.product_qty(p) >= qty)
        .nth(nth)
        .map(|p| (catalog.product(p).sku.clone(), catalog.product_qty(p)))
        .expect("a simple product in stock")
}

/// A configurable product, the option value uids of an in-stock variant, and its sku.
async fn configurable_choice(sandbox: &Sandbox) -> (String, Vec<String>, String) {
    let catalog = &sandbox.inner.data.catalog;
    let parent = (0..catalog.products.len() as u32)
        .find(|&p| catalog.product(p).configurable.is_some() && catalog.product_qty(p) > 5)
        .map(|p| catalog.product(p).sku.clone())
        .expect("a configurable product");
    let answer = gql(
        sandbox,
        "query($sku: String!) { products(filter: { sku: { eq: $sku } }) { items { ... on ConfigurableProduct {
            variants { attributes { uid } product { sku stock_status } } } } } }",
        json!({ "sku": parent }),
        None,
    )
    .await;
    let variants = answer.data()["products"]["items"][0]["variants"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let variant = variants
        .iter()
        .find(|v| v["product"]["stock_status"] == "IN_STOCK")
        .expect("an in-stock variant");
    let uids = variant["attributes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["uid"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let sku = variant["product"]["sku"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (parent, uids, sku)
}

const CART: &str = "id email total_quantity
    items { uid quantity product { sku } ... on ConfigurableCartItem { configured_variant { sku } } prices { row_total { value } } }
    applied_coupons { code }
    shipping_addresses { city region { code } country { code }
        available_shipping_methods { carrier_code method_code amount { value currency } }
        selected_shipping_method { carrier_code amount { value } } }
    billing_address { city }
    available_payment_methods { code title }
    selected_payment_method { code }
    prices { grand_total { value currency } subtotal_excluding_tax { value }
        discounts { label amount { value } } applied_taxes { label amount { value } } }";

const ADDRESS: &str = r#"{ firstname: "Ada", lastname: "Lovelace", street: ["1 Main St"], city: "Los Angeles",
    region_id: 12, postcode: "90001", country_code: "US", telephone: "555-0100" }"#;

async fn create_guest_cart(sandbox: &Sandbox) -> String {
    let answer = gql(
        sandbox,
        "mutation { createGuestCart { cart { id } } }",
        json!({}),
        None,
    )
    .await;
    answer.data()["createGuestCart"]["cart"]["id"]
        .as_str()
        .expect("a cart id")
        .to_owned()
}

/// Runs one mutation on a cart (`$id`) and returns its answer.
async fn on_cart(sandbox: &Sandbox, auth: Option<&str>, id: &str, mutation: &str) -> Answer {
    let query = format!("mutation($id: String!) {{ {mutation} }}");
    gql(
        sandbox,
        &query.replace("CART", CART),
        json!({ "id": id }),
        auth,
    )
    .await
}

/// Fills a cart with a simple and a configurable product, a coupon, addresses, flat-rate
/// shipping and check / money order, and returns the last cart answer.
async fn checkout(sandbox: &Sandbox, auth: Option<&str>, id: &str) -> Value {
    let (simple, _) = simple_sku(sandbox, 2, 0);
    let (parent, uids, _) = configurable_choice(sandbox).await;
    let add = format!(
        r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{simple}", quantity: 2 }},
            {{ sku: "{parent}", quantity: 1, selected_options: {uids:?} }}]) {{ cart {{ CART }} user_errors {{ code message }} }}"#
    );
    let added = on_cart(sandbox, auth, id, &add).await;
    assert_eq!(
        added.data()["addProductsToCart"]["user_errors"],
        json!([]),
        "{}",
        added.body
    );
    let steps = [
        r#"applyCouponToCart(input: { cart_id: $id, coupon_code: "SAVE10" }) { cart { CART } }"#.to_owned(),
        format!("setShippingAddressesOnCart(input: {{ cart_id: $id, shipping_addresses: [{{ address: {ADDRESS} }}] }}) {{ cart {{ CART }} }}"),
        "setBillingAddressOnCart(input: { cart_id: $id, billing_address: { same_as_shipping: true } }) { cart { CART } }".to_owned(),
        r#"setShippingMethodsOnCart(input: { cart_id: $id, shipping_methods: [{ carrier_code: "flatrate", method_code: "flatrate" }] }) { cart { CART } }"#.to_owned(),
        r#"setPaymentMethodOnCart(input: { cart_id: $id, payment_method: { code: "checkmo" } }) { cart { CART } }"#.to_owned(),
    ];
    let mut last = Value::Null;
    for step in steps {
        let answer = on_cart(sandbox, auth, id, &step).await;
        assert!(
            answer.body.get("errors").is_none(),
            "{step}: {}",
            answer.body
        );
        last = answer
            .data()
            .as_object()
            .and_then(|o| o.values().next())
            .map_or(Value::Null, |v| v["cart"].clone());
    }
    last
}

#[tokio::test]
async fn a_guest_checks_out_and_the_order_reserves_stock_and_closes_the_cart() {
    let sandbox = sandbox();
    let id = create_guest_cart(&sandbox).await;
    assert_eq!(id.len(), 32);
    let email = on_cart(&sandbox, None, &id, r#"setGuestEmailOnCart(input: { cart_id: $id, email: "ada@example.com" }) { cart { email } }"#).await;
    assert_eq!(
        email.data()["setGuestEmailOnCart"]["cart"]["email"],
        "ada@example.com"
    );
    let cart = checkout(&sandbox, None, &id).await;
    assert_eq!(cart["total_quantity"], 3.0);
    assert_eq!(cart["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        cart["applied_coupons"],
        json!([{ "code": demo::COUPON_PERCENT }])
    );
    let prices = &cart["prices"];
    let subtotal = prices["subtotal_excluding_tax"]["value"]
        .as_f64()
        .unwrap_or_default();
    let discount = prices["discounts"][0]["amount"]["value"]
        .as_f64()
        .unwrap_or_default();
    let tax = prices["applied_taxes"][0]["amount"]["value"]
        .as_f64()
        .unwrap_or_default();
    assert_eq!(prices["applied_taxes"][0]["label"], "US-CA-*-Rate 1");
    assert!((discount - subtotal * 0.1).abs() < 0.02, "{prices}");
    assert!(
        (tax - (subtotal - discount) * 0.0825).abs() < 0.02,
        "{prices}"
    );
    let shipping = &cart["shipping_addresses"][0];
    assert_eq!(
        shipping["selected_shipping_method"]["amount"]["value"], 15.0,
        "$5 × 3 items"
    );
    let grand = prices["grand_total"]["value"].as_f64().unwrap_or_default();
    assert!(
        (grand - (subtotal - discount + 15.0 + tax)).abs() < 0.011,
        "{prices}"
    );
    assert_eq!(cart["billing_address"]["city"], "Los Angeles");
    assert_eq!(cart["selected_payment_method"]["code"], "checkmo");

    let placed = on_cart(&sandbox, None, &id, "placeOrder(input: { cart_id: $id }) { errors { code message } order { order_number } orderV2 { number status total { grand_total { value } } items { product_sku quantity_ordered } shipments { number } } }").await;
    let output = &placed.data()["placeOrder"];
    assert_eq!(output["errors"], json!([]), "{}", placed.body);
    assert_eq!(output["order"]["order_number"], "000000001");
    assert_eq!(output["orderV2"]["status"], "Pending");
    assert_eq!(output["orderV2"]["shipments"], json!([]));
    assert_eq!(
        output["orderV2"]["total"]["grand_total"]["value"].as_f64(),
        Some(grand)
    );

    let again = on_cart(
        &sandbox,
        None,
        &id,
        "placeOrder(input: { cart_id: $id }) { errors { code message } orderV2 { number } }",
    )
    .await;
    assert_eq!(
        again.data()["placeOrder"],
        json!({ "errors": [{ "code": "CART_NOT_ACTIVE", "message": "The cart isn't active." }], "orderV2": null })
    );
    let read = gql(
        &sandbox,
        "query($id: String!) { cart(cart_id: $id) { id } }",
        json!({ "id": id }),
        None,
    )
    .await;
    assert_eq!(
        read.error(),
        ("The cart isn't active.", "graphql-no-such-entity")
    );
    assert_eq!(read.data()["cart"], Value::Null);
}

#[tokio::test]
async fn ordering_the_last_units_makes_the_product_out_of_stock_in_the_catalog() {
    let sandbox = sandbox();
    let catalog = &sandbox.inner.data.catalog;
    let (sku, qty) = (0..catalog.products.len() as u32)
        .filter(|&p| catalog.product(p).configurable.is_none())
        .map(|p| (catalog.product(p).sku.clone(), catalog.product_qty(p)))
        .find(|(_, q)| (2..=5).contains(q))
        .expect("a product with a few units");
    let stock = "query($sku: String!) { products(filter: { sku: { eq: $sku } }) { items { stock_status only_x_left_in_stock } } }";
    let before = gql(&sandbox, stock, json!({ "sku": sku }), None).await;
    assert_eq!(
        before.data()["products"]["items"][0]["only_x_left_in_stock"],
        f64::from(qty)
    );
    let id = create_guest_cart(&sandbox).await;
    let add = format!(
        r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{sku}", quantity: {qty} }}]) {{ user_errors {{ code }} }}"#
    );
    on_cart(&sandbox, None, &id, &add).await;
    let steps = [
        r#"setGuestEmailOnCart(input: { cart_id: $id, email: "ada@example.com" }) { cart { id } }"#.to_owned(),
        format!("setShippingAddressesOnCart(input: {{ cart_id: $id, shipping_addresses: [{{ address: {ADDRESS} }}] }}) {{ cart {{ id }} }}"),
        format!("setBillingAddressOnCart(input: {{ cart_id: $id, billing_address: {{ address: {ADDRESS} }} }}) {{ cart {{ id }} }}"),
        r#"setShippingMethodsOnCart(input: { cart_id: $id, shipping_methods: [{ carrier_code: "tablerate", method_code: "bestway" }] }) { cart { id } }"#.to_owned(),
        r#"setPaymentMethodOnCart(input: { cart_id: $id, payment_method: { code: "checkmo" } }) { cart { id } }"#.to_owned(),
        "placeOrder(input: { cart_id: $id }) { errors { code } orderV2 { number } }".to_owned(),
    ];
    for step in &steps {
        let answer = on_cart(&sandbox, None, &id, step).await;
        assert!(
            answer.body.get("errors").is_none(),
            "{step}: {}",
            answer.body
        );
    }
    let after = gql(&sandbox, stock, json!({ "sku": sku }), None).await;
    assert_eq!(
        after.data()["products"]["items"][0]["stock_status"],
        "OUT_OF_STOCK"
    );
    let other = create_guest_cart(&sandbox).await;
    let refused = on_cart(
        &sandbox,
        None,
        &other,
        &add.replace("user_errors { code }", "user_errors { code message }"),
    )
    .await;
    assert_eq!(
        refused.data()["addProductsToCart"]["user_errors"],
        json!([{ "code": "NOT_SALABLE", "message": "Product that you are trying to add is not available." }])
    );
}

#[tokio::test]
async fn adding_products_reports_each_problem_with_commerces_codes() {
    let sandbox = sandbox();
    let id = create_guest_cart(&sandbox).await;
    let (simple, stock) = simple_sku(&sandbox, 1, 0);
    let (parent, _, _) = configurable_choice(&sandbox).await;
    let add = format!(
        r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "NOPE", quantity: 1 }}, {{ sku: "{simple}", quantity: {} }},
            {{ sku: "{parent}", quantity: 1 }}, {{ sku: "{simple}", quantity: 0 }}, {{ sku: "{simple}", quantity: 1 }}])
            {{ cart {{ total_quantity }} user_errors {{ __typename code message }} }}"#,
        stock + 1
    );
    let answer = on_cart(&sandbox, None, &id, &add).await;
    let output = &answer.data()["addProductsToCart"];
    assert_eq!(
        output["cart"]["total_quantity"], 1.0,
        "the good item still went in"
    );
    assert_eq!(
        output["user_errors"],
        json!([
            { "__typename": "CartUserInputError", "code": "PRODUCT_NOT_FOUND", "message": "Could not find a product with SKU \"NOPE\"" },
            { "__typename": "CartUserInputError", "code": "INSUFFICIENT_STOCK", "message": "The requested qty is not available" },
            { "__typename": "CartUserInputError", "code": "UNDEFINED", "message": "You need to choose options for your item." },
            { "__typename": "CartUserInputError", "code": "INVALID_PARAMETER_VALUE", "message": "The product quantity should be greater than 0" },
        ])
    );
    let legacy = on_cart(&sandbox, None, &id, r#"addSimpleProductsToCart(input: { cart_id: $id, cart_items: [{ data: { sku: "NOPE", quantity: 1 } }] }) { cart { id } }"#).await;
    assert_eq!(
        legacy.error(),
        (
            "Could not find a product with SKU \"NOPE\"",
            "graphql-no-such-entity"
        )
    );
    let unknown = gql(&sandbox, r#"mutation { addProductsToCart(cartId: "nope", cartItems: [{ sku: "x", quantity: 1 }]) { cart { id } } }"#, json!({}), None).await;
    assert_eq!(
        unknown.error(),
        (
            "Could not find a cart with ID \"nope\"",
            "graphql-no-such-entity"
        )
    );
    assert_eq!(unknown.data()["addProductsToCart"], Value::Null);
}

#[tokio::test]
async fn items_are_updated_removed_and_configured_by_variant_sku() {
    let sandbox = sandbox();
    let id = create_guest_cart(&sandbox).await;
    let (parent, _, variant) = configurable_choice(&sandbox).await;
    let add = format!(
        r#"addConfigurableProductsToCart(input: {{ cart_id: $id, cart_items: [{{ parent_sku: "{parent}", data: {{ sku: "{variant}", quantity: 1 }} }}] }})
            {{ cart {{ items {{ uid ... on ConfigurableCartItem {{ configured_variant {{ sku }} }} }} }} }}"#
    );
    let added = on_cart(&sandbox, None, &id, &add).await;
    let item = &added.data()["addConfigurableProductsToCart"]["cart"]["items"][0];
    assert_eq!(item["configured_variant"]["sku"], variant.as_str());
    let uid = item["uid"].as_str().unwrap_or_default().to_owned();
    let update = format!(
        r#"updateCartItems(input: {{ cart_id: $id, cart_items: [{{ cart_item_uid: "{uid}", quantity: 100000 }}, {{ cart_item_uid: "OTk5", quantity: 1 }}] }})
            {{ cart {{ total_quantity }} errors {{ code message }} }}"#
    );
    let updated = on_cart(&sandbox, None, &id, &update).await;
    assert_eq!(
        updated.data()["updateCartItems"],
        json!({ "cart": { "total_quantity": 1.0 }, "errors": [
            { "code": "INVALID_PARAMETER_VALUE", "message": "The most you may purchase is 10000." },
            { "code": "COULD_NOT_FIND_CART_ITEM", "message": "Could not find cart item with id: 999" },
        ] })
    );
    let zero = format!(
        r#"updateCartItems(input: {{ cart_id: $id, cart_items: [{{ cart_item_uid: "{uid}", quantity: 0 }}] }}) {{ cart {{ items {{ uid }} }} errors {{ code }} }}"#
    );
    let emptied = on_cart(&sandbox, None, &id, &zero).await;
    assert_eq!(
        emptied.data()["updateCartItems"]["cart"]["items"],
        json!([])
    );
    let remove = format!(
        r#"removeItemFromCart(input: {{ cart_id: $id, cart_item_uid: "{uid}" }}) {{ cart {{ id }} }}"#
    );
    let removed = on_cart(&sandbox, None, &id, &remove).await;
    assert_eq!(
        removed.error(),
        (
            "The cart doesn't contain the item",
            "graphql-no-such-entity"
        )
    );
}

#[tokio::test]
async fn checkout_steps_refuse_bad_input_as_commerce_does_and_change_nothing() {
    let sandbox = sandbox();
    let id = create_guest_cart(&sandbox).await;
    let cases = [
        (r#"applyCouponToCart(input: { cart_id: $id, coupon_code: "SAVE10" }) { cart { id } }"#.to_owned(), "Cart does not contain products.", "graphql-no-such-entity"),
        (r#"setGuestEmailOnCart(input: { cart_id: $id, email: "not-an-email" }) { cart { id } }"#.to_owned(), "Invalid email format", "graphql-input"),
        (format!("setShippingAddressesOnCart(input: {{ cart_id: $id, shipping_addresses: [{{ address: {} }}] }}) {{ cart {{ id }} }}", ADDRESS.replace("region_id: 12", "region_id: 80")), "The region_id does not match the selected country or region", "graphql-input"),
        (format!("setShippingAddressesOnCart(input: {{ cart_id: $id, shipping_addresses: [{{ address: {} }}] }}) {{ cart {{ id }} }}", ADDRESS.replace("\"US\"", "\"XX\"")), "Country is not available", "graphql-input"),
        ("setBillingAddressOnCart(input: { cart_id: $id, billing_address: { same_as_shipping: true } }) { cart { id } }".to_owned(), "Could not use the \"same_as_shipping\" option, because the shipping address has not been set.", "graphql-input"),
        (r#"setShippingMethodsOnCart(input: { cart_id: $id, shipping_methods: [{ carrier_code: "flatrate", method_code: "flatrate" }] }) { cart { id } }"#.to_owned(), "The shipping address is missing. Set the address and try again.", "graphql-input"),
    ];
    for (mutation, message, category) in cases {
        let answer = on_cart(&sandbox, None, &id, &mutation).await;
        assert_eq!(answer.error(), (message, category), "{mutation}");
    }
    let (simple, _) = simple_sku(&sandbox, 1, 0);
    on_cart(&sandbox, None, &id, &format!(r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{simple}", quantity: 1 }}]) {{ cart {{ id }} }}"#)).await;
    let coupon = on_cart(
        &sandbox,
        None,
        &id,
        r#"applyCouponToCart(input: { cart_id: $id, coupon_code: "NOPE" }) { cart { id } }"#,
    )
    .await;
    assert_eq!(
        coupon.error(),
        (
            "The coupon code isn't valid. Verify the code and try again.",
            "graphql-no-such-entity"
        )
    );
    let placed = on_cart(
        &sandbox,
        None,
        &id,
        "placeOrder(input: { cart_id: $id }) { errors { code message } }",
    )
    .await;
    assert_eq!(
        placed.data()["placeOrder"]["errors"],
        json!([{ "code": "GUEST_EMAIL_MISSING", "message": "Guest email for cart is missing." }])
    );
    let read = gql(
        &sandbox,
        &format!("query($id: String!) {{ cart(cart_id: $id) {{ {CART} }} }}"),
        json!({ "id": id }),
        None,
    )
    .await;
    let cart = &read.data()["cart"];
    assert_eq!(cart["email"], Value::Null);
    assert_eq!(cart["shipping_addresses"], json!([]));
    assert_eq!(cart["applied_coupons"], Value::Null);
}

#[tokio::test]
async fn carts_are_private_to_their_owner_and_store_view() {
    let sandbox = sandbox();
    let roni = bearer(
        &sandbox,
        ("roni_cost@example.com", "roni_cost3@example.com"),
    )
    .await;
    let guest_cart = create_guest_cart(&sandbox).await;
    let read = "query($id: String!) { cart(cart_id: $id) { id } }";
    let by_customer = gql(&sandbox, read, json!({ "id": guest_cart }), Some(&roni)).await;
    assert_eq!(
        by_customer.error(),
        (
            format!("The current user cannot perform operations on cart \"{guest_cart}\"").as_str(),
            "graphql-authorization"
        )
    );
    let own = gql(&sandbox, "{ customerCart { id } }", json!({}), Some(&roni)).await;
    let customer_cart = own.data()["customerCart"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let by_guest = gql(&sandbox, read, json!({ "id": customer_cart }), None).await;
    assert_eq!(by_guest.error().1, "graphql-authorization");
    let other_store = post(
        &sandbox,
        read,
        json!({ "id": guest_cart }),
        &[("Store", "de")],
    )
    .await;
    assert_eq!(
        other_store.error(),
        (
            format!("Wrong store code specified for cart \"{guest_cart}\"").as_str(),
            "graphql-no-such-entity"
        )
    );
    let created = gql(
        &sandbox,
        "mutation { createGuestCart { cart { id } } }",
        json!({}),
        Some(&roni),
    )
    .await;
    assert_eq!(
        created.error(),
        (
            "Use `Query.customerCart` for logged in customer.",
            "graphql-already-exists"
        )
    );
    let chosen = "q".repeat(32);
    let mine = gql(
        &sandbox,
        "mutation($c: ID) { createGuestCart(input: { cart_uid: $c }) { cart { id } } }",
        json!({ "c": chosen }),
        None,
    )
    .await;
    assert_eq!(
        mine.data()["createGuestCart"]["cart"]["id"],
        chosen.as_str()
    );
    let taken = gql(
        &sandbox,
        "mutation($c: ID) { createGuestCart(input: { cart_uid: $c }) { cart { id } } }",
        json!({ "c": chosen }),
        None,
    )
    .await;
    assert_eq!(
        taken.error(),
        (
            format!("Cart with ID \"{chosen}\" already exists.").as_str(),
            "graphql-already-exists"
        )
    );
    let empty = gql(
        &sandbox,
        "mutation { createEmptyCart }",
        json!({}),
        Some(&roni),
    )
    .await;
    assert_eq!(empty.data()["createEmptyCart"], customer_cart.as_str());
}

#[tokio::test]
async fn a_customer_merges_a_guest_cart_orders_and_finds_the_order_in_the_account() {
    let sandbox = sandbox();
    let roni = bearer(
        &sandbox,
        ("roni_cost@example.com", "roni_cost3@example.com"),
    )
    .await;
    let guest = create_guest_cart(&sandbox).await;
    let (simple, _) = simple_sku(&sandbox, 1, 3);
    on_cart(&sandbox, None, &guest, &format!(r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{simple}", quantity: 1 }}]) {{ cart {{ id }} }}"#)).await;
    let own = gql(
        &sandbox,
        "{ customerCart { id total_quantity } }",
        json!({}),
        Some(&roni),
    )
    .await;
    let id = own.data()["customerCart"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let seeded = own.data()["customerCart"]["total_quantity"]
        .as_f64()
        .unwrap_or_default();
    assert!(seeded > 0.0, "a seeded customer's cart holds seeded lines");
    let merged = gql(&sandbox, "mutation($s: String!, $d: String) { mergeCarts(source_cart_id: $s, destination_cart_id: $d) { id total_quantity } }", json!({ "s": guest, "d": id }), Some(&roni)).await;
    assert_eq!(
        merged.data()["mergeCarts"]["total_quantity"].as_f64(),
        Some(seeded + 1.0),
        "{}",
        merged.body
    );
    let gone = gql(
        &sandbox,
        "query($id: String!) { cart(cart_id: $id) { id } }",
        json!({ "id": guest }),
        None,
    )
    .await;
    assert_eq!(
        gone.error().0,
        format!("Could not find a cart with ID \"{guest}\"")
    );
    let guest_merge = gql(
        &sandbox,
        "mutation($s: String!) { mergeCarts(source_cart_id: $s) { id } }",
        json!({ "s": id }),
        None,
    )
    .await;
    assert_eq!(
        guest_merge.error(),
        (
            "The current customer isn't authorized.",
            "graphql-authorization"
        )
    );

    let cart = checkout(&sandbox, Some(&roni), &id).await;
    assert_eq!(cart["email"], "roni_cost@example.com");
    let placed = on_cart(
        &sandbox,
        Some(&roni),
        &id,
        "placeOrder(input: { cart_id: $id }) { errors { code } orderV2 { number } }",
    )
    .await;
    let number = placed.data()["placeOrder"]["orderV2"]["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(number.len(), 9, "{}", placed.body);
    let orders = gql(&sandbox, "{ customer { orders(pageSize: 5) { total_count items { number status payment_methods { type name }
        shipping_address { city region_id country_code } items { product_sku quantity_ordered } total { grand_total { value } } } } } }", json!({}), Some(&roni)).await;
    let list = &orders.data()["customer"]["orders"];
    assert_eq!(list["total_count"], 1, "{}", orders.body);
    let order = &list["items"][0];
    assert_eq!(order["number"], number.as_str());
    assert_eq!(order["status"], "Pending");
    assert_eq!(
        order["payment_methods"],
        json!([{ "type": "checkmo", "name": "Check / Money order" }])
    );
    assert_eq!(order["shipping_address"]["country_code"], "US");
    assert_eq!(
        order["total"]["grand_total"]["value"],
        cart["prices"]["grand_total"]["value"]
    );
    let next = gql(
        &sandbox,
        "{ customerCart { id total_quantity } }",
        json!({}),
        Some(&roni),
    )
    .await;
    assert_ne!(
        next.data()["customerCart"]["id"],
        id.as_str(),
        "a new cart after ordering"
    );
    assert_eq!(next.data()["customerCart"]["total_quantity"], 0.0);
    let other = bearer(&sandbox, ("wholesale@example.com", "Wholesale123!")).await;
    let theirs = gql(
        &sandbox,
        "{ customer { orders { total_count } } }",
        json!({}),
        Some(&other),
    )
    .await;
    assert_eq!(theirs.data()["customer"]["orders"]["total_count"], 0);
}

#[tokio::test]
async fn estimates_price_shipping_and_tax_for_an_address_without_changing_the_cart() {
    let sandbox = sandbox();
    let id = create_guest_cart(&sandbox).await;
    let (simple, _) = simple_sku(&sandbox, 1, 0);
    on_cart(&sandbox, None, &id, &format!(r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{simple}", quantity: 1 }}]) {{ cart {{ id }} }}"#)).await;
    let rates = on_cart(&sandbox, None, &id, "estimateShippingMethods(input: { cart_id: $id, address: { country_code: DE } }) { carrier_code amount { value } }").await;
    let codes: Vec<&str> = rates.data()["estimateShippingMethods"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|m| m["carrier_code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        codes.starts_with(&["flatrate", "tablerate"]),
        "{}",
        rates.body
    );
    let totals = on_cart(&sandbox, None, &id, r#"estimateTotals(input: { cart_id: $id, address: { country_code: DE }, shipping_method: { carrier_code: "tablerate", method_code: "bestway" } })
        { cart { shipping_addresses { city } prices { applied_taxes { label } } } }"#).await;
    let cart = &totals.data()["estimateTotals"]["cart"];
    assert_eq!(cart["prices"]["applied_taxes"][0]["label"], "DE-*-*-Rate 1");
    assert_eq!(
        cart["shipping_addresses"],
        json!([]),
        "the estimate is not saved"
    );
    let gift = on_cart(&sandbox, None, &id, r#"setGiftOptionsOnCart(input: { cart_id: $id, gift_message: { to: "Bo", from: "Ada", message: "Enjoy" },
        gift_receipt_included: true, printed_card_included: false }) { cart { gift_message { to from message } gift_receipt_included printed_card_included } }"#).await;
    assert_eq!(
        gift.data()["setGiftOptionsOnCart"]["cart"],
        json!({ "gift_message": { "to": "Bo", "from": "Ada", "message": "Enjoy" }, "gift_receipt_included": true, "printed_card_included": false })
    );
    let wrapping = on_cart(&sandbox, None, &id, r#"setGiftOptionsOnCart(input: { cart_id: $id, gift_wrapping_id: "MQ==", gift_receipt_included: false, printed_card_included: false }) { cart { id } }"#).await;
    assert_eq!(wrapping.error().1, "graphql-no-such-entity");
    let agreements = gql(
        &sandbox,
        "{ checkoutAgreements { agreement_id name mode } }",
        json!({}),
        None,
    )
    .await;
    assert_eq!(agreements.data()["checkoutAgreements"][0]["mode"], "MANUAL");
}

#[tokio::test]
async fn every_leaf_field_of_a_checked_out_cart_and_its_order_resolves_with_its_declared_type() {
    let sandbox = sandbox();
    let roni = bearer(
        &sandbox,
        ("roni_cost@example.com", "roni_cost3@example.com"),
    )
    .await;
    let own = gql(&sandbox, "{ customerCart { id } }", json!({}), Some(&roni)).await;
    let id = own.data()["customerCart"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    checkout(&sandbox, Some(&roni), &id).await;
    let money = "{ value currency }";
    let cart = format!(
        "{} prices {{ {} grand_total {money} subtotal_including_tax {money} discounts {{ {} amount {money} coupon {{ code }} }}
            applied_taxes {{ {} amount {money} }} discount {{ {} amount {money} }} }}
          shipping_addresses {{ {} region {{ {} }} country {{ {} }} available_shipping_methods {{ {} amount {money} price_incl_tax {money} }}
            selected_shipping_method {{ {} amount {money} }} }}
          billing_address {{ {} }} available_payment_methods {{ {} }} selected_payment_method {{ {} }} applied_coupons {{ {} }}",
        leaf_selection("Cart"),
        leaf_selection("CartPrices"),
        leaf_selection("Discount"),
        leaf_selection("CartTaxItem"),
        leaf_selection("CartDiscount"),
        leaf_selection("ShippingCartAddress"),
        leaf_selection("CartAddressRegion"),
        leaf_selection("CartAddressCountry"),
        leaf_selection("AvailableShippingMethod"),
        leaf_selection("SelectedShippingMethod"),
        leaf_selection("BillingCartAddress"),
        leaf_selection("AvailablePaymentMethod"),
        leaf_selection("SelectedPaymentMethod"),
        leaf_selection("AppliedCoupon"),
    );
    let read = gql(
        &sandbox,
        &format!("query($id: String!) {{ cart(cart_id: $id) {{ {cart} }} }}"),
        json!({ "id": id }),
        Some(&roni),
    )
    .await;
    assert!(read.body.get("errors").is_none(), "{}", read.body["errors"]);
    let order = format!(
        "{} items {{ {} ... on ConfigurableOrderItem {{ parent_sku selected_options {{ label value }} }}
            product_sale_price {money} prices {{ {} price {money} row_total {money} }} }}
          total {{ grand_total {money} subtotal_excl_tax {money} total_tax {money} taxes {{ {} amount {money} }}
            shipping_handling {{ total_amount {money} }} discounts {{ label amount {money} }} }}
          shipping_address {{ {} }} billing_address {{ {} }} payment_methods {{ {} }} customer_info {{ {} }} applied_coupons {{ code }}",
        leaf_selection("CustomerOrder"),
        leaf_selection("OrderItem"),
        leaf_selection("OrderItemPrices"),
        leaf_selection("TaxItem"),
        leaf_selection("OrderAddress"),
        leaf_selection("OrderAddress"),
        leaf_selection("OrderPaymentMethod"),
        leaf_selection("OrderCustomerInfo"),
    );
    let placed = on_cart(&sandbox, Some(&roni), &id, &format!("placeOrder(input: {{ cart_id: $id }}) {{ errors {{ code }} order {{ order_number }} orderV2 {{ {order} }} }}")).await;
    assert!(
        placed.body.get("errors").is_none(),
        "{}",
        placed.body["errors"]
    );
    assert_eq!(placed.data()["placeOrder"]["errors"], json!([]));
    let listed = gql(&sandbox, &format!("{{ customer {{ orders {{ total_count page_info {{ current_page total_pages }} items {{ {order} }} }} }} customerOrders {{ total_count }} }}"), json!({}), Some(&roni)).await;
    assert!(
        listed.body.get("errors").is_none(),
        "{}",
        listed.body["errors"]
    );
    assert_eq!(
        listed.data()["customer"]["orders"]["items"][0],
        placed.data()["placeOrder"]["orderV2"]
    );
    assert_eq!(listed.data()["customerOrders"]["total_count"], 1);
}
