//! Resolving fields by reading JSON objects: the default for every field that is not computed.
//!
//! A parent value is a `serde_json::Value` object (owned at the root, borrowed below it), so a
//! whole response tree resolves without copying sub-trees.

use async_graphql::dynamic::{FieldFuture, FieldValue, ResolverContext};
use async_graphql::{Error, QueryPathSegment, Value};

/// Which key of the parent object holds a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKey {
    /// The field's schema name: domain objects (the sandbox's data).
    FieldName,
    /// The field's response key (alias or name): an upstream GraphQL response.
    ResponseKey,
}

/// What a field's output type looks like once list and non-null wrappers are peeled off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputShape {
    pub type_name: String,
    pub kind: ShapeKind,
    /// How many list wrappers surround the named type.
    pub list_depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    /// Scalar or enum.
    Leaf,
    Object,
    /// Interface or union: the concrete type comes from the object's `__typename`.
    Abstract,
}

/// Resolves a field from its parent JSON object.
pub(crate) fn resolve_from_parent<'a>(
    ctx: ResolverContext<'a>,
    shape: &OutputShape,
    key: JsonKey,
    field_name: &str,
) -> FieldFuture<'a> {
    let Some(parent) = ctx.parent_value.downcast_ref::<serde_json::Value>() else {
        return FieldFuture::Value(None);
    };
    let key = match key {
        JsonKey::FieldName => field_name,
        JsonKey::ResponseKey => match ctx.path_node.map(|n| n.segment) {
            Some(QueryPathSegment::Name(k)) => k,
            _ => field_name,
        },
    };
    match parent.get(key) {
        None | Some(serde_json::Value::Null) => FieldFuture::Value(None),
        Some(value) => match json_field_value(value, shape, shape.list_depth) {
            Ok(v) => FieldFuture::Value(v),
            Err(e) => FieldFuture::Future(Box::pin(async move { Err(e) })),
        },
    }
}

/// A borrowed JSON value as a field value of the given shape.
pub fn json_field_value<'a>(
    value: &'a serde_json::Value,
    shape: &OutputShape,
    list_depth: usize,
) -> Result<Option<FieldValue<'a>>, Error> {
    if value.is_null() {
        return Ok(None);
    }
    if list_depth > 0 {
        let serde_json::Value::Array(items) = value else {
            return Err(Error::new(format!(
                "expected a list of `{}`",
                shape.type_name
            )));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(json_field_value(item, shape, list_depth - 1)?.unwrap_or(FieldValue::NULL));
        }
        return Ok(Some(FieldValue::list(out)));
    }
    match shape.kind {
        ShapeKind::Leaf => Ok(Some(FieldValue::value(leaf_value(value)))),
        ShapeKind::Object => Ok(Some(FieldValue::borrowed_any(value))),
        ShapeKind::Abstract => {
            let concrete = typename(value, shape)?;
            Ok(Some(FieldValue::borrowed_any(value).with_type(concrete)))
        }
    }
}

/// An owned JSON value as a field value of the given shape (for root resolvers).
pub fn owned_json_field_value(
    value: serde_json::Value,
    shape: &OutputShape,
    list_depth: usize,
) -> Result<Option<FieldValue<'static>>, Error> {
    if value.is_null() {
        return Ok(None);
    }
    if list_depth > 0 {
        let serde_json::Value::Array(items) = value else {
            return Err(Error::new(format!(
                "expected a list of `{}`",
                shape.type_name
            )));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(
                owned_json_field_value(item, shape, list_depth - 1)?.unwrap_or(FieldValue::NULL),
            );
        }
        return Ok(Some(FieldValue::list(out)));
    }
    match shape.kind {
        ShapeKind::Leaf => Ok(Some(FieldValue::value(leaf_value(&value)))),
        ShapeKind::Object => Ok(Some(FieldValue::owned_any(value))),
        ShapeKind::Abstract => {
            let concrete = typename(&value, shape)?;
            Ok(Some(FieldValue::owned_any(value).with_type(concrete)))
        }
    }
}

fn typename(value: &serde_json::Value, shape: &OutputShape) -> Result<String, Error> {
    value
        .get("__typename")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::new(format!(
                "cannot tell which type implements `{}`: no `__typename`",
                shape.type_name
            ))
        })
}

/// A scalar or enum JSON value (enums arrive as strings; the schema coerces them).
fn leaf_value(value: &serde_json::Value) -> Value {
    Value::from_json(value.clone()).unwrap_or(Value::Null)
}
