//! The CRM connector over HTTP.

use super::Crm;
use super::model::{MAX_ANSWER_BYTES, Verdict, VerifyRequest};
use crate::sources::connector::ConnectorClient;
use crate::sources::resilience::SourceError;

pub struct HttpCrm {
    client: ConnectorClient,
}

impl HttpCrm {
    pub fn new(client: ConnectorClient) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl Crm for HttpCrm {
    async fn verify_person(&self, request: &VerifyRequest) -> Result<Verdict, SourceError> {
        self.client
            .post_bounded("/v1/persons/verify", request, MAX_ANSWER_BYTES)
            .await
    }
}
