//! Planning: from the client's document to a validated [`Plan`] that says what goes to
//! Commerce, whether Commerce would cache it, and whether the BFF must execute anything itself.
//! Plans are cached per (document, operation name), so a repeated document is parsed and
//! validated once.

use std::cell::Cell;
use std::sync::Arc;

use async_graphql::Name;
use async_graphql::parser::types::{DocumentOperations, OperationType};

use super::GatewayError;
use super::limits::{check_shape, check_tokens, root_field_names};
use super::printer::{UpstreamFilter, print_upstream};
use super::schema::{ComposedSchema, ValidateOnly};
use crate::config::GraphqlConfig;
pub use commerce_schema::CACHEABLE_ROOT_FIELDS;

/// How an operation is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Only Commerce fields: forward, return Commerce's body as it came.
    Forward,
    /// Some fields are the BFF's: execute on the composed schema.
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
}

/// A plan's cache key: the document text and the operation name.
type PlanKey = (Arc<str>, Option<Arc<str>>);

/// Builds and caches plans.
pub struct Planner {
    schema: Arc<ComposedSchema>,
    config: GraphqlConfig,
    introspection: bool,
    plans: moka::sync::Cache<PlanKey, Arc<Plan>>,
}

impl Planner {
    pub fn new(schema: Arc<ComposedSchema>, config: GraphqlConfig, introspection: bool) -> Self {
        let plans = moka::sync::Cache::builder()
            .max_capacity(config.plan_cache_entries)
            .build();
        Self {
            schema,
            config,
            introspection,
            plans,
        }
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
        let doc = async_graphql::parser::parse_query(query).map_err(|e| {
            GatewayError::new(
                axum::http::StatusCode::OK,
                "GRAPHQL_PARSE_FAILED",
                Some("graphql"),
                format!("Syntax error: {e}"),
            )
        })?;
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
                "INTROSPECTION_DISABLED",
                Some("graphql"),
                "Introspection is disabled on this endpoint.",
            ));
        }
        self.validate(query, operation_name, variables).await?;

        let root_type = match operation.ty {
            OperationType::Mutation => "Mutation",
            _ => "Query",
        };
        let mut filter = PlanFilter {
            schema: &self.schema,
            typename: false,
            dropped: Cell::new(false),
        };
        let mut upstream = print_upstream(&doc, name.as_ref(), operation, root_type, &filter);
        let route = if filter.dropped.get() || upstream.is_none() {
            filter.typename = true;
            upstream = print_upstream(&doc, name.as_ref(), operation, root_type, &filter);
            Route::Local
        } else {
            Route::Forward
        };
        let cacheable = operation.ty == OperationType::Query
            && route == Route::Forward
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
                "GRAPHQL_VALIDATION_FAILED",
                response.errors,
            ))
        }
    }
}

fn unknown_operation(name: &str) -> GatewayError {
    GatewayError::bad_request(format!("Unknown operation named \"{name}\"."))
}

struct PlanFilter<'s> {
    schema: &'s ComposedSchema,
    typename: bool,
    /// Set when a local field was left out of the upstream operation.
    dropped: Cell<bool>,
}

impl UpstreamFilter for PlanFilter<'_> {
    fn is_local(&self, parent_type: &str, field: &str) -> bool {
        let local = (matches!(field, "__schema" | "__type") && parent_type == "Query")
            || self.schema.is_extension_field(parent_type, field);
        if local {
            self.dropped.set(true);
        }
        local
    }

    fn field_type(&self, parent_type: &str, field: &str) -> Option<String> {
        let def = self
            .schema
            .sdl
            .fields(parent_type)
            .iter()
            .find(|f| f.node.name.node == field)?;
        Some(self.schema.sdl.shape(&def.node.ty.node).type_name)
    }

    fn add_typename(&self) -> bool {
        self.typename
    }
}
