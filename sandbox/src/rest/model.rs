//! `customer-data-customer-interface` both ways: a `Customer` as Commerce's REST API writes it
//! (unset optional fields left out, as Commerce leaves them out), and a request's `customer`
//! object applied onto an account with Commerce's type checks.

use serde_json::{Map, Value, json};

use super::RestError;
use crate::customers::{Address, Customer, CustomerGroup};
use crate::schema::Data;

/// Longest text a customer field takes (`customer_entity` varchar columns).
const MAX_TEXT: usize = 255;

/// The customer as `customer-data-customer-interface`. `assistance_allowed` is Login as
/// Customer's 1 (allowed) or 2 (denied).
pub(super) fn customer_json(data: &Data, customer: &Customer) -> Value {
    let mut out = json!({
        "id": customer.id,
        "group_id": customer.group.id(),
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "created_in": customer.created_in,
        "email": customer.email,
        "firstname": customer.firstname,
        "lastname": customer.lastname,
        "store_id": customer.store_id,
        "website_id": customer.website_id,
        "addresses": customer.addresses.iter().map(|a| address_json(customer, a)).collect::<Vec<_>>(),
        "disable_auto_group_change": 0,
    });
    let optional = [
        ("middlename", &customer.middlename),
        ("prefix", &customer.prefix),
        ("suffix", &customer.suffix),
        ("dob", &customer.dob),
        ("taxvat", &customer.taxvat),
    ];
    if let Value::Object(map) = &mut out {
        for (key, value) in optional {
            if let Some(value) = value {
                map.insert(key.to_owned(), json!(value));
            }
        }
        for (key, id) in [
            ("default_billing", customer.default_billing),
            ("default_shipping", customer.default_shipping),
        ] {
            if let Some(id) = id {
                map.insert(key.to_owned(), json!(id.to_string()));
            }
        }
        if customer.gender != 0 {
            map.insert("gender".to_owned(), json!(customer.gender));
        }
        let mut extension = json!({
            "is_subscribed": customer.is_subscribed,
            "assistance_allowed": if customer.assistance_allowed { 1 } else { 2 },
        });
        if let (Some(company), Value::Object(ext)) = (customer.company, &mut extension) {
            let company = data.companies.by_id(company);
            ext.insert(
                "company_attributes".to_owned(),
                json!({
                    "customer_id": customer.id,
                    "company_id": company.map(|c| c.id),
                    "job_title": customer.job_title,
                    "status": 1,
                }),
            );
        }
        map.insert("extension_attributes".to_owned(), extension);
    }
    out
}

/// An address as `customer-data-address-interface` (read-only here: the REST subset does not
/// take addresses).
fn address_json(customer: &Customer, address: &Address) -> Value {
    let (region_id, region_code, region) = address
        .region
        .clone()
        .map_or((0, None, None), |(id, code, name)| (id, code, Some(name)));
    let mut out = json!({
        "id": address.id,
        "customer_id": customer.id,
        "region": { "region_code": region_code, "region": region, "region_id": region_id },
        "region_id": region_id,
        "country_id": address.country_code,
        "street": address.street,
        "telephone": address.telephone,
        "postcode": address.postcode,
        "city": address.city,
        "firstname": address.firstname,
        "lastname": address.lastname,
    });
    if let Value::Object(map) = &mut out {
        for (key, value) in [
            ("company", &address.company),
            ("middlename", &address.middlename),
            ("prefix", &address.prefix),
            ("suffix", &address.suffix),
            ("fax", &address.fax),
            ("vat_id", &address.vat_id),
        ] {
            if let Some(value) = value {
                map.insert(key.to_owned(), json!(value));
            }
        }
        if customer.default_billing == Some(address.id) {
            map.insert("default_billing".to_owned(), json!(true));
        }
        if customer.default_shipping == Some(address.id) {
            map.insert("default_shipping".to_owned(), json!(true));
        }
    }
    out
}

/// Applies the fields of a request's `customer` object onto `customer`. `group_id` is only
/// read when `may_set_group` (a back-office caller); otherwise its presence is refused as
/// Commerce refuses it to anonymous callers.
pub(super) fn apply(
    input: &Map<String, Value>,
    customer: &mut Customer,
    may_set_group: bool,
) -> Result<(), RestError> {
    if let Some(email) = text(input, "email")? {
        customer.email = email;
    }
    if let Some(firstname) = text(input, "firstname")? {
        customer.firstname = firstname;
    }
    if let Some(lastname) = text(input, "lastname")? {
        customer.lastname = lastname;
    }
    for (key, slot) in [
        ("middlename", &mut customer.middlename),
        ("prefix", &mut customer.prefix),
        ("suffix", &mut customer.suffix),
        ("dob", &mut customer.dob),
        ("taxvat", &mut customer.taxvat),
    ] {
        if input.contains_key(key) {
            *slot = text(input, key)?.filter(|s| !s.is_empty());
        }
    }
    if let Some(gender) = integer(input, "gender")? {
        if gender > 3 {
            return Err(invalid("gender", gender));
        }
        customer.gender = gender;
    }
    if let Some(group) = integer(input, "group_id")? {
        if !may_set_group {
            return Err(RestError::NotAuthorized {
                resource: super::CUSTOMER_MANAGE,
            });
        }
        customer.group = CustomerGroup::from_id(group)
            .filter(|g| *g != CustomerGroup::NotLoggedIn)
            .ok_or(RestError::NoSuchEntity {
                field: "id",
                value: group.to_string(),
            })?;
    }
    if let Some(website) = integer(input, "website_id")? {
        if !(1..=2).contains(&website) {
            return Err(invalid("website_id", website));
        }
        customer.website_id = website;
        customer.store_id = website;
    }
    if let Some(store) = integer(input, "store_id")? {
        if !(1..=2).contains(&store) {
            return Err(invalid("store_id", store));
        }
        customer.store_id = store;
    }
    if let Some(Value::Object(extension)) = input.get("extension_attributes") {
        match extension.get("is_subscribed") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => customer.is_subscribed = *b,
            Some(other) => return Err(type_error(other, "bool")),
        }
        if let Some(allowed) = integer(extension, "assistance_allowed")? {
            customer.assistance_allowed = allowed == 1;
        }
    }
    for (key, value) in [
        ("email", &customer.email),
        ("firstname", &customer.firstname),
        ("lastname", &customer.lastname),
    ] {
        if value.trim().is_empty() {
            return Err(RestError::Required {
                field: key.to_owned(),
            });
        }
    }
    Ok(())
}

/// A text field: a string (or a number, as PHP reads one); `None` when absent or null.
fn text(input: &Map<String, Value>, key: &str) -> Result<Option<String>, RestError> {
    let value = match input.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => return Err(type_error(other, "string")),
    };
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(
            key,
            format!("{}…", value.chars().take(20).collect::<String>()),
        ));
    }
    Ok(Some(value))
}

/// An integer field: a number or a numeric string; `None` when absent or null.
fn integer(input: &Map<String, Value>, key: &str) -> Result<Option<u32>, RestError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| invalid(key, n)),
        Some(Value::String(s)) => s
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| type_error(&Value::String(s.clone()), "int")),
        Some(other) => Err(type_error(other, "int")),
    }
}

fn type_error(value: &Value, expected: &'static str) -> RestError {
    let value = match value {
        Value::String(s) => s.chars().take(64).collect(),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
        other => other.to_string(),
    };
    RestError::InvalidType { value, expected }
}

fn invalid(field: &str, value: impl ToString) -> RestError {
    RestError::InvalidValue {
        field: field.to_owned(),
        value: value.to_string(),
    }
}
