//! ERP → Commerce, product master and base prices (scheduled batch): the ERP's products
//! changed since the flow's watermark are written through Commerce's asynchronous bulk API
//! (`PUT /async/bulk/V1/products/bySku`, status polled until every operation is done, the
//! ones that failed retriably resubmitted alone), then their prices with
//! `POST /V1/products/base-prices`. Products Commerce refused are reported with its message
//! and get no price. The watermark moves to the ERP's when the run ends.
//!
//! Resumable from the ERP's page cursor: a page is recorded once its products and prices are
//! in Commerce; a page sent again after a crash writes the same values (nothing applied twice
//! in effect).

use serde::{Deserialize, Serialize};

use super::FlowDeps;
use super::bulk::{Written, flow_error, write_products};
use super::context::{FlowError, Outcome, RunContext};
use super::stock::source_error;
use crate::config::JobsConfig;
use crate::sources::commerce::admin::CommerceAdmin;
use crate::sources::commerce::admin::model::{BasePrice, ProductWrite};
use crate::sources::erp::ErpProduct;
use crate::store::{RunCounts, RunIssue};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    feed: Option<String>,
    watermark: Option<i64>,
}

pub async fn run_once(
    run: &mut RunContext,
    deps: &FlowDeps,
    config: &JobsConfig,
) -> Result<Outcome, FlowError> {
    let erp = deps.erp()?;
    let commerce = deps.commerce()?;
    let since = run.since().and_then(|w| w.parse::<i64>().ok()).unwrap_or(0);
    let mut cursor: Cursor = run.cursor().unwrap_or_default();
    let batch = usize::try_from(run.batch_size()).unwrap_or(1).max(1);
    let page_size = (run.batch_size() * run.settings.concurrency).min(1_000);
    loop {
        let page = erp
            .product_changes(since, cursor.feed.as_deref(), page_size)
            .await
            .map_err(source_error)?;
        cursor.watermark = cursor.watermark.max(page.watermark);
        let read = i64::try_from(page.items.len() + page.rejected.len()).unwrap_or(0);
        let mut issues: Vec<RunIssue> = page
            .rejected
            .into_iter()
            .map(|r| RunIssue::skipped(r.key, r.reason))
            .collect();
        let skipped = i64::try_from(issues.len()).unwrap_or(0);
        let chunks = page
            .items
            .chunks(batch)
            .map(|chunk| write_chunk(commerce, config, run, chunk));
        let mut written = Written::default();
        for result in futures_util::future::join_all(chunks).await {
            let w = result?;
            written.written.extend(w.written);
            written.failed.extend(w.failed);
            written.calls += w.calls;
        }
        issues.extend(written.failed.iter().cloned());
        cursor.feed = page.next_cursor;
        let counts = RunCounts {
            read,
            written: i64::try_from(written.written.len()).unwrap_or(0),
            skipped,
            failed: i64::try_from(written.failed.len()).unwrap_or(0),
            commerce_calls: written.calls,
        };
        run.record(Some(&cursor), counts, &issues, &[]).await?;
        if cursor.feed.is_none() {
            break;
        }
    }
    Ok(Outcome {
        watermark_after: Some(cursor.watermark.unwrap_or(since).to_string()),
    })
}

/// One bulk of products, then the base prices of those Commerce took.
async fn write_chunk(
    commerce: &CommerceAdmin,
    config: &JobsConfig,
    run: &RunContext,
    chunk: &[ErpProduct],
) -> Result<Written, FlowError> {
    let products: Vec<ProductWrite> = chunk.iter().map(product_write).collect();
    let mut out = write_products(commerce, config, run, products).await?;
    let prices: Vec<BasePrice> = chunk
        .iter()
        .filter(|p| out.written.contains(&p.sku))
        .map(|p| BasePrice {
            sku: p.sku.clone(),
            price: p.price,
            store_id: 0,
        })
        .collect();
    if prices.is_empty() {
        return Ok(out);
    }
    out.calls += 1;
    let refused = commerce
        .save_base_prices(&prices)
        .await
        .map_err(|e| flow_error("base prices", e))?;
    for result in refused {
        let sku = result
            .parameters
            .iter()
            .find(|p| prices.iter().any(|price| &price.sku == *p))
            .cloned()
            .unwrap_or_else(|| "?".into());
        out.written.retain(|s| *s != sku);
        out.failed.push(RunIssue::failed(
            sku,
            format!("base price: {}", fill(&result.message, &result.parameters)),
        ));
    }
    Ok(out)
}

/// The product body Commerce's bulk API takes (the price goes through base prices).
fn product_write(p: &ErpProduct) -> ProductWrite {
    ProductWrite {
        sku: p.sku.clone(),
        name: Some(p.name.clone()),
        price: None,
        status: Some(p.status),
        visibility: Some(p.visibility),
        type_id: Some(p.type_id.clone()),
        attribute_set_id: Some(p.attribute_set_id),
        weight: p.weight,
        website_ids: Some(p.website_ids.clone()),
        category_ids: None,
        custom_attributes: Vec::new(),
        media: Vec::new(),
    }
}

/// Commerce's message with its `%1`, `%2` … placeholders filled.
pub(super) fn fill(message: &str, parameters: &[String]) -> String {
    let mut text = message.to_string();
    for (i, p) in parameters.iter().enumerate().rev() {
        text = text.replace(&format!("%{}", i + 1), p);
    }
    text
}
