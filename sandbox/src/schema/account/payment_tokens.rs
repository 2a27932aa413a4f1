//! Stored payment methods (Commerce's vault): `customerPaymentTokens` and `deletePaymentToken`.
//! No payment method of the sandbox vaults cards yet, so every customer's list is empty and
//! every hash is unknown, as on a Commerce without a vault-enabled method.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::logged_in;
use crate::errors::no_such_entity;
use crate::schema::{Data, arg};
use crate::scope::RequestScope;

pub(in crate::schema) fn customer_payment_tokens(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    logged_in(data, scope)?;
    Ok(json!({ "items": [] }))
}

pub(in crate::schema) fn delete_payment_token(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    logged_in(data, scope)?;
    let hash: String = arg(ctx, "public_hash")?.unwrap_or_default();
    Err(no_such_entity(format!(
        "Could not find a token using public hash: {}",
        hash.chars().take(64).collect::<String>()
    )))
}
