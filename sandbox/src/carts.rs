//! Shopping carts (Commerce quotes). Today each customer has one active cart, created on first
//! read with seeded items and read-only after that; it lives in per-customer state behind one
//! lock, so cart mutations (`addProductsToCart`, `updateCartItems`, …) and guest carts can join
//! without changing the readers.
//!
//! Seeded items: a configurable variant and a simple product in turn, chosen from the seed and
//! the customer id among products with stock for the quantity. Consumers get four lines of one
//! or two units; company users five lines with quantities 12, 1, 60, 2 and 10, so Commerce's
//! quantity tiers and the CPQ's contract tiers both come into play.

use std::sync::{Mutex, PoisonError};

use ahash::AHashMap;
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, Variant, mix};
use crate::customers::Customer;

/// One cart line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CartLine {
    /// Quote item id (its `uid` is base64 of it).
    pub id: u32,
    /// Index of the visible product (the parent for a configurable line).
    pub product: u32,
    /// The chosen variant of a configurable product.
    pub variant: Option<Variant>,
    pub quantity: u32,
}

/// A snapshot of a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cart {
    /// Commerce's masked quote id: what `Cart.id` and `cart(cart_id:)` use.
    pub masked_id: String,
    pub customer: u32,
    pub items: Vec<CartLine>,
}

impl Cart {
    pub fn total_quantity(&self) -> u32 {
        self.items.iter().map(|l| l.quantity).sum()
    }
}

/// Every cart, behind one lock.
pub(crate) struct Carts {
    seed: u64,
    state: Mutex<CartState>,
}

#[derive(Default)]
struct CartState {
    by_customer: AHashMap<u32, Cart>,
    next_item_id: u32,
}

/// Kinds and quantities of seeded lines: (configurable, quantity).
const CONSUMER_LINES: [(bool, u32); 4] = [(true, 1), (false, 2), (true, 1), (false, 1)];
const COMPANY_LINES: [(bool, u32); 5] =
    [(true, 12), (false, 1), (false, 60), (true, 2), (false, 10)];

impl Carts {
    pub fn new(seed: u64) -> Carts {
        Carts {
            seed,
            state: Mutex::new(CartState {
                next_item_id: 1,
                ..CartState::default()
            }),
        }
    }

    /// The masked id of the customer's cart: 32 letters and digits, stable for a seed.
    pub fn masked_id(&self, customer: u32) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Sha256::new()
            .chain_update(b"sandbox cart")
            .chain_update(self.seed.to_le_bytes())
            .chain_update(customer.to_le_bytes())
            .finalize()
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect()
    }

    /// The customer's active cart, created with seeded items on first use.
    pub fn customer_cart(&self, catalog: &Catalog, customer: &Customer) -> Cart {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let CartState {
            by_customer,
            next_item_id,
        } = &mut *state;
        by_customer
            .entry(customer.id)
            .or_insert_with(|| Cart {
                masked_id: self.masked_id(customer.id),
                customer: customer.id,
                items: self.seed_lines(catalog, customer, next_item_id),
            })
            .clone()
    }

    fn seed_lines(
        &self,
        catalog: &Catalog,
        customer: &Customer,
        next_id: &mut u32,
    ) -> Vec<CartLine> {
        let plan: &[(bool, u32)] = if customer.company.is_some() {
            &COMPANY_LINES
        } else {
            &CONSUMER_LINES
        };
        let count = catalog.seeded_products();
        if count == 0 {
            return Vec::new();
        }
        let h =
            mix(self.seed ^ 0xca27 ^ u64::from(customer.id).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut at = (h % u64::from(count)) as u32;
        let mut lines: Vec<CartLine> = Vec::new();
        for &(configurable, quantity) in plan {
            let found = (0..count).find_map(|k| {
                let product = (at + k) % count;
                if lines.iter().any(|l| l.product == product) {
                    return None;
                }
                let p = catalog.product(product);
                match (&p.configurable, configurable) {
                    (Some(matrix), true) => {
                        let offset = (h >> 16) as u32 % matrix.variant_count().max(1);
                        (0..matrix.variant_count())
                            .filter_map(|i| {
                                matrix.variant(((i + offset) % matrix.variant_count()) as u16)
                            })
                            .find(|v| u32::from(catalog.variant_qty(v.id)) >= quantity)
                            .map(|v| (product, Some(v)))
                    }
                    (None, false) if u32::from(p.qty) >= quantity => Some((product, None)),
                    _ => None,
                }
            });
            if let Some((product, variant)) = found {
                lines.push(CartLine {
                    id: *next_id,
                    product,
                    variant,
                    quantity,
                });
                *next_id += 1;
                at = (product + 7) % count;
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::customers::Customers;

    #[test]
    fn a_customer_keeps_one_seeded_cart_with_simple_and_configurable_lines() {
        let catalog = Catalog::seed(300, 50, 7);
        let customers = Customers::seeded(7, Duration::from_secs(60), 0);
        let carts = Carts::new(7);
        let roni = customers.by_id(1).expect("roni");
        let cart = carts.customer_cart(&catalog, &roni);
        assert_eq!(cart.items.len(), 4);
        assert!(cart.items.iter().any(|l| l.variant.is_some()));
        assert!(cart.items.iter().any(|l| l.variant.is_none()));
        assert_eq!(cart.masked_id.len(), 32);
        assert!(cart.masked_id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(carts.customer_cart(&catalog, &roni), cart, "read-only");
        let buyer = customers.by_email("buyer@acme.example").expect("buyer");
        let b2b = carts.customer_cart(&catalog, &buyer);
        assert_eq!(b2b.items.len(), 5);
        assert_eq!(b2b.total_quantity(), 85);
        assert_ne!(b2b.masked_id, cart.masked_id);
        let ids: ahash::AHashSet<u32> = cart.items.iter().chain(&b2b.items).map(|l| l.id).collect();
        assert_eq!(ids.len(), 9, "item ids are unique across carts");
    }

    #[test]
    fn an_empty_catalog_gives_an_empty_cart() {
        let catalog = Catalog::seed(0, 5, 7);
        let customers = Customers::seeded(7, Duration::from_secs(60), 0);
        let cart = Carts::new(7).customer_cart(&catalog, &customers.by_id(1).expect("roni"));
        assert!(cart.items.is_empty());
    }
}
