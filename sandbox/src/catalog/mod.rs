//! The seeded catalog: a category tree and products in compact structs, plus the indexes
//! requests need (category → products, sku, url key, url path, search terms), so no request does
//! work proportional to the whole catalog unless its filters really select all of it.
//!
//! Ids follow Commerce's conventions: category id = index + 2 (id 1 is the invisible global
//! root, id 2 the store's "Default Category"); product id = index + 1; the simple products behind
//! a configurable product (its variants) get ids after the last visible product and are derived
//! on demand, never stored.

pub(crate) mod aggregations;
pub(crate) mod attributes;
pub(crate) mod content;
pub(crate) mod overlay;
pub(crate) mod pricing;
pub(crate) mod query;
pub(crate) mod reservations;
pub(crate) mod search;
mod seed;
pub(crate) mod source_items;
pub(crate) mod types;
pub(crate) mod variant_overlay;

use ahash::AHashMap;

use attributes::{COLORS, SIZES};
use search::SearchIndex;

/// The store's root category ("Default Category").
pub(crate) const ROOT_CATEGORY_ID: u32 = 2;

/// What kind of goods a category holds: decides names, attributes and prices of its products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Configurable products with color × size variants.
    Apparel,
    Gear,
    Home,
    Outdoor,
    Electronics,
    /// Downloads: simple products without weight.
    Digital,
}

/// One category of the tree.
pub(crate) struct Category {
    pub id: u32,
    pub name: String,
    pub url_key: String,
    /// Slash-separated url keys from the top-level category down to this one.
    pub url_path: String,
    /// Index of the parent; `None` for the root.
    pub parent: Option<u32>,
    /// Indices of the children, in position order.
    pub children: Vec<u32>,
    /// 1 for the root "Default Category", 2 for top-level categories.
    pub level: u8,
    /// Position among its siblings, from 1.
    pub position: u32,
    /// Commerce's `path`: ids from the global root, e.g. "1/2/3/5".
    pub path: String,
    pub family: Family,
    /// Nouns that end the names of this category's products ("Jacket").
    pub nouns: &'static [&'static str],
    /// Sku prefix of the products seeded into it ("MJ" → "MJ01").
    pub sku_prefix: &'static str,
    /// Indices of the products in this category and its descendants (Commerce's anchor
    /// categories), in position order.
    pub products: Vec<u32>,
}

/// One visible product (a simple product, a configurable parent, or one of the `types`).
#[derive(Clone)]
pub(crate) struct Product {
    /// Entity id: index + 1 for seeded products, after the last variant's for the `types`.
    pub id: u32,
    pub sku: String,
    pub name: String,
    pub url_key: String,
    /// Index of the leaf category it was seeded into; it is assigned to every ancestor too.
    pub leaf: u32,
    /// Regular price in cents of the catalog currency (USD).
    pub price: u32,
    /// Special-price discount in percent; 0 when there is none.
    pub special_percent: u8,
    /// Salable quantity of a simple product; configurable products use their variants'.
    pub qty: u16,
    /// Index into [`attributes::MATERIALS`].
    pub material: u8,
    /// Index into [`attributes::COLORS`] for simple products that have a color.
    pub color: Option<u8>,
    pub configurable: Option<Configurable>,
    /// Whether quantity tier prices apply.
    pub tiered: bool,
    /// Days between creation and the seed's reference date.
    pub age_days: u16,
    /// Virtual, downloadable or bundle details; `Standard` for simple and configurable ones.
    pub kind: types::Kind,
    /// Attributes written over REST; `None` for seeded products nobody wrote.
    pub content: Option<Box<content::Content>>,
}

/// The variant matrix of a configurable product.
#[derive(Clone)]
pub(crate) struct Configurable {
    /// Bit `i` set when [`COLORS`]`[i]` is offered.
    pub colors: u16,
    /// First index into [`SIZES`] offered.
    pub size_from: u8,
    /// How many consecutive sizes are offered.
    pub size_count: u8,
    /// Id of variant 0; variant `k` has id `first_child_id + k`.
    pub first_child_id: u32,
}

/// One simple product behind a configurable product, derived from the parent on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Variant {
    /// Position in the parent's matrix (colors outer, sizes inner).
    pub index: u16,
    pub id: u32,
    /// Index into [`COLORS`].
    pub color: u8,
    /// Index into [`SIZES`].
    pub size: u8,
}

impl Configurable {
    /// Indices into [`COLORS`] this product is offered in, ascending.
    pub fn color_indices(&self) -> impl Iterator<Item = u8> + '_ {
        (0..COLORS.len() as u8).filter(|i| self.colors & (1 << i) != 0)
    }

    /// Indices into [`SIZES`] this product is offered in, ascending.
    pub fn size_indices(&self) -> impl Iterator<Item = u8> + use<> {
        self.size_from..self.size_from + self.size_count
    }

    pub fn variant_count(&self) -> u32 {
        self.colors.count_ones() * u32::from(self.size_count)
    }

    pub fn variants(&self) -> impl Iterator<Item = Variant> + '_ {
        let sizes = self.size_count;
        self.color_indices()
            .flat_map(move |color| (0..sizes).map(move |s| (color, s)))
            .enumerate()
            .map(|(k, (color, s))| Variant {
                index: k as u16,
                id: self.first_child_id + k as u32,
                color,
                size: self.size_from + s,
            })
    }

    pub fn variant(&self, index: u16) -> Option<Variant> {
        self.variants().nth(usize::from(index))
    }

    /// The variant in `color` and `size` (indices into [`COLORS`] and [`SIZES`]), when offered.
    pub fn variant_in(&self, color: u8, size: u8) -> Option<Variant> {
        if color as usize >= COLORS.len()
            || self.colors & (1 << color) == 0
            || !self.size_indices().any(|s| s == size)
        {
            return None;
        }
        let color_rank = (self.colors & ((1u16 << color) - 1)).count_ones();
        let k = color_rank * u32::from(self.size_count) + u32::from(size - self.size_from);
        Some(Variant {
            index: k as u16,
            id: self.first_child_id + k,
            color,
            size,
        })
    }
}

impl Product {
    /// Lower-case sku as used in image file names.
    pub fn image_stem(&self) -> String {
        self.sku.to_ascii_lowercase()
    }
}

/// The whole seeded catalog with its indexes. Immutable once seeded.
pub(crate) struct Catalog {
    /// Seed it was generated from; also drives derived values (variant stock).
    pub seed: u64,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    by_sku: AHashMap<Box<str>, u32>,
    by_url_key: AHashMap<Box<str>, u32>,
    category_by_url_path: AHashMap<Box<str>, u32>,
    /// Rank of each product when sorted by name (ties by id).
    name_rank: Vec<u32>,
    pub search: SearchIndex,
    /// What placed orders reserved: the only part of the catalog that changes.
    pub reservations: reservations::Reservations,
    /// Products seeded from the configuration; the `types` follow them.
    seeded: u32,
    /// Product versions written over REST and products created over REST.
    pub overlay: overlay::Overlay,
    /// Commerce's MSI source items written over REST.
    pub source_items: source_items::SourceItems,
    /// The variants of configurable products written over REST.
    pub variants: variant_overlay::VariantOverlay,
    /// The first entity id after every seeded product and variant (products created over REST
    /// take ids from here).
    first_free_id: u32,
}

impl Catalog {
    /// Seeds a catalog of `products` visible products in about `categories` categories.
    #[cfg(test)]
    pub fn seed(products: usize, categories: usize, seed: u64) -> Catalog {
        Catalog::seed_with(products, categories, seed, false)
    }

    /// [`Catalog::seed`], then with `product_types` the virtual, downloadable and bundle
    /// products of `types` appended.
    pub fn seed_with(
        products: usize,
        categories: usize,
        seed: u64,
        product_types: bool,
    ) -> Catalog {
        let (mut categories, mut products) = seed::generate(products, categories, seed);
        let seeded = products.len() as u32;
        let next_id = |products: &[Product]| {
            products
                .iter()
                .map(|p| match &p.configurable {
                    Some(c) => c.first_child_id + c.variant_count(),
                    None => p.id + 1,
                })
                .max()
                .unwrap_or(1)
        };
        if product_types {
            let first = next_id(&products);
            types::append(&mut categories, &mut products, first);
        }
        let first_free_id = next_id(&products);
        let mut catalog = Catalog::index(seed, categories, products);
        catalog.seeded = seeded;
        catalog.first_free_id = first_free_id;
        catalog
    }

    fn index(seed: u64, categories: Vec<Category>, products: Vec<Product>) -> Catalog {
        let by_sku = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.sku.as_str().into(), i as u32))
            .collect();
        let by_url_key = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.url_key.as_str().into(), i as u32))
            .collect();
        let category_by_url_path = categories
            .iter()
            .enumerate()
            .filter(|(_, c)| c.parent.is_some())
            .map(|(i, c)| (c.url_path.as_str().into(), i as u32))
            .collect();
        let mut by_name: Vec<u32> = (0..products.len() as u32).collect();
        by_name.sort_by(|&a, &b| products[a as usize].name.cmp(&products[b as usize].name));
        let mut name_rank = vec![0; products.len()];
        for (rank, &p) in by_name.iter().enumerate() {
            name_rank[p as usize] = rank as u32;
        }
        let search = SearchIndex::build(&categories, &products);
        Catalog {
            seed,
            categories,
            products,
            by_sku,
            by_url_key,
            category_by_url_path,
            name_rank,
            search,
            reservations: reservations::Reservations::default(),
            seeded: 0,
            overlay: overlay::Overlay::default(),
            source_items: source_items::SourceItems::default(),
            variants: variant_overlay::VariantOverlay::default(),
            first_free_id: 0,
        }
    }

    /// How many products the configuration seeded (indices below it); the appended product
    /// types come after.
    pub fn seeded_products(&self) -> u32 {
        self.seeded
    }

    /// Id of the product at `index`.
    pub fn product_id(&self, index: u32) -> u32 {
        self.product(index).id
    }

    /// Index of the category with Commerce id `id`.
    pub fn category_index(&self, id: u32) -> Option<u32> {
        let index = id.checked_sub(ROOT_CATEGORY_ID)?;
        ((index as usize) < self.categories.len()).then_some(index)
    }

    pub fn category(&self, index: u32) -> &Category {
        &self.categories[index as usize]
    }

    /// The current version of a product: the latest REST write, else the seeded one. `index`
    /// must be below [`Catalog::product_count`].
    pub fn product(&self, index: u32) -> &Product {
        match self.overlay.get(index) {
            Some(product) => product,
            None => &self.products[index as usize],
        }
    }

    /// The seeded version of product `index`, whatever REST wrote since: what the ERP and PIM
    /// emulators derive their data from (they are the source Commerce is fed from, so reading
    /// Commerce's current data back would feed every revision into the next).
    pub fn seeded_product(&self, index: u32) -> &Product {
        match self.products.get(index as usize) {
            Some(product) => product,
            None => self.product(index),
        }
    }

    /// Seeded products and those created over REST (whose indices follow).
    pub fn product_count(&self) -> u32 {
        self.products.len() as u32 + self.overlay.created_count()
    }

    pub fn product_by_sku(&self, sku: &str) -> Option<u32> {
        self.by_sku
            .get(sku)
            .copied()
            .or_else(|| self.overlay.created_by_sku(sku))
    }

    /// The entity id the next product created over REST gets.
    pub fn next_created_id(&self) -> u32 {
        self.first_free_id + self.overlay.created_count()
    }

    /// Whether `products` lists the product: not disabled or made invisible over REST.
    pub fn is_listed(&self, index: u32) -> bool {
        self.product(index)
            .content
            .as_ref()
            .is_none_or(|c| c.is_listed())
    }

    /// Stores a new version of product `index`, or (`None`) a new product; its index.
    pub fn save_product(
        &self,
        index: Option<u32>,
        product: Product,
    ) -> Result<u32, overlay::OverlayError> {
        self.overlay
            .store(index, self.products.len() as u32, product)
    }

    /// The visible product, or the variant behind a configurable product, a SKU names. Variant
    /// SKUs ("MJ01-XS-Black") are parsed back into parent, size and color rather than indexed,
    /// so the lookup costs two hash probes and no memory per variant.
    pub fn item_by_sku(&self, sku: &str) -> Option<(u32, Option<Variant>)> {
        if let Some(index) = self.product_by_sku(sku) {
            return Some((index, None));
        }
        let (rest, color) = sku.rsplit_once('-')?;
        let (parent, size) = rest.rsplit_once('-')?;
        let index = self.product_by_sku(parent)?;
        let matrix = self.product(index).configurable.as_ref()?;
        let color = COLORS.iter().position(|c| c.label == color)? as u8;
        let size = SIZES.iter().position(|s| s.label == size)? as u8;
        Some((index, Some(matrix.variant_in(color, size)?)))
    }

    pub fn product_by_url_key(&self, url_key: &str) -> Option<u32> {
        self.by_url_key.get(url_key).copied()
    }

    pub fn category_by_url_path(&self, url_path: &str) -> Option<u32> {
        self.category_by_url_path.get(url_path).copied()
    }

    /// Rank by seeded name; products created over REST rank after every seeded one.
    pub fn name_rank(&self, product: u32) -> u32 {
        self.name_rank
            .get(product as usize)
            .copied()
            .unwrap_or(product)
    }

    /// Categories a product is assigned to: its leaf and the leaf's ancestors below the root,
    /// top-level first.
    pub fn product_categories(&self, product: u32) -> Vec<u32> {
        let mut chain = self.ancestry(self.product(product).leaf);
        chain.retain(|&c| self.category(c).parent.is_some());
        chain
    }

    /// `category` and its ancestors, root first.
    pub fn ancestry(&self, category: u32) -> Vec<u32> {
        let mut chain = vec![category];
        let mut at = category;
        while let Some(parent) = self.category(at).parent {
            chain.push(parent);
            at = parent;
        }
        chain.reverse();
        chain
    }

    /// Whether `category` is `ancestor` or lies below it.
    pub fn is_within(&self, category: u32, ancestor: u32) -> bool {
        let mut at = Some(category);
        while let Some(c) = at {
            if c == ancestor {
                return true;
            }
            at = self.category(c).parent;
        }
        false
    }

    /// Salable quantity of a variant: the seeded quantity less what orders reserved.
    pub fn variant_qty(&self, variant_id: u32) -> u16 {
        let on_hand = self.on_hand(variant_id, u32::from(self.seeded_variant_qty(variant_id)));
        let reserved = self.reservations.reserved(variant_id);
        u16::try_from(on_hand.saturating_sub(reserved)).unwrap_or(u16::MAX)
    }

    /// Commerce's quantity of an item before reservations: its written source items' salable
    /// sum, else the seeded quantity.
    fn on_hand(&self, item: u32, seeded: u32) -> u32 {
        self.source_items
            .written(item)
            .map_or(seeded, |sources| source_items::salable(&sources))
    }

    /// Commerce's quantity of a simple product or variant before reservations (what an order
    /// may reserve at most).
    pub fn on_hand_qty(&self, product: u32, variant: Option<Variant>) -> u32 {
        let id = variant.map_or_else(|| self.product_id(product), |v| v.id);
        self.on_hand(id, self.seeded_qty(product, variant))
    }

    /// Commerce's source items of a simple product or variant: written, else seeded (none for
    /// a product created over REST).
    pub fn item_sources(
        &self,
        product: u32,
        variant: Option<Variant>,
    ) -> source_items::ItemSources {
        let id = variant.map_or_else(|| self.product_id(product), |v| v.id);
        self.source_items.written(id).unwrap_or_else(|| {
            if product as usize >= self.products.len() {
                return [None; 4];
            }
            source_items::seeded_items(self.seed, id, self.seeded_qty(product, variant))
        })
    }

    /// Seeded quantity of a variant: derived from the seed, about one in twelve sold out.
    pub fn seeded_variant_qty(&self, variant_id: u32) -> u16 {
        let h = mix(self.seed ^ u64::from(variant_id).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        if h.is_multiple_of(12) {
            0
        } else {
            (h >> 8) as u16 % 120 + 1
        }
    }

    /// Salable quantity of a product; a configurable product's is the sum of its variants'.
    pub fn product_qty(&self, product: u32) -> u32 {
        let p = self.product(product);
        match &p.configurable {
            Some(c) => {
                // One look-up per product, not one per variant, while none of its variants was written.
                let written = self.variants.has_written(product);
                c.variants()
                    .filter(|v| !written || self.is_variant_offered(v.id))
                    .map(|v| u32::from(self.variant_qty(v.id)))
                    .sum()
            }
            None => self
                .on_hand(p.id, u32::from(p.qty))
                .saturating_sub(self.reservations.reserved(p.id)),
        }
    }

    /// Seeded quantity of a simple product or variant, before reservations: what the
    /// inventory connector's ledger starts from.
    pub fn seeded_qty(&self, product: u32, variant: Option<Variant>) -> u32 {
        match variant {
            Some(v) => u32::from(self.seeded_variant_qty(v.id)),
            None => u32::from(self.product(product).qty),
        }
    }

    /// Sku of a variant, Luma style: "MJ01-XS-Black".
    pub fn variant_sku(&self, product: u32, variant: Variant) -> String {
        format!(
            "{}-{}-{}",
            self.product(product).sku,
            SIZES[usize::from(variant.size)].label,
            COLORS[usize::from(variant.color)].label
        )
    }
}

/// SplitMix64's finaliser: a cheap, well-spread hash of one word.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Commerce's url keys: lower case, runs of other characters become one dash.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_commerce_conventions() {
        let catalog = Catalog::seed(300, 50, 7);
        assert_eq!(catalog.categories[0].id, ROOT_CATEGORY_ID);
        assert_eq!(catalog.categories[0].name, "Default Category");
        assert_eq!(catalog.category_index(ROOT_CATEGORY_ID), Some(0));
        assert_eq!(catalog.category_index(1), None);
        assert_eq!(catalog.category_index(10_000), None);
        assert_eq!(catalog.product_id(0), 1);
    }

    #[test]
    fn variants_enumerate_colors_then_sizes_with_ids_after_the_visible_products() {
        let catalog = Catalog::seed(300, 50, 7);
        let (index, parent) = catalog
            .products
            .iter()
            .enumerate()
            .find(|(_, p)| p.configurable.is_some())
            .expect("a configurable product");
        let matrix = parent.configurable.as_ref().expect("configurable");
        let variants: Vec<Variant> = matrix.variants().collect();
        assert_eq!(variants.len() as u32, matrix.variant_count());
        assert!(variants[0].id > catalog.products.len() as u32);
        assert_eq!(variants[1].color, variants[0].color);
        assert_eq!(matrix.variant(1), Some(variants[1]));
        let sku = catalog.variant_sku(index as u32, variants[0]);
        assert!(sku.starts_with(&parent.sku), "{sku}");
    }

    #[test]
    fn every_sku_resolves_back_to_its_product_or_variant() {
        let catalog = Catalog::seed(300, 50, 7);
        for (index, product) in catalog.products.iter().enumerate() {
            let index = index as u32;
            assert_eq!(catalog.item_by_sku(&product.sku), Some((index, None)));
            for variant in product.configurable.iter().flat_map(|c| c.variants()) {
                let sku = catalog.variant_sku(index, variant);
                assert_eq!(
                    catalog.item_by_sku(&sku),
                    Some((index, Some(variant))),
                    "{sku}"
                );
            }
        }
        let (index, parent) = catalog
            .products
            .iter()
            .enumerate()
            .find(|(_, p)| p.configurable.is_some())
            .expect("a configurable product");
        let matrix = parent.configurable.as_ref().expect("configurable");
        let missing = (0..COLORS.len() as u8)
            .find(|&c| matrix.colors & (1 << c) == 0)
            .expect("a color it is not offered in");
        let sku = format!(
            "{}-{}-{}",
            parent.sku,
            SIZES[usize::from(matrix.size_from)].label,
            COLORS[usize::from(missing)].label
        );
        assert_eq!(catalog.item_by_sku(&sku), None, "{index}: {sku}");
        assert_eq!(catalog.item_by_sku("NOPE-XS-Black"), None);
        assert_eq!(catalog.item_by_sku(""), None);
    }

    #[test]
    fn slugs_are_lower_case_and_dashed() {
        assert_eq!(slug("Hoodies & Sweatshirts"), "hoodies-sweatshirts");
        assert_eq!(slug("  Aurora Running Jacket "), "aurora-running-jacket");
    }
}
