//! Virtual, downloadable and bundle products in the cart: reading Commerce's option uids
//! (`downloadable/<link id>`, `bundle/<option id>/<selection id>/<quantity>` among
//! `selected_options`, `bundle/<option id>/<selection id>` with the quantity as value among
//! `entered_options`), the older `addVirtualProductsToCart`, `addDownloadableProductsToCart`
//! and `addBundleProductsToCart` (whose structured options become the same uids, so both ways
//! share one set of checks), and the `VirtualCartItem`, `DownloadableCartItem` and
//! `BundleCartItem` fields of a line.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::types::{link_json, sample_json};
use super::super::{Data, arg};
use super::items::{CartItemInput, add_all_or_nothing};
use super::{cart_error, money, required};
use crate::carts::lines::{UserError, UserErrorCode};
use crate::carts::types::{self as chosen, BundlePicks, RequestedPick};
use crate::carts::{CartError, CartLine, LineKind};
use crate::catalog::Product;
use crate::catalog::pricing::PriceView;
use crate::catalog::types::Kind;
use crate::scope::RequestScope;
use crate::uid;

/// Bundle option uids one cart item may name: more than any seeded bundle offers.
const MAX_REQUESTED_PICKS: usize = 32;

/// The line kind of a product that is neither configurable nor one of a configurable's
/// variants, with the options the request chose for it.
pub(super) fn line_kind(product: &Product, item: &CartItemInput) -> Result<LineKind, UserError> {
    match &product.kind {
        Kind::Standard => Ok(LineKind::Simple),
        Kind::Virtual => Ok(LineKind::Virtual),
        Kind::Downloadable(downloadable) => {
            let ids: Vec<u32> = item
                .selected_options
                .iter()
                .filter_map(|u| decoded(u))
                .filter_map(|path| path.strip_prefix("downloadable/")?.parse().ok())
                .collect();
            chosen::choose_links(downloadable, &ids).map(|links| LineKind::Downloadable { links })
        }
        Kind::Bundle(bundle) => {
            let requested = requested_picks(item)?;
            chosen::choose_selections(bundle, &requested).map(|picks| LineKind::Bundle { picks })
        }
    }
}

/// The text a uid encodes; `None` for anything that is not base64 of UTF-8.
fn decoded(uid: &str) -> Option<String> {
    let bytes = STANDARD.decode(uid.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

fn wrong_format() -> UserError {
    UserError::new(
        UserErrorCode::Undefined,
        "Wrong format of the entered option data",
    )
}

fn number<T: std::str::FromStr>(part: &str) -> Result<T, UserError> {
    part.parse().map_err(|_| wrong_format())
}

/// The bundle selections an item's uids name; uids of other option types are left to their
/// own providers, as Commerce does.
fn requested_picks(item: &CartItemInput) -> Result<Vec<RequestedPick>, UserError> {
    let mut picks = Vec::new();
    for path in item.selected_options.iter().filter_map(|u| decoded(u)) {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.first() != Some(&"bundle") {
            continue;
        }
        let [_, option, selection, quantity] = parts[..] else {
            return Err(wrong_format());
        };
        picks.push(RequestedPick {
            option: number(option)?,
            selection: number(selection)?,
            quantity: Some(number(quantity)?),
        });
    }
    for entered in item.entered_options.iter().flatten() {
        let Some(path) = decoded(&entered.uid) else {
            continue;
        };
        let parts: Vec<&str> = path.split('/').collect();
        if parts.first() != Some(&"bundle") {
            continue;
        }
        let [_, option, selection] = parts[..] else {
            return Err(wrong_format());
        };
        picks.push(RequestedPick {
            option: number(option)?,
            selection: number(selection)?,
            quantity: Some(number(entered.value.trim())?),
        });
    }
    if picks.len() > MAX_REQUESTED_PICKS {
        return Err(wrong_format());
    }
    Ok(picks)
}

/// `BundleOptionInput`.
#[derive(Deserialize)]
struct BundleOptionInput {
    id: Option<i64>,
    quantity: Option<f64>,
    #[serde(default)]
    value: Vec<Option<String>>,
}

/// `DownloadableProductLinksInput`.
#[derive(Deserialize)]
struct LinkInput {
    link_id: Option<i64>,
}

/// `VirtualProductCartItemInput`, `DownloadableProductCartItemInput` and
/// `BundleProductCartItemInput` in one: each type leaves the others' fields out.
#[derive(Deserialize)]
struct TypedItem {
    data: Option<CartItemInput>,
    #[serde(default)]
    bundle_options: Vec<Option<BundleOptionInput>>,
    #[serde(default)]
    downloadable_product_links: Vec<Option<LinkInput>>,
}

#[derive(Deserialize)]
struct TypedInput {
    cart_id: Option<String>,
    #[serde(default)]
    cart_items: Vec<Option<TypedItem>>,
}

impl TypedItem {
    /// The item as `addProductsToCart` would receive it: its options as Commerce's uids.
    fn into_cart_item(self) -> Option<CartItemInput> {
        let mut item = self.data?;
        for option in self.bundle_options.into_iter().flatten() {
            let id = option.id.unwrap_or(0);
            let quantity = option.quantity.unwrap_or(1.0);
            for value in option.value.iter().flatten() {
                let path = format!("bundle/{id}/{}/{quantity}", value.trim());
                item.selected_options.push(uid::encode(&path));
            }
        }
        for link in self.downloadable_product_links.into_iter().flatten() {
            if let Some(id) = link.link_id {
                let path = format!("downloadable/{id}");
                item.selected_options.push(uid::encode(&path));
            }
        }
        Some(item)
    }
}

/// `addVirtualProductsToCart`, `addDownloadableProductsToCart` and `addBundleProductsToCart`:
/// like `addSimpleProductsToCart`, a problem fails the whole mutation.
pub(in crate::schema) fn add_typed_products_to_cart(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
) -> Result<Value, Error> {
    let input: TypedInput =
        arg(ctx, "input")?.ok_or_else(|| cart_error(CartError::MissingParameter("input")))?;
    let cart_id = required(&input.cart_id, "cart_id")?;
    let items: Vec<CartItemInput> = input
        .cart_items
        .into_iter()
        .flatten()
        .filter_map(TypedItem::into_cart_item)
        .collect();
    add_all_or_nothing(data, scope, cart_id, &items)
}

/// Sets the typename and the type's own fields of a rendered virtual, downloadable or bundle
/// line; other lines are left as they are.
pub(super) fn decorate_line(data: &Data, view: &PriceView, line: &CartLine, item: &mut Value) {
    let product = data.catalog.product(line.product);
    match &line.kind {
        LineKind::Virtual => item["__typename"] = json!("VirtualCartItem"),
        LineKind::Downloadable { links } => {
            item["__typename"] = json!("DownloadableCartItem");
            let Some(downloadable) = chosen::downloadable_of(product) else {
                return;
            };
            let base = data.base_url();
            item["links"] = links
                .indices()
                .filter_map(|i| downloadable.links.get(i))
                .map(|l| link_json(base, view, l))
                .collect::<Vec<_>>()
                .into();
            item["samples"] = downloadable
                .samples
                .iter()
                .map(|s| sample_json(base, s))
                .collect::<Vec<_>>()
                .into();
        }
        LineKind::Bundle { picks } => {
            item["__typename"] = json!("BundleCartItem");
            item["bundle_options"] = bundle_options(data, view, product, picks);
        }
        LineKind::Simple | LineKind::Configurable { .. } => {}
    }
}

/// `BundleCartItem.bundle_options`: the options with a chosen selection, in option order,
/// each selection at its product's price per unit.
fn bundle_options(data: &Data, view: &PriceView, product: &Product, picks: &BundlePicks) -> Value {
    let Some(bundle) = chosen::bundle_of(product) else {
        return json!([]);
    };
    let catalog = &data.catalog;
    let mut options = Vec::new();
    for (o, option) in bundle.options.iter().enumerate() {
        let values: Vec<Value> = picks
            .iter()
            .filter(|p| usize::from(p.option) == o)
            .filter_map(|p| {
                let selection = option.selections.get(usize::from(p.selection))?;
                let simple = catalog.product(selection.product);
                let unit = view.unit_price(simple, None);
                let price = view.amount(unit.final_price);
                Some(json!({
                    "id": selection.id,
                    "uid": uid::encode_id(selection.id),
                    "label": simple.name,
                    "quantity": f64::from(p.quantity),
                    "price": price,
                    "priceV2": money(view, price),
                    "original_price": money(view, view.amount(unit.regular)),
                }))
            })
            .collect();
        if values.is_empty() {
            continue;
        }
        options.push(json!({
            "id": option.id,
            "uid": uid::encode(&format!("bundle/{}", option.id)),
            "label": option.title,
            "type": option.option_type.code(),
            "values": values,
        }));
    }
    options.into()
}
