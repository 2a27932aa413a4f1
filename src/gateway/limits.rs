//! Cheap checks that bound what a document can cost before anything validates or runs it.

use std::collections::HashSet;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use super::GatewayError;
use crate::config::GraphqlConfig;

/// Counts lexical tokens the way a GraphQL lexer would (names, numbers, strings, punctuators),
/// stopping as soon as the limit is passed so huge documents cost no more than the limit.
pub fn check_tokens(query: &str, max: usize) -> Result<(), GatewayError> {
    let bytes = query.as_bytes();
    let mut i = 0;
    let mut tokens = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                tokens += 1;
                let block = bytes[i..].starts_with(b"\"\"\"");
                i += if block { 3 } else { 1 };
                while i < bytes.len() {
                    if block && bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    }
                    if !block && bytes[i] == b'"' {
                        i += 1;
                        break;
                    }
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                tokens += 1;
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                tokens += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'_' | b'.' | b'-' | b'+'))
                {
                    i += 1;
                }
            }
            _ => {
                tokens += 1;
                i += 1;
            }
        }
        if tokens > max {
            return Err(GatewayError::limit(
                "TOO_MANY_TOKENS",
                format!("The query has more than {max} tokens."),
            ));
        }
    }
    Ok(())
}

/// Depth, alias and root-field limits over the operation and the fragments it reaches.
pub fn check_shape(
    doc: &ExecutableDocument,
    selection_set: &SelectionSet,
    config: &GraphqlConfig,
) -> Result<(), GatewayError> {
    let mut walk = Walk {
        doc,
        aliases: 0,
        max_depth_seen: 0,
        stack: Vec::new(),
    };
    walk.set(selection_set, 1);
    let roots = count_root_fields(doc, selection_set, &mut HashSet::new());
    if roots > config.max_root_fields {
        return Err(GatewayError::limit(
            "TOO_MANY_ROOT_FIELDS",
            format!(
                "The operation selects {roots} root fields; at most {} are allowed.",
                config.max_root_fields
            ),
        ));
    }
    if walk.max_depth_seen > config.max_depth {
        return Err(GatewayError::limit(
            "QUERY_TOO_DEEP",
            format!(
                "The query is nested {} levels deep; at most {} are allowed.",
                walk.max_depth_seen, config.max_depth
            ),
        ));
    }
    if walk.aliases > config.max_aliases {
        return Err(GatewayError::limit(
            "TOO_MANY_ALIASES",
            format!(
                "The query uses {} aliases; at most {} are allowed.",
                walk.aliases, config.max_aliases
            ),
        ));
    }
    Ok(())
}

struct Walk<'d> {
    doc: &'d ExecutableDocument,
    aliases: usize,
    max_depth_seen: usize,
    /// Fragments being expanded, to stop on cycles (validation rejects those later).
    stack: Vec<&'d Name>,
}

impl<'d> Walk<'d> {
    fn set(&mut self, set: &'d SelectionSet, depth: usize) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    if f.node.alias.is_some() {
                        self.aliases += 1;
                    }
                    self.max_depth_seen = self.max_depth_seen.max(depth);
                    self.set(&f.node.selection_set.node, depth + 1);
                }
                Selection::InlineFragment(i) => self.set(&i.node.selection_set.node, depth),
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    if self.stack.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.doc.fragments.get(name) {
                        self.stack.push(name);
                        self.set(&fragment.node.selection_set.node, depth);
                        self.stack.pop();
                    }
                }
            }
        }
    }
}

fn count_root_fields<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
    seen: &mut HashSet<&'d Name>,
) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(i) => {
                count_root_fields(doc, &i.node.selection_set.node, seen)
            }
            Selection::FragmentSpread(s) => {
                let name = &s.node.fragment_name.node;
                match doc.fragments.get(name) {
                    Some(f) if seen.insert(name) => {
                        count_root_fields(doc, &f.node.selection_set.node, seen)
                    }
                    _ => 0,
                }
            }
        })
        .sum()
}

/// The root field names an operation selects (through root-level fragments too).
pub fn root_field_names(doc: &ExecutableDocument, set: &SelectionSet) -> Vec<Name> {
    let mut out = Vec::new();
    collect_roots(doc, set, &mut out, &mut HashSet::new());
    out
}

fn collect_roots<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
    out: &mut Vec<Name>,
    seen: &mut HashSet<&'d Name>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push(f.node.name.node.clone()),
            Selection::InlineFragment(i) => {
                collect_roots(doc, &i.node.selection_set.node, out, seen)
            }
            Selection::FragmentSpread(s) => {
                let name = &s.node.fragment_name.node;
                if let Some(f) = doc.fragments.get(name)
                    && seen.insert(name)
                {
                    collect_roots(doc, &f.node.selection_set.node, out, seen);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_of_names_strings_and_punctuation() {
        assert!(check_tokens("{ a(b: \"c d\") }", 8).is_ok());
        assert!(check_tokens("{ a(b: \"c d\") }", 7).is_err());
        assert!(check_tokens("# comment only\n", 0).is_ok());
    }
}
