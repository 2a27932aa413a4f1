//! Prints the upstream operation: the client's selected operation and the fragments it uses,
//! minus the fields the BFF answers itself, keeping aliases, arguments, directives and
//! variables. The output is also the normalised text the response cache keys on.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write;

use async_graphql::parser::types::{
    Directive, ExecutableDocument, FragmentDefinition, OperationDefinition, OperationType,
    Selection, SelectionSet, VariableDefinition,
};
use async_graphql::{Pos, Positioned};
use async_graphql_value::{ConstValue, Name, Value};

/// What happens to one field of the client's document in the upstream operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldAction {
    /// Sent as the client wrote it.
    Keep,
    /// Left out: the BFF answers it itself.
    Drop,
}

/// Decides which fields stay with the BFF and what Commerce must add for it.
pub trait UpstreamFilter {
    /// What to do with `parent_type.field`.
    fn action(&self, parent_type: &str, field: &str) -> FieldAction;
    /// The named output type of `parent_type.field`, for walking into its selection set.
    fn field_type(&self, parent_type: &str, field: &str) -> Option<String>;
    /// Whether every selection set must also carry `__typename` (local execution needs it to
    /// resolve interfaces and unions).
    fn add_typename(&self) -> bool;
    /// Selections the BFF needs below the field at `pos` (join keys under reserved aliases),
    /// printed after the client's.
    fn additions(&self, _pos: Pos) -> Option<&str> {
        None
    }
}

/// The printed upstream operation, or `None` when nothing is left for Commerce.
pub fn print_upstream(
    doc: &ExecutableDocument,
    operation_name: Option<&Name>,
    operation: &OperationDefinition,
    root_type: &str,
    filter: &dyn UpstreamFilter,
) -> Option<String> {
    let mut printer = Printer {
        doc,
        filter,
        out: String::with_capacity(512),
        fragments_used: BTreeSet::new(),
        variables_used: HashSet::new(),
    };
    let mut body = String::new();
    if !printer.selection_set(&operation.selection_set.node, root_type, None, &mut body) {
        return None;
    }
    // Fragments reached from the operation, transitively, each printed once.
    let mut fragments = String::new();
    let mut printed: HashSet<Name> = HashSet::new();
    while let Some(name) = printer
        .fragments_used
        .iter()
        .find(|n| !printed.contains(*n))
        .cloned()
    {
        printed.insert(name.clone());
        let Some(fragment) = doc.fragments.get(&name) else {
            continue;
        };
        printer.fragment(&name, &fragment.node, &mut fragments);
    }

    let out = &mut printer.out;
    out.push_str(match operation.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    });
    if let Some(name) = operation_name {
        out.push(' ');
        out.push_str(name);
    }
    let used: Vec<&Positioned<VariableDefinition>> = operation
        .variable_definitions
        .iter()
        .filter(|v| printer.variables_used.contains(&v.node.name.node))
        .collect();
    if !used.is_empty() {
        out.push('(');
        for (i, v) in used.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "${}: {}", v.node.name.node, v.node.var_type.node);
            if let Some(default) = &v.node.default_value {
                out.push_str(" = ");
                write_const(out, &default.node);
            }
        }
        out.push(')');
    }
    let directives = operation.directives.clone();
    let mut tail = String::new();
    printer.directives(&directives, &mut tail);
    let mut text = std::mem::take(&mut printer.out);
    text.push_str(&tail);
    text.push(' ');
    text.push_str(&body);
    text.push_str(&fragments);
    Some(text)
}

struct Printer<'d> {
    doc: &'d ExecutableDocument,
    filter: &'d dyn UpstreamFilter,
    out: String,
    fragments_used: BTreeSet<Name>,
    variables_used: HashSet<Name>,
}

impl Printer<'_> {
    /// Prints `{ … }` (the client's selections, then `additions`) into `out`; false when
    /// nothing is left to print.
    fn selection_set(
        &mut self,
        set: &SelectionSet,
        parent_type: &str,
        additions: Option<&str>,
        out: &mut String,
    ) -> bool {
        let mut inner = String::new();
        for item in &set.items {
            let mut piece = String::new();
            if self.selection(&item.node, parent_type, &mut piece) {
                if !inner.is_empty() {
                    inner.push(' ');
                }
                inner.push_str(&piece);
            }
        }
        if let Some(additions) = additions {
            if !inner.is_empty() {
                inner.push(' ');
            }
            inner.push_str(additions);
        }
        if inner.is_empty() {
            return false;
        }
        out.push_str("{ ");
        out.push_str(&inner);
        if self.filter.add_typename() && !parent_type.starts_with("__") {
            out.push_str(" __typename");
        }
        out.push_str(" }");
        true
    }

    fn selection(&mut self, selection: &Selection, parent_type: &str, out: &mut String) -> bool {
        match selection {
            Selection::Field(positioned) => {
                let field = &positioned.node;
                let name = field.name.node.as_str();
                if self.filter.action(parent_type, name) == FieldAction::Drop {
                    return false;
                }
                if let Some(alias) = &field.alias {
                    out.push_str(&alias.node);
                    out.push_str(": ");
                }
                out.push_str(name);
                if !field.arguments.is_empty() {
                    out.push('(');
                    for (i, (arg, value)) in field.arguments.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&arg.node);
                        out.push_str(": ");
                        self.value(&value.node, out);
                    }
                    out.push(')');
                }
                self.directives(&field.directives, out);
                if !field.selection_set.node.items.is_empty() {
                    let child = self
                        .filter
                        .field_type(parent_type, name)
                        .unwrap_or_default();
                    out.push(' ');
                    let additions = self.filter.additions(positioned.pos);
                    if !self.selection_set(&field.selection_set.node, &child, additions, out) {
                        // Only local fields were selected below: keep the parent's shape valid.
                        out.push_str("{ __typename }");
                    }
                }
                true
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let Some(fragment) = self.doc.fragments.get(name) else {
                    return false;
                };
                // A fragment whose selections are all local would print as `{}`: drop the spread.
                let on = fragment.node.type_condition.node.on.node.to_string();
                let mut probe = String::new();
                let before = self.variables_used.clone();
                if !self.selection_set(&fragment.node.selection_set.node, &on, None, &mut probe) {
                    self.variables_used = before;
                    return false;
                }
                self.fragments_used.insert(name.clone());
                out.push_str("...");
                out.push_str(name);
                self.directives(&spread.node.directives, out);
                true
            }
            Selection::InlineFragment(inline) => {
                let inline = &inline.node;
                let on = inline
                    .type_condition
                    .as_ref()
                    .map(|t| t.node.on.node.to_string())
                    .unwrap_or_else(|| parent_type.to_string());
                let mut set = String::new();
                let before = self.variables_used.clone();
                if !self.selection_set(&inline.selection_set.node, &on, None, &mut set) {
                    self.variables_used = before;
                    return false;
                }
                out.push_str("...");
                if let Some(t) = &inline.type_condition {
                    out.push_str(" on ");
                    out.push_str(&t.node.on.node);
                }
                self.directives(&inline.directives, out);
                out.push(' ');
                out.push_str(&set);
                true
            }
        }
    }

    fn fragment(&mut self, name: &Name, fragment: &FragmentDefinition, out: &mut String) {
        let on = fragment.type_condition.node.on.node.to_string();
        let _ = write!(out, " fragment {name} on {on}");
        self.directives(&fragment.directives, out);
        out.push(' ');
        self.selection_set(&fragment.selection_set.node, &on, None, out);
    }

    fn directives(&mut self, directives: &[Positioned<Directive>], out: &mut String) {
        for d in directives {
            out.push_str(" @");
            out.push_str(&d.node.name.node);
            if !d.node.arguments.is_empty() {
                out.push('(');
                for (i, (arg, value)) in d.node.arguments.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&arg.node);
                    out.push_str(": ");
                    self.value(&value.node, out);
                }
                out.push(')');
            }
        }
    }

    fn value(&mut self, value: &Value, out: &mut String) {
        match value {
            Value::Variable(name) => {
                self.variables_used.insert(name.clone());
                out.push('$');
                out.push_str(name);
            }
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.value(item, out);
                }
                out.push(']');
            }
            Value::Object(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    self.value(v, out);
                }
                out.push('}');
            }
            other => {
                if let Ok(c) = other.clone().into_const_with(|_| Err(())) {
                    write_const(out, &c);
                }
            }
        }
    }
}

/// A constant value in GraphQL syntax (strings JSON-escaped, which GraphQL accepts).
fn write_const(out: &mut String, value: &ConstValue) {
    match value {
        ConstValue::Null => out.push_str("null"),
        ConstValue::Number(n) => {
            let _ = write!(out, "{n}");
        }
        ConstValue::String(s) => out.push_str(&serde_json::Value::from(s.as_str()).to_string()),
        ConstValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        ConstValue::Binary(bytes) => {
            out.push_str(&serde_json::Value::from(String::from_utf8_lossy(bytes)).to_string())
        }
        ConstValue::Enum(name) => out.push_str(name),
        ConstValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_const(out, item);
            }
            out.push(']');
        }
        ConstValue::Object(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                write_const(out, v);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Keep(bool);
    impl UpstreamFilter for Keep {
        fn action(&self, parent: &str, field: &str) -> FieldAction {
            match (parent, field) {
                ("Query", f) if f.starts_with("__") => FieldAction::Drop,
                (_, "live_stock") => FieldAction::Drop,
                _ => FieldAction::Keep,
            }
        }
        fn field_type(&self, _: &str, _: &str) -> Option<String> {
            Some("X".into())
        }
        fn add_typename(&self) -> bool {
            self.0
        }
        fn additions(&self, pos: Pos) -> Option<&str> {
            // The `items` field of the join-key test.
            (pos == Pos {
                line: 1,
                column: 27,
            })
            .then_some("_k: sku")
        }
    }

    fn print(q: &str, typename: bool) -> Option<String> {
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        let (name, op) = doc.operations.iter().next().expect("one operation");
        print_upstream(&doc, name, &op.node, "Query", &Keep(typename))
    }

    #[test]
    fn keeps_aliases_arguments_directives_fragments_and_used_variables() {
        let printed = print(
            r#"query Q($s: String = "a\"b", $unused: Int, $skip: Boolean!) {
                 first: products(search: $s, filter: {sku: {in: ["x", "y"]}}, sort: {name: ASC}) @include(if: true) {
                   items { ...F ... on ConfigurableProduct @skip(if: $skip) { variants { product { sku } } } }
                 }
               }
               fragment F on ProductInterface { sku name }
               fragment Unused on ProductInterface { uid }"#,
            false,
        )
        .expect("something to print");
        assert_eq!(
            printed,
            r#"query Q($s: String = "a\"b", $skip: Boolean!) { first: products(search: $s, filter: {sku: {in: ["x", "y"]}}, sort: {name: ASC}) @include(if: true) { items { ...F ... on ConfigurableProduct @skip(if: $skip) { variants { product { sku } } } } } } fragment F on ProductInterface { sku name }"#
        );
        async_graphql::parser::parse_query(&printed).expect("printed text parses");
    }

    #[test]
    fn extension_fields_are_dropped_and_their_object_gets_the_join_keys() {
        let printed = print("{ products(search: \"x\") { items { stock: live_stock @include(if: true) { salable_qty } name } } }", false)
            .expect("printed");
        assert_eq!(
            printed,
            "query { products(search: \"x\") { items { name _k: sku } } }"
        );
        let only_merged = print(
            "{ products(search: \"x\") { items { live_stock { status } } } }",
            false,
        )
        .expect("printed");
        assert_eq!(
            only_merged,
            "query { products(search: \"x\") { items { _k: sku } } }"
        );
    }

    #[test]
    fn drops_local_root_fields_and_adds_typename_when_asked() {
        assert_eq!(print("{ __schema { types { name } } }", false), None);
        let printed = print(
            "{ __type(name: \"X\") { name } storeConfig { store_code } }",
            true,
        )
        .expect("commerce part");
        assert_eq!(
            printed,
            "query { storeConfig { store_code __typename } __typename }"
        );
    }
}
