//! Customer sign-in and the customer's own data: `generateCustomerToken`,
//! `revokeCustomerToken`, `customer` (with the B2B fields `companies`, `job_title`, `status`
//! of company users), `customerGroup`.

use std::sync::Arc;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::{Data, arg};
use crate::admin_users::BackOffice;
use crate::customers::Customer;
use crate::errors::{Category, commerce_error, input_error};
use crate::scope::RequestScope;

/// The logged-in customer, or Commerce's authorization error for guests.
pub(super) fn logged_in(data: &Data, scope: &RequestScope) -> Result<Arc<Customer>, Error> {
    scope
        .customer
        .and_then(|id| data.customers.by_id(id))
        .ok_or_else(not_authorized)
}

pub(super) fn not_authorized() -> Error {
    commerce_error(
        Category::Authorization,
        "The current customer isn't authorized.",
    )
}

pub(super) fn generate_customer_token(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let email: String = arg(ctx, "email")?.unwrap_or_default();
    let password: String = arg(ctx, "password")?.unwrap_or_default();
    let customer = data.customers.authenticate(&email, &password).ok_or_else(|| {
        commerce_error(
            Category::Authentication,
            "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.",
        )
    })?;
    scope.logged_in(customer.id, customer.group);
    Ok(json!({ "token": data.customers.issue_token(&customer) }))
}

/// Login as Customer's `generateCustomerTokenAsAdmin` (`RequestCustomerToken`): only an admin
/// user's token may ask (Commerce checks the user type is 2, so an integration token is refused
/// too), for any account; Login as Customer is enabled in the sandbox.
pub(super) fn generate_customer_token_as_admin(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let input: Value = arg(ctx, "input")?.unwrap_or(Value::Null);
    let email = input
        .get("customer_email")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if email.trim_matches(' ').is_empty() {
        return Err(input_error("Specify the \"customer email\" value."));
    }
    if !matches!(scope.back_office, Some(BackOffice::Admin(_))) {
        return Err(not_authorized());
    }
    let customer = data
        .customers
        .by_email(email)
        .ok_or_else(|| input_error("Customer email provided does not exist"))?;
    Ok(json!({ "customer_token": data.customers.issue_token(&customer) }))
}

pub(super) fn revoke_customer_token(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = scope.customer.ok_or_else(not_authorized)?;
    data.customers.revoke_tokens(customer);
    Ok(json!({ "result": true }))
}

pub(super) fn customer(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    Ok(customer_json(data, &customer))
}

/// A `Customer`, with the B2B fields of company users.
pub(super) fn customer_json(data: &Data, customer: &Customer) -> Value {
    let company = customer.company.and_then(|id| data.companies.by_id(id));
    let companies: Vec<Value> = company
        .iter()
        .map(|c| json!({ "id": c.uid(), "name": c.name, "legal_name": c.legal_name, "status": "APPROVED" }))
        .collect();
    let addresses: Vec<Value> = customer
        .addresses
        .iter()
        .map(|a| super::account::address_json(customer, a))
        .collect();
    json!({
        "id": crate::uid::encode_id(customer.id),
        "email": customer.email,
        "firstname": customer.firstname,
        "lastname": customer.lastname,
        "middlename": customer.middlename,
        "prefix": customer.prefix,
        "suffix": customer.suffix,
        "date_of_birth": customer.dob,
        "dob": customer.dob,
        "gender": if customer.gender == 0 { Value::Null } else { json!(customer.gender) },
        "taxvat": customer.taxvat,
        "group_id": customer.group.id(),
        "group": { "uid": crate::uid::encode_id(customer.group.id()) },
        "created_at": customer.created_at,
        "is_subscribed": customer.is_subscribed,
        "confirmation_status": "ACCOUNT_CONFIRMATION_NOT_REQUIRED",
        "allow_remote_shopping_assistance": customer.assistance_allowed,
        "purchase_orders_enabled": false,
        "addresses": addresses,
        "default_billing": customer.default_billing.map(|id| id.to_string()),
        "default_shipping": customer.default_shipping.map(|id| id.to_string()),
        "custom_attributes": [],
        super::account::CUSTOMER_ID_KEY: customer.id,
        "job_title": customer.job_title,
        "status": company.map(|_| "ACTIVE"),
        "structure_id": crate::uid::encode_id(customer.id),
        "companies": {
            "items": companies,
            "page_info": { "page_size": 20, "current_page": 1, "total_pages": companies.len().min(1) },
        },
    })
}

/// `customerGroup`: the group of the customer, or NOT LOGGED IN (id 0) for guests.
pub(super) fn customer_group(
    _data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    Ok(json!({ "uid": crate::uid::encode_id(scope.group.id()) }))
}
