//! Answering a planned operation: the forward fast path (through the response cache when
//! Commerce would cache the operation) and local execution on the composed schema.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::extension::{MergedData, MergedExtension};
use super::merge::{MergeErrors, MergeInput, MergePlan, MergedFields, ShapeContext, shape};
use super::plan::{Plan, Planner, Route};
use super::response::{clean_error, inspect, split};
use super::schema::{ComposedSchema, UpstreamData};
use super::{CacheStatus, Cacheability, Caller, GatewayError, GatewayResponse, GraphqlRequest};
use crate::cache::{
    CacheKey, CacheKeyBuilder, CachedMerged, CachedResponse, InFlight, ResponseCache,
};
use crate::config::Config;
use crate::sources::commerce::{
    CommerceGraphql, UpstreamMethod, UpstreamRequest, UpstreamResponse,
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

/// Why an answer was not stored; carries the answer itself for every waiting caller.
struct Uncached(GatewayResponse);

/// One operation on the merge route.
struct MergeRequest<'r> {
    plan: &'r Plan,
    merge: &'r MergePlan,
    upstream: UpstreamRequest,
    /// Commerce's answer's cache key.
    key: CacheKey,
    /// The merged answer's cache key (also its in-flight key).
    merged_key: CacheKey,
    variables: Option<Value>,
    caller: &'r Caller,
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
        match self.try_execute(request, caller).await {
            Ok(response) => response,
            Err(error) => GatewayResponse::from_error(&error),
        }
    }

    async fn try_execute(
        &self,
        request: GraphqlRequest,
        caller: &Caller,
    ) -> Result<GatewayResponse, GatewayError> {
        let query = request
            .query
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| GatewayError::bad_request("The request has no `query`."))?;
        let variables = match request.variables {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v),
            Some(_) => {
                return Err(GatewayError::bad_request(
                    "`variables` must be a JSON object.",
                ));
            }
        };
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
                "METHOD_NOT_ALLOWED",
                None,
                "Mutations are accepted over POST only.",
            ));
        }
        let variables_text: Option<Arc<str>> = match &variables {
            Some(v) => Some(Arc::from(
                serde_json::to_string(v).map_err(|_| GatewayError::internal())?,
            )),
            None => None,
        };
        match plan.route {
            Route::Forward => {
                let upstream = self.upstream_request(&plan, variables_text, caller)?;
                let key = cache_key(&upstream);
                self.forward(&plan, upstream, Some(key)).await
            }
            Route::Merge(ref merge) => {
                let upstream = self.upstream_request(&plan, variables_text, caller)?;
                let key = cache_key(&upstream);
                // The upstream query leaves the extension fields out: the merged answer is keyed
                // on the client's own document too (their arguments and sub-selections).
                let merged_key = CacheKeyBuilder::default()
                    .part(&key)
                    .part(b"merged")
                    .part(query.as_bytes())
                    .finish();
                let request = MergeRequest {
                    plan: &plan,
                    merge,
                    upstream,
                    key,
                    merged_key,
                    variables,
                    caller,
                };
                self.forward_and_merge(request).await
            }
            Route::Local => {
                self.execute_locally(&plan, query, variables, variables_text, caller)
                    .await
            }
        }
    }

    /// Commerce's answer: through the response cache when Commerce would cache the operation,
    /// deduplicated with identical calls in flight when the cache is off.
    async fn forward(
        &self,
        plan: &Plan,
        upstream: UpstreamRequest,
        key: Option<CacheKey>,
    ) -> Result<GatewayResponse, GatewayError> {
        let private = upstream.headers.get("authorization").is_some();
        let cacheability = if private {
            Cacheability::Private
        } else {
            Cacheability::Public
        };
        let Some(key) = key.filter(|_| plan.cacheable) else {
            let answer = self.send(upstream).await?;
            return Ok(relay(answer, CacheStatus::Bypass, Cacheability::NoStore)?.0);
        };
        let Some(cache) = &self.cache else {
            return self
                .in_flight
                .run(key, async {
                    let answer = self.send(upstream).await?;
                    Ok(relay(answer, CacheStatus::Bypass, cacheability)?.0)
                })
                .await;
        };
        let requested_cache_id = upstream.headers.get("x-magento-cache-id").cloned();
        let loaded = cache
            .get_or_load(key, async {
                let answer = self
                    .send(upstream)
                    .await
                    .map_err(|e| Uncached(GatewayResponse::from_error(&e)))?;
                let (response, storable) = relay(answer, CacheStatus::Miss, cacheability)
                    .map_err(|e| Uncached(GatewayResponse::from_error(&e)))?;
                // Commerce re-identifies a caller whose cache id is stale or forged: never file
                // its answer under the identity the caller claimed.
                let identity_holds =
                    requested_cache_id.is_none() || requested_cache_id == response.cache_id;
                if storable && identity_holds {
                    Ok(CachedResponse {
                        body: response.body,
                        cache_id: response.cache_id,
                        tags: response.tags,
                    })
                } else {
                    Err(Uncached(response))
                }
            })
            .await;
        match loaded {
            Ok((entry, hit)) => Ok(GatewayResponse {
                status: 200,
                body: entry.body,
                cacheability,
                cache_status: if hit {
                    CacheStatus::Hit
                } else {
                    CacheStatus::Miss
                },
                cache_id: entry.cache_id,
                tags: entry.tags,
            }),
            Err(uncached) => Ok(uncached.0.clone()),
        }
    }

    /// A merged answer: from the merged-answer cache while its live data is fresh, else
    /// Commerce's answer (cached as usual) with the merged data applied.
    async fn forward_and_merge(
        &self,
        request: MergeRequest<'_>,
    ) -> Result<GatewayResponse, GatewayError> {
        let MergeRequest {
            plan,
            merge,
            upstream,
            key,
            merged_key,
            variables,
            caller,
        } = request;
        let merged_key = plan.cacheable.then_some(merged_key);
        if let (Some(cache), Some(mk)) = (&self.cache, &merged_key)
            && let Some(hit) = cache.get_merged(mk).await
        {
            let private = caller.headers.get("authorization").is_some();
            return Ok(GatewayResponse {
                status: 200,
                body: hit.body,
                cacheability: if private {
                    Cacheability::Private
                } else {
                    Cacheability::PublicFor(self.live_max_age_secs)
                },
                cache_status: CacheStatus::Hit,
                cache_id: hit.cache_id,
                tags: hit.tags,
            });
        }
        if self.cache.is_none()
            && let Some(mk) = merged_key
        {
            // Identical concurrent requests share the Commerce call and the merge too.
            return self
                .in_flight
                .run(mk, async {
                    let commerce = self.forward(plan, upstream, Some(key)).await?;
                    Ok(self.merge(merge, commerce, variables, caller).await?.0)
                })
                .await;
        }
        let commerce = self.forward(plan, upstream, Some(key)).await?;
        let (response, fresh_for) = self.merge(merge, commerce, variables, caller).await?;
        if let (Some(cache), Some(mk), Some(ttl)) = (&self.cache, merged_key, fresh_for)
            && response.status == 200
            && response.cacheability != Cacheability::NoStore
        {
            let entry = CachedResponse {
                body: response.body.clone(),
                cache_id: response.cache_id.clone(),
                tags: response.tags.clone(),
            };
            cache
                .insert_merged(
                    mk,
                    CachedMerged {
                        response: entry,
                        ttl,
                    },
                )
                .await;
        }
        Ok(response)
    }

    /// Applies the extension fields and overwrites to Commerce's answer: one batched call per
    /// source for the SKUs the answer holds, served from the entity caches where fresh.
    async fn merge(
        &self,
        plan: &MergePlan,
        commerce: GatewayResponse,
        variables: Option<Value>,
        caller: &Caller,
    ) -> Result<(GatewayResponse, Option<Duration>), GatewayError> {
        /// Commerce's answer with `data` left raw for the merge to shape.
        #[derive(serde::Deserialize)]
        struct Answer<'a> {
            #[serde(borrow, default)]
            data: Option<&'a RawValue>,
            #[serde(default)]
            errors: Vec<Value>,
            #[serde(borrow, default)]
            extensions: Option<&'a RawValue>,
        }
        let variables = plan.variables(variables.as_ref());
        let mut cx = ShapeContext::new(plan, &variables);
        let parsed = serde_json::from_slice::<Answer<'_>>(&commerce.body)
            .ok()
            .and_then(|a| match a.data {
                Some(raw) => shape(raw, &mut cx).ok().map(|shaped| (a, Some(shaped))),
                None => Some((a, None)),
            });
        let Some((answer, shaped)) = parsed else {
            return Ok((commerce, None));
        };
        let fetches = self
            .extensions
            .iter()
            .zip(cx.needed)
            .map(|(extension, skus)| extension.fetch(&caller.headers, skus.into_iter().collect()));
        let data: Vec<Box<dyn MergedData>> = futures_util::future::join_all(fetches).await;
        let input = MergeInput {
            data: &data,
            variables: &variables,
        };
        let mut merge_errors = MergeErrors::default();
        let mut data_json = Vec::with_capacity(commerce.body.len() + 4096);
        match &shaped {
            Some(shaped) => super::merge::write(
                shaped,
                &input,
                &mut Vec::new(),
                &mut merge_errors,
                &mut data_json,
            )
            .map_err(|_| GatewayError::internal())?,
            None => data_json.extend_from_slice(b"null"),
        }
        let stale = merge_errors.stale;
        let mut errors = answer.errors;
        errors.extend(merge_errors.into_errors(&data));
        let body = merged_body(&errors, &data_json, answer.extensions)
            .map_err(|_| GatewayError::internal())?;
        let cacheability = match commerce.cacheability {
            _ if stale || !errors.is_empty() => Cacheability::NoStore,
            Cacheability::Public => Cacheability::PublicFor(self.live_max_age_secs),
            other => other,
        };
        // The merged answer stays fresh as long as its freshest-expiring part.
        let now = Instant::now();
        let fresh_for = data
            .iter()
            .filter_map(|d| d.fresh_until())
            .map(|until| until.saturating_duration_since(now))
            .min()
            .unwrap_or(self.response_ttl);
        let fresh_for = (!stale && errors.is_empty()).then_some(fresh_for.min(self.response_ttl));
        Ok((
            GatewayResponse {
                body: Bytes::from(body),
                cacheability,
                ..commerce
            },
            fresh_for,
        ))
    }

    async fn execute_locally(
        &self,
        plan: &Plan,
        query: String,
        variables: Option<Value>,
        variables_text: Option<Arc<str>>,
        caller: &Caller,
    ) -> Result<GatewayResponse, GatewayError> {
        let (data, mut upstream_errors, cache_id) = match &plan.upstream_query {
            Some(_) => {
                let upstream = self.upstream_request(plan, variables_text, caller)?;
                let answer = self.send(upstream).await?;
                let (data, errors) = split(&answer.body).map_err(|e| {
                    tracing::warn!(error = %e, "Commerce answered with a body that is not GraphQL JSON");
                    GatewayError::upstream_unavailable()
                })?;
                (data, errors, answer.cache_id)
            }
            None => (Value::Null, Vec::new(), None),
        };
        let mut request = async_graphql::Request::new(query).data(UpstreamData(data));
        if let Some(name) = &plan.operation_name {
            request = request.operation_name(name.as_ref());
        }
        if let Some(v) = variables {
            request = request.variables(async_graphql::Variables::from_json(v));
        }
        let response = self.schema.executable.execute(request).await;
        let mut errors: Vec<Value> = response
            .errors
            .iter()
            .map(|e| clean_error(serde_json::to_value(e).unwrap_or(Value::Null)))
            .collect();
        errors.append(&mut upstream_errors);

        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Vec::is_empty")]
            errors: &'a Vec<Value>,
            data: &'a async_graphql::Value,
        }
        let body = serde_json::to_vec(&Body {
            errors: &errors,
            data: &response.data,
        })
        .map_err(|_| GatewayError::internal())?;
        Ok(GatewayResponse {
            status: 200,
            body: Bytes::from(body),
            cacheability: Cacheability::NoStore,
            cache_status: CacheStatus::Bypass,
            cache_id,
            tags: Arc::from([]),
        })
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
        self.commerce.send(request).await.map_err(|e| {
            tracing::warn!(error = %e, "Commerce call failed");
            GatewayError::upstream_unavailable()
        })
    }
}

/// The merged answer's body: errors, the merged `data`, Commerce's `extensions`.
fn merged_body(
    errors: &[Value],
    data: &[u8],
    extensions: Option<&RawValue>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = Vec::with_capacity(data.len() + 256);
    body.push(b'{');
    if !errors.is_empty() {
        body.extend_from_slice(b"\"errors\":");
        serde_json::to_writer(&mut body, errors)?;
        body.push(b',');
    }
    body.extend_from_slice(b"\"data\":");
    body.extend_from_slice(data);
    if let Some(extensions) = extensions {
        body.extend_from_slice(b",\"extensions\":");
        body.extend_from_slice(extensions.get().as_bytes());
    }
    body.push(b'}');
    Ok(body)
}

/// Commerce's answer as the client's response; the flag says whether it may be stored.
fn relay(
    answer: UpstreamResponse,
    cache_status: CacheStatus,
    cacheability: Cacheability,
) -> Result<(GatewayResponse, bool), GatewayError> {
    let inspected = inspect(answer.body).map_err(|e| {
        tracing::warn!(error = %e, status = answer.status, "Commerce answered with a body that is not GraphQL JSON");
        GatewayError::upstream_unavailable()
    })?;
    let storable = !inspected.has_errors && answer.status == 200;
    let response = GatewayResponse {
        status: answer.status,
        body: inspected.body,
        cacheability: if storable {
            cacheability
        } else {
            Cacheability::NoStore
        },
        cache_status,
        cache_id: answer.cache_id,
        tags: Arc::from(answer.tags),
    };
    Ok((response, storable))
}

/// Everything that can change Commerce's answer: the normalised operation, its variables, the
/// store, currency, cache identity (customer group) and company; and, for a caller with a
/// customer token, the token itself, so one customer's answers never reach another.
fn cache_key(upstream: &UpstreamRequest) -> CacheKey {
    let private = upstream.headers.get("authorization").is_some();
    let header = |name: &str| upstream.headers.get(name).map(|v| v.as_bytes());
    let mut key = CacheKeyBuilder::default()
        .part(upstream.query.as_bytes())
        .optional(upstream.variables.as_deref().map(str::as_bytes))
        .optional(upstream.operation_name.as_deref().map(str::as_bytes))
        .optional(header("store"))
        .optional(header("content-currency"))
        .optional(header("x-magento-cache-id"))
        .optional(header("x-adobe-company"))
        .optional(header("preview-version"));
    if private {
        key = key.optional(header("authorization"));
    }
    key.finish()
}
