//! What Commerce's REST API wrote for the simple products behind seeded configurable products
//! (their variants): each variant's own name, price and attributes. Real Commerce saves a
//! configurable product's children like any simple product; the sandbox keeps deriving the
//! variant from its parent (it stays the parent's child, with no `Product` of its own) and
//! stores only what was written, keyed by the variant's entity id. While nothing was written,
//! reads skip the lock (one atomic load), so seeded answers stay byte-identical and as fast as
//! before.
//!
//! Bounded: a write replaces the variant's previous data, so the map holds at most one entry
//! per seeded variant (the catalog's variants are a fixed, finite set).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use ahash::{AHashMap, AHashSet};

use super::attributes::{COLORS, SIZES};
use super::content::{Content, STATUS_DISABLED};
use super::pricing::size_surcharge;
use super::{Catalog, Variant};

/// The current data of a variant written over REST.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VariantData {
    pub name: String,
    /// The variant's own regular price in cents of the catalog currency; it replaces the
    /// parent's price and size surcharge.
    pub price: u32,
    pub content: Content,
}

#[derive(Default)]
struct State {
    /// Variant entity id → its current data.
    by_id: AHashMap<u32, Arc<VariantData>>,
    /// Product indices of the configurable products with a written variant, so price ranges
    /// of the others keep their cheap derivation.
    parents: AHashSet<u32>,
}

/// The variants written over REST.
#[derive(Default)]
pub(crate) struct VariantOverlay {
    /// Lets reads skip the lock while nothing was written (the common case).
    any: AtomicBool,
    state: RwLock<State>,
}

impl VariantOverlay {
    /// Whether any variant was ever written.
    pub fn is_active(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// The current data of the variant with entity id `id`, when one was written.
    pub fn get(&self, id: u32) -> Option<Arc<VariantData>> {
        if !self.is_active() {
            return None;
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.by_id.get(&id).cloned()
    }

    /// Whether a variant of the configurable product at `parent` was written.
    pub fn has_written(&self, parent: u32) -> bool {
        if !self.is_active() {
            return false;
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.parents.contains(&parent)
    }

    /// Stores `data` as the current data of variant `id` of the product at `parent`.
    pub fn store(&self, parent: u32, id: u32, data: VariantData) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        state.by_id.insert(id, Arc::new(data));
        state.parents.insert(parent);
        self.any.store(true, Ordering::Release);
    }
}

impl Catalog {
    /// The current data of a variant written over REST.
    pub fn written_variant(&self, variant_id: u32) -> Option<Arc<VariantData>> {
        self.variants.get(variant_id)
    }

    /// Whether the variant is still offered: not disabled over REST (Commerce leaves a
    /// disabled child out of its parent's variants and refuses to sell it).
    pub fn is_variant_offered(&self, variant_id: u32) -> bool {
        self.written_variant(variant_id)
            .is_none_or(|data| data.content.status != STATUS_DISABLED)
    }

    /// A variant's regular price in cents: its written price, else its parent's plus the
    /// size surcharge.
    pub fn variant_regular_price(&self, product: u32, variant: Variant) -> u32 {
        match self.written_variant(variant.id) {
            Some(data) => data.price,
            None => self.product(product).price + size_surcharge(Some(variant.size)),
        }
    }

    /// Name of a variant: its written name, else Luma style "Aurora Running Jacket-XS-Black".
    pub fn variant_name(&self, product: u32, variant: Variant) -> String {
        if let Some(data) = self.written_variant(variant.id) {
            return data.name.clone();
        }
        derived_name(&self.product(product).name, variant)
    }

    /// Name of a variant as seeded, whatever REST wrote since (see
    /// [`Catalog::seeded_product`]).
    pub fn seeded_variant_name(&self, product: u32, variant: Variant) -> String {
        derived_name(&self.seeded_product(product).name, variant)
    }

    /// Stores the current data of a variant of the configurable product at `product`.
    pub fn save_variant(&self, product: u32, variant: Variant, data: VariantData) {
        self.variants.store(product, variant.id, data);
    }
}

/// A variant's name derived from its parent's, Luma style.
fn derived_name(parent: &str, variant: Variant) -> String {
    format!(
        "{parent}-{}-{}",
        SIZES[usize::from(variant.size)].label,
        COLORS[usize::from(variant.color)].label
    )
}
