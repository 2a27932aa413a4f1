//! Virtual, downloadable and bundle products in carts and orders, through `/graphql`: each
//! type by `addProductsToCart` and by its older mutation, Commerce's errors, a virtual-only
//! checkout without shipping, and a mixed checkout with a bundle.

use super::*;
use crate::catalog::pricing::PriceView;
use crate::uid::encode;

fn typed_sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 60,
        order_stream: false,
        product_types: true,
        base_url: Some("http://sandbox.test/".into()),
        ..SandboxConfig::default()
    })
}

const ITEMS: &str = "is_virtual total_quantity items { __typename uid quantity product { sku }
    prices { price { value } row_total { value } }
    ... on DownloadableCartItem { links { uid title price } samples { title } }
    ... on BundleCartItem { bundle_options { id uid label type values { id label quantity price priceV2 { value } } } } }
    prices { subtotal_excluding_tax { value } grand_total { value } }";

async fn gql(sandbox: &Sandbox, query: &str, variables: Value) -> Answer {
    post(sandbox, &query.replace("ITEMS", ITEMS), variables, &[]).await
}

async fn guest_cart(sandbox: &Sandbox) -> String {
    let answer = gql(sandbox, "mutation { createEmptyCart }", json!({})).await;
    answer.data()["createEmptyCart"]
        .as_str()
        .expect("cart id")
        .to_owned()
}

/// USD price of a product in cents, as a guest sees it.
fn usd_cents(sandbox: &Sandbox, product: u32) -> u32 {
    let view = PriceView {
        currency: "USD",
        rate: 1.0,
        group_discount: 0,
    };
    view.unit_price(sandbox.inner.data.catalog.product(product), None)
        .final_price
}

/// The seeded simple products behind a bundle's selection ids.
fn selection_product(sandbox: &Sandbox, bundle_sku: &str, selection: u32) -> u32 {
    let catalog = &sandbox.inner.data.catalog;
    let product = catalog.product(catalog.product_by_sku(bundle_sku).expect("bundle"));
    crate::carts::types::bundle_of(product)
        .into_iter()
        .flat_map(|b| &b.options)
        .flat_map(|o| &o.selections)
        .find(|s| s.id == selection)
        .map(|s| s.product)
        .expect("selection")
}

fn item<'a>(cart: &'a Value, sku: &str) -> &'a Value {
    cart["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["product"]["sku"] == sku))
        .unwrap_or_else(|| panic!("{sku} in {cart}"))
}

const ADD: &str = "mutation($id: String!, $items: [CartItemInput!]!) {
    addProductsToCart(cartId: $id, cartItems: $items) { cart { ITEMS } user_errors { code message } } }";

#[tokio::test]
async fn each_product_type_goes_into_the_cart_by_its_option_uids_as_its_own_item_type() {
    let sandbox = typed_sandbox();
    let id = guest_cart(&sandbox).await;
    let items = json!([
        { "sku": "SVC-ASSEMBLY", "quantity": 2 },
        { "sku": "DL-YOGA-COURSE", "quantity": 1, "selected_options": [encode("downloadable/2")] },
        { "sku": "BNDL-YOGA-KIT", "quantity": 1,
          "selected_options": [encode("bundle/1/1/1")],
          "entered_options": [{ "uid": encode("bundle/2/3"), "value": "3" }] },
        { "sku": "DL-YOGA-COURSE", "quantity": 1 },
        { "sku": "BNDL-YOGA-KIT", "quantity": 1, "selected_options": [encode("bundle/3/4/1")] },
        { "sku": "BNDL-TRAVEL-SET", "quantity": 1, "selected_options": ["bm90IGEgcGF0aA==", encode("bundle/4/6")] },
    ]);
    let answer = gql(&sandbox, ADD, json!({ "id": id, "items": items })).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let out = &answer.data()["addProductsToCart"];
    assert_eq!(
        out["user_errors"],
        json!([
            { "code": "UNDEFINED", "message": "Please specify product link(s)." },
            { "code": "UNDEFINED", "message": "Please select all required options." },
            { "code": "UNDEFINED", "message": "Wrong format of the entered option data" },
        ]),
        "links bought separately, a required option and a malformed uid"
    );
    let cart = &out["cart"];
    assert_eq!(cart["is_virtual"], false, "a bundle ships");
    assert_eq!(cart["items"].as_array().map(Vec::len), Some(3));
    let assembly = item(cart, "SVC-ASSEMBLY");
    assert_eq!(assembly["__typename"], "VirtualCartItem");
    assert_eq!(assembly["prices"]["row_total"]["value"], 98.0);
    let course = item(cart, "DL-YOGA-COURSE");
    assert_eq!(course["__typename"], "DownloadableCartItem");
    assert_eq!(
        course["links"],
        json!([{ "uid": encode("downloadable/2"), "title": "Advanced series", "price": 29.0 }])
    );
    assert_eq!(course["samples"], json!([{ "title": "Course trailer" }]));
    assert_eq!(
        course["prices"]["price"]["value"], 29.0,
        "product price plus the link"
    );
    let kit = item(cart, "BNDL-YOGA-KIT");
    assert_eq!(kit["__typename"], "BundleCartItem");
    let options = kit["bundle_options"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(options.len(), 2, "{kit}");
    assert_eq!(options[0]["uid"], encode("bundle/1"));
    assert_eq!(options[0]["type"], "radio");
    assert_eq!(options[0]["values"][0]["id"], 1);
    assert_eq!(options[1]["values"][0]["quantity"], 3.0, "entered quantity");
    let ball = usd_cents(&sandbox, selection_product(&sandbox, "BNDL-YOGA-KIT", 1));
    let block = usd_cents(&sandbox, selection_product(&sandbox, "BNDL-YOGA-KIT", 3));
    let expected = f64::from(ball + 3 * block) / 100.0;
    assert_eq!(
        kit["prices"]["price"]["value"].as_f64(),
        Some(expected),
        "a dynamic bundle costs the sum of its selections"
    );
}

#[tokio::test]
async fn the_older_type_mutations_add_the_same_lines_and_fail_whole_on_a_problem() {
    let sandbox = typed_sandbox();
    let id = guest_cart(&sandbox).await;
    let steps = [
        r#"addVirtualProductsToCart(input: { cart_id: $id, cart_items: [{ data: { sku: "SVC-WARRANTY-2Y", quantity: 1 } }] }) { cart { ITEMS } }"#,
        r#"addDownloadableProductsToCart(input: { cart_id: $id, cart_items: [{ data: { sku: "DL-YOGA-COURSE", quantity: 1 }, downloadable_product_links: [{ link_id: 1 }, { link_id: 2 }] }] }) { cart { ITEMS } }"#,
        r#"addBundleProductsToCart(input: { cart_id: $id, cart_items: [{ data: { sku: "BNDL-TRAVEL-SET", quantity: 2 },
            bundle_options: [{ id: 4, quantity: 1, value: ["7"] }, { id: 5, quantity: 1, value: ["8", "9"] }] }] }) { cart { ITEMS } }"#,
    ];
    let mut cart = Value::Null;
    for step in steps {
        let answer = gql(
            &sandbox,
            &format!("mutation($id: String!) {{ {step} }}"),
            json!({ "id": id }),
        )
        .await;
        assert!(
            answer.body.get("errors").is_none(),
            "{step}: {}",
            answer.body
        );
        cart = answer
            .data()
            .as_object()
            .and_then(|o| o.values().next())
            .map_or(Value::Null, |v| v["cart"].clone());
    }
    assert_eq!(
        item(&cart, "SVC-WARRANTY-2Y")["__typename"],
        "VirtualCartItem"
    );
    let course = item(&cart, "DL-YOGA-COURSE");
    assert_eq!(course["links"].as_array().map(Vec::len), Some(2));
    assert_eq!(course["prices"]["price"]["value"], 48.0, "$19 + $29");
    let set = item(&cart, "BNDL-TRAVEL-SET");
    assert_eq!(set["quantity"], 2.0);
    let values: Vec<i64> = set["bundle_options"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|o| o["values"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["id"].as_i64())
        .collect();
    assert_eq!(values, [7, 8, 9]);
    let refused = [
        (
            r#"addBundleProductsToCart(input: { cart_id: $id, cart_items: [{ data: { sku: "SVC-ASSEMBLY", quantity: 1 }, bundle_options: [] },
                { data: { sku: "BNDL-YOGA-KIT", quantity: 1 }, bundle_options: [{ id: 3, quantity: 1, value: ["4"] }] }] }) { cart { total_quantity } }"#,
            "Could not add the product with SKU BNDL-YOGA-KIT to the shopping cart: Please select all required options.",
        ),
        (
            r#"addDownloadableProductsToCart(input: { cart_id: $id, cart_items: [{ data: { sku: "DL-YOGA-COURSE", quantity: 1 }, downloadable_product_links: [{ link_id: 77 }] }] }) { cart { total_quantity } }"#,
            "Could not add the product with SKU DL-YOGA-COURSE to the shopping cart: Please specify product link(s).",
        ),
    ];
    for (step, message) in refused {
        let answer = gql(
            &sandbox,
            &format!("mutation($id: String!) {{ {step} }}"),
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            answer.body["errors"][0]["message"], message,
            "{}",
            answer.body
        );
        assert_eq!(
            answer.body["errors"][0]["extensions"]["category"],
            "graphql-input"
        );
    }
    let after = gql(
        &sandbox,
        "query($id: String!) { cart(cart_id: $id) { total_quantity } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        after.data()["cart"]["total_quantity"],
        4.0,
        "nothing of a refused mutation went in"
    );
}

const PAY: [&str; 3] = [
    r#"setGuestEmailOnCart(input: { cart_id: $id, email: "ada@example.com" }) { cart { email } }"#,
    r#"setBillingAddressOnCart(input: { cart_id: $id, billing_address: { address: { firstname: "Ada", lastname: "Lovelace",
        street: ["1 Main St"], city: "Los Angeles", region_id: 12, postcode: "90001", country_code: "US", telephone: "555-0100" } } }) { cart { email } }"#,
    r#"setPaymentMethodOnCart(input: { cart_id: $id, payment_method: { code: "checkmo" } }) { cart { email } }"#,
];

const SHIP: [&str; 2] = [
    r#"setShippingAddressesOnCart(input: { cart_id: $id, shipping_addresses: [{ address: { firstname: "Ada", lastname: "Lovelace",
        street: ["1 Main St"], city: "Los Angeles", region_id: 12, postcode: "90001", country_code: "US", telephone: "555-0100" } }] }) { cart { email } }"#,
    r#"setShippingMethodsOnCart(input: { cart_id: $id, shipping_methods: [{ carrier_code: "flatrate", method_code: "flatrate" }] }) { cart { email } }"#,
];

const ORDER: &str = "mutation($id: String!) { placeOrder(input: { cart_id: $id }) { errors { code message }
    orderV2 { number is_virtual shipping_address { city } total { total_shipping { value } grand_total { value } }
      items { __typename product_sku product_type quantity_ordered
        ... on DownloadableOrderItem { downloadable_links { uid title sort_order } }
        ... on BundleOrderItem { parent_sku bundle_options { uid label values { product_sku quantity price { value currency } } } } } } } }";

async fn run(sandbox: &Sandbox, id: &str, steps: &[&str]) {
    for step in steps {
        let answer = gql(
            sandbox,
            &format!("mutation($id: String!) {{ {step} }}"),
            json!({ "id": id }),
        )
        .await;
        assert!(
            answer.body.get("errors").is_none(),
            "{step}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn a_virtual_cart_refuses_a_shipping_address_and_orders_without_one() {
    let sandbox = typed_sandbox();
    let id = guest_cart(&sandbox).await;
    let items = json!([
        { "sku": "SVC-ASSEMBLY", "quantity": 1 },
        { "sku": "DL-TRAIL-GUIDE", "quantity": 1 },
    ]);
    let added = gql(&sandbox, ADD, json!({ "id": id, "items": items })).await;
    let cart = &added.data()["addProductsToCart"]["cart"];
    assert_eq!(cart["is_virtual"], true, "{}", added.body);
    assert_eq!(
        item(cart, "DL-TRAIL-GUIDE")["links"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "included links"
    );
    let refused = gql(
        &sandbox,
        &format!("mutation($id: String!) {{ {} }}", SHIP[0]),
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        refused.body["errors"][0]["message"],
        "Shipping address is not allowed on cart: cart contains no items for shipment."
    );
    assert_eq!(refused.data()["setShippingAddressesOnCart"], Value::Null);
    run(&sandbox, &id, &PAY).await;
    let placed = gql(&sandbox, ORDER, json!({ "id": id })).await;
    let order = &placed.data()["placeOrder"]["orderV2"];
    assert_eq!(
        placed.data()["placeOrder"]["errors"],
        json!([]),
        "{}",
        placed.body
    );
    assert_eq!(order["is_virtual"], true);
    assert_eq!(order["shipping_address"], Value::Null);
    assert_eq!(order["total"]["total_shipping"]["value"], 0.0);
    assert_eq!(
        order["total"]["grand_total"]["value"], 66.03,
        "$49 + $12, taxed by the billing address (8.25% in CA)"
    );
    let items = order["items"].as_array().cloned().unwrap_or_default();
    let assembly = items
        .iter()
        .find(|i| i["product_sku"] == "SVC-ASSEMBLY")
        .expect("virtual item");
    assert_eq!(assembly["__typename"], "OrderItem");
    assert_eq!(assembly["product_type"], "virtual");
    let guide = items
        .iter()
        .find(|i| i["product_sku"] == "DL-TRAIL-GUIDE")
        .expect("downloadable item");
    assert_eq!(guide["__typename"], "DownloadableOrderItem");
    assert_eq!(guide["product_type"], "downloadable");
    assert_eq!(
        guide["downloadable_links"],
        json!([
            { "uid": encode("downloadable/3"), "title": "PDF edition", "sort_order": 1 },
            { "uid": encode("downloadable/4"), "title": "EPUB edition", "sort_order": 2 },
        ])
    );
}

#[tokio::test]
async fn a_mixed_cart_with_a_bundle_ships_and_its_order_reserves_every_selection() {
    let sandbox = typed_sandbox();
    let id = guest_cart(&sandbox).await;
    let catalog = &sandbox.inner.data.catalog;
    let ball = selection_product(&sandbox, "BNDL-YOGA-KIT", 2);
    let block = selection_product(&sandbox, "BNDL-YOGA-KIT", 3);
    let before = (catalog.product_qty(ball), catalog.product_qty(block));
    let items = json!([
        { "sku": "BNDL-YOGA-KIT", "quantity": 2, "selected_options": [encode("bundle/1/2/1"), encode("bundle/2/3/2")] },
        { "sku": "SVC-WARRANTY-2Y", "quantity": 1 },
    ]);
    let added = gql(&sandbox, ADD, json!({ "id": id, "items": items })).await;
    assert_eq!(
        added.data()["addProductsToCart"]["user_errors"],
        json!([]),
        "{}",
        added.body
    );
    assert_eq!(
        added.data()["addProductsToCart"]["cart"]["is_virtual"],
        false
    );
    let mut steps: Vec<&str> = SHIP.to_vec();
    steps.extend(PAY);
    run(&sandbox, &id, &steps).await;
    let placed = gql(&sandbox, ORDER, json!({ "id": id })).await;
    assert_eq!(
        placed.data()["placeOrder"]["errors"],
        json!([]),
        "{}",
        placed.body
    );
    let order = &placed.data()["placeOrder"]["orderV2"];
    assert_eq!(order["is_virtual"], false);
    assert_eq!(order["shipping_address"]["city"], "Los Angeles");
    assert_eq!(
        order["total"]["total_shipping"]["value"], 10.0,
        "$5 per shipped bundle, none for the warranty"
    );
    let kit = order["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["product_sku"] == "BNDL-YOGA-KIT"))
        .cloned()
        .expect("bundle item");
    assert_eq!(kit["__typename"], "BundleOrderItem");
    assert_eq!(kit["product_type"], "bundle");
    assert_eq!(kit["bundle_options"][0]["uid"], encode("bundle/1"));
    assert_eq!(kit["bundle_options"][1]["values"][0]["quantity"], 2.0);
    assert_eq!(
        kit["bundle_options"][0]["values"][0]["price"]["value"].as_f64(),
        Some(f64::from(usd_cents(&sandbox, ball)) / 100.0)
    );
    assert_eq!(
        (catalog.product_qty(ball), catalog.product_qty(block)),
        (before.0 - 2, before.1 - 4),
        "two bundles reserve one ball and two blocks each"
    );
}

#[tokio::test]
async fn every_leaf_field_of_the_typed_cart_and_order_items_resolves_with_its_declared_type() {
    let sandbox = typed_sandbox();
    let id = guest_cart(&sandbox).await;
    let items = json!([
        { "sku": "SVC-ASSEMBLY", "quantity": 1 },
        { "sku": "DL-YOGA-COURSE", "quantity": 1, "selected_options": [encode("downloadable/1")] },
        { "sku": "BNDL-YOGA-KIT", "quantity": 1, "selected_options": [encode("bundle/1/1/1"), encode("bundle/2/3/2")] },
    ]);
    let added = gql(&sandbox, ADD, json!({ "id": id, "items": items })).await;
    assert_eq!(
        added.data()["addProductsToCart"]["user_errors"],
        json!([]),
        "{}",
        added.body
    );
    let money = "{ value currency }";
    let cart = format!(
        "items {{ ... on VirtualCartItem {{ {} }}
            ... on DownloadableCartItem {{ {} links {{ {} }} samples {{ {} }} }}
            ... on BundleCartItem {{ {} bundle_options {{ {} values {{ {} priceV2 {money} original_price {money} }} }} }} }}",
        leaf_selection("VirtualCartItem"),
        leaf_selection("DownloadableCartItem"),
        leaf_selection("DownloadableProductLinks"),
        leaf_selection("DownloadableProductSamples"),
        leaf_selection("BundleCartItem"),
        leaf_selection("SelectedBundleOption"),
        leaf_selection("SelectedBundleOptionValue"),
    );
    let read = gql(
        &sandbox,
        &format!("query($id: String!) {{ cart(cart_id: $id) {{ {cart} }} }}"),
        json!({ "id": id }),
    )
    .await;
    assert!(read.body.get("errors").is_none(), "{}", read.body["errors"]);
    let mut steps: Vec<&str> = SHIP.to_vec();
    steps.extend(PAY);
    run(&sandbox, &id, &steps).await;
    let order = format!(
        "mutation($id: String!) {{ placeOrder(input: {{ cart_id: $id }}) {{ errors {{ code }} orderV2 {{ items {{
            ... on OrderItem {{ {} }}
            ... on DownloadableOrderItem {{ {} downloadable_links {{ {} }} }}
            ... on BundleOrderItem {{ {} bundle_options {{ {} values {{ {} price {money} }} }} }} }} }} }} }}",
        leaf_selection("OrderItem"),
        leaf_selection("DownloadableOrderItem"),
        leaf_selection("DownloadableItemsLinks"),
        leaf_selection("BundleOrderItem"),
        leaf_selection("ItemSelectedBundleOption"),
        leaf_selection("ItemSelectedBundleOptionValue"),
    );
    let placed = gql(&sandbox, &order, json!({ "id": id })).await;
    assert!(
        placed.body.get("errors").is_none(),
        "{}",
        placed.body["errors"]
    );
    assert_eq!(placed.data()["placeOrder"]["errors"], json!([]));
    assert_eq!(
        placed.data()["placeOrder"]["orderV2"]["items"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}
