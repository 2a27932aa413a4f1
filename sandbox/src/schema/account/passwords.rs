//! `changeCustomerPassword`, `requestPasswordResetEmail` and `resetPassword`, with Commerce's
//! messages (`ChangePassword`, `RequestPasswordResetEmail`, `ResetPassword` resolvers). A reset
//! token goes to the mail outbox (`GET /admin/mail`), where a shopper would find it in a link.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::logged_in;
use super::profile::wrong_password;
use crate::customers::is_valid_email;
use crate::errors::input_error;
use crate::schema::customer::customer_json;
use crate::schema::{Data, arg};
use crate::scope::RequestScope;

pub(in crate::schema) fn change_customer_password(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let current: String = arg(ctx, "currentPassword")?.unwrap_or_default();
    let new: String = arg(ctx, "newPassword")?.unwrap_or_default();
    if current.is_empty() {
        return Err(input_error("Specify the \"currentPassword\" value."));
    }
    if new.is_empty() {
        return Err(input_error("Specify the \"newPassword\" value."));
    }
    if !customer.password_matches(&current) {
        return Err(wrong_password());
    }
    let changed = data
        .customers
        .set_password(customer.id, &new)
        .map_err(|e| input_error(e.to_string()))?;
    Ok(customer_json(data, &changed))
}

pub(in crate::schema) fn request_password_reset_email(
    data: &Data,
    _scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let email = checked_email(ctx)?;
    let (customer, token) = data
        .customers
        .start_password_reset(&email)
        .ok_or_else(|| input_error("Cannot reset the customer's password"))?;
    data.outbox.send(
        "customer_password_forgot_email_template",
        &customer.email,
        "Reset your Main Website Store password",
        json!({ "token": token, "customer_id": customer.id }),
    );
    Ok(Value::Bool(true))
}

pub(in crate::schema) fn reset_password(
    data: &Data,
    _scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let email = checked_email(ctx)?;
    let token: String = arg(ctx, "resetPasswordToken")?.unwrap_or_default();
    if token.is_empty() {
        return Err(input_error("resetPasswordToken must be specified"));
    }
    let new: String = arg(ctx, "newPassword")?.unwrap_or_default();
    if new.is_empty() {
        return Err(input_error("newPassword must be specified"));
    }
    data.customers
        .reset_password(&email, &token, &new)
        .map_err(|_| input_error("Cannot set the customer's password"))?;
    Ok(Value::Bool(true))
}

/// The `email` argument, present and well-formed, in Commerce's words otherwise.
fn checked_email(ctx: &ResolverContext<'_>) -> Result<String, Error> {
    let email: String = arg(ctx, "email")?.unwrap_or_default();
    if email.trim().is_empty() {
        return Err(input_error("You must specify an email address."));
    }
    if !is_valid_email(email.trim()) {
        return Err(input_error("The email address has an invalid format."));
    }
    Ok(email.trim().to_owned())
}
