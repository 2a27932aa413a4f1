//! Fields of `SimpleProduct`, `ConfigurableProduct` and the other product types
//! (`VirtualProduct`, `DownloadableProduct`, `BundleProduct`, see `types`), each computed from
//! the compact catalog when selected. The parent object is a product reference: `_p` (product index) and, for the
//! simple products behind a configurable product, `_v` (variant index).

use std::sync::Arc;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::configurable;
use super::media;
use super::types;
use super::{Data, Handler, category};
use crate::catalog::attributes::{COLORS, MATERIALS, SIZES};
use crate::catalog::content::Content;
use crate::catalog::pricing::{PriceView, UnitPrice};
use crate::catalog::types::Kind;
use crate::catalog::{Catalog, Family, Product, Variant, slug};
use crate::scope::RequestScope;

/// The product a field is resolved on.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub index: u32,
    pub product: &'a Product,
    /// Set for a simple product behind a configurable one.
    pub variant: Option<Variant>,
}

impl At<'_> {
    pub fn id(&self) -> u32 {
        self.variant.map_or(self.product.id, |v| v.id)
    }

    pub fn sku(&self, catalog: &Catalog) -> String {
        match self.variant {
            Some(v) => catalog.variant_sku(self.index, v),
            None => self.product.sku.clone(),
        }
    }

    pub fn name(&self, catalog: &Catalog) -> String {
        match self.variant {
            Some(v) => catalog.variant_name(self.index, v),
            None => self.product.name.clone(),
        }
    }

    fn url_key(&self, catalog: &Catalog) -> String {
        match self.variant {
            Some(_) => slug(&self.name(catalog)),
            None => self.product.url_key.clone(),
        }
    }

    fn qty(&self, catalog: &Catalog) -> u32 {
        match self.variant {
            Some(v) => u32::from(catalog.variant_qty(v.id)),
            None => catalog.product_qty(self.index),
        }
    }

    /// A configurable parent (not one of its variants).
    pub fn is_configurable(&self) -> bool {
        self.variant.is_none() && self.product.configurable.is_some()
    }

    /// Index into `COLORS`, for a variant or a simple product with a color.
    pub fn color(&self) -> Option<u8> {
        self.variant.map(|v| v.color).or(self.product.color)
    }

    /// A bundle product (its stock is its options').
    pub fn is_bundle(&self) -> bool {
        matches!(self.product.kind, Kind::Bundle(_))
    }

    /// Commerce's `stock_status`: a bundle is salable when every required option has a salable
    /// selection.
    fn is_salable(&self, catalog: &Catalog) -> bool {
        match &self.product.kind {
            Kind::Bundle(bundle) => types::bundle_is_salable(catalog, bundle),
            _ => self.qty(catalog) > 0,
        }
    }

    pub(super) fn unit_price(&self, catalog: &Catalog, view: &PriceView) -> UnitPrice {
        match self.variant {
            Some(v) => view.variant_unit_price(catalog, self.index, v),
            None => view.unit_price(self.product, None),
        }
    }
}

/// A reference to a visible product, tagging the response with it.
pub(super) fn product_ref(catalog: &Catalog, scope: &RequestScope, index: u32) -> Value {
    let product = catalog.product(index);
    scope.tag_entity("cat_p", product.id);
    let typename = match (&product.kind, &product.configurable) {
        (Kind::Virtual, _) => "VirtualProduct",
        (Kind::Downloadable(_), _) => "DownloadableProduct",
        (Kind::Bundle(_), _) => "BundleProduct",
        (Kind::Standard, Some(_)) => "ConfigurableProduct",
        (Kind::Standard, None) => "SimpleProduct",
    };
    json!({ "__typename": typename, "_p": index })
}

/// A reference to a variant of a configurable product, tagging the response with it.
pub(super) fn variant_ref(scope: &RequestScope, index: u32, variant: Variant) -> Value {
    scope.tag_entity("cat_p", variant.id);
    json!({ "__typename": "SimpleProduct", "_p": index, "_v": variant.index })
}

fn at<'a>(data: &'a Data, ctx: &ResolverContext<'_>) -> Result<At<'a>, Error> {
    let parent = ctx
        .parent_value
        .downcast_ref::<Value>()
        .ok_or_else(|| Error::new("internal: a product field outside a product"))?;
    let index = parent
        .get("_p")
        .and_then(Value::as_u64)
        .and_then(|i| u32::try_from(i).ok())
        .filter(|&i| i < data.catalog.product_count())
        .ok_or_else(|| Error::new("internal: a product object without its reference"))?;
    let product = data.catalog.product(index);
    let variant = match parent.get("_v").and_then(Value::as_u64) {
        None => None,
        Some(k) => {
            let matrix = product.configurable.as_ref();
            let found = u16::try_from(k)
                .ok()
                .and_then(|k| matrix.and_then(|m| m.variant(k)));
            Some(found.ok_or_else(|| Error::new("internal: a variant reference out of range"))?)
        }
    };
    Ok(At {
        index,
        product,
        variant,
    })
}

type FieldFn = fn(&Data, &RequestScope, &ResolverContext<'_>, &At<'_>) -> Result<Value, Error>;

/// The resolver of a product field, `None` for fields that stay null.
pub(super) fn field(type_name: &str, name: &str) -> Option<Handler> {
    let f: FieldFn = match name {
        "id" => |_, _, _, at| Ok(json!(at.id())),
        "uid" => |_, _, _, at| Ok(json!(crate::uid::encode_id(at.id()))),
        "sku" => |d, _, _, at| Ok(json!(at.sku(&d.catalog))),
        "name" => |d, _, _, at| Ok(json!(at.name(&d.catalog))),
        "url_key" => |d, _, _, at| Ok(json!(at.url_key(&d.catalog))),
        "url_suffix" => |_, _, _, _| Ok(json!(".html")),
        "canonical_url" | "relative_url" => |_, _, _, at| {
            Ok(if at.variant.is_some() {
                Value::Null
            } else {
                json!(format!("{}.html", at.product.url_key))
            })
        },
        "url_rewrites" => |d, _, _, at| Ok(url_rewrites(&d.catalog, at)),
        "redirect_code" => |_, _, _, _| Ok(json!(0)),
        "type" => |_, _, _, _| Ok(json!("PRODUCT")),
        "type_id" => |_, _, _, at| {
            Ok(json!(match &at.product.kind {
                _ if at.variant.is_some() => "simple",
                Kind::Virtual => "virtual",
                Kind::Downloadable(_) => "downloadable",
                Kind::Bundle(_) => "bundle",
                Kind::Standard if at.is_configurable() => "configurable",
                Kind::Standard => "simple",
            }))
        },
        "attribute_set_id" => |_, _, _, at| {
            Ok(json!(if at.product.configurable.is_some() {
                9
            } else {
                4
            }))
        },
        "stock_status" => |d, _, _, at| {
            Ok(json!(if at.is_salable(&d.catalog) {
                "IN_STOCK"
            } else {
                "OUT_OF_STOCK"
            }))
        },
        "only_x_left_in_stock" => |d, _, _, at| {
            let qty = at.qty(&d.catalog);
            Ok(
                if (1..=5).contains(&qty) && !at.is_configurable() && !at.is_bundle() {
                    json!(f64::from(qty))
                } else {
                    Value::Null
                },
            )
        },
        "meta_title" => |d, _, _, at| {
            Ok(json!(
                written(at, |c| &c.meta_title).unwrap_or_else(|| at.name(&d.catalog))
            ))
        },
        "meta_keyword" => |d, _, _, at| {
            Ok(json!(
                written(at, |c| &c.meta_keyword).unwrap_or_else(|| meta_keywords(&d.catalog, at))
            ))
        },
        "meta_description" => |d, _, _, at| {
            Ok(json!(
                written(at, |c| &c.meta_description).unwrap_or_else(|| short_text(&d.catalog, at))
            ))
        },
        "description" => |d, _, _, at| {
            let html =
                written(at, |c| &c.description).unwrap_or_else(|| description(&d.catalog, at));
            Ok(json!({ "html": html }))
        },
        "short_description" => |d, _, _, at| {
            let html = written(at, |c| &c.short_description)
                .unwrap_or_else(|| format!("<p>{}</p>", short_text(&d.catalog, at)));
            Ok(json!({ "html": html }))
        },
        "special_price" => |d, scope, _, at| {
            if at.product.special_percent == 0 || at.is_configurable() || at.is_bundle() {
                return Ok(Value::Null);
            }
            // The special price attribute itself: before any customer-group rule.
            let view = PriceView {
                group_discount: 0,
                ..scope.price_view()
            };
            Ok(json!(
                view.amount(at.unit_price(&d.catalog, &view).final_price)
            ))
        },
        "created_at" | "updated_at" => {
            |_, _, _, at| Ok(json!(timestamp(at.product.age_days, at.index)))
        }
        "new_from_date" => |_, _, _, at| {
            Ok(if at.product.age_days < 30 {
                json!(timestamp(at.product.age_days, at.index))
            } else {
                Value::Null
            })
        },
        "gift_message_available" | "gift_wrapping_available" | "staged" => {
            |_, _, _, _| Ok(json!(false))
        }
        "rating_summary" => |d, _, _, at| {
            Ok(json!(
                super::reviews::product_summary(d, at.index, at.variant.is_some()).0
            ))
        },
        "review_count" => |d, _, _, at| {
            Ok(json!(
                super::reviews::product_summary(d, at.index, at.variant.is_some()).1
            ))
        },
        "reviews" => |d, scope, ctx, at| {
            super::reviews::product_reviews(d, scope, ctx, at.index, at.variant.is_some())
        },
        "min_sale_qty" => |_, _, _, _| Ok(json!(1.0)),
        "max_sale_qty" => |_, _, _, _| Ok(json!(10_000.0)),
        "weight" => |d, _, _, at| {
            if let Some(weight) = at.product.content.as_ref().and_then(|c| c.weight) {
                return Ok(json!(weight));
            }
            Ok(match d.catalog.category(at.product.leaf).family {
                // A dynamic-weight bundle weighs what its chosen selections weigh.
                _ if at.is_bundle() => Value::Null,
                Family::Digital => Value::Null,
                Family::Apparel => json!(1.0),
                _ => json!(f64::from(at.product.price % 7 + 1)),
            })
        },
        "options_container" => |_, _, _, _| Ok(json!("container2")),
        "is_returnable" => |_, _, _, _| Ok(json!("2")),
        "color" => |_, _, _, at| {
            Ok(at
                .color()
                .map_or(Value::Null, |c| json!(COLORS[usize::from(c)].id)))
        },
        "options" | "product_links" => |_, _, _, _| Ok(json!([])),
        "categories" => |d, scope, _, at| {
            Ok(match at.variant {
                Some(_) => json!([]),
                None => Value::Array(
                    d.catalog
                        .product_categories(at.index)
                        .into_iter()
                        .map(|c| category::category_ref(d, scope, c))
                        .collect(),
                ),
            })
        },
        "price_range" => |d, scope, _, at| {
            let view = scope.price_view();
            Ok(match types::price_bounds(&d.catalog, &view, at) {
                Some((minimum, maximum)) => range_json(&view, minimum, maximum),
                None => price_range(&d.catalog, &view, at),
            })
        },
        "price_tiers" => |d, scope, _, at| {
            Ok(match at.product.kind {
                Kind::Standard | Kind::Virtual => price_tiers(&d.catalog, &scope.price_view(), at),
                Kind::Downloadable(_) | Kind::Bundle(_) => json!([]),
            })
        },
        "price" => |d, scope, _, at| {
            let view = scope.price_view();
            Ok(match types::price_bounds(&d.catalog, &view, at) {
                Some((minimum, maximum)) => legacy_json(&view, minimum, maximum),
                None => legacy_prices(&d.catalog, &view, at),
            })
        },
        "downloadable_product_links" if type_name == "DownloadableProduct" => {
            |d, scope, _, at| Ok(types::links(d, &scope.price_view(), at))
        }
        "downloadable_product_samples" if type_name == "DownloadableProduct" => {
            |d, _, _, at| Ok(types::samples(d, at))
        }
        "links_purchased_separately" if type_name == "DownloadableProduct" => |_, _, _, at| {
            Ok(types::downloadable(at).map_or(Value::Null, |d| {
                json!(i32::from(d.links_purchased_separately))
            }))
        },
        "links_title" if type_name == "DownloadableProduct" => {
            |_, _, _, at| Ok(types::downloadable(at).map_or(Value::Null, |d| json!(d.links_title)))
        }
        "items" if type_name == "BundleProduct" => {
            |d, scope, _, at| Ok(types::bundle_items(d, scope, at))
        }
        "dynamic_price" | "dynamic_sku" | "dynamic_weight" if type_name == "BundleProduct" => {
            |_, _, _, _| Ok(json!(true))
        }
        "price_view" if type_name == "BundleProduct" => |_, _, _, _| Ok(json!("PRICE_RANGE")),
        "ship_bundle_items" if type_name == "BundleProduct" => |_, _, _, _| Ok(json!("TOGETHER")),
        "price_details" if type_name == "BundleProduct" => |_, _, _, _| {
            // A dynamic-price bundle has no price of its own (Commerce reads the empty `price`
            // attribute as 0) and no special price.
            Ok(json!({ "main_price": 0.0, "main_final_price": 0.0, "discount_percentage": null }))
        },
        "media_gallery" => |d, _, _, at| Ok(media::gallery(d, at)),
        "media_gallery_entries" => |d, _, _, at| Ok(media::gallery_entries(d, at)),
        "image" | "small_image" | "thumbnail" => |d, _, _, at| Ok(media::main_image(d, at)),
        "related_products" => |d, scope, _, at| Ok(related(d, scope, at, Relation::Related)),
        "upsell_products" => |d, scope, _, at| Ok(related(d, scope, at, Relation::UpSell)),
        "crosssell_products" => |d, scope, _, at| Ok(related(d, scope, at, Relation::CrossSell)),
        "configurable_options" if type_name == "ConfigurableProduct" => {
            |_, _, _, at| Ok(configurable::options(at))
        }
        "variants" if type_name == "ConfigurableProduct" => {
            |d, scope, _, at| Ok(configurable::variants(d, scope, at))
        }
        "configurable_product_options_selection" if type_name == "ConfigurableProduct" => {
            configurable::selection
        }
        _ => return None,
    };
    Some(Arc::new(move |data, scope, ctx| {
        f(data, scope, ctx, &at(data, ctx)?)
    }))
}

/// A text attribute written over REST, for the product itself (not a variant's).
fn written(at: &At<'_>, field: fn(&Content) -> &Option<String>) -> Option<String> {
    if at.variant.is_some() {
        return None;
    }
    at.product.content.as_deref().and_then(|c| field(c).clone())
}

fn url_rewrites(catalog: &Catalog, at: &At<'_>) -> Value {
    if at.variant.is_some() {
        return json!([]);
    }
    let mut rewrites = vec![json!({
        "url": format!("{}.html", at.product.url_key),
        "parameters": [{ "name": "id", "value": at.id().to_string() }],
    })];
    for category in catalog.product_categories(at.index) {
        let category = catalog.category(category);
        rewrites.push(json!({
            "url": format!("{}/{}.html", category.url_path, at.product.url_key),
            "parameters": [
                { "name": "id", "value": at.id().to_string() },
                { "name": "category", "value": category.id.to_string() },
            ],
        }));
    }
    Value::Array(rewrites)
}

fn noun(catalog: &Catalog, at: &At<'_>) -> String {
    let name = &at.product.name;
    let leaf = catalog.category(at.product.leaf);
    leaf.nouns
        .iter()
        .find(|n| name.ends_with(*n))
        .map_or_else(|| leaf.name.clone(), |n| (*n).to_owned())
}

fn meta_keywords(catalog: &Catalog, at: &At<'_>) -> String {
    let leaf = catalog.category(at.product.leaf);
    format!(
        "{}, {}, {}",
        at.name(catalog),
        leaf.name,
        MATERIALS[usize::from(at.product.material)]
    )
}

fn short_text(catalog: &Catalog, at: &At<'_>) -> String {
    let material = MATERIALS[usize::from(at.product.material)].to_ascii_lowercase();
    format!(
        "The {} is a {} {} made from {}.",
        at.name(catalog),
        word(at),
        noun(catalog, at).to_ascii_lowercase(),
        material
    )
}

/// The second word of the name ("Running" in "Aurora Running Jacket"), lower-cased.
fn word(at: &At<'_>) -> String {
    at.product
        .name
        .split(' ')
        .nth(1)
        .unwrap_or("versatile")
        .to_ascii_lowercase()
}

fn description(catalog: &Catalog, at: &At<'_>) -> String {
    let leaf = catalog.category(at.product.leaf);
    let material = MATERIALS[usize::from(at.product.material)];
    let mut features = vec![
        format!("<li>{material}</li>"),
        format!("<li>Part of our {} range</li>", leaf.name),
    ];
    if let Some(matrix) = &at.product.configurable {
        let sizes: Vec<&str> = matrix
            .size_indices()
            .map(|s| SIZES[usize::from(s)].label)
            .collect();
        features.push(format!("<li>Sizes {}</li>", sizes.join(", ")));
    }
    if let Some(c) = at.color() {
        features.push(format!("<li>Color: {}</li>", COLORS[usize::from(c)].label));
    }
    format!(
        "<p>{} Built for everyday use and tested in the sandbox.</p><ul>{}</ul>",
        short_text(catalog, at),
        features.concat()
    )
}

/// "YYYY-MM-DD hh:mm:ss", `age_days` before the seed's reference date (2025-06-01).
fn timestamp(age_days: u16, index: u32) -> String {
    const REFERENCE_DAY: i64 = 20_240;
    let (y, m, d) = crate::clock::civil_from_days(REFERENCE_DAY - i64::from(age_days));
    let seconds = crate::catalog::mix(u64::from(index)) % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

pub(super) fn money(view: &PriceView, cents: u32) -> Value {
    json!({ "value": view.amount(cents), "currency": view.currency })
}

fn discount(view: &PriceView, unit: UnitPrice) -> Value {
    let amount_off =
        ((view.amount(unit.regular) - view.amount(unit.final_price)) * 100.0).round() / 100.0;
    let percent_off = if unit.regular == 0 {
        0.0
    } else {
        (f64::from(unit.regular.saturating_sub(unit.final_price)) / f64::from(unit.regular)
            * 10_000.0)
            .round()
            / 100.0
    };
    json!({ "amount_off": amount_off, "percent_off": percent_off })
}

pub(super) fn product_price(view: &PriceView, unit: UnitPrice) -> Value {
    json!({
        "regular_price": money(view, unit.regular),
        "final_price": money(view, unit.final_price),
        "discount": discount(view, unit),
        "fixed_product_taxes": [],
    })
}

/// `PriceRange`: a variant's own price, or the range over a configurable product's sizes.
pub(super) fn price_range(catalog: &Catalog, view: &PriceView, at: &At<'_>) -> Value {
    let (minimum, maximum) = match at.variant {
        Some(_) => (at.unit_price(catalog, view), at.unit_price(catalog, view)),
        None => {
            let range = view.range_of(catalog, at.index);
            (range.minimum, range.maximum)
        }
    };
    json!({ "minimum_price": product_price(view, minimum), "maximum_price": product_price(view, maximum) })
}

fn price_tiers(catalog: &Catalog, view: &PriceView, at: &At<'_>) -> Value {
    let tiers = match at.variant {
        Some(_) => view.tiers_of(at.product, at.unit_price(catalog, view)),
        None => {
            let size = at.product.configurable.as_ref().map(|c| c.size_from);
            view.tiers(at.product, size)
        }
    };
    Value::Array(
        tiers
            .into_iter()
            .map(|tier| {
                json!({
                    "quantity": f64::from(tier.quantity),
                    "final_price": money(view, tier.price.final_price),
                    "discount": discount(view, tier.price),
                })
            })
            .collect(),
    )
}

/// A `PriceRange` between two unit prices.
pub(super) fn range_json(view: &PriceView, minimum: UnitPrice, maximum: UnitPrice) -> Value {
    json!({ "minimum_price": product_price(view, minimum), "maximum_price": product_price(view, maximum) })
}

/// The deprecated `ProductPrices`.
fn legacy_prices(catalog: &Catalog, view: &PriceView, at: &At<'_>) -> Value {
    let (minimum, maximum) = match at.variant {
        Some(_) => (at.unit_price(catalog, view), at.unit_price(catalog, view)),
        None => {
            let range = view.range_of(catalog, at.index);
            (range.minimum, range.maximum)
        }
    };
    legacy_json(view, minimum, maximum)
}

fn legacy_json(view: &PriceView, minimum: UnitPrice, maximum: UnitPrice) -> Value {
    let price = |cents: u32| json!({ "amount": money(view, cents), "adjustments": [] });
    json!({
        "minimalPrice": price(minimum.final_price),
        "maximalPrice": price(maximum.final_price),
        "regularPrice": price(minimum.regular),
    })
}

#[derive(Clone, Copy)]
enum Relation {
    /// The next products of the same leaf category.
    Related,
    /// Dearer products of the same leaf category.
    UpSell,
    /// Products of the next top-level category.
    CrossSell,
}

fn related(data: &Data, scope: &RequestScope, at: &At<'_>, relation: Relation) -> Value {
    if at.variant.is_some() {
        return json!([]);
    }
    let catalog = &data.catalog;
    let siblings = &catalog.category(at.product.leaf).products;
    let position = siblings.binary_search(&at.index).unwrap_or(0);
    let picked: Vec<u32> = match relation {
        Relation::Related => (1..siblings.len())
            .map(|k| siblings[(position + k) % siblings.len()])
            .take(4)
            .collect(),
        Relation::UpSell => (1..siblings.len())
            .map(|k| siblings[(position + k) % siblings.len()])
            .filter(|&p| catalog.product(p).price > at.product.price)
            .take(3)
            .collect(),
        Relation::CrossSell => {
            let top = &catalog.category(0).children;
            let own = catalog.ancestry(at.product.leaf).get(1).copied();
            let other = own
                .and_then(|o| top.iter().position(|&t| t == o))
                .map(|i| top[(i + 1) % top.len()]);
            match other.map(|o| &catalog.category(o).products) {
                Some(products) if !products.is_empty() => (0..3)
                    .map(|k| products[(at.index as usize + k * 7) % products.len()])
                    .collect(),
                _ => Vec::new(),
            }
        }
    };
    let mut seen = std::collections::HashSet::new();
    Value::Array(
        picked
            .into_iter()
            .filter(|&p| p != at.index && seen.insert(p))
            .map(|p| product_ref(catalog, scope, p))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_count_back_from_the_reference_date() {
        assert_eq!(timestamp(0, 1).len(), "2025-06-01 00:00:00".len());
        assert!(timestamp(0, 1).starts_with("2025-06-01 "));
        assert!(timestamp(1, 1).starts_with("2025-05-31 "));
    }
}
