//! Contract prices as the client sees them: `contract_price` for a quantity, and (when
//! configured) Commerce's `price_range` overwritten with the contract prices — a configurable
//! product's range from its cheapest to its dearest variant, discounts against Commerce's regular
//! price, amounts rounded to cents as Commerce rounds them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::cache::Freshness;
use crate::gateway::code;
use crate::gateway::extension::{
    FieldRequest, Merged, MergedData, MergedValue, Product, SourceFailure,
};
use crate::sources::cpq::{ContractItem, PriceList};

/// One SKU's contract price as the CPQ answered it (with the answer's price list), and the last
/// fresh `ContractPrice` object built from it, which serves every request that shows it the same
/// way (same quantity, day, currency and price list) until the entity cache drops the entry.
pub(super) struct CachedPrice {
    pub item: ContractItem,
    pub list: PriceList,
    shown: Mutex<Option<Shown>>,
}

/// A fresh `ContractPrice` object and what it was built for.
struct Shown {
    quantity: f64,
    today: String,
    currency: String,
    list: PriceList,
    value: Arc<Value>,
}

impl CachedPrice {
    pub(super) fn new(item: ContractItem, list: PriceList) -> Self {
        Self {
            item,
            list,
            shown: Mutex::new(None),
        }
    }

    /// The `ContractPrice` object for `quantity`, or `None` when no contract price applies.
    fn contract_price(
        &self,
        quantity: f64,
        freshness: Freshness,
        prices: &PriceData,
    ) -> Option<Arc<Value>> {
        let list = prices.price_list.as_ref()?;
        if freshness == Freshness::Stale {
            return contract_price_json(&self.item, quantity, freshness, prices).map(Arc::new);
        }
        let mut shown = self.shown.lock().ok();
        if let Some(Some(s)) = shown.as_deref()
            && s.quantity.to_bits() == quantity.to_bits()
            && s.today == prices.today
            && s.currency == prices.currency
            && s.list == *list
        {
            return Some(s.value.clone());
        }
        let value = Arc::new(contract_price_json(
            &self.item, quantity, freshness, prices,
        )?);
        if let Some(shown) = shown.as_deref_mut() {
            *shown = Some(Shown {
                quantity,
                today: prices.today.clone(),
                currency: prices.currency.clone(),
                list: list.clone(),
                value: value.clone(),
            });
        }
        Some(value)
    }
}

/// Contract prices for an answer's SKUs.
pub(super) struct PriceData {
    pub items: HashMap<String, (Arc<CachedPrice>, Freshness)>,
    pub price_list: Option<PriceList>,
    pub currency: String,
    /// Today (UTC, `YYYY-MM-DD`), for validity windows.
    pub today: String,
    pub failed: bool,
    /// When the first of these prices stops being fresh (`None`: nothing was looked up).
    pub fresh_until: Option<Instant>,
}

impl MergedData for PriceData {
    fn field(&self, field: &FieldRequest<'_>, product: &Product) -> Option<Merged> {
        let (cached, freshness) = self.items.get(product.sku.as_deref()?)?;
        let quantity = field.number_argument("quantity").unwrap_or(1.0);
        let value = cached.contract_price(quantity, *freshness, self)?;
        Some(Merged {
            value: MergedValue::Unshaped(value),
            stale: *freshness == Freshness::Stale,
        })
    }

    fn overwrite(
        &self,
        field: &FieldRequest<'_>,
        product: &Product,
        commerce: &RawValue,
    ) -> Option<Merged> {
        if field.name() != "price_range" {
            return None;
        }
        let (units, stale) = self.contract_units(product)?;
        let mut range: Value = serde_json::from_str(commerce.get()).ok()?;
        overwrite_price_range(&mut range, field, units, product.regular);
        Some(Merged {
            value: MergedValue::Shaped(range),
            stale,
        })
    }

    fn failure(&self) -> Option<SourceFailure> {
        self.failed.then_some(SourceFailure {
            code: code::PRICING_UNAVAILABLE,
            message: "Contract pricing is unavailable: `contract_price` is null (or its last known value, marked STALE); `price_range` keeps Commerce's own prices.",
        })
    }

    fn fresh_until(&self) -> Option<Instant> {
        self.fresh_until
    }
}

impl PriceData {
    /// The contract unit prices (cheapest, dearest) a product's price range shows: over a
    /// configurable product's variants, else the product's own; and whether any is stale.
    fn contract_units(&self, product: &Product) -> Option<((f64, f64), bool)> {
        let unit = |sku: &str| {
            let (cached, freshness) = self.items.get(sku)?;
            Some((
                valid_unit_price(&cached.item, 1.0, self)?,
                *freshness == Freshness::Stale,
            ))
        };
        let variants: Vec<(f64, bool)> = product.variants.iter().filter_map(|s| unit(s)).collect();
        let (min, max, stale) = if variants.is_empty() {
            let (own, stale) = unit(product.sku.as_deref()?)?;
            (own, own, stale)
        } else {
            let prices = variants.iter().map(|(p, _)| *p);
            (
                prices.clone().fold(f64::INFINITY, f64::min),
                prices.fold(f64::NEG_INFINITY, f64::max),
                variants.iter().any(|(_, stale)| *stale),
            )
        };
        Some(((round_amount(min), round_amount(max)), stale))
    }
}

fn valid_unit_price(item: &ContractItem, quantity: f64, prices: &PriceData) -> Option<f64> {
    prices.price_list.as_ref()?;
    if !item.is_valid_on(&prices.today) {
        return None;
    }
    item.unit_price(quantity)
}

/// The `ContractPrice` object for `quantity`, or `None` when no contract price applies.
fn contract_price_json(
    item: &ContractItem,
    quantity: f64,
    freshness: Freshness,
    prices: &PriceData,
) -> Option<Value> {
    let unit = valid_unit_price(item, quantity, prices)?;
    let list = prices.price_list.as_ref()?;
    let money =
        |value: f64| json!({ "__typename": "Money", "value": value, "currency": prices.currency });
    let mut tiers = item.tiers.clone();
    tiers.sort_by(|a, b| a.min_quantity.total_cmp(&b.min_quantity));
    Some(json!({
        "__typename": "ContractPrice",
        "unit_price": money(unit),
        "quantity": quantity,
        "price_list": { "__typename": "ContractPriceList", "id": list.id, "name": list.name, "contract_id": list.contract_id },
        "tiers": tiers.iter().map(|t| json!({
            "__typename": "ContractPriceTier",
            "min_quantity": t.min_quantity,
            "unit_price": money(t.unit_price),
        })).collect::<Vec<_>>(),
        "valid_from": item.valid_from,
        "valid_to": item.valid_to,
        "freshness": freshness.as_str(),
    }))
}

/// An amount as Commerce shows it: rounded to the currency's precision (cents).
fn round_amount(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Sets the selected `final_price.value` of `minimum_price` / `maximum_price` to the cheapest /
/// dearest contract unit price, and recomputes the selected `discount` against Commerce's
/// regular price.
fn overwrite_price_range(
    range: &mut Value,
    field: &FieldRequest<'_>,
    units: (f64, f64),
    regular: (Option<f64>, Option<f64>),
) {
    let Value::Object(map) = range else {
        return;
    };
    for (key, price) in field.subfields("PriceRange") {
        let (unit, regular) = match price.name() {
            "minimum_price" => (units.0, regular.0),
            "maximum_price" => (units.1, regular.1),
            _ => continue,
        };
        if let Some(Value::Object(target)) = map.get_mut(key) {
            overwrite_product_price(target, &price, unit, regular);
        }
    }
}

/// One `ProductPrice`: its `final_price` values and its `discount`.
fn overwrite_product_price(
    target: &mut Map<String, Value>,
    price: &FieldRequest<'_>,
    unit: f64,
    regular: Option<f64>,
) {
    for (key, part) in price.subfields("ProductPrice") {
        let values: Vec<(&str, f64)> = match part.name() {
            "final_price" => part
                .subfields("Money")
                .into_iter()
                .filter(|(_, f)| f.name() == "value")
                .map(|(k, _)| (k, unit))
                .collect(),
            "discount" => match regular.filter(|r| *r > 0.0) {
                Some(regular) => discount_values(&part, regular, unit),
                None => continue,
            },
            _ => continue,
        };
        if let Some(Value::Object(object)) = target.get_mut(key) {
            for (k, v) in values {
                object.insert(k.to_string(), Value::from(v));
            }
        }
    }
}

/// The selected `amount_off` / `percent_off` of a `ProductDiscount` from `regular` to `unit`.
fn discount_values<'r>(
    discount: &FieldRequest<'r>,
    regular: f64,
    unit: f64,
) -> Vec<(&'r str, f64)> {
    let off = round_amount((regular - unit).max(0.0));
    discount
        .subfields("ProductDiscount")
        .into_iter()
        .filter_map(|(key, f)| {
            let value = match f.name() {
                "amount_off" => off,
                "percent_off" => round_amount(off / regular * 100.0),
                _ => return None,
            };
            Some((key, value))
        })
        .collect()
}
