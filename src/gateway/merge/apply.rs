//! The merged values: live stock and contract prices as the client selected them, and the
//! Commerce fields they overwrite (`stock_status`, `only_x_left_in_stock`, `price_range`), from
//! the data the sources returned for the answer's SKUs.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::collect::{Collected, collect_fields, resolve_number};
use super::plan::{ExtensionKind, Overwrite, PlannedField, Role};
use super::shape::{ProductKeys, Slot};
use crate::cache::Freshness;
use crate::sources::cpq::{ContractItem, PriceList};
use crate::sources::inventory::StockItem;

/// SKUs per source that an answer needs.
#[derive(Debug, Default)]
pub struct NeededSkus {
    pub stock: HashSet<String>,
    pub prices: HashSet<String>,
}

/// Live stock for the answer's SKUs, and whether the inventory failed.
pub struct StockData {
    pub items: HashMap<String, (StockItem, Freshness)>,
    pub failed: bool,
    /// When the first of these answers stops being fresh (`None`: nothing was looked up).
    pub fresh_until: Option<Instant>,
}

/// Contract prices for the answer's SKUs.
pub struct PriceData {
    pub items: HashMap<String, (ContractItem, Freshness)>,
    pub price_list: Option<PriceList>,
    pub currency: String,
    /// Today (UTC, `YYYY-MM-DD`), for validity windows.
    pub today: String,
    pub failed: bool,
    /// When the first of these prices stops being fresh (`None`: nothing was looked up).
    pub fresh_until: Option<Instant>,
}

/// Everything the rewrite needs.
pub struct MergeInput<'a> {
    pub stock: &'a StockData,
    pub prices: &'a PriceData,
    pub variables: &'a Map<String, Value>,
    pub only_x_left_threshold: f64,
}

/// The first place each failing source left a field empty, for its error.
#[derive(Debug, Default)]
pub struct MergeErrors {
    pub inventory: Option<Vec<Value>>,
    pub pricing: Option<Vec<Value>>,
    /// Some merged value was served stale: the answer must not be cached downstream.
    pub stale: bool,
}

impl MergeErrors {
    /// Notes the first place `kind`'s failed source left a field empty.
    fn note_failure(&mut self, kind: &ExtensionKind, path: &[Value]) {
        let first = match kind {
            ExtensionKind::LiveStock => &mut self.inventory,
            ExtensionKind::ContractPrice { .. } => &mut self.pricing,
        };
        if first.is_none() {
            *first = Some(path.to_vec());
        }
    }

    /// GraphQL errors for the failed sources.
    pub fn into_errors(self) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some(path) = self.inventory {
            out.push(json!({
                "message": "Live inventory is unavailable: stock shows Commerce's own values.",
                "path": path,
                "extensions": { "code": "INVENTORY_UNAVAILABLE" },
            }));
        }
        if let Some(path) = self.pricing {
            out.push(json!({
                "message": "Contract pricing is unavailable: prices show Commerce's own values.",
                "path": path,
                "extensions": { "code": "PRICING_UNAVAILABLE" },
            }));
        }
        out
    }
}

/// The value of a slot from live data; `None` keeps Commerce's value (or `null` for an
/// extension field, with an error when its source failed).
pub fn resolve_slot(
    slot: &Slot<'_, '_>,
    input: &MergeInput<'_>,
    path: &[Value],
    errors: &mut MergeErrors,
) -> Option<Value> {
    let first = slot.fields.first()?;
    let sku = slot.product.sku.as_deref();
    let stock = sku.and_then(|s| input.stock.items.get(s));
    match &first.role {
        Role::Extension(kind) => Some(extension_value(slot, kind, input, path, errors)),
        Role::Overwrite(Overwrite::StockStatus) => {
            let (s, freshness) = stock?;
            errors.stale |= *freshness == Freshness::Stale;
            Some(Value::from(if s.salable() > 0.0 {
                "IN_STOCK"
            } else {
                "OUT_OF_STOCK"
            }))
        }
        Role::Overwrite(Overwrite::OnlyXLeftInStock) => {
            let (s, freshness) = stock?;
            errors.stale |= *freshness == Freshness::Stale;
            let qty = s.salable();
            Some(if qty <= input.only_x_left_threshold {
                Value::from(qty)
            } else {
                Value::Null
            })
        }
        Role::Overwrite(Overwrite::PriceRange) => {
            let units = contract_units(&slot.product, input.prices)?;
            let mut range: Value = serde_json::from_str(slot.commerce?.get()).ok()?;
            overwrite_price_range(
                &mut range,
                &slot.selections(),
                units,
                slot.product.regular,
                input.variables,
            );
            Some(range)
        }
        Role::Commerce { .. } => None,
    }
}

/// An extension field's value, shaped by the client's selection; `null` when its source has
/// nothing for the product (noting the failure when the source failed).
fn extension_value(
    slot: &Slot<'_, '_>,
    kind: &ExtensionKind,
    input: &MergeInput<'_>,
    path: &[Value],
    errors: &mut MergeErrors,
) -> Value {
    let sku = slot.product.sku.as_deref();
    let (value, failed) = match kind {
        ExtensionKind::LiveStock => (
            sku.and_then(|s| input.stock.items.get(s))
                .map(|(s, f)| live_stock_json(s, *f)),
            input.stock.failed,
        ),
        ExtensionKind::ContractPrice { quantity } => {
            let quantity = quantity
                .as_ref()
                .and_then(|q| resolve_number(q, input.variables))
                .unwrap_or(1.0);
            let price = sku.and_then(|s| input.prices.items.get(s));
            (
                price.and_then(|(item, f)| contract_price_json(item, quantity, *f, input.prices)),
                input.prices.failed,
            )
        }
    };
    match value {
        Some(v) => {
            errors.stale |= v["freshness"] == "STALE";
            project(&v, &slot.selections(), input.variables)
        }
        None => {
            if failed {
                errors.note_failure(kind, path);
            }
            Value::Null
        }
    }
}

/// The `LiveStock` object (keyed by schema field names).
fn live_stock_json(item: &StockItem, freshness: Freshness) -> Value {
    let status = |qty: f64| {
        if qty > 0.0 {
            "IN_STOCK"
        } else {
            "OUT_OF_STOCK"
        }
    };
    let sources: Vec<Value> = item
        .sources
        .iter()
        .map(|s| {
            json!({
                "__typename": "LiveStockSource",
                "source_code": s.source_code,
                "salable_qty": s.salable(),
                "status": status(s.salable()),
            })
        })
        .collect();
    let total = item.salable();
    json!({
        "__typename": "LiveStock",
        "salable_qty": total,
        "status": status(total),
        "sources": sources,
        "updated_at": item.updated_at,
        "freshness": freshness.as_str(),
    })
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

/// A value shaped by the client's selection: fields collected per object as the spec does,
/// response keys and order from the selection.
fn project(value: &Value, sets: &[&[PlannedField]], variables: &Map<String, Value>) -> Value {
    match value {
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| project(v, sets, variables)).collect())
        }
        Value::Object(map) => {
            let typename = map.get("__typename").and_then(Value::as_str).unwrap_or("");
            let mut out = Map::new();
            for c in collect_fields(sets, typename, variables) {
                let v = map.get(&c.first().name).unwrap_or(&Value::Null);
                let v = if c.fields.iter().all(|f| f.selection.is_empty()) {
                    v.clone()
                } else {
                    project(v, &c.selections(), variables)
                };
                out.insert(c.key.to_string(), v);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// An amount as Commerce shows it: rounded to the currency's precision (cents).
fn round_amount(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The contract unit prices (cheapest, dearest) a product's price range shows: over a
/// configurable product's variants, else the product's own.
fn contract_units(product: &ProductKeys, prices: &PriceData) -> Option<(f64, f64)> {
    let unit = |sku: &str| {
        let (item, _) = prices.items.get(sku)?;
        valid_unit_price(item, 1.0, prices)
    };
    let variants: Vec<f64> = product.variants.iter().filter_map(|s| unit(s)).collect();
    let range = if variants.is_empty() {
        let own = unit(product.sku.as_deref()?)?;
        (own, own)
    } else {
        let min = variants.iter().copied().fold(f64::INFINITY, f64::min);
        let max = variants.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min, max)
    };
    Some((round_amount(range.0), round_amount(range.1)))
}

/// Sets the selected `final_price.value` of `minimum_price` / `maximum_price` to the cheapest /
/// dearest contract unit price, and recomputes the selected `discount` against Commerce's
/// regular price.
fn overwrite_price_range(
    range: &mut Value,
    sets: &[&[PlannedField]],
    units: (f64, f64),
    regular: (Option<f64>, Option<f64>),
    variables: &Map<String, Value>,
) {
    let Value::Object(map) = range else {
        return;
    };
    for c in collect_fields(sets, "PriceRange", variables) {
        let (unit, regular) = match c.first().name.as_str() {
            "minimum_price" => (units.0, regular.0),
            "maximum_price" => (units.1, regular.1),
            _ => continue,
        };
        let Some(Value::Object(price)) = map.get_mut(c.key) else {
            continue;
        };
        for part in collect_fields(&c.selections(), "ProductPrice", variables) {
            let values: Vec<(String, f64)> = match part.first().name.as_str() {
                "final_price" => money_values(&part, unit, variables),
                "discount" => match regular.filter(|r| *r > 0.0) {
                    Some(regular) => discount_values(&part, regular, unit, variables),
                    None => continue,
                },
                _ => continue,
            };
            if let Some(Value::Object(target)) = price.get_mut(part.key) {
                for (key, value) in values {
                    target.insert(key, Value::from(value));
                }
            }
        }
    }
}

/// The response keys of `value` below a selected `Money`, each with `amount`.
fn money_values(
    money: &Collected<'_>,
    amount: f64,
    variables: &Map<String, Value>,
) -> Vec<(String, f64)> {
    collect_fields(&money.selections(), "Money", variables)
        .into_iter()
        .filter(|c| c.first().name == "value")
        .map(|c| (c.key.to_string(), amount))
        .collect()
}

/// The selected `amount_off` / `percent_off` of a `ProductDiscount` from `regular` to `unit`.
fn discount_values(
    discount: &Collected<'_>,
    regular: f64,
    unit: f64,
    variables: &Map<String, Value>,
) -> Vec<(String, f64)> {
    let off = round_amount((regular - unit).max(0.0));
    collect_fields(&discount.selections(), "ProductDiscount", variables)
        .into_iter()
        .filter_map(|c| {
            let value = match c.first().name.as_str() {
                "amount_off" => off,
                "percent_off" => round_amount(off / regular * 100.0),
                _ => return None,
            };
            Some((c.key.to_string(), value))
        })
        .collect()
}
