//! `POST /V1/import/json` and `POST /V1/import/csv` (Commerce's `ImportJsonApi` /
//! `ImportCsvApi` `StartImport`), entity `catalog_product` only, with Commerce's product import
//! columns: `sku`, `name`, `description`, `short_description`, `meta_title`,
//! `meta_description`, `meta_keywords`, `url_key`, `price`, `weight`, `qty` (into the `default`
//! source), `product_type`, `visibility`, `product_online` / `status`,
//! `additional_attributes` (`code=value,code=value`), `product_websites`, `categories`,
//! `attribute_set_code`, `base_image`. Rows apply through the same product save as
//! `PUT /V1/products/{sku}`. `csv_data` is base64, as `ImportCsvApi` expects it.
//!
//! Behaviours: `append` and `replace` save the rows; `delete` disables the products (the
//! sandbox's seeded catalog cannot lose products). `validation-stop-on-errors` applies nothing
//! when a row is invalid; `validation-skip-errors` applies the valid rows unless more than
//! `allowed_error_count` rows are invalid. The answer is Commerce's list of messages: each
//! error as "%1 in row(s): %2", then "Entities Processed: N".

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::{RestError, answer, authorize, check_store, guard, json_body};
use crate::Sandbox;

/// ACL resource of the import routes.
const IMPORT_RESOURCE: &str = "Magento_ImportExport::import";

pub(super) async fn json_import(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST POST /V1/import/json").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, IMPORT_RESOURCE)?;
        let body = json_body(&body)?;
        let source = source_object(&body)?;
        let rows: Vec<Map<String, Value>> = match source.get("items") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_object().cloned().unwrap_or_default())
                .collect(),
            _ => {
                return Err(RestError::Required {
                    field: "items".to_owned(),
                });
            }
        };
        run(&sandbox, source, rows)
    })())
}

pub(super) async fn csv_import(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = guard(&sandbox, "REST POST /V1/import/csv").await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, IMPORT_RESOURCE)?;
        let body = json_body(&body)?;
        let source = source_object(&body)?;
        let data = source
            .get("csv_data")
            .and_then(Value::as_str)
            .ok_or_else(|| RestError::Required {
                field: "csv_data".to_owned(),
            })?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| RestError::input("The CSV data is not valid base64.", &[]))?;
        let separator = source
            .get("import_field_separator")
            .and_then(Value::as_str)
            .and_then(|s| s.chars().next())
            .unwrap_or(',');
        run(&sandbox, source, csv_rows(&decoded, separator))
    })())
}

fn source_object(body: &Value) -> Result<&Map<String, Value>, RestError> {
    let source = body
        .get("source")
        .and_then(Value::as_object)
        .ok_or_else(|| RestError::Required {
            field: "source".to_owned(),
        })?;
    match source.get("entity").and_then(Value::as_str) {
        Some("catalog_product") => Ok(source),
        Some(other) => Err(RestError::input(
            "Entity type \"%1\" is not supported by the sandbox.",
            &[other],
        )),
        None => Err(RestError::Required {
            field: "entity".to_owned(),
        }),
    }
}

/// Validates and applies the rows; Commerce's messages.
fn run(
    sandbox: &Sandbox,
    source: &Map<String, Value>,
    rows: Vec<Map<String, Value>>,
) -> Result<Value, RestError> {
    let text = |key: &str| source.get(key).and_then(Value::as_str).unwrap_or_default();
    let behavior = text("behavior");
    if !["append", "replace", "delete"].contains(&behavior) {
        return Err(RestError::input("Invalid behavior \"%1\".", &[behavior]));
    }
    let stop_on_errors = text("validation_strategy") != "validation-skip-errors";
    let allowed: usize = text("allowed_error_count").trim().parse().unwrap_or(0);
    let mut writes = Vec::new();
    let mut errors: Vec<(String, usize)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match product_of(row, behavior) {
            Ok(write) => writes.push(write),
            Err(message) => errors.push((message, i + 1)),
        }
    }
    let mut messages: Vec<String> = errors
        .iter()
        .map(|(message, row)| format!("{message} in row(s): {row}"))
        .collect();
    if !errors.is_empty() && (stop_on_errors || errors.len() > allowed) {
        return Ok(json!(messages));
    }
    let mut processed = 0;
    for (sku, product, qty) in writes {
        match super::products::save(sandbox, Some(&sku), &product) {
            Ok(_) => processed += 1,
            Err(e) => {
                messages.push(format!("{} in row(s): sku {sku}", e.rendered()));
                continue;
            }
        }
        if let Some(qty) = qty {
            let body = json!({ "sourceItems": [{ "sku": sku, "source_code": "default",
                "quantity": qty, "status": u8::from(qty > 0.0) }] });
            if let Err(e) = super::source_items::write(sandbox, &body, false) {
                messages.push(format!("{} in row(s): sku {sku}", e.rendered()));
            }
        }
    }
    messages.push(format!("Entities Processed: {processed}"));
    Ok(json!(messages))
}

/// A row as a REST write: its SKU, the `product` object and the `qty` column.
type RowWrite = (String, Map<String, Value>, Option<f64>);

/// A row as a REST write, or the row's error message.
fn product_of(row: &Map<String, Value>, behavior: &str) -> Result<RowWrite, String> {
    let cell = |key: &str| -> Option<String> {
        match row.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    };
    let sku = cell("sku").ok_or_else(|| "SKU is empty".to_owned())?;
    let mut product = Map::new();
    product.insert("sku".into(), json!(sku));
    if behavior == "delete" {
        product.insert("status".into(), json!(2));
        return Ok((sku, product, None));
    }
    let number = |key: &str| -> Result<Option<f64>, String> {
        cell(key)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|n| *n >= 0.0)
                    .ok_or_else(|| format!("Value for '{key}' attribute contains incorrect value"))
            })
            .transpose()
    };
    if let Some(name) = cell("name") {
        product.insert("name".into(), json!(name));
    }
    if let Some(price) = number("price")? {
        product.insert("price".into(), json!(price));
    }
    if let Some(weight) = number("weight")? {
        product.insert("weight".into(), json!(weight));
    }
    if let Some(kind) = cell("product_type") {
        if ![
            "simple",
            "virtual",
            "configurable",
            "downloadable",
            "bundle",
        ]
        .contains(&kind.as_str())
        {
            return Err("Product type is invalid or not supported".to_owned());
        }
        product.insert("type_id".into(), json!(kind));
    }
    if let Some(visibility) = cell("visibility") {
        let code = match visibility.as_str() {
            "Not Visible Individually" => 1,
            "Catalog" => 2,
            "Search" => 3,
            "Catalog, Search" => 4,
            _ => return Err("Value for 'visibility' attribute contains incorrect value".into()),
        };
        product.insert("visibility".into(), json!(code));
    }
    if let Some(online) = cell("product_online") {
        product.insert("status".into(), json!(if online == "0" { 2 } else { 1 }));
    }
    if let Some(status) = cell("status") {
        product.insert("status".into(), json!(if status == "2" { 2 } else { 1 }));
    }
    let mut custom = Vec::new();
    for (column, code) in [
        ("description", "description"),
        ("short_description", "short_description"),
        ("meta_title", "meta_title"),
        ("meta_description", "meta_description"),
        ("meta_keywords", "meta_keyword"),
        ("url_key", "url_key"),
    ] {
        if let Some(value) = cell(column) {
            custom.push(json!({ "attribute_code": code, "value": value }));
        }
    }
    if let Some(image) = cell("base_image") {
        custom.push(json!({ "attribute_code": "image", "value": image }));
    }
    if let Some(additional) = cell("additional_attributes") {
        for pair in additional.split(',') {
            let (code, value) = pair.split_once('=').unwrap_or((pair, ""));
            custom.push(json!({ "attribute_code": code.trim(), "value": value.trim() }));
        }
    }
    if !custom.is_empty() {
        product.insert("custom_attributes".into(), json!(custom));
    }
    Ok((sku, product, number("qty")?))
}

/// RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows keyed by the header.
fn csv_rows(text: &str, separator: char) -> Vec<Map<String, Value>> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == separator && !quoted => record.push(std::mem::take(&mut field)),
            '\r' if !quoted => {}
            '\n' if !quoted => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let mut records = records
        .into_iter()
        .filter(|r| r.iter().any(|f| !f.is_empty()));
    let Some(header) = records.next() else {
        return Vec::new();
    };
    records
        .map(|r| {
            header
                .iter()
                .zip(r)
                .map(|(k, v)| (k.trim().to_owned(), Value::String(v)))
                .collect()
        })
        .collect()
}
