//! Filling the slots of a shaped answer from the extensions' data: an extension field's value
//! (or `null`, with the source's error when it failed), an overwritten field's new value (or
//! Commerce's), and whether anything was served stale.

use serde_json::{Map, Value, json};

use super::plan::Role;
use super::shape::Slot;
use crate::gateway::extension::{FieldRequest, Merged, MergedData};

/// Everything the slots are filled from.
pub(crate) struct MergeInput<'a> {
    /// Per extension, in the order of the plan's indexes.
    pub(crate) data: &'a [Box<dyn MergedData>],
    pub(crate) variables: &'a Map<String, Value>,
}

/// The first place each failed source left a field empty, for its error.
#[derive(Debug, Default)]
pub(crate) struct MergeErrors {
    first_failures: Vec<(usize, Vec<Value>)>,
    /// Some merged value was served stale: the answer must not be cached downstream.
    pub(crate) stale: bool,
}

impl MergeErrors {
    fn note_failure(&mut self, extension: usize, path: &[Value]) {
        if !self.first_failures.iter().any(|(i, _)| *i == extension) {
            self.first_failures.push((extension, path.to_vec()));
        }
    }

    /// GraphQL errors for the failed sources, in the extensions' order.
    pub(crate) fn into_errors(mut self, data: &[Box<dyn MergedData>]) -> Vec<Value> {
        self.first_failures.sort_by_key(|(i, _)| *i);
        self.first_failures
            .into_iter()
            .filter_map(|(i, path)| {
                let failure = data.get(i)?.failure()?;
                Some(json!({
                    "message": failure.message,
                    "path": path,
                    "extensions": { "code": failure.code },
                }))
            })
            .collect()
    }
}

/// The value of a slot; `None` keeps Commerce's value.
pub(crate) fn resolve_slot(
    slot: &Slot<'_, '_>,
    input: &MergeInput<'_>,
    path: &[Value],
    errors: &mut MergeErrors,
) -> Option<Value> {
    let first = slot.fields.first()?;
    let request = FieldRequest::new(slot.fields.clone(), input.variables);
    match first.role {
        Role::Extension(i) => {
            let data = input.data.get(i)?;
            match data.field(&request, &slot.product) {
                Some(merged) => Some(take(merged, errors)),
                None => {
                    if data.failure().is_some() {
                        errors.note_failure(i, path);
                    }
                    Some(Value::Null)
                }
            }
        }
        Role::Overwrite(i) => {
            let merged = input
                .data
                .get(i)?
                .overwrite(&request, &slot.product, slot.commerce?)?;
            Some(take(merged, errors))
        }
        Role::Commerce { .. } => None,
    }
}

fn take(merged: Merged, errors: &mut MergeErrors) -> Value {
    errors.stale |= merged.stale;
    merged.value
}
