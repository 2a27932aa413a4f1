//! What the gateway asks of a merged-data extension (live stock, contract prices, …), and the
//! small types it hands one. An extension names its fields on Commerce's product types and the
//! Commerce fields it may overwrite, fetches its data once per request for the products of an
//! answer, and hands back its values keyed by schema field names, which the gateway shapes
//! through the client's selection as it writes them; the gateway plans, collects
//! fields, walks Commerce's answer and writes the result. Extensions import only this module.

use std::sync::Arc;
use std::time::Instant;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::merge::{Collected, PlannedField, collect_fields, resolve_number};
use crate::sources::commerce::ForwardedHeaders;
use crate::sources::resilience::SourceHealth;

/// A source of merged data, as the gateway sees it.
#[async_trait::async_trait]
pub trait MergedExtension: Send + Sync {
    /// The source's name, for `/readyz` (`inventory`, `cpq`).
    fn source(&self) -> &'static str;
    /// Its fields on Commerce's product types (declared in its SDL).
    fn fields(&self) -> &'static [&'static str];
    /// The Commerce fields of product types it overwrites from its data (as configured).
    fn overwrites(&self) -> &'static [&'static str];
    /// What its overwrites need to know of a product besides the SKU.
    fn join_keys(&self) -> JoinKeyNeeds {
        JoinKeyNeeds::default()
    }
    /// How long CDNs may keep an anonymous answer that holds its data, in seconds.
    fn max_age_secs(&self) -> u64;
    /// One batched fetch for the SKUs of an answer (variants' included where asked for).
    async fn fetch(&self, caller: &ForwardedHeaders, skus: Vec<String>) -> Box<dyn MergedData>;
    /// Its circuit breaker's state; `None` when the source is not configured.
    fn health(&self) -> Option<SourceHealth>;
}

/// Reserved selections an extension's overwrites need on each product.
#[derive(Debug, Clone, Copy, Default)]
pub struct JoinKeyNeeds {
    /// Commerce's regular prices (minimum and maximum).
    pub regular_prices: bool,
    /// A configurable product's variant SKUs (fetched too).
    pub variants: bool,
}

/// An extension's data for one answer.
pub trait MergedData: Send + Sync {
    /// An extension field's value for `product`; `None` when the source has nothing for it.
    fn field(&self, field: &FieldRequest<'_>, product: &Product) -> Option<Merged>;
    /// An overwritten Commerce field's value for `product`; `None` keeps Commerce's value.
    fn overwrite(
        &self,
        field: &FieldRequest<'_>,
        product: &Product,
        commerce: &RawValue,
    ) -> Option<Merged>;
    /// Why fields without a value are empty, when the source failed.
    fn failure(&self) -> Option<SourceFailure>;
    /// When the first of these values stops being fresh (`None`: nothing was looked up).
    fn fresh_until(&self) -> Option<Instant>;
}

/// A merged value.
#[derive(Debug)]
pub struct Merged {
    pub value: MergedValue,
    /// Served past its TTL because the source failed: the answer must not be cached.
    pub stale: bool,
}

/// A merged value, shaped by the client's selection or still to be shaped by it.
#[derive(Debug)]
pub enum MergedValue {
    /// Written as it is (already in the client's response keys).
    Shaped(Value),
    /// Keyed by schema field names, objects carrying `__typename`: written through the field's
    /// selection (see [`FieldRequest::write_projected`]). Shared, so a value computed once per
    /// source answer can serve every request without a copy.
    Unshaped(Arc<Value>),
}

/// The error a failed source adds to the answer.
#[derive(Debug, Clone, Copy)]
pub struct SourceFailure {
    /// Stable `extensions.code`.
    pub code: &'static str,
    pub message: &'static str,
}

/// What the answer said about one product.
#[derive(Debug, Default)]
pub struct Product {
    pub sku: Option<String>,
    /// Commerce's regular prices (minimum, maximum), when asked for.
    pub regular: (Option<f64>, Option<f64>),
    /// A configurable product's variant SKUs, when asked for.
    pub variants: Vec<String>,
}

/// One response key's field as the client selected it (several selections of one key merged),
/// with the request's variables.
pub struct FieldRequest<'r> {
    fields: Vec<&'r PlannedField>,
    variables: &'r Map<String, Value>,
}

impl<'r> FieldRequest<'r> {
    pub(crate) fn new(fields: Vec<&'r PlannedField>, variables: &'r Map<String, Value>) -> Self {
        Self { fields, variables }
    }

    /// The field's name in the schema.
    pub fn name(&self) -> &str {
        self.fields.first().map_or("", |f| f.name.as_str())
    }

    /// A numeric argument (literal or variable, defaults applied); `None` when absent or null.
    pub fn number_argument(&self, name: &str) -> Option<f64> {
        let field = self.fields.first()?;
        let (_, value) = field.arguments.iter().find(|(n, _)| n == name)?;
        resolve_number(value, self.variables)
    }

    /// The fields selected below this one on an object of type `typename`, by response key.
    pub fn subfields(&self, typename: &str) -> Vec<(&'r str, FieldRequest<'r>)> {
        let sets: Vec<&'r [PlannedField]> =
            self.fields.iter().map(|f| f.selection.as_slice()).collect();
        collect_fields(&sets, typename, self.variables)
            .into_iter()
            .map(|c: Collected<'r>| (c.key, FieldRequest::new(c.fields, self.variables)))
            .collect()
    }

    /// Writes `value` (keyed by schema field names, objects carrying `__typename`) shaped by
    /// the selection as JSON: response keys, the spec's field collection and order.
    pub fn write_projected(&self, value: &Value, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match value {
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_projected(item, out)?;
                }
                out.push(b']');
            }
            Value::Object(map) => {
                let typename = member(map, "__typename")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                out.push(b'{');
                for (i, (key, sub)) in self.subfields(typename).into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, key)?;
                    out.push(b':');
                    let v = member(map, sub.name()).unwrap_or(&Value::Null);
                    if sub.fields.iter().all(|f| f.selection.is_empty()) {
                        serde_json::to_writer(&mut *out, v)?;
                    } else {
                        sub.write_projected(v, out)?;
                    }
                }
                out.push(b'}');
            }
            other => serde_json::to_writer(&mut *out, other)?,
        }
        Ok(())
    }
}

/// The member `name` of an object: a scan, as merged objects have a handful of members and
/// comparing their keys costs less than hashing.
fn member<'v>(map: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    map.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
}
