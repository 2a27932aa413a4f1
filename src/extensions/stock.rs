//! Live stock: one batched inventory lookup per request for the SKUs not fresh in the entity
//! cache, through the source guard.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;

use crate::cache::{EntityCache, load_through};
use crate::config::InventoryConfig;
use crate::gateway::merge::StockData;
use crate::sources::inventory::{Inventory, StockItem};
use crate::sources::resilience::{Guard, GuardSettings, SourceError, SourceHealth};

pub struct StockService {
    inventory: Option<Arc<dyn Inventory>>,
    guard: Guard,
    cache: EntityCache<String, StockItem>,
    max_batch: usize,
}

impl StockService {
    pub fn new(inventory: Option<Arc<dyn Inventory>>, config: &InventoryConfig) -> Self {
        Self {
            inventory,
            guard: Guard::new(
                "inventory",
                GuardSettings {
                    deadline: Duration::from_millis(config.timeout_ms),
                    retries: config.retries,
                    breaker_failures: config.breaker_failures,
                    breaker_open: Duration::from_millis(config.breaker_open_ms),
                },
            ),
            cache: EntityCache::new(
                Duration::from_millis(config.ttl_ms),
                Duration::from_millis(config.stale_ms),
                200_000,
            ),
            max_batch: config.max_batch,
        }
    }

    /// Stock of `skus`: cached, else one lookup (split only past `max_batch`).
    pub async fn fetch(&self, skus: Vec<String>) -> StockData {
        if skus.is_empty() {
            return StockData {
                items: HashMap::new(),
                failed: false,
                fresh_until: None,
            };
        }
        let loaded = load_through(&self.cache, skus, |missing| async move {
            let inventory = self.inventory.as_ref().ok_or(SourceError::NotConfigured)?;
            let answers = join_all(
                missing
                    .chunks(self.max_batch)
                    .map(|chunk| self.guard.call(move || inventory.lookup(chunk))),
            )
            .await;
            let mut found = HashMap::new();
            for answer in answers {
                for item in answer? {
                    found.insert(item.sku.clone(), item);
                }
            }
            Ok(found)
        })
        .await;
        StockData {
            items: loaded.values,
            failed: loaded.failure.is_some(),
            fresh_until: loaded.fresh_until,
        }
    }

    pub fn health(&self) -> Option<SourceHealth> {
        self.inventory.as_ref().map(|_| self.guard.health())
    }
}
