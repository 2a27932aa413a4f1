//! What the ERP/WMS and PIM feeds share (docs/connectors/erp.md, pim.md): keyset pages read
//! with a bounded body and a nesting bound, and validation item by item, so one malformed item
//! never fails its page: it comes back as a [`Rejected`] item with a reason, and the flow skips
//! and reports it while the rest proceeds.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::connector::ConnectorClient;
use super::resilience::{Guard, SourceError};

/// Largest `limit` a feed page may ask for (and items it may hold).
pub const MAX_PAGE_LIMIT: u32 = 1_000;
/// Longest SKU, in characters (Commerce's `sku` column).
pub const MAX_SKU_CHARS: usize = 64;
/// Deepest JSON nesting a feed answer may have (objects and arrays).
pub const MAX_NESTING: usize = 16;

/// One page of a feed: the valid items, the rejected ones, where to continue, and (for
/// change feeds) the highest `updated_at` of the whole change set.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub rejected: Vec<Rejected>,
    /// The cursor after this page's last item; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Unix seconds; `None` for the full stock feed and for an empty change set.
    pub watermark: Option<i64>,
}

/// An item the client refused, and why (in words an operator can act on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The item's SKU when it has a usable one, else `#<index in the page>`.
    pub key: String,
    pub reason: String,
}

/// An item of a feed: decoded from its JSON, then checked against the contract's bounds.
pub trait FeedItem: DeserializeOwned {
    /// `Err` names the first field outside the contract and why.
    fn check(&self) -> Result<(), String>;
}

#[derive(Deserialize)]
struct Envelope {
    items: Vec<Box<RawValue>>,
    #[serde(default)]
    next_cursor: Option<String>,
    #[serde(default)]
    watermark: Option<i64>,
}

/// Only the SKU of an item, to name a rejected one.
#[derive(Deserialize)]
struct SkuOnly {
    #[serde(default)]
    sku: Option<serde_json::Value>,
}

/// Reads one page of `path` through `guard` (deadline, retries, breaker).
pub(crate) async fn fetch_page<T: FeedItem>(
    client: &ConnectorClient,
    guard: &Guard,
    path: &str,
    mut query: Vec<(&str, String)>,
    cursor: Option<&str>,
    limit: u32,
    max_answer_bytes: usize,
) -> Result<Page<T>, SourceError> {
    let limit = limit.clamp(1, MAX_PAGE_LIMIT);
    query.push(("limit", limit.to_string()));
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor.to_string()));
    }
    let body = guard
        .call(|| client.get_bounded(path, &query, max_answer_bytes))
        .await?;
    decode_page(&body, limit)
}

/// Decodes a page: the envelope must be right; items are checked one by one.
pub(crate) fn decode_page<T: FeedItem>(body: &[u8], limit: u32) -> Result<Page<T>, SourceError> {
    if nesting(body) > MAX_NESTING {
        return Err(SourceError::Decode(format!(
            "answer nested deeper than {MAX_NESTING} levels"
        )));
    }
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| SourceError::Decode(e.to_string()))?;
    if envelope.items.len() > limit as usize {
        return Err(SourceError::Decode(format!(
            "{} items in a page of at most {limit}",
            envelope.items.len()
        )));
    }
    if envelope.next_cursor.as_deref().is_some_and(str::is_empty) {
        return Err(SourceError::Decode("empty next_cursor".into()));
    }
    let mut items = Vec::with_capacity(envelope.items.len());
    let mut rejected = Vec::new();
    for (index, raw) in envelope.items.iter().enumerate() {
        match decode_item::<T>(raw.get()) {
            Ok(item) => items.push(item),
            Err(reason) => rejected.push(Rejected {
                key: item_key(raw.get(), index),
                reason,
            }),
        }
    }
    Ok(Page {
        items,
        rejected,
        next_cursor: envelope.next_cursor,
        watermark: envelope.watermark,
    })
}

fn decode_item<T: FeedItem>(json: &str) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let item: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })?;
    item.check()?;
    Ok(item)
}

/// The SKU of an item when it is usable as a name, else its place in the page.
fn item_key(json: &str, index: usize) -> String {
    let sku = serde_json::from_str::<SkuOnly>(json)
        .ok()
        .and_then(|s| s.sku);
    match sku {
        Some(serde_json::Value::String(sku)) if check_sku(&sku).is_ok() => sku,
        _ => format!("#{index}"),
    }
}

/// The deepest nesting of objects and arrays in `json` (a byte scan that skips strings), so
/// a hostile answer is refused before a parser recurses into it.
fn nesting(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in json {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A SKU Commerce can hold: not blank, at most [`MAX_SKU_CHARS`] characters, no surrounding
/// whitespace.
pub fn check_sku(sku: &str) -> Result<(), String> {
    if sku.trim().is_empty() {
        return Err("sku is empty".into());
    }
    if sku.trim() != sku {
        return Err("sku has leading or trailing whitespace".into());
    }
    let chars = sku.chars().count();
    if chars > MAX_SKU_CHARS {
        return Err(format!(
            "sku is {chars} characters long, at most {MAX_SKU_CHARS} allowed"
        ));
    }
    Ok(())
}

/// A text field of at most `max` characters (`required`: not blank either).
pub(crate) fn check_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<(), String> {
    if required && value.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(format!(
            "{field} is {chars} characters long, at most {max} allowed"
        ));
    }
    Ok(())
}

/// A finite amount or quantity, not negative.
pub(crate) fn check_amount(field: &str, value: f64) -> Result<(), String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "{field} must be a finite number of at least 0, got {value}"
        ));
    }
    Ok(())
}

/// At most `max` entries in a list.
pub(crate) fn check_len(field: &str, len: usize, max: usize) -> Result<(), String> {
    if len > max {
        return Err(format!("{field} has {len} entries, at most {max} allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Thing {
        sku: String,
        quantity: f64,
    }

    impl FeedItem for Thing {
        fn check(&self) -> Result<(), String> {
            check_sku(&self.sku)?;
            check_amount("quantity", self.quantity)
        }
    }

    #[test]
    fn a_malformed_item_is_rejected_with_its_reason_and_the_rest_kept() {
        let body = br#"{"items": [
            {"sku": "A", "quantity": 1},
            {"quantity": 2},
            {"sku": "B", "quantity": "abc"},
            {"sku": "C", "quantity": -1},
            {"sku": "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD", "quantity": 1}
        ], "next_cursor": "x", "watermark": 5}"#;
        let page: Page<Thing> = decode_page(body, 10).expect("page");
        assert_eq!(
            page.items,
            [Thing {
                sku: "A".into(),
                quantity: 1.0
            }]
        );
        let keys: Vec<&str> = page.rejected.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["#1", "B", "C", "#4"]);
        assert!(page.rejected[0].reason.contains("missing field `sku`"));
        assert!(page.rejected[1].reason.starts_with("quantity:"));
        assert!(page.rejected[2].reason.contains("at least 0"));
        assert!(page.rejected[3].reason.contains("at most 64"));
        assert_eq!(page.next_cursor.as_deref(), Some("x"));
        assert_eq!(page.watermark, Some(5));
    }

    #[test]
    fn pages_too_deep_too_long_or_without_items_fail_whole() {
        let deep = format!(r#"{{"items": [{}1{}]}}"#, "[".repeat(20), "]".repeat(20));
        assert!(decode_page::<Thing>(deep.as_bytes(), 10).is_err());
        let brackets_in_strings = format!(
            r#"{{"items": [{{"sku": "{}", "quantity": 1}}]}}"#,
            "[".repeat(40)
        );
        assert_eq!(nesting(brackets_in_strings.as_bytes()), 3);
        let many = r#"{"items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1}]}"#;
        assert!(decode_page::<Thing>(many.as_bytes(), 1).is_err());
        assert!(decode_page::<Thing>(br#"{"next_cursor": null}"#, 10).is_err());
        assert!(decode_page::<Thing>(b"<html>", 10).is_err());
    }
}
