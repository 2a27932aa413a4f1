//! The merge plan: where in Commerce's answer the BFF's extension fields (and the Commerce fields
//! it overwrites from live data) sit, as a tree over response keys, built once per document.

use std::collections::HashSet;

use async_graphql::Name;
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql_value::Value;

use crate::gateway::schema::ComposedSchema;

/// The response key under which Commerce returns the product's SKU for joining.
pub const SKU_JOIN_KEY: &str = "_bff_sku";

/// A node of the plan: one object position (or list of objects) in the answer.
#[derive(Debug, Default)]
pub struct MergeNode {
    /// Response keys below which something merges.
    pub children: Vec<(String, MergeNode)>,
    /// Extension fields selected on the objects at this position.
    pub fields: Vec<MergeField>,
    /// Commerce fields replaced from live data on the objects at this position.
    pub overwrites: Vec<(String, Overwrite)>,
}

impl MergeNode {
    pub fn is_empty(&self) -> bool {
        self.children.is_empty() && self.fields.is_empty() && self.overwrites.is_empty()
    }

    fn child(&mut self, key: &str) -> &mut MergeNode {
        let at = match self.children.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                self.children.push((key.to_string(), MergeNode::default()));
                self.children.len() - 1
            }
        };
        &mut self.children[at].1
    }
}

/// One extension field at a position.
#[derive(Debug)]
pub struct MergeField {
    pub response_key: String,
    pub kind: ExtensionKind,
    /// What the client selected below the field.
    pub selection: Vec<Selected>,
}

#[derive(Debug)]
pub enum ExtensionKind {
    LiveStock,
    ContractPrice { quantity: Option<Value> },
}

/// A Commerce field whose value comes from live data when the overwrite switch is on.
#[derive(Debug)]
pub enum Overwrite {
    StockStatus,
    OnlyXLeftInStock,
    /// `price_range`, with the client's selection below it.
    PriceRange(Vec<Selected>),
}

/// A selected field below an extension field (fragments flattened).
#[derive(Debug, Clone)]
pub struct Selected {
    pub response_key: String,
    pub name: String,
    /// From an inline fragment or fragment spread: applies only to objects of this type.
    pub type_condition: Option<String>,
    /// `@include(if:)` (true) / `@skip(if:)` (false) conditions.
    pub conditions: Vec<(bool, Value)>,
    pub children: Vec<Selected>,
}

/// Which overwrites the configuration turns on.
#[derive(Debug, Clone, Copy, Default)]
pub struct OverwriteSwitches {
    pub stock_status: bool,
    pub price_range: bool,
}

/// Builds the merge tree for an operation's selection set; `None` when nothing merges.
pub fn build_merge_plan(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    root_type: &str,
    schema: &ComposedSchema,
    switches: OverwriteSwitches,
) -> Option<MergeNode> {
    let mut builder = Builder {
        doc,
        schema,
        switches,
        visiting: HashSet::new(),
    };
    let mut root = MergeNode::default();
    builder.walk(set, root_type, &mut root);
    (!root.is_empty()).then_some(root)
}

/// The overwrite a Commerce field gets, if any (also used by the printer to add join keys).
pub fn overwrite_for(
    schema: &ComposedSchema,
    switches: OverwriteSwitches,
    parent: &str,
    field: &str,
) -> bool {
    schema.is_product_type(parent)
        && match field {
            "stock_status" | "only_x_left_in_stock" => switches.stock_status,
            "price_range" => switches.price_range,
            _ => false,
        }
}

struct Builder<'d> {
    doc: &'d ExecutableDocument,
    schema: &'d ComposedSchema,
    switches: OverwriteSwitches,
    visiting: HashSet<Name>,
}

impl<'d> Builder<'d> {
    fn walk(&mut self, set: &'d SelectionSet, parent: &str, node: &mut MergeNode) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let name = f.name.node.as_str();
                    let key = f
                        .alias
                        .as_ref()
                        .map(|a| a.node.as_str())
                        .unwrap_or(name)
                        .to_string();
                    if self.schema.is_merged_field(parent, name) {
                        let kind = match name {
                            "contract_price" => ExtensionKind::ContractPrice {
                                quantity: f
                                    .arguments
                                    .iter()
                                    .find(|(n, _)| n.node == "quantity")
                                    .map(|(_, v)| v.node.clone()),
                            },
                            _ => ExtensionKind::LiveStock,
                        };
                        let ty = self.schema.field_type(parent, name).unwrap_or_default();
                        let selection = self.flatten(&f.selection_set.node, &ty);
                        node.fields.push(MergeField {
                            response_key: key,
                            kind,
                            selection,
                        });
                    } else if overwrite_for(self.schema, self.switches, parent, name) {
                        let overwrite = match name {
                            "stock_status" => Overwrite::StockStatus,
                            "only_x_left_in_stock" => Overwrite::OnlyXLeftInStock,
                            _ => {
                                let ty = self.schema.field_type(parent, name).unwrap_or_default();
                                Overwrite::PriceRange(self.flatten(&f.selection_set.node, &ty))
                            }
                        };
                        node.overwrites.push((key, overwrite));
                    } else if !f.selection_set.node.items.is_empty() {
                        let Some(ty) = self.schema.field_type(parent, name) else {
                            continue;
                        };
                        let child = node.child(&key);
                        self.walk(&f.selection_set.node, &ty, child);
                        if child.is_empty() {
                            node.children.retain(|(k, _)| *k != key);
                        }
                    }
                }
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|t| t.node.on.node.to_string());
                    self.walk(
                        &i.node.selection_set.node,
                        on.as_deref().unwrap_or(parent),
                        node,
                    );
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    let Some(fragment) = self.doc.fragments.get(name) else {
                        continue;
                    };
                    if !self.visiting.insert(name.clone()) {
                        continue;
                    }
                    let on = fragment.node.type_condition.node.on.node.to_string();
                    self.walk(&fragment.node.selection_set.node, &on, node);
                    self.visiting.remove(name);
                }
            }
        }
    }

    /// The selection below an extension field, fragments flattened into type conditions.
    fn flatten(&mut self, set: &'d SelectionSet, parent: &str) -> Vec<Selected> {
        let mut out = Vec::new();
        self.flatten_into(set, parent, None, &[], &mut out);
        out
    }

    fn flatten_into(
        &mut self,
        set: &'d SelectionSet,
        parent: &str,
        condition: Option<&str>,
        inherited: &[(bool, Value)],
        out: &mut Vec<Selected>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let name = f.name.node.to_string();
                    let ty = self.schema.field_type(parent, &name).unwrap_or_default();
                    let mut conditions = inherited.to_vec();
                    conditions.extend(conditions_of(&f.directives));
                    let children = self.flatten(&f.selection_set.node, &ty);
                    out.push(Selected {
                        response_key: f
                            .alias
                            .as_ref()
                            .map(|a| a.node.to_string())
                            .unwrap_or_else(|| name.clone()),
                        name,
                        type_condition: condition.map(str::to_owned),
                        conditions,
                        children,
                    });
                }
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|t| t.node.on.node.to_string());
                    let mut conditions = inherited.to_vec();
                    conditions.extend(conditions_of(&i.node.directives));
                    let condition = on.as_deref().or(condition);
                    let parent = on.as_deref().unwrap_or(parent).to_string();
                    self.flatten_into(
                        &i.node.selection_set.node,
                        &parent,
                        condition,
                        &conditions,
                        out,
                    );
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    let Some(fragment) = self.doc.fragments.get(name) else {
                        continue;
                    };
                    if !self.visiting.insert(name.clone()) {
                        continue;
                    }
                    let on = fragment.node.type_condition.node.on.node.to_string();
                    let mut conditions = inherited.to_vec();
                    conditions.extend(conditions_of(&s.node.directives));
                    self.flatten_into(
                        &fragment.node.selection_set.node,
                        &on,
                        Some(&on),
                        &conditions,
                        out,
                    );
                    self.visiting.remove(name);
                }
            }
        }
    }
}

fn conditions_of(directives: &[async_graphql::Positioned<Directive>]) -> Vec<(bool, Value)> {
    directives
        .iter()
        .filter_map(|d| {
            let include = match d.node.name.node.as_str() {
                "include" => true,
                "skip" => false,
                _ => return None,
            };
            let value = d.node.get_argument("if").map(|v| v.node.clone())?;
            Some((include, value))
        })
        .collect()
}
