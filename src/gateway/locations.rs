//! Error `locations` in the client's document. Commerce reports where a failed field stands in
//! the operation the BFF printed for it (`query { customer { … } }` on one line); a client reads
//! them against the document it sent. Each forwarded error with a `path` is given the position
//! of that field in the client's document; one whose field cannot be found there loses its
//! `locations` — none is better than a wrong one.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{Pos, Positioned};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::response::present;

/// `body` with its errors' `locations` moved into `document`, or `None` when nothing changes
/// (no error carries `locations`, or the body is not a GraphQL answer).
pub(crate) fn relocate(body: &[u8], document: &str, operation: Option<&str>) -> Option<Bytes> {
    // Cheap test first: most error answers (and every clean one) have no locations at all.
    if !contains(body, b"\"locations\"") {
        return None;
    }
    let mut answer: Answer<'_> = serde_json::from_slice(body).ok()?;
    let doc = async_graphql::parser::parse_query(document).ok()?;
    let root = operation_selection(&doc, operation);
    for error in answer.errors.iter_mut().filter_map(Value::as_object_mut) {
        if !error.contains_key("locations") {
            continue;
        }
        let found = match (root, error.get("path").and_then(Value::as_array)) {
            (Some(root), Some(path)) => position_of(&doc, root, path),
            _ => None,
        };
        match found {
            Some(pos) => {
                error.insert(
                    "locations".into(),
                    json!([{ "line": pos.line, "column": pos.column }]),
                );
            }
            None => {
                error.remove("locations");
            }
        }
    }
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(b"{\"errors\":");
    serde_json::to_writer(&mut out, &answer.errors).ok()?;
    for (key, raw) in [("data", answer.data), ("extensions", answer.extensions)] {
        if let Some(raw) = raw {
            out.extend_from_slice(format!(",\"{key}\":").as_bytes());
            out.extend_from_slice(raw.get().as_bytes());
        }
    }
    out.push(b'}');
    Some(Bytes::from(out))
}

/// An answer as the gateway writes it; anything else is left as it is. `data` and `extensions`
/// stay Commerce's (or the merge's) exact text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer<'a> {
    errors: Vec<Value>,
    // `"data": null` is kept as written: an `Option` alone would read it as absent.
    #[serde(borrow, default, deserialize_with = "present")]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    extensions: Option<&'a RawValue>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The selection set of the operation the request ran.
fn operation_selection<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d Positioned<SelectionSet>> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node.selection_set),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| &op.node.selection_set),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node.selection_set)
        }
        _ => None,
    }
}

/// Where the field at `path` (response keys; list indices skipped) stands in the document.
fn position_of(
    doc: &ExecutableDocument,
    root: &Positioned<SelectionSet>,
    path: &[Value],
) -> Option<Pos> {
    let mut set = root;
    let mut pos = None;
    for key in path.iter().filter_map(Value::as_str) {
        let (field_pos, next) = find_field(doc, set, key, 0)?;
        pos = Some(field_pos);
        set = next;
    }
    pos
}

/// Fragments nest at most this deep here: a cycle is invalid and was refused before, but the
/// walk must end even so.
const MAX_FRAGMENT_DEPTH: usize = 32;

/// The field answering under `key` in `set`, through inline fragments and fragment spreads.
fn find_field<'d>(
    doc: &'d ExecutableDocument,
    set: &'d Positioned<SelectionSet>,
    key: &str,
    depth: usize,
) -> Option<(Pos, &'d Positioned<SelectionSet>)> {
    if depth > MAX_FRAGMENT_DEPTH {
        return None;
    }
    set.node.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => (field.node.response_key().node.as_str() == key)
            .then_some((field.pos, &field.node.selection_set)),
        Selection::InlineFragment(fragment) => {
            find_field(doc, &fragment.node.selection_set, key, depth + 1)
        }
        Selection::FragmentSpread(spread) => doc
            .fragments
            .get(&spread.node.fragment_name.node)
            .and_then(|f| find_field(doc, &f.node.selection_set, key, depth + 1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relocated(body: &str, document: &str, operation: Option<&str>) -> Value {
        let out = relocate(body.as_bytes(), document, operation).expect("rewritten");
        serde_json::from_slice(&out).expect("json")
    }

    #[test]
    fn an_error_points_at_the_field_in_the_document_the_client_sent() {
        let document = "query Account {\n  me: customer {\n    ...Who\n  }\n}\nfragment Who on Customer {\n  ... on Customer { email }\n}";
        let body = r#"{"errors":[{"message":"No.","locations":[{"line":1,"column":9}],"path":["me","email"],"extensions":{"category":"graphql-authorization"}}],"data":{"me":{"email":null}}}"#;
        let out = relocated(body, document, Some("Account"));
        assert_eq!(
            out["errors"][0]["locations"],
            json!([{ "line": 7, "column": 21 }])
        );
        assert_eq!(out["errors"][0]["path"], json!(["me", "email"]));
        assert_eq!(out["data"], json!({ "me": { "email": null } }));
    }

    #[test]
    fn list_indices_are_skipped_and_an_unknown_field_loses_its_locations() {
        let document = "{\n  products(search: \"a\") {\n    items { sku }\n  }\n}";
        let body = r#"{"errors":[{"message":"x","locations":[{"line":1,"column":40}],"path":["products","items",0,"sku"]},{"message":"y","locations":[{"line":1,"column":2}],"path":["nowhere"]},{"message":"z","locations":[{"line":1,"column":2}]}],"data":{"products":{"items":[{"sku":null}]}}}"#;
        let out = relocated(body, document, None);
        assert_eq!(
            out["errors"][0]["locations"],
            json!([{ "line": 3, "column": 13 }])
        );
        assert!(out["errors"][1].get("locations").is_none());
        assert!(out["errors"][2].get("locations").is_none());
    }

    #[test]
    fn the_rest_of_the_answer_keeps_commerces_exact_text() {
        let body = r#"{"errors":[{"message":"x","locations":[{"line":1,"column":3}],"path":["cart"]}],"data":{"cart":null,"n":1.50},"extensions":{"cost":3}}"#;
        let out = relocate(body.as_bytes(), "{\n cart(cart_id: \"1\") { id }\n}", None)
            .expect("rewritten");
        let text = std::str::from_utf8(&out).expect("utf8");
        assert!(
            text.ends_with(r#""data":{"cart":null,"n":1.50},"extensions":{"cost":3}}"#),
            "{text}"
        );
        assert!(
            text.contains(r#""locations":[{"line":2,"column":2}]"#),
            "{text}"
        );
    }

    #[test]
    fn an_answer_without_locations_is_left_alone() {
        assert!(relocate(br#"{"data":{"a":1}}"#, "{ a }", None).is_none());
        assert!(relocate(br#"{"errors":[{"message":"x"}]}"#, "{ a }", None).is_none());
        assert!(relocate(b"not json \"locations\"", "{ a }", None).is_none());
    }
}
