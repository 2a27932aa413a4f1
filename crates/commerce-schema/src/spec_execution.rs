//! Holds every schema built here to the spec's execution where async-graphql 7.2 departs from it.
//!
//! Three departures, all inside async-graphql (`schema.rs`, `resolver_utils/container.rs`,
//! `validation/visitor.rs`):
//! * `@skip` / `@include` are evaluated against the request's variables only, so a variable
//!   left to its default (`$s: Boolean = true`) counts as absent (`false`).
//! * An object whose collected fields are all skipped (or none matches its runtime type)
//!   answers `null`, where the spec's `ExecuteSelectionSet` yields `{}`.
//! * Validation never visits a `__typename` field, so a variable used only in its
//!   `@skip`/`@include` is refused as unused (and the directive goes unchecked).
//!
//! The [`SpecExecution`] extension, which [`crate::Sdl::build`] adds to every schema (the
//! sandbox's and the BFF's composed one alike), works around all three before validation: it
//! writes the operation's variable defaults into the request's variables (the spec's
//! `CoerceVariableValues` does the same); it moves `@skip`/`@include` of a `__typename` onto an
//! inline fragment around it (`... @include(if: $v) { __typename }` collects the same fields);
//! and it gives every selection that might collect no field a hidden `__typename` under a
//! reserved alias, which it removes from the answer again.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest,
};
use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Field, InlineFragment, OperationDefinition,
    Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Request, Response, ServerResult, Value, Variables};

/// The alias of the hidden `__typename`; removed from every answer it was added to.
const EMPTY_SELECTION_GUARD: &str = "__commerce_schema_empty_selection";

/// The async-graphql extension; see the module documentation.
pub(crate) struct SpecExecution;

/// Request data marking a request whose document got guards (only those answers are walked).
struct Guarded;

impl ExtensionFactory for SpecExecution {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SpecExecution)
    }
}

#[async_trait::async_trait]
impl Extension for SpecExecution {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // A document that does not parse is left to async-graphql, which reports it.
        if let Ok(document) = request.parsed_query() {
            let mut document = document.clone();
            if let Some(operation) = chosen_operation(&document, request.operation_name.as_deref())
            {
                fill_variable_defaults(&operation.node, &mut request.variables);
            }
            for set in selection_sets(&mut document) {
                wrap_typename_directives(set);
            }
            let guarded = guard_empty_selections(&mut document, &request);
            request.set_parsed_query(document);
            if guarded {
                request = request.data(Guarded);
            }
        }
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        if ctx.data_opt::<Guarded>().is_some() {
            remove_guards(&mut response.data);
        }
        response
    }
}

/// The operation the request runs, as async-graphql will choose it (`None`: it will refuse).
fn chosen_operation<'d>(
    document: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d Positioned<OperationDefinition>> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Gives every variable the request leaves out its default value, if it has one. A variable
/// sent as `null` stays `null`.
fn fill_variable_defaults(operation: &OperationDefinition, variables: &mut Variables) {
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        if let Some(default) = &definition.default_value
            && !variables.contains_key(&definition.name.node)
        {
            variables.insert(definition.name.node.clone(), default.node.clone());
        }
    }
}

/// The top-level selection sets of every operation and fragment.
fn selection_sets(document: &mut ExecutableDocument) -> Vec<&mut SelectionSet> {
    let mut sets: Vec<&mut SelectionSet> = match &mut document.operations {
        DocumentOperations::Single(operation) => vec![&mut operation.node.selection_set.node],
        DocumentOperations::Multiple(operations) => operations
            .values_mut()
            .map(|o| &mut o.node.selection_set.node)
            .collect(),
    };
    sets.extend(
        document
            .fragments
            .values_mut()
            .map(|f| &mut f.node.selection_set.node),
    );
    sets
}

/// Rewrites `__typename @skip(…)` as `... @skip(…) { __typename }`, at any depth of `set`.
fn wrap_typename_directives(set: &mut SelectionSet) {
    set.items = std::mem::take(&mut set.items)
        .into_iter()
        .map(|mut selection| {
            match &mut selection.node {
                Selection::Field(field) if field.node.name.node == "__typename" => {
                    return wrap_typename(selection);
                }
                Selection::Field(field) => {
                    wrap_typename_directives(&mut field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => {
                    wrap_typename_directives(&mut fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(_) => {}
            }
            selection
        })
        .collect();
}

/// `__typename` with its `@skip`/`@include` moved onto an inline fragment around it.
fn wrap_typename(mut selection: Positioned<Selection>) -> Positioned<Selection> {
    let Selection::Field(field) = &mut selection.node else {
        return selection;
    };
    let (conditions, others): (Vec<_>, Vec<_>) = std::mem::take(&mut field.node.directives)
        .into_iter()
        .partition(|d| matches!(d.node.name.node.as_str(), "skip" | "include"));
    field.node.directives = others;
    if conditions.is_empty() {
        return selection;
    }
    let pos = selection.pos;
    let fragment = InlineFragment {
        type_condition: None,
        directives: conditions,
        selection_set: Positioned::new(
            SelectionSet {
                items: vec![selection],
            },
            pos,
        ),
    };
    Positioned::new(
        Selection::InlineFragment(Positioned::new(fragment, pos)),
        pos,
    )
}

/// Adds the guard to the chosen operation's root and to every field (in the operation and in
/// every fragment) whose selection has no field that surely stays; `true` if any was added.
fn guard_empty_selections(document: &mut ExecutableDocument, request: &Request) -> bool {
    let variables = &request.variables;
    let name = request.operation_name.as_deref();
    let mut guarded = false;
    let operation = match (&mut document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get_mut(name),
        (DocumentOperations::Multiple(operations), None) => operations.values_mut().next(),
    };
    if let Some(operation) = operation {
        let root = &mut operation.node.selection_set.node;
        guarded |= guard_if_possibly_empty(root, variables);
        guarded |= guard_fields_within(root, variables);
    }
    for fragment in document.fragments.values_mut() {
        guarded |= guard_fields_within(&mut fragment.node.selection_set.node, variables);
    }
    guarded
}

/// Guards the sub-selections of every field in `set`, at any depth.
fn guard_fields_within(set: &mut SelectionSet, variables: &Variables) -> bool {
    let mut guarded = false;
    for selection in &mut set.items {
        let inner = match &mut selection.node {
            Selection::Field(field) => {
                let inner = &mut field.node.selection_set.node;
                // A leaf has no selection; one written without any is a validation error to keep.
                if !inner.items.is_empty() {
                    guarded |= guard_if_possibly_empty(inner, variables);
                }
                inner
            }
            Selection::InlineFragment(fragment) => &mut fragment.node.selection_set.node,
            Selection::FragmentSpread(_) => continue,
        };
        guarded |= guard_fields_within(inner, variables);
    }
    guarded
}

/// Appends the guard unless a field directly in `set` is certainly kept.
fn guard_if_possibly_empty(set: &mut SelectionSet, variables: &Variables) -> bool {
    let surely_kept = set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => is_surely_kept(&field.node.directives, variables),
        _ => false,
    });
    if surely_kept {
        return false;
    }
    let guard = Field {
        alias: Some(Positioned::new(
            Name::new(EMPTY_SELECTION_GUARD),
            set.items.last().map(|s| s.pos).unwrap_or_default(),
        )),
        name: Positioned::new(Name::new("__typename"), Default::default()),
        arguments: Vec::new(),
        directives: Vec::new(),
        selection_set: Positioned::new(SelectionSet::default(), Default::default()),
    };
    set.items.push(Positioned::new(
        Selection::Field(Positioned::new(guard, Default::default())),
        Default::default(),
    ));
    true
}

/// Whether `@skip` / `@include` certainly keep a selection (an undecidable condition is not).
fn is_surely_kept(directives: &[Positioned<Directive>], variables: &Variables) -> bool {
    directives.iter().all(|directive| {
        let keep_when = match directive.node.name.node.as_str() {
            "skip" => false,
            "include" => true,
            _ => return true,
        };
        let condition = directive.node.get_argument("if").and_then(|value| {
            value
                .node
                .clone()
                .into_const_with(|name| variables.get(&name).cloned().ok_or(()))
                .ok()
        });
        let condition = match condition {
            Some(Value::Boolean(b)) => Some(b),
            _ => None,
        };
        condition == Some(keep_when)
    })
}

/// Removes the guard from every object of an answer.
fn remove_guards(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.shift_remove(EMPTY_SELECTION_GUARD);
            fields.values_mut().for_each(remove_guards);
        }
        Value::List(items) => items.iter_mut().for_each(remove_guards),
        _ => {}
    }
}
