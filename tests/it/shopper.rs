//! Transactional traffic through the BFF: every mutation and every cart or customer read
//! reaches Commerce, is never served from the cache and is never shared between callers; and a
//! whole guest and customer shopping journey through the BFF answers what Commerce answers.

use serde_json::{Value, json};

use crate::support::{Answer, GENERAL_CUSTOMER, TestApp, WHOLESALE_CUSTOMER};

/// A cart as a checkout page reads it.
const CART: &str = "id email total_quantity is_virtual
    items { __typename uid quantity product { sku name } prices { price { value currency } row_total { value } total_item_discount { value } }
        ... on ConfigurableCartItem { configured_variant { sku } configurable_options { option_label value_label } } }
    applied_coupons { code }
    shipping_addresses { firstname city postcode region { code label } country { code }
        available_shipping_methods { carrier_code method_code carrier_title amount { value currency } }
        selected_shipping_method { carrier_code method_code amount { value } } }
    billing_address { firstname city country { code } }
    available_payment_methods { code title }
    selected_payment_method { code title }
    prices { grand_total { value currency } subtotal_excluding_tax { value } subtotal_with_discount_excluding_tax { value }
        discounts { label amount { value } } applied_taxes { label amount { value } } }";

const ORDER: &str = "number status order_date email
    items { __typename product_sku product_name quantity_ordered product_sale_price { value } }
    total { grand_total { value currency } subtotal_excl_tax { value } total_tax { value } total_shipping { value } discounts { amount { value } } }
    shipping_address { firstname city region country_code } billing_address { city }
    payment_methods { name type } shipments { number } shipping_method";

const ADDRESS: &str = r#"{ firstname: "Ada", lastname: "Lovelace", street: ["1 Main St"], city: "Los Angeles",
    region_id: 12, postcode: "90001", country_code: "US", telephone: "555-0100" }"#;

/// Who sends a request and where to.
#[derive(Clone, Copy)]
enum Via {
    Bff,
    Commerce,
}

async fn send(
    app: &TestApp,
    via: Via,
    query: &str,
    variables: Value,
    auth: Option<&str>,
) -> Answer {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    match via {
        Via::Bff => app.query_with(query, variables, &headers).await,
        Via::Commerce => app.query_commerce(query, variables, &headers).await,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A cart mutation on `$id`, with `CART` standing for the cart selection.
async fn on_cart(app: &TestApp, via: Via, auth: Option<&str>, id: &str, mutation: &str) -> Answer {
    let query = format!(
        "mutation($id: String!) {{ {} }}",
        mutation.replace("CART", CART)
    );
    send(app, via, &query, json!({ "id": id }), auth).await
}

async fn guest_cart(app: &TestApp, via: Via) -> String {
    let answer = send(
        app,
        via,
        "mutation { createGuestCart { cart { id } } }",
        json!({}),
        None,
    )
    .await;
    answer.body["data"]["createGuestCart"]["cart"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a guest cart: {}", answer.body))
        .to_owned()
}

/// Browsing: a simple product and a configurable product's variant option uids, both with
/// more than five units (so two journeys can buy them), found through the BFF.
async fn browse(app: &TestApp) -> (String, String, Vec<String>) {
    let tree = app
        .query("{ categories { items { children { uid } } } }", json!({}))
        .await;
    let categories: Vec<String> = tree.body["data"]["categories"]["items"][0]["children"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["uid"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut items = Vec::new();
    for uid in categories {
        let answer = app
            .query(
                "query($uid: String!) { products(filter: { category_uid: { eq: $uid } }, pageSize: 50) { items {
                    __typename sku stock_status only_x_left_in_stock
                    ... on ConfigurableProduct { variants { attributes { uid } product { stock_status only_x_left_in_stock } } } } } }",
                json!({ "uid": uid }),
            )
            .await;
        items.extend(
            answer.body["data"]["products"]["items"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        if items.iter().any(|p| p["__typename"] == "SimpleProduct") {
            break;
        }
    }
    let plenty = |p: &Value| p["stock_status"] == "IN_STOCK" && p["only_x_left_in_stock"].is_null();
    let simple = items
        .iter()
        .find(|p| p["__typename"] == "SimpleProduct" && plenty(p))
        .and_then(|p| p["sku"].as_str())
        .expect("a simple product in stock")
        .to_owned();
    let (parent, uids) = items
        .iter()
        .filter(|p| p["__typename"] == "ConfigurableProduct")
        .find_map(|p| {
            let variant = p["variants"]
                .as_array()?
                .iter()
                .find(|v| plenty(&v["product"]))?;
            let uids = variant["attributes"]
                .as_array()?
                .iter()
                .filter_map(|a| a["uid"].as_str().map(str::to_owned))
                .collect();
            Some((p["sku"].as_str()?.to_owned(), uids))
        })
        .expect("a configurable product with a variant in stock");
    (simple, parent, uids)
}

/// The checkout steps of a journey, in order: cart with a simple and a configurable product,
/// coupon, (guest email), addresses, shipping, payment, order.
fn journey_steps(simple: &str, parent: &str, uids: &[String], guest: bool) -> Vec<String> {
    let mut steps = vec![
        format!(
            r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{simple}", quantity: 2 }}, {{ sku: "{parent}", quantity: 1, selected_options: {uids:?} }}])
                {{ cart {{ CART }} user_errors {{ code message }} }}"#
        ),
        r#"applyCouponToCart(input: { cart_id: $id, coupon_code: "SAVE10" }) { cart { CART } }"#
            .to_owned(),
    ];
    if guest {
        steps.push(r#"setGuestEmailOnCart(input: { cart_id: $id, email: "ada@example.com" }) { cart { CART } }"#.to_owned());
    }
    steps.extend([
        format!("setShippingAddressesOnCart(input: {{ cart_id: $id, shipping_addresses: [{{ address: {ADDRESS} }}] }}) {{ cart {{ CART }} }}"),
        "setBillingAddressOnCart(input: { cart_id: $id, billing_address: { same_as_shipping: true } }) { cart { CART } }".to_owned(),
        r#"setShippingMethodsOnCart(input: { cart_id: $id, shipping_methods: [{ carrier_code: "flatrate", method_code: "flatrate" }] }) { cart { CART } }"#.to_owned(),
        r#"setPaymentMethodOnCart(input: { cart_id: $id, payment_method: { code: "checkmo" } }) { cart { CART } }"#.to_owned(),
        format!("placeOrder(input: {{ cart_id: $id }}) {{ errors {{ code message }} orderV2 {{ {ORDER} }} }}"),
    ]);
    steps
}

/// Runs the steps on one cart and returns each answer, checking none failed.
async fn run_journey(
    app: &TestApp,
    via: Via,
    auth: Option<&str>,
    id: &str,
    steps: &[String],
) -> Vec<Value> {
    let mut answers = Vec::new();
    for step in steps {
        let answer = on_cart(app, via, auth, id, step).await;
        assert_eq!(answer.status, 200, "{step}: {}", answer.body);
        assert!(
            answer.body.get("errors").is_none(),
            "{step}: {}",
            answer.body
        );
        answers.push(answer.body["data"].clone());
    }
    answers
}

/// An answer with the values that name one cart or order (ids, uids, numbers, dates) blanked,
/// so two journeys' answers compare on everything else.
fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let blank = matches!(k.as_str(), "id" | "uid" | "number" | "order_date");
                (k.clone(), if blank { json!("…") } else { normalized(v) })
            })
            .collect(),
        Value::Array(items) => items.iter().map(normalized).collect(),
        other => other.clone(),
    }
}

fn assert_same_journey(through_bff: &[Value], direct: &[Value], steps: &[String]) {
    assert_eq!(through_bff.len(), direct.len());
    for ((bff, commerce), step) in through_bff.iter().zip(direct).zip(steps) {
        assert_eq!(normalized(bff), normalized(commerce), "{step}");
    }
}

#[tokio::test]
async fn a_guest_journey_through_the_bff_answers_what_commerce_answers() {
    let app = TestApp::start().await;
    let (simple, parent, uids) = browse(&app).await;
    let steps = journey_steps(&simple, &parent, &uids, true);
    let bff_cart = guest_cart(&app, Via::Bff).await;
    let through_bff = run_journey(&app, Via::Bff, None, &bff_cart, &steps).await;
    let direct_cart = guest_cart(&app, Via::Commerce).await;
    let direct = run_journey(&app, Via::Commerce, None, &direct_cart, &steps).await;
    assert_same_journey(&through_bff, &direct, &steps);

    let placed = &through_bff[steps.len() - 1]["placeOrder"];
    assert_eq!(placed["errors"], json!([]));
    assert_eq!(placed["orderV2"]["status"], "Pending");
    assert_eq!(placed["orderV2"]["email"], "ada@example.com");
    assert_ne!(
        placed["orderV2"]["number"],
        direct[steps.len() - 1]["placeOrder"]["orderV2"]["number"]
    );
    let cart = &through_bff[steps.len() - 2]["setPaymentMethodOnCart"]["cart"];
    assert_eq!(cart["total_quantity"], 3.0);
    assert_eq!(cart["applied_coupons"], json!([{ "code": "SAVE10" }]));
    assert_eq!(
        cart["prices"]["applied_taxes"][0]["label"],
        "US-CA-*-Rate 1"
    );
    assert_eq!(
        placed["orderV2"]["total"]["grand_total"]["value"],
        cart["prices"]["grand_total"]["value"]
    );
    let closed = send(
        &app,
        Via::Bff,
        "query($id: String!) { cart(cart_id: $id) { id } }",
        json!({ "id": bff_cart }),
        None,
    )
    .await;
    assert_eq!(
        closed.body["errors"][0]["message"],
        "The cart isn't active."
    );
    assert!(closed.body["data"]["cart"].is_null(), "{}", closed.body);
    app.shutdown().await;
}

#[tokio::test]
async fn a_customer_journey_through_the_bff_answers_what_commerce_answers_and_lands_in_the_account()
{
    let app = TestApp::start().await;
    let (simple, parent, uids) = browse(&app).await;
    let token = bearer(
        &app.customer_token(GENERAL_CUSTOMER.0, GENERAL_CUSTOMER.1)
            .await,
    );
    let auth = Some(token.as_str());
    // The seeded cart first gives way to the journey's products.
    let seeded = send(
        &app,
        Via::Bff,
        "{ customerCart { id items { uid } } }",
        json!({}),
        auth,
    )
    .await;
    let id = seeded.body["data"]["customerCart"]["id"]
        .as_str()
        .expect("cart id")
        .to_owned();
    let clear: Vec<String> = seeded.body["data"]["customerCart"]["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["uid"].as_str())
                .map(|uid| format!(r#"{{ cart_item_uid: "{uid}", quantity: 0 }}"#))
                .collect()
        })
        .unwrap_or_default();
    let cleared = on_cart(&app, Via::Bff, auth, &id, &format!("updateCartItems(input: {{ cart_id: $id, cart_items: [{}] }}) {{ cart {{ total_quantity }} errors {{ code }} }}", clear.join(", "))).await;
    assert_eq!(
        cleared.body["data"]["updateCartItems"]["cart"]["total_quantity"], 0.0,
        "{}",
        cleared.body
    );

    let steps = journey_steps(&simple, &parent, &uids, false);
    let through_bff = run_journey(&app, Via::Bff, auth, &id, &steps).await;
    let bff_order = through_bff[steps.len() - 1]["placeOrder"]["orderV2"].clone();
    assert_eq!(bff_order["email"], GENERAL_CUSTOMER.0);

    // The same journey straight against Commerce, on the customer's next (empty) cart.
    let next = send(
        &app,
        Via::Commerce,
        "{ customerCart { id total_quantity } }",
        json!({}),
        auth,
    )
    .await;
    let next_id = next.body["data"]["customerCart"]["id"]
        .as_str()
        .expect("next cart")
        .to_owned();
    assert_ne!(next_id, id);
    assert_eq!(next.body["data"]["customerCart"]["total_quantity"], 0.0);
    let direct = run_journey(&app, Via::Commerce, auth, &next_id, &steps).await;
    assert_same_journey(&through_bff, &direct, &steps);

    let account = format!(
        "{{ customer {{ email orders(sort: {{ sort_field: NUMBER, sort_direction: ASC }}) {{ total_count items {{ {ORDER} }} }} }} }}"
    );
    let orders = send(&app, Via::Bff, &account, json!({}), auth).await;
    let list = &orders.body["data"]["customer"]["orders"];
    assert_eq!(list["total_count"], 2, "{}", orders.body);
    assert_eq!(
        list["items"][0], bff_order,
        "the BFF's order, as the account lists it"
    );
    let direct_orders = send(&app, Via::Commerce, &account, json!({}), auth).await;
    assert_eq!(orders.body, direct_orders.body);
    app.shutdown().await;
}

/// Sandbox calls per root field since the last reset.
fn calls_of(app: &TestApp, field: &str) -> u64 {
    app.sandbox.sandbox.calls().of(field)
}

fn assert_not_cached(answer: &Answer) {
    assert_ne!(answer.header("x-cache"), Some("HIT"), "{}", answer.body);
    let control = answer.header("cache-control").unwrap_or_default();
    assert!(
        !control.contains("public"),
        "cart and customer answers are private: {control}"
    );
}

#[tokio::test]
async fn two_guests_interleaved_only_ever_see_their_own_cart_and_every_read_reaches_commerce() {
    let app = TestApp::start().await;
    let (simple, parent, uids) = browse(&app).await;
    let (a, b) = (
        guest_cart(&app, Via::Bff).await,
        guest_cart(&app, Via::Bff).await,
    );
    assert_ne!(a, b);
    let add_a = format!(
        r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{simple}", quantity: 1 }}]) {{ cart {{ items {{ product {{ sku }} }} }} }}"#
    );
    let add_b = format!(
        r#"addProductsToCart(cartId: $id, cartItems: [{{ sku: "{parent}", quantity: 1, selected_options: {uids:?} }}]) {{ cart {{ items {{ product {{ sku }} }} }} }}"#
    );
    let read = "query($id: String!) { cart(cart_id: $id) { id items { product { sku } } } }";
    app.sandbox.sandbox.reset_calls();
    for round in 1..=3u64 {
        let (added_a, added_b) = tokio::join!(
            on_cart(&app, Via::Bff, None, &a, &add_a),
            on_cart(&app, Via::Bff, None, &b, &add_b)
        );
        assert_not_cached(&added_a);
        assert_not_cached(&added_b);
        let (read_a, read_b) = tokio::join!(
            send(&app, Via::Bff, read, json!({ "id": a }), None),
            send(&app, Via::Bff, read, json!({ "id": b }), None)
        );
        for (answer, id, sku) in [(&read_a, &a, &simple), (&read_b, &b, &parent)] {
            assert_not_cached(answer);
            let cart = &answer.body["data"]["cart"];
            assert_eq!(cart["id"], id.as_str());
            assert_eq!(
                cart["items"],
                json!([{ "product": { "sku": sku } }]),
                "{}",
                answer.body
            );
        }
        assert_eq!(
            calls_of(&app, "cart"),
            2 * round,
            "each read reached Commerce"
        );
        assert_eq!(calls_of(&app, "addProductsToCart"), 2 * round);
    }
    let quantities = "query($id: String!) { cart(cart_id: $id) { total_quantity } }";
    for id in [&a, &b] {
        let answer = send(&app, Via::Bff, quantities, json!({ "id": id }), None).await;
        assert_eq!(
            answer.body["data"]["cart"]["total_quantity"], 3.0,
            "three adds, each once"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn identical_mutations_from_two_guests_at_once_are_each_sent_to_commerce() {
    let app = TestApp::start().await;
    app.sandbox.sandbox.reset_calls();
    let create = "mutation { createGuestCart { cart { id } } }";
    let answers = futures_join_all(&app, create, 6).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| {
            assert_not_cached(a);
            a.body["data"]["createGuestCart"]["cart"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 6, "six guests, six carts: {ids:?}");
    assert_eq!(calls_of(&app, "createGuestCart"), 6);
    app.shutdown().await;
}

/// Sends the same document `n` times at once through the BFF.
async fn futures_join_all(app: &TestApp, query: &str, n: usize) -> Vec<Answer> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (http, url, query) = (app.http.clone(), app.graphql_url(), query.to_owned());
        tasks.spawn(async move { crate::support::post(&http, &url, &query, json!({}), &[]).await });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.expect("request task"));
    }
    answers
}

#[tokio::test]
async fn two_customers_interleaved_read_their_own_cart_and_account_every_time() {
    let app = TestApp::start().await;
    let roni = bearer(
        &app.customer_token(GENERAL_CUSTOMER.0, GENERAL_CUSTOMER.1)
            .await,
    );
    let walter = bearer(
        &app.customer_token(WHOLESALE_CUSTOMER.0, WHOLESALE_CUSTOMER.1)
            .await,
    );
    let read =
        "{ customerCart { id email items { uid } } customer { email orders { total_count } } }";
    let roni_truth = send(&app, Via::Commerce, read, json!({}), Some(&roni))
        .await
        .body;
    let walter_truth = send(&app, Via::Commerce, read, json!({}), Some(&walter))
        .await
        .body;
    assert_ne!(
        roni_truth["data"]["customerCart"]["id"],
        walter_truth["data"]["customerCart"]["id"]
    );
    app.sandbox.sandbox.reset_calls();
    for round in 1..=3u64 {
        let (r, w) = tokio::join!(
            send(&app, Via::Bff, read, json!({}), Some(&roni)),
            send(&app, Via::Bff, read, json!({}), Some(&walter))
        );
        assert_not_cached(&r);
        assert_not_cached(&w);
        assert_eq!(r.body, roni_truth);
        assert_eq!(w.body, walter_truth);
        assert_eq!(r.body["data"]["customer"]["email"], GENERAL_CUSTOMER.0);
        assert_eq!(calls_of(&app, "customerCart"), 2 * round);
        assert_eq!(calls_of(&app, "customer"), 2 * round);
    }
    // A guest holding a customer's cart id gets Commerce's authorization error, not the cart.
    let id = roni_truth["data"]["customerCart"]["id"]
        .as_str()
        .unwrap_or_default();
    let stolen = send(
        &app,
        Via::Bff,
        "query($id: String!) { cart(cart_id: $id) { items { uid } } }",
        json!({ "id": id }),
        None,
    )
    .await;
    let direct = send(
        &app,
        Via::Commerce,
        "query($id: String!) { cart(cart_id: $id) { items { uid } } }",
        json!({ "id": id }),
        None,
    )
    .await;
    assert_eq!(
        stolen.body.get("data"),
        direct.body.get("data"),
        "{}",
        stolen.body
    );
    assert!(stolen.body["data"]["cart"].is_null());
    assert_eq!(
        stolen.body["errors"][0]["extensions"]["category"],
        "graphql-authorization"
    );
    assert_eq!(
        stolen.body["errors"][0]["message"],
        direct.body["errors"][0]["message"]
    );
    assert_eq!(stolen.status, direct.status);
    // And another customer gets the same.
    let theirs = send(
        &app,
        Via::Bff,
        "query($id: String!) { cart(cart_id: $id) { items { uid } } }",
        json!({ "id": id }),
        Some(&walter),
    )
    .await;
    assert_eq!(
        theirs.body["errors"][0]["extensions"]["category"],
        "graphql-authorization"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn checkout_mutations_of_two_customers_interleaved_change_only_their_own_cart() {
    let app = TestApp::start().await;
    let roni = bearer(
        &app.customer_token(GENERAL_CUSTOMER.0, GENERAL_CUSTOMER.1)
            .await,
    );
    let walter = bearer(
        &app.customer_token(WHOLESALE_CUSTOMER.0, WHOLESALE_CUSTOMER.1)
            .await,
    );
    let roni_cart = customer_cart_id(&app, &roni).await;
    let walter_cart = customer_cart_id(&app, &walter).await;
    let address = |city: &str| {
        format!(
            "setShippingAddressesOnCart(input: {{ cart_id: $id, shipping_addresses: [{{ address: {} }}] }}) {{ cart {{ shipping_addresses {{ city }} }} }}",
            ADDRESS.replace("Los Angeles", city)
        )
    };
    let (pasadena, fresno) = (address("Pasadena"), address("Fresno"));
    app.sandbox.sandbox.reset_calls();
    let (r, w) = tokio::join!(
        on_cart(&app, Via::Bff, Some(&roni), &roni_cart, &pasadena),
        on_cart(&app, Via::Bff, Some(&walter), &walter_cart, &fresno)
    );
    assert_not_cached(&r);
    assert_not_cached(&w);
    assert_eq!(calls_of(&app, "setShippingAddressesOnCart"), 2);
    let city = "{ customerCart { shipping_addresses { city } } }";
    let (r, w) = tokio::join!(
        send(&app, Via::Bff, city, json!({}), Some(&roni)),
        send(&app, Via::Bff, city, json!({}), Some(&walter))
    );
    assert_eq!(
        r.body["data"]["customerCart"]["shipping_addresses"][0]["city"],
        "Pasadena"
    );
    assert_eq!(
        w.body["data"]["customerCart"]["shipping_addresses"][0]["city"],
        "Fresno"
    );
    // One customer's token on the other's cart is refused and changes nothing.
    let refused = on_cart(&app, Via::Bff, Some(&walter), &roni_cart, &address("Reno")).await;
    assert_eq!(
        refused.body["errors"][0]["extensions"]["category"], "graphql-authorization",
        "{}",
        refused.body
    );
    let r = send(&app, Via::Bff, city, json!({}), Some(&roni)).await;
    assert_eq!(
        r.body["data"]["customerCart"]["shipping_addresses"][0]["city"],
        "Pasadena"
    );
    app.shutdown().await;
}

async fn customer_cart_id(app: &TestApp, auth: &str) -> String {
    let answer = send(
        app,
        Via::Bff,
        "{ customerCart { id } }",
        json!({}),
        Some(auth),
    )
    .await;
    answer.body["data"]["customerCart"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a customer cart: {}", answer.body))
        .to_owned()
}

/// A guest order of a bundle and a downloadable product through the BFF: the typed cart items
/// and order items come back as Commerce's, and the bundle's selections ship.
#[tokio::test]
async fn a_guest_orders_a_bundle_and_a_downloadable_product_through_the_bff() {
    let app = TestApp::start_with_product_types().await;
    let add = format!(
        r#"addProductsToCart(cartId: $id, cartItems: [
            {{ sku: "BNDL-YOGA-KIT", quantity: 1, selected_options: ["{}", "{}"] }},
            {{ sku: "DL-YOGA-COURSE", quantity: 1, selected_options: ["{}"] }}])
          {{ cart {{ is_virtual items {{ __typename product {{ sku }} prices {{ price {{ value }} }}
              ... on BundleCartItem {{ bundle_options {{ label values {{ label quantity }} }} }}
              ... on DownloadableCartItem {{ links {{ title }} }} }} }} user_errors {{ code message }} }}"#,
        // Commerce's option uids: base64 of `bundle/1/1/1`, `bundle/2/3/2` and `downloadable/1`.
        "YnVuZGxlLzEvMS8x",
        "YnVuZGxlLzIvMy8y",
        "ZG93bmxvYWRhYmxlLzE=",
    );
    let steps = vec![
        add,
        r#"setGuestEmailOnCart(input: { cart_id: $id, email: "ada@example.com" }) { cart { email } }"#.to_owned(),
        format!("setShippingAddressesOnCart(input: {{ cart_id: $id, shipping_addresses: [{{ address: {ADDRESS} }}] }}) {{ cart {{ is_virtual }} }}"),
        "setBillingAddressOnCart(input: { cart_id: $id, billing_address: { same_as_shipping: true } }) { cart { email } }".to_owned(),
        r#"setShippingMethodsOnCart(input: { cart_id: $id, shipping_methods: [{ carrier_code: "flatrate", method_code: "flatrate" }] }) { cart { email } }"#.to_owned(),
        r#"setPaymentMethodOnCart(input: { cart_id: $id, payment_method: { code: "checkmo" } }) { cart { email } }"#.to_owned(),
        "placeOrder(input: { cart_id: $id }) { errors { code message } orderV2 { number is_virtual
            total { total_shipping { value } }
            items { __typename product_sku product_type
              ... on BundleOrderItem { bundle_options { label values { product_sku quantity } } }
              ... on DownloadableOrderItem { downloadable_links { title } } } } }".to_owned(),
    ];
    let bff_cart = guest_cart(&app, Via::Bff).await;
    let through_bff = run_journey(&app, Via::Bff, None, &bff_cart, &steps).await;
    let direct_cart = guest_cart(&app, Via::Commerce).await;
    let direct = run_journey(&app, Via::Commerce, None, &direct_cart, &steps).await;
    assert_same_journey(&through_bff, &direct, &steps);

    let added = &through_bff[0]["addProductsToCart"];
    assert_eq!(added["user_errors"], json!([]));
    assert_eq!(added["cart"]["is_virtual"], false);
    let typenames: Vec<&str> = added["cart"]["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["__typename"].as_str())
        .collect();
    assert_eq!(typenames, ["BundleCartItem", "DownloadableCartItem"]);
    assert_eq!(
        added["cart"]["items"][1]["links"],
        json!([{ "title": "Beginner series" }])
    );
    let placed = &through_bff[steps.len() - 1]["placeOrder"];
    assert_eq!(placed["errors"], json!([]));
    let order = &placed["orderV2"];
    assert_eq!(order["is_virtual"], false);
    assert_eq!(
        order["total"]["total_shipping"]["value"], 5.0,
        "only the bundle ships"
    );
    assert_eq!(order["items"][0]["__typename"], "BundleOrderItem");
    assert_eq!(
        order["items"][0]["bundle_options"][1]["values"][0]["quantity"],
        2.0
    );
    assert_eq!(order["items"][1]["__typename"], "DownloadableOrderItem");
    assert_eq!(
        order["items"][1]["downloadable_links"],
        json!([{ "title": "Beginner series" }])
    );
    app.shutdown().await;
}
