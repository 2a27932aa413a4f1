//! A customer's address book: Commerce's customer addresses, with its required attributes and
//! region rules, and the default billing and shipping flags living on the customer.

use super::{AccountError, Customer, Customers};
use crate::directory;

/// One address (`customer_address_entity`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Address {
    pub id: u32,
    pub firstname: String,
    pub lastname: String,
    pub middlename: Option<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub company: Option<String>,
    pub street: Vec<String>,
    pub city: String,
    /// (region id, code, name); a free-text region has id 0 and no code.
    pub region: Option<(u32, Option<String>, String)>,
    pub postcode: String,
    pub country_code: String,
    pub telephone: String,
    pub fax: Option<String>,
    pub vat_id: Option<String>,
}

/// Which defaults an address becomes, when it is saved.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Defaults {
    pub billing: Option<bool>,
    pub shipping: Option<bool>,
}

/// Most addresses one customer may keep (a bound on what a client can make the sandbox hold).
pub(crate) const MAX_ADDRESSES: usize = 50;

impl Address {
    /// Commerce's required attributes and region rules, in its words.
    pub fn validate(&self) -> Result<(), AccountError> {
        let missing: Vec<&str> = [
            ("firstname", self.firstname.trim().is_empty()),
            ("lastname", self.lastname.trim().is_empty()),
            ("street", self.street.iter().all(|s| s.trim().is_empty())),
            ("city", self.city.trim().is_empty()),
            ("country_id", self.country_code.trim().is_empty()),
            ("postcode", self.postcode.trim().is_empty()),
            ("telephone", self.telephone.trim().is_empty()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Err(AccountError::Invalid(format!(
                "Required parameters are missing: {}",
                missing.join(", ")
            )));
        }
        if !directory::is_known_country(&self.country_code) {
            return Err(AccountError::Invalid(format!(
                "Invalid value of \"{}\" provided for the countryId field.",
                self.country_code
            )));
        }
        if directory::requires_region(&self.country_code)
            && self.region.as_ref().is_none_or(|(id, _, _)| *id == 0)
        {
            return Err(AccountError::Invalid(
                "\"regionId\" is required. Enter and try again.".to_owned(),
            ));
        }
        Ok(())
    }
}

impl Customer {
    pub fn address(&self, id: u32) -> Option<&Address> {
        self.addresses.iter().find(|a| a.id == id)
    }

    fn apply_defaults(&mut self, id: u32, defaults: Defaults) {
        match defaults.billing {
            Some(true) => self.default_billing = Some(id),
            Some(false) if self.default_billing == Some(id) => self.default_billing = None,
            _ => {}
        }
        match defaults.shipping {
            Some(true) => self.default_shipping = Some(id),
            Some(false) if self.default_shipping == Some(id) => self.default_shipping = None,
            _ => {}
        }
    }
}

impl Customers {
    /// Adds a validated address to the customer's book; returns its id.
    pub fn add_address(
        &self,
        customer: u32,
        mut address: Address,
        defaults: Defaults,
    ) -> Result<u32, AccountError> {
        address.validate()?;
        let id = self.next_address_id();
        address.id = id;
        self.update(customer, |c| {
            if c.addresses.len() >= MAX_ADDRESSES {
                return Err(AccountError::Invalid(format!(
                    "A customer may keep at most {MAX_ADDRESSES} addresses."
                )));
            }
            c.addresses.push(address);
            c.apply_defaults(id, defaults);
            Ok(())
        })?;
        Ok(id)
    }

    /// Replaces an address of the customer (`change` edits a copy, then it is validated).
    pub fn update_address(
        &self,
        customer: u32,
        id: u32,
        change: impl FnOnce(&mut Address),
        defaults: Defaults,
    ) -> Result<(), AccountError> {
        self.update(customer, |c| {
            let slot = c
                .addresses
                .iter_mut()
                .find(|a| a.id == id)
                .ok_or(AccountError::NoSuchAddress(id))?;
            let mut next = slot.clone();
            change(&mut next);
            next.id = id;
            next.validate()?;
            *slot = next;
            c.apply_defaults(id, defaults);
            Ok(())
        })
        .map(|_| ())
    }

    /// Deletes an address that is neither default (Commerce refuses those).
    pub fn delete_address(&self, customer: u32, id: u32) -> Result<(), AccountError> {
        self.update(customer, |c| {
            if c.address(id).is_none() {
                return Err(AccountError::NoSuchAddress(id));
            }
            if c.default_billing == Some(id) {
                return Err(AccountError::Invalid(format!(
                    "Customer Address {id} is set as default billing address and can not be deleted"
                )));
            }
            if c.default_shipping == Some(id) {
                return Err(AccountError::Invalid(format!(
                    "Customer Address {id} is set as default shipping address and can not be deleted"
                )));
            }
            c.addresses.retain(|a| a.id != id);
            Ok(())
        })
        .map(|_| ())
    }
}
