//! Store and directory queries: `storeConfig`, `availableStores`, `currency`, `countries`,
//! `country`, tagged the way Commerce's identities tag them (`gql_store_config_<id>`,
//! `gql_currency_<store id>`, `gql_country_<store id>`).

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::Value;

use super::{Data, arg};
use crate::directory;
use crate::errors::{input_error, no_such_entity};
use crate::scope::RequestScope;

pub(super) fn store_config(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let store = data.store(scope);
    scope.tag_entity("gql_store_config", store.id);
    Ok(store.config_json(data.base_url()))
}

/// `availableStores(useCurrentGroup)`: the store views of the current website (or group).
pub(super) fn available_stores(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let current = data.store(scope);
    let same_group = arg::<bool>(ctx, "useCurrentGroup")?.unwrap_or(false);
    let stores: Vec<Value> = data
        .stores
        .of_website(current.website_id)
        .filter(|s| !same_group || s.group_code == current.group_code)
        .map(|s| {
            scope.tag_entity("gql_store_config", s.id);
            s.config_json(data.base_url())
        })
        .collect();
    scope.tag(&format!("gql_store_config_website_{}", current.website_id));
    Ok(Value::Array(stores))
}

pub(super) fn currency(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let store = data.store(scope);
    scope.tag_entity("gql_currency", store.id);
    Ok(directory::currency_json(
        store.base_currency,
        store.default_display_currency,
        store.currencies,
    ))
}

pub(super) fn countries(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let store = data.store(scope);
    scope.tag_entity("gql_country", store.id);
    Ok(directory::countries_json(store.locale))
}

pub(super) fn country(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let id: String = arg::<String>(ctx, "id")?
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| input_error("\"Country id\" should be specified."))?;
    let store = data.store(scope);
    let country = directory::country_json(&id, store.locale)
        .ok_or_else(|| no_such_entity("Requested country is not available."))?;
    scope.tag_entity("gql_country", store.id);
    Ok(country)
}
