//! The ERP/WMS feeds over HTTP, guarded (deadline, retries, breaker).

use std::time::Duration;

use super::Erp;
use super::model::{ErpProduct, StockRow};
use crate::config::FeedConfig;
use crate::sources::connector::ConnectorClient;
use crate::sources::feed::{Page, fetch_page};
use crate::sources::resilience::{Guard, SourceError, SourceHealth};

pub struct HttpErp {
    client: ConnectorClient,
    guard: Guard,
    max_answer_bytes: usize,
}

impl HttpErp {
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
            guard: Guard::new("erp", config.guard_settings()),
            max_answer_bytes: config.max_answer_bytes,
        }))
    }

    /// Breaker state, for `/readyz` and the jobs' status.
    pub fn health(&self) -> SourceHealth {
        self.guard.health()
    }
}

#[async_trait::async_trait]
impl Erp for HttpErp {
    async fn product_changes(
        &self,
        changed_since: i64,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ErpProduct>, SourceError> {
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

    async fn stock_full(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<StockRow>, SourceError> {
        fetch_page(
            &self.client,
            &self.guard,
            "/v1/stock",
            Vec::new(),
            cursor,
            limit,
            self.max_answer_bytes,
        )
        .await
    }

    async fn stock_changes(
        &self,
        since: i64,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<StockRow>, SourceError> {
        let query = vec![("since", since.max(0).to_string())];
        fetch_page(
            &self.client,
            &self.guard,
            "/v1/stock/changes",
            query,
            cursor,
            limit,
            self.max_answer_bytes,
        )
        .await
    }
}
