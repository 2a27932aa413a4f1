//! Items of the PIM's content feed and the contract's bounds on them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sources::feed::{FeedItem, check_len, check_sku, check_text};

/// Longest name, meta title, URL key, image file or label, in characters.
pub const MAX_LINE_CHARS: usize = 255;
/// Longest description or short description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 65_535;
/// Longest attribute code, in characters (Commerce's limit).
pub const MAX_ATTRIBUTE_CODE_CHARS: usize = 60;
/// Most attributes, categories, images and roles per image of one product.
pub const MAX_ATTRIBUTES: usize = 200;
pub const MAX_CATEGORIES: usize = 1_000;
pub const MAX_IMAGES: usize = 100;
pub const MAX_ROLES: usize = 10;

/// One product's catalog content.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PimProduct {
    pub sku: String,
    pub name: String,
    /// HTML.
    #[serde(default)]
    pub description: Option<String>,
    /// HTML.
    #[serde(default)]
    pub short_description: Option<String>,
    #[serde(default)]
    pub meta_title: Option<String>,
    #[serde(default)]
    pub url_key: Option<String>,
    /// Commerce attribute codes and their values (the flow checks the codes against
    /// Commerce's attributes).
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Commerce category ids.
    #[serde(default)]
    pub category_ids: Vec<u32>,
    #[serde(default)]
    pub images: Vec<PimImage>,
    /// When the PIM last changed the content, Unix seconds.
    pub updated_at: i64,
}

/// An attribute's value: text (option labels included), a number, a flag, or several labels
/// (multiselect).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Text(String),
    Number(f64),
    Flag(bool),
    List(Vec<String>),
}

/// One image in Commerce's media gallery.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PimImage {
    /// Commerce's file path under `media/catalog/product`, e.g. `/m/j/mj01_main.jpg`.
    pub file: String,
    #[serde(default)]
    pub label: Option<String>,
    /// Order in the gallery, from 1.
    pub position: u32,
    /// Commerce image roles: `image`, `small_image`, `thumbnail`, `swatch_image`.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl FeedItem for PimProduct {
    fn check(&self) -> Result<(), String> {
        check_sku(&self.sku)?;
        check_text("name", &self.name, MAX_LINE_CHARS, true)?;
        let optional = [
            ("description", &self.description, MAX_DESCRIPTION_CHARS),
            (
                "short_description",
                &self.short_description,
                MAX_DESCRIPTION_CHARS,
            ),
            ("meta_title", &self.meta_title, MAX_LINE_CHARS),
            ("url_key", &self.url_key, MAX_LINE_CHARS),
        ];
        for (field, value, max) in optional {
            if let Some(value) = value {
                check_text(field, value, max, false)?;
            }
        }
        check_len("attributes", self.attributes.len(), MAX_ATTRIBUTES)?;
        for (code, value) in &self.attributes {
            check_text("attribute code", code, MAX_ATTRIBUTE_CODE_CHARS, true)?;
            let field = format!("attributes.{code}");
            match value {
                AttributeValue::Text(text) => {
                    check_text(&field, text, MAX_DESCRIPTION_CHARS, false)?
                }
                AttributeValue::Number(n) if !n.is_finite() => {
                    return Err(format!("{field} must be a finite number"));
                }
                AttributeValue::List(labels) => {
                    check_len(&field, labels.len(), MAX_ATTRIBUTES)?;
                    for label in labels {
                        check_text(&field, label, MAX_LINE_CHARS, false)?;
                    }
                }
                AttributeValue::Number(_) | AttributeValue::Flag(_) => {}
            }
        }
        check_len("category_ids", self.category_ids.len(), MAX_CATEGORIES)?;
        check_len("images", self.images.len(), MAX_IMAGES)?;
        for image in &self.images {
            check_text("images.file", &image.file, MAX_LINE_CHARS, true)?;
            if let Some(label) = &image.label {
                check_text("images.label", label, MAX_LINE_CHARS, false)?;
            }
            check_len("images.roles", image.roles.len(), MAX_ROLES)?;
            for role in &image.roles {
                check_text("images.roles", role, MAX_ATTRIBUTE_CODE_CHARS, true)?;
            }
        }
        if self.updated_at < 0 {
            return Err("updated_at must be Unix seconds, at least 0".into());
        }
        Ok(())
    }
}
