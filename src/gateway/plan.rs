//! Planning: from the client's document to a validated [`Plan`] that says what goes to
//! Commerce, whether Commerce would cache it, and whether the BFF must execute anything itself.
//! Plans are cached per (document, operation name), so a repeated document is parsed and
//! validated once.

use std::cell::Cell;
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Name, Pos};

use super::cost::{CostPlan, check_directives};
use super::limits::{check_nesting, check_shape, check_tokens, root_field_names};
pub use super::merge::MergedFields;
use super::merge::{MergePlan, build_merge_plan};
use super::normalize::merge_duplicate_fields;
use super::printer::{FieldAction, UpstreamFilter, print_upstream};
use super::schema::{ComposedSchema, ValidateOnly};
use super::sensitive::{RootCall, root_calls};
use super::{GatewayError, code};
use crate::config::{GraphqlConfig, QueryCostConfig};
pub use commerce_schema::CACHEABLE_ROOT_FIELDS;

/// How an operation is answered.
#[derive(Debug, Clone)]
pub enum Route {
    /// Only Commerce fields: forward, return Commerce's body as it came.
    Forward,
    /// Commerce fields plus extension fields (or overwritten ones): forward, then merge.
    Merge(Arc<MergePlan>),
    /// Introspection: execute on the composed schema.
    Local,
}

/// A validated operation and how to answer it.
#[derive(Debug)]
pub struct Plan {
    pub operation_type: OperationType,
    pub root_fields: Vec<Name>,
    pub route: Route,
    /// Commerce would cache it (a query of cacheable root fields only, nothing local).
    pub cacheable: bool,
    /// What Commerce is sent; `None` when the BFF answers everything itself.
    pub upstream_query: Option<Arc<str>>,
    pub operation_name: Option<Arc<str>>,
    /// What the operation costs, evaluated per request against its variables.
    pub cost: CostPlan,
    /// The root fields a mutation calls (empty for queries), for the sensitive-mutation rules.
    pub root_calls: Vec<RootCall>,
}

/// A plan's cache key: the document text and the operation name.
type PlanKey = (Arc<str>, Option<Arc<str>>);

/// What a cached plan holds, in bytes: the document (the key), the printed upstream operation,
/// and the plan's own structures, estimated at twice the document (selection trees, cost and
/// merge plans) plus a fixed part.
fn plan_weight(key: &PlanKey, plan: &Plan) -> u32 {
    let document = key.0.len() + key.1.as_ref().map_or(0, |n| n.len());
    let upstream = plan.upstream_query.as_ref().map_or(0, |q| q.len());
    (3 * document + upstream + 2_048).min(u32::MAX as usize) as u32
}

/// Builds and caches plans.
pub struct Planner {
    schema: Arc<ComposedSchema>,
    config: GraphqlConfig,
    introspection: bool,
    merged: MergedFields,
    plans: moka::sync::Cache<PlanKey, Arc<Plan>>,
    cost: QueryCostConfig,
}

impl Planner {
    pub fn new(
        schema: Arc<ComposedSchema>,
        config: GraphqlConfig,
        introspection: bool,
        merged: MergedFields,
        cost: QueryCostConfig,
    ) -> Self {
        let plans = moka::sync::Cache::builder()
            .max_capacity(config.plan_cache_max_bytes)
            .weigher(|key: &PlanKey, plan: &Arc<Plan>| plan_weight(key, plan))
            .build();
        Self {
            schema,
            config,
            introspection,
            merged,
            plans,
            cost,
        }
    }

    /// Bytes the cached plans weigh (after pending evictions), for tests and diagnostics.
    pub fn cached_plan_bytes(&self) -> u64 {
        self.plans.run_pending_tasks();
        self.plans.weighted_size()
    }

    /// The plan for `query`, from cache or freshly validated against the composed schema.
    pub async fn plan(
        &self,
        query: &str,
        operation_name: Option<&str>,
        variables: Option<&serde_json::Value>,
    ) -> Result<Arc<Plan>, GatewayError> {
        let key = (
            Arc::<str>::from(query),
            operation_name.map(Arc::<str>::from),
        );
        if let Some(plan) = self.plans.get(&key) {
            return Ok(plan);
        }
        let plan = Arc::new(self.build(query, operation_name, variables).await?);
        self.plans.insert(key, plan.clone());
        Ok(plan)
    }

    async fn build(
        &self,
        query: &str,
        operation_name: Option<&str>,
        variables: Option<&serde_json::Value>,
    ) -> Result<Plan, GatewayError> {
        check_tokens(query, self.config.max_tokens)?;
        check_nesting(query, self.config.max_nesting)?;
        let mut doc = async_graphql::parser::parse_query(query).map_err(|e| {
            GatewayError::new(
                axum::http::StatusCode::OK,
                code::GRAPHQL_PARSE_FAILED,
                Some("graphql"),
                format!("Syntax error: {e}"),
            )
        })?;
        let registry = self.schema.executable.registry();
        let repeatable = |name: &str| {
            registry
                .directives
                .get(name)
                .is_some_and(|d| d.is_repeatable)
        };
        check_directives(&doc, self.cost.max_directives_per_field, &repeatable)?;
        merge_duplicate_fields(&mut doc);
        let (name, operation) = match (&doc.operations, operation_name) {
            (DocumentOperations::Single(op), None) => (None, op),
            (DocumentOperations::Single(_), Some(wanted)) => {
                return Err(unknown_operation(wanted));
            }
            (DocumentOperations::Multiple(ops), Some(wanted)) => {
                let (n, op) = ops
                    .iter()
                    .find(|(n, _)| n.as_str() == wanted)
                    .ok_or_else(|| unknown_operation(wanted))?;
                (Some(n.clone()), op)
            }
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                let (n, op) = ops.iter().next().ok_or_else(GatewayError::internal)?;
                (Some(n.clone()), op)
            }
            (DocumentOperations::Multiple(_), None) => {
                return Err(GatewayError::bad_request(
                    "The document has several operations: name one with `operationName`.",
                ));
            }
        };
        let operation = &operation.node;
        if operation.ty == OperationType::Subscription {
            return Err(GatewayError::bad_request(
                "Subscriptions are not supported.",
            ));
        }
        check_shape(&doc, &operation.selection_set.node, &self.config)?;
        let root_fields = root_field_names(&doc, &operation.selection_set.node);
        let introspects = root_fields.iter().any(|f| f == "__schema" || f == "__type");
        if introspects && !self.introspection {
            return Err(GatewayError::new(
                axum::http::StatusCode::OK,
                code::INTROSPECTION_DISABLED,
                Some("graphql"),
                "Introspection is disabled on this endpoint.",
            ));
        }
        self.validate(query, operation_name, variables).await?;

        let root_type = match operation.ty {
            OperationType::Mutation => "Mutation",
            _ => "Query",
        };
        let cost = CostPlan::compile(&doc, operation, root_type, &self.schema, &self.cost)?;
        let mut filter = PlanFilter {
            schema: &self.schema,
            merged: &self.merged,
            mode: Mode::Detect,
            local: Cell::new(false),
            merges: Cell::new(false),
            merge_plan: None,
        };
        print_upstream(&doc, name.as_ref(), operation, root_type, &filter);
        let route = match (filter.local.get(), filter.merges.get()) {
            (true, true) => {
                return Err(GatewayError::bad_request(
                    "Introspection cannot be combined with live_stock or contract_price in one operation.",
                ));
            }
            (true, false) => Route::Local,
            (false, true) => {
                match build_merge_plan(
                    query,
                    &doc,
                    operation,
                    root_type,
                    &self.schema,
                    &self.merged,
                ) {
                    Some(plan) => Route::Merge(Arc::new(plan)),
                    None => Route::Forward,
                }
            }
            (false, false) => Route::Forward,
        };
        filter.mode = match route {
            Route::Local => Mode::Local,
            Route::Merge(_) => Mode::Merge,
            Route::Forward => Mode::Detect,
        };
        if let Route::Merge(merge_plan) = &route {
            filter.merge_plan = Some(merge_plan.clone());
        }
        let upstream = print_upstream(&doc, name.as_ref(), operation, root_type, &filter);
        let cacheable = operation.ty == OperationType::Query
            && !matches!(route, Route::Local)
            && root_fields
                .iter()
                .all(|f| f == "__typename" || CACHEABLE_ROOT_FIELDS.contains(&f.as_str()));
        Ok(Plan {
            operation_type: operation.ty,
            root_fields,
            route,
            cacheable,
            upstream_query: upstream.map(Arc::from),
            operation_name: name.map(|n| Arc::from(n.as_str())),
            cost,
            root_calls: root_calls(&doc, operation),
        })
    }

    /// Runs async-graphql's validation (all of the spec's rules) without executing anything.
    async fn validate(
        &self,
        query: &str,
        operation_name: Option<&str>,
        variables: Option<&serde_json::Value>,
    ) -> Result<(), GatewayError> {
        let mut request = async_graphql::Request::new(query).data(ValidateOnly);
        if let Some(name) = operation_name {
            request = request.operation_name(name);
        }
        if let Some(v) = variables {
            request = request.variables(async_graphql::Variables::from_json(v.clone()));
        }
        let response = self.schema.executable.execute(request).await;
        if response.errors.is_empty() {
            Ok(())
        } else {
            Err(GatewayError::from_server_errors(
                code::GRAPHQL_VALIDATION_FAILED,
                response.errors,
            ))
        }
    }
}

fn unknown_operation(name: &str) -> GatewayError {
    GatewayError::bad_request(format!("Unknown operation named \"{name}\"."))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// First pass: find out what the document holds.
    Detect,
    /// Introspection (and resolver-backed extensions) execute locally: drop them, and add
    /// `__typename` everywhere.
    Local,
    /// Extension fields are dropped; objects on the merge's path get join keys.
    Merge,
}

struct PlanFilter<'s> {
    schema: &'s ComposedSchema,
    merged: &'s MergedFields,
    mode: Mode,
    /// Fields executed on the composed schema (introspection, resolver-backed extensions).
    local: Cell<bool>,
    merges: Cell<bool>,
    /// In [`Mode::Merge`]: the plan whose join keys the upstream query carries.
    merge_plan: Option<Arc<MergePlan>>,
}

impl UpstreamFilter for PlanFilter<'_> {
    fn action(&self, parent_type: &str, field: &str) -> FieldAction {
        if self
            .merged
            .extension_of(self.schema, parent_type, field)
            .is_some()
        {
            self.merges.set(true);
            return FieldAction::Drop;
        }
        let introspection = parent_type == "Query" && matches!(field, "__schema" | "__type");
        if introspection || self.schema.is_extension_field(parent_type, field) {
            self.local.set(true);
            return FieldAction::Drop;
        }
        if self
            .merged
            .overwrite_of(self.schema, parent_type, field)
            .is_some()
        {
            self.merges.set(true);
        }
        FieldAction::Keep
    }

    fn field_type(&self, parent_type: &str, field: &str) -> Option<String> {
        self.schema.field_type(parent_type, field)
    }

    fn add_typename(&self) -> bool {
        self.mode == Mode::Local
    }

    fn additions(&self, pos: Pos) -> Option<&str> {
        self.merge_plan.as_ref()?.additions(pos)
    }
}
