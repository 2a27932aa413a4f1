//! `schema.graphql` is what `storefront-bff schema` prints, and every definition it shares with
//! Adobe's published 2.4.9 schema is identical to Adobe's. The reference is the repository's own
//! copy (`crates/commerce-schema/reference/`), pinned by its SHA-256.

use std::collections::HashMap;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{
    FieldDefinition, InputValueDefinition, TypeDefinition, TypeKind, TypeSystemDefinition,
};
use sha2::{Digest, Sha256};
use storefront_bff::config::Config;

/// Adobe's published schema, the repository's one copy (source and licence beside it).
const REFERENCE: &str = "crates/commerce-schema/reference/adobe-commerce-2.4.9-b2b.graphqls";

/// SHA-256 of the reference as Adobe publishes it: an edit to the reference fails the contract.
const REFERENCE_SHA256: &str = "12a81faed43ef4c1727a7d2ae93d00f87d5c7237d3e3da32c7662910c8710f91";

fn reference_schema() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("Adobe's schema at {}: {e}", path.display()))
}

fn committed_schema() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists")
}

fn types(sdl: &str) -> HashMap<String, TypeDefinition> {
    parse_schema(sdl)
        .expect("SDL parses")
        .definitions
        .into_iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), t.node)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_reference_is_adobes_file_unchanged_and_the_one_the_bff_bundles() {
    let reference = reference_schema();
    let digest: String = Sha256::digest(reference.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest, REFERENCE_SHA256,
        "{REFERENCE} differs from Adobe's published schema"
    );
    assert!(
        reference == commerce_schema::ADOBE_COMMERCE_2_4_9_SDL,
        "the bundled fallback schema is not the reference file"
    );
}

#[tokio::test]
async fn schema_graphql_is_what_the_schema_command_prints() {
    let printed = storefront_bff::server::composed_sdl(Config::default())
        .await
        .expect("composes");
    assert!(
        printed == committed_schema(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

#[test]
fn every_definition_shared_with_adobe_is_identical_to_adobe() {
    let adobe = types(&reference_schema());
    let ours = types(&committed_schema());
    let mut differences = Vec::new();
    for (name, theirs) in &adobe {
        let Some(mine) = ours.get(name) else {
            differences.push(format!("type {name} is missing"));
            continue;
        };
        compare_type(name, theirs, mine, &mut differences);
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

fn compare_type(name: &str, theirs: &TypeDefinition, mine: &TypeDefinition, out: &mut Vec<String>) {
    let text = |d: &Option<async_graphql::Positioned<String>>| {
        d.as_ref().map(|d| d.node.trim().to_string())
    };
    if text(&theirs.description) != text(&mine.description) {
        out.push(format!("{name}: description differs"));
    }
    match (&theirs.kind, &mine.kind) {
        (TypeKind::Scalar, TypeKind::Scalar) => {}
        (TypeKind::Object(a), TypeKind::Object(b)) => {
            names_equal(name, "implements", &a.implements, &b.implements, out);
            compare_fields(name, &a.fields, &b.fields, out);
        }
        (TypeKind::Interface(a), TypeKind::Interface(b)) => {
            names_equal(name, "implements", &a.implements, &b.implements, out);
            compare_fields(name, &a.fields, &b.fields, out);
        }
        (TypeKind::Union(a), TypeKind::Union(b)) => {
            names_equal(name, "members", &a.members, &b.members, out)
        }
        (TypeKind::Enum(a), TypeKind::Enum(b)) => {
            let values = |e: &async_graphql::parser::types::EnumType| -> HashMap<String, (Option<String>, Option<String>)> {
                e.values
                    .iter()
                    .map(|v| (v.node.value.node.to_string(), (text(&v.node.description), deprecation(&v.node.directives))))
                    .collect()
            };
            if values(a) != values(b) {
                out.push(format!("enum {name}: values differ"));
            }
        }
        (TypeKind::InputObject(a), TypeKind::InputObject(b)) => {
            compare_inputs(name, &a.fields, &b.fields, out)
        }
        _ => out.push(format!("{name}: kind differs")),
    }
}

fn names_equal(
    name: &str,
    what: &str,
    a: &[async_graphql::Positioned<async_graphql::Name>],
    b: &[async_graphql::Positioned<async_graphql::Name>],
    out: &mut Vec<String>,
) {
    let set = |v: &[async_graphql::Positioned<async_graphql::Name>]| {
        let mut names: Vec<String> = v.iter().map(|n| n.node.to_string()).collect();
        names.sort();
        names
    };
    if set(a) != set(b) {
        out.push(format!("{name}: {what} differ"));
    }
}

fn compare_fields(
    name: &str,
    theirs: &[async_graphql::Positioned<FieldDefinition>],
    mine: &[async_graphql::Positioned<FieldDefinition>],
    out: &mut Vec<String>,
) {
    for field in theirs {
        let f = &field.node;
        let Some(m) = mine.iter().find(|m| m.node.name.node == f.name.node) else {
            out.push(format!("{name}.{} is missing", f.name.node));
            continue;
        };
        let m = &m.node;
        let at = format!("{name}.{}", f.name.node);
        if f.ty.node.to_string() != m.ty.node.to_string() {
            out.push(format!("{at}: type {} vs {}", f.ty.node, m.ty.node));
        }
        if deprecation(&f.directives) != deprecation(&m.directives) {
            out.push(format!("{at}: deprecation differs"));
        }
        if f.description.as_ref().map(|d| d.node.trim().to_string())
            != m.description.as_ref().map(|d| d.node.trim().to_string())
        {
            out.push(format!("{at}: description differs"));
        }
        compare_inputs(&at, &f.arguments, &m.arguments, out);
    }
}

fn compare_inputs(
    at: &str,
    theirs: &[async_graphql::Positioned<InputValueDefinition>],
    mine: &[async_graphql::Positioned<InputValueDefinition>],
    out: &mut Vec<String>,
) {
    for arg in theirs {
        let a = &arg.node;
        let Some(m) = mine.iter().find(|m| m.node.name.node == a.name.node) else {
            out.push(format!("{at}({}) is missing", a.name.node));
            continue;
        };
        let m = &m.node;
        if a.ty.node.to_string() != m.ty.node.to_string() {
            out.push(format!(
                "{at}({}): type {} vs {}",
                a.name.node, a.ty.node, m.ty.node
            ));
        }
        if a.default_value.as_ref().map(|v| &v.node) != m.default_value.as_ref().map(|v| &v.node) {
            out.push(format!("{at}({}): default differs", a.name.node));
        }
        if deprecation(&a.directives) != deprecation(&m.directives) {
            out.push(format!("{at}({}): deprecation differs", a.name.node));
        }
    }
}

fn deprecation(
    directives: &[async_graphql::Positioned<async_graphql::parser::types::ConstDirective>],
) -> Option<String> {
    directives
        .iter()
        .find(|d| d.node.name.node == "deprecated")
        .map(|d| {
            d.node
                .get_argument("reason")
                .map(|r| r.node.to_string())
                .unwrap_or_else(|| "\"No longer supported\"".to_string())
        })
}
