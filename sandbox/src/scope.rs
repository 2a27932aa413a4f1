//! What one GraphQL request is scoped to, resolved from its headers before execution: store view,
//! display currency and customer (hence customer group). Resolvers read it from the request data;
//! it also collects the cache tags of the entities they return and yields the response's
//! `X-Magento-Cache-Id`.

use std::collections::HashSet;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::admin_users::BackOffice;
use crate::catalog::pricing::PriceView;
use crate::customers::CustomerGroup;
use crate::directory::CurrencyCode;
use crate::store::StoreView;

/// The request's scope; inserted as async-graphql request data.
pub(crate) struct RequestScope {
    /// Index into `Stores::all()`.
    pub store: usize,
    pub currency: CurrencyCode,
    /// The logged-in customer's id, when a valid bearer token came with the request.
    pub customer: Option<u32>,
    pub group: CustomerGroup,
    tags: Mutex<CacheTags>,
    /// Set when the request logged a customer in: the response's cache identity is theirs, as
    /// Commerce's token-issuer plugin does.
    login: Mutex<Option<(u32, CustomerGroup)>>,
    /// Set when the bearer token is an admin's or the integration's rather than a customer's.
    pub back_office: Option<BackOffice>,
}

/// Commerce's cache tags (`cat_p`, `cat_p_12`, …) in first-seen order, without duplicates.
#[derive(Default)]
struct CacheTags {
    order: Vec<String>,
    seen: HashSet<String>,
}

impl CacheTags {
    fn add(&mut self, tag: String) {
        if !self.seen.contains(&tag) {
            self.seen.insert(tag.clone());
            self.order.push(tag);
        }
    }
}

impl RequestScope {
    pub fn new(
        store: usize,
        currency: CurrencyCode,
        customer: Option<(u32, CustomerGroup)>,
    ) -> RequestScope {
        RequestScope {
            store,
            currency,
            customer: customer.map(|(id, _)| id),
            group: customer.map_or(CustomerGroup::NotLoggedIn, |(_, group)| group),
            tags: Mutex::default(),
            login: Mutex::default(),
            back_office: None,
        }
    }

    /// The scope of a request authorised by an admin or integration token.
    pub fn with_back_office(mut self, caller: BackOffice) -> RequestScope {
        self.back_office = Some(caller);
        self
    }

    /// How this request sees prices.
    pub fn price_view(&self) -> PriceView {
        PriceView {
            currency: self.currency.code(),
            rate: self.currency.per_usd(),
            group_discount: self.group.catalog_discount(),
        }
    }

    /// Records that the response contains the entity `{kind}_{id}` (and so the `kind` tag).
    pub fn tag_entity(&self, kind: &str, id: impl std::fmt::Display) {
        if let Ok(mut tags) = self.tags.lock() {
            tags.add(kind.to_owned());
            tags.add(format!("{kind}_{id}"));
        }
    }

    /// Records a plain tag.
    pub fn tag(&self, tag: &str) {
        if let Ok(mut tags) = self.tags.lock() {
            tags.add(tag.to_owned());
        }
    }

    /// The tags recorded so far, in order.
    pub fn tags(&self) -> Vec<String> {
        self.tags
            .lock()
            .map(|t| t.order.clone())
            .unwrap_or_default()
    }

    /// Marks that this request logged `customer` in.
    pub fn logged_in(&self, customer: u32, group: CustomerGroup) {
        if let Ok(mut login) = self.login.lock() {
            *login = Some((customer, group));
        }
    }

    /// The `X-Magento-Cache-Id` of the response: the scope's identity, or the identity of the
    /// customer this request logged in.
    pub fn cache_id(&self, store: &StoreView, salt: &str) -> String {
        let login = self.login.lock().ok().and_then(|l| *l);
        let (logged_in, group) = match (login, self.customer) {
            (Some((_, group)), _) => (true, group),
            (None, Some(_)) => (true, self.group),
            (None, None) => (false, self.group),
        };
        cache_id(self.currency, group, logged_in, store.code, salt)
    }
}

/// Commerce's cache identity: sha256 over the factor values ordered by factor name
/// (CURRENCY, CUSTOMER_GROUP, CUSTOMER_TAX_RATE, IS_LOGGED_IN, STORE), upper-cased and joined
/// with `|`, plus the installation's salt.
pub(crate) fn cache_id(
    currency: CurrencyCode,
    group: CustomerGroup,
    logged_in: bool,
    store: &str,
    salt: &str,
) -> String {
    let factors = format!(
        "{}|{}|0|{}|{}",
        currency.code(),
        group.id(),
        u8::from(logged_in),
        store
    )
    .to_uppercase();
    let digest = Sha256::new()
        .chain_update(factors)
        .chain_update(salt)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_keep_first_seen_order_and_add_the_kind_once() {
        let scope = RequestScope::new(0, CurrencyCode::Usd, None);
        scope.tag_entity("cat_p", 3);
        scope.tag_entity("cat_p", 1);
        scope.tag_entity("cat_c", 5);
        scope.tag_entity("cat_p", 3);
        assert_eq!(
            scope.tags(),
            ["cat_p", "cat_p_3", "cat_p_1", "cat_c", "cat_c_5"]
        );
    }

    #[test]
    fn the_cache_id_differs_by_store_currency_and_group_but_not_by_customer() {
        let base = cache_id(
            CurrencyCode::Usd,
            CustomerGroup::NotLoggedIn,
            false,
            "default",
            "s",
        );
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            cache_id(
                CurrencyCode::Usd,
                CustomerGroup::NotLoggedIn,
                false,
                "default",
                "s"
            )
        );
        assert_ne!(
            base,
            cache_id(
                CurrencyCode::Eur,
                CustomerGroup::NotLoggedIn,
                false,
                "default",
                "s"
            )
        );
        assert_ne!(
            base,
            cache_id(
                CurrencyCode::Usd,
                CustomerGroup::NotLoggedIn,
                false,
                "de",
                "s"
            )
        );
        assert_ne!(
            base,
            cache_id(
                CurrencyCode::Usd,
                CustomerGroup::General,
                true,
                "default",
                "s"
            )
        );
        let wholesale = cache_id(
            CurrencyCode::Usd,
            CustomerGroup::Wholesale,
            true,
            "default",
            "s",
        );
        assert_ne!(
            wholesale,
            cache_id(
                CurrencyCode::Usd,
                CustomerGroup::Retailer,
                true,
                "default",
                "s"
            )
        );
    }
}
