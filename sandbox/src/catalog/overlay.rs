//! What Commerce's REST API changed in the seeded catalog: new versions of seeded products
//! (name, price, status, texts …) and products created over REST. The seeded catalog stays
//! immutable; a write stores a whole new `Product` version in an append-only arena, so readers
//! keep the `&Product` they already hold and `Catalog::product` hands out the latest version.
//! While nothing was written, reads skip the lock (one atomic load), so seeded answers stay
//! byte-identical and as fast as before.
//!
//! The arena holds at most [`MAX_VERSIONS`] versions (every write adds one): a bounded sandbox,
//! not a database. Past that, writes are refused.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};

use ahash::AHashMap;

use super::Product;

/// Versions per arena chunk; chunks are allocated on first use.
const CHUNK: usize = 1_024;
/// Most product versions one sandbox stores (1,048,576).
pub(crate) const MAX_VERSIONS: usize = CHUNK * 1_024;

/// Why a write was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum OverlayError {
    #[error("the sandbox stores at most {MAX_VERSIONS} product versions")]
    Full,
}

#[derive(Default)]
struct State {
    /// Product index → arena slot of its current version.
    current: AHashMap<u32, u32>,
    /// SKUs of the products created over REST → their index.
    created: AHashMap<Box<str>, u32>,
    /// Arena slots in use.
    used: u32,
}

/// A chunk of product versions, allocated on first use.
type Chunk = OnceLock<Box<[OnceLock<Product>]>>;

/// The overlay of a catalog of `seeded` products.
pub(crate) struct Overlay {
    /// Lets reads skip the lock while nothing was written (the common case).
    any: AtomicBool,
    chunks: Box<[Chunk]>,
    state: RwLock<State>,
}

impl Default for Overlay {
    fn default() -> Self {
        Overlay {
            any: AtomicBool::new(false),
            chunks: (0..MAX_VERSIONS / CHUNK).map(|_| OnceLock::new()).collect(),
            state: RwLock::new(State::default()),
        }
    }
}

impl Overlay {
    /// Whether anything was ever written.
    pub fn is_active(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// The current version of product `index`, when one was written.
    pub fn get(&self, index: u32) -> Option<&Product> {
        if !self.is_active() {
            return None;
        }
        let slot = {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            *state.current.get(&index)?
        };
        self.slot(slot)
    }

    /// Index of a product created over REST.
    pub fn created_by_sku(&self, sku: &str) -> Option<u32> {
        if !self.is_active() {
            return None;
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.created.get(sku).copied()
    }

    /// How many products were created over REST (their indices follow the seeded ones).
    pub fn created_count(&self) -> u32 {
        if !self.is_active() {
            return 0;
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.created.len() as u32
    }

    /// Stores `product` as the new version of `index` (`None`: a new product after `first_new`
    /// plus the products created so far); returns its index.
    pub fn store(
        &self,
        index: Option<u32>,
        first_new: u32,
        product: Product,
    ) -> Result<u32, OverlayError> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let slot = state.used as usize;
        if slot >= MAX_VERSIONS {
            return Err(OverlayError::Full);
        }
        let index = match index {
            Some(index) => index,
            None => {
                let index = first_new + state.created.len() as u32;
                state.created.insert(product.sku.as_str().into(), index);
                index
            }
        };
        let chunk =
            self.chunks[slot / CHUNK].get_or_init(|| (0..CHUNK).map(|_| OnceLock::new()).collect());
        // The slot is fresh (`used` only grows under the write lock), so `set` cannot fail.
        let _ = chunk[slot % CHUNK].set(product);
        state.used += 1;
        state.current.insert(index, slot as u32);
        self.any.store(true, Ordering::Release);
        Ok(index)
    }

    fn slot(&self, slot: u32) -> Option<&Product> {
        let slot = slot as usize;
        self.chunks
            .get(slot / CHUNK)?
            .get()?
            .get(slot % CHUNK)?
            .get()
    }
}
