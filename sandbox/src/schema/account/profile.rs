//! Registration and profile: `createCustomer` / `createCustomerV2`, `updateCustomer` /
//! `updateCustomerV2`, `updateCustomerEmail`, `isEmailAvailable`, `subscribeEmailToNewsletter`,
//! with Commerce's validation order and messages (`CreateCustomerAccount`,
//! `UpdateCustomerAccount`, `ValidateCustomerData`).

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Map, Value, json};

use super::{bounded_text, input_object, logged_in, text};
use crate::customers::{AccountError, Customer, is_valid_email};
use crate::errors::{Category, commerce_error, input_error};
use crate::schema::customer::customer_json;
use crate::schema::{Data, arg};
use crate::scope::RequestScope;

pub(in crate::schema) fn create_customer(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let input = input_object(ctx, "input")?;
    let store = data.store(scope);
    let now = crate::clock::datetime(crate::clock::now());
    let mut draft = Customer::draft("", "", "", &now);
    draft.website_id = store.website_id;
    draft.store_id = store.id;
    draft.created_in = store.name.to_owned();
    if let Some(email) = bounded_text(&input, "email")? {
        draft.email = email;
    }
    apply_profile(&input, &mut draft)?;
    check_required(&draft)?;
    if !is_valid_email(&draft.email) {
        return Err(input_error(format!(
            "\"{}\" is not a valid email address.",
            draft.email
        )));
    }
    let password = text(&input, "password").filter(|p| !p.is_empty());
    let customer = data
        .customers
        .create(draft, password.as_deref())
        .map_err(|e| input_error(e.to_string()))?;
    Ok(json!({ "customer": customer_json(data, &customer) }))
}

pub(in crate::schema) fn update_customer(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let input = input_object(ctx, "input")?;
    let new_email = bounded_text(&input, "email")?.filter(|e| *e != customer.email);
    if new_email.is_some() {
        check_password(&customer, text(&input, "password").as_deref())?;
    }
    let updated = data
        .customers
        .update(customer.id, |c| {
            if let Some(email) = &new_email {
                c.email = email.clone();
            }
            apply_profile(&input, c).map_err(|e| AccountError::Invalid(e.message))?;
            check_required(c).map_err(|e| AccountError::Invalid(e.message))
        })
        .map_err(|e| input_error(e.to_string()))?;
    Ok(json!({ "customer": customer_json(data, &updated) }))
}

pub(in crate::schema) fn update_customer_email(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let email: String = arg(ctx, "email")?.unwrap_or_default();
    let password: String = arg(ctx, "password")?.unwrap_or_default();
    if email.trim().is_empty() || password.is_empty() {
        return Err(input_error(
            "\"email\" and \"password\" values should be specified",
        ));
    }
    if email.trim() != customer.email {
        check_password(&customer, Some(&password))?;
    }
    let updated = data
        .customers
        .update(customer.id, |c| {
            c.email = email.trim().to_owned();
            Ok(())
        })
        .map_err(|e| input_error(e.to_string()))?;
    Ok(json!({ "customer": customer_json(data, &updated) }))
}

/// Since 2.4.7 Commerce answers `true` for every well-formed address unless "Enable Guest
/// Checkout Login" is on (off by default), so as not to reveal who has an account.
pub(in crate::schema) fn is_email_available(
    _data: &Data,
    _scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let email: String = arg(ctx, "email")?.unwrap_or_default();
    if email.trim().is_empty() {
        return Err(input_error("\"Email should be specified"));
    }
    if !is_valid_email(email.trim()) {
        return Err(input_error("Email is invalid"));
    }
    Ok(json!({ "is_email_available": true }))
}

/// `subscribeEmailToNewsletter`: guests may subscribe (Commerce's default), an address that
/// belongs to another customer may not; a customer's own address subscribes the account.
pub(in crate::schema) fn subscribe_email_to_newsletter(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let email: String = arg(ctx, "email")?.unwrap_or_default();
    let email = email.trim();
    if email.is_empty() {
        return Err(input_error(
            "You must specify an email address to subscribe to a newsletter.",
        ));
    }
    if !is_valid_email(email) {
        return Err(input_error("Enter a valid email address."));
    }
    let owner = data.customers.by_email(email);
    if let Some(owner) = &owner {
        if scope.customer != Some(owner.id) {
            return Err(input_error(
                "This email address is already assigned to another user.",
            ));
        }
        if owner.is_subscribed {
            return Err(input_error("This email address is already subscribed."));
        }
        data.customers
            .update(owner.id, |c| {
                c.is_subscribed = true;
                Ok(())
            })
            .map_err(|e| input_error(e.to_string()))?;
    }
    data.outbox.send(
        "newsletter_subscription_success_email_template",
        email,
        "Newsletter subscription success",
        json!({}),
    );
    Ok(json!({ "status": "SUBSCRIBED" }))
}

/// The profile fields of `CustomerInput` / `CustomerCreateInput` / `CustomerUpdateInput`.
fn apply_profile(input: &Map<String, Value>, customer: &mut Customer) -> Result<(), Error> {
    if let Some(firstname) = bounded_text(input, "firstname")? {
        customer.firstname = firstname;
    }
    if let Some(lastname) = bounded_text(input, "lastname")? {
        customer.lastname = lastname;
    }
    for (key, slot) in [
        ("middlename", &mut customer.middlename),
        ("prefix", &mut customer.prefix),
        ("suffix", &mut customer.suffix),
        ("taxvat", &mut customer.taxvat),
    ] {
        if input.contains_key(key) {
            *slot = bounded_text(input, key)?.filter(|v| !v.is_empty());
        }
    }
    if let Some(dob) = text(input, "date_of_birth").or_else(|| text(input, "dob")) {
        customer.dob = Some(valid_date(&dob)?);
    }
    if let Some(gender) = input.get("gender").filter(|g| !g.is_null()) {
        match gender.as_u64() {
            Some(g @ 1..=3) => customer.gender = g as u32,
            _ => {
                return Err(input_error(format!(
                    "\"{gender}\" is not a valid gender value."
                )));
            }
        }
    }
    if let Some(Value::Bool(subscribed)) = input.get("is_subscribed") {
        customer.is_subscribed = *subscribed;
    }
    if let Some(Value::Bool(allowed)) = input.get("allow_remote_shopping_assistance") {
        customer.assistance_allowed = *allowed;
    }
    Ok(())
}

/// `ValidateCustomerData`: the required attributes by their labels.
fn check_required(customer: &Customer) -> Result<(), Error> {
    let missing: Vec<&str> = [
        ("Email", customer.email.is_empty()),
        ("First Name", customer.firstname.is_empty()),
        ("Last Name", customer.lastname.is_empty()),
    ]
    .into_iter()
    .filter_map(|(label, missing)| missing.then_some(label))
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(input_error(format!(
            "Required parameters are missing: {}",
            missing.join(", ")
        )))
    }
}

/// `UpdateCustomerAccount`: changing the email needs the current password.
fn check_password(customer: &Customer, password: Option<&str>) -> Result<(), Error> {
    match password.filter(|p| !p.is_empty()) {
        None => Err(input_error(
            "Provide the current \"password\" to change \"email\".",
        )),
        Some(p) if customer.password_matches(p) => Ok(()),
        Some(_) => Err(wrong_password()),
    }
}

/// `Authentication::authenticate`'s refusal, as `CheckCustomerPassword` passes it on.
pub(super) fn wrong_password() -> Error {
    commerce_error(
        Category::Authentication,
        "The password doesn't match this account. Verify the password and try again.",
    )
}

/// A date of birth as `YYYY-MM-DD` (a time part is dropped, as Commerce stores a date).
fn valid_date(value: &str) -> Result<String, Error> {
    let date = value.split([' ', 'T']).next().unwrap_or_default();
    let parts: Vec<&str> = date.split('-').collect();
    let valid = matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && y.parse::<u32>().is_ok()
            && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
            && d.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d)));
    if valid {
        Ok(date.to_owned())
    } else {
        Err(input_error(format!(
            "Invalid date of birth \"{}\".",
            value.chars().take(32).collect::<String>()
        )))
    }
}
