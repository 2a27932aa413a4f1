//! Shopping carts (Commerce quotes): guest carts under a 32-character masked id anyone who
//! knows it may use, and one active cart per customer that only that customer may use. A cart
//! belongs to the store view it was created in; an ordered cart is inactive for good.
//!
//! The submodules own one concept each: `lines` (adding, updating and removing items with
//! Commerce's stock and quantity checks), `totals` (prices, coupons, tax, shipping rates and
//! payment methods) and `checkout` (addresses, guest email, the chosen methods, gift options).
//! All state sits behind one lock; a mutation works on a copy that is stored only when it
//! succeeds, so a refused mutation changes nothing.
//!
//! Seeded customers' first cart holds seeded items: a configurable variant and a simple product
//! in turn, chosen from the seed and the customer id among products with stock for the
//! quantity. Consumers get four lines of one or two units; company users five lines with
//! quantities 12, 1, 60, 2 and 10, so Commerce's quantity tiers and the CPQ's contract tiers
//! both come into play. Customers created at runtime start with an empty cart.

pub(crate) mod address_book;
pub(crate) mod checkout;
pub(crate) mod lines;
pub(crate) mod totals;
pub(crate) mod types;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use ahash::AHashMap;
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, Variant, mix};
use crate::errors::Category;

pub(crate) use checkout::{CartAddress, GiftOptions};
pub(crate) use totals::Coupon;

/// Carts the sandbox keeps at most (guest carts can be created by anyone).
pub(crate) const MAX_CARTS: usize = 100_000;

/// What a cart line holds: the product type and the options chosen with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Simple,
    /// A configurable product with the chosen variant.
    Configurable {
        variant: Variant,
    },
    /// A virtual product (a service): nothing ships.
    Virtual,
    /// A downloadable product with the links bought; nothing ships.
    Downloadable {
        links: types::LinkSet,
    },
    /// A bundle with its chosen selections, each shipping as its own simple product.
    Bundle {
        picks: types::BundlePicks,
    },
}

/// One cart line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CartLine {
    /// Quote item id (its `uid` is base64 of it).
    pub id: u32,
    /// Index of the visible product (the parent for a configurable line).
    pub product: u32,
    pub kind: LineKind,
    pub quantity: u32,
}

impl CartLine {
    /// The chosen variant of a configurable line.
    pub fn variant(&self) -> Option<Variant> {
        match self.kind {
            LineKind::Configurable { variant } => Some(variant),
            _ => None,
        }
    }

    /// Whether nothing of this line ships (Commerce's `is_virtual` of a quote item).
    pub fn is_virtual(&self) -> bool {
        matches!(self.kind, LineKind::Virtual | LineKind::Downloadable { .. })
    }

    /// What ordering this line reserves: `(entity id, units, seeded quantity)` of each
    /// simple product, variant or bundle selection it sells.
    pub fn stock_units(&self, catalog: &Catalog) -> Vec<(u32, u32, u32)> {
        match &self.kind {
            LineKind::Bundle { picks } => types::pick_products(catalog, self.product, picks)
                .map(|(simple, units)| {
                    (
                        catalog.product_id(simple),
                        units.saturating_mul(self.quantity),
                        catalog.on_hand_qty(simple, None),
                    )
                })
                .collect(),
            _ => {
                let variant = self.variant();
                let id = variant.map_or_else(|| catalog.product_id(self.product), |v| v.id);
                vec![(
                    id,
                    self.quantity,
                    catalog.on_hand_qty(self.product, variant),
                )]
            }
        }
    }

    /// Commerce's salable quantity of what this line sells.
    pub fn salable(&self, catalog: &Catalog) -> u32 {
        match &self.kind {
            LineKind::Configurable { variant } => u32::from(catalog.variant_qty(variant.id)),
            LineKind::Bundle { picks } => types::bundle_salable(catalog, self.product, picks),
            _ => catalog.product_qty(self.product),
        }
    }
}

/// A snapshot of a cart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cart {
    /// Commerce's masked quote id: what `Cart.id` and `cart(cart_id:)` use.
    pub masked_id: String,
    /// Index of the store view the cart belongs to.
    pub store: usize,
    /// The owning customer; `None` for guest carts.
    pub customer: Option<u32>,
    /// False once the cart was ordered.
    pub active: bool,
    pub items: Vec<CartLine>,
    pub coupon: Option<&'static Coupon>,
    /// The guest's email (`setGuestEmailOnCart`); customers' carts use the account's.
    pub email: Option<String>,
    pub shipping_address: Option<CartAddress>,
    pub billing_address: Option<CartAddress>,
    /// `(carrier_code, method_code)` chosen by `setShippingMethodsOnCart`.
    pub shipping_method: Option<(&'static str, &'static str)>,
    /// Payment method code and purchase order number.
    pub payment_method: Option<(&'static str, Option<String>)>,
    pub gift: GiftOptions,
}

impl Cart {
    fn new(masked_id: String, store: usize, customer: Option<u32>) -> Cart {
        Cart {
            masked_id,
            store,
            customer,
            active: true,
            items: Vec::new(),
            coupon: None,
            email: None,
            shipping_address: None,
            billing_address: None,
            shipping_method: None,
            payment_method: None,
            gift: GiftOptions::default(),
        }
    }

    pub fn total_quantity(&self) -> u32 {
        self.items.iter().map(|l| l.quantity).sum()
    }

    /// Commerce's `Quote::isVirtual`: some items, and none of them ships.
    pub fn is_virtual(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(CartLine::is_virtual)
    }
}

/// The customer whose cart is wanted, as far as carts care (plain values, so callers holding
/// a customer by reference or by `Arc` build it alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shopper {
    pub id: u32,
    /// A B2B company user: seeded with larger quantities.
    pub company_user: bool,
    /// A seeded account: its first cart holds seeded lines.
    pub seeded: bool,
}

/// Who is asking: the request's store view and customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub store: usize,
    pub customer: Option<u32>,
}

/// Why a cart operation was refused; messages and categories are Commerce's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CartError {
    #[error("Required parameter \"{0}\" is missing")]
    MissingParameter(&'static str),
    #[error("Could not find a cart with ID \"{0}\"")]
    NotFound(String),
    #[error("The cart isn't active.")]
    Inactive,
    #[error("The current user cannot perform operations on cart \"{0}\"")]
    NotYours(String),
    #[error("Wrong store code specified for cart \"{0}\"")]
    WrongStore(String),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    AlreadyExists(String),
}

impl CartError {
    pub fn category(&self) -> Category {
        match self {
            CartError::MissingParameter(_) | CartError::Input(_) => Category::Input,
            CartError::NotFound(_)
            | CartError::Inactive
            | CartError::WrongStore(_)
            | CartError::NoSuchEntity(_) => Category::NoSuchEntity,
            CartError::NotYours(_) => Category::Authorization,
            CartError::AlreadyExists(_) => Category::AlreadyExists,
        }
    }
}

/// Every cart, behind one lock.
pub(crate) struct Carts {
    seed: u64,
    next_item_id: AtomicU32,
    next_cart: AtomicU64,
    state: Mutex<CartState>,
}

#[derive(Default)]
struct CartState {
    by_masked_id: AHashMap<String, Cart>,
    /// The active cart of each customer.
    active_of_customer: AHashMap<u32, String>,
    /// Customers whose seeded cart was handed out already (it is seeded once, not after each
    /// order).
    seeded: ahash::AHashSet<u32>,
}

/// Kinds and quantities of seeded lines: (configurable, quantity).
const CONSUMER_LINES: [(bool, u32); 4] = [(true, 1), (false, 2), (true, 1), (false, 1)];
const COMPANY_LINES: [(bool, u32); 5] =
    [(true, 12), (false, 1), (false, 60), (true, 2), (false, 10)];

impl Carts {
    pub fn new(seed: u64) -> Carts {
        Carts {
            seed,
            next_item_id: AtomicU32::new(1),
            next_cart: AtomicU64::new(1),
            state: Mutex::new(CartState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CartState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh quote item id.
    pub fn next_item_id(&self) -> u32 {
        self.next_item_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The masked id of a seeded customer's first cart: stable for a seed.
    pub fn masked_id(&self, customer: u32) -> String {
        masked(self.seed, b"sandbox cart", u64::from(customer))
    }

    /// A new masked id, never handed out before.
    fn fresh_masked_id(&self) -> String {
        masked(
            self.seed,
            b"sandbox guest cart",
            self.next_cart.fetch_add(1, Ordering::Relaxed),
        )
    }

    /// `createGuestCart` / `createEmptyCart` for guests: a new empty cart, under `requested`
    /// when the client chose the masked id.
    pub fn create_guest(&self, store: usize, requested: Option<&str>) -> Result<Cart, CartError> {
        let mut state = self.lock();
        if state.by_masked_id.len() >= MAX_CARTS {
            return Err(CartError::Input(format!(
                "The sandbox holds at most {MAX_CARTS} carts."
            )));
        }
        let masked_id = match requested {
            Some(id) if state.by_masked_id.contains_key(id) => {
                return Err(CartError::AlreadyExists(format!(
                    "Cart with ID \"{id}\" already exists."
                )));
            }
            Some(id) => id.to_owned(),
            None => self.fresh_masked_id(),
        };
        let cart = Cart::new(masked_id.clone(), store, None);
        state.by_masked_id.insert(masked_id, cart.clone());
        Ok(cart)
    }

    /// The customer's active cart, created on first use (with seeded items for a seeded
    /// customer's first cart); it moves to the store view the customer shops in, as
    /// `customerCart` does in Commerce.
    pub fn customer_cart(&self, catalog: &Catalog, customer: Shopper, store: usize) -> Cart {
        let mut state = self.lock();
        let active = state
            .active_of_customer
            .get(&customer.id)
            .filter(|id| state.by_masked_id.get(*id).is_some_and(|c| c.active))
            .cloned();
        let masked_id = match active {
            Some(id) => id,
            None => {
                let first = state.seeded.insert(customer.id);
                let (masked_id, items) = if first && customer.seeded {
                    (
                        self.masked_id(customer.id),
                        self.seed_lines(catalog, customer),
                    )
                } else {
                    (self.fresh_masked_id(), Vec::new())
                };
                let mut cart = Cart::new(masked_id.clone(), store, Some(customer.id));
                cart.items = items;
                state.by_masked_id.insert(masked_id.clone(), cart);
                state
                    .active_of_customer
                    .insert(customer.id, masked_id.clone());
                masked_id
            }
        };
        match state.by_masked_id.get_mut(&masked_id) {
            Some(cart) => {
                cart.store = store;
                cart.clone()
            }
            None => Cart::new(masked_id, store, Some(customer.id)),
        }
    }

    /// The cart `masked_id` as `caller` may see it: Commerce's checks in Commerce's order.
    pub fn read(&self, caller: Caller, masked_id: &str) -> Result<Cart, CartError> {
        let state = self.lock();
        let cart = Self::checked(&state, caller, masked_id)?;
        Ok(cart.clone())
    }

    /// Runs `change` on a copy of the cart and stores the copy only when it succeeds.
    pub fn update<T>(
        &self,
        caller: Caller,
        masked_id: &str,
        change: impl FnOnce(&mut Cart) -> Result<T, CartError>,
    ) -> Result<(T, Cart), CartError> {
        let mut state = self.lock();
        let mut cart = Self::checked(&state, caller, masked_id)?.clone();
        let out = change(&mut cart)?;
        state
            .by_masked_id
            .insert(cart.masked_id.clone(), cart.clone());
        Ok((out, cart))
    }

    /// `mergeCarts`: moves the guest cart's lines into the customer's cart (quantities of the
    /// same item add up, within stock) and deletes the guest cart.
    pub fn merge(
        &self,
        caller: Caller,
        source: &str,
        destination: &str,
        catalog: &Catalog,
    ) -> Result<Cart, CartError> {
        let mut state = self.lock();
        let guest = Self::checked(
            &state,
            Caller {
                customer: None,
                ..caller
            },
            source,
        )?
        .clone();
        let mut target = Self::checked(&state, caller, destination)?.clone();
        for line in &guest.items {
            lines::absorb(&mut target, *line, catalog, || self.next_item_id());
        }
        if target.coupon.is_none() {
            target.coupon = guest.coupon;
        }
        // Commerce deletes the guest quote once merged.
        state.by_masked_id.remove(source);
        state
            .by_masked_id
            .insert(target.masked_id.clone(), target.clone());
        Ok(target)
    }

    fn checked<'s>(
        state: &'s CartState,
        caller: Caller,
        masked_id: &str,
    ) -> Result<&'s Cart, CartError> {
        if masked_id.trim().is_empty() {
            return Err(CartError::MissingParameter("cart_id"));
        }
        let cart = state
            .by_masked_id
            .get(masked_id)
            .ok_or_else(|| CartError::NotFound(masked_id.to_owned()))?;
        if !cart.active {
            return Err(CartError::Inactive);
        }
        if cart.store != caller.store {
            return Err(CartError::WrongStore(masked_id.to_owned()));
        }
        if cart.customer != caller.customer {
            return Err(CartError::NotYours(masked_id.to_owned()));
        }
        Ok(cart)
    }

    fn seed_lines(&self, catalog: &Catalog, customer: Shopper) -> Vec<CartLine> {
        let plan: &[(bool, u32)] = if customer.company_user {
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
                            .map(|variant| (product, LineKind::Configurable { variant }))
                    }
                    (None, false) if catalog.product_qty(product) >= quantity => {
                        Some((product, LineKind::Simple))
                    }
                    _ => None,
                }
            });
            if let Some((product, kind)) = found {
                lines.push(CartLine {
                    id: self.next_item_id(),
                    product,
                    kind,
                    quantity,
                });
                at = (product + 7) % count;
            }
        }
        lines
    }
}

/// 32 letters and digits derived from the seed, a domain and a number.
fn masked(seed: u64, domain: &[u8], n: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    Sha256::new()
        .chain_update(domain)
        .chain_update(seed.to_le_bytes())
        .chain_update(n.to_le_bytes())
        .finalize()
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::customers::{Customer, Customers};

    fn shopper(customer: &Customer, seeded: bool) -> Shopper {
        Shopper {
            id: customer.id,
            company_user: customer.company.is_some(),
            seeded,
        }
    }

    const SHOP: Caller = Caller {
        store: 0,
        customer: None,
    };

    #[test]
    fn a_seeded_customer_keeps_one_seeded_cart_with_simple_and_configurable_lines() {
        let catalog = Catalog::seed(300, 50, 7);
        let customers = Customers::seeded(7, Duration::from_secs(60), 0);
        let carts = Carts::new(7);
        let roni = customers.by_id(1).expect("roni");
        let cart = carts.customer_cart(&catalog, shopper(&roni, true), 0);
        assert_eq!(cart.items.len(), 4);
        assert!(cart.items.iter().any(|l| l.variant().is_some()));
        assert!(cart.items.iter().any(|l| l.variant().is_none()));
        assert_eq!(cart.masked_id.len(), 32);
        assert!(cart.masked_id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(carts.customer_cart(&catalog, shopper(&roni, true), 0), cart);
        let buyer = customers.by_email("buyer@acme.example").expect("buyer");
        let b2b = carts.customer_cart(&catalog, shopper(&buyer, true), 0);
        assert_eq!(b2b.items.len(), 5);
        assert_eq!(b2b.total_quantity(), 85);
        assert_ne!(b2b.masked_id, cart.masked_id);
        let ids: ahash::AHashSet<u32> = cart.items.iter().chain(&b2b.items).map(|l| l.id).collect();
        assert_eq!(ids.len(), 9, "item ids are unique across carts");
    }

    #[test]
    fn a_customer_created_at_runtime_starts_with_an_empty_cart() {
        let catalog = Catalog::seed(300, 50, 7);
        let customers = Customers::seeded(7, Duration::from_secs(60), 0);
        let carts = Carts::new(7);
        let roni = customers.by_id(1).expect("roni");
        assert!(
            carts
                .customer_cart(&catalog, shopper(&roni, false), 0)
                .items
                .is_empty()
        );
    }

    #[test]
    fn guest_carts_are_found_only_by_their_id_in_their_store_and_not_by_customers() {
        let carts = Carts::new(7);
        let cart = carts.create_guest(0, None).expect("cart");
        assert_eq!(cart.masked_id.len(), 32);
        assert_eq!(carts.read(SHOP, &cart.masked_id), Ok(cart.clone()));
        assert_eq!(
            carts.read(SHOP, "nope"),
            Err(CartError::NotFound("nope".into()))
        );
        assert_eq!(
            carts.read(
                Caller {
                    store: 1,
                    customer: None
                },
                &cart.masked_id
            ),
            Err(CartError::WrongStore(cart.masked_id.clone()))
        );
        assert_eq!(
            carts.read(
                Caller {
                    store: 0,
                    customer: Some(1)
                },
                &cart.masked_id
            ),
            Err(CartError::NotYours(cart.masked_id.clone()))
        );
        let chosen = "A".repeat(32);
        assert!(carts.create_guest(0, Some(&chosen)).is_ok());
        assert_eq!(
            carts.create_guest(0, Some(&chosen)).map(|c| c.masked_id),
            Err(CartError::AlreadyExists(format!(
                "Cart with ID \"{chosen}\" already exists."
            )))
        );
    }

    #[test]
    fn a_failed_update_changes_nothing() {
        let carts = Carts::new(7);
        let cart = carts.create_guest(0, None).expect("cart");
        let refused = carts.update(SHOP, &cart.masked_id, |c| {
            c.email = Some("x@example.com".into());
            Err::<(), _>(CartError::Input("no".into()))
        });
        assert!(refused.is_err());
        assert_eq!(carts.read(SHOP, &cart.masked_id).map(|c| c.email), Ok(None));
        let (_, changed) = carts
            .update(SHOP, &cart.masked_id, |c| {
                c.active = false;
                Ok(())
            })
            .expect("update");
        assert!(!changed.active);
        assert_eq!(carts.read(SHOP, &cart.masked_id), Err(CartError::Inactive));
    }
}
