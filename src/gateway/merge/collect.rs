//! Field collection per object, as the spec's CollectFields does it: the fields of a flattened
//! selection set that apply to the object's type and pass their `@skip`/`@include`, grouped by
//! response key in the order each key first occurs. Several selection sets (a key selected more
//! than once) collect into one grouping, which is how sub-selections merge.

use async_graphql_value::Value;
use serde_json::Map;

use super::plan::{Condition, PlannedField};

/// The fields of one response key on one object, in document order.
pub(crate) struct Collected<'p> {
    pub(crate) key: &'p str,
    /// The first of the fields (also in `fields`).
    first: &'p PlannedField,
    pub(crate) fields: Vec<&'p PlannedField>,
}

impl<'p> Collected<'p> {
    /// The first of the fields: it fixes the key's name, arguments and role.
    pub(crate) fn first(&self) -> &'p PlannedField {
        self.first
    }

    /// The merged sub-selection: every field's selection set, in order.
    pub(crate) fn selections(&self) -> Vec<&'p [PlannedField]> {
        self.fields.iter().map(|f| f.selection.as_slice()).collect()
    }
}

/// Collects `sets` for an object of type `typename`.
pub(crate) fn collect_fields<'p>(
    sets: &[&'p [PlannedField]],
    typename: &str,
    variables: &Map<String, serde_json::Value>,
) -> Vec<Collected<'p>> {
    let mut out: Vec<Collected<'p>> = Vec::new();
    for field in sets.iter().flat_map(|set| set.iter()) {
        if !applies(field, typename, variables) {
            continue;
        }
        match out.iter_mut().find(|c| c.key == field.response_key) {
            Some(collected) => collected.fields.push(field),
            None => out.push(Collected {
                key: &field.response_key,
                first: field,
                fields: vec![field],
            }),
        }
    }
    out
}

fn applies(
    field: &PlannedField,
    typename: &str,
    variables: &Map<String, serde_json::Value>,
) -> bool {
    field
        .type_conditions
        .iter()
        .all(|admitted| admitted.iter().any(|t| t == typename))
        && field.conditions.iter().all(|c| holds(c, variables))
}

/// `@include(if:)` is true / `@skip(if:)` is not true (a variable counts only when it is `true`).
fn holds(condition: &Condition, variables: &Map<String, serde_json::Value>) -> bool {
    let flag = match &condition.value {
        Value::Boolean(b) => *b,
        Value::Variable(name) => {
            variables.get(name.as_str()) == Some(&serde_json::Value::Bool(true))
        }
        _ => false,
    };
    flag == condition.include
}

/// A number argument: a literal, or a variable's value; `None` when absent or `null`.
pub(crate) fn resolve_number(
    value: &Value,
    variables: &Map<String, serde_json::Value>,
) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Variable(name) => variables.get(name.as_str())?.as_f64(),
        _ => None,
    }
}
