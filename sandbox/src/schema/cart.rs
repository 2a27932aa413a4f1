//! `customerCart` and `cart(cart_id:)`: the logged-in customer's cart (see `crate::carts`) as
//! Adobe's `Cart`, its lines as `SimpleCartItem` / `ConfigurableCartItem` whose `product` is a
//! full product object (a configurable line's is the parent, `configured_variant` the child).
//!
//! Prices follow Commerce's quote: the unit price is the product's final price for the
//! customer's group, lowered by the product's quantity tier for the line's quantity, in the
//! display currency; no taxes, shipping or cart rules, so every total equals the subtotal.
//! `is_available` compares the quantity with Commerce's own stock, not the inventory
//! connector's (Commerce learns the ERP's stock only through the import flows).

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::customer::logged_in;
use super::product::{product_ref, variant_ref};
use super::{Data, Page, arg, configurable};
use crate::carts::{Cart, CartLine};
use crate::catalog::Catalog;
use crate::catalog::pricing::PriceView;
use crate::errors::{Category, commerce_error, input_error, no_such_entity};
use crate::scope::RequestScope;

pub(super) fn customer_cart(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let cart = data.carts.customer_cart(&data.catalog, &customer);
    Ok(cart_json(data, scope, &cart, &customer.email))
}

pub(super) fn cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let cart_id: String = arg(ctx, "cart_id")?.unwrap_or_default();
    if cart_id.trim().is_empty() {
        return Err(input_error("Required parameter \"cart_id\" is missing"));
    }
    let owner = data
        .customers
        .all()
        .into_iter()
        .find(|c| data.carts.masked_id(c.id) == cart_id)
        .ok_or_else(|| no_such_entity(format!("Could not find a cart with ID \"{cart_id}\"")))?;
    if scope.customer != Some(owner.id) {
        return Err(commerce_error(
            Category::Authorization,
            format!("The current user cannot perform operations on cart \"{cart_id}\""),
        ));
    }
    let cart = data.carts.customer_cart(&data.catalog, &owner);
    Ok(cart_json(data, scope, &cart, &owner.email))
}

/// `Cart.itemsV2(pageSize, currentPage)`: a page of the lines the cart object carries.
pub(super) fn items_v2(
    _data: &Data,
    _scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let page = Page::from_args(ctx)?;
    let items = ctx
        .parent_value
        .downcast_ref::<Value>()
        .and_then(|cart| cart.get("items"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    page.check(items.len())?;
    Ok(json!({
        "items": page.slice(items),
        "page_info": page.info(items.len()),
        "total_count": items.len(),
    }))
}

fn money(view: &PriceView, amount: f64) -> Value {
    json!({ "value": amount, "currency": view.currency })
}

fn round_cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

fn cart_json(data: &Data, scope: &RequestScope, cart: &Cart, email: &str) -> Value {
    let view = scope.price_view();
    let lines: Vec<(Value, f64)> = cart
        .items
        .iter()
        .map(|line| line_json(&data.catalog, scope, &view, line))
        .collect();
    let total = round_cents(lines.iter().map(|(_, row)| row).sum());
    let items: Vec<Value> = lines.into_iter().map(|(item, _)| item).collect();
    json!({
        "id": cart.masked_id,
        "email": email,
        "items": items,
        "total_quantity": f64::from(cart.total_quantity()),
        "is_virtual": false,
        "gift_receipt_included": false,
        "printed_card_included": false,
        "available_gift_wrappings": [],
        "shipping_addresses": [],
        "applied_coupons": null,
        "selected_payment_method": { "code": "", "title": "" },
        "prices": {
            "grand_total": money(&view, total),
            "grand_total_excluding_tax": money(&view, total),
            "subtotal_excluding_tax": money(&view, total),
            "subtotal_including_tax": money(&view, total),
            "subtotal_with_discount_excluding_tax": money(&view, total),
            "applied_taxes": [],
            "discounts": [],
        },
    })
}

/// A cart line and its row total.
fn line_json(
    catalog: &Catalog,
    scope: &RequestScope,
    view: &PriceView,
    line: &CartLine,
) -> (Value, f64) {
    let product = catalog.product(line.product);
    let size = line.variant.map(|v| v.size);
    let unit = view.unit_price(product, size);
    let final_cents = view
        .tiers(product, size)
        .iter()
        .rfind(|tier| tier.quantity <= line.quantity)
        .map_or(unit.final_price, |tier| tier.price.final_price);
    let price = view.amount(final_cents);
    let regular = view.amount(unit.regular);
    let quantity = f64::from(line.quantity);
    let row = round_cents(price * quantity);
    let stock = match line.variant {
        Some(v) => u32::from(catalog.variant_qty(v.id)),
        None => catalog.product_qty(line.product),
    };
    let available = stock >= line.quantity;
    let percent_off = if regular > 0.0 {
        round_cents((regular - price) / regular * 100.0)
    } else {
        0.0
    };
    let discount = |amount_off: f64| json!({ "amount_off": round_cents(amount_off), "percent_off": percent_off });
    let mut item = json!({
        "__typename": "SimpleCartItem",
        "id": line.id.to_string(),
        "uid": crate::uid::encode_id(line.id),
        "quantity": quantity,
        "product": product_ref(catalog, scope, line.product),
        "is_available": available,
        "not_available_message": (!available).then_some("The requested qty is not available"),
        "errors": [],
        "customizable_options": [],
        "available_gift_wrapping": [],
        "discount": [],
        "prices": {
            "price": money(view, price),
            "price_including_tax": money(view, price),
            "row_total": money(view, row),
            "row_total_including_tax": money(view, row),
            "original_item_price": money(view, regular),
            "original_row_total": money(view, round_cents(regular * quantity)),
            "total_item_discount": money(view, 0.0),
            "catalog_discount": discount(regular - price),
            "row_catalog_discount": discount((regular - price) * quantity),
            "discounts": [],
            "fixed_product_taxes": [],
        },
    });
    if let Some(variant) = line.variant {
        item["__typename"] = json!("ConfigurableCartItem");
        item["configured_variant"] = variant_ref(scope, line.product, variant);
        item["configurable_options"] =
            configurable::selected_options(catalog.product_id(line.product), &variant);
    }
    (item, row)
}
