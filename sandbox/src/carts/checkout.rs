//! Checkout data on a cart: addresses validated as Commerce validates them (required fields,
//! country and region from the directory, Commerce's two street lines), the guest's email,
//! the chosen shipping and payment methods, gift options, and the checks `placeOrder` runs
//! before an order exists.

use serde::Deserialize;

use super::totals::{self, ShippingRate, Totals};
use super::{Cart, CartError};
use crate::directory::country_regions;

/// Characters one address field may hold.
const MAX_FIELD: usize = 255;
/// Commerce's default number of street lines (`customer/address/street_lines`).
const STREET_LINES: usize = 2;

/// `CartAddressInput`, as a client sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AddressInput {
    pub firstname: String,
    pub lastname: String,
    pub middlename: Option<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub company: Option<String>,
    pub street: Vec<Option<String>>,
    pub city: String,
    pub region: Option<String>,
    pub region_id: Option<i64>,
    pub postcode: Option<String>,
    pub country_code: String,
    pub telephone: String,
    pub vat_id: Option<String>,
    pub fax: Option<String>,
    /// Whether a customer's order saves this address to the address book.
    pub save_in_address_book: Option<bool>,
}

/// A region as the cart shows it (`CartAddressRegion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    pub id: Option<u32>,
    pub code: Option<String>,
    pub label: String,
}

/// A validated cart address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CartAddress {
    pub firstname: String,
    pub lastname: String,
    pub middlename: Option<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub company: Option<String>,
    pub street: Vec<String>,
    pub city: String,
    pub region: Option<Region>,
    pub postcode: Option<String>,
    pub country_code: &'static str,
    pub country_label: &'static str,
    pub telephone: String,
    pub vat_id: Option<String>,
    pub fax: Option<String>,
    /// Text the shopper left with the shipping address.
    pub customer_notes: Option<String>,
    /// The address-book entry it was copied from (`customer_address_uid`).
    pub customer_address_id: Option<u32>,
    /// Save it to the customer's address book when the order is placed.
    pub save_in_address_book: bool,
}

impl CartAddress {
    /// Where it ships to, for rates and tax.
    pub fn destination(&self) -> totals::Destination<'_> {
        totals::Destination {
            country: self.country_code,
            region_code: self.region.as_ref().and_then(|r| r.code.as_deref()),
        }
    }
}

/// `setGiftOptionsOnCart`'s choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GiftOptions {
    /// (to, from, message).
    pub message: Option<(String, String, String)>,
    pub gift_receipt_included: bool,
    pub printed_card_included: bool,
}

fn required(field: &str) -> CartError {
    CartError::Input(format!("\"{field}\" is required. Enter and try again."))
}

fn bounded(field: &str, value: Option<String>) -> Result<Option<String>, CartError> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match value {
        Some(v) if v.chars().count() > MAX_FIELD => Err(CartError::Input(format!(
            "\"{field}\" cannot contain more than {MAX_FIELD} characters."
        ))),
        other => Ok(other),
    }
}

fn mandatory(field: &str, value: String) -> Result<String, CartError> {
    bounded(field, Some(value))?.ok_or_else(|| required(field))
}

/// Validates an address as Commerce's address validator does.
pub(crate) fn validate_address(input: AddressInput) -> Result<CartAddress, CartError> {
    let (country_code, country_label, regions) = country_regions(&input.country_code)
        .ok_or_else(|| CartError::Input("Country is not available".into()))?;
    let firstname = mandatory("firstname", input.firstname)?;
    let lastname = mandatory("lastname", input.lastname)?;
    let mut street = Vec::new();
    for line in input.street {
        if let Some(line) = bounded("street", line)? {
            street.push(line);
        }
    }
    if street.is_empty() {
        return Err(required("street"));
    }
    if street.len() > STREET_LINES {
        return Err(CartError::Input(format!(
            "\"Street Address\" cannot contain more than {STREET_LINES} lines."
        )));
    }
    let city = mandatory("city", input.city)?;
    let telephone = mandatory("telephone", input.telephone)?;
    let postcode = bounded("postcode", input.postcode)?;
    if postcode.is_none() && !matches!(country_code, "IE") {
        return Err(required("postcode"));
    }
    let region = region(regions, input.region_id, bounded("region", input.region)?)?;
    if region.is_none() && matches!(country_code, "US" | "CA") {
        return Err(required("regionId"));
    }
    Ok(CartAddress {
        firstname,
        lastname,
        middlename: bounded("middlename", input.middlename)?,
        prefix: bounded("prefix", input.prefix)?,
        suffix: bounded("suffix", input.suffix)?,
        company: bounded("company", input.company)?,
        street,
        city,
        region,
        postcode,
        country_code,
        country_label,
        telephone,
        vat_id: bounded("vat_id", input.vat_id)?,
        fax: bounded("fax", input.fax)?,
        customer_notes: None,
        customer_address_id: None,
        save_in_address_book: input.save_in_address_book.unwrap_or(false),
    })
}

/// The region an address names by id, code or name; free text for countries without a
/// region list.
fn region(
    regions: &[(u32, &str, &str)],
    id: Option<i64>,
    text: Option<String>,
) -> Result<Option<Region>, CartError> {
    let mismatch =
        || CartError::Input("The region_id does not match the selected country or region".into());
    let known = |&&(rid, code, name): &&(u32, &str, &str)| Region {
        id: Some(rid),
        code: Some(code.to_owned()),
        label: name.to_owned(),
    };
    match (id, text) {
        (Some(id), _) => regions
            .iter()
            .find(|(rid, _, _)| i64::from(*rid) == id)
            .map(|r| Some(known(&r)))
            .ok_or_else(mismatch),
        (None, Some(text)) if !regions.is_empty() => regions
            .iter()
            .find(|(_, code, name)| {
                code.eq_ignore_ascii_case(&text) || name.eq_ignore_ascii_case(&text)
            })
            .map(|r| Some(known(&r)))
            .ok_or_else(mismatch),
        (None, Some(text)) => Ok(Some(Region {
            id: None,
            code: None,
            label: text,
        })),
        (None, None) => Ok(None),
    }
}

/// `setGuestEmailOnCart`.
pub(crate) fn set_guest_email(cart: &mut Cart, email: &str) -> Result<(), CartError> {
    if cart.customer.is_some() {
        return Err(CartError::Input(
            "The request is not allowed for logged in customers".into(),
        ));
    }
    let email = email.trim();
    if email.is_empty() {
        return Err(CartError::MissingParameter("email"));
    }
    if !is_email(email) {
        return Err(CartError::Input("Invalid email format".into()));
    }
    cart.email = Some(email.to_owned());
    Ok(())
}

/// A plausible address: one `@`, a local part, a dotted domain, no spaces, bounded.
pub(crate) fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= MAX_FIELD
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// `setBillingAddressOnCart`: an address, or the shipping address (`same_as_shipping`);
/// `use_for_shipping` makes the billing address the shipping address too.
pub(crate) fn set_billing_address(
    cart: &mut Cart,
    address: Option<CartAddress>,
    same_as_shipping: bool,
    use_for_shipping: bool,
) -> Result<(), CartError> {
    let billing = match (address, same_as_shipping) {
        (Some(address), _) => address,
        (None, true) => cart.shipping_address.clone().ok_or_else(|| {
            CartError::Input(
                "Could not use the \"same_as_shipping\" option, because the shipping address has not been set.".into(),
            )
        })?,
        (None, false) => {
            return Err(CartError::Input(
                "The billing address must contain either \"customer_address_id\", \"address\", or \"same_as_shipping\".".into(),
            ));
        }
    };
    // A virtual cart has no shipping address to fill, so the flag changes nothing there.
    if use_for_shipping && !cart.is_virtual() {
        cart.shipping_address = Some(billing.clone());
        cart.shipping_method = None;
    }
    cart.billing_address = Some(billing);
    Ok(())
}

/// Commerce refuses a shipping address on a cart where nothing ships.
pub(crate) fn check_ships(cart: &Cart) -> Result<(), CartError> {
    if cart.is_virtual() {
        return Err(CartError::Input(
            "Shipping address is not allowed on cart: cart contains no items for shipment.".into(),
        ));
    }
    Ok(())
}

/// `setShippingMethodsOnCart`: one of the rates offered for the shipping address.
pub(crate) fn set_shipping_method(
    cart: &mut Cart,
    rates: &[ShippingRate],
    carrier: &str,
    method: &str,
) -> Result<(), CartError> {
    if cart.shipping_address.is_none() {
        return Err(CartError::Input(
            "The shipping address is missing. Set the address and try again.".into(),
        ));
    }
    let rate = rates
        .iter()
        .find(|r| r.carrier_code == carrier && r.method_code == method)
        .ok_or_else(|| {
            CartError::Input(format!(
                "Carrier with such method not found: {carrier}, {method}"
            ))
        })?;
    cart.shipping_method = Some((rate.carrier_code, rate.method_code));
    Ok(())
}

/// `setPaymentMethodOnCart`: a method the cart's grand total allows.
pub(crate) fn set_payment_method(
    cart: &mut Cart,
    grand_total: f64,
    code: &str,
    purchase_order_number: Option<String>,
) -> Result<(), CartError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(CartError::MissingParameter("payment_method.code"));
    }
    if cart.shipping_address.is_none() && !cart.items.is_empty() && !cart.is_virtual() {
        return Err(CartError::Input(
            "The shipping address is missing. Set the address and try again.".into(),
        ));
    }
    let method = totals::payment_methods(grand_total)
        .find(|m| m.code == code)
        .ok_or_else(|| CartError::Input("The requested Payment Method is not available.".into()))?;
    cart.payment_method = Some((
        method.code,
        bounded("purchase_order_number", purchase_order_number)?,
    ));
    Ok(())
}

/// Commerce's `PlaceOrderErrorCodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceOrderCode {
    CartNotFound,
    CartNotActive,
    GuestEmailMissing,
    UnableToPlaceOrder,
}

impl PlaceOrderCode {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceOrderCode::CartNotFound => "CART_NOT_FOUND",
            PlaceOrderCode::CartNotActive => "CART_NOT_ACTIVE",
            PlaceOrderCode::GuestEmailMissing => "GUEST_EMAIL_MISSING",
            PlaceOrderCode::UnableToPlaceOrder => "UNABLE_TO_PLACE_ORDER",
        }
    }
}

/// A `PlaceOrderError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlaceOrderError {
    pub code: PlaceOrderCode,
    pub message: String,
}

fn unable(reason: &str) -> PlaceOrderError {
    PlaceOrderError {
        code: PlaceOrderCode::UnableToPlaceOrder,
        message: format!("Unable to place order: {reason}"),
    }
}

/// Commerce's quote validation before submitting, in Commerce's order.
pub(crate) fn check_before_order(cart: &Cart, totals: &Totals) -> Result<(), PlaceOrderError> {
    if cart.customer.is_none() && cart.email.is_none() {
        return Err(PlaceOrderError {
            code: PlaceOrderCode::GuestEmailMissing,
            message: "Guest email for cart is missing.".into(),
        });
    }
    if cart.items.is_empty() {
        return Err(unable(
            "A server error stopped your order from being placed. Please try to place your order again",
        ));
    }
    // A virtual cart ships nothing: it is ordered without a shipping address or method.
    let ships = !cart.is_virtual();
    if ships && cart.shipping_address.is_none() {
        return Err(unable(
            "Some addresses can't be used due to the configurations for specific countries.",
        ));
    }
    if ships && totals.shipping.is_none() {
        return Err(unable(
            "The shipping method is missing. Select the shipping method and try again.",
        ));
    }
    if cart.billing_address.is_none() {
        return Err(unable("Please check the billing address information."));
    }
    let payment_ok = cart.payment_method.as_ref().is_some_and(|(code, _)| {
        totals::payment_methods(totals.grand_total).any(|m| m.code == *code)
    });
    if !payment_ok {
        return Err(unable("Enter a valid payment method and try again."));
    }
    Ok(())
}

/// The message `placeOrder` reports when stock ran out between adding and ordering.
pub(crate) fn out_of_stock() -> PlaceOrderError {
    unable("Not enough items for sale")
}

/// A cart error as `placeOrder` reports it in its `errors` list; `None` for errors it throws.
pub(crate) fn place_order_error(error: &CartError) -> Option<PlaceOrderError> {
    let code = match error {
        CartError::NotFound(_) | CartError::WrongStore(_) | CartError::MissingParameter(_) => {
            PlaceOrderCode::CartNotFound
        }
        CartError::Inactive => PlaceOrderCode::CartNotActive,
        _ => return None,
    };
    Some(PlaceOrderError {
        code,
        message: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            firstname: "Ada".into(),
            lastname: "Lovelace".into(),
            street: vec![Some("1 Main St".into())],
            city: "Los Angeles".into(),
            region_id: Some(12),
            postcode: Some("90001".into()),
            country_code: "us".into(),
            telephone: "555-0100".into(),
            ..AddressInput::default()
        }
    }

    #[test]
    fn addresses_are_validated_against_the_directory() {
        let address = validate_address(input()).expect("valid");
        assert_eq!(address.country_code, "US");
        assert_eq!(
            address.region.as_ref().and_then(|r| r.code.as_deref()),
            Some("CA")
        );
        let by_code = validate_address(AddressInput {
            region_id: None,
            region: Some("ny".into()),
            ..input()
        })
        .expect("valid");
        assert_eq!(by_code.region.map(|r| r.id), Some(Some(43)));
        let cases = [
            (
                AddressInput {
                    country_code: "XX".into(),
                    ..input()
                },
                "Country is not available",
            ),
            (
                AddressInput {
                    firstname: " ".into(),
                    ..input()
                },
                "\"firstname\" is required. Enter and try again.",
            ),
            (
                AddressInput {
                    street: vec![None],
                    ..input()
                },
                "\"street\" is required. Enter and try again.",
            ),
            (
                AddressInput {
                    region_id: None,
                    ..input()
                },
                "\"regionId\" is required. Enter and try again.",
            ),
            (
                AddressInput {
                    region_id: Some(80),
                    ..input()
                },
                "The region_id does not match the selected country or region",
            ),
            (
                AddressInput {
                    street: vec![Some("a".into()), Some("b".into()), Some("c".into())],
                    ..input()
                },
                "\"Street Address\" cannot contain more than 2 lines.",
            ),
            (
                AddressInput {
                    city: "x".repeat(300),
                    ..input()
                },
                "\"city\" cannot contain more than 255 characters.",
            ),
        ];
        for (bad, message) in cases {
            assert_eq!(validate_address(bad), Err(CartError::Input(message.into())));
        }
    }

    #[test]
    fn guest_emails_must_look_like_emails_and_customers_cannot_set_one() {
        let mut cart = Cart::new("g".repeat(32), 0, None);
        assert!(set_guest_email(&mut cart, "ada@example.com").is_ok());
        for bad in ["ada", "ada@example", "a da@example.com", "@example.com"] {
            assert_eq!(
                set_guest_email(&mut cart, bad),
                Err(CartError::Input("Invalid email format".into()))
            );
        }
        let mut theirs = Cart::new("c".repeat(32), 0, Some(1));
        assert!(set_guest_email(&mut theirs, "ada@example.com").is_err());
    }
}
