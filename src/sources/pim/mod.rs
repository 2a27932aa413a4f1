//! The PIM's content feed the catalog flow reads, behind the [`Pim`] trait (contract:
//! docs/connectors/pim.md): names, descriptions, attributes, categories and images changed
//! since a watermark.

mod client;
mod model;

pub use client::HttpPim;
pub use model::{AttributeValue, PimImage, PimProduct};

use super::feed::Page;
use super::resilience::SourceError;

/// Keyset-paged reads of the PIM; a malformed item is a `Page::rejected` entry, never an error.
#[async_trait::async_trait]
pub trait Pim: Send + Sync + 'static {
    /// Products whose content changed at or after `changed_since` (Unix seconds, inclusive),
    /// ordered by (`updated_at`, `sku`); `cursor` from the previous page.
    async fn content_changes(
        &self,
        changed_since: i64,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<PimProduct>, SourceError>;
}
