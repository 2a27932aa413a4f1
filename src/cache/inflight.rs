//! In-flight deduplication: concurrent identical requests share one upstream call even when
//! nothing is cached (the response cache off, or an answer that may not be stored). Nothing is
//! kept once the call settles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::CacheKey;

pub struct InFlight<V> {
    calls: Mutex<HashMap<CacheKey, Arc<OnceCell<V>>>>,
}

impl<V: Clone> Default for InFlight<V> {
    fn default() -> Self {
        Self {
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> InFlight<V> {
    /// Runs `call` unless an identical one is in flight, then shares its result. When the caller
    /// running it goes away, a waiting caller takes over.
    pub async fn run<F: Future<Output = V>>(&self, key: CacheKey, call: F) -> V {
        let cell = self
            .calls
            .lock()
            .map(|mut calls| calls.entry(key).or_default().clone())
            .ok();
        // A poisoned map (a panic elsewhere mid-insert) only costs the deduplication.
        let Some(cell) = cell else {
            return call.await;
        };
        let value = cell.get_or_init(|| call).await.clone();
        if let Ok(mut calls) = self.calls.lock()
            && calls.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell))
        {
            calls.remove(&key);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_identical_calls_run_once_and_later_ones_run_again() {
        let flights: InFlight<u32> = InFlight::default();
        let runs = AtomicU32::new(0);
        let call = || async {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            7
        };
        let results =
            futures_util::future::join_all((0..5).map(|_| flights.run([1; 32], call()))).await;
        assert_eq!(results, vec![7; 5]);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        flights.run([1; 32], call()).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2, "a settled call was kept");
    }
}
