//! Live stock: `live_stock` on Commerce's products (and, when configured, `stock_status` and
//! `only_x_left_in_stock` overwritten from it), from one batched inventory lookup per request
//! for the SKUs not fresh in the entity cache, through the source guard.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::cache::{EntityCache, Freshness, load_through};
use crate::config::InventoryConfig;
use crate::gateway::code;
use crate::gateway::extension::{
    FieldRequest, Merged, MergedData, MergedExtension, MergedValue, Product, SourceFailure,
};
use crate::sources::commerce::ForwardedHeaders;
use crate::sources::inventory::{Inventory, StockItem};
use crate::sources::resilience::{Guard, GuardSettings, SourceError, SourceHealth};

pub struct StockService {
    inventory: Option<Arc<dyn Inventory>>,
    guard: Guard,
    cache: EntityCache<String, Arc<CachedStock>>,
    max_batch: usize,
    overwrite_stock_status: bool,
    only_x_left_threshold: f64,
    max_age_secs: u64,
}

/// One SKU's stock as the inventory answered it, with its fresh `LiveStock` object built once
/// per answer rather than once per request.
struct CachedStock {
    item: StockItem,
    fresh: Arc<Value>,
}

impl CachedStock {
    fn new(item: StockItem) -> Self {
        let fresh = Arc::new(live_stock_json(&item, Freshness::Fresh));
        Self { item, fresh }
    }

    /// The `LiveStock` object for `freshness`.
    fn live_stock(&self, freshness: Freshness) -> Arc<Value> {
        match freshness {
            Freshness::Fresh => self.fresh.clone(),
            Freshness::Stale => Arc::new(live_stock_json(&self.item, freshness)),
        }
    }
}

/// Live stock for an answer's SKUs, and whether the inventory failed.
struct StockData {
    items: HashMap<String, (Arc<CachedStock>, Freshness)>,
    failed: bool,
    /// When the first of these answers stops being fresh (`None`: nothing was looked up).
    fresh_until: Option<Instant>,
    only_x_left_threshold: f64,
}

impl StockService {
    /// Drops the cached stock of `skus` (a job just changed it in Commerce), so the next
    /// request asks the inventory again instead of serving it until its TTL ends.
    pub async fn forget(&self, skus: &[String]) {
        self.cache.invalidate(skus).await;
    }

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
            overwrite_stock_status: config.overwrite_stock_status,
            only_x_left_threshold: config.only_x_left_threshold,
            max_age_secs: config.ttl_ms / 1000,
        }
    }

    /// Stock of `skus`: cached, else one lookup (split only past `max_batch`).
    async fn lookup(&self, skus: Vec<String>) -> StockData {
        if skus.is_empty() {
            return StockData {
                items: HashMap::new(),
                failed: false,
                fresh_until: None,
                only_x_left_threshold: self.only_x_left_threshold,
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
                    found.insert(item.sku.clone(), Arc::new(CachedStock::new(item)));
                }
            }
            Ok(found)
        })
        .await;
        StockData {
            items: loaded.values,
            failed: loaded.failure.is_some(),
            fresh_until: loaded.fresh_until,
            only_x_left_threshold: self.only_x_left_threshold,
        }
    }
}

#[async_trait::async_trait]
impl MergedExtension for StockService {
    fn source(&self) -> &'static str {
        "inventory"
    }

    fn fields(&self) -> &'static [&'static str] {
        &["live_stock"]
    }

    fn overwrites(&self) -> &'static [&'static str] {
        if self.overwrite_stock_status {
            &["stock_status", "only_x_left_in_stock"]
        } else {
            &[]
        }
    }

    fn max_age_secs(&self) -> u64 {
        self.max_age_secs
    }

    async fn fetch(&self, _caller: &ForwardedHeaders, skus: Vec<String>) -> Box<dyn MergedData> {
        Box::new(self.lookup(skus).await)
    }

    fn health(&self) -> Option<SourceHealth> {
        self.inventory.as_ref().map(|_| self.guard.health())
    }
}

impl StockData {
    fn item(&self, product: &Product) -> Option<&(Arc<CachedStock>, Freshness)> {
        self.items.get(product.sku.as_deref()?)
    }
}

impl MergedData for StockData {
    fn field(&self, _: &FieldRequest<'_>, product: &Product) -> Option<Merged> {
        let (cached, freshness) = self.item(product)?;
        Some(Merged {
            value: MergedValue::Unshaped(cached.live_stock(*freshness)),
            stale: *freshness == Freshness::Stale,
        })
    }

    fn overwrite(
        &self,
        field: &FieldRequest<'_>,
        product: &Product,
        _: &RawValue,
    ) -> Option<Merged> {
        let (cached, freshness) = self.item(product)?;
        let qty = cached.item.salable();
        let value = match field.name() {
            "stock_status" => Value::from(status(qty)),
            "only_x_left_in_stock" if qty <= self.only_x_left_threshold => Value::from(qty),
            "only_x_left_in_stock" => Value::Null,
            _ => return None,
        };
        Some(Merged {
            value: MergedValue::Shaped(value),
            stale: *freshness == Freshness::Stale,
        })
    }

    fn failure(&self) -> Option<SourceFailure> {
        self.failed.then_some(SourceFailure {
            code: code::INVENTORY_UNAVAILABLE,
            message: "Live inventory is unavailable: `live_stock` is null (or its last known value, marked STALE); `stock_status` and `only_x_left_in_stock` keep Commerce's own values.",
        })
    }

    fn fresh_until(&self) -> Option<Instant> {
        self.fresh_until
    }
}

fn status(qty: f64) -> &'static str {
    if qty > 0.0 {
        "IN_STOCK"
    } else {
        "OUT_OF_STOCK"
    }
}

/// The `LiveStock` object (keyed by schema field names).
fn live_stock_json(item: &StockItem, freshness: Freshness) -> Value {
    let sources: Vec<Value> = item
        .sources
        .iter()
        .map(|s| {
            json!({
                "__typename": "LiveStockSource",
                "source_code": s.source_code,
                "salable_qty": s.salable(),
                "status": status(s.salable()),
            })
        })
        .collect();
    let total = item.salable();
    json!({
        "__typename": "LiveStock",
        "salable_qty": total,
        "status": status(total),
        "sources": sources,
        "updated_at": item.updated_at,
        "freshness": freshness.as_str(),
    })
}
