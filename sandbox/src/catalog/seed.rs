//! Deterministic generation of the category tree and the products.
//!
//! The tree is a fixed, Luma-like list of about fifty categories (root "Default Category" →
//! eight top-level categories → their children); a smaller `categories` count keeps a
//! breadth-first prefix of it, a larger one adds "collection" sub-categories under the leaves.
//! Every third product is a configurable apparel product; the others are simple products of the
//! other families. Everything derives from one seed.

use std::collections::VecDeque;

use ahash::{AHashMap, AHashSet};

use fastrand::Rng;

use super::attributes::{APPAREL_WORDS, COLORS, GOODS_WORDS, MATERIALS, SIZES, STYLES};
use super::{Category, Configurable, Family, Product, ROOT_CATEGORY_ID, slug};

/// A category of the fixed tree.
struct Seed {
    name: &'static str,
    url_key: &'static str,
    family: Family,
    /// Sku prefix of the products seeded into it (leaves only).
    sku: &'static str,
    nouns: &'static [&'static str],
    children: &'static [Seed],
}

const fn leaf(
    name: &'static str,
    url_key: &'static str,
    family: Family,
    sku: &'static str,
    nouns: &'static [&'static str],
) -> Seed {
    Seed {
        name,
        url_key,
        family,
        sku,
        nouns,
        children: &[],
    }
}

const fn branch(
    name: &'static str,
    url_key: &'static str,
    family: Family,
    children: &'static [Seed],
) -> Seed {
    Seed {
        name,
        url_key,
        family,
        sku: "",
        nouns: &[],
        children,
    }
}

use Family::{Apparel, Digital, Electronics, Gear, Home, Outdoor};

/// The fixed tree: name, url key and family of each category; sku prefix and product nouns
/// of each leaf. Kept one category a line, so it reads as the menu it is.
#[rustfmt::skip]
const TREE: &[Seed] = &[
    branch("Women", "women", Apparel, &[
        branch("Tops", "tops-women", Apparel, &[
            leaf("Jackets", "jackets-women", Apparel, "WJ", &["Jacket", "Shell", "Parka"]),
            leaf("Hoodies & Sweatshirts", "hoodies-and-sweatshirts-women", Apparel, "WH", &["Hoodie", "Sweatshirt", "Pullover"]),
            leaf("Tees", "tees-women", Apparel, "WS", &["Tee", "Crew Tee", "V-Neck"]),
            leaf("Bras & Tanks", "tanks-women", Apparel, "WT", &["Tank", "Bra Top", "Camisole"]),
        ]),
        branch("Bottoms", "bottoms-women", Apparel, &[
            leaf("Pants", "pants-women", Apparel, "WP", &["Pant", "Jogger", "Capri"]),
            leaf("Shorts", "shorts-women", Apparel, "WSH", &["Short", "Skort"]),
            leaf("Leggings", "leggings-women", Apparel, "WL", &["Legging", "Tight"]),
        ]),
    ]),
    branch("Men", "men", Apparel, &[
        branch("Tops", "tops-men", Apparel, &[
            leaf("Jackets", "jackets-men", Apparel, "MJ", &["Jacket", "Shell", "Anorak"]),
            leaf("Hoodies & Sweatshirts", "hoodies-and-sweatshirts-men", Apparel, "MH", &["Hoodie", "Sweatshirt", "Quarter-Zip"]),
            leaf("Tees", "tees-men", Apparel, "MS", &["Tee", "Crew Tee", "Henley"]),
            leaf("Tanks", "tanks-men", Apparel, "MT", &["Tank", "Sleeveless Tee"]),
        ]),
        branch("Bottoms", "bottoms-men", Apparel, &[
            leaf("Pants", "pants-men", Apparel, "MP", &["Pant", "Chino", "Jogger"]),
            leaf("Shorts", "shorts-men", Apparel, "MSH", &["Short", "Board Short"]),
        ]),
    ]),
    branch("Gear", "gear", Gear, &[
        leaf("Bags", "bags", Gear, "24-MB", &["Backpack", "Duffle", "Tote", "Messenger Bag", "Sling"]),
        leaf("Fitness Equipment", "fitness-equipment", Gear, "24-UG", &["Yoga Mat", "Kettlebell", "Resistance Band", "Foam Roller", "Jump Rope"]),
        leaf("Watches", "watches", Gear, "24-MG", &["Sport Watch", "Chronograph", "Field Watch"]),
        leaf("Water Bottles", "water-bottles", Gear, "24-WB", &["Water Bottle", "Tumbler", "Flask"]),
    ]),
    branch("Training", "training", Digital, &[
        leaf("Video Download", "training-video", Digital, "24-TV", &["Workout Video", "Training Plan", "Yoga Course"]),
    ]),
    branch("Home", "home", Home, &[
        leaf("Kitchen", "kitchen", Home, "HK", &["Chef Knife", "Cutting Board", "Skillet", "Kettle"]),
        leaf("Bedding", "bedding", Home, "HB", &["Duvet Cover", "Pillow", "Throw Blanket"]),
        leaf("Decor", "decor", Home, "HD", &["Vase", "Wall Clock", "Candle", "Picture Frame"]),
        leaf("Lighting", "lighting", Home, "HL", &["Desk Lamp", "Floor Lamp", "Pendant Light"]),
        leaf("Bath", "bath", Home, "HBA", &["Bath Towel", "Bath Mat", "Robe"]),
    ]),
    branch("Outdoor", "outdoor", Outdoor, &[
        leaf("Camping", "camping", Outdoor, "OC", &["Tent", "Sleeping Bag", "Camp Stove", "Lantern"]),
        leaf("Hiking", "hiking", Outdoor, "OH", &["Trekking Poles", "Daypack", "Hydration Pack"]),
        leaf("Cycling", "cycling", Outdoor, "OY", &["Bike Light", "Helmet", "Saddle Bag"]),
        leaf("Climbing", "climbing", Outdoor, "OL", &["Harness", "Chalk Bag", "Carabiner Set"]),
    ]),
    branch("Kids", "kids", Apparel, &[
        leaf("Girls", "girls", Apparel, "KG", &["Hoodie", "Tee", "Legging"]),
        leaf("Boys", "boys", Apparel, "KB", &["Hoodie", "Tee", "Short"]),
        leaf("Baby", "baby", Apparel, "KY", &["Onesie", "Romper"]),
        leaf("Kids Shoes", "kids-shoes", Apparel, "KS", &["Sneaker", "Sandal"]),
    ]),
    branch("Electronics", "electronics", Electronics, &[
        leaf("Audio", "audio", Electronics, "EA", &["Headphones", "Earbuds", "Speaker"]),
        leaf("Wearables", "wearables", Electronics, "EW", &["Fitness Tracker", "Smartwatch"]),
        leaf("Cameras", "cameras", Electronics, "EC", &["Action Camera", "Instant Camera"]),
        leaf("Accessories", "electronics-accessories", Electronics, "EX", &["Charger", "Power Bank", "Cable"]),
        leaf("Smart Home", "smart-home", Electronics, "EH", &["Smart Plug", "Smart Bulb", "Doorbell Camera"]),
    ]),
];

/// Names of the sub-categories added under leaves when more categories are asked for than the
/// fixed tree has.
#[rustfmt::skip]
const COLLECTIONS: [&str; 10] = [
    "New Arrivals", "Best Sellers", "Spring Edit", "Summer Edit", "Autumn Edit", "Winter Edit",
    "Essentials", "Premium", "Eco Line", "Limited Edition",
];

/// Seeds the tree and the products.
pub(super) fn generate(
    products: usize,
    categories: usize,
    seed: u64,
) -> (Vec<Category>, Vec<Product>) {
    let mut categories = build_tree(categories.max(2));
    let products = build_products(&mut categories, products, seed);
    (categories, products)
}

fn build_tree(wanted: usize) -> Vec<Category> {
    let mut tree = vec![Category {
        id: ROOT_CATEGORY_ID,
        name: "Default Category".to_owned(),
        url_key: "default-category".to_owned(),
        url_path: String::new(),
        parent: None,
        children: Vec::new(),
        level: 1,
        position: 1,
        path: format!("1/{ROOT_CATEGORY_ID}"),
        family: Family::Gear,
        nouns: &[],
        sku_prefix: "",
        products: Vec::new(),
    }];
    // Breadth-first over the fixed tree, so a small count keeps the upper levels.
    let mut queue: VecDeque<(u32, &'static [Seed])> = [(0, TREE)].into();
    while let Some((parent, seeds)) = queue.pop_front() {
        for seed in seeds {
            if tree.len() >= wanted {
                break;
            }
            let goods = Goods {
                family: seed.family,
                nouns: seed.nouns,
                sku_prefix: seed.sku,
            };
            let index = push_child(&mut tree, parent, seed.name, seed.url_key, goods);
            if !seed.children.is_empty() {
                queue.push_back((index, seed.children));
            }
        }
    }
    // A kept branch whose children were cut becomes a leaf: give it nouns and a sku prefix.
    for category in tree.iter_mut().skip(1) {
        if category.children.is_empty() && category.sku_prefix.is_empty() {
            let goods = fallback_goods(category.family);
            category.nouns = goods.nouns;
            category.sku_prefix = goods.sku_prefix;
        }
    }
    // More wanted than the fixed tree has: collections under its leaves, round robin.
    let leaves: Vec<u32> = (1..tree.len() as u32)
        .filter(|&i| tree[i as usize].children.is_empty())
        .collect();
    let parents = if leaves.is_empty() { vec![0] } else { leaves };
    let mut round = 0;
    while tree.len() < wanted {
        for &parent in &parents {
            if tree.len() >= wanted {
                break;
            }
            let collection = COLLECTIONS[round % COLLECTIONS.len()];
            let name = match round / COLLECTIONS.len() {
                0 => collection.to_owned(),
                n => format!("{collection} {}", n + 1),
            };
            let p = &tree[parent as usize];
            let url_key = format!("{}-{}", slug(&name), p.url_key);
            let goods = Goods {
                family: p.family,
                nouns: p.nouns,
                sku_prefix: p.sku_prefix,
            };
            push_child(&mut tree, parent, &name, &url_key, goods);
        }
        round += 1;
    }
    tree
}

/// What a leaf category's products are made of.
struct Goods {
    family: Family,
    nouns: &'static [&'static str],
    sku_prefix: &'static str,
}

fn push_child(
    tree: &mut Vec<Category>,
    parent: u32,
    name: &str,
    url_key: &str,
    goods: Goods,
) -> u32 {
    let index = tree.len() as u32;
    let id = index + ROOT_CATEGORY_ID;
    let p = &tree[parent as usize];
    let url_path = if p.parent.is_none() {
        url_key.to_owned()
    } else {
        format!("{}/{url_key}", p.url_path)
    };
    let category = Category {
        id,
        name: name.to_owned(),
        url_key: url_key.to_owned(),
        url_path,
        parent: Some(parent),
        children: Vec::new(),
        level: p.level + 1,
        position: p.children.len() as u32 + 1,
        path: format!("{}/{id}", p.path),
        family: goods.family,
        nouns: goods.nouns,
        sku_prefix: goods.sku_prefix,
        products: Vec::new(),
    };
    tree[parent as usize].children.push(index);
    tree.push(category);
    index
}

fn fallback_goods(family: Family) -> Goods {
    let (nouns, sku_prefix): (&'static [&'static str], _) = match family {
        Family::Apparel => (&["Jacket", "Hoodie", "Tee", "Pant"], "AP"),
        Family::Gear => (&["Backpack", "Yoga Mat", "Water Bottle"], "24-GR"),
        Family::Home => (&["Candle", "Pillow", "Lamp"], "HM"),
        Family::Outdoor => (&["Tent", "Daypack", "Lantern"], "OD"),
        Family::Electronics => (&["Headphones", "Speaker", "Charger"], "EL"),
        Family::Digital => (&["Workout Video", "Training Plan"], "24-DL"),
    };
    Goods {
        family,
        nouns,
        sku_prefix,
    }
}

fn build_products(categories: &mut [Category], count: usize, seed: u64) -> Vec<Product> {
    let leaves: Vec<u32> = (1..categories.len() as u32)
        .filter(|&i| categories[i as usize].children.is_empty())
        .collect();
    let leaves = if leaves.is_empty() { vec![0] } else { leaves };
    let apparel: Vec<u32> = leaves
        .iter()
        .copied()
        .filter(|&i| categories[i as usize].family == Family::Apparel)
        .collect();
    let goods: Vec<u32> = leaves
        .iter()
        .copied()
        .filter(|&i| categories[i as usize].family != Family::Apparel)
        .collect();
    let apparel = if apparel.is_empty() {
        leaves.clone()
    } else {
        apparel
    };
    let goods = if goods.is_empty() {
        leaves.clone()
    } else {
        goods
    };

    let mut rng = Rng::with_seed(seed);
    let mut sku_counters: AHashMap<&'static str, u32> = AHashMap::new();
    let mut url_keys: AHashSet<String> = AHashSet::with_capacity(count);
    let mut products = Vec::with_capacity(count);
    let mut next_child_id = count as u32 + 1;
    for i in 0..count {
        let configurable = i % 3 == 0;
        let pool = if configurable { &apparel } else { &goods };
        let leaf = pool[rng.usize(..pool.len())];
        let category = &categories[leaf as usize];
        let noun = category
            .nouns
            .get(rng.usize(..category.nouns.len().max(1)))
            .copied()
            .unwrap_or("Item");
        let style = STYLES[rng.usize(..STYLES.len())];
        let word = if configurable {
            APPAREL_WORDS[rng.usize(..APPAREL_WORDS.len())]
        } else {
            GOODS_WORDS[rng.usize(..GOODS_WORDS.len())]
        };
        let name = format!("{style} {word} {noun}");
        let prefix = category.sku_prefix;
        let n = sku_counters.entry(prefix).or_insert(0);
        *n += 1;
        let sku = format!("{prefix}{:02}", *n);
        let mut url_key = slug(&name);
        if !url_keys.insert(url_key.clone()) {
            url_key = format!("{url_key}-{}", sku.to_ascii_lowercase());
            url_keys.insert(url_key.clone());
        }
        let price = price_for(category.family, &mut rng);
        let special_percent = match rng.u8(..100) {
            0..=11 => [10, 15, 20, 25, 30][rng.usize(..5)],
            _ => 0,
        };
        let matrix = configurable.then(|| {
            let mut colors = 0u16;
            let wanted = rng.u32(2..=4);
            while colors.count_ones() < wanted {
                colors |= 1 << rng.u32(..COLORS.len() as u32);
            }
            let size_count = rng.u8(3..=SIZES.len() as u8);
            let size_from = rng.u8(..=SIZES.len() as u8 - size_count);
            let matrix = Configurable {
                colors,
                size_from,
                size_count,
                first_child_id: next_child_id,
            };
            next_child_id += matrix.variant_count();
            matrix
        });
        // Configurable products sell their variants' stock; about 6% of simple ones sold out.
        let qty = if configurable || rng.u8(..100) < 6 {
            0
        } else {
            rng.u16(1..=250)
        };
        let color = (!configurable
            && matches!(
                category.family,
                Family::Gear | Family::Outdoor | Family::Electronics
            ))
        .then(|| rng.u8(..COLORS.len() as u8));
        let material = rng.u8(..MATERIALS.len() as u8);
        let tiered = rng.u8(..4) == 0;
        let age_days = rng.u16(..720);
        products.push(Product {
            id: i as u32 + 1,
            sku,
            name,
            url_key,
            leaf,
            price,
            special_percent,
            qty,
            material,
            color,
            configurable: matrix,
            tiered,
            age_days,
            kind: super::types::Kind::Standard,
            content: None,
        });
        let mut at = Some(leaf);
        while let Some(c) = at {
            categories[c as usize].products.push(i as u32);
            at = categories[c as usize].parent;
        }
    }
    products
}

/// Regular price in cents, by family.
fn price_for(family: Family, rng: &mut Rng) -> u32 {
    let dollars = match family {
        Family::Apparel => rng.u32(18..=99),
        Family::Gear => rng.u32(9..=199),
        Family::Home => rng.u32(12..=249),
        Family::Outdoor => rng.u32(15..=399),
        Family::Electronics => rng.u32(19..=899),
        Family::Digital => rng.u32(5..=49),
    };
    let cents = if matches!(family, Family::Electronics | Family::Digital) {
        99
    } else {
        0
    };
    dollars * 100 + cents
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_default_tree_has_about_fifty_categories_under_default_category() {
        let (categories, _) = generate(0, 50, 1);
        assert_eq!(categories.len(), 50);
        let top: Vec<&str> = categories[0]
            .children
            .iter()
            .map(|&c| categories[c as usize].name.as_str())
            .collect();
        assert_eq!(top.len(), 8, "{top:?}");
        assert_eq!(top[0], "Women");
        let jackets = categories
            .iter()
            .find(|c| c.url_key == "jackets-women")
            .expect("women's jackets");
        assert_eq!(jackets.url_path, "women/tops-women/jackets-women");
        assert_eq!(jackets.level, 4);
        assert!(jackets.path.starts_with("1/2/"));
    }

    #[test]
    fn more_categories_than_the_fixed_tree_add_collections_and_fewer_keep_the_top() {
        let (big, _) = generate(0, 120, 1);
        assert_eq!(big.len(), 120);
        let (small, products) = generate(30, 5, 1);
        assert_eq!(small.len(), 5);
        assert_eq!(products.len(), 30);
        assert!(
            products
                .iter()
                .all(|p| small[p.leaf as usize].children.is_empty())
        );
    }

    #[test]
    fn generation_is_deterministic_and_skus_and_url_keys_are_unique() {
        let (_, a) = generate(2_000, 50, 42);
        let (_, b) = generate(2_000, 50, 42);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.sku == y.sku && x.name == y.name && x.price == y.price)
        );
        let skus: HashSet<&str> = a.iter().map(|p| p.sku.as_str()).collect();
        let keys: HashSet<&str> = a.iter().map(|p| p.url_key.as_str()).collect();
        assert_eq!(skus.len(), a.len());
        assert_eq!(keys.len(), a.len());
        let configurable = a.iter().filter(|p| p.configurable.is_some()).count();
        assert_eq!(configurable, 2_000usize.div_ceil(3));
    }
}
