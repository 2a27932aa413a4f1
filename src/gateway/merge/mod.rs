//! Merging: the BFF's extension fields and overwrites applied to Commerce's answer (DESIGN §2.1
//! steps 2, 4, 5). The plan is built once per document; fields are collected per object as the
//! spec's CollectFields does; the data comes from the sources (batched: one call per source per
//! request) through the entity caches.

mod apply;
mod collect;
mod plan;
mod shape;

pub use apply::{MergeErrors, MergeInput, NeededSkus, PriceData, StockData};
pub use plan::{MergePlan, OverwriteSwitches, build_merge_plan, overwrite_for};
pub use shape::{ShapeContext, Shaped, shape, write};
