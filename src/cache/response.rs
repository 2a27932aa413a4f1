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

/// What the cache keeps for one answer: the answer, and the response header derived from it,
/// built once when the entry is stored rather than on every hit.
#[derive(Debug)]
pub struct StoredResponse {
    pub response: CachedResponse,
    /// `Surrogate-Key` for CDNs: the tags, space-separated (`None` without tags).
    pub surrogate_key: Option<HeaderValue>,
}

impl CachedResponse {
    /// The same answer in memory of its own. A body or header value as the HTTP client read it
    /// is a slice of the connection's read buffer (kilobytes, holding the whole response): kept
    /// as it is, one small header value would keep that whole buffer alive for as long as the
    /// entry lives, which is memory the weigher cannot see.
    fn detached(self) -> Self {
        Self {
            body: Bytes::copy_from_slice(&self.body),
            cache_id: self
                .cache_id
                .map(|v| HeaderValue::from_bytes(v.as_bytes()).unwrap_or(v)),
            tags: self.tags,
        }
    }
}

impl StoredResponse {
    fn new(response: CachedResponse) -> Self {
        let response = response.detached();
        let surrogate_key = surrogate_key(&response.tags);
        Self {
            response,
            surrogate_key,
        }
    }
}

/// The `Surrogate-Key` header of an answer with these tags: space-separated, as Fastly and
/// Varnish expect; `None` without tags (or if a tag is not a header value).
pub fn surrogate_key(tags: &[String]) -> Option<HeaderValue> {
    if tags.is_empty() {
        return None;
    }
    HeaderValue::from_str(&tags.join(" ")).ok()
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

/// A stored merged answer and how long it stays fresh.
#[derive(Clone)]
struct MergedEntry {
    stored: Arc<StoredResponse>,
    ttl: Duration,
}

struct MergedExpiry;

impl moka::Expiry<CacheKey, MergedEntry> for MergedExpiry {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &MergedEntry,
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Bounded, tag-purgeable response cache. Cheap to clone.
#[derive(Clone)]
pub struct ResponseCache {
    entries: Cache<CacheKey, Arc<StoredResponse>>,
    /// Answers with merged data, keyed like Commerce's part (a distinct key space).
    merged: Cache<CacheKey, MergedEntry>,
}

/// What one entry costs beyond its body, tags and cache id: the 32-byte key, moka's node, its
/// place in the expiry and eviction structures, the stored answer's own structs and the
/// allocator's rounding. Measured: 100,000 distinct PDP answers (0.7–2.3 KB) through a 128 MiB
/// budget grew RSS by about 1.25× what the weigher counted with 320 here.
const ENTRY_OVERHEAD_BYTES: usize = 640;

/// The bytes an entry holds: body, tags (each `String` with its header), the cache id and the
/// fixed per-entry overhead, so that `cache.max_bytes` bounds the memory, not only the bodies.
fn weigh(entry: &CachedResponse) -> u32 {
    let tags: usize = entry
        .tags
        .iter()
        .map(|t| t.len() + std::mem::size_of::<String>())
        .sum();
    let cache_id = entry.cache_id.as_ref().map_or(0, |v| v.len());
    (entry.body.len() + tags + cache_id + ENTRY_OVERHEAD_BYTES).min(u32::MAX as usize) as u32
}

/// A stored entry: its answer and its ready-made `Surrogate-Key`.
fn weigh_stored(entry: &StoredResponse) -> u32 {
    let header = entry.surrogate_key.as_ref().map_or(0, |v| v.len());
    weigh(&entry.response).saturating_add(header.min(u32::MAX as usize) as u32)
}

impl ResponseCache {
    /// Commerce's answers get two thirds of `cache.max_bytes` and merged answers one third, so
    /// the two together stay within the one budget.
    pub fn new(config: &CacheConfig) -> Self {
        let merged_share = config.max_bytes / 3;
        let entries = Cache::builder()
            .max_capacity(config.max_bytes - merged_share)
            .weigher(|_k: &CacheKey, v: &Arc<StoredResponse>| weigh_stored(v))
            .time_to_live(Duration::from_secs(config.ttl_secs))
            .support_invalidation_closures()
            .build();
        let merged = Cache::builder()
            .max_capacity(merged_share)
            .weigher(|_k: &CacheKey, v: &MergedEntry| weigh_stored(&v.stored))
            .expire_after(MergedExpiry)
            .support_invalidation_closures()
            .build();
        Self { entries, merged }
    }

    /// A merged answer with its ready-made headers, while its live data is fresh.
    pub async fn get_merged(&self, key: &CacheKey) -> Option<Arc<StoredResponse>> {
        self.merged.get(key).await.map(|m| m.stored)
    }

    pub async fn insert_merged(&self, key: CacheKey, merged: CachedMerged) {
        if !merged.ttl.is_zero() {
            let entry = MergedEntry {
                stored: Arc::new(StoredResponse::new(merged.response)),
                ttl: merged.ttl,
            };
            self.merged.insert(key, entry).await;
        }
    }

    /// A stored answer with its ready-made headers (the hit path).
    pub async fn get(&self, key: &CacheKey) -> Option<Arc<StoredResponse>> {
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
        let entry = self
            .entries
            .entry(key)
            .or_try_insert_with(async { load.await.map(|r| Arc::new(StoredResponse::new(r))) })
            .await?;
        let fresh = entry.is_fresh();
        Ok((entry.into_value().response.clone(), !fresh))
    }

    /// Drops every entry tagged with any of `tags`; returns how many entries were checked
    /// against the purge (moka applies it lazily, but a purged entry is never served again).
    pub fn purge_tags(&self, tags: Vec<String>) -> Result<(), moka::PredicateError> {
        let shared: Arc<[String]> = tags.into();
        let for_merged = shared.clone();
        self.entries.invalidate_entries_if(move |_, v| {
            v.response.tags.iter().any(|t| shared.contains(t))
        })?;
        self.merged.invalidate_entries_if(move |_, v| {
            v.stored
                .response
                .tags
                .iter()
                .any(|t| for_merged.contains(t))
        })?;
        Ok(())
    }

    /// Drops every entry whose comma-joined tags match `pattern`, as Varnish's
    /// `ban("obj.http.X-Magento-Tags ~ " + pattern)` does for Commerce's `PURGE`.
    pub fn purge_matching(&self, pattern: regex::Regex) -> Result<(), moka::PredicateError> {
        let pattern = Arc::new(pattern);
        let for_merged = pattern.clone();
        self.entries
            .invalidate_entries_if(move |_, v| pattern.is_match(&v.response.tags.join(",")))?;
        self.merged.invalidate_entries_if(move |_, v| {
            for_merged.is_match(&v.stored.response.tags.join(","))
        })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body_bytes: usize, tags: usize) -> CachedResponse {
        CachedResponse {
            body: Bytes::from(vec![b'x'; body_bytes]),
            cache_id: Some(HeaderValue::from_static("0123456789abcdef")),
            tags: (0..tags).map(|i| format!("cat_p_{i}")).collect(),
        }
    }

    #[test]
    fn an_entry_weighs_its_tags_cache_id_and_bookkeeping_not_only_its_body() {
        let bare = weigh(&answer(1_000, 0)) as usize;
        assert_eq!(bare, 1_000 + 16 + ENTRY_OVERHEAD_BYTES);
        let tagged = weigh(&answer(1_000, 100)) as usize;
        assert!(
            tagged >= bare + 100 * (std::mem::size_of::<String>() + "cat_p_0".len()),
            "100 tags must count: {tagged} vs {bare}"
        );
    }

    #[tokio::test]
    async fn a_stored_entry_keeps_no_part_of_the_buffer_it_was_read_from() {
        // As the HTTP client reads them, the body and header values are slices of one buffer.
        let buffer = Bytes::from(vec![b'a'; 64 * 1024]);
        let read = || CachedResponse {
            body: buffer.slice(1_000..3_000),
            cache_id: HeaderValue::from_maybe_shared(buffer.slice(..64)).ok(),
            tags: Arc::from(vec!["cat_p_1".to_string()]),
        };
        let cache = ResponseCache::new(&CacheConfig::default());
        let key = CacheKeyBuilder::default().part(b"pdp").finish();
        let _ = cache.get_or_load(key, async { Ok::<_, ()>(read()) }).await;
        cache
            .insert_merged(
                key,
                CachedMerged {
                    response: read(),
                    ttl: Duration::from_secs(60),
                },
            )
            .await;
        let stored = cache.get(&key).await.expect("stored");
        assert_eq!(stored.response.body.len(), 2_000);
        assert!(cache.get_merged(&key).await.is_some());
        // The only reference left to the 64 KiB buffer is ours: the cache holds copies, so the
        // weigher's count is what the entry really keeps alive.
        assert!(
            buffer.is_unique(),
            "a cached entry still refers to the read buffer"
        );
    }

    #[tokio::test]
    async fn commerce_and_merged_answers_together_stay_within_the_budget() {
        let config = CacheConfig {
            max_bytes: 300_000,
            ..CacheConfig::default()
        };
        let cache = ResponseCache::new(&config);
        for i in 0u32..2_000 {
            let key = CacheKeyBuilder::default().part(&i.to_le_bytes()).finish();
            let _ = cache
                .get_or_load(key, async { Ok::<_, ()>(answer(1_000, 30)) })
                .await;
            cache
                .insert_merged(
                    key,
                    CachedMerged {
                        response: answer(2_000, 30),
                        ttl: Duration::from_secs(60),
                    },
                )
                .await;
        }
        cache.entries.run_pending_tasks().await;
        cache.merged.run_pending_tasks().await;
        let held = cache.entries.weighted_size() + cache.merged.weighted_size();
        assert!(
            held <= config.max_bytes,
            "{held} bytes held for a budget of {}",
            config.max_bytes
        );
        assert!(held > config.max_bytes / 2, "the budget is used: {held}");
    }
}
