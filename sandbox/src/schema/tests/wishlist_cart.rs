//! `addWishlistItemsToCart`: wished items move into the customer's cart; what cannot go in
//! stays in the list and is reported with Commerce's wish-list error codes.

use super::*;

async fn as_customer(sandbox: &Sandbox, auth: &str, query: &str, variables: Value) -> Answer {
    post(sandbox, query, variables, &[("Authorization", auth)]).await
}

#[tokio::test]
async fn wished_items_move_into_the_cart_and_refused_ones_stay_in_the_list() {
    let sandbox = sandbox();
    let auth = format!(
        "Bearer {}",
        token(&sandbox, "roni_cost@example.com", "roni_cost3@example.com").await
    );
    let catalog = &sandbox.inner.data.catalog;
    let in_stock = (0..catalog.products.len() as u32)
        .find(|&p| catalog.product(p).configurable.is_none() && catalog.product_qty(p) >= 2)
        .expect("a simple product in stock");
    let sku = catalog.product(in_stock).sku.clone();
    let other = (0..catalog.products.len() as u32)
        .filter(|&p| p != in_stock)
        .find(|&p| catalog.product(p).configurable.is_none() && catalog.product_qty(p) >= 1)
        .expect("another simple product");
    let too_many = f64::from(catalog.product_qty(other) + 1);
    let other = catalog.product(other).sku.clone();
    let lists = as_customer(
        &sandbox,
        &auth,
        "{ customer { wishlists { id } } }",
        json!({}),
    )
    .await;
    let list = lists.data()["customer"]["wishlists"][0]["id"]
        .as_str()
        .expect("default list")
        .to_owned();
    let add = "mutation($id: ID!, $items: [WishlistItemInput!]!) { addProductsToWishlist(wishlistId: $id, wishlistItems: $items) {
        wishlist { items_v2 { items { id product { sku } } } } } }";
    let items = json!([{ "sku": sku, "quantity": 2 }, { "sku": other, "quantity": too_many }]);
    let added = as_customer(&sandbox, &auth, add, json!({ "id": list, "items": items })).await;
    assert!(added.body.get("errors").is_none(), "{}", added.body);
    let before = as_customer(
        &sandbox,
        &auth,
        "{ customerCart { total_quantity } }",
        json!({}),
    )
    .await;
    let before = before.data()["customerCart"]["total_quantity"]
        .as_f64()
        .unwrap_or(f64::NAN);

    let move_all = "mutation($id: ID!) { addWishlistItemsToCart(wishlistId: $id) { status
        add_wishlist_items_to_cart_user_errors { code message wishlistId }
        wishlist { items_v2 { items { product { sku } } } } } }";
    let moved = as_customer(&sandbox, &auth, move_all, json!({ "id": list })).await;
    assert!(moved.body.get("errors").is_none(), "{}", moved.body);
    let out = &moved.data()["addWishlistItemsToCart"];
    assert_eq!(out["status"], false);
    assert_eq!(
        out["add_wishlist_items_to_cart_user_errors"],
        json!([{ "code": "INSUFFICIENT_STOCK", "message": "The requested qty is not available", "wishlistId": list }])
    );
    assert_eq!(
        out["wishlist"]["items_v2"]["items"],
        json!([{ "product": { "sku": other } }]),
        "the item that went in left the list"
    );
    let after = as_customer(
        &sandbox,
        &auth,
        "{ customerCart { total_quantity } }",
        json!({}),
    )
    .await;
    assert_eq!(
        after.data()["customerCart"]["total_quantity"].as_f64(),
        Some(before + 2.0)
    );

    let unknown = as_customer(
        &sandbox,
        &auth,
        "mutation($id: ID!) { addWishlistItemsToCart(wishlistId: $id, wishlistItemIds: [\"999999\"]) { status } }",
        json!({ "id": list }),
    )
    .await;
    assert_eq!(
        unknown.body["errors"][0]["message"],
        "The wishlist item ids \"999999\" were not found."
    );
    let guest = post(
        &sandbox,
        "mutation($id: ID!) { addWishlistItemsToCart(wishlistId: $id) { status } }",
        json!({ "id": list }),
        &[],
    )
    .await;
    assert_eq!(
        guest.body["errors"][0]["extensions"]["category"],
        "graphql-authorization"
    );
}
