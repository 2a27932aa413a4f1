//! The local route: introspection (and resolver-backed extensions) executed on the composed
//! schema, over Commerce's answer to the rest of the operation.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::Gateway;
use crate::gateway::plan::Plan;
use crate::gateway::response::{clean_error, split};
use crate::gateway::schema::UpstreamData;
use crate::gateway::{CacheStatus, Cacheability, Caller, GatewayError, GatewayResponse};

impl Gateway {
    pub(super) async fn execute_locally(
        &self,
        plan: &Plan,
        query: String,
        variables: Option<Value>,
        variables_text: Option<Arc<str>>,
        caller: &Caller,
    ) -> Result<GatewayResponse, GatewayError> {
        let (data, mut upstream_errors, cache_id) = match &plan.upstream_query {
            Some(_) => {
                let upstream = self.upstream_request(plan, variables_text, caller)?;
                let answer = self.send(upstream).await?;
                let (data, errors) = split(&answer.body).map_err(|e| {
                    tracing::warn!(error = %e, "Commerce answered with a body that is not GraphQL JSON");
                    GatewayError::upstream_unavailable()
                })?;
                (data, errors, answer.cache_id)
            }
            None => (Value::Null, Vec::new(), None),
        };
        let mut request = async_graphql::Request::new(query).data(UpstreamData(data));
        if let Some(name) = &plan.operation_name {
            request = request.operation_name(name.as_ref());
        }
        if let Some(v) = variables {
            request = request.variables(async_graphql::Variables::from_json(v));
        }
        let response = self.schema.executable.execute(request).await;
        let mut errors: Vec<Value> = response
            .errors
            .iter()
            .map(|e| clean_error(serde_json::to_value(e).unwrap_or(Value::Null)))
            .collect();
        errors.append(&mut upstream_errors);

        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Vec::is_empty")]
            errors: &'a Vec<Value>,
            data: &'a async_graphql::Value,
        }
        let body = serde_json::to_vec(&Body {
            errors: &errors,
            data: &response.data,
        })
        .map_err(|_| GatewayError::internal())?;
        Ok(GatewayResponse {
            status: 200,
            body: Bytes::from(body),
            cacheability: Cacheability::NoStore,
            cache_status: CacheStatus::Bypass,
            cache_id,
            tags: Arc::from([]),
        })
    }
}
