//! Answering a planned operation, one module per route: [`forward`] (Commerce's answer as it
//! came, the fast path), [`merged`] (with the extensions' data applied) and [`local`]
//! (introspection on the composed schema). This file holds the gateway and the dispatch.

mod forward;
mod local;
mod merged;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use self::merged::MergeRequest;
use super::cost::report_cost;
use super::extension::MergedExtension;
use super::merge::MergedFields;
use super::plan::{Plan, Planner, Route};
use super::schema::ComposedSchema;
use super::{Answer, Cacheability, Caller, GatewayError, GatewayResponse, GraphqlRequest, code};
use crate::cache::{CacheKey, CacheKeyBuilder, InFlight, ResponseCache};
use crate::config::Config;
use crate::sources::commerce::{
    CommerceGraphql, ForwardedHeaders, UpstreamMethod, UpstreamRequest, UpstreamResponse,
};
use async_graphql::parser::types::OperationType;

/// The GraphQL gateway: composed schema, planner, response cache and Commerce client.
pub struct Gateway {
    schema: Arc<ComposedSchema>,
    planner: Planner,
    commerce: Arc<dyn CommerceGraphql>,
    cache: Option<ResponseCache>,
    /// Identical concurrent Commerce calls when the response cache is off.
    in_flight: InFlight<Result<GatewayResponse, GatewayError>>,
    /// The response cache's TTL, which also bounds merged answers.
    response_ttl: Duration,
    /// The merged-data extensions, in the order the merge plans index them.
    extensions: Vec<Arc<dyn MergedExtension>>,
    /// How long CDNs may keep an anonymous merged answer, in seconds.
    live_max_age_secs: u64,
}

impl Gateway {
    pub fn new(
        schema: Arc<ComposedSchema>,
        commerce: Arc<dyn CommerceGraphql>,
        extensions: Vec<Arc<dyn MergedExtension>>,
        config: &Config,
    ) -> Self {
        let planner = Planner::new(
            schema.clone(),
            config.graphql.clone(),
            config.introspection_enabled(),
            MergedFields::new(&extensions),
            config.query_cost.clone(),
        );
        let cache = config
            .cache
            .enabled
            .then(|| ResponseCache::new(&config.cache));
        Self {
            schema,
            planner,
            commerce,
            cache,
            in_flight: InFlight::default(),
            response_ttl: Duration::from_secs(config.cache.ttl_secs),
            live_max_age_secs: extensions
                .iter()
                .map(|e| e.max_age_secs())
                .fold(config.cache.ttl_secs, u64::min),
            extensions,
        }
    }

    /// The merged-data extensions (for their health).
    pub fn extensions(&self) -> &[Arc<dyn MergedExtension>] {
        &self.extensions
    }

    pub fn schema(&self) -> &Arc<ComposedSchema> {
        &self.schema
    }

    pub fn cache(&self) -> Option<&ResponseCache> {
        self.cache.as_ref()
    }

    /// Answers one operation.
    pub async fn execute(&self, request: GraphqlRequest, caller: &Caller) -> GatewayResponse {
        self.answer(request, caller).await.into_response()
    }

    /// Answers one operation; a response-cache hit comes with its stored headers.
    pub async fn answer(&self, request: GraphqlRequest, caller: &Caller) -> Answer {
        match self.try_execute(request, caller).await {
            Ok(answer) => answer,
            Err(error) => Answer::Response(GatewayResponse::from_error(&error)),
        }
    }

    async fn try_execute(
        &self,
        request: GraphqlRequest,
        caller: &Caller,
    ) -> Result<Answer, GatewayError> {
        let query = request
            .query
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| GatewayError::bad_request("The request has no `query`."))?;
        let variables = variables_of(request.variables)?;
        let plan = self
            .planner
            .plan(
                &query,
                request.operation_name.as_deref(),
                variables.as_ref(),
            )
            .await?;
        if caller.via_get && plan.operation_type != OperationType::Query {
            return Err(GatewayError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                code::METHOD_NOT_ALLOWED,
                None,
                "Mutations are accepted over POST only.",
            ));
        }
        record_route(&plan);
        let cost = plan.cost.check(variables.as_ref())?;
        let variables_text: Option<Arc<str>> = match &variables {
            Some(v) => Some(Arc::from(
                serde_json::to_string(v).map_err(|_| GatewayError::internal())?,
            )),
            None => None,
        };
        let answer = match plan.route {
            Route::Forward => {
                let upstream_query = plan
                    .upstream_query
                    .as_deref()
                    .ok_or_else(GatewayError::internal)?;
                let key = key_of(
                    upstream_query,
                    variables_text.as_deref(),
                    plan.operation_name.as_deref(),
                    &caller.headers,
                );
                // The hit path: nothing is built for Commerce.
                if plan.cacheable
                    && let Some(cache) = &self.cache
                    && let Some(stored) = cache.get(&key).await
                {
                    Answer::Hit {
                        stored,
                        cacheability: cacheability_for(&caller.headers, Cacheability::Public),
                    }
                } else {
                    let upstream = self.upstream_request(&plan, variables_text, caller)?;
                    let response = self.forward(&plan, upstream, Some(key)).await?;
                    relocate_errors(Answer::Response(response), &query, &plan)
                }
            }
            Route::Merge(ref merge) => {
                let upstream = self.upstream_request(&plan, variables_text, caller)?;
                let request = MergeRequest::new(&plan, merge, upstream, &query, variables, caller);
                let answer = self.forward_and_merge(request).await?;
                relocate_errors(answer, &query, &plan)
            }
            Route::Local => Answer::Response(
                self.execute_locally(&plan, query, variables, variables_text, caller)
                    .await?,
            ),
        };
        // A cost report rewrites the body, so a hit becomes a response of its own.
        Ok(if caller.report_cost {
            Answer::Response(report_cost(answer.into_response(), cost))
        } else {
            answer
        })
    }

    /// The plan `execute` would follow for `request` (cached), for checks at the HTTP edge.
    pub async fn plan_request(&self, request: &GraphqlRequest) -> Result<Arc<Plan>, GatewayError> {
        let query = request
            .query
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| GatewayError::bad_request("The request has no `query`."))?;
        let variables = request.variables.as_ref().filter(|v| v.is_object());
        self.planner
            .plan(query, request.operation_name.as_deref(), variables)
            .await
    }

    fn upstream_request(
        &self,
        plan: &Plan,
        variables: Option<Arc<str>>,
        caller: &Caller,
    ) -> Result<UpstreamRequest, GatewayError> {
        let query = plan
            .upstream_query
            .clone()
            .ok_or_else(GatewayError::internal)?;
        Ok(UpstreamRequest {
            query,
            variables,
            operation_name: plan.operation_name.clone(),
            method: if plan.cacheable {
                UpstreamMethod::Get
            } else {
                UpstreamMethod::Post
            },
            headers: caller.headers.clone(),
        })
    }

    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse, GatewayError> {
        let started = std::time::Instant::now();
        let answer = self.commerce.send(request).await;
        // For the access-log line (the request span, see `http::router`).
        tracing::Span::current()
            .record("upstream_ms", started.elapsed().as_micros() as f64 / 1000.0);
        answer.map_err(|e| {
            tracing::warn!(error = %e, "Commerce call failed");
            GatewayError::upstream_unavailable()
        })
    }
}

/// Commerce's errors in an answer that is not stored (errors never are) point at the field in
/// the client's document, not in the operation printed for Commerce (see `locations`).
fn relocate_errors(answer: Answer, query: &str, plan: &Plan) -> Answer {
    match answer {
        Answer::Response(mut response) if response.cacheability == Cacheability::NoStore => {
            let operation = plan.operation_name.as_deref();
            if let Some(body) = super::locations::relocate(&response.body, query, operation) {
                response.body = body;
            }
            Answer::Response(response)
        }
        other => other,
    }
}

/// Names the operation and its route (forward / merged / local) on the request span, for the
/// access-log line.
fn record_route(plan: &Plan) {
    let span = tracing::Span::current();
    if let Some(name) = &plan.operation_name {
        span.record("operation", tracing::field::display(name));
    }
    let route = match plan.route {
        Route::Forward => "forward",
        Route::Merge(_) => "merged",
        Route::Local => "local",
    };
    span.record("route", tracing::field::display(route));
}

/// The request's `variables`: absent, `null` or an object.
fn variables_of(variables: Option<Value>) -> Result<Option<Value>, GatewayError> {
    match variables {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(GatewayError::bad_request(
            "`variables` must be a JSON object.",
        )),
    }
}

/// Everything that can change Commerce's answer: the normalised operation, its variables, the
/// store, currency, cache identity (customer group) and company; and, for a caller with a
/// customer token, the token itself, so one customer's answers never reach another.
fn cache_key(upstream: &UpstreamRequest) -> CacheKey {
    key_of(
        &upstream.query,
        upstream.variables.as_deref(),
        upstream.operation_name.as_deref(),
        &upstream.headers,
    )
}

/// How an answer for a caller with these headers may be cached downstream: privately for a
/// customer (a customer token), else as `public`.
fn cacheability_for(headers: &ForwardedHeaders, public: Cacheability) -> Cacheability {
    if headers.customer_token().is_some() {
        Cacheability::Private
    } else {
        public
    }
}

/// [`cache_key`] from the parts of the upstream request, before it is built.
fn key_of(
    query: &str,
    variables: Option<&str>,
    operation_name: Option<&str>,
    headers: &ForwardedHeaders,
) -> CacheKey {
    fn bytes(value: Option<&str>) -> Option<&[u8]> {
        value.map(str::as_bytes)
    }
    let mut key = CacheKeyBuilder::default()
        .part(query.as_bytes())
        .optional(bytes(variables))
        .optional(bytes(operation_name))
        .optional(bytes(headers.store()))
        .optional(bytes(headers.currency()))
        .optional(bytes(headers.cache_id()))
        .optional(bytes(headers.company()))
        .optional(bytes(headers.preview_version()));
    if let Some(token) = headers.customer_token() {
        key = key.optional(Some(token.as_bytes()));
    }
    key.finish()
}
