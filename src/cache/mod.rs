//! Caches (DESIGN §2.2): the response cache for Commerce-cacheable queries, and entity caches
//! for the data merged from other sources (stock per SKU, contract prices per company and SKU).

mod entity;
mod inflight;
mod response;

pub use entity::{EntityCache, Freshness, Loaded, load_through};
pub use inflight::InFlight;
pub use response::{
    CacheKey, CacheKeyBuilder, CachedMerged, CachedResponse, ResponseCache, StoredResponse,
    surrogate_key,
};
