//! The CPQ connector over HTTP.

use super::Cpq;
use super::model::{LookupRequest, PriceLookup};
use crate::sources::connector::ConnectorClient;
use crate::sources::resilience::SourceError;

pub struct HttpCpq {
    client: ConnectorClient,
}

impl HttpCpq {
    pub fn new(client: ConnectorClient) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl Cpq for HttpCpq {
    async fn lookup(
        &self,
        company_id: &str,
        currency: &str,
        skus: &[String],
    ) -> Result<PriceLookup, SourceError> {
        let body = LookupRequest {
            company_id,
            currency,
            skus,
        };
        match self.client.post("/v1/contract-prices/lookup", &body).await {
            // A company the CPQ does not know has no contract: not a failure.
            Err(SourceError::Status(404)) => Ok(PriceLookup::default()),
            other => other,
        }
    }
}
