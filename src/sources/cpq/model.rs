//! Wire types of the CPQ connector contract.

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
pub struct LookupRequest<'a> {
    pub company_id: &'a str,
    pub currency: &'a str,
    pub skus: &'a [String],
}

/// The answer for one company.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PriceLookup {
    #[serde(default)]
    pub price_list: Option<PriceList>,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub items: Vec<ContractItem>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct PriceList {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub contract_id: Option<String>,
}

/// One SKU's contract price: quantity tiers and validity.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ContractItem {
    pub sku: String,
    pub tiers: Vec<PriceTier>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct PriceTier {
    pub min_quantity: f64,
    pub unit_price: f64,
}

impl ContractItem {
    /// The unit price for `quantity`: the tier with the highest `min_quantity` ≤ quantity.
    pub fn unit_price(&self, quantity: f64) -> Option<f64> {
        self.tiers
            .iter()
            .filter(|t| t.min_quantity <= quantity)
            .max_by(|a, b| a.min_quantity.total_cmp(&b.min_quantity))
            .map(|t| t.unit_price)
    }

    /// Whether `today` (ISO date, `YYYY-MM-DD`) lies in the validity window (inclusive).
    pub fn is_valid_on(&self, today: &str) -> bool {
        let after_start = self
            .valid_from
            .as_deref()
            .is_none_or(|from| day(from) <= today);
        let before_end = self.valid_to.as_deref().is_none_or(|to| day(to) >= today);
        after_start && before_end
    }
}

/// The `YYYY-MM-DD` part of an ISO date or date-time.
fn day(iso: &str) -> &str {
    iso.get(..10).unwrap_or(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> ContractItem {
        ContractItem {
            sku: "X".into(),
            tiers: vec![
                PriceTier {
                    min_quantity: 10.0,
                    unit_price: 9.0,
                },
                PriceTier {
                    min_quantity: 1.0,
                    unit_price: 10.0,
                },
                PriceTier {
                    min_quantity: 50.0,
                    unit_price: 8.0,
                },
            ],
            valid_from: Some("2026-01-01".into()),
            valid_to: Some("2026-12-31T23:59:59Z".into()),
        }
    }

    #[test]
    fn the_highest_tier_reached_sets_the_unit_price() {
        assert_eq!(item().unit_price(1.0), Some(10.0));
        assert_eq!(item().unit_price(49.0), Some(9.0));
        assert_eq!(item().unit_price(50.0), Some(8.0));
        assert_eq!(item().unit_price(0.5), None);
    }

    #[test]
    fn validity_is_inclusive_of_both_days() {
        assert!(item().is_valid_on("2026-01-01"));
        assert!(item().is_valid_on("2026-12-31"));
        assert!(!item().is_valid_on("2027-01-01"));
        assert!(!item().is_valid_on("2025-12-31"));
    }
}
