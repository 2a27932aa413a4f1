//! The forward route: Commerce's answer as it came, through the response cache when Commerce
//! would cache the operation, shared with identical calls in flight when the cache is off.

use std::sync::Arc;

use super::{Gateway, cacheability_for};
use crate::cache::{CacheKey, CachedResponse};
use crate::gateway::plan::Plan;
use crate::gateway::response::inspect;
use crate::gateway::{CacheStatus, Cacheability, GatewayError, GatewayResponse};
use crate::sources::commerce::{UpstreamRequest, UpstreamResponse};

/// Why an answer was not stored; carries the answer itself for every waiting caller.
struct Uncached(GatewayResponse);

impl Gateway {
    /// Commerce's answer: through the response cache when Commerce would cache the operation,
    /// deduplicated with identical calls in flight when the cache is off.
    pub(super) async fn forward(
        &self,
        plan: &Plan,
        upstream: UpstreamRequest,
        key: Option<CacheKey>,
    ) -> Result<GatewayResponse, GatewayError> {
        let cacheability = cacheability_for(&upstream.headers, Cacheability::Public);
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
        let loaded = cache
            .get_or_load(key, self.load_storable(upstream, cacheability))
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

    /// Commerce's answer for the response cache, or why it must not be stored.
    async fn load_storable(
        &self,
        upstream: UpstreamRequest,
        cacheability: Cacheability,
    ) -> Result<CachedResponse, Uncached> {
        let requested_cache_id = upstream.headers.cache_id().map(str::to_owned);
        let answer = self
            .send(upstream)
            .await
            .map_err(|e| Uncached(GatewayResponse::from_error(&e)))?;
        let (response, storable) = relay(answer, CacheStatus::Miss, cacheability)
            .map_err(|e| Uncached(GatewayResponse::from_error(&e)))?;
        // Commerce re-identifies a caller whose cache id is stale or forged: never file its
        // answer under the identity the caller claimed.
        let identity_holds = requested_cache_id.is_none()
            || requested_cache_id.as_deref()
                == response.cache_id.as_ref().and_then(|v| v.to_str().ok());
        if storable && identity_holds {
            Ok(CachedResponse {
                body: response.body,
                cache_id: response.cache_id,
                tags: response.tags,
            })
        } else {
            Err(Uncached(response))
        }
    }
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
