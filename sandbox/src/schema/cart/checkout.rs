//! The checkout steps on a cart: coupons, guest email, addresses, shipping and payment
//! methods, gift options, estimates and `placeOrder`.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::orders::order_json;
use super::super::{Data, arg};
use super::{
    CartIdInput, caller, cart_error, cart_json_with, cart_output, estimate_destination, rate_json,
    required, totals_of,
};
use crate::carts::address_book::{self, BookError};
use crate::carts::checkout::{self, AddressInput, PlaceOrderError};
use crate::carts::{CartError, totals};
use crate::errors::{Category, commerce_error, input_error};
use crate::orders::Placement;
use crate::scope::RequestScope;

/// Deserializes the `input` argument, which every mutation here requires.
/// The one entry of a list argument Commerce takes exactly one of (`null` entries skipped):
/// more is refused with `multiple`, none names the missing parameter.
fn exactly_one<T>(
    list: Vec<Option<T>>,
    parameter: &'static str,
    multiple: &str,
) -> Result<T, Error> {
    let mut entries: Vec<T> = list.into_iter().flatten().collect();
    if entries.len() > 1 {
        return Err(cart_error(CartError::Input(multiple.into())));
    }
    entries
        .pop()
        .ok_or_else(|| cart_error(CartError::MissingParameter(parameter)))
}

fn input<T: serde::de::DeserializeOwned>(ctx: &ResolverContext<'_>) -> Result<T, Error> {
    arg(ctx, "input")?.ok_or_else(|| cart_error(CartError::MissingParameter("input")))
}

pub(in crate::schema) fn apply_coupon_to_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        coupon_code: Option<String>,
    }
    let input: Input = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let code = required(&input.coupon_code, "coupon_code")?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            if cart.items.is_empty() {
                return Err(CartError::NoSuchEntity(
                    "Cart does not contain products.".into(),
                ));
            }
            if cart.coupon.is_some() {
                return Err(CartError::Input(
                    "A coupon is already applied to the cart. Please remove it to apply another"
                        .into(),
                ));
            }
            cart.coupon = Some(totals::coupon(code).ok_or_else(|| {
                CartError::NoSuchEntity(
                    "The coupon code isn't valid. Verify the code and try again.".into(),
                )
            })?);
            Ok(())
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

pub(in crate::schema) fn remove_coupon_from_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let input: CartIdInput = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            cart.coupon = None;
            Ok(())
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

pub(in crate::schema) fn set_guest_email_on_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        email: Option<String>,
    }
    let input: Input = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let email = required(&input.email, "email")?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            checkout::set_guest_email(cart, email)
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

/// `ShippingAddressInput` / `BillingAddressInput` (the fields both have, and billing's flags).
#[derive(Deserialize)]
struct AddressChoice {
    address: Option<AddressInput>,
    customer_address_id: Option<i64>,
    customer_address_uid: Option<String>,
    customer_notes: Option<String>,
    same_as_shipping: Option<bool>,
    use_for_shipping: Option<bool>,
}

impl AddressChoice {
    /// The address given inline or by the logged-in customer's address book; `None` when the
    /// choice names neither. Book errors keep Commerce's categories (a guest or another
    /// customer's address is an authorization problem, an unknown id a missing entity).
    fn resolve(
        &self,
        data: &Data,
        scope: &RequestScope,
        kind: &str,
    ) -> Result<Option<checkout::CartAddress>, Error> {
        let book = match (&self.customer_address_uid, self.customer_address_id) {
            (Some(uid), _) => Some(crate::uid::decode_id(uid).ok_or_else(|| {
                input_error(format!("Value of uid \"{}\" is incorrect.", uid.trim()))
            })?),
            (None, Some(id)) => Some(u32::try_from(id).unwrap_or(0)),
            (None, None) => None,
        };
        match (&self.address, book) {
            (Some(_), Some(_)) => Err(cart_error(CartError::Input(format!(
                "The {kind} address cannot contain \"customer_address_id\" and \"address\" at the same time."
            )))),
            (None, Some(id)) => {
                let mut address = address_book::saved_address(&data.customers, scope.customer, id)
                    .map_err(book_error)?;
                address.customer_notes = self.notes().map_err(cart_error)?;
                Ok(Some(address))
            }
            (Some(address), None) => {
                let mut address =
                    checkout::validate_address(address.clone()).map_err(cart_error)?;
                address.customer_notes = self.notes().map_err(cart_error)?;
                Ok(Some(address))
            }
            (None, None) => Ok(None),
        }
    }

    fn notes(&self) -> Result<Option<String>, CartError> {
        if self
            .customer_notes
            .as_ref()
            .is_some_and(|n| n.chars().count() > 1_000)
        {
            return Err(CartError::Input(
                "\"customer_notes\" cannot contain more than 1000 characters.".into(),
            ));
        }
        Ok(self.customer_notes.clone())
    }
}

fn book_error(error: BookError) -> Error {
    let category = match error {
        BookError::Guest | BookError::NotYours(_) => Category::Authorization,
        BookError::NotFound(_) => Category::NoSuchEntity,
    };
    commerce_error(category, error.to_string())
}

pub(in crate::schema) fn set_shipping_addresses_on_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        #[serde(default)]
        shipping_addresses: Vec<Option<AddressChoice>>,
    }
    let input: Input = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let choice = exactly_one(
        input.shipping_addresses,
        "shipping_addresses",
        "You cannot specify multiple shipping addresses.",
    )?;
    let current = data
        .carts
        .read(caller(scope), cart_id)
        .map_err(cart_error)?;
    checkout::check_ships(&current).map_err(cart_error)?;
    let address = choice.resolve(data, scope, "shipping")?.ok_or_else(|| {
        cart_error(CartError::Input(
            "The shipping address must contain either \"customer_address_id\" or \"address\"."
                .into(),
        ))
    })?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            checkout::check_ships(cart)?;
            cart.shipping_address = Some(address);
            Ok(())
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

pub(in crate::schema) fn set_billing_address_on_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        billing_address: Option<AddressChoice>,
    }
    let input: Input = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let choice = input
        .billing_address
        .ok_or_else(|| cart_error(CartError::MissingParameter("billing_address")))?;
    let same_as_shipping = choice.same_as_shipping.unwrap_or(false);
    let use_for_shipping = choice.use_for_shipping.unwrap_or(false);
    data.carts
        .read(caller(scope), cart_id)
        .map_err(cart_error)?;
    let address = choice.resolve(data, scope, "billing")?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            checkout::set_billing_address(cart, address, same_as_shipping, use_for_shipping)
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

/// `ShippingMethodInput`.
#[derive(Deserialize)]
struct MethodInput {
    carrier_code: Option<String>,
    method_code: Option<String>,
}

pub(in crate::schema) fn set_shipping_methods_on_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        #[serde(default)]
        shipping_methods: Vec<Option<MethodInput>>,
    }
    let input: Input = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let method = exactly_one(
        input.shipping_methods,
        "shipping_methods",
        "You cannot specify multiple shipping methods.",
    )?;
    let carrier = required(&method.carrier_code, "carrier_code")?;
    let code = required(&method.method_code, "method_code")?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            let rates = totals_of(data, scope, cart).rates;
            checkout::set_shipping_method(cart, &rates, carrier, code)
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

pub(in crate::schema) fn set_payment_method_on_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Method {
        code: Option<String>,
        purchase_order_number: Option<String>,
    }
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        payment_method: Option<Method>,
    }
    let input: Input = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let method = input
        .payment_method
        .ok_or_else(|| cart_error(CartError::MissingParameter("payment_method")))?;
    let code = method.code.unwrap_or_default();
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            let grand_total = totals_of(data, scope, cart).grand_total;
            checkout::set_payment_method(cart, grand_total, &code, method.purchase_order_number)
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

pub(in crate::schema) fn set_gift_options_on_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Message {
        to: String,
        from: String,
        message: String,
    }
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        gift_message: Option<Message>,
        gift_wrapping_id: Option<String>,
        #[serde(default)]
        gift_receipt_included: bool,
        #[serde(default)]
        printed_card_included: bool,
    }
    let input: Input = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    if let Some(id) = input.gift_wrapping_id.filter(|id| !id.trim().is_empty()) {
        return Err(commerce_error(
            Category::NoSuchEntity,
            format!("Could not find gift wrapping with ID \"{id}\""),
        ));
    }
    let message = match input.gift_message {
        Some(m) if [&m.to, &m.from, &m.message].iter().any(|s| s.len() > 1_000) => {
            return Err(cart_error(CartError::Input(
                "The gift message is too long.".into(),
            )));
        }
        Some(m) => Some((m.to, m.from, m.message)),
        None => None,
    };
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            cart.gift.message = message;
            cart.gift.gift_receipt_included = input.gift_receipt_included;
            cart.gift.printed_card_included = input.printed_card_included;
            Ok(())
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

/// `EstimateTotalsInput`.
#[derive(Deserialize)]
struct EstimateInput {
    cart_id: Option<String>,
    address: Option<EstimateAddress>,
    shipping_method: Option<MethodInput>,
}

#[derive(Deserialize)]
struct EstimateAddress {
    country_code: String,
    region: Option<EstimateRegion>,
}

#[derive(Deserialize)]
struct EstimateRegion {
    region: Option<String>,
    region_code: Option<String>,
    region_id: Option<i64>,
}

/// The cart's totals at an estimate's address and method, without changing the cart.
fn estimate(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<(crate::carts::Cart, totals::Totals), Error> {
    let input: EstimateInput = input(ctx)?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let cart = data
        .carts
        .read(caller(scope), cart_id)
        .map_err(cart_error)?;
    let address = input
        .address
        .ok_or_else(|| cart_error(CartError::MissingParameter("address")))?;
    let region = address.region.as_ref();
    let text = region.and_then(|r| r.region_code.as_deref().or(r.region.as_deref()));
    let to = estimate_destination(
        &address.country_code,
        region.and_then(|r| r.region_id),
        text,
    );
    let method = input
        .shipping_method
        .as_ref()
        .and_then(|m| Some((m.carrier_code.as_deref()?, m.method_code.as_deref()?)));
    let totals = totals::compute(&data.catalog, &scope.price_view(), &cart, Some(to), method);
    Ok((cart, totals))
}

pub(in crate::schema) fn estimate_shipping_methods(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let (_, totals) = estimate(data, scope, ctx)?;
    let view = scope.price_view();
    Ok(totals.rates.iter().map(|r| rate_json(&view, r)).collect())
}

pub(in crate::schema) fn estimate_totals(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let (cart, totals) = estimate(data, scope, ctx)?;
    Ok(json!({ "cart": cart_json_with(data, scope, &cart, &totals) }))
}

fn place_order_errors(error: PlaceOrderError) -> Value {
    json!({
        "errors": [{ "code": error.code.as_str(), "message": error.message }],
        "order": null,
        "orderV2": null,
    })
}

/// `placeOrder(input: { cart_id })`: Commerce's checks, then the order, the stock
/// reservation and the cart's deactivation at once. Problems with the cart itself are listed
/// in `errors` with 2.4.9's codes; only authorization problems are thrown.
pub(in crate::schema) fn place_order(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let input: CartIdInput = input(ctx)?;
    let cart_id = input.cart_id.unwrap_or_default();
    let placed = data.carts.update(caller(scope), cart_id.trim(), |cart| {
        order_cart(data, scope, cart)
    });
    match placed {
        Ok((Ok(order), cart)) => {
            save_ordered_addresses(data, &cart);
            Ok(json!({
            "errors": [],
            "order": { "order_number": order.number, "order_id": order.number },
            "orderV2": order_json(data, scope, &order),
            }))
        }
        Ok((Err(error), _)) => Ok(place_order_errors(error)),
        Err(error) => match checkout::place_order_error(&error) {
            Some(listed) => Ok(place_order_errors(listed)),
            None => Err(cart_error(error)),
        },
    }
}

/// A customer's order saves the addresses typed with `save_in_address_book` (after the cart
/// lock is released, so the carts and the accounts are never locked together). The order
/// stands when the book is full: it is logged, not turned into a failed `placeOrder`.
fn save_ordered_addresses(data: &Data, cart: &crate::carts::Cart) {
    let Some(customer) = cart.customer.and_then(|id| data.customers.by_id(id)) else {
        return;
    };
    if let Err(error) = address_book::save_ordered_addresses(
        &data.customers,
        &customer,
        cart.shipping_address.as_ref(),
        cart.billing_address.as_ref(),
    ) {
        tracing::warn!(customer = customer.id, %error, "ordered address not saved to the address book");
    }
}

/// Turns an active cart into an order: Commerce's checks, the stock reservation, the order,
/// and the cart's deactivation. `Ok(Err(…))` is a problem `placeOrder` lists in `errors`.
fn order_cart(
    data: &Data,
    scope: &RequestScope,
    cart: &mut crate::carts::Cart,
) -> Result<Result<crate::orders::Order, PlaceOrderError>, CartError> {
    let totals = totals_of(data, scope, cart);
    if let Err(e) = checkout::check_before_order(cart, &totals) {
        return Ok(Err(e));
    }
    let reserved: Vec<(u32, u32, u32)> = cart
        .items
        .iter()
        .flat_map(|l| l.stock_units(&data.catalog))
        .collect();
    if !data.orders.has_room() {
        return Err(CartError::Input(
            crate::orders::OrderError::Full.to_string(),
        ));
    }
    if !data.catalog.reservations.reserve_all(&reserved) {
        return Ok(Err(checkout::out_of_stock()));
    }
    let items = cart
        .items
        .iter()
        .map(|l| {
            let product = data.catalog.product(l.product);
            let sku = match l.variant() {
                Some(v) => data.catalog.variant_sku(l.product, v),
                None => product.sku.clone(),
            };
            (sku, product.name.clone())
        })
        .collect();
    let email = super::cart_email(data, cart).unwrap_or_default();
    let (code, _) = cart.payment_method.clone().unwrap_or(("", None));
    let title = totals::payment_method(code).map_or("", |m| m.title);
    let order = data
        .orders
        .place(Placement {
            cart,
            email,
            totals: &totals,
            items,
            payment: (code, title),
            now: crate::clock::now(),
        })
        .map_err(|e| CartError::Input(e.to_string()))?;
    cart.active = false;
    Ok(Ok(order))
}
