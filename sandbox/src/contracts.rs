//! The CPQ's B2B contracts: which companies it knows, their price lists, and the contract
//! prices a lookup answers.
//!
//! Unit prices are a percentage off Commerce's regular price (a variant's includes its size
//! surcharge; a configurable parent's is its smallest size's), per quantity tier, converted at
//! the sandbox's fixed rate and rounded to cents:
//!
//! | company | price list | tiers (min quantity: % off) | validity |
//! | --- | --- | --- | --- |
//! | Acme Corp (`MQ==`) | `PL-ACME-<year>` | 1: 15, 10: 18, 50: 22 | Jan 1 – Dec 31 of this year |
//! | Globex (`Mg==`) | `PL-GLOBEX` | 1: 8, 25: 12 | from Jan 1 of this year, open-ended |
//! | Initech (`Mw==`) | `PL-INITECH` | 1: 25, 10: 27, 100: 30 | open (`null`, `null`) |
//! | Vandelay (`NQ==`) | none: `price_list: null`, no items | | |
//!
//! Hooli (`NA==`) is unknown to the CPQ. Every list covers every SKU, except that two SKUs carry
//! special validity in every list, relative to today (UTC), so the BFF's validity check can be
//! tested on any date: the SKU of the second seeded product expired 30 days ago (valid from 395
//! days ago), the third's becomes valid in 30 days (until 395 days from today). Both are simple
//! products.

use crate::catalog::Catalog;
use crate::catalog::pricing::PriceView;
use crate::clock;
use crate::companies;
use crate::directory::CurrencyCode;

/// Index of the product whose contract price has expired.
pub(crate) const EXPIRED_PRODUCT: u32 = 1;
/// Index of the product whose contract price becomes valid in the future.
pub(crate) const FUTURE_PRODUCT: u32 = 2;

/// When a list's prices are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Validity {
    /// January 1 to December 31 of the current year.
    CurrentYear,
    /// From January 1 of the current year on.
    SinceStartOfYear,
    /// No bounds.
    Open,
}

/// A company's price list.
#[derive(Debug)]
pub(crate) struct PriceList {
    /// Without the year for lists that roll over yearly (see [`PriceList::id`]).
    id: &'static str,
    pub name: &'static str,
    pub contract_id: &'static str,
    /// (min quantity, percent off the regular price), ascending.
    tiers: &'static [(u32, u32)],
    validity: Validity,
}

impl PriceList {
    /// The list's id as the CPQ reports it (a yearly list carries the year).
    pub fn id(&self, today: i64) -> String {
        match self.validity {
            Validity::CurrentYear => format!("{}-{}", self.id, clock::civil_from_days(today).0),
            _ => self.id.to_owned(),
        }
    }
}

/// What the CPQ knows about a company.
#[derive(Debug)]
pub(crate) enum Account {
    Contract(PriceList),
    /// Known, without an active contract.
    NoContract,
}

/// One SKU's contract price.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContractPrice<'s> {
    pub sku: &'s str,
    /// (min quantity, unit price in the requested currency), ascending.
    pub tiers: Vec<(u32, f64)>,
    /// ISO dates, inclusive; `None` for no bound.
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

/// The CPQ's accounts, by `Company.id`.
pub(crate) struct Contracts {
    accounts: Vec<(String, Account)>,
}

impl Contracts {
    pub fn seeded() -> Contracts {
        let uid = crate::uid::encode_id;
        Contracts {
            accounts: vec![
                (
                    uid(companies::ACME),
                    Account::Contract(PriceList {
                        id: "PL-ACME",
                        name: "Acme Corp frame contract",
                        contract_id: "C-1042",
                        tiers: &[(1, 15), (10, 18), (50, 22)],
                        validity: Validity::CurrentYear,
                    }),
                ),
                (
                    uid(companies::GLOBEX),
                    Account::Contract(PriceList {
                        id: "PL-GLOBEX",
                        name: "Globex volume agreement",
                        contract_id: "C-2210",
                        tiers: &[(1, 8), (25, 12)],
                        validity: Validity::SinceStartOfYear,
                    }),
                ),
                (
                    uid(companies::INITECH),
                    Account::Contract(PriceList {
                        id: "PL-INITECH",
                        name: "Initech strategic supplier contract",
                        contract_id: "C-4471",
                        tiers: &[(1, 25), (10, 27), (100, 30)],
                        validity: Validity::Open,
                    }),
                ),
                (uid(companies::VANDELAY), Account::NoContract),
            ],
        }
    }

    /// The account of a `Company.id`; `None` for companies the CPQ does not know.
    pub fn account(&self, company_id: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|(id, _)| id == company_id)
            .map(|(_, account)| account)
    }

    /// Contract prices of the known SKUs among `skus`, each once, in request order.
    pub fn prices<'s>(
        &self,
        list: &PriceList,
        catalog: &Catalog,
        currency: CurrencyCode,
        skus: impl IntoIterator<Item = &'s str>,
        today: i64,
    ) -> Vec<ContractPrice<'s>> {
        let base = PriceView {
            currency: currency.code(),
            rate: currency.per_usd(),
            group_discount: 0,
        };
        let (from, to) = list_validity(list.validity, today);
        let mut seen = ahash::AHashSet::new();
        skus.into_iter()
            .filter(|sku| seen.insert(*sku))
            .filter_map(|sku| {
                let (index, variant) = catalog.item_by_sku(sku)?;
                let product = catalog.product(index);
                let regular = match variant {
                    Some(v) => base.variant_unit_price(catalog, index, v).regular,
                    None => {
                        let size = product.configurable.as_ref().map(|c| c.size_from);
                        base.unit_price(product, size).regular
                    }
                };
                let tiers = list
                    .tiers
                    .iter()
                    .map(|&(min, off)| {
                        let cents = f64::from(regular) * f64::from(100 - off) / 100.0;
                        (min, (cents * base.rate).round() / 100.0)
                    })
                    .collect();
                let (valid_from, valid_to) = match index {
                    EXPIRED_PRODUCT => (Some(today - 395), Some(today - 30)),
                    FUTURE_PRODUCT => (Some(today + 30), Some(today + 395)),
                    _ => (from, to),
                };
                Some(ContractPrice {
                    sku,
                    tiers,
                    valid_from: valid_from.map(clock::iso_date),
                    valid_to: valid_to.map(clock::iso_date),
                })
            })
            .collect()
    }
}

/// A list's validity bounds, as days since the epoch.
fn list_validity(validity: Validity, today: i64) -> (Option<i64>, Option<i64>) {
    let year = clock::civil_from_days(today).0;
    let january_first = clock::days_from_civil(year, 1, 1);
    match validity {
        Validity::CurrentYear => (
            Some(january_first),
            Some(clock::days_from_civil(year, 12, 31)),
        ),
        Validity::SinceStartOfYear => (Some(january_first), None),
        Validity::Open => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-27.
    const TODAY: i64 = 20_784;

    fn contract(contracts: &Contracts, company: u32) -> &PriceList {
        match contracts.account(&crate::uid::encode_id(company)) {
            Some(Account::Contract(list)) => list,
            other => panic!("no contract: {other:?}"),
        }
    }

    #[test]
    fn contract_prices_of_one_company_never_match_another() {
        let catalog = Catalog::seed(30, 50, 7);
        let contracts = Contracts::seeded();
        let sku = catalog.products[4].sku.as_str();
        let price = |company| {
            let list = contract(&contracts, company);
            contracts.prices(list, &catalog, CurrencyCode::Usd, [sku], TODAY)[0]
                .tiers
                .clone()
        };
        let (acme, globex, initech) = (
            price(companies::ACME),
            price(companies::GLOBEX),
            price(companies::INITECH),
        );
        assert_eq!(acme.len(), 3);
        assert_eq!(globex.len(), 2);
        assert_ne!(acme[0].1, globex[0].1);
        assert_ne!(acme[0].1, initech[0].1);
        let regular = f64::from(catalog.products[4].price) / 100.0;
        assert!(
            (acme[0].1 - regular * 0.85).abs() < 0.006,
            "{acme:?} vs {regular}"
        );
        assert!(acme.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 > w[1].1));
    }

    #[test]
    fn euro_prices_use_the_fixed_rate() {
        let catalog = Catalog::seed(30, 50, 7);
        let contracts = Contracts::seeded();
        let list = contract(&contracts, companies::ACME);
        let sku = catalog.products[4].sku.as_str();
        let usd = contracts.prices(list, &catalog, CurrencyCode::Usd, [sku], TODAY);
        let eur = contracts.prices(list, &catalog, CurrencyCode::Eur, [sku], TODAY);
        assert!((eur[0].tiers[0].1 - usd[0].tiers[0].1 * 0.92).abs() < 0.011);
    }

    #[test]
    fn two_skus_have_an_expired_and_a_future_contract_price() {
        let catalog = Catalog::seed(30, 50, 7);
        let contracts = Contracts::seeded();
        let list = contract(&contracts, companies::GLOBEX);
        let skus = [
            catalog.products[1].sku.as_str(),
            catalog.products[2].sku.as_str(),
            catalog.products[4].sku.as_str(),
        ];
        let prices = contracts.prices(list, &catalog, CurrencyCode::Usd, skus, TODAY);
        assert_eq!(prices[0].valid_to.as_deref(), Some("2026-10-28"));
        assert_eq!(prices[1].valid_from.as_deref(), Some("2026-12-27"));
        assert_eq!(prices[2].valid_from.as_deref(), Some("2026-01-01"));
        assert_eq!(prices[2].valid_to, None);
        let acme = contracts.prices(
            contract(&contracts, companies::ACME),
            &catalog,
            CurrencyCode::Usd,
            [skus[2]],
            TODAY,
        );
        assert_eq!(acme[0].valid_to.as_deref(), Some("2026-12-31"));
        assert_eq!(
            contract(&contracts, companies::ACME).id(TODAY),
            "PL-ACME-2026"
        );
    }

    #[test]
    fn variants_and_unknown_skus() {
        let catalog = Catalog::seed(30, 50, 7);
        let contracts = Contracts::seeded();
        let list = contract(&contracts, companies::INITECH);
        let parent = &catalog.products[0];
        let matrix = parent.configurable.as_ref().expect("configurable");
        let variant = matrix.variants().last().expect("a variant");
        let sku = catalog.variant_sku(0, variant);
        let prices = contracts.prices(
            list,
            &catalog,
            CurrencyCode::Usd,
            [sku.as_str(), "NOPE", sku.as_str()],
            TODAY,
        );
        assert_eq!(prices.len(), 1);
        assert_eq!(prices[0].valid_from, None);
        assert!(contracts.account("NA==").is_none(), "Hooli is unknown");
        assert!(matches!(
            contracts.account("NQ=="),
            Some(Account::NoContract)
        ));
    }
}
