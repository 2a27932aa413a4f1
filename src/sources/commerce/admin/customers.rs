//! REST: find a customer by e-mail, create one.

use super::model::{AdminCustomer, CustomerSearchResults, NewCustomer};
use super::{Acting, AdminError, CommerceAdmin, status_error};

impl CommerceAdmin {
    /// The customer with exactly this e-mail (Commerce compares case-insensitively), if any.
    pub async fn find_customer_by_email(
        &self,
        email: &str,
    ) -> Result<Option<AdminCustomer>, AdminError> {
        let mut url = reqwest::Url::parse(&format!("{}/V1/customers/search", self.rest_base))
            .map_err(|e| AdminError::Transport(e.to_string()))?;
        let query = [
            (
                "searchCriteria[filterGroups][0][filters][0][field]",
                "email",
            ),
            ("searchCriteria[filterGroups][0][filters][0][value]", email),
            (
                "searchCriteria[filterGroups][0][filters][0][conditionType]",
                "eq",
            ),
            ("searchCriteria[pageSize]", "2"),
        ];
        url.query_pairs_mut().extend_pairs(query);
        let (status, body) = self
            .send_as_admin(Acting::Rest, |http| http.get(url.clone()))
            .await?;
        if !(200..300).contains(&status) {
            return Err(status_error(status, &body));
        }
        let results: CustomerSearchResults = serde_json::from_slice(&body)
            .map_err(|e| AdminError::Malformed(format!("customers/search: {e}")))?;
        Ok(results
            .items
            .into_iter()
            .find(|c| c.email.eq_ignore_ascii_case(email)))
    }

    /// Creates the customer (no password).
    pub async fn create_customer(
        &self,
        customer: &NewCustomer,
    ) -> Result<AdminCustomer, AdminError> {
        let url = format!("{}/V1/customers", self.rest_base);
        let body = serde_json::json!({ "customer": customer });
        let (status, answer) = self
            .send_as_admin(Acting::Rest, |http| http.post(&url).json(&body))
            .await?;
        if !(200..300).contains(&status) {
            return Err(status_error(status, &answer));
        }
        serde_json::from_slice(&answer)
            .map_err(|e| AdminError::Malformed(format!("POST customers: {e}")))
    }
}
