//! Merging: the extensions' fields and overwrites applied to Commerce's answer (DESIGN §2.1
//! steps 2, 4, 5). The plan is built once per document; fields are collected per object as the
//! spec's CollectFields does; the data comes from the extensions (one batched fetch each per
//! request), whose values are shaped through the client's selection as the answer is written.

mod apply;
mod collect;
mod plan;
mod shape;

pub(crate) use apply::{MergeErrors, MergeInput};
pub(crate) use collect::{Collected, collect_fields, resolve_number};
pub use plan::MergedFields;
pub(crate) use plan::{MergePlan, PlannedField, build_merge_plan};
pub(crate) use shape::{ShapeContext, Shaped, shape, write};
