//! Reading Commerce's answers: passing clean bodies through untouched, and cleaning the errors
//! of the others so nothing but the client-facing part of an error leaves the BFF.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

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
        #[serde(borrow, default)]
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

/// Keeps the client-facing part of one GraphQL error.
pub fn clean_error(error: Value) -> Value {
    let Value::Object(mut error) = error else {
        return json!({ "message": "Internal server error." });
    };
    let mut out = Map::new();
    let message = match error.remove("message") {
        Some(Value::String(m)) => m,
        _ => "Internal server error.".to_string(),
    };
    out.insert("message".into(), Value::String(message));
    for key in ["locations", "path"] {
        if let Some(v @ Value::Array(_)) = error.remove(key) {
            out.insert(key.into(), v);
        }
    }
    if let Some(Value::Object(mut ext)) = error.remove("extensions") {
        let mut kept = Map::new();
        for key in ["category", "code"] {
            if let Some(v @ Value::String(_)) = ext.remove(key) {
                kept.insert(key.into(), v);
            }
        }
        if !kept.is_empty() {
            out.insert("extensions".into(), Value::Object(kept));
        }
    }
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
}
