//! The customer's account beyond sign-in (`super::customer`): registration and profile
//! (`profile`), passwords and their reset (`passwords`), the address book (`addresses`),
//! stored payment tokens (`payment_tokens`), and the `Customer` fields that take arguments
//! (`addressesV2`, `wishlists`, `wishlist`, `wishlist_v2`, `reviews`), resolved on the customer
//! object the `customer` root field returns.

mod addresses;
mod passwords;
mod payment_tokens;
mod profile;

pub(super) use addresses::address_json;

use std::sync::Arc;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Map, Value};

use super::{Data, Handler, arg};
use crate::customers::Customer;
use crate::errors::input_error;

/// Root query fields of this module.
pub(super) fn query(name: &str) -> Option<Handler> {
    let handler: Handler = match name {
        "isEmailAvailable" => Arc::new(profile::is_email_available),
        "customerPaymentTokens" => Arc::new(payment_tokens::customer_payment_tokens),
        _ => return None,
    };
    Some(handler)
}

/// Root mutation fields of this module.
pub(super) fn mutation(name: &str) -> Option<Handler> {
    let handler: Handler = match name {
        "createCustomer" | "createCustomerV2" => Arc::new(profile::create_customer),
        "updateCustomer" | "updateCustomerV2" => Arc::new(profile::update_customer),
        "updateCustomerEmail" => Arc::new(profile::update_customer_email),
        "subscribeEmailToNewsletter" => Arc::new(profile::subscribe_email_to_newsletter),
        "changeCustomerPassword" => Arc::new(passwords::change_customer_password),
        "requestPasswordResetEmail" => Arc::new(passwords::request_password_reset_email),
        "resetPassword" => Arc::new(passwords::reset_password),
        "createCustomerAddress" => Arc::new(addresses::create_customer_address),
        "updateCustomerAddress" | "updateCustomerAddressV2" => {
            Arc::new(addresses::update_customer_address)
        }
        "deleteCustomerAddress" | "deleteCustomerAddressV2" => {
            Arc::new(addresses::delete_customer_address)
        }
        "deletePaymentToken" => Arc::new(payment_tokens::delete_payment_token),
        _ => return None,
    };
    Some(handler)
}

/// Fields of `Customer` computed from their arguments.
pub(super) fn customer_field(name: &str) -> Option<Handler> {
    let handler: Handler = match name {
        "addressesV2" => Arc::new(addresses::addresses_v2),
        "wishlists" => Arc::new(super::wishlists::customer_wishlists),
        "wishlist" => Arc::new(super::wishlists::customer_wishlist),
        "wishlist_v2" => Arc::new(super::wishlists::customer_wishlist_v2),
        "reviews" => Arc::new(super::reviews::customer_reviews),
        _ => return None,
    };
    Some(handler)
}

/// Key of the customer's entity id in the `Customer` object (never a schema field name).
pub(super) const CUSTOMER_ID_KEY: &str = "_customer";

/// The account a `Customer` field is resolved on.
pub(super) fn parent_customer(
    data: &Data,
    ctx: &ResolverContext<'_>,
) -> Result<Arc<Customer>, Error> {
    ctx.parent_value
        .downcast_ref::<Value>()
        .and_then(|parent| parent.get(CUSTOMER_ID_KEY))
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .and_then(|id| data.customers.by_id(id))
        .ok_or_else(super::customer::not_authorized)
}

/// The logged-in customer (Commerce's authorization error for guests), for the account's
/// resolvers.
pub(super) use super::customer::logged_in;

/// The object argument `name`, or Commerce's `"input" value should be specified`.
fn input_object(ctx: &ResolverContext<'_>, name: &str) -> Result<Map<String, Value>, Error> {
    match arg::<Value>(ctx, name)? {
        Some(Value::Object(map)) if !map.is_empty() => Ok(map),
        _ => Err(input_error(format!("\"{name}\" value should be specified"))),
    }
}

/// A trimmed string member of an input object; `None` when absent or null.
fn text(input: &Map<String, Value>, key: &str) -> Option<String> {
    match input.get(key) {
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Longest text the sandbox keeps in one field (Commerce's varchar(255) columns).
const MAX_TEXT: usize = 255;

/// `text`, refused when longer than a column holds.
fn bounded_text(input: &Map<String, Value>, key: &str) -> Result<Option<String>, Error> {
    let value = text(input, key);
    if value.as_ref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
        return Err(input_error(format!(
            "\"{key}\" is longer than {MAX_TEXT} characters."
        )));
    }
    Ok(value)
}
