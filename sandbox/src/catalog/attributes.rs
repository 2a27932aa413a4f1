//! The product attributes the seeded catalog uses, with Luma's attribute and option ids so the
//! data looks like a Commerce demo store (`color` 93 with option 49 = Black, `size` 144, …).

/// `color`: the configurable attribute of apparel and the swatch shown in layered navigation.
pub(crate) const COLOR_ATTRIBUTE_ID: u32 = 93;
/// `size`: the second configurable attribute of apparel.
pub(crate) const SIZE_ATTRIBUTE_ID: u32 = 144;

/// A `color` option: option id, label, swatch hex.
pub(crate) struct ColorOption {
    pub id: u32,
    pub label: &'static str,
    pub hex: &'static str,
}

#[rustfmt::skip]
pub(crate) const COLORS: [ColorOption; 11] = [
    ColorOption { id: 49, label: "Black", hex: "#000000" },
    ColorOption { id: 50, label: "Blue", hex: "#1857f7" },
    ColorOption { id: 51, label: "Brown", hex: "#945454" },
    ColorOption { id: 52, label: "Gray", hex: "#8f8f8f" },
    ColorOption { id: 53, label: "Green", hex: "#53a828" },
    ColorOption { id: 54, label: "Lavender", hex: "#ce64d4" },
    ColorOption { id: 56, label: "Orange", hex: "#eb6703" },
    ColorOption { id: 57, label: "Purple", hex: "#ef3dff" },
    ColorOption { id: 58, label: "Red", hex: "#ff0000" },
    ColorOption { id: 59, label: "White", hex: "#ffffff" },
    ColorOption { id: 60, label: "Yellow", hex: "#ffd500" },
];

/// A `size` option: option id, label.
pub(crate) struct SizeOption {
    pub id: u32,
    pub label: &'static str,
}

#[rustfmt::skip]
pub(crate) const SIZES: [SizeOption; 5] = [
    SizeOption { id: 167, label: "XS" },
    SizeOption { id: 168, label: "S" },
    SizeOption { id: 169, label: "M" },
    SizeOption { id: 170, label: "L" },
    SizeOption { id: 171, label: "XL" },
];

/// Sizes from this index up cost [`LARGE_SIZE_SURCHARGE`] more, so a configurable product's
/// `maximum_price` differs from its `minimum_price`.
pub(crate) const LARGE_SIZE_FROM: u8 = 4;
/// Surcharge of the large sizes, in cents of the catalog currency.
pub(crate) const LARGE_SIZE_SURCHARGE: u32 = 300;

#[rustfmt::skip]
pub(crate) const MATERIALS: [&str; 10] = [
    "Cotton", "Polyester", "Merino wool", "Nylon", "Recycled polyester", "Organic cotton",
    "Fleece", "Bamboo", "Stainless steel", "Aluminium",
];

/// First words of product names ("Aurora Running Jacket").
#[rustfmt::skip]
pub(crate) const STYLES: [&str; 48] = [
    "Aurora", "Atlas", "Nova", "Summit", "Zephyr", "Orion", "Cascade", "Juno", "Helios", "Ember",
    "Sierra", "Alpine", "Breeze", "Cobalt", "Dune", "Echo", "Falcon", "Glacier", "Harbor", "Indigo",
    "Jade", "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Pacific", "Quartz", "Ridge",
    "Solstice", "Tundra", "Umbra", "Vista", "Willow", "Yukon", "Zenith", "Apex", "Boreal",
    "Canyon", "Delta", "Everest", "Fjord", "Granite", "Horizon", "Iris", "Juniper", "Kodiak",
    "Lagoon",
];

/// Middle words of apparel names.
#[rustfmt::skip]
pub(crate) const APPAREL_WORDS: [&str; 16] = [
    "Running", "Training", "Yoga", "Trail", "Fleece", "Thermal", "Performance", "Everyday",
    "Lightweight", "Insulated", "Breathable", "Stretch", "Seamless", "Hybrid", "Tech", "Studio",
];

/// Middle words of the other families' names.
#[rustfmt::skip]
pub(crate) const GOODS_WORDS: [&str; 12] = [
    "Compact", "Classic", "Pro", "Ultra", "Essential", "Deluxe", "Smart", "Rugged", "Premium",
    "Travel", "Everyday", "Eco",
];
