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

use super::FlowDeps;
use super::bulk::{Written, count, flow_error, write_products};
use super::context::{FeedCursor, FlowError, Outcome, RunContext};
use super::stock::source_error;
use crate::config::JobsConfig;
use crate::sources::commerce::admin::CommerceAdmin;
use crate::sources::commerce::admin::model::{BasePrice, ProductWrite};
use crate::sources::erp::ErpProduct;
use crate::store::RunIssue;

pub async fn run_once(
    run: &mut RunContext,
    deps: &FlowDeps,
    config: &JobsConfig,
) -> Result<Outcome, FlowError> {
    let erp = deps.erp()?;
    let commerce = deps.commerce()?;
    let since = run.since_second();
    let mut cursor: FeedCursor = run.cursor().unwrap_or_default();
    let batch = usize::try_from(run.batch_size()).unwrap_or(1).max(1);
    let page_size = (run.batch_size() * run.settings.concurrency).min(1_000);
    loop {
        let page = erp
            .product_changes(since, cursor.feed.as_deref(), page_size)
            .await
            .map_err(source_error)?;
        cursor.watermark = cursor.watermark.max(page.watermark);
        let read = count(page.items.len() + page.rejected.len());
        let mut issues: Vec<RunIssue> = page
            .rejected
            .into_iter()
            .map(|r| RunIssue::skipped(r.key, r.reason))
            .collect();
        let skipped = count(issues.len());
        let chunks = page
            .items
            .chunks(batch)
            .map(|chunk| write_chunk(commerce, config, run, chunk));
        let mut written = Written::default();
        for result in futures_util::future::join_all(chunks).await {
            written.add(result?);
        }
        issues.extend(written.failed.iter().cloned());
        cursor.feed = page.next_cursor;
        let counts = written.counts(read, skipped, 0);
        run.record(Some(&cursor), counts, &issues, &[]).await?;
        if cursor.feed.is_none() {
            break;
        }
    }
    Ok(cursor.outcome(since))
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
