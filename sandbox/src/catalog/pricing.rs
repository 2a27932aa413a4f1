//! Prices as one request sees them: regular price, special price, the customer group's catalog
//! price rule, quantity tiers, and conversion into the display currency.
//!
//! Amounts are kept in cents of the catalog currency (USD) until shown; the customer group's
//! rule applies on top of the special price (as a Commerce catalog price rule does), so a
//! Wholesale or Retailer customer always sees a lower final price than a guest.

use super::attributes::{LARGE_SIZE_FROM, LARGE_SIZE_SURCHARGE};
use super::{Catalog, Product, Variant};

/// How prices are shown to one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PriceView {
    /// Display currency code (`CurrencyEnum`).
    pub currency: &'static str,
    /// Display units per catalog-currency unit.
    pub rate: f64,
    /// Discount of the customer group's catalog price rule, in percent.
    pub group_discount: u8,
}

/// A price pair in cents of the catalog currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnitPrice {
    pub regular: u32,
    pub final_price: u32,
}

/// The cheapest and the dearest way to buy a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PriceRange {
    pub minimum: UnitPrice,
    pub maximum: UnitPrice,
}

/// A quantity tier: from `quantity` items on, each costs `price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tier {
    pub quantity: u32,
    pub price: UnitPrice,
}

/// Quantity tiers and their discount on the final price, in percent.
const TIERS: [(u32, u32); 2] = [(5, 5), (10, 10)];

impl PriceView {
    /// Converts cents of the catalog currency into display units, rounded to cents.
    pub fn amount(&self, cents: u32) -> f64 {
        (f64::from(cents) * self.rate).round() / 100.0
    }

    /// The price of one unit of `product` in the given size (an index into `SIZES`).
    pub fn unit_price(&self, product: &Product, size: Option<u8>) -> UnitPrice {
        self.unit_of(product, product.price + size_surcharge(size))
    }

    /// The price of one unit of a configurable product's variant: its own price when written
    /// over REST, else its parent's in its size; the parent's special price applies either way.
    pub fn variant_unit_price(
        &self,
        catalog: &Catalog,
        product: u32,
        variant: Variant,
    ) -> UnitPrice {
        self.unit_of(
            catalog.product(product),
            catalog.variant_regular_price(product, variant),
        )
    }

    /// A regular price with `product`'s special price and the customer group's rule applied.
    fn unit_of(&self, product: &Product, regular: u32) -> UnitPrice {
        let special = percent_off(regular, u32::from(product.special_percent));
        UnitPrice {
            regular,
            final_price: percent_off(special, u32::from(self.group_discount)),
        }
    }

    /// Minimum and maximum price of the product at `index`: a configurable product with a
    /// variant written over REST ranges over its offered variants (as Commerce's does);
    /// otherwise [`PriceView::price_range`].
    pub fn range_of(&self, catalog: &Catalog, index: u32) -> PriceRange {
        let product = catalog.product(index);
        let seeded = || self.price_range(product);
        let Some(matrix) = product
            .configurable
            .as_ref()
            .filter(|_| catalog.variants.has_written(index))
        else {
            return seeded();
        };
        let units: Vec<UnitPrice> = matrix
            .variants()
            .filter(|v| catalog.is_variant_offered(v.id))
            .map(|v| self.variant_unit_price(catalog, index, v))
            .collect();
        let minimum = units.iter().min_by_key(|u| (u.final_price, u.regular));
        let maximum = units.iter().max_by_key(|u| (u.final_price, u.regular));
        match (minimum, maximum) {
            (Some(&minimum), Some(&maximum)) => PriceRange { minimum, maximum },
            _ => seeded(),
        }
    }

    /// Minimum and maximum price of a product: over its sizes when configurable.
    pub fn price_range(&self, product: &Product) -> PriceRange {
        match &product.configurable {
            Some(c) => PriceRange {
                minimum: self.unit_price(product, Some(c.size_from)),
                maximum: self.unit_price(product, Some(c.size_from + c.size_count - 1)),
            },
            None => {
                let unit = self.unit_price(product, None);
                PriceRange {
                    minimum: unit,
                    maximum: unit,
                }
            }
        }
    }

    /// Quantity tiers of a product (empty unless it has tier pricing).
    pub fn tiers(&self, product: &Product, size: Option<u8>) -> Vec<Tier> {
        if !product.tiered {
            return Vec::new();
        }
        self.tiers_of(product, self.unit_price(product, size))
    }

    /// Quantity tiers of a product whose one unit costs `unit` (empty unless it has tier
    /// pricing).
    pub fn tiers_of(&self, product: &Product, unit: UnitPrice) -> Vec<Tier> {
        if !product.tiered {
            return Vec::new();
        }
        TIERS
            .iter()
            .map(|&(quantity, off)| Tier {
                quantity,
                price: UnitPrice {
                    regular: unit.regular,
                    final_price: percent_off(unit.final_price, off),
                },
            })
            .collect()
    }

    /// The displayed minimal final price: what price filters, sorting and buckets use.
    pub fn min_final_price(&self, catalog: &Catalog, product: u32) -> f64 {
        self.amount(self.range_of(catalog, product).minimum.final_price)
    }
}

/// The surcharge of a size (an index into `SIZES`) on its configurable product's price.
pub(crate) fn size_surcharge(size: Option<u8>) -> u32 {
    match size {
        Some(s) if s >= LARGE_SIZE_FROM => LARGE_SIZE_SURCHARGE,
        _ => 0,
    }
}

fn percent_off(cents: u32, percent: u32) -> u32 {
    let kept = u64::from(cents) * u64::from(100 - percent.min(100));
    (kept as f64 / 100.0).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(group_discount: u8) -> PriceView {
        PriceView {
            currency: "USD",
            rate: 1.0,
            group_discount,
        }
    }

    fn product(price: u32, special_percent: u8) -> Product {
        Product {
            id: 1,
            sku: "MJ01".into(),
            name: "Aurora Running Jacket".into(),
            url_key: "aurora-running-jacket".into(),
            leaf: 1,
            price,
            special_percent,
            qty: 10,
            material: 0,
            color: None,
            configurable: None,
            tiered: true,
            age_days: 3,
            kind: crate::catalog::types::Kind::Standard,
            content: None,
        }
    }

    #[test]
    fn group_rules_apply_on_top_of_the_special_price() {
        let p = product(10_000, 20);
        assert_eq!(
            view(0).unit_price(&p, None),
            UnitPrice {
                regular: 10_000,
                final_price: 8_000
            }
        );
        assert_eq!(
            view(20).unit_price(&p, None),
            UnitPrice {
                regular: 10_000,
                final_price: 6_400
            }
        );
        assert_eq!(view(10).unit_price(&p, None).final_price, 7_200);
    }

    #[test]
    fn every_group_discount_lowers_the_guest_price() {
        for special in [0, 10, 30] {
            let p = product(4_500, special);
            let guest = view(0).unit_price(&p, None).final_price;
            assert!(view(10).unit_price(&p, None).final_price < guest);
            assert!(
                view(20).unit_price(&p, None).final_price
                    < view(10).unit_price(&p, None).final_price
            );
        }
    }

    #[test]
    fn amounts_convert_and_round_to_cents() {
        let eur = PriceView {
            currency: "EUR",
            rate: 0.92,
            group_discount: 0,
        };
        assert_eq!(eur.amount(4_500), 41.4);
        assert_eq!(eur.amount(1_999), 18.39);
        assert_eq!(view(0).amount(1_999), 19.99);
    }

    #[test]
    fn tiers_discount_the_final_price_by_quantity() {
        let tiers = view(0).tiers(&product(10_000, 0), None);
        assert_eq!(tiers.len(), 2);
        assert_eq!((tiers[0].quantity, tiers[0].price.final_price), (5, 9_500));
        assert_eq!((tiers[1].quantity, tiers[1].price.final_price), (10, 9_000));
        let mut untiered = product(10_000, 0);
        untiered.tiered = false;
        assert!(view(0).tiers(&untiered, None).is_empty());
    }

    #[test]
    fn large_sizes_cost_more_so_configurable_ranges_have_a_maximum() {
        let mut p = product(5_000, 0);
        p.configurable = Some(super::super::Configurable {
            colors: 0b11,
            size_from: 1,
            size_count: 4,
            first_child_id: 99,
        });
        let range = view(0).price_range(&p);
        assert_eq!(range.minimum.final_price, 5_000);
        assert_eq!(range.maximum.final_price, 5_000 + LARGE_SIZE_SURCHARGE);
    }
}
