//! Wire types of the admin calls (Adobe Commerce 2.4.9 Swagger: `customer-data-customer-interface`,
//! `customer-data-customer-search-results-interface`, `error-response`).

use serde::{Deserialize, Serialize};

pub use super::catalog_model::*;

/// A Commerce customer as REST returns it (the fields SSO uses).
#[derive(Debug, Clone, Deserialize)]
pub struct AdminCustomer {
    pub id: i64,
    pub email: String,
    #[serde(default)]
    pub firstname: String,
    #[serde(default)]
    pub lastname: String,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default)]
    pub website_id: Option<i64>,
}

/// The customer a first SSO login creates (`POST /V1/customers`, no password: the person
/// signs in through the provider only).
#[derive(Debug, Clone, Serialize)]
pub struct NewCustomer {
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CustomerSearchResults {
    #[serde(default)]
    pub(crate) items: Vec<AdminCustomer>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorResponse {
    pub(crate) message: String,
}
