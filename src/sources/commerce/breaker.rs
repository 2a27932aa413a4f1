//! The circuit breaker in front of Commerce: after `commerce.breaker_failures` consecutive
//! failed calls (unreachable, timed out, answered without a GraphQL body) calls are refused at
//! once for `commerce.breaker_open_ms`, then one probe decides. The connectors' [`Guard`], with
//! no retries (mutations are not idempotent) and Commerce's own timeout as the deadline.

use std::sync::Arc;
use std::time::Duration;

use super::{CommerceError, CommerceGraphql, UpstreamRequest, UpstreamResponse};
use crate::config::CommerceConfig;
use crate::sources::resilience::{Guard, GuardSettings, SourceError, SourceHealth};
use crate::sources::transport::TransportError;

/// A Commerce client behind a circuit breaker.
pub struct GuardedCommerce {
    inner: Arc<dyn CommerceGraphql>,
    guard: Guard,
}

impl GuardedCommerce {
    pub fn new(inner: Arc<dyn CommerceGraphql>, config: &CommerceConfig) -> Self {
        let settings = GuardSettings {
            // The client's own timeout answers first; this only backs it up.
            deadline: Duration::from_millis(config.timeout_ms + config.connect_timeout_ms),
            retries: 0,
            breaker_failures: config.breaker_failures,
            breaker_open: Duration::from_millis(config.breaker_open_ms),
        };
        Self {
            inner,
            guard: Guard::new("commerce", settings),
        }
    }
}

#[async_trait::async_trait]
impl CommerceGraphql for GuardedCommerce {
    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse, CommerceError> {
        // `Guard::call` wants a repeatable call; with no retries it runs at most once.
        let mut request = Some(request);
        let result = self
            .guard
            .call(|| {
                let once = request.take();
                async move {
                    let request = once.ok_or(SourceError::NotConfigured)?;
                    self.inner.send(request).await.map_err(to_source_error)
                }
            })
            .await;
        result.map_err(to_commerce_error)
    }

    fn breaker(&self) -> Option<SourceHealth> {
        Some(self.guard.health())
    }
}

fn to_source_error(e: CommerceError) -> SourceError {
    match e {
        CommerceError::Timeout(ms) => SourceError::Deadline(ms),
        CommerceError::Transport(detail) => SourceError::Transport(detail),
        CommerceError::Status { status } => SourceError::Status(status),
        CommerceError::BreakerOpen => SourceError::BreakerOpen,
    }
}

fn to_commerce_error(e: SourceError) -> CommerceError {
    match e {
        SourceError::Deadline(ms) => CommerceError::Timeout(ms),
        SourceError::BreakerOpen => CommerceError::BreakerOpen,
        SourceError::Status(status) => CommerceError::Status { status },
        SourceError::Transport(detail) => CommerceError::Transport(detail),
        SourceError::Decode(detail) => CommerceError::Transport(TransportError::other(detail)),
        SourceError::NotConfigured => {
            CommerceError::Transport(TransportError::other("not configured"))
        }
    }
}
