//! The PIM's content feed over HTTP, guarded (deadline, retries, breaker).

use std::time::Duration;

use super::Pim;
use super::model::PimProduct;
use crate::config::FeedConfig;
use crate::sources::connector::ConnectorClient;
use crate::sources::feed::{Page, fetch_page};
use crate::sources::resilience::{Guard, SourceError, SourceHealth};

pub struct HttpPim {
    client: ConnectorClient,
    guard: Guard,
    max_answer_bytes: usize,
}

impl HttpPim {
    /// The client of `config.url`; `None` when no URL is configured.
    pub fn from_config(config: &FeedConfig) -> Result<Option<Self>, SourceError> {
        let url = config.url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        let attempt = Duration::from_millis(config.timeout_ms);
        let client = ConnectorClient::new(url, config.token.clone(), attempt)?;
        Ok(Some(Self {
            client,
            guard: Guard::new("pim", config.guard_settings()),
            max_answer_bytes: config.max_answer_bytes,
        }))
    }

    /// Breaker state, for `/readyz` and the jobs' status.
    pub fn health(&self) -> SourceHealth {
        self.guard.health()
    }
}

#[async_trait::async_trait]
impl Pim for HttpPim {
    async fn content_changes(
        &self,
        changed_since: i64,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<PimProduct>, SourceError> {
        let query = vec![("changed_since", changed_since.max(0).to_string())];
        fetch_page(
            &self.client,
            &self.guard,
            "/v1/products",
            query,
            cursor,
            limit,
            self.max_answer_bytes,
        )
        .await
    }
}
