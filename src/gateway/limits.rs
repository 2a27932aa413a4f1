//! Cheap checks that bound what a document can cost before anything validates or runs it.

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{Name, Positioned};

use super::{GatewayError, code};
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
            b'#' => i = skip_comment(bytes, i),
            b'"' => {
                tokens += 1;
                i = skip_string(bytes, i);
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
                code::TOO_MANY_TOKENS,
                format!("The query has more than {max} tokens."),
            ));
        }
    }
    Ok(())
}

/// Refuses a document whose brackets (`{`, `[`, `(`) nest deeper than `max`, without parsing
/// it: the parser recurses once per level, and a stack overflow aborts the whole process
/// (no panic handler can catch it). Brackets inside strings and comments do not count.
pub fn check_nesting(query: &str, max: usize) -> Result<(), GatewayError> {
    let bytes = query.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = skip_comment(bytes, i),
            b'"' => i = skip_string(bytes, i),
            open @ (b'{' | b'[' | b'(') => {
                depth += 1;
                if depth > max {
                    return Err(GatewayError::limit(
                        code::NESTING_TOO_DEEP,
                        format!(
                            "The query nests `{}` more than {max} levels deep.",
                            open as char
                        ),
                    ));
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Refuses JSON whose arrays and objects nest deeper than `max` levels below the first
/// `enclosing` ones (the batch array and the request object around `variables`), before
/// anything turns it into values.
pub fn check_variables_nesting(
    json: &[u8],
    enclosing: usize,
    max: usize,
) -> Result<(), GatewayError> {
    let mut i = 0;
    let mut depth = 0usize;
    while i < json.len() {
        match json[i] {
            b'"' => {
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > max + enclosing {
                    return Err(GatewayError::limit(
                        code::VARIABLES_TOO_DEEP,
                        format!("`variables` nest more than {max} levels deep."),
                    ));
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// The index just past the comment starting at `i` (at its line's end: `\n` or `\r`, as the
/// parser sees it, so nothing after the comment escapes the nesting scan).
fn skip_comment(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The index just past the string or block string starting at `i`. An unterminated string
/// ends at the end of its line (a block string at the end of the document), where the parser
/// gives up on it too, so brackets after it still count.
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    let block = bytes[i..].starts_with(b"\"\"\"");
    i += if block { 3 } else { 1 };
    while i < bytes.len() {
        if block && bytes[i..].starts_with(b"\"\"\"") {
            return i + 3;
        }
        if !block && bytes[i] == b'"' {
            return i + 1;
        }
        if !block && matches!(bytes[i], b'\n' | b'\r') {
            return i;
        }
        // A block string's only escape is \""" , which skipping the backslash's next byte
        // handles too.
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i
}

/// Depth, alias and root-field limits over the operation and the fragments it reaches. The walk
/// itself stops descending past `max_depth` and past `max_nesting` fragment spreads in a chain,
/// so a hostile document cannot make it recurse deeply.
pub fn check_shape(
    doc: &ExecutableDocument,
    selection_set: &SelectionSet,
    config: &GraphqlConfig,
) -> Result<(), GatewayError> {
    let mut walk = Walk {
        doc,
        max_depth: config.max_depth,
        max_spreads: config.max_nesting,
        max_selections: config.max_tokens,
        selections: 0,
        aliases: 0,
        max_depth_seen: 0,
        spreads_too_deep: false,
        stack: Vec::new(),
    };
    walk.set(selection_set, 1);
    if walk.selections > walk.max_selections {
        return Err(GatewayError::limit(
            code::TOO_MANY_TOKENS,
            format!(
                "With its fragments expanded, the query selects more than {} fields.",
                config.max_tokens
            ),
        ));
    }
    if walk.spreads_too_deep {
        return Err(GatewayError::limit(
            code::NESTING_TOO_DEEP,
            format!(
                "The query chains more than {} fragment spreads.",
                config.max_nesting
            ),
        ));
    }
    if walk.max_depth_seen > config.max_depth {
        return Err(GatewayError::limit(
            code::QUERY_TOO_DEEP,
            format!(
                "The query is nested more than {} levels deep.",
                config.max_depth
            ),
        ));
    }
    // Bounded now: fragment chains are short and fields shallow.
    let roots = root_fields(doc, selection_set).len();
    if roots > config.max_root_fields {
        return Err(GatewayError::limit(
            code::TOO_MANY_ROOT_FIELDS,
            format!(
                "The operation selects {roots} root fields; at most {} are allowed.",
                config.max_root_fields
            ),
        ));
    }
    if walk.aliases > config.max_aliases {
        return Err(GatewayError::limit(
            code::TOO_MANY_ALIASES,
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
    max_depth: usize,
    max_spreads: usize,
    /// Selections visited, fragments expanded at every spread: a fragment spread twice in a
    /// fragment spread twice … doubles per level, so the walk stops past this many.
    max_selections: usize,
    selections: usize,
    aliases: usize,
    max_depth_seen: usize,
    spreads_too_deep: bool,
    /// Fragments being expanded, to stop on cycles (validation rejects those later).
    stack: Vec<&'d Name>,
}

impl<'d> Walk<'d> {
    fn set(&mut self, set: &'d SelectionSet, depth: usize) {
        for item in &set.items {
            self.selections += 1;
            if self.selections > self.max_selections {
                return;
            }
            match &item.node {
                Selection::Field(f) => {
                    if f.node.alias.is_some() {
                        self.aliases += 1;
                    }
                    self.max_depth_seen = self.max_depth_seen.max(depth);
                    // One level past the limit is enough to refuse; never descend further.
                    if depth <= self.max_depth {
                        self.set(&f.node.selection_set.node, depth + 1);
                    }
                }
                Selection::InlineFragment(i) => self.set(&i.node.selection_set.node, depth),
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    if self.stack.contains(&name) {
                        continue;
                    }
                    if self.stack.len() >= self.max_spreads {
                        self.spreads_too_deep = true;
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

/// The root fields an operation selects, in document order, through root-level inline
/// fragments and fragment spreads (each fragment expanded once). The one walk behind the
/// root-field limit, the root-field names and the sensitive-mutation rules.
pub(crate) fn root_fields<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
) -> Vec<&'d Positioned<Field>> {
    fn collect<'d>(
        doc: &'d ExecutableDocument,
        set: &'d SelectionSet,
        out: &mut Vec<&'d Positioned<Field>>,
        seen: &mut HashSet<&'d Name>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => out.push(f),
                Selection::InlineFragment(i) => collect(doc, &i.node.selection_set.node, out, seen),
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    if let Some(f) = doc.fragments.get(name)
                        && seen.insert(name)
                    {
                        collect(doc, &f.node.selection_set.node, out, seen);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    collect(doc, set, &mut out, &mut HashSet::new());
    out
}

/// The root field names an operation selects (through root-level fragments too).
pub fn root_field_names(doc: &ExecutableDocument, set: &SelectionSet) -> Vec<Name> {
    root_fields(doc, set)
        .into_iter()
        .map(|f| f.node.name.node.clone())
        .collect()
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

    #[test]
    fn nesting_counts_brackets_but_not_those_in_strings_or_comments() {
        assert!(check_nesting("{ a(b: [[1]]) }", 4).is_ok());
        assert!(check_nesting("{ a(b: [[[1]]]) }", 4).is_err());
        assert!(check_nesting("{ a(b: \"[[[[[\") }", 2).is_ok());
        assert!(check_nesting("{ a(b: \"\"\"[[[\\\"\"\"[[\"\"\") }", 2).is_ok());
        assert!(check_nesting("# [[[[[\n{ a }", 1).is_ok());
    }

    #[test]
    fn brackets_after_a_comment_or_string_the_parser_ends_still_count() {
        // The parser ends a comment at `\r` and an unterminated string at the line's end.
        assert!(check_nesting("# x\r[[[[", 2).is_err());
        assert!(check_nesting("{ a(b: \"open\n[[[[", 2).is_err());
    }

    #[test]
    fn variables_nesting_skips_the_enclosing_levels_and_strings() {
        let body = br#"[{"query":"{ a }","variables":{"v":[["[[[["]]}}]"#;
        assert!(check_variables_nesting(body, 2, 3).is_ok());
        assert!(check_variables_nesting(body, 2, 2).is_err());
        assert!(check_variables_nesting(br#"{"v":"\"[[[["}"#, 0, 1).is_ok());
    }
}
