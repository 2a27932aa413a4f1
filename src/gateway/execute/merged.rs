//! The merged route: Commerce's answer (forwarded as usual) with the extensions' fields and
//! overwrites applied, kept in the merged-answer cache while its live data is fresh.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{Gateway, cache_key, cacheability_for};
use crate::cache::{CacheKey, CacheKeyBuilder, CachedMerged, CachedResponse, StoredResponse};
use crate::gateway::extension::MergedData;
use crate::gateway::merge::{
    MergeErrors, MergeInput, MergePlan, ShapeContext, Shaped, shape, write,
};
use crate::gateway::plan::Plan;
use crate::gateway::{Answer, Cacheability, Caller, GatewayError, GatewayResponse};
use crate::sources::commerce::UpstreamRequest;

/// One operation on the merge route.
pub(super) struct MergeRequest<'r> {
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

impl<'r> MergeRequest<'r> {
    /// The merge of `plan`; the merged answer is keyed on Commerce's key and on the client's
    /// own document (the upstream query leaves the extension fields' arguments and
    /// sub-selections out).
    pub(super) fn new(
        plan: &'r Plan,
        merge: &'r MergePlan,
        upstream: UpstreamRequest,
        query: &str,
        variables: Option<Value>,
        caller: &'r Caller,
    ) -> Self {
        let key = cache_key(&upstream);
        let merged_key = CacheKeyBuilder::default()
            .part(&key)
            .part(b"merged")
            .part(query.as_bytes())
            .finish();
        Self {
            plan,
            merge,
            upstream,
            key,
            merged_key,
            variables,
            caller,
        }
    }
}

impl Gateway {
    /// A merged answer: from the merged-answer cache while its live data is fresh, else
    /// Commerce's answer (cached as usual) with the merged data applied.
    pub(super) async fn forward_and_merge(
        &self,
        request: MergeRequest<'_>,
    ) -> Result<Answer, GatewayError> {
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
            return Ok(self.merged_hit(hit, caller));
        }
        if self.cache.is_none()
            && let Some(mk) = merged_key
        {
            // Identical concurrent requests share the Commerce call and the merge too.
            let response = self
                .in_flight
                .run(mk, async {
                    let commerce = self.forward(plan, upstream, Some(key)).await?;
                    Ok(self.merge(merge, commerce, variables, caller).await?.0)
                })
                .await?;
            return Ok(Answer::Response(response));
        }
        let commerce = self.forward(plan, upstream, Some(key)).await?;
        let (response, fresh_for) = self.merge(merge, commerce, variables, caller).await?;
        if let (Some(mk), Some(ttl)) = (merged_key, fresh_for) {
            self.store_merged(mk, &response, ttl).await;
        }
        Ok(Answer::Response(response))
    }

    /// A merged answer from the cache.
    fn merged_hit(&self, stored: Arc<StoredResponse>, caller: &Caller) -> Answer {
        let public = Cacheability::PublicFor(self.live_max_age_secs);
        Answer::Hit {
            stored,
            cacheability: cacheability_for(&caller.headers, public),
        }
    }

    /// Keeps a merged answer for `ttl` (while its live data is fresh), if it may be kept.
    async fn store_merged(&self, key: CacheKey, response: &GatewayResponse, ttl: Duration) {
        let Some(cache) = &self.cache else {
            return;
        };
        if response.status != 200 || response.cacheability == Cacheability::NoStore {
            return;
        }
        let entry = CachedResponse {
            body: response.body.clone(),
            cache_id: response.cache_id.clone(),
            tags: response.tags.clone(),
        };
        cache
            .insert_merged(
                key,
                CachedMerged {
                    response: entry,
                    ttl,
                },
            )
            .await;
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
        // Room for Commerce's answer and the merged values, so the body is written in one go.
        let capacity = commerce.body.len() + commerce.body.len() / 2 + 1024;
        let data_json = write_data(shaped.as_ref(), &input, &mut merge_errors, capacity)
            .map_err(|_| GatewayError::internal())?;
        let stale = merge_errors.stale;
        let mut errors = answer.errors;
        errors.extend(merge_errors.into_errors(&data));
        let body = merged_body(&errors, data_json, answer.extensions)
            .map_err(|_| GatewayError::internal())?;
        let cacheability = match commerce.cacheability {
            _ if stale || !errors.is_empty() => Cacheability::NoStore,
            Cacheability::Public => Cacheability::PublicFor(self.live_max_age_secs),
            other => other,
        };
        let fresh_for = (!stale && errors.is_empty()).then(|| self.fresh_for(&data));
        Ok((
            GatewayResponse {
                body: Bytes::from(body),
                cacheability,
                ..commerce
            },
            fresh_for,
        ))
    }
}

impl Gateway {
    /// How long a merged answer stays fresh: as long as its freshest-expiring part, at most
    /// the response cache's TTL.
    fn fresh_for(&self, data: &[Box<dyn MergedData>]) -> Duration {
        let now = Instant::now();
        data.iter()
            .filter_map(|d| d.fresh_until())
            .map(|until| until.saturating_duration_since(now))
            .fold(self.response_ttl, Duration::min)
    }
}

/// How the body of a merged answer begins when it has no errors: `data` comes first.
const DATA_FIRST: &[u8] = b"{\"data\":";

/// `{"data":` and the merged `data`, slots filled (`null` when Commerce answered none).
fn write_data(
    shaped: Option<&Shaped<'_, '_>>,
    input: &MergeInput<'_>,
    errors: &mut MergeErrors,
    capacity: usize,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(DATA_FIRST);
    match shaped {
        Some(shaped) => write(shaped, input, &mut Vec::new(), errors, &mut out)?,
        None => out.extend_from_slice(b"null"),
    }
    Ok(out)
}

/// The merged answer's body: errors, the merged `data` (as [`write_data`] wrote it),
/// Commerce's `extensions`. Without errors, `data` is already where it belongs.
fn merged_body(
    errors: &[Value],
    data: Vec<u8>,
    extensions: Option<&RawValue>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = if errors.is_empty() {
        data
    } else {
        let mut body = Vec::with_capacity(data.len() + 256);
        body.extend_from_slice(b"{\"errors\":");
        serde_json::to_writer(&mut body, errors)?;
        body.push(b',');
        body.extend_from_slice(data.get(1..).unwrap_or_default());
        body
    };
    if let Some(extensions) = extensions {
        body.extend_from_slice(b",\"extensions\":");
        body.extend_from_slice(extensions.get().as_bytes());
    }
    body.push(b'}');
    // The body may be kept in the merged-answer cache: it holds no spare room.
    body.shrink_to_fit();
    Ok(body)
}
