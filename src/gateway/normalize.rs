//! Rewrites of the client's parsed document before anything is printed for Commerce.
//!
//! Identical fields at one level of a selection set (same response key, name, arguments and
//! directives) are one field to GraphQL's field collection, so they collapse into one here, their
//! sub-selections merged: 5,000 copies of a field reach Commerce as one, and the client's answer
//! is unchanged.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::Positioned;
use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet,
};

/// Collapses identical fields in every operation and fragment of `doc`.
pub(crate) fn merge_duplicate_fields(doc: &mut ExecutableDocument) {
    match &mut doc.operations {
        DocumentOperations::Single(operation) => {
            merge_set(&mut operation.node.selection_set.node);
        }
        DocumentOperations::Multiple(operations) => {
            for operation in operations.values_mut() {
                merge_set(&mut operation.node.selection_set.node);
            }
        }
    }
    for fragment in doc.fragments.values_mut() {
        merge_set(&mut fragment.node.selection_set.node);
    }
}

fn merge_set(set: &mut SelectionSet) {
    let items = std::mem::take(&mut set.items);
    let mut kept: Vec<Positioned<Selection>> = Vec::with_capacity(items.len());
    // Indices into `kept` of the fields answering under each response key.
    let mut by_key: HashMap<Name, Vec<usize>> = HashMap::new();
    for item in items {
        let Selection::Field(field) = &item.node else {
            kept.push(item);
            continue;
        };
        let key = field.node.response_key().node.clone();
        let twin = by_key.get(&key).and_then(|indices| {
            indices.iter().copied().find(|&i| match &kept[i].node {
                Selection::Field(earlier) => same_field(&earlier.node, &field.node),
                _ => false,
            })
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
                by_key.entry(key).or_default().push(kept.len());
                kept.push(item);
            }
        }
    }
    for item in &mut kept {
        match &mut item.node {
            Selection::Field(field) => merge_set(&mut field.node.selection_set.node),
            Selection::InlineFragment(inline) => merge_set(&mut inline.node.selection_set.node),
            Selection::FragmentSpread(_) => {}
        }
    }
    set.items = kept;
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
}
