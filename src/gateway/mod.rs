//! The GraphQL request path (DESIGN §2.1): parse → limits → plan → cache → fetch → merge.
//!
//! * [`plan`] turns a client document into a validated [`plan::Plan`] (cached per document).
//! * An operation with no BFF-owned fields is forwarded and Commerce's body returned as it came
//!   (the fast path), through the response cache when Commerce would cache it.
//! * Anything else (introspection, extension fields) executes on the composed schema, whose
//!   Commerce fields read Commerce's answer to the planned upstream operation.

mod cost;
mod error;
mod execute;
pub mod extension;
pub mod introspection;
mod limits;
mod locations;
mod merge;
mod normalize;
pub mod plan;
mod printer;
mod response;
pub mod schema;
mod sensitive;

use std::sync::Arc;

use axum::http::HeaderValue;
use bytes::Bytes;

pub use error::{GatewayError, code};
pub use execute::Gateway;
pub(crate) use limits::check_variables_nesting;
pub use schema::{ComposedSchema, Extension, SchemaSource};

use crate::cache::StoredResponse;
use crate::sources::commerce::ForwardedHeaders;

/// One GraphQL operation as a client sent it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlRequest {
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub variables: Option<serde_json::Value>,
    #[serde(default)]
    pub operation_name: Option<String>,
}

/// What the gateway knows about the caller.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// Headers for Commerce, already filtered.
    pub headers: ForwardedHeaders,
    /// The request came as GET (so it must not run a mutation).
    pub via_get: bool,
    /// The client asked for the operation's cost in `extensions.cost` (`X-Query-Cost: true`).
    pub report_cost: bool,
}

/// Whether and how the answer may be cached downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cacheability {
    /// Anonymous answer of a cacheable query: CDNs may keep it.
    Public,
    /// Anonymous, but with live data: CDNs may keep it this many seconds.
    PublicFor(u64),
    /// Cacheable, but for this caller only.
    Private,
    /// Mutations, errors, customer data.
    NoStore,
}

/// How the response cache took part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
    Bypass,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }
}

/// The gateway's answer, ready for HTTP.
#[derive(Debug, Clone)]
pub struct GatewayResponse {
    pub status: u16,
    pub body: Bytes,
    pub cacheability: Cacheability,
    pub cache_status: CacheStatus,
    /// Commerce's `X-Magento-Cache-Id`, passed back to the client.
    pub cache_id: Option<HeaderValue>,
    /// Commerce's tags of the entities in the answer, as CDN surrogate keys.
    pub tags: Arc<[String]>,
}

/// The gateway's answer to one operation.
#[derive(Debug)]
pub enum Answer {
    Response(GatewayResponse),
    /// A response-cache hit (Commerce's answer or a merged one), with the headers built when
    /// it was stored.
    Hit {
        stored: Arc<StoredResponse>,
        cacheability: Cacheability,
    },
}

impl Answer {
    /// As a [`GatewayResponse`] (for batches, which answer with one body).
    pub fn into_response(self) -> GatewayResponse {
        match self {
            Answer::Response(response) => response,
            Answer::Hit {
                stored,
                cacheability,
            } => GatewayResponse {
                status: 200,
                body: stored.response.body.clone(),
                cacheability,
                cache_status: CacheStatus::Hit,
                cache_id: stored.response.cache_id.clone(),
                tags: stored.response.tags.clone(),
            },
        }
    }
}

impl GatewayResponse {
    pub fn from_error(error: &GatewayError) -> Self {
        Self {
            status: error.status.as_u16(),
            body: Bytes::from(error.body()),
            cacheability: Cacheability::NoStore,
            cache_status: CacheStatus::Bypass,
            cache_id: None,
            tags: Arc::from([]),
        }
    }
}
