//! GraphQL: mint a customer token as admin, then act as the customer with it (cart id, guest
//! cart merge, token revocation at logout).

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{Acting, AdminError, CommerceAdmin, read_bounded};
use crate::auth::{CustomerTokenMinter, MintError, MintedToken};

/// Commerce's default customer-token lifetime, in seconds; a session re-mints before it.
const CUSTOMER_TOKEN_LIFETIME_SECS: i64 = 3_600;

/// Sessions re-mint an expiring token through the same admin path as the sign-in.
#[async_trait::async_trait]
impl CustomerTokenMinter for CommerceAdmin {
    async fn mint(&self, email: &str) -> Result<MintedToken, MintError> {
        self.mint_customer_token(email).await.map_err(|e| match e {
            AdminError::Transport(_) | AdminError::Malformed(_) => {
                MintError::Unavailable(e.to_string())
            }
            AdminError::Status { status, .. } if status >= 500 => {
                MintError::Unavailable(e.to_string())
            }
            _ => MintError::Refused(e.to_string()),
        })
    }
}

impl CommerceAdmin {
    /// `generateCustomerTokenAsAdmin(input: { customer_email })` with the admin token.
    pub async fn generate_customer_token(&self, email: &str) -> Result<SecretString, AdminError> {
        let query = "mutation($email: String!) { generateCustomerTokenAsAdmin(input: { \
                     customer_email: $email }) { customer_token } }";
        let body = json!({ "query": query, "variables": { "email": email } });
        let (status, answer) = self
            .send_as_admin(Acting::AdminUser, |http| {
                http.post(&self.graphql_url)
                    .header("content-type", "application/json")
                    .json(&body)
            })
            .await?;
        let data = graphql_data(status, &answer)?;
        data.pointer("/generateCustomerTokenAsAdmin/customer_token")
            .and_then(Value::as_str)
            .map(|t| SecretString::from(t.to_string()))
            .ok_or_else(|| AdminError::Malformed("no customer_token".into()))
    }

    /// A customer token and when it expires (Commerce's default lifetime: Stores →
    /// Configuration → Services → OAuth → Access Token Expiration → Customer, 1 hour).
    pub async fn mint_customer_token(&self, email: &str) -> Result<MintedToken, AdminError> {
        let token = self.generate_customer_token(email).await?;
        Ok(MintedToken {
            token,
            expires_at: crate::store::unix_now().saturating_add(CUSTOMER_TOKEN_LIFETIME_SECS),
        })
    }

    /// The signed-in customer's active cart id (`customerCart` creates one when none exists).
    pub async fn customer_cart_id(
        &self,
        customer_token: &SecretString,
    ) -> Result<String, AdminError> {
        let data = self
            .as_customer(customer_token, "{ customerCart { id } }", json!({}))
            .await?;
        data.pointer("/customerCart/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| AdminError::Malformed("no customerCart.id".into()))
    }

    /// Moves the guest cart's items into the customer's cart (`mergeCarts`).
    pub async fn merge_carts(
        &self,
        customer_token: &SecretString,
        guest_cart_id: &str,
        customer_cart_id: &str,
    ) -> Result<(), AdminError> {
        let query = "mutation($source: String!, $destination: String) { mergeCarts(source_cart_id: \
                     $source, destination_cart_id: $destination) { id } }";
        self.as_customer(
            customer_token,
            query,
            json!({ "source": guest_cart_id, "destination": customer_cart_id }),
        )
        .await
        .map(|_| ())
    }

    /// `revokeCustomerToken` with the token itself (logout).
    pub async fn revoke_customer_token(
        &self,
        customer_token: &SecretString,
    ) -> Result<(), AdminError> {
        self.as_customer(
            customer_token,
            "mutation { revokeCustomerToken { result } }",
            json!({}),
        )
        .await
        .map(|_| ())
    }

    async fn as_customer(
        &self,
        customer_token: &SecretString,
        query: &str,
        variables: Value,
    ) -> Result<Value, AdminError> {
        let response = self
            .http
            .post(&self.graphql_url)
            .bearer_auth(customer_token.expose_secret())
            .header("accept", "application/json")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| AdminError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let body = read_bounded(response).await?;
        graphql_data(status, &body)
    }
}

/// `data` of a GraphQL answer without errors; Commerce's first error message otherwise.
fn graphql_data(status: u16, body: &[u8]) -> Result<Value, AdminError> {
    let answer: Value = serde_json::from_slice(body).map_err(|_| {
        if status == 401 {
            AdminError::Unauthorized
        } else {
            AdminError::Malformed(format!("HTTP {status} without a GraphQL body"))
        }
    })?;
    if let Some(first) = answer
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        let message = first
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error")
            .chars()
            .take(300)
            .collect();
        return Err(AdminError::Graphql(message));
    }
    answer
        .get("data")
        .cloned()
        .filter(|d| d.is_object())
        .ok_or_else(|| AdminError::Malformed("no data".into()))
}
