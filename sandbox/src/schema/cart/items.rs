//! Cart items: `addProductsToCart` (problems per product in `user_errors`),
//! `addSimpleProductsToCart` and `addConfigurableProductsToCart` (a problem fails the whole
//! mutation, as in Commerce), `updateCartItems`, `removeItemFromCart`, and the rendering of
//! one line.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::product::{product_ref, variant_ref};
use super::super::{Data, arg, configurable};
use super::{caller, cart_error, cart_output, money, required, types};
use crate::carts::lines::{self, MAX_LINES, UserError, UserErrorCode};
use crate::carts::totals::{LineTotals, round_cents};
use crate::carts::{Cart, CartError, LineKind};
use crate::catalog::Catalog;
use crate::catalog::pricing::PriceView;
use crate::errors::input_error;
use crate::scope::RequestScope;

/// `CartItemInput`.
#[derive(Debug, Deserialize)]
pub(super) struct CartItemInput {
    #[serde(default)]
    pub(super) sku: String,
    #[serde(default)]
    pub(super) quantity: f64,
    parent_sku: Option<String>,
    #[serde(default)]
    pub(super) selected_options: Vec<String>,
    #[serde(default)]
    pub(super) entered_options: Vec<Option<EnteredOption>>,
}

impl CartItemInput {
    /// An item named by sku alone, as a wish list item is added to the cart.
    pub(super) fn of_sku(sku: String, quantity: f64) -> CartItemInput {
        CartItemInput {
            sku,
            quantity,
            parent_sku: None,
            selected_options: Vec::new(),
            entered_options: Vec::new(),
        }
    }
}

/// `EnteredOptionInput`.
#[derive(Debug, Deserialize)]
pub(super) struct EnteredOption {
    #[serde(default)]
    pub(super) uid: String,
    #[serde(default)]
    pub(super) value: String,
}

/// The product and line kind a `CartItemInput` names: a simple product, a configurable
/// product's variant by its sku (with or without `parent_sku`), or a configurable product
/// with the option value uids of one variant.
fn resolve(catalog: &Catalog, item: &CartItemInput) -> Result<(u32, LineKind), UserError> {
    let sku = item.sku.trim();
    let (product, variant) = catalog
        .item_by_sku(sku)
        .ok_or_else(|| UserError::product_not_found(sku))?;
    if let Some(parent) = item.parent_sku.as_deref().map(str::trim)
        && !parent.is_empty()
        && catalog.product_by_sku(parent) != Some(product)
    {
        return Err(UserError::product_not_found(parent));
    }
    let resolved = match (variant, &catalog.product(product).configurable) {
        (Some(variant), _) => Ok((product, LineKind::Configurable { variant })),
        (None, None) => types::line_kind(catalog.product(product), item).map(|k| (product, k)),
        (None, Some(matrix)) => configurable::variant_by_uids(matrix, &item.selected_options)
            .map(|variant| (product, LineKind::Configurable { variant }))
            .ok_or_else(UserError::options_required),
    }?;
    // A variant disabled over REST is no longer sold (Commerce answers as for a missing SKU).
    if let (_, LineKind::Configurable { variant }) = &resolved
        && !catalog.is_variant_offered(variant.id)
    {
        return Err(UserError::product_not_found(sku));
    }
    Ok(resolved)
}

fn user_error_json(error: &UserError) -> Value {
    json!({ "__typename": "CartUserInputError", "code": error.code.as_str(), "message": error.message })
}

fn bounded_items<T>(items: &[T], name: &'static str) -> Result<(), Error> {
    if items.is_empty() {
        return Err(cart_error(CartError::MissingParameter(name)));
    }
    if items.len() > MAX_LINES {
        return Err(input_error(format!(
            "The sandbox accepts at most {MAX_LINES} cart items per request."
        )));
    }
    Ok(())
}

/// `addProductsToCart(cartId, cartItems)`.
pub(in crate::schema) fn add_products_to_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let cart_id: Option<String> = arg(ctx, "cartId")?;
    let cart_id = required(&cart_id, "cartId")?;
    let items: Vec<CartItemInput> = arg(ctx, "cartItems")?.unwrap_or_default();
    bounded_items(&items, "cartItems")?;
    let (errors, cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            Ok(items
                .iter()
                .filter_map(|item| add_one(data, cart, item).err())
                .collect::<Vec<_>>())
        })
        .map_err(cart_error)?;
    let mut output = cart_output(data, scope, &cart);
    output["user_errors"] = errors
        .iter()
        .map(user_error_json)
        .collect::<Vec<_>>()
        .into();
    Ok(output)
}

fn add_one(data: &Data, cart: &mut Cart, item: &CartItemInput) -> Result<(), UserError> {
    let (product, kind) = resolve(&data.catalog, item)?;
    lines::add(cart, &data.catalog, product, kind, item.quantity, || {
        data.carts.next_item_id()
    })
}

/// The whole-mutation error the older add mutations throw for a product's problem.
fn thrown(item: &CartItemInput, error: UserError) -> CartError {
    match error.code {
        UserErrorCode::ProductNotFound => CartError::NoSuchEntity(error.message),
        _ => CartError::Input(format!(
            "Could not add the product with SKU {} to the shopping cart: {}",
            item.sku.trim(),
            error.message
        )),
    }
}

/// `{ data: CartItemInput, … }` of the older add mutations; configurable items name the
/// parent and optionally the variant beside `data`.
#[derive(Deserialize)]
struct LegacyItem {
    data: Option<CartItemInput>,
    parent_sku: Option<String>,
    variant_sku: Option<String>,
}

#[derive(Deserialize)]
struct LegacyInput {
    cart_id: Option<String>,
    #[serde(default)]
    cart_items: Vec<Option<LegacyItem>>,
}

/// `addSimpleProductsToCart(input)`.
pub(in crate::schema) fn add_simple_products_to_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    add_legacy(data, scope, ctx, false)
}

/// `addConfigurableProductsToCart(input)`.
pub(in crate::schema) fn add_configurable_products_to_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    add_legacy(data, scope, ctx, true)
}

fn add_legacy(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
    configurable: bool,
) -> Result<Value, Error> {
    let input: LegacyInput =
        arg(ctx, "input")?.ok_or_else(|| cart_error(CartError::MissingParameter("input")))?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let items: Vec<CartItemInput> = input
        .cart_items
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let mut data = item.data?;
            if configurable {
                data.parent_sku = item.parent_sku.or(data.parent_sku);
                if let Some(variant) = item.variant_sku.filter(|v| !v.trim().is_empty()) {
                    data.sku = variant;
                }
            }
            Some(data)
        })
        .collect();
    add_all_or_nothing(data, scope, cart_id, &items)
}

/// The older add mutations' rule: every item goes in, or the first problem fails the whole
/// mutation and the cart stays as it was.
pub(super) fn add_all_or_nothing(
    data: &Data,
    scope: &RequestScope,
    cart_id: &str,
    items: &[CartItemInput],
) -> Result<Value, Error> {
    bounded_items(items, "cart_items")?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            for item in items {
                add_one(data, cart, item).map_err(|e| thrown(item, e))?;
            }
            Ok(())
        })
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

/// `CartItemUpdateInput`.
#[derive(Deserialize)]
struct ItemUpdate {
    cart_item_id: Option<i64>,
    cart_item_uid: Option<String>,
    quantity: Option<f64>,
}

impl ItemUpdate {
    /// The quote item id, from `cart_item_uid` or the deprecated `cart_item_id`.
    fn item_id(&self) -> Option<u32> {
        match (&self.cart_item_uid, self.cart_item_id) {
            (Some(uid), _) => Some(crate::uid::decode_id(uid).unwrap_or(0)),
            (None, Some(id)) => Some(u32::try_from(id).unwrap_or(0)),
            (None, None) => None,
        }
    }
}

/// `updateCartItems(input)`: quantity 0 removes a line; stock problems go to `errors`.
pub(in crate::schema) fn update_cart_items(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        #[serde(default)]
        cart_items: Vec<Option<ItemUpdate>>,
    }
    let input: Input =
        arg(ctx, "input")?.ok_or_else(|| cart_error(CartError::MissingParameter("input")))?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let updates: Vec<ItemUpdate> = input.cart_items.into_iter().flatten().collect();
    bounded_items(&updates, "cart_items")?;
    let (errors, cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| {
            let mut errors = Vec::new();
            for update in &updates {
                let item = update.item_id().ok_or_else(|| {
                    CartError::Input(
                        "Required parameter \"cart_item_uid\" for \"cart_items\" is missing."
                            .into(),
                    )
                })?;
                let quantity = update.quantity.ok_or_else(|| {
                    CartError::Input(
                        "Required parameter \"quantity\" for \"cart_items\" is missing.".into(),
                    )
                })?;
                if let Some(error) = lines::set_quantity(cart, &data.catalog, item, quantity)? {
                    errors.push(error);
                }
            }
            Ok(errors)
        })
        .map_err(cart_error)?;
    let mut output = cart_output(data, scope, &cart);
    output["errors"] = errors
        .iter()
        .map(|e| json!({ "code": e.code.as_str(), "message": e.message }))
        .collect::<Vec<_>>()
        .into();
    Ok(output)
}

/// `removeItemFromCart(input)`.
pub(in crate::schema) fn remove_item_from_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    #[derive(Deserialize)]
    struct Input {
        cart_id: Option<String>,
        cart_item_id: Option<i64>,
        cart_item_uid: Option<String>,
    }
    let input: Input =
        arg(ctx, "input")?.ok_or_else(|| cart_error(CartError::MissingParameter("input")))?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let item = ItemUpdate {
        cart_item_id: input.cart_item_id,
        cart_item_uid: input.cart_item_uid,
        quantity: None,
    }
    .item_id()
    .ok_or_else(|| input_error("\"cart_item_id\" or \"cart_item_uid\" should be specified"))?;
    let ((), cart) = data
        .carts
        .update(caller(scope), cart_id, |cart| lines::remove(cart, item))
        .map_err(cart_error)?;
    Ok(cart_output(data, scope, &cart))
}

/// A `SimpleCartItem` / `ConfigurableCartItem`.
pub(super) fn line_json(
    data: &Data,
    scope: &RequestScope,
    view: &PriceView,
    cart: &Cart,
    totals: &LineTotals,
) -> Value {
    let catalog = &data.catalog;
    let line = &totals.line;
    let quantity = f64::from(line.quantity);
    let available = line.salable(catalog) >= line.quantity;
    let (price, regular) = (totals.price, totals.regular);
    let percent_off = if regular > 0.0 {
        round_cents((regular - price) / regular * 100.0)
    } else {
        0.0
    };
    let catalog_discount = |amount_off: f64| json!({ "amount_off": round_cents(amount_off), "percent_off": percent_off });
    let discounts: Vec<Value> = cart
        .coupon
        .filter(|_| totals.discount > 0.0)
        .map(|c| json!({ "amount": money(view, totals.discount), "label": c.label, "applied_to": "ITEM", "coupon": { "code": c.code } }))
        .into_iter()
        .collect();
    let unit_tax = if quantity > 0.0 {
        totals.tax / quantity
    } else {
        0.0
    };
    let mut item = json!({
        "__typename": "SimpleCartItem",
        "id": line.id.to_string(),
        "uid": crate::uid::encode_id(line.id),
        "quantity": quantity,
        "product": product_ref(catalog, scope, line.product),
        "is_available": available,
        "not_available_message": (!available).then_some("The requested qty is not available"),
        "errors": [],
        "customizable_options": [],
        "available_gift_wrapping": [],
        "discount": discounts,
        "prices": {
            "price": money(view, price),
            "price_including_tax": money(view, price + unit_tax),
            "row_total": money(view, totals.row_total),
            "row_total_including_tax": money(view, totals.row_total + totals.tax),
            "original_item_price": money(view, regular),
            "original_row_total": money(view, regular * quantity),
            "total_item_discount": money(view, totals.discount),
            "catalog_discount": catalog_discount(regular - price),
            "row_catalog_discount": catalog_discount((regular - price) * quantity),
            "discounts": discounts,
            "fixed_product_taxes": [],
        },
    });
    if let LineKind::Configurable { variant } = line.kind {
        item["__typename"] = json!("ConfigurableCartItem");
        item["configured_variant"] = variant_ref(scope, line.product, variant);
        item["configurable_options"] =
            configurable::selected_options(catalog.product_id(line.product), &variant);
    }
    types::decorate_line(data, view, line, &mut item);
    item
}
