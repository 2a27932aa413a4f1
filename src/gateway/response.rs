//! Reading Commerce's answers: passing clean bodies through untouched, and cleaning the errors
//! of the others so nothing but the client-facing part of an error leaves the BFF.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::error::code;
use crate::sources::connector::current_request_id;

/// Commerce's body after inspection.
#[derive(Debug)]
pub struct Inspected {
    pub body: Bytes,
    pub has_errors: bool,
}

/// Returns the body unchanged when it has no `errors`; otherwise re-serialises it with every
/// error reduced to `message`, `locations`, `path` and `extensions.{category,code}` (Commerce's
/// developer mode adds `debugMessage`, `trace`, file paths, which must not reach clients).
pub fn inspect(body: Bytes) -> Result<Inspected, serde_json::Error> {
    #[derive(Deserialize)]
    struct Peek<'a> {
        #[serde(borrow, default)]
        errors: Option<&'a RawValue>,
    }
    let peek: Peek<'_> = serde_json::from_slice(&body)?;
    if peek.errors.is_none() {
        return Ok(Inspected {
            body,
            has_errors: false,
        });
    }
    // `data` stays raw so field order and number formatting are exactly Commerce's.
    #[derive(Deserialize)]
    struct Answer<'a> {
        // `"data": null` is kept as written: an `Option` alone would read it as absent.
        #[serde(borrow, default, deserialize_with = "present")]
        data: Option<&'a RawValue>,
        #[serde(default)]
        errors: Vec<Value>,
    }
    let answer: Answer<'_> = serde_json::from_slice(&body)?;
    let errors: Vec<Value> = answer.errors.into_iter().map(clean_error).collect();
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(b"{\"errors\":");
    serde_json::to_writer(&mut out, &errors)?;
    if let Some(data) = answer.data {
        out.extend_from_slice(b",\"data\":");
        out.extend_from_slice(data.get().as_bytes());
    }
    out.push(b'}');
    Ok(Inspected {
        body: Bytes::from(out),
        has_errors: !errors.is_empty(),
    })
}

/// A key that is present, whatever its value (`null` included).
pub(super) fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// Splits a Commerce answer into `data` and its cleaned `errors` (for local execution).
pub fn split(body: &[u8]) -> Result<(Value, Vec<Value>), serde_json::Error> {
    let mut answer: Map<String, Value> = serde_json::from_slice(body)?;
    let data = answer.remove("data").unwrap_or(Value::Null);
    let errors = match answer.remove("errors") {
        Some(Value::Array(errors)) => errors.into_iter().map(clean_error).collect(),
        _ => Vec::new(),
    };
    Ok((data, errors))
}

/// Commerce's error categories meant for clients (Adobe's GraphQL exception classes, webonyx's
/// own `graphql` and `request`). Anything else — `internal`, a missing or unknown category — may
/// carry SQL, host names or paths, and is masked.
const CLIENT_CATEGORIES: [&str; 8] = [
    "graphql",
    "request",
    "graphql-input",
    "graphql-authentication",
    "graphql-authorization",
    "graphql-no-such-entity",
    "graphql-already-exists",
    "graphql-too-many-requests",
];

/// Keeps the client-facing part of one GraphQL error: `message`, `locations`, `path` and
/// `extensions.{category,code}`. An error whose category is not a client one reaches the client
/// as a generic message with the request id; its message goes to the log with the same id.
pub fn clean_error(error: Value) -> Value {
    let Value::Object(mut error) = error else {
        return masked(None, Map::new(), &error);
    };
    let mut kept = Map::new();
    if let Some(Value::Object(mut ext)) = error.remove("extensions") {
        for key in ["category", "code"] {
            if let Some(v @ Value::String(_)) = ext.remove(key) {
                kept.insert(key.into(), v);
            }
        }
    }
    let category = kept.get("category").and_then(Value::as_str);
    let client_facing = category.is_some_and(|c| CLIENT_CATEGORIES.contains(&c));
    let mut place = Map::new();
    for key in ["locations", "path"] {
        if let Some(v @ Value::Array(_)) = error.remove(key) {
            place.insert(key.into(), v);
        }
    }
    match error.remove("message") {
        Some(Value::String(message)) if client_facing => {
            let mut out = Map::new();
            out.insert("message".into(), Value::String(message));
            out.append(&mut place);
            out.insert("extensions".into(), Value::Object(kept));
            Value::Object(out)
        }
        detail => masked(
            category.map(str::to_owned),
            place,
            &detail.unwrap_or(Value::Null),
        ),
    }
}

/// The generic error standing in for one that must not reach the client, keeping its
/// `locations` and `path` (`place`).
fn masked(category: Option<String>, mut place: Map<String, Value>, detail: &Value) -> Value {
    let request_id = current_request_id();
    let id = request_id.as_deref().unwrap_or("-");
    tracing::error!(
        request_id = id,
        category = category.as_deref().unwrap_or("(none)"),
        detail = %detail,
        "Commerce answered an error not meant for clients; masked"
    );
    let mut out = Map::new();
    out.insert(
        "message".into(),
        Value::String(format!("Internal server error. Request id: {id}")),
    );
    out.append(&mut place);
    out.insert(
        "extensions".into(),
        json!({ "category": "internal", "code": code::INTERNAL_SERVER_ERROR }),
    );
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_body_passes_through_byte_for_byte() {
        let body = Bytes::from_static(br#"{"data":{"a":1},  "extensions":{}}"#);
        let out = inspect(body.clone()).expect("json");
        assert!(!out.has_errors);
        assert_eq!(out.body, body);
    }

    #[test]
    fn errors_lose_debug_detail_but_keep_path_and_category() {
        let body = Bytes::from_static(
            br#"{"errors":[{"message":"No such entity.","debugMessage":"SQLSTATE at /var/www","trace":[{"file":"/var/www/x.php"}],"path":["products"],"locations":[{"line":1,"column":3}],"extensions":{"category":"graphql-no-such-entity","file":"/var/www/x.php"}}],"data":{"products":null}}"#,
        );
        let out = inspect(body).expect("json");
        assert!(out.has_errors);
        let v: Value = serde_json::from_slice(&out.body).expect("json");
        assert_eq!(
            v["errors"][0],
            json!({"message":"No such entity.","path":["products"],"locations":[{"line":1,"column":3}],"extensions":{"category":"graphql-no-such-entity"}})
        );
        assert_eq!(v["data"], json!({"products": null}));
    }

    #[test]
    fn a_null_data_next_to_errors_stays_in_the_answer() {
        let body = Bytes::from_static(
            br#"{"errors":[{"message":"The current customer isn't authorized.","extensions":{"category":"graphql-authorization"}}],"data":null}"#,
        );
        let v: Value = serde_json::from_slice(&inspect(body).expect("json").body).expect("json");
        assert_eq!(v.get("data"), Some(&Value::Null));
        let absent = Bytes::from_static(br#"{"errors":[{"message":"x"}]}"#);
        let v: Value = serde_json::from_slice(&inspect(absent).expect("json").body).expect("json");
        assert_eq!(v.get("data"), None, "no data key is invented");
    }

    #[test]
    fn internal_uncategorised_and_unknown_errors_become_a_generic_message() {
        for error in [
            json!({"message": "SQLSTATE[HY000] [2002] db-primary.internal:3306 refused", "path": ["products"], "extensions": {"category": "internal"}}),
            json!({"message": "Redis at cache-1.internal:6379 timed out", "path": ["products"]}),
            json!({"message": "/var/www/html/vendor/x.php failed", "path": ["products"], "extensions": {"category": "businessLogic"}}),
            json!("a bare string from /var/www"),
        ] {
            let cleaned = clean_error(error.clone());
            let text = cleaned.to_string();
            assert!(
                !text.contains("internal:") && !text.contains("/var/www"),
                "{text}"
            );
            assert!(
                cleaned["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("Internal server error. Request id: ")),
                "{text}"
            );
            assert_eq!(cleaned["extensions"]["code"], "INTERNAL_SERVER_ERROR");
            assert_eq!(cleaned["extensions"]["category"], "internal");
            if error.is_object() {
                assert_eq!(cleaned["path"], json!(["products"]));
            }
        }
    }

    /// Log output captured in memory.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut log) = self.0.lock() {
                log.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_masked_detail_goes_to_the_log_under_the_request_id() {
        use crate::sources::connector::REQUEST_ID;
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let error = json!({"message": "SQLSTATE[HY000] db-primary.internal:3306 refused", "extensions": {"category": "internal"}});
        let cleaned = tracing::subscriber::with_default(subscriber, || {
            REQUEST_ID.sync_scope(std::sync::Arc::from("req-42"), || clean_error(error))
        });
        assert_eq!(
            cleaned["message"],
            "Internal server error. Request id: req-42"
        );
        let log = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
        assert!(log.contains("req-42"), "{log}");
        assert!(log.contains("db-primary.internal:3306"), "{log}");
    }

    #[test]
    fn every_client_category_keeps_its_message() {
        for category in CLIENT_CATEGORIES {
            let error =
                json!({"message": "The cart isn't active.", "extensions": {"category": category}});
            assert_eq!(clean_error(error)["message"], "The cart isn't active.");
        }
    }
}
