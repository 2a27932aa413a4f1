//! Commerce's own MSI source items (`inventory_source_item`): quantity and status of a simple
//! product or variant in each source, as `POST /V1/inventory/source-items` writes them. This is
//! Commerce's side; the ERP/WMS ledger the connectors and feeds read is `crate::stock`, the
//! other system, which the back-office flows copy into these.
//!
//! Seeded SKUs start with the seeded quantity split over `wh-east`, `wh-west` and
//! `store-berlin` (the split the ERP's ledger starts from, less what the ERP holds for orders),
//! so they add up to Commerce's seeded salable quantity; the `default` source holds nothing.
//! Only written SKUs take memory. A written SKU's salable quantity is the sum of its in-stock
//! source items (status 1), less what orders reserved.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

use ahash::AHashMap;

use super::mix;

/// Commerce's sources: the `default` source every installation has (MSI cannot delete it),
/// then the seeded warehouses and store.
pub(crate) const SOURCES: [&str; 4] = ["default", "wh-east", "wh-west", "store-berlin"];

/// One source item of a SKU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SourceItem {
    pub quantity: f64,
    /// 1 in stock, 0 out of stock.
    pub status: u8,
}

/// A SKU's source items, in [`SOURCES`] order; `None` where it is not assigned.
pub(crate) type ItemSources = [Option<SourceItem>; 4];

/// Written source items, by simple product or variant entity id.
#[derive(Default)]
pub(crate) struct SourceItems {
    any: AtomicBool,
    by_item: RwLock<AHashMap<u32, ItemSources>>,
}

impl SourceItems {
    /// The source items written for `item`, if any were.
    pub fn written(&self, item: u32) -> Option<ItemSources> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let map = self.by_item.read().unwrap_or_else(PoisonError::into_inner);
        map.get(&item).copied()
    }

    /// Applies every change at once under one lock: `(item, sources before any write, source
    /// index, new value)`; `None` deletes the assignment.
    pub fn apply(&self, changes: &[(u32, ItemSources, usize, Option<SourceItem>)]) {
        let mut map = self.by_item.write().unwrap_or_else(PoisonError::into_inner);
        for &(item, initial, source, value) in changes {
            let sources = map.entry(item).or_insert(initial);
            if let Some(slot) = sources.get_mut(source) {
                *slot = value;
            }
        }
        self.any.store(true, Ordering::Release);
    }
}

/// Quantity on hand in a source and the part of it the ERP holds for orders, per seeded
/// source (`wh-east`, `wh-west`, `store-berlin`), of an item with seeded salable quantity
/// `qty`. The ERP's ledger (`crate::stock`) starts from the same split.
pub(crate) fn seeded_split(seed: u64, item: u32, qty: u32) -> [(u32, u32); 3] {
    let h = split_hash(seed, item);
    let mut sources = [(0, 0); 3];
    if qty == 0 {
        // A quarter of the sold-out SKUs still have goods on hand, all of them held.
        if h.is_multiple_of(4) {
            let held = (h >> 8) as u32 % 3 + 1;
            sources[0] = (held, held);
        }
    } else {
        let east = qty * ((h >> 8) as u32 % 21 + 40) / 100;
        let rest = qty - east;
        let berlin = if (h >> 16).is_multiple_of(3) {
            0
        } else {
            rest * ((h >> 20) as u32 % 31 + 20) / 100
        };
        let reserved = if east > 0 { (h >> 28) as u32 % 3 } else { 0 };
        sources[0] = (east + reserved, reserved);
        sources[1] = (rest - berlin, 0);
        sources[2] = (berlin, 0);
    }
    sources
}

/// The hash behind [`seeded_split`] (the ERP's ledger also dates its stock with it).
pub(crate) fn split_hash(seed: u64, item: u32) -> u64 {
    mix(seed ^ 0x570c_c0de ^ u64::from(item).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Commerce's seeded source items of an item with seeded salable quantity `qty`: the split's
/// salable part per seeded source, each assigned, in stock when it holds something.
pub(crate) fn seeded_items(seed: u64, item: u32, qty: u32) -> ItemSources {
    let split = seeded_split(seed, item, qty);
    let mut sources = [None; 4];
    for (slot, (on_hand, held)) in sources.iter_mut().skip(1).zip(split) {
        let quantity = on_hand.saturating_sub(held);
        *slot = Some(SourceItem {
            quantity: f64::from(quantity),
            status: u8::from(quantity > 0),
        });
    }
    sources
}

/// Commerce's salable quantity of written source items, before reservations: the in-stock
/// quantities' sum, whole units.
pub(crate) fn salable(sources: &ItemSources) -> u32 {
    let sum: f64 = sources
        .iter()
        .flatten()
        .filter(|s| s.status == 1 && s.quantity > 0.0)
        .map(|s| s.quantity)
        .sum();
    // Saturating float-to-int conversion; fractions of a unit are not salable.
    sum.floor() as u32
}
