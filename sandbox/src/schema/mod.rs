//! The executable schema: Adobe's 2.4.9 SDL (via `commerce-schema`) with the sandbox's
//! resolvers plugged in.
//!
//! Root fields the sandbox emulates build `serde_json` trees keyed by Adobe's field names, and
//! nested fields resolve by reading them. Products and categories are the exception: they are
//! tiny reference objects (`__typename` plus `_p` = product index and `_v` = variant index, or
//! `_c` = category index) and each of their fields is computed from the compact catalog when
//! selected, so a listing that asks for `name` and `sku` never builds prices or galleries.
//! Keys starting with `_` are never schema field names, so clients cannot see them.
//!
//! Resolver errors carry Commerce's `extensions.category` (see `crate::errors`).

mod account;
mod cart;
mod catalog;
mod category;
mod company;
mod configurable;
mod content;
mod customer;
mod forms;
pub(crate) mod media;
mod orders;
mod product;
mod reviews;
mod stores;
mod types;
mod wishlists;

pub(crate) use media::placeholder_svg;

use std::sync::{Arc, OnceLock};

use async_graphql::dynamic::{FieldFuture, ResolverContext, Schema};
use async_graphql::parser::types::FieldDefinition;
use async_graphql::{Error, Value as GqlValue};
use commerce_schema::{
    FieldResolver, JsonKey, Resolvers, SchemaError, Sdl, owned_json_field_value,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::admin_users::AdminUsers;
use crate::carts::Carts;
use crate::catalog::Catalog;
use crate::companies::Companies;
use crate::customers::Customers;
use crate::errors::{Category, commerce_error, input_error};
use crate::mail::Outbox;
use crate::orders::Orders;
use crate::reviews::Reviews;
use crate::scope::RequestScope;
use crate::store::{StoreView, Stores};
use crate::wishlists::Wishlists;

/// Everything resolvers read. The seeded domains are immutable and need no lock; mutable state
/// lives inside the domain that owns it behind its own lock (the customers' token revocations,
/// the carts), so orders or requisition lists join as one more field and one more resolver
/// module, without touching the catalog.
pub(crate) struct Data {
    pub catalog: Catalog,
    pub stores: Stores,
    pub customers: Customers,
    pub companies: Companies,
    /// Admin users and the integration token (REST and `generateCustomerTokenAsAdmin`).
    pub admins: AdminUsers,
    /// What Commerce would have e-mailed.
    pub outbox: Outbox,
    pub wishlists: Wishlists,
    pub reviews: Reviews,
    pub carts: Carts,
    pub orders: Orders,
    /// Absolute base URL (with trailing slash) for media and store URLs; set when the sandbox
    /// binds, unless configured. Relative ("/") until then.
    pub base_url: OnceLock<String>,
}

impl Data {
    pub fn base_url(&self) -> &str {
        self.base_url.get().map_or("/", String::as_str)
    }

    /// The store view a scope targets.
    pub fn store(&self, scope: &RequestScope) -> &StoreView {
        let all = self.stores.all();
        &all[scope.store.min(all.len().saturating_sub(1))]
    }
}

/// A custom resolver body: computes the field's value as JSON for this request.
type Handler =
    Arc<dyn Fn(&Data, &RequestScope, &ResolverContext<'_>) -> Result<Value, Error> + Send + Sync>;

/// Builds the executable schema over `data`.
pub(crate) fn build(data: Arc<Data>) -> Result<Schema, SchemaError> {
    let sdl = Sdl::bundled();
    NON_NULL_ROOT_FIELDS.get_or_init(|| non_null_root_fields(&sdl));
    sdl.build(Arc::new(SandboxResolvers { data }))
        .finish()
        .map_err(|e| SchemaError::Invalid(e.to_string()))
}

/// Query and mutation fields whose type is non-null (`customerCart: Cart!`, `mergeCarts: Cart!`
/// …): when one fails, `data` itself is `null`, as the GraphQL spec has it.
static NON_NULL_ROOT_FIELDS: OnceLock<std::collections::HashSet<String>> = OnceLock::new();

fn non_null_root_fields(sdl: &Sdl) -> std::collections::HashSet<String> {
    ["Query", "Mutation"]
        .into_iter()
        .flat_map(|root| sdl.fields(root))
        .filter(|field| !field.node.ty.node.nullable)
        .map(|field| field.node.name.node.to_string())
        .collect()
}

/// Whether the root field `name` is declared non-null (unknown names count as nullable).
pub(crate) fn is_non_null_root_field(name: &str) -> bool {
    NON_NULL_ROOT_FIELDS
        .get()
        .is_some_and(|fields| fields.contains(name))
}

pub(crate) use commerce_schema::CACHEABLE_ROOT_FIELDS;

struct SandboxResolvers {
    data: Arc<Data>,
}

impl Resolvers for SandboxResolvers {
    fn json_key(&self) -> JsonKey {
        JsonKey::FieldName
    }

    fn custom(&self, type_name: &str, field: &FieldDefinition) -> Option<FieldResolver> {
        let name = field.name.node.as_str();
        let handler = match type_name {
            "Query" => Some(query_handler(name)),
            "Mutation" => Some(mutation_handler(name)),
            "SimpleProduct"
            | "ConfigurableProduct"
            | "VirtualProduct"
            | "DownloadableProduct"
            | "BundleProduct" => product::field(type_name, name),
            "CategoryTree" => category::field(name),
            "Cart" if name == "itemsV2" => Some(Arc::new(cart::items_v2) as Handler),
            "Customer" if name == "orders" => Some(Arc::new(orders::customer_orders) as Handler),
            "Customer" => account::customer_field(name),
            "Wishlist" if name == "items_v2" => Some(Arc::new(wishlists::items_v2) as Handler),
            _ => None,
        }?;
        let data = Arc::clone(&self.data);
        Some(Arc::new(move |ctx, shape| {
            let result = ctx
                .data::<Arc<RequestScope>>()
                .and_then(|scope| handler(&data, scope, &ctx))
                .and_then(|value| owned_json_field_value(value, shape, shape.list_depth));
            match result {
                Ok(value) => FieldFuture::Value(value),
                Err(e) => {
                    let e = with_path(e, &ctx);
                    FieldFuture::Future(Box::pin(async move { Err(e) }))
                }
            }
        }))
    }
}

/// Extension key carrying a resolver error's path to the HTTP layer: async-graphql's dynamic
/// schema does not set `path` on resolver errors, Commerce's errors always have one.
pub(crate) const PATH_EXTENSION: &str = "__sandbox_path";

fn with_path(mut error: Error, ctx: &ResolverContext<'_>) -> Error {
    let path = ctx
        .path_node
        .and_then(|node| serde_json::to_value(node).ok())
        .and_then(|path| GqlValue::from_json(path).ok())
        .unwrap_or(GqlValue::List(Vec::new()));
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set(PATH_EXTENSION, path);
    error
}

fn query_handler(name: &str) -> Handler {
    match name {
        "products" => Arc::new(catalog::products),
        "categories" => Arc::new(category::categories),
        "categoryList" => Arc::new(category::category_list),
        "category" => Arc::new(category::category),
        "route" => Arc::new(content::route),
        "urlResolver" => Arc::new(content::url_resolver),
        "cmsPage" => Arc::new(content::cms_page),
        "cmsBlocks" => Arc::new(content::cms_blocks),
        "storeConfig" => Arc::new(stores::store_config),
        "availableStores" => Arc::new(stores::available_stores),
        "currency" => Arc::new(stores::currency),
        "countries" => Arc::new(stores::countries),
        "country" => Arc::new(stores::country),
        "customer" => Arc::new(customer::customer),
        "customerGroup" => Arc::new(customer::customer_group),
        "company" => Arc::new(company::company),
        "customerCart" => Arc::new(cart::customer_cart),
        "cart" => Arc::new(cart::cart),
        "customerOrders" => Arc::new(orders::customer_orders),
        "checkoutAgreements" => Arc::new(cart::checkout_agreements),
        other => account::query(other)
            .or_else(|| wishlists::query(other))
            .or_else(|| reviews::query(other))
            .or_else(|| forms::query(other))
            .unwrap_or_else(|| not_emulated("query", other)),
    }
}

fn mutation_handler(name: &str) -> Handler {
    match name {
        "generateCustomerToken" => Arc::new(customer::generate_customer_token),
        "revokeCustomerToken" => Arc::new(customer::revoke_customer_token),
        "generateCustomerTokenAsAdmin" => Arc::new(customer::generate_customer_token_as_admin),
        other => cart_mutation(other)
            .or_else(|| account::mutation(other))
            .or_else(|| wishlists::mutation(other))
            .or_else(|| reviews::mutation(other))
            .or_else(|| forms::mutation(other))
            .unwrap_or_else(|| not_emulated("mutation", other)),
    }
}

/// The cart and checkout mutations (`crate::carts`, `crate::orders`).
fn cart_mutation(name: &str) -> Option<Handler> {
    use cart::{checkout, items};
    Some(match name {
        "createEmptyCart" => Arc::new(cart::create_empty_cart),
        "createGuestCart" => Arc::new(cart::create_guest_cart),
        "mergeCarts" => Arc::new(cart::merge_carts),
        "addProductsToCart" => Arc::new(items::add_products_to_cart),
        "addSimpleProductsToCart" => Arc::new(items::add_simple_products_to_cart),
        "addConfigurableProductsToCart" => Arc::new(items::add_configurable_products_to_cart),
        "addVirtualProductsToCart"
        | "addDownloadableProductsToCart"
        | "addBundleProductsToCart" => Arc::new(cart::types::add_typed_products_to_cart),
        "updateCartItems" => Arc::new(items::update_cart_items),
        "removeItemFromCart" => Arc::new(items::remove_item_from_cart),
        "applyCouponToCart" => Arc::new(checkout::apply_coupon_to_cart),
        "removeCouponFromCart" => Arc::new(checkout::remove_coupon_from_cart),
        "setGuestEmailOnCart" => Arc::new(checkout::set_guest_email_on_cart),
        "setShippingAddressesOnCart" => Arc::new(checkout::set_shipping_addresses_on_cart),
        "setBillingAddressOnCart" => Arc::new(checkout::set_billing_address_on_cart),
        "setShippingMethodsOnCart" => Arc::new(checkout::set_shipping_methods_on_cart),
        "setPaymentMethodOnCart" => Arc::new(checkout::set_payment_method_on_cart),
        "setGiftOptionsOnCart" => Arc::new(checkout::set_gift_options_on_cart),
        "estimateShippingMethods" => Arc::new(checkout::estimate_shipping_methods),
        "estimateTotals" => Arc::new(checkout::estimate_totals),
        "placeOrder" => Arc::new(checkout::place_order),
        "addWishlistItemsToCart" => Arc::new(cart::wishlist::add_wishlist_items_to_cart),
        _ => return None,
    })
}

/// Root fields of Adobe's schema the sandbox answers with an error rather than data.
fn not_emulated(kind: &'static str, name: &str) -> Handler {
    let message = format!("The sandbox does not emulate the `{name}` {kind} yet.");
    Arc::new(move |_, _, _| Err(commerce_error(Category::NoSuchEntity, message.clone())))
}

/// An optional argument deserialized into `T`; explicit `null` counts as absent.
fn arg<T: DeserializeOwned>(ctx: &ResolverContext<'_>, name: &str) -> Result<Option<T>, Error> {
    match ctx.args.get(name) {
        None => Ok(None),
        Some(value) if value.is_null() => Ok(None),
        Some(value) => value
            .deserialize()
            .map(Some)
            .map_err(|e| input_error(format!("Invalid `{name}`: {}", e.message))),
    }
}

/// `pageSize` / `currentPage` as Commerce validates them.
#[derive(Debug, Clone, Copy)]
struct Page {
    size: usize,
    current: usize,
}

impl Page {
    fn from_args(ctx: &ResolverContext<'_>) -> Result<Page, Error> {
        let size = arg::<i64>(ctx, "pageSize")?.unwrap_or(20);
        let current = arg::<i64>(ctx, "currentPage")?.unwrap_or(1);
        Page::new(size, current)
    }

    fn new(size: i64, current: i64) -> Result<Page, Error> {
        if current < 1 {
            return Err(input_error("currentPage value must be greater than 0."));
        }
        if size < 1 {
            return Err(input_error("pageSize value must be greater than 0."));
        }
        Ok(Page {
            size: size as usize,
            current: current as usize,
        })
    }

    fn total_pages(&self, total: usize) -> usize {
        total.div_ceil(self.size)
    }

    /// Commerce's error for a page past the end (only when there are results at all).
    fn check(&self, total: usize) -> Result<(), Error> {
        let pages = self.total_pages(total);
        if total > 0 && self.current > pages {
            return Err(input_error(format!(
                "currentPage value {} specified is greater than the {} page(s) available.",
                self.current, pages
            )));
        }
        Ok(())
    }

    /// The slice of `items` this page shows.
    fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.current - 1)
            .saturating_mul(self.size)
            .min(items.len());
        let end = start.saturating_add(self.size).min(items.len());
        &items[start..end]
    }

    /// `SearchResultPageInfo`.
    fn info(&self, total: usize) -> Value {
        json!({
            "page_size": self.size,
            "current_page": self.current,
            "total_pages": self.total_pages(total),
        })
    }
}

#[cfg(test)]
mod tests;
