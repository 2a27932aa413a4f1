//! The product types beside simple and configurable ones that a storefront can put in a cart:
//! virtual products (services), downloadable products (links, some with samples) and bundle
//! products (dynamic price, options of seeded simple products). A handful of each is appended
//! after the seeded products, so every seeded index, id and SKU stays as it was; their ids
//! follow the last variant's.
//!
//! | SKU | type | what |
//! | --- | --- | --- |
//! | `SVC-ASSEMBLY` | virtual | assembly service, $49 |
//! | `SVC-WARRANTY-2Y` | virtual | two-year extended warranty, $29 |
//! | `DL-YOGA-COURSE` | downloadable | links bought separately ($19, $29), one with a sample, one product sample |
//! | `DL-TRAIL-GUIDE` | downloadable | two links included in the price ($12), one product sample |
//! | `BNDL-YOGA-KIT` | bundle | dynamic price; a required radio, a required select, an optional checkbox |
//! | `BNDL-TRAVEL-SET` | bundle | dynamic price; a required radio, an optional multi-select |
//!
//! Bundle options offer seeded simple products (not configurable ones), picked from the start
//! of the catalog; a catalog with fewer than four simple products gets no bundles.

use super::{Category, Family, Product, ROOT_CATEGORY_ID};

/// What a visible product is, beyond its common attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A simple product, or a configurable one (see `Product::configurable`).
    #[default]
    Standard,
    Virtual,
    Downloadable(Box<Downloadable>),
    Bundle(Box<Bundle>),
}

/// A downloadable product's links and samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Downloadable {
    /// Commerce's `links_title`.
    pub links_title: &'static str,
    /// Whether the shopper picks links, each adding its price; otherwise every link is included.
    pub links_purchased_separately: bool,
    pub links: Vec<Link>,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// `downloadable_link` entity id (its uid is base64 of `downloadable/<id>`).
    pub id: u32,
    pub title: &'static str,
    /// Added to the product's price when bought, in cents of USD.
    pub price: u32,
    pub sort_order: u32,
    /// Whether the link has a sample file.
    pub has_sample: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sample {
    /// `downloadable_sample` entity id.
    pub id: u32,
    pub title: &'static str,
    pub sort_order: u32,
}

/// A dynamic-price bundle: its price is the sum of the chosen selections'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bundle {
    pub options: Vec<BundleOption>,
}

/// Commerce's bundle option input types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptionType {
    Radio,
    Select,
    Checkbox,
    Multi,
}

impl OptionType {
    /// `BundleItem.type` as Commerce names it.
    pub fn code(self) -> &'static str {
        match self {
            OptionType::Radio => "radio",
            OptionType::Select => "select",
            OptionType::Checkbox => "checkbox",
            OptionType::Multi => "multi",
        }
    }

    /// Whether several selections can be chosen at once.
    pub fn is_multiple(self) -> bool {
        matches!(self, OptionType::Checkbox | OptionType::Multi)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BundleOption {
    /// `catalog_product_bundle_option` id.
    pub id: u32,
    pub title: &'static str,
    pub option_type: OptionType,
    pub required: bool,
    pub position: u32,
    pub selections: Vec<Selection>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    /// `catalog_product_bundle_selection` id.
    pub id: u32,
    /// Index of the seeded simple product it offers.
    pub product: u32,
    /// Default quantity.
    pub quantity: u16,
    pub is_default: bool,
    pub can_change_quantity: bool,
    pub position: u32,
}

/// Appends the product types to `products` (and assigns each to a leaf category and its
/// ancestors). `next_id` is the first entity id after every product and variant.
pub(super) fn append(categories: &mut [Category], products: &mut Vec<Product>, next_id: u32) {
    let simple: Vec<u32> = products
        .iter()
        .enumerate()
        .filter(|(_, p)| p.configurable.is_none())
        .map(|(i, _)| i as u32)
        .take(8)
        .collect();
    let digital = leaf_of(categories, Family::Digital);
    let gear = leaf_of(categories, Family::Gear);
    let mut added: Vec<(Product, u32)> = vec![
        (
            plain("SVC-ASSEMBLY", "Assembly Service", 4_900, Kind::Virtual),
            gear,
        ),
        (
            plain(
                "SVC-WARRANTY-2Y",
                "Two-Year Extended Warranty",
                2_900,
                Kind::Virtual,
            ),
            gear,
        ),
        (
            plain(
                "DL-YOGA-COURSE",
                "Yoga Flow Video Course",
                0,
                Kind::Downloadable(Box::new(yoga_course())),
            ),
            digital,
        ),
        (
            plain(
                "DL-TRAIL-GUIDE",
                "Trail Running Field Guide",
                1_200,
                Kind::Downloadable(Box::new(trail_guide())),
            ),
            digital,
        ),
    ];
    if simple.len() >= 4 {
        let kit = Kind::Bundle(Box::new(yoga_kit(&simple)));
        added.push((
            plain("BNDL-YOGA-KIT", "Sprite Yoga Companion Kit", 0, kit),
            gear,
        ));
        let set = Kind::Bundle(Box::new(travel_set(&simple)));
        added.push((
            plain("BNDL-TRAVEL-SET", "Weekender Travel Set", 0, set),
            gear,
        ));
    }
    for (k, (mut product, leaf)) in added.into_iter().enumerate() {
        let index = products.len() as u32;
        product.id = next_id + k as u32;
        product.leaf = leaf;
        let mut at = Some(leaf);
        while let Some(c) = at {
            categories[c as usize].products.push(index);
            at = categories[c as usize].parent;
        }
        products.push(product);
    }
}

/// The first leaf category of `family`, else the first leaf, else the root.
fn leaf_of(categories: &[Category], family: Family) -> u32 {
    let leaves = || {
        categories
            .iter()
            .enumerate()
            .filter(|(_, c)| c.children.is_empty() && c.id != ROOT_CATEGORY_ID)
    };
    leaves()
        .find(|(_, c)| c.family == family)
        .or_else(|| leaves().next())
        .map_or(0, |(i, _)| i as u32)
}

fn plain(sku: &str, name: &str, price: u32, kind: Kind) -> Product {
    Product {
        id: 0,
        sku: sku.to_string(),
        name: name.to_string(),
        url_key: super::slug(name),
        leaf: 0,
        price,
        special_percent: 0,
        qty: if matches!(kind, Kind::Bundle(_)) {
            0
        } else {
            500
        },
        material: 0,
        color: None,
        configurable: None,
        tiered: false,
        age_days: 12,
        kind,
        content: None,
    }
}

fn yoga_course() -> Downloadable {
    Downloadable {
        links_title: "Course parts",
        links_purchased_separately: true,
        links: vec![
            link(1, "Beginner series", 1_900, 1, true),
            link(2, "Advanced series", 2_900, 2, false),
        ],
        samples: vec![Sample {
            id: 1,
            title: "Course trailer",
            sort_order: 1,
        }],
    }
}

fn trail_guide() -> Downloadable {
    Downloadable {
        links_title: "Formats",
        links_purchased_separately: false,
        links: vec![
            link(3, "PDF edition", 0, 1, false),
            link(4, "EPUB edition", 0, 2, false),
        ],
        samples: vec![Sample {
            id: 2,
            title: "First chapter",
            sort_order: 1,
        }],
    }
}

fn link(id: u32, title: &'static str, price: u32, sort_order: u32, has_sample: bool) -> Link {
    Link {
        id,
        title,
        price,
        sort_order,
        has_sample,
    }
}

fn yoga_kit(simple: &[u32]) -> Bundle {
    Bundle {
        options: vec![
            option(
                1,
                "Ball",
                OptionType::Radio,
                true,
                &[(1, simple[0], 1, true), (2, simple[1], 1, false)],
            ),
            option(
                2,
                "Block",
                OptionType::Select,
                true,
                &[(3, simple[2], 2, true)],
            ),
            option(
                3,
                "Extras",
                OptionType::Checkbox,
                false,
                &[(4, simple[3], 1, false), (5, simple[0], 1, false)],
            ),
        ],
    }
}

fn travel_set(simple: &[u32]) -> Bundle {
    let extra = |k: usize| simple.get(k).copied().unwrap_or(simple[k % 4]);
    Bundle {
        options: vec![
            option(
                4,
                "Bag",
                OptionType::Radio,
                true,
                &[(6, extra(4), 1, true), (7, extra(5), 1, false)],
            ),
            option(
                5,
                "Accessories",
                OptionType::Multi,
                false,
                &[(8, extra(6), 1, false), (9, extra(7), 1, false)],
            ),
        ],
    }
}

/// A bundle option; selections are (selection id, product index, quantity, default).
fn option(
    id: u32,
    title: &'static str,
    option_type: OptionType,
    required: bool,
    selections: &[(u32, u32, u16, bool)],
) -> BundleOption {
    BundleOption {
        id,
        title,
        option_type,
        required,
        position: id,
        selections: selections
            .iter()
            .enumerate()
            .map(|(k, &(id, product, quantity, is_default))| Selection {
                id,
                product,
                quantity,
                is_default,
                can_change_quantity: !option_type.is_multiple(),
                position: k as u32 + 1,
            })
            .collect(),
    }
}
