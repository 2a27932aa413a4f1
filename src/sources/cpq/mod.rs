//! CPQ contract prices, behind the [`Cpq`] trait (contract: docs/connectors/cpq.md).

mod client;
mod model;

pub use client::HttpCpq;
pub use model::{ContractItem, PriceList, PriceLookup, PriceTier};

use super::resilience::SourceError;

/// Batch contract-price lookup for one company.
#[async_trait::async_trait]
pub trait Cpq: Send + Sync + 'static {
    /// The company's price list and the contract prices of the given SKUs in `currency`;
    /// a company without a contract gets `price_list: None`.
    async fn lookup(
        &self,
        company_id: &str,
        currency: &str,
        skus: &[String],
    ) -> Result<PriceLookup, SourceError>;
}
