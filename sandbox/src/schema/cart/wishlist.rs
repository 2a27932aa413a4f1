//! `addWishlistItemsToCart`: a customer moves items of one of their wish lists (all of them,
//! or the ids named) into their active cart. Each item goes in on its own, with the cart's
//! quantity and stock checks; an item that went in leaves the list, one that did not stays
//! and is reported in `add_wishlist_items_to_cart_user_errors`, as Commerce moves them.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::super::customer::logged_in;
use super::super::wishlists::{customer_id, list_id, wishlist_error, wishlist_json};
use super::super::{Data, arg};
use super::items::CartItemInput;
use super::{active_cart, caller, cart_error, types};
use crate::carts::lines::{self, UserError, UserErrorCode};
use crate::carts::{Cart, LineKind};
use crate::errors::input_error;
use crate::scope::RequestScope;
use crate::wishlists::WishlistItem;

pub(in crate::schema) fn add_wishlist_items_to_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let list = list_id(ctx)?;
    let wishlist = data.wishlists.get(customer, list).map_err(wishlist_error)?;
    let named: Option<Vec<String>> = arg(ctx, "wishlistItemIds")?;
    let items: Vec<&WishlistItem> = match &named {
        None => wishlist.items.iter().collect(),
        Some(ids) => {
            let wanted: Vec<u32> = ids.iter().filter_map(|i| i.trim().parse().ok()).collect();
            let found: Vec<&WishlistItem> = wishlist
                .items
                .iter()
                .filter(|i| wanted.contains(&i.id))
                .collect();
            if found.is_empty() {
                return Err(input_error(format!(
                    "The wishlist item ids \"{}\" were not found.",
                    ids.join(",")
                )));
            }
            found
        }
    };
    let account = logged_in(data, scope)?;
    let cart = active_cart(data, scope, account.id, account.company.is_some());
    let (outcomes, _) = data
        .carts
        .update(caller(scope), &cart.masked_id, |cart| {
            Ok(items
                .iter()
                .map(|item| (item.id, add_wished(data, cart, item)))
                .collect::<Vec<_>>())
        })
        .map_err(cart_error)?;
    let moved: Vec<u32> = outcomes
        .iter()
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(id, _)| *id)
        .collect();
    let errors: Vec<Value> = outcomes
        .iter()
        .filter_map(|(id, outcome)| outcome.as_ref().err().map(|e| (id, e)))
        .map(|(id, error)| {
            json!({
                "code": wishlist_code(error.code),
                "message": error.message,
                "wishlistId": list.to_string(),
                "wishlistItemId": id.to_string(),
            })
        })
        .collect();
    let (wishlist, ()) = data
        .wishlists
        .update(customer, list, |w, _| {
            w.items.retain(|i| !moved.contains(&i.id));
        })
        .map_err(wishlist_error)?;
    Ok(json!({
        "status": errors.is_empty(),
        "add_wishlist_items_to_cart_user_errors": errors,
        "wishlist": wishlist_json(data, scope, &wishlist),
    }))
}

/// One wished item into the cart: its variant, or the product with no options chosen (a
/// configurable product without a variant, or a bundle, needs options the item does not have).
fn add_wished(data: &Data, cart: &mut Cart, item: &WishlistItem) -> Result<(), UserError> {
    let product = data.catalog.product(item.product);
    let kind = match item.variant {
        Some(variant) => LineKind::Configurable { variant },
        None if product.configurable.is_some() => return Err(UserError::options_required()),
        None => types::line_kind(
            product,
            &CartItemInput::of_sku(product.sku.clone(), item.quantity),
        )?,
    };
    lines::add(
        cart,
        &data.catalog,
        item.product,
        kind,
        item.quantity,
        || data.carts.next_item_id(),
    )
}

/// `WishlistCartUserInputErrorType`: the cart's codes it has, `UNDEFINED` for the others.
fn wishlist_code(code: UserErrorCode) -> &'static str {
    match code {
        UserErrorCode::ProductNotFound => "PRODUCT_NOT_FOUND",
        UserErrorCode::NotSalable => "NOT_SALABLE",
        UserErrorCode::InsufficientStock => "INSUFFICIENT_STOCK",
        UserErrorCode::CouldNotFindCartItem
        | UserErrorCode::InvalidParameterValue
        | UserErrorCode::Undefined => "UNDEFINED",
    }
}
