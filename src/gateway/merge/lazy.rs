//! Commerce's answer parsed only along the merge plan: objects and lists the plan walks into
//! are split into their members, everything else stays raw JSON text and is copied out as it
//! came. A listing's aggregations, prices and images cost a scan, not an allocation.

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::plan::{MergeNode, Overwrite, SKU_JOIN_KEY};

/// A JSON value, expanded where the merge needs it.
#[derive(Debug)]
pub enum Lazy<'a> {
    Raw(&'a RawValue),
    Value(Value),
    Array(Vec<Lazy<'a>>),
    /// Members in Commerce's order.
    Object(Vec<(String, Lazy<'a>)>),
}

impl<'a> Lazy<'a> {
    /// Parses `raw`, expanding only what `node` reaches.
    pub fn parse(raw: &'a RawValue, node: &MergeNode) -> Result<Self, serde_json::Error> {
        let text = raw.get().trim_start();
        if node.is_empty() {
            return Ok(Lazy::Raw(raw));
        }
        if text.starts_with('[') {
            let items: Vec<&'a RawValue> = serde_json::from_str(raw.get())?;
            return items
                .into_iter()
                .map(|item| Lazy::parse(item, node))
                .collect::<Result<_, _>>()
                .map(Lazy::Array);
        }
        if !text.starts_with('{') {
            return Ok(Lazy::Raw(raw));
        }
        let Members(members) = serde_json::from_str(raw.get())?;
        let mut out = Vec::with_capacity(members.len());
        for (key, value) in members {
            let lazy = if let Some((_, child)) = node.children.iter().find(|(k, _)| *k == key) {
                Lazy::parse(value, child)?
            } else if node
                .overwrites
                .iter()
                .any(|(k, o)| *k == key && matches!(o, Overwrite::PriceRange(_)))
            {
                Lazy::Value(serde_json::from_str(value.get())?)
            } else {
                Lazy::Raw(value)
            };
            out.push((key, lazy));
        }
        Ok(Lazy::Object(out))
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Lazy<'a>> {
        match self {
            Lazy::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Takes the member `key` out of an object, keeping the others' order.
    pub fn remove(&mut self, key: &str) -> Option<Lazy<'a>> {
        match self {
            Lazy::Object(members) => {
                let at = members.iter().position(|(k, _)| k == key)?;
                Some(members.remove(at).1)
            }
            _ => None,
        }
    }

    /// The join key's SKU, if this is an object that carries one.
    pub fn sku(&self) -> Option<String> {
        match self.get(SKU_JOIN_KEY)? {
            Lazy::Raw(raw) => serde_json::from_str::<String>(raw.get()).ok(),
            Lazy::Value(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// Writes the value as JSON.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        match self {
            Lazy::Raw(raw) => out.extend_from_slice(raw.get().as_bytes()),
            Lazy::Value(value) => serde_json::to_writer(&mut *out, value)?,
            Lazy::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out)?;
                }
                out.push(b']');
            }
            Lazy::Object(members) => {
                out.push(b'{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, key)?;
                    out.push(b':');
                    value.write(out)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
    }
}

/// An object's members in order, values left raw.
struct Members<'a>(Vec<(String, &'a RawValue)>);

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
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}
