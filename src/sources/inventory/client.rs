//! The inventory connector over HTTP.

use super::Inventory;
use super::model::{LookupAnswer, LookupRequest, StockItem};
use crate::sources::connector::ConnectorClient;
use crate::sources::resilience::SourceError;

pub struct HttpInventory {
    client: ConnectorClient,
}

impl HttpInventory {
    pub fn new(client: ConnectorClient) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl Inventory for HttpInventory {
    async fn lookup(&self, skus: &[String]) -> Result<Vec<StockItem>, SourceError> {
        let answer: LookupAnswer = self
            .client
            .post("/v1/stock/lookup", &LookupRequest { skus })
            .await?;
        Ok(answer.items)
    }
}
