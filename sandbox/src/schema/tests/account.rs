//! Customer accounts, address book, wish lists, reviews and forms, through `/graphql`.

use super::*;

async fn bearer(sandbox: &Sandbox, email: &str, password: &str) -> String {
    format!("Bearer {}", token(sandbox, email, password).await)
}

async fn as_customer(sandbox: &Sandbox, auth: &str, query: &str, variables: Value) -> Answer {
    post(sandbox, query, variables, &[("Authorization", auth)]).await
}

const CREATE: &str = "mutation($input: CustomerCreateInput!) { createCustomerV2(input: $input) {
    customer { email firstname lastname is_subscribed date_of_birth gender } } }";

#[tokio::test]
async fn a_shopper_registers_signs_in_and_edits_the_profile() {
    let sandbox = sandbox();
    let input = json!({ "email": "nia@example.com", "firstname": "Nia", "lastname": "New",
        "password": "Secret123!", "is_subscribed": true, "date_of_birth": "1990-04-01", "gender": 2 });
    let answer = post(&sandbox, CREATE, json!({ "input": input }), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let customer = &answer.data()["createCustomerV2"]["customer"];
    assert_eq!(customer["email"], "nia@example.com");
    assert_eq!(
        (
            customer["is_subscribed"].clone(),
            customer["gender"].clone()
        ),
        (json!(true), json!(2))
    );
    assert_eq!(customer["date_of_birth"], "1990-04-01");
    let auth = bearer(&sandbox, "nia@example.com", "Secret123!").await;
    let update = "mutation { updateCustomerV2(input: { firstname: \"Nina\" }) { customer { firstname lastname } } }";
    let answer = as_customer(&sandbox, &auth, update, json!({})).await;
    assert_eq!(
        answer.data()["updateCustomerV2"]["customer"]["firstname"],
        "Nina"
    );
    let me = as_customer(
        &sandbox,
        &auth,
        "{ customer { firstname email } }",
        json!({}),
    )
    .await;
    assert_eq!(me.data()["customer"]["firstname"], "Nina");

    let again = post(&sandbox, CREATE, json!({ "input": input }), &[]).await;
    assert_eq!(again.data()["createCustomerV2"], Value::Null);
    assert_eq!(
        again.error(),
        (
            "A customer with the same email address already exists in an associated website.",
            "graphql-input"
        )
    );
    let weak = json!({ "email": "weak@example.com", "firstname": "W", "lastname": "K", "password": "password1" });
    let answer = post(&sandbox, CREATE, json!({ "input": weak }), &[]).await;
    assert_eq!(
        answer.error().0,
        "Minimum of different classes of characters in password is 3. Classes of characters: Lower Case, Upper Case, Digits, Special Characters."
    );
    let blank = json!({ "email": "blank@example.com", "firstname": " ", "lastname": "" });
    let answer = post(&sandbox, CREATE, json!({ "input": blank }), &[]).await;
    assert_eq!(
        answer.error().0,
        "Required parameters are missing: First Name, Last Name"
    );
    let invalid = json!({ "email": "not-an-email", "firstname": "A", "lastname": "B" });
    let answer = post(&sandbox, CREATE, json!({ "input": invalid }), &[]).await;
    assert_eq!(
        answer.error().0,
        "\"not-an-email\" is not a valid email address."
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
async fn changing_the_email_or_password_needs_the_current_password() {
    let sandbox = sandbox();
    let auth = bearer(&sandbox, "retailer@example.com", "Retailer123!").await;
    let email = "mutation($p: String!) { updateCustomerEmail(email: \"rita@example.com\", password: $p) { customer { email } } }";
    let wrong = as_customer(&sandbox, &auth, email, json!({ "p": "nope" })).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.error(),
        (
            "The password doesn't match this account. Verify the password and try again.",
            "graphql-authentication"
        )
    );
    let right = as_customer(&sandbox, &auth, email, json!({ "p": "Retailer123!" })).await;
    assert_eq!(
        right.data()["updateCustomerEmail"]["customer"]["email"],
        "rita@example.com"
    );
    let no_password = as_customer(
        &sandbox,
        &auth,
        "mutation { updateCustomer(input: { email: \"r2@example.com\" }) { customer { email } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        no_password.error().0,
        "Provide the current \"password\" to change \"email\"."
    );

    let change = "mutation($c: String!, $n: String!) { changeCustomerPassword(currentPassword: $c, newPassword: $n) { email } }";
    let wrong = as_customer(
        &sandbox,
        &auth,
        change,
        json!({ "c": "nope", "n": "Changed123!" }),
    )
    .await;
    assert_eq!(wrong.error().1, "graphql-authentication");
    let weak = as_customer(
        &sandbox,
        &auth,
        change,
        json!({ "c": "Retailer123!", "n": "short" }),
    )
    .await;
    assert_eq!(
        weak.error().0,
        "The password needs at least 8 characters. Create a new password and try again."
    );
    let done = as_customer(
        &sandbox,
        &auth,
        change,
        json!({ "c": "Retailer123!", "n": "Changed123!" }),
    )
    .await;
    assert_eq!(
        done.data()["changeCustomerPassword"]["email"],
        "rita@example.com"
    );
    assert!(
        sandbox
            .inner
            .data
            .customers
            .authenticate("rita@example.com", "Changed123!")
            .is_some()
    );
}

#[tokio::test]
async fn a_password_reset_token_from_the_outbox_sets_a_new_password_once() {
    let sandbox = sandbox();
    let request = "mutation { requestPasswordResetEmail(email: \"wholesale@example.com\") }";
    let answer = post(&sandbox, request, json!({}), &[]).await;
    assert_eq!(answer.data()["requestPasswordResetEmail"], true);
    let mail = sandbox.mail();
    let token = mail
        .iter()
        .rev()
        .find(|m| m.template == "customer_password_forgot_email_template")
        .and_then(|m| m.variables["token"].as_str())
        .expect("a reset mail")
        .to_owned();
    assert_eq!(
        mail.last().map(|m| m.to.as_str()),
        Some("wholesale@example.com")
    );
    let reset = "mutation($t: String!) { resetPassword(email: \"wholesale@example.com\", resetPasswordToken: $t, newPassword: \"Reset123!x\") }";
    let wrong = post(&sandbox, reset, json!({ "t": "wrong" }), &[]).await;
    assert_eq!(
        wrong.error(),
        ("Cannot set the customer's password", "graphql-input")
    );
    let answer = post(&sandbox, reset, json!({ "t": token }), &[]).await;
    assert_eq!(answer.data()["resetPassword"], true);
    assert!(
        sandbox
            .inner
            .data
            .customers
            .authenticate("wholesale@example.com", "Reset123!x")
            .is_some()
    );
    let replay = post(&sandbox, reset, json!({ "t": token }), &[]).await;
    assert_eq!(replay.error().0, "Cannot set the customer's password");
    let unknown = post(
        &sandbox,
        "mutation { requestPasswordResetEmail(email: \"nobody@example.com\") }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(unknown.error().0, "Cannot reset the customer's password");
    let malformed = post(
        &sandbox,
        "mutation { requestPasswordResetEmail(email: \"nope\") }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(
        malformed.error().0,
        "The email address has an invalid format."
    );
}

const ADDRESS: &str = "mutation($input: CustomerAddressInput!) { createCustomerAddress(input: $input) {
    id uid firstname street city postcode country_code region { region_code region region_id } default_billing default_shipping } }";

fn address(country: &str, region: Value) -> Value {
    json!({ "firstname": "Veronica", "lastname": "Costello", "street": ["6146 Honey Bluff Parkway"], "city": "Calder",
        "postcode": "49628", "telephone": "555-229-3326", "country_code": country, "region": region,
        "default_billing": true, "default_shipping": true })
}

#[tokio::test]
async fn the_address_book_keeps_defaults_and_refuses_what_commerce_refuses() {
    let sandbox = sandbox();
    let auth = bearer(&sandbox, "roni_cost@example.com", "roni_cost3@example.com").await;
    let created = as_customer(
        &sandbox,
        &auth,
        ADDRESS,
        json!({ "input": address("US", json!({ "region_code": "CA" })) }),
    )
    .await;
    assert!(created.body.get("errors").is_none(), "{}", created.body);
    let first = &created.data()["createCustomerAddress"];
    assert_eq!(
        first["region"],
        json!({ "region_code": "CA", "region": "California", "region_id": 12 })
    );
    assert_eq!(
        (
            first["default_billing"].clone(),
            first["default_shipping"].clone()
        ),
        (json!(true), json!(true))
    );
    let first_id = first["id"].as_u64().expect("id");
    let mut second = address("DE", json!({ "region": "Berlin" }));
    second["default_billing"] = json!(false);
    second["default_shipping"] = json!(false);
    let created = as_customer(&sandbox, &auth, ADDRESS, json!({ "input": second })).await;
    let second_uid = created.data()["createCustomerAddress"]["uid"]
        .as_str()
        .expect("uid")
        .to_owned();

    let book = as_customer(
        &sandbox,
        &auth,
        "{ customer { default_billing default_shipping addresses { id city }
        addressesV2(pageSize: 1) { total_count items { id } page_info { total_pages } } } }",
        json!({}),
    )
    .await;
    let customer = &book.data()["customer"];
    assert_eq!(customer["default_billing"], first_id.to_string());
    assert_eq!(customer["addresses"].as_array().map(Vec::len), Some(2));
    assert_eq!(customer["addressesV2"]["total_count"], 2);
    assert_eq!(customer["addressesV2"]["page_info"]["total_pages"], 2);

    let update = "mutation($uid: ID!) { updateCustomerAddressV2(uid: $uid, input: { city: \"Potsdam\" }) { city country_code } }";
    let updated = as_customer(&sandbox, &auth, update, json!({ "uid": second_uid })).await;
    assert_eq!(
        updated.data()["updateCustomerAddressV2"],
        json!({ "city": "Potsdam", "country_code": "DE" })
    );
    let delete_default = format!("mutation {{ deleteCustomerAddress(id: {first_id}) }}");
    let refused = as_customer(&sandbox, &auth, &delete_default, json!({})).await;
    assert_eq!(
        refused.error().0,
        format!(
            "Customer Address {first_id} is set as default billing address and can not be deleted"
        )
    );
    let delete = "mutation($uid: ID!) { deleteCustomerAddressV2(uid: $uid) }";
    let deleted = as_customer(&sandbox, &auth, delete, json!({ "uid": second_uid })).await;
    assert_eq!(deleted.data()["deleteCustomerAddressV2"], true);
    let gone = as_customer(&sandbox, &auth, delete, json!({ "uid": second_uid })).await;
    assert_eq!(gone.error().1, "graphql-no-such-entity");

    let no_region = as_customer(
        &sandbox,
        &auth,
        ADDRESS,
        json!({ "input": address("US", Value::Null) }),
    )
    .await;
    assert_eq!(
        no_region.error().0,
        "\"regionId\" is required. Enter and try again."
    );
    let mut missing = address("DE", Value::Null);
    missing["city"] = json!("");
    missing["telephone"] = json!("");
    let missing = as_customer(&sandbox, &auth, ADDRESS, json!({ "input": missing })).await;
    assert_eq!(
        missing.error().0,
        "Required parameters are missing: city, telephone"
    );
    let guest = post(
        &sandbox,
        ADDRESS,
        json!({ "input": address("DE", Value::Null) }),
        &[],
    )
    .await;
    assert_eq!(
        guest.error(),
        (
            "The current customer isn't authorized.",
            "graphql-authorization"
        )
    );
    let after = sandbox
        .inner
        .data
        .customers
        .by_email("roni_cost@example.com")
        .expect("roni");
    assert_eq!(after.addresses.len(), 1, "refused changes changed nothing");
}

#[tokio::test]
async fn a_guest_asking_for_the_customer_gets_null_with_commerces_error() {
    let sandbox = sandbox();
    let answer = post(
        &sandbox,
        "{ customer { email wishlists { id } } storeConfig { store_code } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["data"]["customer"], Value::Null);
    assert!(
        answer.body["data"]
            .as_object()
            .is_some_and(|d| d.contains_key("customer")),
        "{}",
        answer.body
    );
    assert_eq!(answer.data()["storeConfig"]["store_code"], "default");
    assert_eq!(
        answer.error(),
        (
            "The current customer isn't authorized.",
            "graphql-authorization"
        )
    );
    assert_eq!(answer.body["errors"][0]["path"], json!(["customer"]));
    let mixed = post(
        &sandbox,
        "{ compareList(uid: \"abc\") { uid } storeConfig { store_code } }",
        json!({}),
        &[],
    )
    .await;
    assert!(
        mixed.body["data"]
            .as_object()
            .is_some_and(|d| d.contains_key("compareList"))
    );
    assert_eq!(mixed.body["data"]["compareList"], Value::Null);
    // Alone, the failed field is still a key of `data` (Venia reads `data.customer`)…
    let alone = post(&sandbox, "{ customer { email } }", json!({}), &[]).await;
    assert_eq!(
        alone.body["data"],
        json!({ "customer": null }),
        "{}",
        alone.body
    );
    // …but a failed non-null root field (`customerCart: Cart!`) nulls `data` itself.
    let non_null = post(&sandbox, "{ customerCart { id } }", json!({}), &[]).await;
    assert_eq!(non_null.body["data"], Value::Null, "{}", non_null.body);
    assert!(non_null.body["errors"][0]["message"].is_string());
}

const LISTS: &str = "{ customer { wishlists { id name visibility items_count
    items_v2 { items { __typename id quantity description product { sku } ... on ConfigurableWishlistItem { child_sku } } page_info { total_pages } } }
    wishlist { id } } }";

#[tokio::test]
async fn wish_lists_take_products_merge_repeats_and_report_item_errors() {
    let sandbox = sandbox();
    let auth = bearer(&sandbox, "roni_cost@example.com", "roni_cost3@example.com").await;
    let lists = as_customer(&sandbox, &auth, LISTS, json!({})).await;
    assert!(lists.body.get("errors").is_none(), "{}", lists.body);
    let default = &lists.data()["customer"]["wishlists"][0];
    assert_eq!(
        (default["name"].clone(), default["items_count"].clone()),
        (json!("Wish List"), json!(0))
    );
    let id = default["id"].as_str().expect("id").to_owned();
    let sku = sandbox.inner.data.catalog.product(0).sku.clone();
    let add = "mutation($id: ID!, $items: [WishlistItemInput!]!) { addProductsToWishlist(wishlistId: $id, wishlistItems: $items) {
        wishlist { items_count items_v2 { items { id quantity } } } user_errors { code message } } }";
    let items = json!([{ "sku": sku, "quantity": 1 }, { "sku": sku, "quantity": 2 }, { "sku": "NOPE", "quantity": 1 }]);
    let added = as_customer(&sandbox, &auth, add, json!({ "id": id, "items": items })).await;
    let out = &added.data()["addProductsToWishlist"];
    assert_eq!(out["wishlist"]["items_count"], 1);
    assert_eq!(out["wishlist"]["items_v2"]["items"][0]["quantity"], 3.0);
    assert_eq!(
        out["user_errors"],
        json!([{ "code": "PRODUCT_NOT_FOUND", "message": "Could not find a product with SKU \"NOPE\"" }])
    );
    let item = out["wishlist"]["items_v2"]["items"][0]["id"]
        .as_str()
        .expect("item")
        .to_owned();

    let update = "mutation($id: ID!, $item: ID!) { updateProductsInWishlist(wishlistId: $id, wishlistItems: [{ wishlist_item_id: $item, quantity: 5, description: \"for Sam\" }]) {
        wishlist { items_v2 { items { quantity description } } } user_errors { code } } }";
    let updated = as_customer(&sandbox, &auth, update, json!({ "id": id, "item": item })).await;
    assert_eq!(
        updated.data()["updateProductsInWishlist"]["wishlist"]["items_v2"]["items"][0],
        json!({ "quantity": 5.0, "description": "for Sam" })
    );
    let rename = "mutation($id: ID!) { updateWishlist(wishlistId: $id, name: \"Birthday\", visibility: PUBLIC) { uid name visibility } }";
    let renamed = as_customer(&sandbox, &auth, rename, json!({ "id": id })).await;
    assert_eq!(
        renamed.data()["updateWishlist"],
        json!({ "uid": id, "name": "Birthday", "visibility": "PUBLIC" })
    );
    let remove = "mutation($id: ID!, $item: ID!) { removeProductsFromWishlist(wishlistId: $id, wishlistItemsIds: [$item]) { wishlist { items_count } user_errors { code } } }";
    let removed = as_customer(&sandbox, &auth, remove, json!({ "id": id, "item": item })).await;
    assert_eq!(
        removed.data()["removeProductsFromWishlist"]["wishlist"]["items_count"],
        0
    );

    let other = bearer(&sandbox, "wholesale@example.com", "Wholesale123!").await;
    let foreign = as_customer(
        &sandbox,
        &other,
        add,
        json!({ "id": id, "items": [{ "sku": sku, "quantity": 1 }] }),
    )
    .await;
    assert_eq!(
        foreign.error(),
        ("The wishlist was not found.", "graphql-input")
    );
    let v2 = as_customer(
        &sandbox,
        &other,
        &format!("{{ customer {{ wishlist_v2(id: \"{id}\") {{ id }} }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(v2.data()["customer"]["wishlist_v2"], Value::Null);
    let guest = post(&sandbox, add, json!({ "id": id, "items": [] }), &[]).await;
    assert_eq!(
        guest.error(),
        (
            "The current user cannot perform operations on wishlist",
            "graphql-authorization"
        )
    );

    let create = "mutation($n: String!) { createWishlist(input: { name: $n, visibility: PRIVATE }) { wishlist { id name } } }";
    for name in ["Gifts", "Later"] {
        let created = as_customer(&sandbox, &auth, create, json!({ "n": name })).await;
        assert_eq!(created.data()["createWishlist"]["wishlist"]["name"], name);
    }
    let fourth = as_customer(&sandbox, &auth, create, json!({ "n": "More" })).await;
    assert_eq!(fourth.error().0, "Only 3 wish list(s) can be created.");
}

#[tokio::test]
async fn reviews_wait_for_approval_and_then_count_on_their_product() {
    let sandbox = sandbox();
    let metadata = post(
        &sandbox,
        "{ productReviewRatingsMetadata { items { id name values { value_id value } } } }",
        json!({}),
        &[],
    )
    .await;
    let rating = &metadata.data()["productReviewRatingsMetadata"]["items"][0];
    assert_eq!(rating["name"], "Rating");
    assert_eq!(rating["values"].as_array().map(Vec::len), Some(5));
    let sku = sandbox.inner.data.catalog.product(1).sku.clone();
    let product = format!(
        "{{ products(filter: {{ sku: {{ eq: \"{sku}\" }} }}) {{ items {{ rating_summary review_count reviews {{ items {{ summary average_rating }} page_info {{ page_size }} }} }} }} }}"
    );
    let before = post(&sandbox, &product, json!({}), &[]).await;
    let item = &before.data()["products"]["items"][0];
    let count = item["review_count"].as_u64().expect("count");
    assert_eq!(
        item["reviews"]["items"].as_array().map(|a| a.len() as u64),
        Some(count)
    );

    let auth = bearer(&sandbox, "roni_cost@example.com", "roni_cost3@example.com").await;
    let create = "mutation($input: CreateProductReviewInput!) { createProductReview(input: $input) { review { nickname summary average_rating ratings_breakdown { name value } product { sku } } } }";
    let input = json!({ "sku": sku, "nickname": "Roni", "summary": "Great", "text": "Love it",
        "ratings": [{ "id": rating["id"], "value_id": rating["values"][4]["value_id"] }] });
    let created = as_customer(&sandbox, &auth, create, json!({ "input": input })).await;
    let review = &created.data()["createProductReview"]["review"];
    assert_eq!(review["average_rating"], 100.0);
    assert_eq!(
        review["ratings_breakdown"],
        json!([{ "name": "Rating", "value": "5" }])
    );
    let mine = as_customer(
        &sandbox,
        &auth,
        "{ customer { reviews { items { summary } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        mine.data()["customer"]["reviews"]["items"][0]["summary"],
        "Great"
    );
    let pending = post(&sandbox, &product, json!({}), &[]).await;
    assert_eq!(
        pending.data()["products"]["items"][0]["review_count"],
        count
    );
    assert_eq!(sandbox.approve_reviews(), 1);
    let after = post(&sandbox, &product, json!({}), &[]).await;
    assert_eq!(
        after.data()["products"]["items"][0]["review_count"],
        count + 1
    );

    let unknown = post(&sandbox, create, json!({ "input": { "sku": "NOPE", "nickname": "a", "summary": "b", "text": "c", "ratings": [] } }), &[]).await;
    assert_eq!(
        unknown.error(),
        (
            "Could not find a product with SKU \"NOPE\"",
            "graphql-no-such-entity"
        )
    );
    let empty = post(&sandbox, create, json!({ "input": { "sku": sku, "nickname": "", "summary": "b", "text": "c", "ratings": [] } }), &[]).await;
    assert_eq!(empty.error().0, "Please enter a nickname.");
}

#[tokio::test]
async fn forms_tokens_and_newsletter_answer_as_commerce() {
    let sandbox = sandbox();
    let contact = post(&sandbox, "mutation { contactUs(input: { name: \"Sam\", email: \"sam@example.com\", comment: \"Hello\" }) { status } }", json!({}), &[]).await;
    assert_eq!(contact.data()["contactUs"]["status"], true);
    assert_eq!(
        sandbox
            .mail()
            .last()
            .map(|m| m.variables["comment"].clone()),
        Some(json!("Hello"))
    );
    let bad = post(&sandbox, "mutation { contactUs(input: { name: \"Sam\", email: \"nope\", comment: \"Hello\" }) { status } }", json!({}), &[]).await;
    assert_eq!(bad.error().1, "graphql-input");
    let recaptcha = post(
        &sandbox,
        "{ recaptchaV3Config { is_enabled website_key forms } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(
        recaptcha.data()["recaptchaV3Config"],
        json!({ "is_enabled": false, "website_key": "", "forms": [] })
    );
    let available = post(
        &sandbox,
        "{ isEmailAvailable(email: \"roni_cost@example.com\") { is_email_available } }",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(
        available.data()["isEmailAvailable"]["is_email_available"],
        true,
        "2.4.7+ hides who has an account"
    );

    let auth = bearer(&sandbox, "roni_cost@example.com", "roni_cost3@example.com").await;
    let tokens = as_customer(
        &sandbox,
        &auth,
        "{ customerPaymentTokens { items { public_hash } } }",
        json!({}),
    )
    .await;
    assert_eq!(tokens.data()["customerPaymentTokens"]["items"], json!([]));
    let delete = as_customer(
        &sandbox,
        &auth,
        "mutation { deletePaymentToken(public_hash: \"abc\") { result } }",
        json!({}),
    )
    .await;
    assert_eq!(
        delete.error(),
        (
            "Could not find a token using public hash: abc",
            "graphql-no-such-entity"
        )
    );
    let subscribe = "mutation($e: String!) { subscribeEmailToNewsletter(email: $e) { status } }";
    let mine = as_customer(
        &sandbox,
        &auth,
        subscribe,
        json!({ "e": "roni_cost@example.com" }),
    )
    .await;
    assert_eq!(
        mine.data()["subscribeEmailToNewsletter"]["status"],
        "SUBSCRIBED"
    );
    let me = as_customer(&sandbox, &auth, "{ customer { is_subscribed } }", json!({})).await;
    assert_eq!(me.data()["customer"]["is_subscribed"], true);
    let foreign = as_customer(
        &sandbox,
        &auth,
        subscribe,
        json!({ "e": "wholesale@example.com" }),
    )
    .await;
    assert_eq!(
        foreign.error().0,
        "This email address is already assigned to another user."
    );
}

#[tokio::test]
async fn every_leaf_field_of_the_account_types_resolves_with_its_declared_type() {
    let sandbox = sandbox();
    let auth = bearer(&sandbox, "buyer@acme.example", "Acme123!").await;
    as_customer(
        &sandbox,
        &auth,
        ADDRESS,
        json!({ "input": address("US", json!({ "region_id": 43 })) }),
    )
    .await;
    let query = format!(
        "{{ customer {{ {} addresses {{ {} region {{ {} }} }} wishlists {{ {} }} reviews {{ items {{ {} }} }} }} }}",
        leaf_selection("Customer"),
        leaf_selection("CustomerAddress"),
        leaf_selection("CustomerAddressRegion"),
        leaf_selection("Wishlist"),
        leaf_selection("ProductReview"),
    );
    let answer = as_customer(&sandbox, &auth, &query, json!({})).await;
    assert!(
        answer.body.get("errors").is_none(),
        "{query}\n{}",
        answer.body["errors"]
    );
}

#[tokio::test]
async fn a_configurable_product_with_chosen_options_is_wished_as_its_variant() {
    let sandbox = sandbox();
    let catalog = &sandbox.inner.data.catalog;
    let index = (0..catalog.products.len() as u32)
        .find(|&i| catalog.product(i).configurable.is_some())
        .expect("a configurable product");
    let parent = catalog.product(index).sku.clone();
    let query = format!(
        "{{ products(filter: {{ sku: {{ eq: \"{parent}\" }} }}) {{ items {{ ... on ConfigurableProduct {{ variants {{ attributes {{ uid }} product {{ sku }} }} }} }} }} }}"
    );
    let variants = post(&sandbox, &query, json!({}), &[]).await;
    let variant = &variants.data()["products"]["items"][0]["variants"][1];
    let uids: Vec<Value> = variant["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| a["uid"].clone())
        .collect();
    let auth = bearer(&sandbox, "retailer@example.com", "Retailer123!").await;
    let lists = as_customer(
        &sandbox,
        &auth,
        "{ customer { wishlists { id } } }",
        json!({}),
    )
    .await;
    let id = lists.data()["customer"]["wishlists"][0]["id"].clone();
    let add = "mutation($id: ID!, $items: [WishlistItemInput!]!) { addProductsToWishlist(wishlistId: $id, wishlistItems: $items) {
        wishlist { items_v2 { items { __typename product { sku } ... on ConfigurableWishlistItem { child_sku configurable_options { value_label } configured_variant { sku } } } } } user_errors { message } } }";
    let items = json!([{ "sku": parent, "quantity": 1, "selected_options": uids }]);
    let added = as_customer(&sandbox, &auth, add, json!({ "id": id, "items": items })).await;
    let item = &added.data()["addProductsToWishlist"]["wishlist"]["items_v2"]["items"][0];
    assert_eq!(
        item["__typename"], "ConfigurableWishlistItem",
        "{}",
        added.body
    );
    assert_eq!(item["product"]["sku"], parent);
    assert_eq!(item["child_sku"], variant["product"]["sku"]);
    assert_eq!(item["configured_variant"]["sku"], variant["product"]["sku"]);
    assert_eq!(
        item["configurable_options"].as_array().map(Vec::len),
        Some(2)
    );
}
