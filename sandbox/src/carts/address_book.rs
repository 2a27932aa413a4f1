//! Cart addresses and the customer's address book: a logged-in customer may name a saved
//! address (`customer_address_id` / `customer_address_uid`) instead of typing one, and an
//! address typed with `save_in_address_book: true` joins the book when the order is placed.
//! The checks and messages are Commerce's `GetCustomerAddress` and `QuoteManagement`'s.

use super::CartError;
use super::checkout::{CartAddress, Region};
use crate::customers::{Address, Customer, Customers, Defaults};
use crate::directory::country_regions;

/// Why a saved address cannot be used; the categories differ, so this is not a `CartError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BookError {
    /// Guests have no address book.
    #[error("The current customer isn't authorized.")]
    Guest,
    #[error("Could not find a address with ID \"{0}\"")]
    NotFound(u32),
    #[error("Current customer does not have permission to address with ID \"{0}\"")]
    NotYours(u32),
}

/// The customer's saved address `id` as a cart address; another customer's address is refused
/// as Commerce refuses it, distinct from one that does not exist.
pub(crate) fn saved_address(
    customers: &Customers,
    customer: Option<u32>,
    id: u32,
) -> Result<CartAddress, BookError> {
    let customer = customer
        .and_then(|c| customers.by_id(c))
        .ok_or(BookError::Guest)?;
    if let Some(address) = customer.address(id) {
        return Ok(from_book(address));
    }
    let someone_elses = customers
        .all()
        .iter()
        .any(|other| other.address(id).is_some());
    Err(if someone_elses {
        BookError::NotYours(id)
    } else {
        BookError::NotFound(id)
    })
}

fn from_book(address: &Address) -> CartAddress {
    let (country_code, country_label) =
        country_regions(&address.country_code).map_or(("", ""), |(code, label, _)| (code, label));
    let optional = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
    CartAddress {
        firstname: address.firstname.clone(),
        lastname: address.lastname.clone(),
        middlename: address.middlename.clone(),
        prefix: address.prefix.clone(),
        suffix: address.suffix.clone(),
        company: address.company.clone(),
        street: address.street.clone(),
        city: address.city.clone(),
        region: address.region.as_ref().map(|(id, code, name)| Region {
            id: (*id != 0).then_some(*id),
            code: code.clone(),
            label: name.clone(),
        }),
        postcode: optional(&address.postcode),
        country_code,
        country_label,
        telephone: address.telephone.clone(),
        vat_id: address.vat_id.clone(),
        fax: address.fax.clone(),
        customer_notes: None,
        customer_address_id: Some(address.id),
        save_in_address_book: false,
    }
}

fn to_book(address: &CartAddress) -> Address {
    Address {
        id: 0,
        firstname: address.firstname.clone(),
        lastname: address.lastname.clone(),
        middlename: address.middlename.clone(),
        prefix: address.prefix.clone(),
        suffix: address.suffix.clone(),
        company: address.company.clone(),
        street: address.street.clone(),
        city: address.city.clone(),
        region: address
            .region
            .as_ref()
            .map(|r| (r.id.unwrap_or(0), r.code.clone(), r.label.clone())),
        postcode: address.postcode.clone().unwrap_or_default(),
        country_code: address.country_code.to_owned(),
        telephone: address.telephone.clone(),
        fax: address.fax.clone(),
        vat_id: address.vat_id.clone(),
    }
}

/// After a customer's order: the shipping and billing addresses typed with
/// `save_in_address_book` join the book (the billing one only when it differs from the
/// shipping one). As in Commerce, a saved address becomes the default shipping and billing
/// address when the customer had none. Returns the new address ids.
pub(crate) fn save_ordered_addresses(
    customers: &Customers,
    customer: &Customer,
    shipping: Option<&CartAddress>,
    billing: Option<&CartAddress>,
) -> Result<Vec<u32>, CartError> {
    let mut has_shipping = customer.default_shipping.is_some();
    let mut has_billing = customer.default_billing.is_some();
    let wanted = |a: &&CartAddress| a.save_in_address_book && a.customer_address_id.is_none();
    let billing = billing.filter(|b| shipping.is_none_or(|s| !same_place(s, b)));
    let mut saved = Vec::new();
    for address in [shipping, billing].into_iter().flatten().filter(wanted) {
        let defaults = Defaults {
            shipping: (!has_shipping).then_some(true),
            billing: (!has_billing).then_some(true),
        };
        has_shipping = true;
        has_billing = true;
        let id = customers
            .add_address(customer.id, to_book(address), defaults)
            .map_err(|e| CartError::Input(e.to_string()))?;
        saved.push(id);
    }
    Ok(saved)
}

/// The same address, whatever notes or flags came with it.
fn same_place(a: &CartAddress, b: &CartAddress) -> bool {
    to_book(a) == to_book(b)
}
