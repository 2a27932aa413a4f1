//! The fields only downloadable and bundle products have, and their prices: a downloadable
//! product's range adds its links when they are bought separately, a dynamic-price bundle's is
//! the sum of its selections'. Uids are Commerce's: base64 of `downloadable/<link id>`, of
//! `bundle/<option id>` and of `bundle/<option id>/<selection id>/<quantity>`.

use serde_json::{Value, json};

use super::Data;
use super::product::{At, money, product_price, product_ref};
use crate::catalog::Catalog;
use crate::catalog::pricing::{PriceView, UnitPrice};
use crate::catalog::types::{Bundle, BundleOption, Downloadable, Kind, Link, Sample, Selection};
use crate::scope::RequestScope;
use crate::uid::encode;

pub(super) fn downloadable<'a>(at: &At<'a>) -> Option<&'a Downloadable> {
    match &at.product.kind {
        Kind::Downloadable(d) => Some(d),
        _ => None,
    }
}

/// The cheapest and dearest way to buy a downloadable or bundle product; `None` for the
/// others, whose range is their own price.
pub(super) fn price_bounds(
    catalog: &Catalog,
    view: &PriceView,
    at: &At<'_>,
) -> Option<(UnitPrice, UnitPrice)> {
    match &at.product.kind {
        Kind::Downloadable(d) => {
            let base = at.unit_price(catalog, view);
            if !d.links_purchased_separately {
                return Some((base, base));
            }
            let cheapest = d.links.iter().map(|l| l.price).min().unwrap_or(0);
            let all: u32 = d.links.iter().map(|l| l.price).sum();
            Some((plus(base, cheapest), plus(base, all)))
        }
        Kind::Bundle(bundle) => Some(bundle_bounds(catalog, view, bundle)),
        Kind::Standard | Kind::Virtual => None,
    }
}

fn plus(price: UnitPrice, cents: u32) -> UnitPrice {
    UnitPrice {
        regular: price.regular + cents,
        final_price: price.final_price + cents,
    }
}

fn sum(a: UnitPrice, b: UnitPrice) -> UnitPrice {
    UnitPrice {
        regular: a.regular + b.regular,
        final_price: a.final_price + b.final_price,
    }
}

/// A selection's price at its default quantity.
fn selection_price(catalog: &Catalog, view: &PriceView, selection: &Selection) -> UnitPrice {
    let unit = view.unit_price(catalog.product(selection.product), None);
    let qty = u32::from(selection.quantity);
    UnitPrice {
        regular: unit.regular * qty,
        final_price: unit.final_price * qty,
    }
}

/// An option's cheapest and dearest selection.
fn option_bounds(
    catalog: &Catalog,
    view: &PriceView,
    option: &BundleOption,
) -> (UnitPrice, UnitPrice) {
    let prices = option
        .selections
        .iter()
        .map(|s| selection_price(catalog, view, s));
    let zero = UnitPrice {
        regular: 0,
        final_price: 0,
    };
    let min = prices.clone().min_by_key(|p| p.final_price).unwrap_or(zero);
    let max = prices.max_by_key(|p| p.final_price).unwrap_or(zero);
    (min, max)
}

/// Commerce's dynamic bundle range: the minimum buys the cheapest selection of every required
/// option (or, with none required, the cheapest selection of all); the maximum the dearest
/// selection of every single-choice option and every selection of the multiple-choice ones.
fn bundle_bounds(catalog: &Catalog, view: &PriceView, bundle: &Bundle) -> (UnitPrice, UnitPrice) {
    let zero = UnitPrice {
        regular: 0,
        final_price: 0,
    };
    let required = bundle.options.iter().filter(|o| o.required);
    let mut minimum = required.fold(zero, |acc, o| sum(acc, option_bounds(catalog, view, o).0));
    if minimum == zero {
        minimum = bundle
            .options
            .iter()
            .map(|o| option_bounds(catalog, view, o).0)
            .min_by_key(|p| p.final_price)
            .unwrap_or(zero);
    }
    let maximum = bundle.options.iter().fold(zero, |acc, o| {
        if o.option_type.is_multiple() {
            o.selections
                .iter()
                .fold(acc, |acc, s| sum(acc, selection_price(catalog, view, s)))
        } else {
            sum(acc, option_bounds(catalog, view, o).1)
        }
    });
    (minimum, maximum)
}

/// Every required option has a selection in stock.
pub(crate) fn bundle_is_salable(catalog: &Catalog, bundle: &Bundle) -> bool {
    bundle.options.iter().filter(|o| o.required).all(|o| {
        o.selections
            .iter()
            .any(|s| catalog.product_qty(s.product) >= u32::from(s.quantity))
    })
}

/// `downloadable_product_links`, by `sort_order`.
pub(super) fn links(data: &Data, view: &PriceView, at: &At<'_>) -> Value {
    let Some(d) = downloadable(at) else {
        return Value::Null;
    };
    let base = data.base_url();
    Value::Array(d.links.iter().map(|l| link_json(base, view, l)).collect())
}

/// One `DownloadableProductLinks`: on the product, and on a cart item for the links bought.
pub(super) fn link_json(base: &str, view: &PriceView, link: &Link) -> Value {
    let sample_url = link.has_sample.then(|| {
        format!(
            "{base}downloadable/download/linkSample/link_id/{}/",
            link.id
        )
    });
    json!({
        "id": link.id,
        "uid": encode(&format!("downloadable/{}", link.id)),
        "title": link.title,
        "sort_order": link.sort_order,
        "price": view.amount(link.price),
        "sample_url": sample_url,
        "is_shareable": false,
        "number_of_downloads": 0,
        "link_type": "FILE",
        "sample_type": link.has_sample.then_some("FILE"),
        "sample_file": Value::Null,
    })
}

/// `downloadable_product_samples`, by `sort_order`.
pub(super) fn samples(data: &Data, at: &At<'_>) -> Value {
    let Some(d) = downloadable(at) else {
        return Value::Null;
    };
    let base = data.base_url();
    Value::Array(d.samples.iter().map(|s| sample_json(base, s)).collect())
}

/// One `DownloadableProductSamples`.
pub(super) fn sample_json(base: &str, sample: &Sample) -> Value {
    json!({
        "id": sample.id,
        "title": sample.title,
        "sort_order": sample.sort_order,
        "sample_url": format!("{base}downloadable/download/sample/sample_id/{}/", sample.id),
        "sample_type": "FILE",
        "sample_file": Value::Null,
    })
}

/// `BundleProduct.items`: the options by position, each with its selections.
pub(super) fn bundle_items(data: &Data, scope: &RequestScope, at: &At<'_>) -> Value {
    let Kind::Bundle(bundle) = &at.product.kind else {
        return Value::Null;
    };
    let catalog = &data.catalog;
    let view = scope.price_view();
    Value::Array(
        bundle
            .options
            .iter()
            .map(|option| {
                let (minimum, maximum) = option_bounds(catalog, &view, option);
                json!({
                    "option_id": option.id,
                    "uid": encode(&format!("bundle/{}", option.id)),
                    "title": option.title,
                    "required": option.required,
                    "type": option.option_type.code(),
                    "position": option.position,
                    "sku": at.product.sku,
                    "price_range": {
                        "minimum_price": product_price(&view, minimum),
                        "maximum_price": product_price(&view, maximum),
                    },
                    "options": option.selections.iter().map(|s| selection_json(catalog, scope, &view, option, s)).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// One `BundleItemOption`. In a dynamic-price bundle a selection costs its product's price.
fn selection_json(
    catalog: &Catalog,
    scope: &RequestScope,
    view: &PriceView,
    option: &BundleOption,
    selection: &Selection,
) -> Value {
    let product = catalog.product(selection.product);
    let unit = view.unit_price(product, None);
    let quantity = f64::from(selection.quantity);
    json!({
        "id": selection.id,
        "uid": encode(&format!("bundle/{}/{}/{}", option.id, selection.id, selection.quantity)),
        "label": product.name,
        "quantity": quantity,
        "qty": quantity,
        "position": selection.position,
        "is_default": selection.is_default,
        "can_change_quantity": selection.can_change_quantity,
        "price": money(view, unit.final_price)["value"],
        "price_type": "DYNAMIC",
        "product": product_ref(catalog, scope, selection.product),
    })
}
