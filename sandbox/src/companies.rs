//! Adobe Commerce B2B companies: the accounts company users belong to.
//!
//! | id | `Company.id` | name | CPQ |
//! | --- | --- | --- | --- |
//! | 1 | `MQ==` | Acme Corp | price list PL-ACME (15/18/22 % off, tiers 1/10/50) |
//! | 2 | `Mg==` | Globex Corporation | price list PL-GLOBEX (8/12 % off, tiers 1/25) |
//! | 3 | `Mw==` | Initech | price list PL-INITECH (25/27/30 % off, tiers 1/10/100) |
//! | 4 | `NA==` | Hooli | unknown to the CPQ (404 `UNKNOWN_COMPANY`) |
//! | 5 | `NQ==` | Vandelay Industries | known to the CPQ, no contract (`price_list: null`) |
//!
//! `Company.id` is Commerce's uid (base64 of the entity id), the id the CPQ expects as
//! `company_id`.

/// Entity ids of the seeded companies.
pub(crate) const ACME: u32 = 1;
pub(crate) const GLOBEX: u32 = 2;
pub(crate) const INITECH: u32 = 3;
pub(crate) const HOOLI: u32 = 4;
pub(crate) const VANDELAY: u32 = 5;

/// A company's registered address.
#[derive(Debug)]
pub(crate) struct LegalAddress {
    pub street: &'static str,
    pub city: &'static str,
    pub postcode: &'static str,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    pub region_code: &'static str,
    pub region: &'static str,
    pub telephone: &'static str,
}

/// One B2B company.
#[derive(Debug)]
pub(crate) struct Company {
    pub id: u32,
    pub name: &'static str,
    pub legal_name: &'static str,
    pub email: &'static str,
    pub vat_tax_id: &'static str,
    pub reseller_id: &'static str,
    pub address: LegalAddress,
    /// Credit limit for "Payment on Account", in cents of USD.
    pub credit_limit: u32,
    /// Customer id of the company administrator.
    pub admin: u32,
}

impl Company {
    /// `Company.id`.
    pub fn uid(&self) -> String {
        crate::uid::encode_id(self.id)
    }
}

/// The seeded companies. Immutable.
pub(crate) struct Companies {
    all: Vec<Company>,
}

impl Companies {
    pub fn seeded() -> Companies {
        let company = |id, name, legal_name, email, vat, address, credit_limit, admin| Company {
            id,
            name,
            legal_name,
            email,
            vat_tax_id: vat,
            reseller_id: "",
            address,
            credit_limit,
            admin,
        };
        let us = |street, city, postcode, region_code, region, telephone| LegalAddress {
            street,
            city,
            postcode,
            country: "US",
            region_code,
            region,
            telephone,
        };
        Companies {
            all: vec![
                company(
                    ACME,
                    "Acme Corp",
                    "Acme Corporation Inc.",
                    "purchasing@acme.example",
                    "US-ACME-1042",
                    us(
                        "1 Road Runner Way",
                        "Phoenix",
                        "85001",
                        "AZ",
                        "Arizona",
                        "602-555-0100",
                    ),
                    5_000_000,
                    4,
                ),
                company(
                    GLOBEX,
                    "Globex Corporation",
                    "Globex Corporation LLC",
                    "procurement@globex.example",
                    "US-GLOBEX-2210",
                    us(
                        "500 Cypress Creek Rd",
                        "Austin",
                        "73301",
                        "TX",
                        "Texas",
                        "512-555-0142",
                    ),
                    2_500_000,
                    6,
                ),
                company(
                    INITECH,
                    "Initech",
                    "Initech Software Inc.",
                    "office@initech.example",
                    "US-INITECH-4471",
                    us(
                        "4120 Freidrich Ln",
                        "Austin",
                        "78744",
                        "TX",
                        "Texas",
                        "512-555-0199",
                    ),
                    1_000_000,
                    7,
                ),
                company(
                    HOOLI,
                    "Hooli",
                    "Hooli XYZ Inc.",
                    "buying@hooli.example",
                    "US-HOOLI-9001",
                    us(
                        "1 Hooli Way",
                        "Palo Alto",
                        "94301",
                        "CA",
                        "California",
                        "650-555-0110",
                    ),
                    10_000_000,
                    8,
                ),
                company(
                    VANDELAY,
                    "Vandelay Industries",
                    "Vandelay Industries Ltd.",
                    "art@vandelay.example",
                    "US-VANDELAY-0129",
                    us(
                        "129 West 81st St",
                        "New York",
                        "10024",
                        "NY",
                        "New York",
                        "212-555-0129",
                    ),
                    500_000,
                    9,
                ),
            ],
        }
    }

    pub fn by_id(&self, id: u32) -> Option<&Company> {
        self.all.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_ids_are_commerce_uids() {
        let companies = Companies::seeded();
        let acme = companies.by_id(ACME).expect("acme");
        assert_eq!(acme.uid(), "MQ==");
        assert_eq!(
            companies.by_id(HOOLI).map(Company::uid).as_deref(),
            Some("NA==")
        );
        assert!(companies.by_id(99).is_none());
    }
}
