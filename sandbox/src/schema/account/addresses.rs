//! The address book: `createCustomerAddress`, `updateCustomerAddress(V2)`,
//! `deleteCustomerAddress(V2)`, `Customer.addresses` / `addressesV2`, with Commerce's messages
//! (`GetCustomerAddress`, `CreateCustomerAddress`, `DeleteCustomerAddress`).

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Map, Value, json};

use super::{bounded_text, input_object, logged_in, parent_customer, text};
use crate::customers::{AccountError, Address, Customer, Defaults};
use crate::directory;
use crate::errors::{Category, commerce_error, input_error, no_such_entity};
use crate::schema::{Data, Page, arg};
use crate::scope::RequestScope;
use crate::uid;

/// A `CustomerAddress`.
pub(in crate::schema) fn address_json(customer: &Customer, address: &Address) -> Value {
    let region = address.region.as_ref().map(|(id, code, name)| {
        json!({ "region_id": if *id == 0 { Value::Null } else { json!(id) }, "region_code": code, "region": name })
    });
    json!({
        "id": address.id,
        "uid": uid::encode_id(address.id),
        "customer_id": customer.id,
        "firstname": address.firstname,
        "lastname": address.lastname,
        "middlename": address.middlename,
        "prefix": address.prefix,
        "suffix": address.suffix,
        "company": address.company,
        "street": address.street,
        "city": address.city,
        "region": region.unwrap_or_else(|| json!({ "region_id": null, "region_code": null, "region": null })),
        "region_id": address.region.as_ref().map_or(0, |(id, _, _)| *id),
        "postcode": address.postcode,
        "country_code": address.country_code,
        "country_id": address.country_code,
        "telephone": address.telephone,
        "fax": address.fax,
        "vat_id": address.vat_id,
        "default_billing": customer.default_billing == Some(address.id),
        "default_shipping": customer.default_shipping == Some(address.id),
        "custom_attributes": [],
        "custom_attributesV2": [],
        "extension_attributes": [],
    })
}

pub(in crate::schema) fn create_customer_address(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let input = input_object(ctx, "input")?;
    let mut address = Address::default();
    apply(&input, &mut address)?;
    let id = data
        .customers
        .add_address(customer.id, address, defaults(&input))
        .map_err(account_error)?;
    answer(data, customer.id, id)
}

pub(in crate::schema) fn update_customer_address(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let id = address_id(ctx)?;
    let input =
        input_object(ctx, "input").map_err(|_| input_error("\"input\" value must be specified"))?;
    owned(&customer, id)?;
    // Validate the input's own values before touching the stored address.
    apply(&input, &mut Address::default())?;
    let mut refused = None;
    let result = data.customers.update_address(
        customer.id,
        id,
        |address| {
            if let Err(e) = apply(&input, address) {
                refused = Some(e);
            }
        },
        defaults(&input),
    );
    if let Some(e) = refused {
        return Err(e);
    }
    result.map_err(account_error)?;
    answer(data, customer.id, id)
}

pub(in crate::schema) fn delete_customer_address(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    let id = address_id(ctx)?;
    owned(&customer, id)?;
    data.customers
        .delete_address(customer.id, id)
        .map_err(account_error)?;
    Ok(Value::Bool(true))
}

/// `Customer.addressesV2(currentPage, pageSize)`.
pub(in crate::schema) fn addresses_v2(
    data: &Data,
    _scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = parent_customer(data, ctx)?;
    let size = arg::<i64>(ctx, "pageSize")?.unwrap_or(5);
    let current = arg::<i64>(ctx, "currentPage")?.unwrap_or(1);
    let page = Page::new(size, current)?;
    let items: Vec<Value> = page
        .slice(&customer.addresses)
        .iter()
        .map(|a| address_json(&customer, a))
        .collect();
    Ok(json!({
        "items": items,
        "page_info": page.info(customer.addresses.len()),
        "total_count": customer.addresses.len(),
    }))
}

fn answer(data: &Data, customer: u32, id: u32) -> Result<Value, Error> {
    let customer = data
        .customers
        .by_id(customer)
        .ok_or_else(super::super::customer::not_authorized)?;
    let address = customer
        .address(id)
        .ok_or_else(|| no_such_entity(format!("Could not find a address with ID \"{id}\"")))?;
    Ok(address_json(&customer, address))
}

/// `id: Int` (V1) or `uid: ID` (V2) of the address.
fn address_id(ctx: &ResolverContext<'_>) -> Result<u32, Error> {
    if let Some(uid) = arg::<String>(ctx, "uid")? {
        return uid::decode_id(&uid)
            .ok_or_else(|| input_error(format!("Value of uid \"{uid}\" is incorrect.")));
    }
    match arg::<i64>(ctx, "id")? {
        Some(id) if id > 0 => u32::try_from(id)
            .map_err(|_| no_such_entity(format!("Could not find a address with ID \"{id}\""))),
        _ => Err(input_error("Address \"id\" value must be specified")),
    }
}

/// `GetCustomerAddress`: the address exists and is the customer's.
fn owned(customer: &Customer, id: u32) -> Result<(), Error> {
    if customer.address(id).is_some() {
        return Ok(());
    }
    // Addresses of other customers are refused as Commerce refuses them; the sandbox cannot
    // tell them from unknown ids without a global index, so both answer "could not find".
    Err(no_such_entity(format!(
        "Could not find a address with ID \"{id}\""
    )))
}

fn defaults(input: &Map<String, Value>) -> Defaults {
    Defaults {
        billing: input.get("default_billing").and_then(Value::as_bool),
        shipping: input.get("default_shipping").and_then(Value::as_bool),
    }
}

/// The members of `CustomerAddressInput` present in `input`, onto `address`.
fn apply(input: &Map<String, Value>, address: &mut Address) -> Result<(), Error> {
    for (key, slot) in [
        ("firstname", &mut address.firstname),
        ("lastname", &mut address.lastname),
        ("city", &mut address.city),
        ("postcode", &mut address.postcode),
        ("telephone", &mut address.telephone),
    ] {
        if let Some(value) = bounded_text(input, key)? {
            *slot = value;
        }
    }
    for (key, slot) in [
        ("middlename", &mut address.middlename),
        ("prefix", &mut address.prefix),
        ("suffix", &mut address.suffix),
        ("company", &mut address.company),
        ("fax", &mut address.fax),
        ("vat_id", &mut address.vat_id),
    ] {
        if input.contains_key(key) {
            *slot = bounded_text(input, key)?.filter(|v| !v.is_empty());
        }
    }
    if let Some(country) = text(input, "country_code").or_else(|| text(input, "country_id")) {
        address.country_code = country.to_uppercase();
    }
    if let Some(Value::Array(lines)) = input.get("street") {
        if lines.len() > 4 {
            return Err(input_error("\"street\" can have at most 4 lines."));
        }
        address.street = lines
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().chars().take(255).collect())
            .collect();
    }
    if let Some(Value::Object(region)) = input.get("region") {
        let id = region
            .get("region_id")
            .and_then(Value::as_u64)
            .and_then(|id| u32::try_from(id).ok())
            .filter(|id| *id > 0);
        let code = text(region, "region_code").filter(|c| !c.is_empty());
        address.region = match directory::region(&address.country_code, id, code.as_deref()) {
            Some((id, code, name)) => Some((id, Some(code.to_owned()), name.to_owned())),
            None if id.is_some() => {
                return Err(input_error(format!(
                    "Invalid value of \"{}\" provided for the regionId field.",
                    id.unwrap_or_default()
                )));
            }
            None => bounded_text(region, "region")?
                .filter(|r| !r.is_empty())
                .map(|name| (0, code, name)),
        };
    }
    Ok(())
}

fn account_error(error: AccountError) -> Error {
    match error {
        AccountError::NoSuchAddress(id) => {
            no_such_entity(format!("Could not find a address with ID \"{id}\""))
        }
        AccountError::NoSuchCustomer(_) => commerce_error(
            Category::Authorization,
            "The current customer isn't authorized.",
        ),
        other => input_error(other.to_string()),
    }
}
