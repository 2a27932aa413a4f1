//! Applying merged data to Commerce's answer: collect the SKUs the plan needs, then replace each
//! extension field's placeholder with its value projected through the client's selection, apply
//! the overwrites, and strip the join keys. Objects keep Commerce's field order.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use async_graphql_value::Value as GqlValue;
use serde_json::{Map, Value, json};

use super::lazy::Lazy;
use super::plan::{ExtensionKind, MergeNode, Overwrite, SKU_JOIN_KEY, Selected};
use crate::cache::Freshness;
use crate::sources::cpq::{ContractItem, PriceList};
use crate::sources::inventory::StockItem;

/// SKUs per source that an answer needs.
#[derive(Debug, Default)]
pub struct NeededSkus {
    pub stock: HashSet<String>,
    pub prices: HashSet<String>,
}

/// Walks the answer along the plan and collects the join keys.
pub fn collect_skus(value: &Lazy<'_>, node: &MergeNode, out: &mut NeededSkus) {
    match value {
        Lazy::Array(items) => items.iter().for_each(|v| collect_skus(v, node, out)),
        Lazy::Object(_) => {
            if let Some(sku) = value.sku() {
                for field in &node.fields {
                    if value.get(&field.response_key).is_some() {
                        match field.kind {
                            ExtensionKind::LiveStock => out.stock.insert(sku.clone()),
                            ExtensionKind::ContractPrice { .. } => out.prices.insert(sku.clone()),
                        };
                    }
                }
                for (key, overwrite) in &node.overwrites {
                    if value.get(key).is_some() {
                        match overwrite {
                            Overwrite::PriceRange(_) => out.prices.insert(sku.clone()),
                            _ => out.stock.insert(sku.clone()),
                        };
                    }
                }
            }
            for (key, child) in &node.children {
                if let Some(v) = value.get(key) {
                    collect_skus(v, child, out);
                }
            }
        }
        _ => {}
    }
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

/// Rewrites `value` (the `data` of Commerce's answer) in place.
pub fn apply(
    value: &mut Lazy<'_>,
    node: &MergeNode,
    input: &MergeInput<'_>,
    path: &mut Vec<Value>,
    errors: &mut MergeErrors,
) {
    match value {
        Lazy::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Value::from(i));
                apply(item, node, input, path, errors);
                path.pop();
            }
        }
        Lazy::Object(_) => {
            let sku = value.sku();
            value.remove(SKU_JOIN_KEY);
            let Lazy::Object(members) = value else {
                return;
            };
            if let Some(sku) = &sku {
                apply_fields(members, node, sku, input, path, errors);
            }
            for (key, child) in &node.children {
                if let Some((_, v)) = members.iter_mut().find(|(k, _)| k == key) {
                    path.push(Value::from(key.as_str()));
                    apply(v, child, input, path, errors);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

fn slot<'m, 'a>(members: &'m mut [(String, Lazy<'a>)], key: &str) -> Option<&'m mut Lazy<'a>> {
    members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn apply_fields(
    map: &mut [(String, Lazy<'_>)],
    node: &MergeNode,
    sku: &str,
    input: &MergeInput<'_>,
    path: &[Value],
    errors: &mut MergeErrors,
) {
    let stock = input.stock.items.get(sku);
    let price = input.prices.items.get(sku);
    for field in &node.fields {
        let Some(slot) = slot(map, &field.response_key) else {
            continue;
        };
        let (resolved, failed) = match &field.kind {
            ExtensionKind::LiveStock => (
                stock.map(|(s, f)| live_stock_json(s, *f)),
                input.stock.failed,
            ),
            ExtensionKind::ContractPrice { quantity } => {
                let quantity = quantity
                    .as_ref()
                    .and_then(|q| resolve_number(q, input.variables))
                    .unwrap_or(1.0);
                (
                    price.and_then(|(item, f)| {
                        contract_price_json(item, quantity, *f, input.prices)
                    }),
                    input.prices.failed,
                )
            }
        };
        *slot = Lazy::Value(match resolved {
            Some(v) => {
                errors.stale |= v["freshness"] == "STALE";
                project(&v, &field.selection, input.variables)
            }
            None => {
                if failed {
                    let first = match field.kind {
                        ExtensionKind::LiveStock => &mut errors.inventory,
                        ExtensionKind::ContractPrice { .. } => &mut errors.pricing,
                    };
                    if first.is_none() {
                        let mut at = path.to_vec();
                        at.push(Value::from(field.response_key.as_str()));
                        *first = Some(at);
                    }
                }
                Value::Null
            }
        });
    }
    for (key, overwrite) in &node.overwrites {
        let Some(slot) = slot(map, key) else {
            continue;
        };
        match overwrite {
            Overwrite::StockStatus => {
                if let Some((s, _)) = stock {
                    *slot = Lazy::Value(Value::from(if s.salable() > 0.0 {
                        "IN_STOCK"
                    } else {
                        "OUT_OF_STOCK"
                    }));
                }
            }
            Overwrite::OnlyXLeftInStock => {
                if let Some((s, _)) = stock {
                    let qty = s.salable();
                    *slot = Lazy::Value(if qty <= input.only_x_left_threshold {
                        Value::from(qty)
                    } else {
                        Value::Null
                    });
                }
            }
            Overwrite::PriceRange(selection) => {
                if let Some(unit) =
                    price.and_then(|(item, _)| valid_unit_price(item, 1.0, input.prices))
                    && let Lazy::Value(range) = slot
                {
                    overwrite_final_prices(range, selection, unit, input.variables);
                }
            }
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

/// A value shaped by the client's selection: response keys, selection order, conditions.
fn project(value: &Value, selection: &[Selected], variables: &Map<String, Value>) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| project(v, selection, variables))
                .collect(),
        ),
        Value::Object(map) => {
            let typename = map.get("__typename").and_then(Value::as_str);
            let mut out = Map::new();
            for s in selection {
                if s.type_condition
                    .as_deref()
                    .is_some_and(|t| Some(t) != typename)
                    || !included(&s.conditions, variables)
                {
                    continue;
                }
                if out.contains_key(&s.response_key) {
                    continue;
                }
                let v = map.get(&s.name).unwrap_or(&Value::Null);
                let v = if s.children.is_empty() {
                    v.clone()
                } else {
                    project(v, &s.children, variables)
                };
                out.insert(s.response_key.clone(), v);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Sets every selected `final_price.value` under `price_range` to `unit` and recomputes the
/// selected `discount` against the regular price.
fn overwrite_final_prices(
    slot: &mut Value,
    selection: &[Selected],
    unit: f64,
    variables: &Map<String, Value>,
) {
    let Value::Object(range) = slot else {
        return;
    };
    for price in selection
        .iter()
        .filter(|s| s.name == "minimum_price" || s.name == "maximum_price")
    {
        let Some(Value::Object(p)) = range.get_mut(&price.response_key) else {
            continue;
        };
        let regular = price
            .children
            .iter()
            .find(|c| c.name == "regular_price")
            .and_then(|c| p.get(&c.response_key))
            .and_then(|r| money_value(r, c_value_key(price, "regular_price")));
        for child in &price.children {
            if !included(&child.conditions, variables) {
                continue;
            }
            match (child.name.as_str(), p.get_mut(&child.response_key)) {
                ("final_price", Some(Value::Object(money))) => {
                    for value_key in child.children.iter().filter(|c| c.name == "value") {
                        money.insert(value_key.response_key.clone(), Value::from(unit));
                    }
                }
                ("discount", Some(Value::Object(discount))) => {
                    if let Some(regular) = regular.filter(|r| *r > 0.0) {
                        let off = (regular - unit).max(0.0);
                        for d in &child.children {
                            let v = match d.name.as_str() {
                                "amount_off" => off,
                                "percent_off" => (off / regular * 10_000.0).round() / 100.0,
                                _ => continue,
                            };
                            discount.insert(d.response_key.clone(), Value::from(v));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The response key of `value` under the `field` child of a price selection.
fn c_value_key<'s>(price: &'s Selected, field: &str) -> Option<&'s str> {
    price
        .children
        .iter()
        .find(|c| c.name == field)?
        .children
        .iter()
        .find(|c| c.name == "value")
        .map(|c| c.response_key.as_str())
}

fn money_value(money: &Value, key: Option<&str>) -> Option<f64> {
    money.get(key?)?.as_f64()
}

fn included(conditions: &[(bool, GqlValue)], variables: &Map<String, Value>) -> bool {
    conditions.iter().all(|(include, value)| {
        let flag = match value {
            GqlValue::Boolean(b) => *b,
            GqlValue::Variable(name) => variables
                .get(name.as_str())
                .and_then(Value::as_bool)
                .unwrap_or(false),
            _ => false,
        };
        flag == *include
    })
}

fn resolve_number(value: &GqlValue, variables: &Map<String, Value>) -> Option<f64> {
    match value {
        GqlValue::Number(n) => n.as_f64(),
        GqlValue::Variable(name) => variables.get(name.as_str()).and_then(Value::as_f64),
        _ => None,
    }
}
