//! REST calls of the back-office flows: products (single and async bulk), bulk status, base
//! prices, MSI sources and source items, and Commerce's JSON import. Each is one bounded call
//! with the REST credentials; failures are `AdminError` (see `AdminError::is_retriable`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::model::{
    BasePrice, BulkAccepted, BulkDetailedStatus, ImportBehavior, PriceUpdateResult, ProductWrite,
    SourceItem, SourceItemKey, SourceItemPage, Sources,
};
use super::{Acting, AdminError, CommerceAdmin, status_error};

/// How a request is sent.
enum Method {
    Get,
    Post,
    Put,
}

impl CommerceAdmin {
    /// Queues product saves by SKU (`PUT <rest>/async/bulk/V1/products/bySku`); operation ids
    /// in the bulk status are positions in `products`.
    pub async fn submit_products_bulk(
        &self,
        products: &[ProductWrite],
    ) -> Result<BulkAccepted, AdminError> {
        let body: Vec<ProductBody<'_>> = products
            .iter()
            .map(|product| ProductBody { product })
            .collect();
        let url = format!("{}/async/bulk/V1/products/bySku", self.rest_base);
        self.call(Method::Put, url, Some(&body), "async bulk products")
            .await
    }

    pub async fn bulk_detailed_status(
        &self,
        bulk_uuid: &str,
    ) -> Result<BulkDetailedStatus, AdminError> {
        let url = format!(
            "{}/V1/bulk/{}/detailed-status",
            self.rest_base,
            encode(bulk_uuid)
        );
        self.call(Method::Get, url, NO_BODY, "bulk detailed-status")
            .await
    }

    /// Saves one product (`PUT /V1/products/{sku}`; creates it when the SKU is new).
    pub async fn save_product(&self, product: &ProductWrite) -> Result<(), AdminError> {
        let url = format!("{}/V1/products/{}", self.rest_base, encode(&product.sku));
        let _: Value = self
            .call(
                Method::Put,
                url,
                Some(&ProductBody { product }),
                "PUT products",
            )
            .await?;
        Ok(())
    }

    /// Writes base prices; the rows Commerce refused (the others applied).
    pub async fn save_base_prices(
        &self,
        prices: &[BasePrice],
    ) -> Result<Vec<PriceUpdateResult>, AdminError> {
        let url = format!("{}/V1/products/base-prices", self.rest_base);
        self.call(
            Method::Post,
            url,
            Some(&json!({ "prices": prices })),
            "base-prices",
        )
        .await
    }

    /// Codes of Commerce's inventory sources.
    pub async fn list_sources(&self) -> Result<Vec<String>, AdminError> {
        let url = format!("{}/V1/inventory/sources", self.rest_base);
        let sources: Sources = self.call(Method::Get, url, NO_BODY, "sources").await?;
        Ok(sources.items.into_iter().map(|s| s.source_code).collect())
    }

    /// Saves source items in one request (Commerce refuses the whole batch on one bad item).
    pub async fn save_source_items(&self, items: &[SourceItem]) -> Result<(), AdminError> {
        let url = format!("{}/V1/inventory/source-items", self.rest_base);
        let _: Value = self
            .call(
                Method::Post,
                url,
                Some(&SourceItemsBody {
                    source_items: items,
                }),
                "source-items",
            )
            .await?;
        Ok(())
    }

    pub async fn delete_source_items(&self, items: &[SourceItemKey]) -> Result<(), AdminError> {
        let url = format!("{}/V1/inventory/source-items-delete", self.rest_base);
        let _: Value = self
            .call(
                Method::Post,
                url,
                Some(&SourceItemsBody {
                    source_items: items,
                }),
                "source-items-delete",
            )
            .await?;
        Ok(())
    }

    /// One page (from 1) of a source's items.
    pub async fn list_source_items(
        &self,
        source_code: &str,
        page: u32,
        page_size: u32,
    ) -> Result<SourceItemPage, AdminError> {
        let mut url = reqwest::Url::parse(&format!("{}/V1/inventory/source-items", self.rest_base))
            .map_err(|e| AdminError::Transport(e.to_string()))?;
        url.query_pairs_mut().extend_pairs([
            (
                "searchCriteria[filterGroups][0][filters][0][field]",
                "source_code",
            ),
            (
                "searchCriteria[filterGroups][0][filters][0][value]",
                source_code,
            ),
            (
                "searchCriteria[filterGroups][0][filters][0][conditionType]",
                "eq",
            ),
            ("searchCriteria[pageSize]", &page_size.to_string()),
            ("searchCriteria[currentPage]", &page.to_string()),
        ]);
        self.call(Method::Get, url.to_string(), NO_BODY, "source-items search")
            .await
    }

    /// Commerce's JSON import of `catalog_product` rows (skipping invalid rows); its messages.
    pub async fn import_json(
        &self,
        behavior: ImportBehavior,
        rows: &[Value],
    ) -> Result<Vec<String>, AdminError> {
        let url = format!("{}/V1/import/json", self.rest_base);
        let body = json!({ "source": {
            "entity": "catalog_product",
            "behavior": behavior.as_str(),
            "validation_strategy": "validation-skip-errors",
            "allowed_error_count": rows.len().to_string(),
            "items": rows,
        }});
        self.call(Method::Post, url, Some(&body), "import/json")
            .await
    }

    /// `body` is serialised straight from the caller's types (a batch of 1,000 source items is
    /// not first copied into a `serde_json::Value` tree).
    async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: String,
        body: Option<&B>,
        what: &str,
    ) -> Result<T, AdminError> {
        let (status, answer) = self
            .send_as_admin(Acting::Rest, |http| {
                let request = match method {
                    Method::Get => http.get(&url),
                    Method::Post => http.post(&url),
                    Method::Put => http.put(&url),
                };
                match body {
                    Some(body) => request.json(body),
                    None => request,
                }
            })
            .await?;
        if !(200..300).contains(&status) {
            return Err(status_error(status, &answer));
        }
        serde_json::from_slice(&answer).map_err(|e| AdminError::Malformed(format!("{what}: {e}")))
    }
}

/// No request body (a GET).
const NO_BODY: Option<&()> = None;

/// `{"product": …}`, one element of a bulk or the body of a save.
#[derive(Serialize)]
struct ProductBody<'a> {
    product: &'a ProductWrite,
}

/// `{"sourceItems": […]}`.
#[derive(Serialize)]
struct SourceItemsBody<'a, T> {
    #[serde(rename = "sourceItems")]
    source_items: &'a [T],
}

/// A path segment, percent-encoded (SKUs may hold `/`, spaces, `#`).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
