//! Commerce's inventory reservations: placing an order lowers a SKU's salable quantity (the
//! seeded quantity minus what orders reserved), so `products` shows the new stock status right
//! away, as MSI does before any shipment. Keyed by the entity id of the simple product or
//! variant that was sold.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

use ahash::AHashMap;

/// Reserved quantities per simple product / variant id.
#[derive(Default)]
pub(crate) struct Reservations {
    /// Lets listings skip the lock while nothing was ever ordered (the common case).
    any: AtomicBool,
    by_item: RwLock<AHashMap<u32, u32>>,
}

impl Reservations {
    /// Units reserved for `item`.
    pub fn reserved(&self, item: u32) -> u32 {
        if !self.any.load(Ordering::Acquire) {
            return 0;
        }
        let map = self.by_item.read().unwrap_or_else(PoisonError::into_inner);
        map.get(&item).copied().unwrap_or(0)
    }

    /// Reserves every `(item, quantity, salable)` at once, or none when one of them has fewer
    /// than `quantity` units left (`salable` is the item's seeded quantity): an order never
    /// reserves part of its lines.
    pub fn reserve_all(&self, lines: &[(u32, u32, u32)]) -> bool {
        let mut map = self.by_item.write().unwrap_or_else(PoisonError::into_inner);
        let mut wanted: AHashMap<u32, (u32, u32)> = AHashMap::new();
        for &(item, quantity, seeded) in lines {
            let entry = wanted.entry(item).or_insert((0, seeded));
            entry.0 = entry.0.saturating_add(quantity);
        }
        let fits = wanted.iter().all(|(item, &(quantity, seeded))| {
            let already = map.get(item).copied().unwrap_or(0);
            already.saturating_add(quantity) <= seeded
        });
        if fits {
            for (item, (quantity, _)) in wanted {
                *map.entry(item).or_insert(0) += quantity;
            }
            self.any.store(true, Ordering::Release);
        }
        fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_reserves_all_of_its_lines_or_nothing() {
        let reservations = Reservations::default();
        assert_eq!(reservations.reserved(7), 0);
        assert!(reservations.reserve_all(&[(7, 2, 5), (8, 1, 1)]));
        assert_eq!(reservations.reserved(7), 2);
        assert!(
            !reservations.reserve_all(&[(7, 3, 5), (8, 1, 1)]),
            "8 is sold out"
        );
        assert_eq!(
            reservations.reserved(7),
            2,
            "nothing of a refused order is kept"
        );
        assert!(
            !reservations.reserve_all(&[(9, 2, 3), (9, 2, 3)]),
            "lines add up"
        );
    }
}
