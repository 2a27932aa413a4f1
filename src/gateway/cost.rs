//! What one operation may cost before anything reaches Commerce: the cost model (object fields
//! cost one, lists multiply by their page size), the `pageSize` bound, and the directive rules
//! (at most N per location, a non-repeatable directive once per location).
//!
//! The cost is compiled once per plan into [`CostPlan`] and evaluated per request, because a
//! `pageSize` may come from the request's variables.

use std::collections::{HashMap, HashSet};

use async_graphql::Name;
use async_graphql::Positioned;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql_value::{ConstValue, Value};
use bytes::Bytes;
use commerce_schema::ShapeKind;
use serde_json::Value as Json;

use super::schema::ComposedSchema;
use super::{GatewayError, GatewayResponse, code};
use crate::config::QueryCostConfig;

/// Commerce's page size when a `pageSize` argument has no default in the schema.
const COMMERCE_PAGE_SIZE: u64 = 20;

/// The argument that sizes a Commerce list.
const PAGE_SIZE: &str = "pageSize";

/// The list a paged result (`Products`, `CustomerOrders`, `WishlistItems` …) holds the page in.
const PAGED_ITEMS: &str = "items";

/// An operation's cost, ready to evaluate against each request's variables.
#[derive(Debug, Default)]
pub struct CostPlan {
    root: Vec<Term>,
    /// Named fragments, compiled once each (a spread refers to one by index).
    fragments: Vec<Vec<Term>>,
    /// Default values of the operation's variables that set a page size.
    variable_defaults: HashMap<Name, u64>,
    max_cost: u64,
    max_page_size: u64,
}

#[derive(Debug)]
enum Term {
    Field {
        cost: u64,
        times: Size,
        inner: Vec<Term>,
    },
    Fragment(usize),
}

/// How many times a field's cost counts.
#[derive(Debug, Clone)]
enum Size {
    Fixed(u64),
    /// A `pageSize` variable, with the schema's default when the request leaves it out.
    Variable(Name, u64),
}

impl CostPlan {
    /// Compiles the operation's cost; refuses a literal `pageSize` above the maximum.
    pub(crate) fn compile(
        doc: &ExecutableDocument,
        operation: &OperationDefinition,
        root_type: &str,
        schema: &ComposedSchema,
        config: &QueryCostConfig,
    ) -> Result<Self, GatewayError> {
        let names: HashMap<&Name, usize> = doc
            .fragments
            .keys()
            .enumerate()
            .map(|(i, name)| (name, i))
            .collect();
        let compiler = Compiler {
            schema,
            config,
            fragments: &names,
        };
        let mut fragments = Vec::with_capacity(doc.fragments.len());
        for fragment in doc.fragments.values() {
            let on = fragment.node.type_condition.node.on.node.as_str();
            fragments.push(compiler.set(&fragment.node.selection_set.node, on, None)?);
        }
        let variable_defaults = operation
            .variable_definitions
            .iter()
            .filter_map(|v| {
                let default = v.node.default_value.as_ref()?;
                match &default.node {
                    ConstValue::Number(n) => Some((v.node.name.node.clone(), n.as_u64()?)),
                    _ => None,
                }
            })
            .collect();
        Ok(Self {
            root: compiler.set(&operation.selection_set.node, root_type, None)?,
            fragments,
            variable_defaults,
            max_cost: config.max_cost,
            max_page_size: config.max_page_size,
        })
    }

    /// The operation's cost for these variables; refuses a `pageSize` variable above the
    /// maximum and an operation above the maximum cost.
    pub(crate) fn check(&self, variables: Option<&Json>) -> Result<u64, GatewayError> {
        let mut evaluation = Evaluation {
            plan: self,
            variables,
            memo: vec![None; self.fragments.len()],
        };
        let cost = evaluation.terms(&self.root)?;
        if cost > self.max_cost {
            return Err(GatewayError::limit(
                code::COST_LIMIT_EXCEEDED,
                format!(
                    "The operation costs {cost}; at most {} is allowed. Ask for smaller pages or fewer fields.",
                    self.max_cost
                ),
            ));
        }
        Ok(cost)
    }

    /// The highest cost allowed, for one operation or a whole batch.
    pub(crate) fn max_cost(&self) -> u64 {
        self.max_cost
    }
}

struct Compiler<'a> {
    schema: &'a ComposedSchema,
    config: &'a QueryCostConfig,
    fragments: &'a HashMap<&'a Name, usize>,
}

impl Compiler<'_> {
    /// `page` is the page size of the parent field, which sizes its `items` list
    /// (`products(pageSize: 50) { items }`).
    fn set(
        &self,
        set: &SelectionSet,
        parent: &str,
        page: Option<&Size>,
    ) -> Result<Vec<Term>, GatewayError> {
        let mut terms = Vec::with_capacity(set.items.len());
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if let Some(term) = self.field(&field.node, parent, page)? {
                        terms.push(term);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    terms.extend(self.set(&inline.node.selection_set.node, on, page)?);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(i) = self.fragments.get(&spread.node.fragment_name.node) {
                        terms.push(Term::Fragment(*i));
                    }
                }
            }
        }
        Ok(terms)
    }

    fn field(
        &self,
        field: &Field,
        parent: &str,
        page: Option<&Size>,
    ) -> Result<Option<Term>, GatewayError> {
        let name = field.name.node.as_str();
        let Some(def) = self
            .schema
            .sdl
            .fields(parent)
            .iter()
            .find(|f| f.node.name.node == name)
        else {
            // `__typename` and introspection: answered without Commerce.
            return Ok(None);
        };
        let shape = self.schema.sdl.shape(&def.node.ty.node);
        let cost = match shape.kind {
            ShapeKind::Leaf => self.config.scalar_field_cost,
            _ => self.config.object_field_cost,
        };
        let own_page = match def
            .node
            .arguments
            .iter()
            .find(|a| a.node.name.node == PAGE_SIZE)
        {
            Some(arg) => {
                let default = arg
                    .node
                    .default_value
                    .as_ref()
                    .and_then(|d| match &d.node {
                        ConstValue::Number(n) => n.as_u64(),
                        _ => None,
                    })
                    .unwrap_or(COMMERCE_PAGE_SIZE);
                Some(self.page_size(field, default)?)
            }
            None => None,
        };
        let is_list = shape.list_depth > 0;
        let times = match (is_list, &own_page, page) {
            (false, _, _) => Size::Fixed(1),
            (true, Some(own), _) => own.clone(),
            (true, None, Some(parent)) if name == PAGED_ITEMS => parent.clone(),
            (true, None, _) => Size::Fixed(self.config.list_size),
        };
        let page_below = own_page.as_ref().filter(|_| !is_list);
        let inner = self.set(&field.selection_set.node, &shape.type_name, page_below)?;
        Ok(Some(Term::Field { cost, times, inner }))
    }

    /// The field's `pageSize`: a literal (refused above the maximum), a variable, or the default.
    fn page_size(&self, field: &Field, default: u64) -> Result<Size, GatewayError> {
        let Some(value) = field.get_argument(PAGE_SIZE) else {
            return Ok(Size::Fixed(default));
        };
        match &value.node {
            Value::Variable(name) => Ok(Size::Variable(name.clone(), default)),
            Value::Number(n) => {
                let size = n.as_u64().unwrap_or(0);
                check_page_size(size, self.config.max_page_size)?;
                Ok(Size::Fixed(size))
            }
            _ => Ok(Size::Fixed(default)),
        }
    }
}

fn check_page_size(size: u64, max: u64) -> Result<(), GatewayError> {
    if size > max {
        return Err(GatewayError::limit(
            code::PAGE_SIZE_TOO_LARGE,
            format!(
                "pageSize {size} is larger than the maximum page size {max}; ask for several pages."
            ),
        ));
    }
    Ok(())
}

struct Evaluation<'a> {
    plan: &'a CostPlan,
    variables: Option<&'a Json>,
    memo: Vec<Option<u64>>,
}

impl Evaluation<'_> {
    fn terms(&mut self, terms: &[Term]) -> Result<u64, GatewayError> {
        let mut sum = 0u64;
        for term in terms {
            let cost = match term {
                Term::Field { cost, times, inner } => {
                    let times = self.size(times)?;
                    times.saturating_mul(cost.saturating_add(self.terms(inner)?))
                }
                Term::Fragment(i) => match self.memo.get(*i).copied().flatten() {
                    Some(cost) => cost,
                    None => {
                        // Validation refused fragment cycles, so this recursion ends.
                        let fragment = self.plan.fragments.get(*i).map_or(&[][..], Vec::as_slice);
                        let cost = self.terms(fragment)?;
                        if let Some(slot) = self.memo.get_mut(*i) {
                            *slot = Some(cost);
                        }
                        cost
                    }
                },
            };
            sum = sum.saturating_add(cost);
        }
        Ok(sum)
    }

    fn size(&self, size: &Size) -> Result<u64, GatewayError> {
        match size {
            Size::Fixed(n) => Ok(*n),
            Size::Variable(name, default) => {
                let given = self
                    .variables
                    .and_then(|v| v.get(name.as_str()))
                    .filter(|v| !v.is_null());
                let size = match given {
                    // Commerce takes an integral float (`1e8`) for an Int: so does the bound.
                    Some(v) => v
                        .as_u64()
                        .or_else(|| v.as_f64().filter(|f| *f > 0.0).map(|f| f as u64))
                        .unwrap_or(0),
                    None => self
                        .plan
                        .variable_defaults
                        .get(name)
                        .copied()
                        .unwrap_or(*default),
                };
                check_page_size(size, self.plan.max_page_size)?;
                Ok(size)
            }
        }
    }
}

/// Refuses more than `max` directives at one location and a non-repeatable directive twice at
/// one location ("Directives Are Unique Per Location"). async-graphql's validator has the second
/// rule too, but answers with one error per copy after validating the whole document; this
/// refuses at the first copy, before validation.
pub(crate) fn check_directives(
    doc: &ExecutableDocument,
    max: usize,
    repeatable: &dyn Fn(&str) -> bool,
) -> Result<(), GatewayError> {
    for (_, operation) in doc.operations.iter() {
        check_location(&operation.node.directives, max, repeatable)?;
        for variable in &operation.node.variable_definitions {
            check_location(&variable.node.directives, max, repeatable)?;
        }
        check_set(&operation.node.selection_set.node, max, repeatable)?;
    }
    for fragment in doc.fragments.values() {
        check_location(&fragment.node.directives, max, repeatable)?;
        check_set(&fragment.node.selection_set.node, max, repeatable)?;
    }
    Ok(())
}

fn check_set(
    set: &SelectionSet,
    max: usize,
    repeatable: &dyn Fn(&str) -> bool,
) -> Result<(), GatewayError> {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                check_location(&f.node.directives, max, repeatable)?;
                check_set(&f.node.selection_set.node, max, repeatable)?;
            }
            Selection::InlineFragment(i) => {
                check_location(&i.node.directives, max, repeatable)?;
                check_set(&i.node.selection_set.node, max, repeatable)?;
            }
            Selection::FragmentSpread(s) => check_location(&s.node.directives, max, repeatable)?,
        }
    }
    Ok(())
}

fn check_location(
    directives: &[Positioned<Directive>],
    max: usize,
    repeatable: &dyn Fn(&str) -> bool,
) -> Result<(), GatewayError> {
    if directives.len() > max {
        return Err(GatewayError::limit(
            code::TOO_MANY_DIRECTIVES,
            format!(
                "{} directives at one location; at most {max} are allowed.",
                directives.len()
            ),
        ));
    }
    let mut seen = HashSet::with_capacity(directives.len());
    for directive in directives {
        let name = &directive.node.name.node;
        if !repeatable(name.as_str()) && !seen.insert(name) {
            return Err(GatewayError::limit(
                code::DUPLICATE_DIRECTIVE,
                format!("The directive \"@{name}\" can only be used once at this location."),
            ));
        }
    }
    Ok(())
}

/// The answer with `extensions.cost` added (when the client sent `X-Query-Cost: true`).
pub(crate) fn report_cost(mut response: GatewayResponse, cost: u64) -> GatewayResponse {
    let Ok(Json::Object(mut body)) = serde_json::from_slice::<Json>(&response.body) else {
        return response;
    };
    let extensions = body
        .entry("extensions")
        .or_insert_with(|| Json::Object(serde_json::Map::new()));
    if let Json::Object(extensions) = extensions {
        extensions.insert("cost".into(), Json::from(cost));
    }
    if let Ok(bytes) = serde_json::to_vec(&body) {
        response.body = Bytes::from(bytes);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives_of(query: &str) -> Result<(), GatewayError> {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        check_directives(&doc, 3, &|name| name == "tag")
    }

    #[test]
    fn a_directive_twice_at_one_location_is_refused() {
        assert!(directives_of("{ a @include(if: true) @skip(if: false) }").is_ok());
        let error = directives_of("{ a @include(if: true) @include(if: true) }").unwrap_err();
        assert_eq!(error.errors[0]["extensions"]["code"], "DUPLICATE_DIRECTIVE");
        assert!(directives_of("{ ... on Query @skip(if: true) @skip(if: true) { a } }").is_err());
        assert!(directives_of("{ a @tag @tag }").is_ok());
    }

    #[test]
    fn more_directives_than_allowed_at_one_location_are_refused() {
        let error = directives_of("{ a @a @b @c @d }").unwrap_err();
        assert_eq!(error.errors[0]["extensions"]["code"], "TOO_MANY_DIRECTIVES");
    }
}
