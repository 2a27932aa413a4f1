//! Commerce's answer shaped by the client's operation, in two passes around the source calls.
//! [`shape`] reads `data` along the merge plan: every object on the way is rebuilt from the
//! fields collected for its type (response keys in the spec's order, join keys gone), extension
//! and overwritten fields become slots, and the SKUs the slots need are noted. Everything the
//! merge does not walk into stays raw JSON text and is copied out as it came. [`write`] then
//! fills the slots from the sources and writes the answer.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::apply::{MergeErrors, MergeInput, PathSegment, write_slot};
use super::collect::{Collected, collect_fields};
use super::plan::{JoinKeys, MergePlan, PlannedField, Role};
use crate::gateway::extension::Product;

/// Commerce's `data`, shaped.
#[derive(Debug)]
pub(crate) enum Shaped<'a, 'p> {
    Raw(&'a RawValue),
    List(Vec<Shaped<'a, 'p>>),
    /// Members in the client's response-key order.
    Object(Vec<(&'p str, Shaped<'a, 'p>)>),
    Slot(Box<Slot<'a, 'p>>),
}

/// A value the merge supplies: an extension field, or an overwritten Commerce field.
#[derive(Debug)]
pub(crate) struct Slot<'a, 'p> {
    /// The collected fields of the key (the first fixes name, arguments and role).
    pub(crate) fields: Vec<&'p PlannedField>,
    pub(crate) product: Arc<Product>,
    /// Commerce's value of an overwritten field, kept when no live data applies.
    pub(crate) commerce: Option<&'a RawValue>,
}

/// The state of the first pass.
pub(crate) struct ShapeContext<'p> {
    plan: &'p MergePlan,
    variables: &'p Map<String, Value>,
    /// Per extension: the SKUs its slots need.
    pub(crate) needed: Vec<HashSet<String>>,
}

impl<'p> ShapeContext<'p> {
    pub(crate) fn new(plan: &'p MergePlan, variables: &'p Map<String, Value>) -> Self {
        Self {
            plan,
            variables,
            needed: vec![HashSet::new(); plan.extension_count],
        }
    }
}

/// Shapes `data` (Commerce's answer's `data`) along the plan.
pub(crate) fn shape<'a, 'p>(
    data: &'a RawValue,
    cx: &mut ShapeContext<'p>,
) -> Result<Shaped<'a, 'p>, serde_json::Error> {
    let plan = cx.plan;
    shape_value(data, &[plan.root.as_slice()], &plan.root_type, cx)
}

fn shape_value<'a, 'p>(
    raw: &'a RawValue,
    sets: &[&'p [PlannedField]],
    static_type: &str,
    cx: &mut ShapeContext<'p>,
) -> Result<Shaped<'a, 'p>, serde_json::Error> {
    let text = raw.get().trim_start();
    if text.starts_with('[') {
        // A list of objects (the usual case) has its items' members read in the same pass.
        if let Ok(objects) = serde_json::from_str::<Vec<Members<'a>>>(raw.get()) {
            return objects
                .into_iter()
                .map(|members| shape_object(members, sets, static_type, cx))
                .collect::<Result<_, _>>()
                .map(Shaped::List);
        }
        let items: Vec<&'a RawValue> = serde_json::from_str(raw.get())?;
        return items
            .into_iter()
            .map(|item| shape_value(item, sets, static_type, cx))
            .collect::<Result<_, _>>()
            .map(Shaped::List);
    }
    if !text.starts_with('{') {
        return Ok(Shaped::Raw(raw));
    }
    shape_object(serde_json::from_str(raw.get())?, sets, static_type, cx)
}

/// An object rebuilt from the fields collected for its type.
fn shape_object<'a, 'p>(
    Members(members): Members<'a>,
    sets: &[&'p [PlannedField]],
    static_type: &str,
    cx: &mut ShapeContext<'p>,
) -> Result<Shaped<'a, 'p>, serde_json::Error> {
    let member = |key: &str| members.iter().find(|(k, _)| k.0 == key).map(|(_, v)| *v);
    let keys = &cx.plan.keys;
    let typename = member(&keys.typename)
        .and_then(|v| serde_json::from_str::<Key<'_>>(v.get()).ok())
        .map_or(Cow::Borrowed(static_type), |Key(name)| name);
    // Built on the first slot: most objects on the way hold none.
    let mut product: Option<Arc<Product>> = None;
    let mut product = || {
        product
            .get_or_insert_with(|| Arc::new(product_of(&member, keys)))
            .clone()
    };
    let collected = collect_fields(sets, &typename, cx.variables);
    let mut out = Vec::with_capacity(collected.len());
    for c in collected {
        let key = c.key;
        let first = c.first();
        let value = member(c.key);
        let shaped = match &first.role {
            Role::Commerce { .. } => {
                let Some(value) = value else { continue };
                let merges = c
                    .fields
                    .iter()
                    .any(|f| matches!(f.role, Role::Commerce { merges: true }));
                if merges {
                    shape_value(value, &c.selections(), &first.type_name, cx)?
                } else {
                    Shaped::Raw(value)
                }
            }
            Role::Extension(i) => {
                let product = product();
                note_needed(cx, *i, &product, false);
                slot(c, product, None)
            }
            Role::Overwrite(i) => {
                let Some(value) = value else { continue };
                let variants = cx.plan.fetches_variants.get(*i).copied().unwrap_or(false);
                let product = product();
                note_needed(cx, *i, &product, variants);
                slot(c, product, Some(value))
            }
        };
        out.push((key, shaped));
    }
    Ok(Shaped::Object(out))
}

fn slot<'a, 'p>(
    c: Collected<'p>,
    product: Arc<Product>,
    commerce: Option<&'a RawValue>,
) -> Shaped<'a, 'p> {
    Shaped::Slot(Box::new(Slot {
        fields: c.fields,
        product,
        commerce,
    }))
}

fn note_needed(cx: &mut ShapeContext<'_>, extension: usize, product: &Product, variants: bool) {
    let (Some(sku), Some(needed)) = (&product.sku, cx.needed.get_mut(extension)) else {
        return;
    };
    needed.insert(sku.clone());
    if variants {
        needed.extend(product.variants.iter().cloned());
    }
}

fn product_of<'a>(member: &impl Fn(&str) -> Option<&'a RawValue>, keys: &JoinKeys) -> Product {
    let parse =
        |key: &str| member(key).and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok());
    let sku = member(&keys.sku).and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
    let regular = parse(&keys.regular_prices).map_or((None, None), |prices| {
        let at = |which: &str| {
            prices
                .pointer(&format!("/{which}/regular_price/value"))
                .and_then(Value::as_f64)
        };
        (at("minimum_price"), at("maximum_price"))
    });
    let variants = parse(&keys.variants)
        .and_then(|v| match v {
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|i| i.pointer("/product/sku")?.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    Product {
        sku,
        regular,
        variants,
    }
}

/// Writes `shaped` as JSON, filling its slots from `input`; `path` is the response path so far
/// (for the errors of failed sources).
pub(crate) fn write<'p>(
    shaped: &Shaped<'_, 'p>,
    input: &MergeInput<'_>,
    path: &mut Vec<PathSegment<'p>>,
    errors: &mut MergeErrors,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    match shaped {
        Shaped::Raw(raw) => out.extend_from_slice(raw.get().as_bytes()),
        Shaped::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                path.push(PathSegment::Index(i));
                write(item, input, path, errors, out)?;
                path.pop();
            }
            out.push(b']');
        }
        Shaped::Object(members) => {
            out.push(b'{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                path.push(PathSegment::Key(key));
                write(value, input, path, errors, out)?;
                path.pop();
            }
            out.push(b'}');
        }
        Shaped::Slot(slot) => write_slot(slot, input, path, errors, out)?,
    }
    Ok(())
}

/// A string, borrowed from the JSON text unless it has escapes.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// An object's members in order, values left raw.
struct Members<'a>(Vec<(Key<'a>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((key, value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}
