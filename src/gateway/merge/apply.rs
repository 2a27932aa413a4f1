//! Filling the slots of a shaped answer from the extensions' data: an extension field's value
//! (or `null`, with the source's error when it failed), an overwritten field's new value (or
//! Commerce's), and whether anything was served stale.

use serde_json::{Map, Value, json};

use super::plan::Role;
use super::shape::Slot;
use crate::gateway::extension::{FieldRequest, MergedData, MergedValue};

/// Everything the slots are filled from.
pub(crate) struct MergeInput<'a> {
    /// Per extension, in the order of the plan's indexes.
    pub(crate) data: &'a [Box<dyn MergedData>],
    pub(crate) variables: &'a Map<String, Value>,
}

/// One step of a response path: a response key or a list index (made a JSON value only for an
/// error).
#[derive(Debug, Clone, Copy)]
pub(crate) enum PathSegment<'p> {
    Key(&'p str),
    Index(usize),
}

/// The first place each failed source left a field empty, for its error.
#[derive(Debug, Default)]
pub(crate) struct MergeErrors {
    first_failures: Vec<(usize, Vec<Value>)>,
    /// Some merged value was served stale: the answer must not be cached downstream.
    pub(crate) stale: bool,
}

impl MergeErrors {
    fn note_failure(&mut self, extension: usize, path: &[PathSegment<'_>]) {
        if !self.first_failures.iter().any(|(i, _)| *i == extension) {
            let path = path
                .iter()
                .map(|segment| match segment {
                    PathSegment::Key(key) => Value::from(*key),
                    PathSegment::Index(i) => Value::from(*i),
                })
                .collect();
            self.first_failures.push((extension, path));
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

/// Writes the value of a slot: the extension's, or Commerce's when the extension keeps it.
pub(crate) fn write_slot(
    slot: &Slot<'_, '_>,
    input: &MergeInput<'_>,
    path: &[PathSegment<'_>],
    errors: &mut MergeErrors,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let Some(first) = slot.fields.first() else {
        return write_commerce(slot, out);
    };
    let request = FieldRequest::new(slot.fields.clone(), input.variables);
    let merged = match first.role {
        Role::Extension(i) => {
            let Some(data) = input.data.get(i) else {
                return write_commerce(slot, out);
            };
            match data.field(&request, &slot.product) {
                Some(merged) => merged,
                None => {
                    if data.failure().is_some() {
                        errors.note_failure(i, path);
                    }
                    out.extend_from_slice(b"null");
                    return Ok(());
                }
            }
        }
        Role::Overwrite(i) => {
            let merged = slot.commerce.and_then(|commerce| {
                input
                    .data
                    .get(i)?
                    .overwrite(&request, &slot.product, commerce)
            });
            match merged {
                Some(merged) => merged,
                None => return write_commerce(slot, out),
            }
        }
        Role::Commerce { .. } => return write_commerce(slot, out),
    };
    errors.stale |= merged.stale;
    match &merged.value {
        MergedValue::Shaped(value) => serde_json::to_writer(&mut *out, value),
        MergedValue::Unshaped(value) => request.write_projected(value, out),
    }
}

/// Commerce's value of the slot (`null` when it had none).
fn write_commerce(slot: &Slot<'_, '_>, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match slot.commerce {
        Some(raw) => out.extend_from_slice(raw.get().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    Ok(())
}
