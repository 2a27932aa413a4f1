//! PIM → Commerce, catalog metadata and content (scheduled): names, descriptions, meta data,
//! attributes, category assignments and images of the products the PIM changed since the
//! flow's watermark. `jobs.catalog_content.mode = "rest"` writes them through Commerce's
//! asynchronous bulk API (like the product master); `"import"` sends rows in Commerce's import
//! format to `POST /V1/import/json`, which is cheaper for large drops — and is the path
//! `storefront-bff import FILE` takes with a file's rows ([`import_rows`]).

use serde_json::{Map, Value, json};

use super::FlowDeps;
use super::bulk::{Written, count, flow_error, write_products};
use super::context::{FeedCursor, FlowError, Outcome, RunContext};
use crate::config::{ContentMode, JobsConfig};
use crate::sources::commerce::admin::CommerceAdmin;
use crate::sources::commerce::admin::model::{ImportBehavior, MediaEntry, ProductWrite};
use crate::sources::pim::{AttributeValue, PimProduct};
use crate::store::RunIssue;

pub async fn run_once(
    run: &mut RunContext,
    deps: &FlowDeps,
    config: &JobsConfig,
) -> Result<Outcome, FlowError> {
    let pim = deps.pim()?;
    let commerce = deps.commerce()?;
    let since = run.since_second();
    let mut cursor: FeedCursor = run.cursor().unwrap_or_default();
    let batch = usize::try_from(run.batch_size()).unwrap_or(1).max(1);
    let page_size = (run.batch_size() * run.settings.concurrency).min(1_000);
    loop {
        let page = pim
            .content_changes(since, cursor.feed.as_deref(), page_size)
            .await
            .map_err(|e| FlowError::Retriable(format!("PIM feed: {e}")))?;
        cursor.watermark = cursor.watermark.max(page.watermark);
        let read = count(page.items.len() + page.rejected.len());
        let mut issues: Vec<RunIssue> = page
            .rejected
            .into_iter()
            .map(|r| RunIssue::skipped(r.key, r.reason))
            .collect();
        let skipped = count(issues.len());
        let written = match config.catalog_content_mode {
            ContentMode::Rest => {
                let chunks = page.items.chunks(batch).map(|chunk| {
                    write_products(
                        commerce,
                        config,
                        run,
                        chunk.iter().map(product_write).collect(),
                    )
                });
                let mut all = Written::default();
                for result in futures_util::future::join_all(chunks).await {
                    all.add(result?);
                }
                all
            }
            ContentMode::Import => {
                let rows: Vec<Map<String, Value>> = page.items.iter().map(import_row).collect();
                send_import(commerce, &rows).await?
            }
        };
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

/// The product body with the PIM's content as Commerce's custom attributes and media.
fn product_write(p: &PimProduct) -> ProductWrite {
    let mut custom_attributes = Vec::new();
    for (code, value) in [
        ("description", &p.description),
        ("short_description", &p.short_description),
        ("meta_title", &p.meta_title),
        ("url_key", &p.url_key),
    ] {
        if let Some(v) = value {
            custom_attributes.push((code.to_string(), Value::String(v.clone())));
        }
    }
    for (code, value) in &p.attributes {
        custom_attributes.push((code.clone(), attribute_json(value)));
    }
    ProductWrite {
        sku: p.sku.clone(),
        name: Some(p.name.clone()),
        price: None,
        status: None,
        visibility: None,
        type_id: None,
        attribute_set_id: None,
        weight: None,
        website_ids: None,
        category_ids: (!p.category_ids.is_empty()).then(|| p.category_ids.clone()),
        custom_attributes,
        media: p
            .images
            .iter()
            .map(|i| MediaEntry {
                media_type: "image".into(),
                disabled: false,
                file: i.file.clone(),
                label: i.label.clone(),
                position: i.position,
                types: i.roles.clone(),
            })
            .collect(),
    }
}

/// An attribute's value as Commerce's product body takes it.
fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::Text(s) => json!(s),
        AttributeValue::Number(n) => json!(n),
        AttributeValue::Flag(b) => json!(if *b { "1" } else { "0" }),
        AttributeValue::List(items) => json!(items.join(",")),
    }
}

/// An attribute's value in the import format's `additional_attributes` (multiple values are
/// `|`-separated there, since `,` separates the pairs).
fn attribute_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::Text(s) => s.clone(),
        AttributeValue::Number(n) => n.to_string(),
        AttributeValue::Flag(b) => if *b { "1" } else { "0" }.into(),
        AttributeValue::List(items) => items.join("|"),
    }
}

/// The row of Commerce's catalog_product import format for a PIM product.
fn import_row(p: &PimProduct) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("sku".into(), json!(p.sku));
    row.insert("name".into(), json!(p.name));
    for (column, value) in [
        ("description", &p.description),
        ("short_description", &p.short_description),
        ("meta_title", &p.meta_title),
        ("url_key", &p.url_key),
    ] {
        if let Some(v) = value {
            row.insert(column.into(), json!(v));
        }
    }
    if !p.attributes.is_empty() {
        let pairs: Vec<String> = p
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={}", attribute_text(v)))
            .collect();
        row.insert("additional_attributes".into(), json!(pairs.join(",")));
    }
    if let Some(image) = p.images.iter().min_by_key(|i| i.position) {
        row.insert("base_image".into(), json!(image.file));
    }
    row
}

/// Sends import rows to `POST /V1/import/json` (append, skipping invalid rows), one request
/// per call; Commerce's messages about rows come back as failed items.
pub(super) async fn send_import(
    commerce: &CommerceAdmin,
    rows: &[Map<String, Value>],
) -> Result<Written, FlowError> {
    let mut out = Written::default();
    if rows.is_empty() {
        return Ok(out);
    }
    let values: Vec<Value> = rows.iter().cloned().map(Value::Object).collect();
    out.calls += 1;
    let messages = commerce
        .import_json(ImportBehavior::Append, &values)
        .await
        .map_err(|e| flow_error("import json", e))?;
    let refused = refused_rows(&messages, rows);
    for (i, row) in rows.iter().enumerate() {
        let sku = row
            .get("sku")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        match refused.iter().find(|(index, _)| *index == i) {
            Some((_, message)) => out.failed.push(RunIssue::failed(sku, message.clone())),
            None => out.written.push(sku),
        }
    }
    Ok(out)
}

/// Commerce's import messages name refused rows by their 1-based number ("… in row(s): 3, 7").
fn refused_rows(messages: &[String], rows: &[Map<String, Value>]) -> Vec<(usize, String)> {
    let mut refused = Vec::new();
    for message in messages {
        let Some((text, numbers)) = message.rsplit_once("in row(s):") else {
            continue;
        };
        for n in numbers
            .split(',')
            .filter_map(|n| n.trim().parse::<usize>().ok())
        {
            if (1..=rows.len()).contains(&n) {
                refused.push((n - 1, text.trim().trim_end_matches(':').trim().to_string()));
            }
        }
    }
    refused
}

/// `import FILE`: the file's rows (already checked) in batches from the run's cursor.
pub async fn import_rows(
    run: &mut RunContext,
    deps: &FlowDeps,
    rows: &[Map<String, Value>],
) -> Result<Outcome, FlowError> {
    let commerce = deps.commerce()?;
    let batch = usize::try_from(run.batch_size()).unwrap_or(1).max(1);
    let mut next: usize = run.cursor().unwrap_or(0);
    while next < rows.len() {
        let start = next;
        let end = (start + batch).min(rows.len());
        let written = send_import(commerce, &rows[start..end]).await?;
        next = end;
        let counts = written.counts(count(end - start), 0, 0);
        run.record(Some(&next), counts, &written.failed, &[])
            .await?;
    }
    Ok(Outcome::default())
}
