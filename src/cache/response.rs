//! The response cache for Commerce-cacheable queries: moka in memory, bounded by
//! bytes, expiring by TTL, purged by Commerce's `X-Magento-Tags`, with single-flight loading so
//! concurrent identical misses make one upstream call.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use bytes::Bytes;
use moka::future::Cache;
use sha2::{Digest, Sha256};

use crate::config::CacheConfig;

/// A cached answer: Commerce's body as it came, and what is needed to answer from it.
#[derive(Debug, Clone)]
pub struct CachedResponse {
    pub body: Bytes,
    pub cache_id: Option<HeaderValue>,
    pub tags: Arc<[String]>,
}

/// The key of one cached answer: a SHA-256 over everything that can change it.
pub type CacheKey = [u8; 32];

/// Builds a [`CacheKey`] from its parts, each length-prefixed so parts cannot run together.
#[derive(Default)]
pub struct CacheKeyBuilder(Sha256);

impl CacheKeyBuilder {
    pub fn part(mut self, part: &[u8]) -> Self {
        self.0.update((part.len() as u64).to_le_bytes());
        self.0.update(part);
        self
    }

    pub fn optional(self, part: Option<&[u8]>) -> Self {
        match part {
            Some(p) => self.part(b"1").part(p),
            None => self.part(b"0"),
        }
    }

    pub fn finish(self) -> CacheKey {
        self.0.finalize().into()
    }
}

/// A merged answer (Commerce's plus live data), kept only as long as its freshest part allows.
#[derive(Debug, Clone)]
pub struct CachedMerged {
    pub response: CachedResponse,
    /// How long the merged data in it stays fresh.
    pub ttl: Duration,
}

struct MergedExpiry;

impl moka::Expiry<CacheKey, CachedMerged> for MergedExpiry {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &CachedMerged,
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Bounded, tag-purgeable response cache. Cheap to clone.
#[derive(Clone)]
pub struct ResponseCache {
    entries: Cache<CacheKey, CachedResponse>,
    /// Answers with merged data, keyed like Commerce's part (a distinct key space).
    merged: Cache<CacheKey, CachedMerged>,
}

impl ResponseCache {
    pub fn new(config: &CacheConfig) -> Self {
        let entries = Cache::builder()
            .max_capacity(config.max_bytes)
            .weigher(|_k: &CacheKey, v: &CachedResponse| {
                (v.body.len() + 128).min(u32::MAX as usize) as u32
            })
            .time_to_live(Duration::from_secs(config.ttl_secs))
            .support_invalidation_closures()
            .build();
        let merged = Cache::builder()
            .max_capacity(config.max_bytes / 2)
            .weigher(|_k: &CacheKey, v: &CachedMerged| {
                (v.response.body.len() + 128).min(u32::MAX as usize) as u32
            })
            .expire_after(MergedExpiry)
            .support_invalidation_closures()
            .build();
        Self { entries, merged }
    }

    /// A merged answer, while its live data is fresh.
    pub async fn get_merged(&self, key: &CacheKey) -> Option<CachedResponse> {
        self.merged.get(key).await.map(|m| m.response)
    }

    pub async fn insert_merged(&self, key: CacheKey, merged: CachedMerged) {
        if !merged.ttl.is_zero() {
            self.merged.insert(key, merged).await;
        }
    }

    pub async fn get(&self, key: &CacheKey) -> Option<CachedResponse> {
        self.entries.get(key).await
    }

    /// Returns the cached answer or runs `load` once for all concurrent callers of the same
    /// key; an `Err` is shared with the waiting callers but never stored.
    pub async fn get_or_load<E, F>(
        &self,
        key: CacheKey,
        load: F,
    ) -> Result<(CachedResponse, bool), Arc<E>>
    where
        F: Future<Output = Result<CachedResponse, E>>,
        E: Send + Sync + 'static,
    {
        let entry = self.entries.entry(key).or_try_insert_with(load).await?;
        let fresh = entry.is_fresh();
        Ok((entry.into_value(), !fresh))
    }

    /// Drops every entry tagged with any of `tags`; returns how many entries were checked
    /// against the purge (moka applies it lazily, but a purged entry is never served again).
    pub fn purge_tags(&self, tags: Vec<String>) -> Result<(), moka::PredicateError> {
        let shared: Arc<[String]> = tags.into();
        let for_merged = shared.clone();
        self.entries
            .invalidate_entries_if(move |_, v| v.tags.iter().any(|t| shared.contains(t)))?;
        self.merged.invalidate_entries_if(move |_, v| {
            v.response.tags.iter().any(|t| for_merged.contains(t))
        })?;
        Ok(())
    }

    /// Drops every entry whose comma-joined tags match `pattern`, as Varnish's
    /// `ban("obj.http.X-Magento-Tags ~ " + pattern)` does for Commerce's `PURGE`.
    pub fn purge_matching(&self, pattern: regex::Regex) -> Result<(), moka::PredicateError> {
        let pattern = Arc::new(pattern);
        let for_merged = pattern.clone();
        self.entries
            .invalidate_entries_if(move |_, v| pattern.is_match(&v.tags.join(",")))?;
        self.merged
            .invalidate_entries_if(move |_, v| for_merged.is_match(&v.response.tags.join(",")))?;
        Ok(())
    }

    /// Drops everything.
    pub fn purge_all(&self) {
        self.entries.invalidate_all();
        self.merged.invalidate_all();
    }

    /// Entries currently held (approximate until pending maintenance runs).
    pub fn len(&self) -> u64 {
        self.entries.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
