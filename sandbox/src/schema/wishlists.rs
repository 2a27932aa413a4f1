//! Wish lists on the customer (`Customer.wishlists`, `wishlist`, `wishlist_v2`, the deprecated
//! root `wishlist`) and their mutations (`createWishlist`, `addProductsToWishlist`,
//! `updateProductsInWishlist`, `removeProductsFromWishlist`, `updateWishlist`,
//! `deleteWishlist`), over `crate::wishlists`, with Commerce's errors: guests get an
//! authorization error, another customer's list is "not found", item problems are
//! `user_errors`.

use std::sync::Arc;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Map, Value, json};

use super::account::parent_customer;
use super::product::{product_ref, variant_ref};
use super::{Data, Handler, Page, arg};
use crate::catalog::Variant;
use crate::errors::{Category, commerce_error, input_error};
use crate::scope::RequestScope;
use crate::wishlists::{MAX_ITEMS, Visibility, Wishlist, WishlistError, WishlistItem};

/// Root fields of this module.
pub(super) fn query(name: &str) -> Option<Handler> {
    (name == "wishlist").then(|| Arc::new(wishlist_output) as Handler)
}

pub(super) fn mutation(name: &str) -> Option<Handler> {
    let handler: Handler = match name {
        "createWishlist" => Arc::new(create_wishlist),
        "addProductsToWishlist" => Arc::new(add_products),
        "updateProductsInWishlist" => Arc::new(update_products),
        "removeProductsFromWishlist" => Arc::new(remove_products),
        "updateWishlist" => Arc::new(update_wishlist),
        "deleteWishlist" => Arc::new(delete_wishlist),
        _ => return None,
    };
    Some(handler)
}

/// Key of a list's items in the `Wishlist` object, paged by `items_v2`.
const ITEMS_KEY: &str = "_items";

fn not_allowed() -> Error {
    commerce_error(
        Category::Authorization,
        "The current user cannot perform operations on wishlist",
    )
}

pub(super) fn customer_id(scope: &RequestScope) -> Result<u32, Error> {
    scope.customer.ok_or_else(not_allowed)
}

pub(super) fn wishlist_error(error: WishlistError) -> Error {
    input_error(error.to_string())
}

/// A `Wishlist`.
pub(super) fn wishlist_json(data: &Data, scope: &RequestScope, list: &Wishlist) -> Value {
    let items: Vec<Value> = list
        .items
        .iter()
        .map(|i| item_json(data, scope, i))
        .collect();
    let legacy: Vec<Value> = list
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.id, "qty": i.quantity, "description": i.description, "added_at": i.added_at,
                "product": product_ref(&data.catalog, scope, i.product),
            })
        })
        .collect();
    json!({
        "id": list.id.to_string(),
        "name": list.name,
        "visibility": list.visibility.as_str(),
        "sharing_code": list.sharing_code,
        "updated_at": list.updated_at,
        "items_count": list.items.len(),
        "items": legacy,
        ITEMS_KEY: items,
    })
}

/// A `WishlistItemInterface`.
fn item_json(data: &Data, scope: &RequestScope, item: &WishlistItem) -> Value {
    let product = product_ref(&data.catalog, scope, item.product);
    let mut value = json!({
        "__typename": "SimpleWishlistItem",
        "id": item.id.to_string(),
        "quantity": item.quantity,
        "description": item.description,
        "added_at": item.added_at,
        "product": product,
        "customizable_options": [],
    });
    if data.catalog.product(item.product).configurable.is_some()
        && let Value::Object(map) = &mut value
    {
        map.insert("__typename".to_owned(), json!("ConfigurableWishlistItem"));
        let options = item.variant.map_or(json!([]), |v| {
            super::configurable::selected_options(data.catalog.product_id(item.product), &v)
        });
        map.insert("configurable_options".to_owned(), options);
        if let Some(variant) = item.variant {
            map.insert(
                "child_sku".to_owned(),
                json!(data.catalog.variant_sku(item.product, variant)),
            );
            map.insert(
                "configured_variant".to_owned(),
                variant_ref(scope, item.product, variant),
            );
        } else {
            map.insert(
                "child_sku".to_owned(),
                json!(data.catalog.product(item.product).sku),
            );
        }
    }
    value
}

/// `Wishlist.items_v2(currentPage, pageSize)`: a page of the items the list object carries.
pub(super) fn items_v2(
    _data: &Data,
    _scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let items = ctx
        .parent_value
        .downcast_ref::<Value>()
        .and_then(|p| p.get(ITEMS_KEY))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let page = Page::from_args(ctx)?;
    Ok(json!({ "items": page.slice(&items), "page_info": page.info(items.len()) }))
}

pub(super) fn customer_wishlists(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = parent_customer(data, ctx)?;
    let page = Page::from_args(ctx)?;
    let lists = data.wishlists.of_customer(customer.id);
    Ok(Value::Array(
        page.slice(&lists)
            .iter()
            .map(|l| wishlist_json(data, scope, l))
            .collect(),
    ))
}

pub(super) fn customer_wishlist(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = parent_customer(data, ctx)?;
    let lists = data.wishlists.of_customer(customer.id);
    Ok(lists
        .first()
        .map_or(Value::Null, |l| wishlist_json(data, scope, l)))
}

/// `Customer.wishlist_v2(id)`: `null` for an id that is not one of the customer's lists.
pub(super) fn customer_wishlist_v2(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = parent_customer(data, ctx)?;
    let id: String = arg(ctx, "id")?.unwrap_or_default();
    Ok(id
        .trim()
        .parse()
        .ok()
        .and_then(|id| data.wishlists.get(customer.id, id).ok())
        .map_or(Value::Null, |l| wishlist_json(data, scope, &l)))
}

/// The deprecated root `wishlist`: the default list as `WishlistOutput`.
fn wishlist_output(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let lists = data.wishlists.of_customer(customer);
    let Some(list) = lists.first() else {
        return Ok(Value::Null);
    };
    let full = wishlist_json(data, scope, list);
    Ok(json!({
        "items": full["items"], "items_count": full["items_count"], "name": Value::Null,
        "sharing_code": full["sharing_code"], "updated_at": full["updated_at"],
    }))
}

pub(super) fn list_id(ctx: &ResolverContext<'_>) -> Result<u32, Error> {
    let raw: String = arg(ctx, "wishlistId")?.unwrap_or_default();
    raw.trim()
        .parse()
        .map_err(|_| wishlist_error(WishlistError::NotFound))
}

fn visibility(value: Option<String>) -> Result<Option<Visibility>, Error> {
    value
        .map(|v| {
            Visibility::parse(&v).ok_or_else(|| input_error(format!("Invalid visibility \"{v}\".")))
        })
        .transpose()
}

fn create_wishlist(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let input: Map<String, Value> = arg(ctx, "input")?.unwrap_or_default();
    let name = input
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| input_error("The wish list name is required."))?;
    if name.chars().count() > 255 {
        return Err(input_error(
            "The wish list name is longer than 255 characters.",
        ));
    }
    let visibility = visibility(
        input
            .get("visibility")
            .and_then(Value::as_str)
            .map(str::to_owned),
    )?
    .unwrap_or(Visibility::Private);
    let list = data
        .wishlists
        .create(customer, name, visibility)
        .map_err(wishlist_error)?;
    Ok(json!({ "wishlist": wishlist_json(data, scope, &list) }))
}

fn user_error(code: &str, message: String) -> Value {
    json!({ "code": code, "message": message })
}

/// The product (and variant) an item input names: a simple product or variant by `sku` (with
/// or without `parent_sku`), or a configurable product by `sku` with `selected_options`
/// choosing its variant (a configurable product without choices is wished as it is).
fn wished_item(data: &Data, input: &Map<String, Value>) -> Option<(u32, Option<Variant>)> {
    let sku = input.get("sku").and_then(Value::as_str).unwrap_or_default();
    let (product, variant) = data.catalog.item_by_sku(sku)?;
    if variant.is_some() {
        return Some((product, variant));
    }
    let options: Vec<String> = input
        .get("selected_options")
        .and_then(Value::as_array)
        .map(|o| {
            o.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    match (
        &data.catalog.product(product).configurable,
        options.is_empty(),
    ) {
        (Some(matrix), false) => super::configurable::variant_by_option_uids(matrix, &options)
            .map(|v| (product, Some(v))),
        _ => Some((product, None)),
    }
}

fn add_products(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let id = list_id(ctx)?;
    let inputs: Vec<Map<String, Value>> = arg(ctx, "wishlistItems")?.unwrap_or_default();
    let mut errors = Vec::new();
    let (list, _) = data
        .wishlists
        .update(customer, id, |list, next_id| {
            for input in &inputs {
                let sku = input.get("sku").and_then(Value::as_str).unwrap_or_default();
                let quantity = input.get("quantity").and_then(Value::as_f64).unwrap_or(0.0);
                let Some((product, variant)) = wished_item(data, input) else {
                    errors.push(user_error(
                        "PRODUCT_NOT_FOUND",
                        format!("Could not find a product with SKU \"{sku}\""),
                    ));
                    continue;
                };
                if !(quantity > 0.0 && quantity.is_finite()) {
                    errors.push(user_error(
                        "UNDEFINED",
                        "The quantity of a wish list item cannot be 0".to_owned(),
                    ));
                    continue;
                }
                if let Some(existing) = list
                    .items
                    .iter_mut()
                    .find(|i| i.product == product && i.variant == variant)
                {
                    existing.quantity += quantity;
                    continue;
                }
                if list.items.len() >= MAX_ITEMS {
                    errors.push(user_error("UNDEFINED", WishlistError::Full.to_string()));
                    continue;
                }
                list.items.push(WishlistItem {
                    id: next_id(),
                    product,
                    variant,
                    quantity,
                    description: None,
                    added_at: crate::clock::datetime(crate::clock::now()),
                });
            }
        })
        .map_err(wishlist_error)?;
    Ok(json!({ "wishlist": wishlist_json(data, scope, &list), "user_errors": errors }))
}

fn update_products(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let id = list_id(ctx)?;
    let inputs: Vec<Map<String, Value>> = arg(ctx, "wishlistItems")?.unwrap_or_default();
    let mut errors = Vec::new();
    let (list, _) = data
        .wishlists
        .update(customer, id, |list, _| {
            for input in &inputs {
                let item_id = input
                    .get("wishlist_item_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let Some(item) = item_id
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .and_then(|id| list.items.iter_mut().find(|i| i.id == id))
                else {
                    errors.push(user_error(
                        "UNDEFINED",
                        format!("The wishlist item with ID \"{item_id}\" does not belong to the wishlist"),
                    ));
                    continue;
                };
                if let Some(quantity) = input.get("quantity").and_then(Value::as_f64) {
                    if !(quantity > 0.0 && quantity.is_finite()) {
                        errors.push(user_error(
                            "UNDEFINED",
                            "The quantity of a wish list item cannot be 0".to_owned(),
                        ));
                        continue;
                    }
                    item.quantity = quantity;
                }
                if let Some(description) = input.get("description").and_then(Value::as_str) {
                    item.description =
                        Some(description.chars().take(1_000).collect()).filter(|d: &String| !d.is_empty());
                }
            }
        })
        .map_err(wishlist_error)?;
    Ok(json!({ "wishlist": wishlist_json(data, scope, &list), "user_errors": errors }))
}

fn remove_products(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let id = list_id(ctx)?;
    let ids: Vec<String> = arg(ctx, "wishlistItemsIds")?.unwrap_or_default();
    let mut errors = Vec::new();
    let (list, _) = data
        .wishlists
        .update(customer, id, |list, _| {
            for raw in &ids {
                let found = raw
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .and_then(|id| list.items.iter().position(|i| i.id == id));
                match found {
                    Some(at) => {
                        list.items.remove(at);
                    }
                    None => errors.push(user_error(
                        "UNDEFINED",
                        format!("Could not find a wishlist item with ID \"{raw}\""),
                    )),
                }
            }
        })
        .map_err(wishlist_error)?;
    Ok(json!({ "wishlist": wishlist_json(data, scope, &list), "user_errors": errors }))
}

fn update_wishlist(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let id = list_id(ctx)?;
    let name: Option<String> = arg(ctx, "name")?;
    let visibility = visibility(arg(ctx, "visibility")?)?;
    let name = name
        .map(|n| n.trim().chars().take(255).collect::<String>())
        .filter(|n| !n.is_empty());
    let (list, _) = data
        .wishlists
        .update(customer, id, |list, _| {
            if let Some(name) = name {
                list.name = name;
            }
            if let Some(visibility) = visibility {
                list.visibility = visibility;
            }
        })
        .map_err(wishlist_error)?;
    Ok(
        json!({ "uid": list.id.to_string(), "name": list.name, "visibility": list.visibility.as_str() }),
    )
}

fn delete_wishlist(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = customer_id(scope)?;
    let id = list_id(ctx)?;
    data.wishlists
        .delete(customer, id)
        .map_err(wishlist_error)?;
    let lists: Vec<Value> = data
        .wishlists
        .of_customer(customer)
        .iter()
        .map(|l| wishlist_json(data, scope, l))
        .collect();
    Ok(json!({ "status": true, "wishlists": lists }))
}
