//! The oracle: a small reference executor of the spec's field collection (`CollectFields`,
//! `MergeSelectionSets`, first-occurrence order) over the truth fetched straight from the
//! sandbox — Commerce's products by a fixed full query, the inventory's and the CPQ's own
//! answers — with the connector docs' rules for salable quantity and quantity tiers. It shares
//! no code with the BFF.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::document::{Args, Condition, Directive, Document, Field, QTY, Selection, object_fields};

/// What the sandbox and its connectors answer, fetched once per test.
pub(super) struct Truth {
    /// The `products` object of every root filter, with every field the generator can select.
    pub products: Vec<Value>,
    /// The inventory's item per SKU (`docs/connectors/inventory.md`).
    pub stock: HashMap<String, Value>,
    /// The CPQ's item per SKU (`docs/connectors/cpq.md`).
    pub prices: HashMap<String, Value>,
    /// The CPQ's `price_list` and `currency` for the buyer's company.
    pub price_list: Value,
    pub currency: String,
}

/// The answer a spec-conforming BFF gives to `document`.
pub(super) fn expected_answer(document: &Document, truth: &Truth) -> Value {
    let oracle = Oracle { document, truth };
    json!({ "data": oracle.execute("Query", &[&document.root], &Value::Null) })
}

struct Oracle<'d> {
    document: &'d Document,
    truth: &'d Truth,
}

/// Collected fields: response key → every field selected under it, in document order.
type Grouped<'d> = Vec<(&'static str, Vec<&'d Field>)>;

impl<'d> Oracle<'d> {
    /// `ExecuteSelectionSet` over the merged `sets` of an object of runtime type `ty`.
    fn execute(&self, ty: &str, sets: &[&'d [Selection]], parent: &Value) -> Value {
        let mut grouped = Grouped::new();
        let mut visited = HashSet::new();
        for set in sets {
            self.collect(ty, set, &mut grouped, &mut visited);
        }
        let mut object = Map::new();
        for (key, fields) in grouped {
            let field = fields[0];
            let value = self.resolve(ty, field, parent);
            let child_sets: Vec<&[Selection]> =
                fields.iter().map(|f| f.selections.as_slice()).collect();
            let completed = self.complete(ty, field.name, &child_sets, value);
            object.insert(key.to_string(), completed);
        }
        Value::Object(object)
    }

    /// The spec's `CollectFields`.
    fn collect(
        &self,
        ty: &str,
        set: &'d [Selection],
        grouped: &mut Grouped<'d>,
        visited: &mut HashSet<usize>,
    ) {
        for selection in set {
            match selection {
                Selection::Field(field) => {
                    if self.is_skipped(&field.directives) {
                        continue;
                    }
                    let key = field.response_key();
                    match grouped.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(field),
                        None => grouped.push((key, vec![field])),
                    }
                }
                Selection::Spread {
                    fragment,
                    directives,
                } => {
                    if self.is_skipped(directives) || !visited.insert(*fragment) {
                        continue;
                    }
                    let fragment = &self.document.fragments[*fragment];
                    if applies(ty, fragment.on) {
                        self.collect(ty, &fragment.selections, grouped, visited);
                    }
                }
                Selection::Inline {
                    on,
                    directives,
                    selections,
                } => {
                    if self.is_skipped(directives) || on.is_some_and(|on| !applies(ty, on)) {
                        continue;
                    }
                    self.collect(ty, selections, grouped, visited);
                }
            }
        }
    }

    fn is_skipped(&self, directives: &[Directive]) -> bool {
        directives.iter().any(|d| {
            let condition = match d.condition {
                Condition::Literal(b) => b,
                Condition::Variable(v) => self.document.variables[v].value() == json!(true),
            };
            condition != d.include
        })
    }

    /// The field's raw value on its parent.
    fn resolve(&self, ty: &str, field: &Field, parent: &Value) -> Value {
        let sku = parent["sku"].as_str().unwrap_or_default();
        match (field.name, field.args) {
            ("__typename", _) => json!(ty),
            ("products", Args::Products(i)) => self.truth.products[i].clone(),
            ("live_stock", _) => self.truth.live_stock(sku),
            ("contract_price", args) => {
                let quantity = match args {
                    Args::Quantity(q) => q,
                    Args::QuantityVariable => {
                        self.document.variables[QTY].value().as_f64().unwrap_or(1.0)
                    }
                    _ => 1.0,
                };
                self.truth.contract_price(sku, quantity)
            }
            (name, _) => parent.get(name).cloned().unwrap_or(Value::Null),
        }
    }

    /// `CompleteValue`: nulls stay, lists map, objects execute their merged sub-selections.
    fn complete(
        &self,
        parent_ty: &str,
        name: &str,
        sets: &[&'d [Selection]],
        value: Value,
    ) -> Value {
        match value {
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.complete(parent_ty, name, sets, item))
                    .collect(),
            ),
            Value::Object(_) if !sets.iter().all(|s| s.is_empty()) => {
                let ty = child_type(parent_ty, name, &value);
                self.execute(&ty, sets, &value)
            }
            other => other,
        }
    }
}

/// `DoesFragmentTypeApply` for the product types.
fn applies(ty: &str, condition: &str) -> bool {
    ty == condition || (condition == "ProductInterface" && is_product(ty))
}

fn is_product(ty: &str) -> bool {
    ty.ends_with("Product")
}

/// The runtime type of an object `name` returns on `parent_ty`.
fn child_type(parent_ty: &str, name: &str, value: &Value) -> String {
    let runtime = || value["__typename"].as_str().unwrap_or_default().to_string();
    match (parent_ty, name) {
        ("Query", "products") => "Products".into(),
        (p, "live_stock") if is_product(p) => "LiveStock".into(),
        (p, "contract_price") if is_product(p) => "ContractPrice".into(),
        (p, "price_range") if is_product(p) => "PriceRange".into(),
        (p, "variants") if is_product(p) => "ConfigurableVariant".into(),
        _ => match object_fields(parent_ty).iter().find(|(_, n, _)| *n == name) {
            Some((_, _, Some("Product" | "SimpleProduct"))) => runtime(),
            Some((_, _, Some(child))) => child.to_string(),
            _ => String::new(),
        },
    }
}

impl Truth {
    /// `live_stock` per `docs/connectors/inventory.md`: salable per source `max(quantity −
    /// reserved, 0)`, their sum, `IN_STOCK` above 0; `null` for a SKU the inventory does not know.
    fn live_stock(&self, sku: &str) -> Value {
        let Some(item) = self.stock.get(sku) else {
            return Value::Null;
        };
        let status = |qty: f64| {
            if qty > 0.0 {
                "IN_STOCK"
            } else {
                "OUT_OF_STOCK"
            }
        };
        let sources: Vec<Value> = item["sources"]
            .as_array()
            .map(|s| s.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|s| {
                let qty = (s["quantity"].as_f64().unwrap_or(0.0)
                    - s["reserved"].as_f64().unwrap_or(0.0))
                .max(0.0);
                json!({ "source_code": s["source_code"], "salable_qty": qty, "status": status(qty) })
            })
            .collect();
        let total: f64 = sources
            .iter()
            .filter_map(|s| s["salable_qty"].as_f64())
            .sum();
        json!({
            "salable_qty": total,
            "status": status(total),
            "sources": sources,
            "updated_at": item["updated_at"],
            "freshness": "FRESH",
        })
    }

    /// `contract_price(quantity:)` per `docs/connectors/cpq.md`: the tier with the highest
    /// `min_quantity` ≤ quantity; `null` for a SKU the CPQ does not price, and outside the
    /// price's validity (inclusive ISO dates).
    fn contract_price(&self, sku: &str, quantity: f64) -> Value {
        let Some(item) = self.prices.get(sku) else {
            return Value::Null;
        };
        let today = today_utc();
        let day = |field: &str| {
            item[field]
                .as_str()
                .map(|d| d.get(..10).unwrap_or(d).to_string())
        };
        if day("valid_from").is_some_and(|from| from > today)
            || day("valid_to").is_some_and(|to| to < today)
        {
            return Value::Null;
        }
        let money = |value: &Value| json!({ "value": value, "currency": self.currency });
        let tiers = item["tiers"]
            .as_array()
            .map(|t| t.as_slice())
            .unwrap_or_default();
        let Some(tier) = tiers
            .iter()
            .filter(|t| t["min_quantity"].as_f64().unwrap_or(f64::MAX) <= quantity)
            .max_by(|a, b| {
                a["min_quantity"]
                    .as_f64()
                    .partial_cmp(&b["min_quantity"].as_f64())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        else {
            return Value::Null;
        };
        json!({
            "unit_price": money(&tier["unit_price"]),
            "quantity": quantity,
            "price_list": self.price_list,
            "tiers": tiers.iter().map(|t| json!({
                "min_quantity": t["min_quantity"],
                "unit_price": money(&t["unit_price"]),
            })).collect::<Vec<_>>(),
            "valid_from": item["valid_from"],
            "valid_to": item["valid_to"],
            "freshness": "FRESH",
        })
    }
}

/// Today's date in UTC, `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Every number as a float: `1` and `1.0` are the same GraphQL `Float`.
pub(super) fn normalise(value: &Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map(|f| json!(f)).unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), normalise(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Where two answers differ, key order included, one line per difference.
pub(super) fn differences(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let (ek, ak): (Vec<&String>, Vec<&String>) = (e.keys().collect(), a.keys().collect());
            if ek != ak {
                out.push(format!("{path}: keys {ek:?}, got {ak:?}"));
            }
            for (key, value) in e {
                if let Some(other) = a.get(key) {
                    differences(&format!("{path}.{key}"), value, other, out);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (value, other)) in e.iter().zip(a).enumerate() {
                differences(&format!("{path}[{i}]"), value, other, out);
            }
        }
        _ if expected != actual => out.push(format!("{path}: expected {expected}, got {actual}")),
        _ => {}
    }
}
