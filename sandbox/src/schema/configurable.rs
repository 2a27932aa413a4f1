//! `ConfigurableProduct.configurable_options`, `.variants` and
//! `.configurable_product_options_selection`: the color × size matrix of apparel.

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Value, json};

use super::product::{At, variant_ref};
use super::{Data, arg, media};
use crate::catalog::attributes::{COLOR_ATTRIBUTE_ID, COLORS, SIZE_ATTRIBUTE_ID, SIZES};
use crate::catalog::{Configurable, Variant};
use crate::scope::RequestScope;

/// One of the two configurable attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribute {
    Color,
    Size,
}

impl Attribute {
    const ALL: [Attribute; 2] = [Attribute::Color, Attribute::Size];

    fn id(self) -> u32 {
        match self {
            Attribute::Color => COLOR_ATTRIBUTE_ID,
            Attribute::Size => SIZE_ATTRIBUTE_ID,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Attribute::Color => "color",
            Attribute::Size => "size",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Attribute::Color => "Color",
            Attribute::Size => "Size",
        }
    }

    /// The product's values of this attribute, as indices into `COLORS` / `SIZES`.
    fn values(self, matrix: &Configurable) -> Vec<u8> {
        match self {
            Attribute::Color => matrix.color_indices().collect(),
            Attribute::Size => matrix.size_indices().collect(),
        }
    }

    fn of(self, variant: &Variant) -> u8 {
        match self {
            Attribute::Color => variant.color,
            Attribute::Size => variant.size,
        }
    }

    /// Option id of a value (`value_index`).
    fn option_id(self, value: u8) -> u32 {
        match self {
            Attribute::Color => COLORS[usize::from(value)].id,
            Attribute::Size => SIZES[usize::from(value)].id,
        }
    }

    fn option_label(self, value: u8) -> &'static str {
        match self {
            Attribute::Color => COLORS[usize::from(value)].label,
            Attribute::Size => SIZES[usize::from(value)].label,
        }
    }

    /// Commerce's option value uid: base64 of `configurable/<attribute id>/<option id>`.
    fn value_uid(self, value: u8) -> String {
        crate::uid::encode(&format!(
            "configurable/{}/{}",
            self.id(),
            self.option_id(value)
        ))
    }

    fn attribute_uid(self) -> String {
        crate::uid::encode_id(self.id())
    }

    fn swatch(self, value: u8) -> Value {
        match self {
            Attribute::Color => {
                json!({ "__typename": "ColorSwatchData", "value": COLORS[usize::from(value)].hex })
            }
            Attribute::Size => {
                json!({ "__typename": "TextSwatchData", "value": SIZES[usize::from(value)].label })
            }
        }
    }

    /// The value a uid selects, when it is one of this attribute's values on this product.
    fn decode(self, matrix: &Configurable, uid: &str) -> Option<u8> {
        self.values(matrix)
            .into_iter()
            .find(|&v| self.value_uid(v) == uid)
    }
}

/// The variant option value uids choose: one value of each attribute, offered by `matrix`.
pub(super) fn variant_by_uids(matrix: &Configurable, uids: &[String]) -> Option<Variant> {
    let color = uids
        .iter()
        .find_map(|u| Attribute::Color.decode(matrix, u))?;
    let size = uids
        .iter()
        .find_map(|u| Attribute::Size.decode(matrix, u))?;
    matrix.variant_in(color, size)
}

pub(super) fn options(at: &At<'_>) -> Value {
    let Some(matrix) = at
        .product
        .configurable
        .as_ref()
        .filter(|_| at.variant.is_none())
    else {
        return Value::Null;
    };
    let product_id = at.id();
    Value::Array(
        Attribute::ALL
            .iter()
            .enumerate()
            .map(|(position, &attribute)| {
                let values: Vec<Value> = attribute
                    .values(matrix)
                    .into_iter()
                    .map(|v| {
                        let label = attribute.option_label(v);
                        json!({
                            "uid": attribute.value_uid(v),
                            "value_index": attribute.option_id(v),
                            "label": label,
                            "default_label": label,
                            "store_label": label,
                            "use_default_value": true,
                            "swatch_data": attribute.swatch(v),
                        })
                    })
                    .collect();
                json!({
                    "id": product_id * 10 + position as u32,
                    "uid": crate::uid::encode(&format!("configurable/{product_id}/{}", attribute.id())),
                    "attribute_id": attribute.id().to_string(),
                    "attribute_id_v2": attribute.id(),
                    "attribute_uid": attribute.attribute_uid(),
                    "attribute_code": attribute.code(),
                    "label": attribute.label(),
                    "position": position,
                    "product_id": product_id,
                    "use_default": false,
                    "values": values,
                })
            })
            .collect(),
    )
}

fn variant_attributes(variant: &Variant) -> Value {
    Value::Array(
        Attribute::ALL
            .iter()
            .map(|&attribute| {
                let value = attribute.of(variant);
                json!({
                    "code": attribute.code(),
                    "label": attribute.option_label(value),
                    "uid": attribute.value_uid(value),
                    "value_index": attribute.option_id(value),
                })
            })
            .collect(),
    )
}

/// `SelectedConfigurableOption`s: the attribute values a cart line's variant was chosen by.
pub(super) fn selected_options(product_id: u32, variant: &Variant) -> Value {
    Value::Array(
        Attribute::ALL
            .iter()
            .map(|&attribute| {
                let value = attribute.of(variant);
                json!({
                    "id": attribute.id(),
                    "configurable_product_option_uid": crate::uid::encode(&format!("configurable/{product_id}/{}", attribute.id())),
                    "configurable_product_option_value_uid": attribute.value_uid(value),
                    "option_label": attribute.label(),
                    "value_id": attribute.option_id(value),
                    "value_label": attribute.option_label(value),
                })
            })
            .collect(),
    )
}

/// The variant that selected option value uids (`configurable/<attribute>/<option>`, one per
/// attribute) choose; `None` unless every attribute is chosen and such a variant exists.
pub(super) fn variant_by_option_uids(matrix: &Configurable, uids: &[String]) -> Option<Variant> {
    let chosen: Vec<(Attribute, u8)> = Attribute::ALL
        .iter()
        .filter_map(|&a| {
            uids.iter()
                .find_map(|uid| a.decode(matrix, uid))
                .map(|v| (a, v))
        })
        .collect();
    if chosen.len() != Attribute::ALL.len() {
        return None;
    }
    matrix
        .variants()
        .find(|v| chosen.iter().all(|&(a, value)| a.of(v) == value))
}

/// The variants still offered (a variant disabled over REST is left out, as in Commerce).
pub(super) fn variants(data: &Data, scope: &RequestScope, at: &At<'_>) -> Value {
    let Some(matrix) = at
        .product
        .configurable
        .as_ref()
        .filter(|_| at.variant.is_none())
    else {
        return Value::Null;
    };
    Value::Array(
        matrix
            .variants()
            .filter(|v| data.catalog.is_variant_offered(v.id))
            .map(|v| json!({ "attributes": variant_attributes(&v), "product": variant_ref(scope, at.index, v) }))
            .collect(),
    )
}

/// `configurable_product_options_selection(configurableOptionValueUids)`: what remains
/// selectable given the chosen values, and the variant once every attribute is chosen.
pub(super) fn selection(
    data: &Data,
    scope: &RequestScope,
    ctx: &ResolverContext<'_>,
    at: &At<'_>,
) -> Result<Value, Error> {
    let Some(matrix) = at
        .product
        .configurable
        .as_ref()
        .filter(|_| at.variant.is_none())
    else {
        return Ok(Value::Null);
    };
    let uids: Vec<String> =
        arg::<Vec<String>>(ctx, "configurableOptionValueUids")?.unwrap_or_default();
    let chosen: Vec<(Attribute, u8)> = Attribute::ALL
        .iter()
        .filter_map(|&a| {
            uids.iter()
                .find_map(|uid| a.decode(matrix, uid))
                .map(|v| (a, v))
        })
        .collect();
    let in_stock =
        |v: &Variant| data.catalog.is_variant_offered(v.id) && data.catalog.variant_qty(v.id) > 0;
    // A value is available when an in-stock variant has it and agrees with the other choices.
    let available = |attribute: Attribute, value: u8| {
        matrix.variants().any(|v| {
            in_stock(&v)
                && attribute.of(&v) == value
                && chosen
                    .iter()
                    .all(|&(a, chosen)| a == attribute || a.of(&v) == chosen)
        })
    };
    let configurable_options: Vec<Value> = Attribute::ALL
        .iter()
        .map(|&attribute| {
            let values: Vec<Value> = attribute
                .values(matrix)
                .into_iter()
                .map(|v| {
                    json!({
                        "uid": attribute.value_uid(v),
                        "label": attribute.option_label(v),
                        "is_available": available(attribute, v),
                        "is_use_default": true,
                        "swatch": attribute.swatch(v),
                    })
                })
                .collect();
            json!({
                "attribute_code": attribute.code(),
                "label": attribute.label(),
                "uid": attribute.attribute_uid(),
                "values": values,
            })
        })
        .collect();
    let options_available: Vec<Value> = Attribute::ALL
        .iter()
        .map(|&attribute| {
            let uids: Vec<String> = attribute
                .values(matrix)
                .into_iter()
                .filter(|&v| available(attribute, v))
                .map(|v| attribute.value_uid(v))
                .collect();
            json!({ "attribute_code": attribute.code(), "option_value_uids": uids })
        })
        .collect();
    let variant = (chosen.len() == Attribute::ALL.len())
        .then(|| {
            matrix
                .variants()
                .find(|v| chosen.iter().all(|&(a, value)| a.of(v) == value))
        })
        .flatten();
    let gallery_of = match (variant, chosen.iter().find(|(a, _)| *a == Attribute::Color)) {
        (Some(v), _) => At {
            variant: Some(v),
            ..*at
        },
        (None, Some(&(_, color))) => match matrix.variants().find(|v| v.color == color) {
            Some(v) => At {
                variant: Some(v),
                ..*at
            },
            None => *at,
        },
        (None, None) => *at,
    };
    Ok(json!({
        "configurable_options": configurable_options,
        "options_available_for_selection": options_available,
        "media_gallery": media::gallery(data, &gallery_of),
        "variant": variant.map_or(Value::Null, |v| variant_ref(scope, at.index, v)),
    }))
}
