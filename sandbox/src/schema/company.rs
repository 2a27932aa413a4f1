//! `company`: the logged-in customer's B2B company (Adobe's `Company` type), `null` for a
//! customer who is no company user; guests get Commerce's authorization error.
//! `X-Adobe-Company` is not needed: every seeded company user belongs to one company.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::Data;
use super::customer::{customer_json, logged_in};
use crate::companies::Company;
use crate::scope::RequestScope;

pub(super) fn company(
    data: &Data,
    scope: &RequestScope,
    _ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let customer = logged_in(data, scope)?;
    Ok(customer
        .company
        .and_then(|id| data.companies.by_id(id))
        .map_or(Value::Null, |company| company_json(data, company)))
}

fn company_json(data: &Data, company: &Company) -> Value {
    // Company credit is kept in the base currency of the Main Website.
    let usd = |cents: u32| json!({ "value": f64::from(cents) / 100.0, "currency": "USD" });
    let address = &company.address;
    json!({
        "id": company.uid(),
        "name": company.name,
        "legal_name": company.legal_name,
        "email": company.email,
        "vat_tax_id": company.vat_tax_id,
        "reseller_id": Some(company.reseller_id).filter(|r| !r.is_empty()),
        "legal_address": {
            "street": [address.street],
            "city": address.city,
            "postcode": address.postcode,
            "country_code": address.country,
            "region": { "region_code": address.region_code, "region": address.region },
            "telephone": address.telephone,
        },
        "payment_methods": ["companycredit", "checkmo"],
        "credit": {
            "credit_limit": usd(company.credit_limit),
            "available_credit": usd(company.credit_limit),
            "outstanding_balance": usd(0),
        },
        "company_admin": data
            .customers
            .by_id(company.admin)
            .map_or(Value::Null, |admin| customer_json(data, &admin)),
    })
}
