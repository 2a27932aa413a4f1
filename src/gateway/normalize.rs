//! Rewrites of the client's parsed document before anything is printed for Commerce.
//!
//! Identical fields at one level of a selection set (same response key, name, arguments and
//! directives) are one field to GraphQL's field collection, so they collapse into one here, their
//! sub-selections merged: 5,000 copies of a field reach Commerce as one, and the client's answer
//! is unchanged. A field collapses only into the last earlier selection that can answer under its
//! key: collection merges sub-selections in document order, so moving a field's sub-selection
//! past another field with the same key (or a fragment that may hold one) would reorder the
//! answer's keys whenever that other field is collected.

use std::collections::{HashMap, HashSet};

use async_graphql::Name;
use async_graphql::Positioned;
use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Field, FragmentDefinition, Selection,
    SelectionSet,
};

/// Per fragment: the response keys its selection set can answer under (through the fragments
/// it holds).
type FragmentKeys = HashMap<Name, HashSet<Name>>;

/// Collapses identical fields in every operation and fragment of `doc`.
pub(crate) fn merge_duplicate_fields(doc: &mut ExecutableDocument) {
    let fragments = fragment_keys(&doc.fragments);
    match &mut doc.operations {
        DocumentOperations::Single(operation) => {
            merge_set(&mut operation.node.selection_set.node, &fragments);
        }
        DocumentOperations::Multiple(operations) => {
            for operation in operations.values_mut() {
                merge_set(&mut operation.node.selection_set.node, &fragments);
            }
        }
    }
    for fragment in doc.fragments.values_mut() {
        merge_set(&mut fragment.node.selection_set.node, &fragments);
    }
}

fn merge_set(set: &mut SelectionSet, fragments: &FragmentKeys) {
    let items = std::mem::take(&mut set.items);
    let mut kept: Vec<Positioned<Selection>> = Vec::with_capacity(items.len());
    // Per response key, the index into `kept` of the last field with that key, while no
    // fragment since may answer under it: the only field an identical one may collapse into.
    let mut last: HashMap<Name, usize> = HashMap::new();
    for item in items {
        let field = match &item.node {
            Selection::Field(field) => field,
            Selection::InlineFragment(_) | Selection::FragmentSpread(_) => {
                match keys_of_fragment(&item.node, fragments) {
                    Some(keys) => last.retain(|key, _| !keys.contains(key)),
                    None => last.clear(),
                }
                kept.push(item);
                continue;
            }
        };
        let key = field.node.response_key().node.clone();
        let twin = last.get(&key).copied().filter(|&i| match &kept[i].node {
            Selection::Field(earlier) => same_field(&earlier.node, &field.node),
            _ => false,
        });
        match twin {
            Some(i) => {
                if let (Selection::Field(earlier), Selection::Field(field)) =
                    (&mut kept[i].node, item.node)
                {
                    let sub = field.node.selection_set.node.items;
                    earlier.node.selection_set.node.items.extend(sub);
                }
            }
            None => {
                last.insert(key, kept.len());
                kept.push(item);
            }
        }
    }
    for item in &mut kept {
        match &mut item.node {
            Selection::Field(field) => merge_set(&mut field.node.selection_set.node, fragments),
            Selection::InlineFragment(inline) => {
                merge_set(&mut inline.node.selection_set.node, fragments)
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    set.items = kept;
}

/// The response keys a fragment (inline or spread) may answer under; `None` when unknown (a
/// spread of a fragment the document does not define).
fn keys_of_fragment(selection: &Selection, fragments: &FragmentKeys) -> Option<HashSet<Name>> {
    match selection {
        Selection::Field(field) => Some(HashSet::from([field.node.response_key().node.clone()])),
        Selection::InlineFragment(inline) => {
            let mut keys = HashSet::new();
            for item in &inline.node.selection_set.node.items {
                keys.extend(keys_of_fragment(&item.node, fragments)?);
            }
            Some(keys)
        }
        Selection::FragmentSpread(spread) => {
            fragments.get(&spread.node.fragment_name.node).cloned()
        }
    }
}

/// The response keys of every fragment of the document. A fragment in a cycle, or spreading
/// one the document lacks (both refused by validation later), counts with the keys found.
fn fragment_keys(definitions: &HashMap<Name, Positioned<FragmentDefinition>>) -> FragmentKeys {
    let mut done = FragmentKeys::new();
    for name in definitions.keys() {
        visit_fragment(name, definitions, &mut done, &mut HashSet::new());
    }
    done
}

fn visit_fragment(
    name: &Name,
    definitions: &HashMap<Name, Positioned<FragmentDefinition>>,
    done: &mut FragmentKeys,
    visiting: &mut HashSet<Name>,
) {
    let Some(definition) = definitions.get(name) else {
        return;
    };
    if done.contains_key(name) || !visiting.insert(name.clone()) {
        return;
    }
    let mut keys = HashSet::new();
    let mut sets = vec![&definition.node.selection_set.node];
    while let Some(set) = sets.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    keys.insert(field.node.response_key().node.clone());
                }
                Selection::InlineFragment(inline) => sets.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node.fragment_name.node;
                    visit_fragment(spread, definitions, done, visiting);
                    keys.extend(done.get(spread).into_iter().flatten().cloned());
                }
            }
        }
    }
    done.insert(name.clone(), keys);
}

/// Same name, arguments (in order) and directives: the same field to the client.
fn same_field(a: &Field, b: &Field) -> bool {
    a.name.node == b.name.node
        && a.arguments == b.arguments
        && a.directives.len() == b.directives.len()
        && a.directives
            .iter()
            .zip(&b.directives)
            .all(|(x, y)| same_directive(&x.node, &y.node))
}

fn same_directive(a: &Directive, b: &Directive) -> bool {
    a.name.node == b.name.node && a.arguments == b.arguments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> Vec<String> {
        let mut doc = async_graphql::parser::parse_query(query).expect("parses");
        merge_duplicate_fields(&mut doc);
        let DocumentOperations::Single(op) = &doc.operations else {
            panic!("one operation");
        };
        op.node
            .selection_set
            .node
            .items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => format!(
                    "{}:{}",
                    f.node.response_key().node,
                    f.node.selection_set.node.items.len()
                ),
                _ => "fragment".into(),
            })
            .collect()
    }

    #[test]
    fn identical_fields_collapse_with_their_sub_selections_merged() {
        assert_eq!(
            fields("{ a { x } b a { y } a { x } }"),
            vec!["a:2".to_string(), "b:0".to_string()]
        );
    }

    #[test]
    fn fields_differing_in_arguments_or_directives_stay_apart() {
        assert_eq!(fields("{ a(n: 1) a(n: 2) }").len(), 2);
        assert_eq!(fields("{ a a @skip(if: true) }").len(), 2);
        assert_eq!(fields("{ a x: a }").len(), 2);
    }

    #[test]
    fn a_field_never_collapses_past_another_field_with_its_key() {
        // Collected in order, `a` answers `x`, `y`, `z` when `$s` is false; collapsing the third
        // `a` into the first would answer `x`, `z`, `y`.
        let query = "query($s: Boolean!) { a { x } a @skip(if: $s) { y } a { z } }";
        assert_eq!(fields(query), vec!["a:1", "a:1", "a:1"]);
    }

    #[test]
    fn a_field_never_collapses_past_a_fragment_that_may_hold_its_key() {
        assert_eq!(
            fields("{ a { x } ... on Query { a { y } } a { z } }"),
            vec!["a:1", "fragment", "a:1"]
        );
        assert_eq!(
            fields("{ a { x } ...F a { z } } fragment F on Query { ... { a { y } } }"),
            vec!["a:1", "fragment", "a:1"]
        );
        assert_eq!(
            fields("{ a { x } ...F a { z } } fragment F on Query { b }"),
            vec!["a:2", "fragment"]
        );
    }

    #[test]
    fn a_long_chain_of_fragments_is_read_without_exhausting_the_stack() {
        // More fragments than the token limit (15,000) lets a document spread in a chain.
        let mut query = String::from("{ a { x } ...F0 a { y } }");
        for i in 0..2_500 {
            query.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
        }
        query.push_str(" fragment F2500 on Query { b }");
        assert_eq!(fields(&query), vec!["a:2", "fragment"]);
    }
}
