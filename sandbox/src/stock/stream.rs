//! The simulated order stream that keeps stock moving: each step, one to three random SKUs
//! (simple products or variants, drawn from the seed's generator) sell one to three units from
//! the sources holding the most salable stock, and SKUs that are or become sold out are
//! restocked [`RESTOCK_AFTER_STEPS`] steps later with 20 to 80 units in one source. Every change
//! stamps `updated_at`.
//!
//! The sandbox's server runs a step every [`crate::ORDER_STREAM_INTERVAL`] unless
//! `SandboxConfig::order_stream` is off; tests step it by hand. With the same seed and the
//! same sequence of steps, the same SKUs move.

use std::collections::VecDeque;
use std::sync::PoisonError;

use ahash::AHashSet;
use fastrand::Rng;

use super::{Inventory, item_id};
use crate::catalog::{Catalog, Variant};

/// Steps between a SKU selling out (or a sale finding it sold out) and its restock: 10 s at
/// the default interval.
pub(crate) const RESTOCK_AFTER_STEPS: u64 = 40;

/// The stream's own state: its generator, step count and pending restocks.
pub(super) struct OrderStream {
    rng: Rng,
    step: u64,
    /// (due step, product index, variant), in due order.
    restocks: VecDeque<(u64, u32, Option<Variant>)>,
    /// Ids with a restock pending.
    scheduled: AHashSet<u32>,
}

impl OrderStream {
    pub fn new(seed: u64) -> OrderStream {
        OrderStream {
            rng: Rng::with_seed(seed ^ 0x0bde_5717_ea11),
            step: 0,
            restocks: VecDeque::new(),
            scheduled: AHashSet::new(),
        }
    }

    fn schedule_restock(&mut self, catalog: &Catalog, product: u32, variant: Option<Variant>) {
        if self.scheduled.insert(item_id(catalog, product, variant)) {
            let due = self.step + RESTOCK_AFTER_STEPS;
            self.restocks.push_back((due, product, variant));
        }
    }
}

impl Inventory {
    /// One step of the order stream; the SKUs whose stock changed, each once.
    pub fn step(&self, catalog: &Catalog) -> Vec<String> {
        let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        let mut changed = self.changed.write().unwrap_or_else(PoisonError::into_inner);
        let now = crate::clock::now();
        stream.step += 1;
        let mut moved: Vec<(u32, Option<Variant>)> = Vec::new();

        while let Some(&(due, product, variant)) = stream.restocks.front() {
            if due > stream.step {
                break;
            }
            stream.restocks.pop_front();
            let id = item_id(catalog, product, variant);
            stream.scheduled.remove(&id);
            let mut stock = self.item_stock(&changed, catalog, product, variant);
            if stock.salable() > 0 {
                continue;
            }
            let source = stream.rng.usize(..stock.sources.len());
            stock.sources[source].quantity += stream.rng.u32(20..=80);
            stock.updated_at = now;
            changed.insert(id, stock);
            moved.push((product, variant));
        }

        // Seeded products only: the appended product types are not in the ERP's order stream.
        let products = catalog.seeded_products();
        if products > 0 {
            for _ in 0..stream.rng.u32(1..=3) {
                let product = stream.rng.u32(..products);
                let variant = catalog
                    .product(product)
                    .configurable
                    .as_ref()
                    .and_then(|m| m.variant(stream.rng.u16(..m.variant_count() as u16)));
                let mut stock = self.item_stock(&changed, catalog, product, variant);
                let salable = stock.salable();
                if salable == 0 {
                    stream.schedule_restock(catalog, product, variant);
                    continue;
                }
                let mut units = stream.rng.u32(1..=3).min(salable);
                while units > 0 {
                    let Some(source) = stock.sources.iter_mut().max_by_key(|s| s.salable()) else {
                        break;
                    };
                    let take = units.min(source.salable());
                    source.quantity -= take;
                    units -= take;
                }
                stock.updated_at = now;
                changed.insert(item_id(catalog, product, variant), stock);
                moved.push((product, variant));
                if stock.salable() == 0 {
                    stream.schedule_restock(catalog, product, variant);
                }
            }
        }

        let mut seen = AHashSet::new();
        moved
            .into_iter()
            .filter(|&(p, v)| seen.insert(item_id(catalog, p, v)))
            .map(|(p, v)| match v {
                Some(v) => catalog.variant_sku(p, v),
                None => catalog.product(p).sku.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::SOURCES;
    use super::*;

    fn fixture(seed: u64) -> (Catalog, Inventory) {
        (
            Catalog::seed(300, 50, seed),
            Inventory::new(seed, 1_700_000_000),
        )
    }

    #[test]
    fn each_step_sells_a_few_units_and_stamps_the_time() {
        let (catalog, inventory) = fixture(7);
        let stamps: Vec<u64> = (0..20)
            .flat_map(|_| inventory.step(&catalog))
            .map(|sku| inventory.lookup(&catalog, [sku.as_str()])[0].1.updated_at)
            .collect();
        assert!(!stamps.is_empty(), "twenty steps move something");
        assert!(stamps.iter().all(|&t| t > 1_700_000_000));
    }

    #[test]
    fn a_sale_lowers_salable_stock_by_one_to_three_units() {
        let (catalog, inventory) = fixture(11);
        let reference = Inventory::new(11, 1_700_000_000);
        for _ in 0..10 {
            for sku in inventory.step(&catalog) {
                let now = inventory.lookup(&catalog, [sku.as_str()])[0].1.salable();
                let seeded = reference.lookup(&catalog, [sku.as_str()])[0].1.salable();
                assert!(now < seeded || seeded == 0, "{sku}: {seeded} → {now}");
            }
        }
    }

    #[test]
    fn the_same_seed_moves_the_same_skus() {
        let (catalog, a) = fixture(5);
        let b = Inventory::new(5, 1_700_000_000);
        for _ in 0..5 {
            assert_eq!(a.step(&catalog), b.step(&catalog));
        }
    }

    #[test]
    fn sold_out_skus_are_restocked_after_a_while() {
        let (catalog, inventory) = fixture(3);
        let sku = catalog
            .products
            .iter()
            .find(|p| p.configurable.is_none())
            .map(|p| p.sku.clone())
            .expect("a simple product");
        for source in SOURCES {
            assert!(inventory.set(&catalog, &sku, source, 0));
        }
        let (product, _) = catalog.item_by_sku(&sku).expect("known");
        inventory
            .stream
            .lock()
            .expect("stream")
            .schedule_restock(&catalog, product, None);
        for _ in 1..RESTOCK_AFTER_STEPS {
            inventory.step(&catalog);
        }
        assert_eq!(inventory.lookup(&catalog, [sku.as_str()])[0].1.salable(), 0);
        let moved = inventory.step(&catalog);
        assert!(moved.contains(&sku), "{moved:?}");
        let restocked = inventory.lookup(&catalog, [sku.as_str()])[0].1.salable();
        assert!((20 - 3 * 3..=80).contains(&restocked), "{restocked}");
    }
}
