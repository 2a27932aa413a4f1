//! Carts as Adobe's `Cart`: `createEmptyCart`, `createGuestCart`, `cart(cart_id:)`,
//! `customerCart`, `mergeCarts`, `checkoutAgreements` here; item mutations in `items`, the
//! checkout steps in `checkout`. The state and its rules live in `crate::carts`; this module
//! reads arguments, maps `CartError`s to Commerce's errors and renders carts.
//!
//! A cart renders in the request's display currency with the customer group's prices, its
//! lines as `SimpleCartItem` / `ConfigurableCartItem` (or the virtual, downloadable and bundle
//! items of `types`) whose `product` is a full product object
//! (a configurable line's is the parent, `configured_variant` the child). `is_available`
//! compares the quantity with Commerce's salable quantity, not the inventory connector's.

pub(super) mod checkout;
pub(super) mod items;
pub(super) mod types;
pub(super) mod wishlist;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde::Deserialize;
use serde_json::{Value, json};

use super::customer::{logged_in, not_authorized};
use super::{Data, Page, arg};
use crate::carts::checkout::CartAddress;
use crate::carts::totals::{self, Destination, ShippingRate, Totals, round_cents};
use crate::carts::{Caller, Cart, CartError, Shopper};
use crate::catalog::pricing::PriceView;
use crate::errors::{Category, commerce_error, input_error};
use crate::scope::RequestScope;

/// The caller a cart operation checks against.
fn caller(scope: &RequestScope) -> Caller {
    Caller {
        store: scope.store,
        customer: scope.customer,
    }
}

/// The customer's active cart (created on first use).
fn active_cart(data: &Data, scope: &RequestScope, id: u32, company_user: bool) -> Cart {
    let shopper = Shopper {
        id,
        company_user,
        seeded: data.customers.is_seeded(id),
    };
    data.carts
        .customer_cart(&data.catalog, shopper, scope.store)
}

/// A domain error as Commerce's GraphQL error.
fn cart_error(error: CartError) -> Error {
    commerce_error(error.category(), error.to_string())
}

/// `{ cart: Cart }`, the output of most cart mutations.
fn cart_output(data: &Data, scope: &RequestScope, cart: &Cart) -> Value {
    json!({ "cart": cart_json(data, scope, cart) })
}

/// A required string argument of an input object, with Commerce's message when it is absent.
fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, Error> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| cart_error(CartError::MissingParameter(name)))
}

/// An input object that only names a cart.
#[derive(Deserialize)]
struct CartIdInput {
    cart_id: Option<String>,
}

pub(super) fn customer_cart(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let cart = active_cart(data, scope, customer.id, customer.company.is_some());
    Ok(cart_json(data, scope, &cart))
}

pub(super) fn cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let cart_id: String = arg(ctx, "cart_id")?.unwrap_or_default();
    let cart = data
        .carts
        .read(caller(scope), cart_id.trim())
        .map_err(cart_error)?;
    Ok(cart_json(data, scope, &cart))
}

/// `createEmptyCart`: a guest's new cart id, or the customer's active cart id.
pub(super) fn create_empty_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let input: Option<CartIdInput> = arg(ctx, "input")?;
    let requested = input.and_then(|i| i.cart_id);
    if let Some(id) = &requested
        && id.chars().count() != 32
    {
        return Err(input_error("Cart ID length should to be 32 symbols."));
    }
    if let Some(customer) = scope.customer {
        if requested.is_some() {
            return Err(commerce_error(
                Category::AlreadyExists,
                "Cart for customer already exists.",
            ));
        }
        let customer = data.customers.by_id(customer).ok_or_else(not_authorized)?;
        let cart = active_cart(data, scope, customer.id, customer.company.is_some());
        return Ok(json!(cart.masked_id));
    }
    let cart = data
        .carts
        .create_guest(scope.store, requested.as_deref())
        .map_err(cart_error)?;
    Ok(json!(cart.masked_id))
}

/// `createGuestCart(input: { cart_uid })`.
pub(super) fn create_guest_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_uid: Option<String>,
    }
    if scope.customer.is_some() {
        return Err(commerce_error(
            Category::AlreadyExists,
            "Use `Query.customerCart` for logged in customer.",
        ));
    }
    let requested = arg::<Input>(ctx, "input")?.and_then(|i| i.cart_uid);
    if let Some(id) = &requested
        && id.chars().count() != 32
    {
        return Err(input_error("Cart ID length should be 32 characters."));
    }
    let cart = data
        .carts
        .create_guest(scope.store, requested.as_deref())
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

/// `mergeCarts(source_cart_id, destination_cart_id)`: a guest cart into the customer's.
pub(super) fn merge_carts(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let source: Option<String> = arg(ctx, "source_cart_id")?;
    let destination: Option<String> = arg(ctx, "destination_cart_id")?;
    let customer = logged_in(data, scope)?;
    let source = required(&source, "source_cart_id")?;
    let destination = match destination.filter(|d| !d.trim().is_empty()) {
        Some(id) => id,
        None => active_cart(data, scope, customer.id, customer.company.is_some()).masked_id,
    };
    let cart = data
        .carts
        .merge(caller(scope), source, destination.trim(), &data.catalog)
        .map_err(cart_error)?;
    Ok(cart_json(data, scope, &cart))
}

/// `checkoutAgreements`: the store's terms and conditions (one, confirmed manually).
pub(super) fn checkout_agreements(
    _data: &Data,
    _scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    Ok(json!([{
        "agreement_id": 1,
        "name": "Terms and Conditions",
        "content": "By placing an order you accept the sandbox store's terms and conditions.",
        "content_height": null,
        "checkbox_text": "I agree to the Terms and Conditions",
        "is_html": false,
        "mode": "MANUAL",
    }]))
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

pub(super) fn money(view: &PriceView, amount: f64) -> Value {
    json!({ "value": round_cents(amount), "currency": view.currency })
}

/// The cart's totals shipping to its shipping address with its chosen method; a virtual cart
/// is taxed by its billing address, as Commerce taxes a quote with nothing to ship.
fn totals_of(data: &Data, scope: &RequestScope, cart: &Cart) -> Totals {
    let taxed_at = if cart.is_virtual() {
        &cart.billing_address
    } else {
        &cart.shipping_address
    };
    let to = taxed_at.as_ref().map(CartAddress::destination);
    totals::compute(
        &data.catalog,
        &scope.price_view(),
        cart,
        to,
        cart.shipping_method,
    )
}

/// The email a cart shows: the customer's, or the guest's.
fn cart_email(data: &Data, cart: &Cart) -> Option<String> {
    match cart.customer {
        Some(id) => data.customers.by_id(id).map(|c| c.email.to_string()),
        None => cart.email.clone(),
    }
}

pub(super) fn cart_json(data: &Data, scope: &RequestScope, cart: &Cart) -> Value {
    cart_json_with(data, scope, cart, &totals_of(data, scope, cart))
}

/// A `Cart` with the given totals (`estimateTotals` passes an estimate's).
fn cart_json_with(data: &Data, scope: &RequestScope, cart: &Cart, totals: &Totals) -> Value {
    let view = scope.price_view();
    let items: Vec<Value> = totals
        .lines
        .iter()
        .map(|line| items::line_json(data, scope, &view, cart, line))
        .collect();
    let coupons = cart.coupon.map(|c| json!([{ "code": c.code }]));
    let payment = cart.payment_method.as_ref().and_then(|(code, po)| {
        totals::payment_method(code)
            .map(|m| json!({ "code": m.code, "title": m.title, "purchase_order_number": po }))
    });
    let shipping = cart
        .shipping_address
        .as_ref()
        .map(|address| shipping_address_json(&view, cart, address, totals, &items));
    json!({
        "id": cart.masked_id,
        "email": cart_email(data, cart),
        "items": items,
        "total_quantity": f64::from(cart.total_quantity()),
        "is_virtual": cart.is_virtual(),
        "gift_message": cart.gift.message.as_ref().map(|(to, from, message)| json!({ "to": to, "from": from, "message": message })),
        "gift_receipt_included": cart.gift.gift_receipt_included,
        "printed_card_included": cart.gift.printed_card_included,
        "available_gift_wrappings": [],
        "shipping_addresses": shipping.into_iter().collect::<Vec<_>>(),
        "billing_address": cart.billing_address.as_ref().map(|a| address_json(a, 2)),
        "applied_coupons": coupons,
        "applied_coupon": cart.coupon.map(|c| json!({ "code": c.code })),
        "available_payment_methods": totals::payment_methods(totals.grand_total)
            .map(|m| json!({ "code": m.code, "title": m.title, "is_deferred": m.is_deferred }))
            .collect::<Vec<_>>(),
        "selected_payment_method": payment.unwrap_or_else(|| json!({ "code": "", "title": "" })),
        "prices": prices_json(&view, cart, totals),
    })
}

fn prices_json(view: &PriceView, cart: &Cart, totals: &Totals) -> Value {
    let rate = totals.tax_rate.map_or(0.0, |(percent, _)| percent);
    let discounts: Vec<Value> = cart
        .coupon
        .filter(|_| totals.discount > 0.0)
        .map(|c| {
            json!({
                "amount": money(view, totals.discount),
                "label": c.label,
                "applied_to": "ITEM",
                "coupon": { "code": c.code },
            })
        })
        .into_iter()
        .collect();
    let applied_taxes: Vec<Value> = totals
        .tax_rate
        .filter(|_| totals.tax > 0.0)
        .map(|(_, label)| json!({ "label": label, "amount": money(view, totals.tax) }))
        .into_iter()
        .collect();
    json!({
        "grand_total": money(view, totals.grand_total),
        "grand_total_excluding_tax": money(view, totals.grand_total - totals.tax),
        "subtotal_excluding_tax": money(view, totals.subtotal),
        "subtotal_including_tax": money(view, totals.subtotal * (1.0 + rate / 100.0)),
        "subtotal_with_discount_excluding_tax": money(view, totals.subtotal - totals.discount),
        "applied_taxes": applied_taxes,
        "discount": cart.coupon.filter(|_| totals.discount > 0.0).map(|c| json!({
            "amount": money(view, totals.discount),
            "label": [c.label],
        })),
        "discounts": discounts,
    })
}

/// The fields every `CartAddressInterface` shares.
fn address_json(address: &CartAddress, uid: u32) -> Value {
    json!({
        "uid": crate::uid::encode_id(uid),
        "firstname": address.firstname,
        "lastname": address.lastname,
        "middlename": address.middlename,
        "prefix": address.prefix,
        "suffix": address.suffix,
        "company": address.company,
        "street": address.street,
        "city": address.city,
        "region": address.region.as_ref().map(|r| json!({
            "code": r.code,
            "label": r.label,
            "region_id": r.id,
        })),
        "postcode": address.postcode,
        "country": { "code": address.country_code, "label": address.country_code },
        "telephone": address.telephone,
        "vat_id": address.vat_id,
        "fax": address.fax,
        "custom_attributes": [],
        "customer_address_uid": address.customer_address_id.map(crate::uid::encode_id),
    })
}

fn shipping_address_json(
    view: &PriceView,
    cart: &Cart,
    address: &CartAddress,
    totals: &Totals,
    items: &[Value],
) -> Value {
    let mut json = address_json(address, 1);
    json["customer_notes"] = json!(address.customer_notes);
    json["same_as_billing"] = json!(cart.billing_address.as_ref() == Some(address));
    json["available_shipping_methods"] = totals
        .rates
        .iter()
        .map(|r| rate_json(view, r))
        .collect::<Vec<_>>()
        .into();
    json["selected_shipping_method"] = totals.shipping.as_ref().map_or(Value::Null, |r| {
        json!({
            "carrier_code": r.carrier_code,
            "carrier_title": r.carrier_title,
            "method_code": r.method_code,
            "method_title": r.method_title,
            "amount": money(view, r.amount),
            "price_excl_tax": money(view, r.amount),
            "price_incl_tax": money(view, r.amount),
        })
    });
    json["cart_items_v2"] = json!(items);
    json["cart_items"] = cart
        .items
        .iter()
        .map(|l| json!({ "cart_item_id": l.id, "quantity": f64::from(l.quantity) }))
        .collect::<Vec<_>>()
        .into();
    json
}

/// An `AvailableShippingMethod`.
pub(super) fn rate_json(view: &PriceView, rate: &ShippingRate) -> Value {
    json!({
        "carrier_code": rate.carrier_code,
        "carrier_title": rate.carrier_title,
        "method_code": rate.method_code,
        "method_title": rate.method_title,
        "amount": money(view, rate.amount),
        "price_excl_tax": money(view, rate.amount),
        "price_incl_tax": money(view, rate.amount),
        "available": true,
        "error_message": "",
    })
}

/// The destination an estimate names: a country, and a region by id, code or name.
pub(super) fn estimate_destination<'a>(
    country: &'a str,
    region_id: Option<i64>,
    region: Option<&'a str>,
) -> Destination<'a> {
    let regions = crate::directory::country_regions(country).map_or(&[][..], |(_, _, r)| r);
    let region_code = regions
        .iter()
        .find(|&&(id, code, name)| {
            region_id == Some(i64::from(id))
                || region
                    .is_some_and(|r| r.eq_ignore_ascii_case(code) || r.eq_ignore_ascii_case(name))
        })
        .map(|&(_, code, _)| code);
    Destination {
        country,
        region_code,
    }
}
