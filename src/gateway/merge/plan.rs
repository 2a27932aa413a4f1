//! The merge plan: the client's operation as the merge step reads it, built once per document.
//! Every selection set is flattened (fragments inlined, each field carrying the type conditions
//! and `@skip`/`@include` of the fragments around it), so the merge can collect fields per object
//! at run time as the spec's CollectFields does. The plan also names the reserved join keys the
//! upstream query carries, and what the upstream query adds below each field for the merge.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet, TypeKind,
};
use async_graphql::{Name, Pos, Positioned};
use async_graphql_value::Value;
use serde_json::Map;

use crate::gateway::extension::{JoinKeyNeeds, MergedExtension};
use crate::gateway::schema::ComposedSchema;

/// The operation as the merge step reads it.
#[derive(Debug)]
pub struct MergePlan {
    /// `Query` or `Mutation`.
    pub(crate) root_type: String,
    /// The operation's selection set, flattened.
    pub(crate) root: Vec<PlannedField>,
    /// The reserved response keys of this document's upstream query.
    pub(crate) keys: JoinKeys,
    /// How many extensions the roles' indexes count.
    pub(crate) extension_count: usize,
    /// Per extension: whether its overwrites fetch the variants' data too.
    pub(crate) fetches_variants: Vec<bool>,
    /// Variables with a default value, and that value.
    variable_defaults: Vec<(String, serde_json::Value)>,
    /// What the upstream query selects below a field (by the field's position in the document)
    /// for the merge: the object's type, the product's SKU, regular prices, variant SKUs.
    additions: HashMap<Pos, String>,
}

impl MergePlan {
    /// The request's variables as the operation sees them: the given ones, and the defaults of
    /// the ones not given.
    pub(crate) fn variables(
        &self,
        given: Option<&serde_json::Value>,
    ) -> Map<String, serde_json::Value> {
        let mut variables = match given {
            Some(serde_json::Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        for (name, default) in &self.variable_defaults {
            if !variables.contains_key(name) {
                variables.insert(name.clone(), default.clone());
            }
        }
        variables
    }

    /// The reserved selections the upstream query adds below the field at `pos`.
    pub(crate) fn additions(&self, pos: Pos) -> Option<&str> {
        self.additions.get(&pos).map(String::as_str)
    }
}

/// Response keys that no field of the client's document uses: a prefix (`_bff`, else `_bff1`,
/// `_bff2` …) that occurs nowhere in the document's text, so no alias or field name can start
/// with it.
#[derive(Debug)]
pub(crate) struct JoinKeys {
    pub(crate) typename: String,
    pub(crate) sku: String,
    pub(crate) regular_prices: String,
    pub(crate) variants: String,
}

impl JoinKeys {
    pub(crate) fn for_document(text: &str) -> Self {
        let mut prefix = String::from("_bff");
        let mut n = 0u32;
        while text.contains(prefix.as_str()) {
            n += 1;
            prefix = format!("_bff{n}");
        }
        Self {
            typename: format!("{prefix}_type"),
            sku: format!("{prefix}_sku"),
            regular_prices: format!("{prefix}_prices"),
            variants: format!("{prefix}_variants"),
        }
    }
}

/// One field of a flattened selection set.
#[derive(Debug)]
pub(crate) struct PlannedField {
    pub(crate) response_key: String,
    pub(crate) name: String,
    /// The field's named type.
    pub(crate) type_name: String,
    /// The type conditions of the fragments around the field, each as the object types it
    /// admits; the field applies to an object only if every one admits the object's type.
    pub(crate) type_conditions: Vec<Arc<[String]>>,
    /// `@skip`/`@include` of the field and of the fragments around it.
    pub(crate) conditions: Vec<Condition>,
    pub(crate) role: Role,
    /// The field's arguments as written (an extension field reads them).
    pub(crate) arguments: Vec<(String, Value)>,
    /// The field's own selection set, flattened.
    pub(crate) selection: Vec<PlannedField>,
}

/// `@include(if:)` (`include: true`) or `@skip(if:)` (`include: false`).
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub(crate) include: bool,
    pub(crate) value: Value,
}

/// What the merge does with a field.
#[derive(Debug)]
pub(crate) enum Role {
    /// Commerce's value; `merges`: something below it is merged, so the merge walks into it.
    Commerce { merges: bool },
    /// A field of the extension with this index.
    Extension(usize),
    /// A Commerce field the extension with this index overwrites from its data.
    Overwrite(usize),
}

/// Which fields the merged-data extensions answer or overwrite, and what they need.
#[derive(Debug, Default, Clone)]
pub struct MergedFields {
    fields: Vec<(&'static str, usize)>,
    overwrites: Vec<(&'static str, usize)>,
    needs: Vec<JoinKeyNeeds>,
}

impl MergedFields {
    pub fn new(extensions: &[std::sync::Arc<dyn MergedExtension>]) -> Self {
        let mut known = Self::default();
        for (i, extension) in extensions.iter().enumerate() {
            known
                .fields
                .extend(extension.fields().iter().map(|f| (*f, i)));
            known
                .overwrites
                .extend(extension.overwrites().iter().map(|f| (*f, i)));
            known.needs.push(extension.join_keys());
        }
        known
    }

    /// The extension answering `parent.field`, if it is a merged field.
    pub(crate) fn extension_of(
        &self,
        schema: &ComposedSchema,
        parent: &str,
        field: &str,
    ) -> Option<usize> {
        let (_, i) = self.fields.iter().find(|(f, _)| *f == field)?;
        (schema.is_product_type(parent) && schema.is_extension_field(parent, field)).then_some(*i)
    }

    /// The extension overwriting `parent.field`, if any.
    pub(crate) fn overwrite_of(
        &self,
        schema: &ComposedSchema,
        parent: &str,
        field: &str,
    ) -> Option<usize> {
        let (_, i) = self.overwrites.iter().find(|(f, _)| *f == field)?;
        schema.is_product_type(parent).then_some(*i)
    }
}

/// Builds the merge plan of `operation` (the document's text picks the join keys); `None` when
/// nothing merges.
pub(crate) fn build_merge_plan(
    text: &str,
    doc: &ExecutableDocument,
    operation: &OperationDefinition,
    root_type: &str,
    schema: &ComposedSchema,
    merged: &MergedFields,
) -> Option<MergePlan> {
    let mut builder = Builder {
        doc,
        schema,
        merged,
        keys: JoinKeys::for_document(text),
        visiting: HashSet::new(),
        additions: HashMap::new(),
        possible: HashMap::new(),
    };
    let mut root = Vec::new();
    let mut level = Level::default();
    let set = &operation.selection_set.node;
    builder.walk(
        set,
        root_type,
        &Scope::default(),
        false,
        &mut root,
        &mut level,
    );
    if !level.merges {
        return None;
    }
    let variable_defaults = operation
        .variable_definitions
        .iter()
        .filter_map(|v| {
            let default = v.node.default_value.as_ref()?;
            Some((
                v.node.name.node.to_string(),
                default.node.clone().into_json().ok()?,
            ))
        })
        .collect();
    Some(MergePlan {
        root_type: root_type.to_string(),
        root,
        keys: builder.keys,
        extension_count: merged.needs.len(),
        fetches_variants: merged.needs.iter().map(|n| n.variants).collect(),
        variable_defaults,
        additions: builder.additions,
    })
}

/// What the objects of one selection set need for the merge.
#[derive(Default)]
struct Level {
    sku: bool,
    regular_prices: bool,
    variants: bool,
    merges: bool,
}

/// The fragments around a selection.
#[derive(Default, Clone)]
struct Scope {
    type_conditions: Vec<Arc<[String]>>,
    conditions: Vec<Condition>,
}

struct Builder<'d> {
    doc: &'d ExecutableDocument,
    schema: &'d ComposedSchema,
    merged: &'d MergedFields,
    keys: JoinKeys,
    visiting: HashSet<Name>,
    additions: HashMap<Pos, String>,
    possible: HashMap<String, Arc<[String]>>,
}

impl<'d> Builder<'d> {
    /// Flattens `set` (on `parent`) into `out`; `in_value`: below an extension or overwritten
    /// field, where everything is read from the merged value.
    fn walk(
        &mut self,
        set: &'d SelectionSet,
        parent: &str,
        scope: &Scope,
        in_value: bool,
        out: &mut Vec<PlannedField>,
        level: &mut Level,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let planned = self.field(field, parent, scope, in_value, level);
                    out.push(planned);
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let on = inline
                        .type_condition
                        .as_ref()
                        .map_or(parent, |t| t.node.on.node.as_str())
                        .to_string();
                    let inner = self.scope(scope, parent, &on, &inline.directives);
                    self.walk(
                        &inline.selection_set.node,
                        &on,
                        &inner,
                        in_value,
                        out,
                        level,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let Some(fragment) = self.doc.fragments.get(name) else {
                        continue;
                    };
                    if !self.visiting.insert(name.clone()) {
                        continue;
                    }
                    let fragment = &fragment.node;
                    let on = fragment.type_condition.node.on.node.to_string();
                    let inner = self.scope(scope, parent, &on, &spread.node.directives);
                    self.walk(
                        &fragment.selection_set.node,
                        &on,
                        &inner,
                        in_value,
                        out,
                        level,
                    );
                    self.visiting.remove(name);
                }
            }
        }
    }

    fn field(
        &mut self,
        field: &'d Positioned<async_graphql::parser::types::Field>,
        parent: &str,
        scope: &Scope,
        in_value: bool,
        level: &mut Level,
    ) -> PlannedField {
        let f = &field.node;
        let name = f.name.node.as_str();
        let type_name = match name {
            "__typename" => "String".to_string(),
            _ => self.schema.field_type(parent, name).unwrap_or_default(),
        };
        let mut role = self.role(parent, name, in_value);
        let mut below = Level::default();
        let mut selection = Vec::new();
        let value_below = in_value || !matches!(role, Role::Commerce { .. });
        let set = &f.selection_set.node;
        let empty = Scope::default();
        self.walk(
            set,
            &type_name,
            &empty,
            value_below,
            &mut selection,
            &mut below,
        );
        match &role {
            Role::Extension(_) => {
                level.sku = true;
                level.merges = true;
            }
            Role::Overwrite(i) => {
                let needs = self.merged.needs.get(*i).copied().unwrap_or_default();
                level.sku = true;
                level.merges = true;
                level.regular_prices |= needs.regular_prices;
                level.variants |= needs.variants;
            }
            Role::Commerce { .. } if below.merges => {
                role = Role::Commerce { merges: true };
                level.merges = true;
                let additions = self.additions_for(&type_name, &below);
                self.additions.insert(field.pos, additions);
            }
            Role::Commerce { .. } => {}
        }
        let mut conditions = scope.conditions.clone();
        conditions.extend(conditions_of(&f.directives));
        PlannedField {
            response_key: f.response_key().node.to_string(),
            name: name.to_string(),
            type_name,
            type_conditions: scope.type_conditions.clone(),
            conditions,
            role,
            arguments: f
                .arguments
                .iter()
                .map(|(n, v)| (n.node.to_string(), v.node.clone()))
                .collect(),
            selection,
        }
    }

    /// What the merge does with `parent.name` (below a merged value: nothing of its own).
    fn role(&self, parent: &str, name: &str, in_value: bool) -> Role {
        let merged = self.merged;
        if in_value {
            Role::Commerce { merges: false }
        } else if let Some(i) = merged.extension_of(self.schema, parent, name) {
            Role::Extension(i)
        } else if let Some(i) = merged.overwrite_of(self.schema, parent, name) {
            Role::Overwrite(i)
        } else {
            Role::Commerce { merges: false }
        }
    }

    /// The scope inside a fragment on `on`, spread where the type is `parent`.
    fn scope(
        &mut self,
        outer: &Scope,
        parent: &str,
        on: &str,
        directives: &[Positioned<Directive>],
    ) -> Scope {
        let mut inner = outer.clone();
        let admitted = self.possible_types(on);
        let parent_types = self.possible_types(parent);
        if !parent_types.iter().all(|t| admitted.contains(t)) {
            inner.type_conditions.push(admitted);
        }
        inner.conditions.extend(conditions_of(directives));
        inner
    }

    /// The object types a value of type `name` can have.
    fn possible_types(&mut self, name: &str) -> Arc<[String]> {
        if let Some(known) = self.possible.get(name) {
            return known.clone();
        }
        let sdl = &self.schema.sdl;
        let types: Vec<String> = match sdl.get(name).map(|t| &t.kind) {
            Some(TypeKind::Interface(_)) => sdl
                .implementers(name)
                .into_iter()
                .filter(|t| matches!(sdl.get(t).map(|d| &d.kind), Some(TypeKind::Object(_))))
                .collect(),
            Some(TypeKind::Union(u)) => u.members.iter().map(|m| m.node.to_string()).collect(),
            _ => vec![name.to_string()],
        };
        let types: Arc<[String]> = types.into();
        self.possible.insert(name.to_string(), types.clone());
        types
    }

    /// What the upstream query selects below a field of type `type_name` whose objects need
    /// `level` for the merge.
    fn additions_for(&mut self, type_name: &str, level: &Level) -> String {
        let keys = &self.keys;
        let mut out = format!("{}: __typename", keys.typename);
        let mut product = Vec::new();
        if level.sku {
            product.push(format!("{}: sku", keys.sku));
        }
        if level.regular_prices {
            product.push(format!(
                "{}: price_range {{ minimum_price {{ regular_price {{ value }} }} maximum_price {{ regular_price {{ value }} }} }}",
                keys.regular_prices
            ));
        }
        if !product.is_empty() {
            let product = product.join(" ");
            let has = |field: &str| self.schema.field_type(type_name, field).is_some();
            if has("sku") && has("price_range") {
                out.push(' ');
                out.push_str(&product);
            } else {
                out.push_str(&format!(" ... on ProductInterface {{ {product} }}"));
            }
        }
        let variants = format!(
            " ... on ConfigurableProduct {{ {}: variants {{ product {{ sku }} }} }}",
            keys.variants
        );
        if level.variants
            && self
                .possible_types(type_name)
                .iter()
                .any(|t| t == "ConfigurableProduct")
        {
            out.push_str(&variants);
        }
        out
    }
}

fn conditions_of(directives: &[Positioned<Directive>]) -> Vec<Condition> {
    directives
        .iter()
        .filter_map(|d| {
            let include = match d.node.name.node.as_str() {
                "include" => true,
                "skip" => false,
                _ => return None,
            };
            let value = d.node.get_argument("if")?.node.clone();
            Some(Condition { include, value })
        })
        .collect()
}
