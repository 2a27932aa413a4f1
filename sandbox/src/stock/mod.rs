//! The ERP/WMS stock ledger behind the inventory connector: on-hand and reserved quantities of
//! every simple product and variant in three Commerce MSI sources, and when each last changed.
//!
//! Seeded stock is derived from the seed on demand, never stored: a SKU's salable quantities
//! across the sources add up to what Commerce reports for it (`stock_status`,
//! `only_x_left_in_stock`), so the two agree until the order stream (`stream`) or a test moves
//! them apart. Only changed SKUs take memory, in one map behind a read-write lock that lookups
//! hold for a whole batch. A configurable parent has no stock of its own: it reports the sum of
//! its variants per source, changed when its latest variant changed.
//!
//! Seeded shape: every SKU lists all three sources; about a third hold nothing in
//! `store-berlin`; some carry reservations; a quarter of the sold-out SKUs are sold out because
//! everything on hand is reserved. `updated_at` of unchanged stock lies up to two days before
//! the sandbox started.

mod stream;

use std::sync::{Mutex, PoisonError, RwLock};

use ahash::AHashMap;

use crate::catalog::types::Kind;
use crate::catalog::{Catalog, Variant, source_items};
use crate::clock::DAY;

/// Commerce MSI source codes, in the order every answer lists them.
pub(crate) const SOURCES: [&str; 3] = ["wh-east", "wh-west", "store-berlin"];

/// One source's stock of one SKU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SourceStock {
    /// Physically on hand.
    pub quantity: u32,
    /// Held for open orders (part of `quantity`).
    pub reserved: u32,
}

impl SourceStock {
    pub fn salable(&self) -> u32 {
        self.quantity.saturating_sub(self.reserved)
    }
}

/// A SKU's stock in every source, in [`SOURCES`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SkuStock {
    pub sources: [SourceStock; 3],
    /// Unix seconds of the last change.
    pub updated_at: u64,
}

impl SkuStock {
    pub fn salable(&self) -> u32 {
        self.sources.iter().map(SourceStock::salable).sum()
    }
}

/// The ledger.
pub(crate) struct Inventory {
    seed: u64,
    /// Unix seconds when the sandbox started.
    started_at: u64,
    /// Stock changed since seeding, by product or variant id.
    changed: RwLock<AHashMap<u32, SkuStock>>,
    stream: Mutex<stream::OrderStream>,
}

impl Inventory {
    pub fn new(seed: u64, started_at: u64) -> Inventory {
        Inventory {
            seed,
            started_at,
            changed: RwLock::new(AHashMap::new()),
            stream: Mutex::new(stream::OrderStream::new(seed)),
        }
    }

    /// Stock of the SKUs a lookup names, in request order, each once; unknown SKUs are left out,
    /// and so are bundles (the ERP stocks their selections, not the bundle). One read lock for
    /// the whole batch.
    pub fn lookup<'s>(
        &self,
        catalog: &Catalog,
        skus: impl IntoIterator<Item = &'s str>,
    ) -> Vec<(&'s str, SkuStock)> {
        let changed = self.changed.read().unwrap_or_else(PoisonError::into_inner);
        let mut seen = ahash::AHashSet::new();
        skus.into_iter()
            .filter(|sku| seen.insert(*sku))
            .filter_map(|sku| {
                let (product, variant) = catalog.item_by_sku(sku)?;
                if matches!(catalog.product(product).kind, Kind::Bundle(_)) {
                    return None;
                }
                Some((sku, self.stock_in(&changed, catalog, product, variant)))
            })
            .collect()
    }

    /// How many SKUs changed since seeding.
    #[cfg(test)]
    pub fn changed_skus(&self) -> usize {
        self.changed.read().map_or(0, |c| c.len())
    }

    /// Sets one source's on-hand quantity of a simple product or variant and clears its
    /// reservations; `false` when the SKU or source is unknown or names a configurable parent.
    pub fn set(&self, catalog: &Catalog, sku: &str, source_code: &str, quantity: u32) -> bool {
        let Some(source) = SOURCES.iter().position(|s| *s == source_code) else {
            return false;
        };
        let Some((product, variant)) = catalog.item_by_sku(sku) else {
            return false;
        };
        if variant.is_none() && catalog.product(product).configurable.is_some() {
            return false;
        }
        let mut changed = self.changed.write().unwrap_or_else(PoisonError::into_inner);
        let id = item_id(catalog, product, variant);
        let mut stock = self.item_stock(&changed, catalog, product, variant);
        stock.sources[source] = SourceStock {
            quantity,
            reserved: 0,
        };
        stock.updated_at = crate::clock::now();
        changed.insert(id, stock);
        true
    }

    /// Runs `read` over the ledger under one read lock: the ERP's stock feeds page through it
    /// and must see one consistent state per page.
    pub fn read<R>(&self, catalog: &Catalog, read: impl FnOnce(&Ledger<'_>) -> R) -> R {
        let changed = self.changed.read().unwrap_or_else(PoisonError::into_inner);
        read(&Ledger {
            inventory: self,
            catalog,
            changed: &changed,
        })
    }

    /// When the seeded stock of item `id` (a product's or variant's entity id) last changed,
    /// in Unix seconds: what `updated_at` says until the item moves. Always before the start,
    /// so a delta asked `since` the start holds only what moved since.
    pub fn seeded_updated_at(&self, id: u32) -> u64 {
        let before = 1 + (seeded_hash(self.seed, id) >> 32) % (2 * DAY - 1);
        self.started_at.saturating_sub(before)
    }

    /// Stock of a product or variant: a configurable parent's is its variants' sum.
    fn stock_in(
        &self,
        changed: &AHashMap<u32, SkuStock>,
        catalog: &Catalog,
        product: u32,
        variant: Option<Variant>,
    ) -> SkuStock {
        match (&catalog.product(product).configurable, variant) {
            (Some(matrix), None) => {
                let mut total = SkuStock::default();
                for v in matrix.variants() {
                    let stock = self.item_stock(changed, catalog, product, Some(v));
                    for (sum, source) in total.sources.iter_mut().zip(stock.sources) {
                        sum.quantity += source.quantity;
                        sum.reserved += source.reserved;
                    }
                    total.updated_at = total.updated_at.max(stock.updated_at);
                }
                total
            }
            _ => self.item_stock(changed, catalog, product, variant),
        }
    }

    /// Stock of a simple product or variant: changed or seeded.
    fn item_stock(
        &self,
        changed: &AHashMap<u32, SkuStock>,
        catalog: &Catalog,
        product: u32,
        variant: Option<Variant>,
    ) -> SkuStock {
        let id = item_id(catalog, product, variant);
        if let Some(stock) = changed.get(&id) {
            return *stock;
        }
        // The ERP's stock starts from Commerce's seeded stock; orders placed in Commerce reach
        // the ERP only through the export flows, so reservations do not move it.
        let qty = match variant {
            Some(v) => catalog.seeded_qty(product, Some(v)),
            None if catalog.product(product).configurable.is_none() => {
                catalog.seeded_qty(product, None)
            }
            None => catalog.product_qty(product),
        };
        self.seeded(id, qty)
    }

    /// The seeded split of Commerce's salable quantity `qty` over the sources (Commerce's own
    /// source items start from the same split, `catalog::source_items`).
    fn seeded(&self, id: u32, qty: u32) -> SkuStock {
        let split = source_items::seeded_split(self.seed, id, qty);
        let mut sources = [SourceStock::default(); 3];
        for (source, (quantity, reserved)) in sources.iter_mut().zip(split) {
            *source = SourceStock { quantity, reserved };
        }
        SkuStock {
            sources,
            updated_at: self.seeded_updated_at(id),
        }
    }
}

/// The seed's draw for item `id`: its split over the sources and its seeded `updated_at`.
fn seeded_hash(seed: u64, id: u32) -> u64 {
    source_items::split_hash(seed, id)
}

/// The ledger as one read sees it (see [`Inventory::read`]).
pub(crate) struct Ledger<'a> {
    inventory: &'a Inventory,
    catalog: &'a Catalog,
    changed: &'a AHashMap<u32, SkuStock>,
}

impl Ledger<'_> {
    /// Stock of a simple product or variant.
    pub fn stock(&self, product: u32, variant: Option<Variant>) -> SkuStock {
        self.inventory
            .item_stock(self.changed, self.catalog, product, variant)
    }

    /// Items (entity ids) whose stock moved since seeding, with their `updated_at`.
    pub fn changed(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.changed
            .iter()
            .map(|(id, stock)| (*id, stock.updated_at))
    }

    /// Whether item `id`'s stock moved since seeding.
    pub fn has_changed(&self, id: u32) -> bool {
        self.changed.contains_key(&id)
    }
}

/// The id stock is kept under: the variant's, or the product's.
fn item_id(catalog: &Catalog, product: u32, variant: Option<Variant>) -> u32 {
    variant.map_or(catalog.product_id(product), |v| v.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (Catalog, Inventory) {
        (Catalog::seed(300, 50, 7), Inventory::new(7, 1_700_000_000))
    }

    #[test]
    fn seeded_stock_adds_up_to_what_commerce_reports() {
        let (catalog, inventory) = fixture();
        let mut zero = 0;
        for (index, product) in catalog.products.iter().enumerate() {
            let index = index as u32;
            let found = inventory.lookup(&catalog, [product.sku.as_str()]);
            assert_eq!(found.len(), 1);
            let stock = found[0].1;
            assert_eq!(
                stock.salable(),
                catalog.product_qty(index),
                "{}",
                product.sku
            );
            assert!(stock.updated_at <= 1_700_000_000);
            assert!(stock.updated_at >= 1_700_000_000 - 2 * DAY);
            zero += usize::from(stock.salable() == 0);
            for variant in product.configurable.iter().flat_map(|c| c.variants()) {
                let sku = catalog.variant_sku(index, variant);
                let stock = inventory.lookup(&catalog, [sku.as_str()])[0].1;
                assert_eq!(stock.salable(), u32::from(catalog.variant_qty(variant.id)));
            }
        }
        assert!(zero > 0, "some SKUs are sold out");
        assert!(zero < catalog.products.len() / 5, "most are not");
    }

    #[test]
    fn a_configurable_parent_reports_the_sum_of_its_variants_per_source() {
        let (catalog, inventory) = fixture();
        let (index, parent) = catalog
            .products
            .iter()
            .enumerate()
            .find(|(_, p)| p.configurable.is_some())
            .expect("a configurable product");
        let skus: Vec<String> = parent
            .configurable
            .iter()
            .flat_map(|c| c.variants())
            .map(|v| catalog.variant_sku(index as u32, v))
            .collect();
        let variants = inventory.lookup(&catalog, skus.iter().map(String::as_str));
        let parent_stock = inventory.lookup(&catalog, [parent.sku.as_str()])[0].1;
        for source in 0..SOURCES.len() {
            let sum: u32 = variants
                .iter()
                .map(|(_, s)| s.sources[source].quantity)
                .sum();
            assert_eq!(parent_stock.sources[source].quantity, sum);
        }
        let latest = variants.iter().map(|(_, s)| s.updated_at).max();
        assert_eq!(Some(parent_stock.updated_at), latest);
    }

    #[test]
    fn lookups_skip_unknown_and_repeated_skus() {
        let (catalog, inventory) = fixture();
        let sku = catalog.products[1].sku.as_str();
        let found = inventory.lookup(&catalog, [sku, "NOPE", sku, ""]);
        assert_eq!(found.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [sku]);
    }

    #[test]
    fn setting_stock_changes_one_source_and_stamps_the_time() {
        let (catalog, inventory) = fixture();
        let sku = catalog.products[1].sku.clone();
        let before = inventory.lookup(&catalog, [sku.as_str()])[0].1;
        assert!(inventory.set(&catalog, &sku, "wh-west", 7));
        let after = inventory.lookup(&catalog, [sku.as_str()])[0].1;
        assert_eq!(
            after.sources[1],
            SourceStock {
                quantity: 7,
                reserved: 0
            }
        );
        assert_eq!(after.sources[0], before.sources[0]);
        assert!(after.updated_at > before.updated_at);
        assert!(!inventory.set(&catalog, &sku, "wh-north", 1));
        assert!(!inventory.set(&catalog, "NOPE", "wh-west", 1));
        assert!(
            !inventory.set(&catalog, &catalog.products[0].sku, "wh-west", 1),
            "a parent"
        );
    }
}
