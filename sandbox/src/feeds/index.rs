//! The SKUs the ERP and the PIM know, sorted by SKU once so every feed pages by binary search:
//! the catalog's simple, virtual, downloadable and configurable products and the configurable
//! products' variants (bundles are a Commerce merchandising concept, not an ERP item).

use crate::catalog::types::Kind;
use crate::catalog::{Catalog, Variant};
use crate::stock::Inventory;

/// One SKU of the index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    /// Index of the product, or of the variant's configurable parent.
    pub product: u32,
    pub variant: Option<Variant>,
    /// Entity id: the variant's or the product's.
    pub id: u32,
    /// Whether the WMS ledger holds stock for it (not a configurable parent).
    pub stocked: bool,
}

/// Every SKU by rank (position in SKU order).
pub(crate) struct SkuIndex {
    skus: Vec<Box<str>>,
    items: Vec<Item>,
    /// Rank of each entity id; `u32::MAX` for ids the index does not hold.
    rank_by_id: Vec<u32>,
    /// Stocked items by (seeded stock `updated_at`, rank): the stock delta's seeded half.
    seeded_stock: Vec<(u64, u32)>,
}

impl SkuIndex {
    pub fn build(catalog: &Catalog, inventory: &Inventory) -> SkuIndex {
        let mut entries: Vec<(String, Item)> = Vec::new();
        for (index, product) in catalog.products.iter().enumerate() {
            let index = index as u32;
            if matches!(product.kind, Kind::Bundle(_)) {
                continue;
            }
            let id = catalog.product_id(index);
            let configurable = product.configurable.as_ref();
            entries.push((
                product.sku.clone(),
                Item {
                    product: index,
                    variant: None,
                    id,
                    stocked: configurable.is_none(),
                },
            ));
            for variant in configurable.iter().flat_map(|c| c.variants()) {
                entries.push((
                    catalog.variant_sku(index, variant),
                    Item {
                        product: index,
                        variant: Some(variant),
                        id: variant.id,
                        stocked: true,
                    },
                ));
            }
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let max_id = entries.iter().map(|(_, i)| i.id).max().unwrap_or(0);
        let mut rank_by_id = vec![u32::MAX; max_id as usize + 1];
        let mut seeded_stock = Vec::new();
        for (rank, (_, item)) in entries.iter().enumerate() {
            rank_by_id[item.id as usize] = rank as u32;
            if item.stocked {
                seeded_stock.push((inventory.seeded_updated_at(item.id), rank as u32));
            }
        }
        seeded_stock.sort_unstable();
        let (skus, items) = entries
            .into_iter()
            .map(|(sku, item)| (sku.into_boxed_str(), item))
            .unzip();
        SkuIndex {
            skus,
            items,
            rank_by_id,
            seeded_stock,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn sku(&self, rank: u32) -> &str {
        &self.skus[rank as usize]
    }

    pub fn item(&self, rank: u32) -> Item {
        self.items[rank as usize]
    }

    /// The rank of `sku`, or where it would be (`Err`).
    pub fn search(&self, sku: &str) -> Result<u32, u32> {
        self.skus
            .binary_search_by(|s| (**s).cmp(sku))
            .map(|r| r as u32)
            .map_err(|r| r as u32)
    }

    pub fn rank_of_id(&self, id: u32) -> Option<u32> {
        self.rank_by_id
            .get(id as usize)
            .copied()
            .filter(|r| *r != u32::MAX)
    }

    /// Stocked items by seeded (`updated_at`, rank), ascending.
    pub fn seeded_stock(&self) -> &[(u64, u32)] {
        &self.seeded_stock
    }

    /// How many items the WMS ledger holds.
    #[cfg(test)]
    pub fn stocked(&self) -> usize {
        self.seeded_stock.len()
    }
}
