//! Merging: the BFF's extension fields and overwrites applied to Commerce's answer (DESIGN §2.1
//! steps 2, 4, 5). The plan is built once per document; the data comes from the sources
//! (batched: one call per source per request) through the entity caches.

mod apply;
mod lazy;
mod plan;

pub use apply::{MergeErrors, MergeInput, NeededSkus, PriceData, StockData, apply, collect_skus};
pub use lazy::Lazy;
pub use plan::{
    ExtensionKind, MergeNode, OverwriteSwitches, SKU_JOIN_KEY, build_merge_plan, overwrite_for,
};
