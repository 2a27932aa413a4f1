//! The feeds' opaque cursors: the key of the last item a page returned (keyset paging), so a
//! reader resuming with it continues exactly after that item whatever changed meanwhile.
//! Base64url of the key's fields, tagged with the feed so one feed's cursor is refused by
//! another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Separates the fields (never part of a SKU the index holds).
const SEPARATOR: char = '\u{1f}';
/// Longest cursor accepted, in bytes.
const MAX_CURSOR_BYTES: usize = 512;

/// Which feed a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feed {
    ErpProducts,
    PimProducts,
    StockFull,
    StockChanges,
}

impl Feed {
    fn tag(self) -> &'static str {
        match self {
            Feed::ErpProducts => "p",
            Feed::PimProducts => "c",
            Feed::StockFull => "s",
            Feed::StockChanges => "d",
        }
    }
}

/// The cursor after an item whose key is `fields`.
pub(crate) fn encode(feed: Feed, fields: &[&str]) -> String {
    let mut text = feed.tag().to_string();
    for field in fields {
        text.push(SEPARATOR);
        text.push_str(field);
    }
    URL_SAFE_NO_PAD.encode(text)
}

/// The key fields of a cursor of `feed`; `None` for anything else.
pub(crate) fn decode(feed: Feed, cursor: &str) -> Option<Vec<String>> {
    if cursor.len() > MAX_CURSOR_BYTES {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut fields = text.split(SEPARATOR);
    if fields.next() != Some(feed.tag()) {
        return None;
    }
    Some(fields.map(str::to_owned).collect())
}
