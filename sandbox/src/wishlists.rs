//! Wish lists: every customer's default list (created on first use, as Commerce does) and, as
//! on an Adobe Commerce B2B store with "Enable Multiple Wish Lists" on, up to
//! [`MAX_WISHLISTS`] named lists. Items are catalog products (a configurable product's variant
//! when options are chosen) with a quantity and a comment; adding a product already in the list
//! raises its quantity, as Commerce merges equal items. All lists sit behind one lock.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::catalog::Variant;
use crate::clock;

/// Commerce's "Number of Multiple Wish Lists" default, the default list included.
pub(crate) const MAX_WISHLISTS: usize = 3;
/// Items one list may hold (a bound on what a client can make the sandbox keep).
pub(crate) const MAX_ITEMS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "PUBLIC",
            Visibility::Private => "PRIVATE",
        }
    }

    pub fn parse(value: &str) -> Option<Visibility> {
        match value {
            "PUBLIC" => Some(Visibility::Public),
            "PRIVATE" => Some(Visibility::Private),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WishlistItem {
    pub id: u32,
    /// Index of the visible product (the parent of a configurable product's variant).
    pub product: u32,
    pub variant: Option<Variant>,
    pub quantity: f64,
    pub description: Option<String>,
    pub added_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wishlist {
    pub id: u32,
    pub customer: u32,
    pub name: String,
    pub visibility: Visibility,
    pub sharing_code: String,
    pub updated_at: String,
    pub items: Vec<WishlistItem>,
}

/// Why a wish list change is refused; the messages are Commerce's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum WishlistError {
    #[error("The wishlist was not found.")]
    NotFound,
    #[error("Only {MAX_WISHLISTS} wish list(s) can be created.")]
    TooMany,
    #[error("The default wish list can't be deleted.")]
    DefaultList,
    #[error("A wish list can hold at most {MAX_ITEMS} items.")]
    Full,
}

#[derive(Default)]
struct State {
    lists: BTreeMap<u32, Wishlist>,
    next_list: u32,
    next_item: u32,
}

pub(crate) struct Wishlists {
    state: Mutex<State>,
}

impl Wishlists {
    pub fn new() -> Wishlists {
        Wishlists {
            state: Mutex::new(State {
                next_list: 1,
                next_item: 1,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The customer's lists, the default one first (created when missing).
    pub fn of_customer(&self, customer: u32) -> Vec<Wishlist> {
        let mut state = self.lock();
        state.ensure_default(customer);
        state
            .lists
            .values()
            .filter(|w| w.customer == customer)
            .cloned()
            .collect()
    }

    /// One of the customer's lists; another customer's list is as unknown as a missing one.
    pub fn get(&self, customer: u32, id: u32) -> Result<Wishlist, WishlistError> {
        let mut state = self.lock();
        state.ensure_default(customer);
        state
            .lists
            .get(&id)
            .filter(|w| w.customer == customer)
            .cloned()
            .ok_or(WishlistError::NotFound)
    }

    pub fn create(
        &self,
        customer: u32,
        name: &str,
        visibility: Visibility,
    ) -> Result<Wishlist, WishlistError> {
        let mut state = self.lock();
        state.ensure_default(customer);
        if state
            .lists
            .values()
            .filter(|w| w.customer == customer)
            .count()
            >= MAX_WISHLISTS
        {
            return Err(WishlistError::TooMany);
        }
        let id = state.insert(customer, name, visibility);
        state.lists.get(&id).cloned().ok_or(WishlistError::NotFound)
    }

    /// Applies `change` to one of the customer's lists and stamps `updated_at`.
    pub fn update<T>(
        &self,
        customer: u32,
        id: u32,
        change: impl FnOnce(&mut Wishlist, &mut dyn FnMut() -> u32) -> T,
    ) -> Result<(Wishlist, T), WishlistError> {
        let mut state = self.lock();
        state.ensure_default(customer);
        let State {
            lists, next_item, ..
        } = &mut *state;
        let list = lists
            .get_mut(&id)
            .filter(|w| w.customer == customer)
            .ok_or(WishlistError::NotFound)?;
        let mut next = || {
            let id = *next_item;
            *next_item += 1;
            id
        };
        let out = change(list, &mut next);
        list.updated_at = clock::datetime(clock::now());
        Ok((list.clone(), out))
    }

    /// Deletes a named list; the default list stays.
    pub fn delete(&self, customer: u32, id: u32) -> Result<(), WishlistError> {
        let mut state = self.lock();
        let default = state.ensure_default(customer);
        if state.lists.get(&id).is_none_or(|w| w.customer != customer) {
            return Err(WishlistError::NotFound);
        }
        if id == default {
            return Err(WishlistError::DefaultList);
        }
        state.lists.remove(&id);
        Ok(())
    }
}

impl State {
    /// The id of the customer's default list, created when missing.
    fn ensure_default(&mut self, customer: u32) -> u32 {
        if let Some(list) = self.lists.values().find(|w| w.customer == customer) {
            return list.id;
        }
        self.insert(customer, "Wish List", Visibility::Private)
    }

    fn insert(&mut self, customer: u32, name: &str, visibility: Visibility) -> u32 {
        let id = self.next_list;
        self.next_list += 1;
        let sharing_code: String = format!("{:032x}", crate::catalog::mix(u64::from(id) ^ 0x5157))
            .chars()
            .take(32)
            .collect();
        self.lists.insert(
            id,
            Wishlist {
                id,
                customer,
                name: name.to_owned(),
                visibility,
                sharing_code,
                updated_at: clock::datetime(clock::now()),
                items: Vec::new(),
            },
        );
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_has_a_default_list_and_at_most_three() {
        let lists = Wishlists::new();
        let mine = lists.of_customer(1);
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].name, "Wish List");
        lists
            .create(1, "Gifts", Visibility::Public)
            .expect("second");
        lists
            .create(1, "Later", Visibility::Private)
            .expect("third");
        assert_eq!(
            lists.create(1, "Fourth", Visibility::Private).err(),
            Some(WishlistError::TooMany)
        );
        assert_eq!(
            lists.delete(1, mine[0].id).err(),
            Some(WishlistError::DefaultList)
        );
        assert_eq!(
            lists.get(2, mine[0].id).err(),
            Some(WishlistError::NotFound)
        );
    }
}
