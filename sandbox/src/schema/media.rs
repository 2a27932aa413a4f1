//! Product images: `media_gallery`, the deprecated `media_gallery_entries`, and
//! `image` / `small_image` / `thumbnail`. Files follow Commerce's dispersed layout
//! (`media/catalog/product/m/j/mj01-black_main.jpg`); the sandbox serves a placeholder at each.

use serde_json::{Value, json};

use super::Data;
use super::product::At;
use crate::catalog::attributes::COLORS;
use crate::catalog::{Product, Variant};

/// One image of a product (the PIM's feed serves the same files).
pub(crate) struct Image {
    pub file: String,
    pub types: &'static [&'static str],
}

const MAIN: &[&str] = &["image", "small_image", "thumbnail"];

/// The product's images, main image first.
fn images(at: &At<'_>) -> Vec<Image> {
    product_images(at.index, at.product, at.variant)
}

/// The images of a product or variant, main image first.
pub(crate) fn product_images(
    index: u32,
    product: &Product,
    variant: Option<Variant>,
) -> Vec<Image> {
    let stem = product.image_stem();
    let color_file = |c: u8| {
        format!(
            "{stem}-{}_main.jpg",
            COLORS[usize::from(c)].label.to_ascii_lowercase()
        )
    };
    match (&product.configurable, variant) {
        (_, Some(v)) => vec![Image {
            file: color_file(v.color),
            types: MAIN,
        }],
        (Some(matrix), None) => matrix
            .color_indices()
            .enumerate()
            .map(|(i, c)| Image {
                file: color_file(c),
                types: if i == 0 { MAIN } else { &[] },
            })
            .collect(),
        (None, None) => {
            let count = 1 + index as usize % 3;
            ["main", "alt1", "back"]
                .iter()
                .take(count)
                .enumerate()
                .map(|(i, view)| Image {
                    file: format!("{stem}_{view}.jpg"),
                    types: if i == 0 { MAIN } else { &[] },
                })
                .collect()
        }
    }
}

/// Commerce's dispersion path of a file: its first two characters as folders.
pub(crate) fn dispersed(file: &str) -> String {
    let mut chars = file.chars();
    let first = chars.next().unwrap_or('_');
    let second = chars.next().unwrap_or('_');
    format!("/{first}/{second}/{file}")
}

fn url(data: &Data, file: &str) -> String {
    format!(
        "{}media/catalog/product{}",
        data.base_url(),
        dispersed(file)
    )
}

fn product_image(data: &Data, label: &str, position: usize, image: &Image) -> Value {
    json!({
        "__typename": "ProductImage",
        "url": url(data, &image.file),
        "label": label,
        "position": position,
        "disabled": false,
        "types": image.types,
    })
}

pub(super) fn gallery(data: &Data, at: &At<'_>) -> Value {
    let label = at.name(&data.catalog);
    Value::Array(
        images(at)
            .iter()
            .enumerate()
            .map(|(i, image)| product_image(data, &label, i + 1, image))
            .collect(),
    )
}

pub(super) fn gallery_entries(data: &Data, at: &At<'_>) -> Value {
    let label = at.name(&data.catalog);
    Value::Array(
        images(at)
            .iter()
            .enumerate()
            .map(|(i, image)| {
                let id = at.id() * 10 + i as u32;
                json!({
                    "id": id,
                    "uid": crate::uid::encode_id(id),
                    "file": dispersed(&image.file),
                    "label": label,
                    "position": i + 1,
                    "disabled": false,
                    "media_type": "image",
                    "types": image.types,
                })
            })
            .collect(),
    )
}

/// `image`, `small_image` and `thumbnail`: the main image.
pub(super) fn main_image(data: &Data, at: &At<'_>) -> Value {
    let label = at.name(&data.catalog);
    images(at)
        .first()
        .map_or(Value::Null, |image| product_image(data, &label, 1, image))
}

/// An SVG placeholder for any product image path, so demo frontends show something.
pub(crate) fn placeholder_svg(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let color = COLORS
        .iter()
        .find(|c| file.contains(&format!("-{}_", c.label.to_ascii_lowercase())))
        .map_or("#d9d9d9", |c| c.hex);
    let label: String = file
        .trim_end_matches(".jpg")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(40)
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"750\" viewBox=\"0 0 600 750\">\
<rect width=\"600\" height=\"750\" fill=\"#f4f4f4\"/><rect x=\"150\" y=\"200\" width=\"300\" height=\"300\" rx=\"24\" \
fill=\"{color}\" stroke=\"#bbbbbb\"/><text x=\"300\" y=\"600\" font-family=\"sans-serif\" font-size=\"28\" \
text-anchor=\"middle\" fill=\"#555555\">{label}</text></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_dispersed_by_their_first_two_characters() {
        assert_eq!(dispersed("mj01-black_main.jpg"), "/m/j/mj01-black_main.jpg");
    }

    #[test]
    fn placeholders_take_the_color_of_the_file_and_escape_nothing_unsafe() {
        let svg = placeholder_svg("m/j/mj01-black_main.jpg");
        assert!(svg.contains("#000000"));
        assert!(svg.contains(">mj01-black_main<"));
        let hostile = placeholder_svg("x/y/<script>alert(1)</script>.jpg");
        assert!(!hostile.contains("<script>"));
    }
}
