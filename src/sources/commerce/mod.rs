//! Adobe Commerce's storefront GraphQL: the operation the gateway delegates, and the answer.

pub mod admin;
mod breaker;
mod client;
mod model;

pub(crate) use breaker::GuardedCommerce;
pub use client::HttpCommerce;
pub use model::{ForwardedHeaders, UpstreamMethod, UpstreamRequest, UpstreamResponse};

/// Why a call to Commerce produced no GraphQL answer. The detail is for logs only.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    #[error("Commerce did not answer within {0} ms")]
    Timeout(u64),
    #[error("Commerce could not be reached: {0}")]
    Transport(crate::sources::transport::TransportError),
    #[error("Commerce answered HTTP {status} without a GraphQL body")]
    Status { status: u16 },
    #[error("Commerce's circuit breaker is open")]
    BreakerOpen,
}

/// Commerce's storefront GraphQL endpoint.
#[async_trait::async_trait]
pub trait CommerceGraphql: Send + Sync + 'static {
    /// Sends one GraphQL operation and returns Commerce's answer (GraphQL errors included).
    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse, CommerceError>;

    /// The circuit breaker's state, for `/readyz`, when this client has one.
    fn breaker(&self) -> Option<crate::sources::resilience::SourceHealth> {
        None
    }
}
