//! Entity caches for merged data: a value is fresh for a short TTL, then may still be served as
//! stale for a bounded window while its source fails. Unknown entities are cached too (as
//! `None`), so asking for them again costs no call until the TTL passes.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache;

use crate::sources::resilience::SourceError;

/// Whether a merged value came from the source within its TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "FRESH",
            Freshness::Stale => "STALE",
        }
    }
}

struct Entry<V> {
    value: Option<V>,
    fetched_at: Instant,
}

/// A TTL + stale-window cache of one kind of entity.
pub struct EntityCache<K, V> {
    entries: Cache<K, Arc<Entry<V>>>,
    ttl: Duration,
}

impl<K, V> EntityCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// `ttl`: served as fresh; `stale`: how much longer it may be served when the source fails.
    pub fn new(ttl: Duration, stale: Duration, max_entries: u64) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl + stale)
                .build(),
            ttl,
        }
    }

    /// Drops `keys`: the next request loads them from the source.
    pub async fn invalidate<'k>(&self, keys: impl IntoIterator<Item = &'k K>)
    where
        K: 'k,
    {
        for key in keys {
            self.entries.invalidate(key).await;
        }
    }

    async fn insert(&self, key: K, value: Option<V>) {
        self.entries
            .insert(
                key,
                Arc::new(Entry {
                    value,
                    fetched_at: Instant::now(),
                }),
            )
            .await;
    }
}

/// What [`load_through`] found: values per key (absent keys are unknown to the source, or
/// were not to be had), and the source's error when it failed.
pub struct Loaded<K, V> {
    pub values: HashMap<K, (V, Freshness)>,
    pub failure: Option<SourceError>,
    /// When the first of the answers (known or unknown entities) stops being fresh.
    pub fresh_until: Option<Instant>,
}

/// The values of `keys`: fresh ones from the cache, the others with one call of `load` (which
/// returns what the source knows). When `load` fails, stale entries stand in.
pub async fn load_through<K, V, F, Fut>(
    cache: &EntityCache<K, V>,
    keys: Vec<K>,
    load: F,
) -> Loaded<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    F: FnOnce(Vec<K>) -> Fut,
    Fut: Future<Output = Result<HashMap<K, V>, SourceError>>,
{
    let mut values = HashMap::with_capacity(keys.len());
    let mut missing = Vec::new();
    let mut stale: HashMap<K, Option<V>> = HashMap::new();
    let mut fresh_until: Option<Instant> = None;
    for key in keys {
        match cache.entries.get(&key).await {
            Some(entry) if entry.fetched_at.elapsed() < cache.ttl => {
                let until = entry.fetched_at + cache.ttl;
                fresh_until = Some(fresh_until.map_or(until, |u| u.min(until)));
                if let Some(v) = &entry.value {
                    values.insert(key, (v.clone(), Freshness::Fresh));
                }
            }
            Some(entry) => {
                stale.insert(key.clone(), entry.value.clone());
                missing.push(key);
            }
            None => missing.push(key),
        }
    }
    if missing.is_empty() {
        return Loaded {
            values,
            failure: None,
            fresh_until,
        };
    }
    match load(missing.clone()).await {
        Ok(mut found) => {
            for key in missing {
                let value = found.remove(&key);
                if let Some(v) = &value {
                    values.insert(key.clone(), (v.clone(), Freshness::Fresh));
                }
                cache.insert(key, value).await;
            }
            let until = Instant::now() + cache.ttl;
            Loaded {
                values,
                failure: None,
                fresh_until: Some(fresh_until.map_or(until, |u| u.min(until))),
            }
        }
        Err(failure) => {
            for (key, value) in stale {
                if let Some(v) = value {
                    values.insert(key, (v, Freshness::Stale));
                }
            }
            Loaded {
                values,
                failure: Some(failure),
                fresh_until: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fresh_entries_cost_no_call_and_stale_ones_stand_in_for_a_failed_source() {
        let cache: EntityCache<String, u32> =
            EntityCache::new(Duration::from_millis(30), Duration::from_secs(60), 100);
        let keys = || vec!["a".to_string(), "unknown".to_string()];
        let first = load_through(&cache, keys(), |asked| async move {
            assert_eq!(asked.len(), 2);
            Ok(HashMap::from([("a".to_string(), 1)]))
        })
        .await;
        assert_eq!(first.values.get("a"), Some(&(1, Freshness::Fresh)));
        assert!(!first.values.contains_key("unknown"));

        let cached = load_through(&cache, keys(), |_| async {
            panic!("a fresh entry went to the source")
        })
        .await;
        assert_eq!(cached.values.get("a"), Some(&(1, Freshness::Fresh)));

        tokio::time::sleep(Duration::from_millis(40)).await;
        let failed = load_through(&cache, keys(), |_| async {
            Err::<HashMap<String, u32>, _>(SourceError::Status(503))
        })
        .await;
        assert_eq!(failed.values.get("a"), Some(&(1, Freshness::Stale)));
        assert!(failed.failure.is_some());
    }
}
