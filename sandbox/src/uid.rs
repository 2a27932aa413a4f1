//! Commerce's `uid` values: base64 of the entity id (or of a typed path such as
//! `configurable/93/49` for option values), so clients treat them as opaque.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The uid of an entity id: `14` → `"MTQ="`.
pub(crate) fn encode_id(id: u32) -> String {
    STANDARD.encode(id.to_string())
}

/// The uid of a typed path, e.g. `configurable/93/49`.
pub(crate) fn encode(path: &str) -> String {
    STANDARD.encode(path)
}

/// The id a uid encodes; `None` when it is not base64 of a number.
pub(crate) fn decode_id(uid: &str) -> Option<u32> {
    let bytes = STANDARD.decode(uid.trim()).ok()?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_base64_of_ids_as_commerce_makes_them() {
        assert_eq!(encode_id(14), "MTQ=");
        assert_eq!(decode_id("MTQ="), Some(14));
        assert_eq!(decode_id("not base64!"), None);
        assert_eq!(decode_id(&encode("configurable/93/49")), None);
        assert_eq!(encode("configurable/93/49"), "Y29uZmlndXJhYmxlLzkzLzQ5");
    }
}
