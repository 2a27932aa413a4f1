//! Reading `import FILE`: a CSV in Commerce's catalog_product import format (the columns
//! Commerce's own System → Import takes) or NDJSON with the same keys, one product per line.
//! Every row is checked before anything is sent: a row with a problem is skipped with its line
//! number and reason; an unknown column, a file too large, or a file that is not CSV/NDJSON
//! refuses the whole file (nothing is imported).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::store::RunIssue;

/// Largest file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Most rows in one file.
pub const MAX_ROWS: usize = 1_000_000;
/// Longest value of one cell, in bytes (descriptions hold HTML).
const MAX_CELL_BYTES: usize = 64 * 1024;
/// Longest NDJSON line, in bytes.
const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Columns of Commerce's catalog_product import that the BFF passes on.
const COLUMNS: &[&str] = &[
    "sku",
    "store_view_code",
    "attribute_set_code",
    "product_type",
    "categories",
    "product_websites",
    "name",
    "description",
    "short_description",
    "weight",
    "product_online",
    "tax_class_name",
    "visibility",
    "price",
    "special_price",
    "special_price_from_date",
    "special_price_to_date",
    "url_key",
    "meta_title",
    "meta_keywords",
    "meta_description",
    "base_image",
    "base_image_label",
    "small_image",
    "small_image_label",
    "thumbnail_image",
    "thumbnail_image_label",
    "additional_images",
    "additional_image_labels",
    "additional_attributes",
    "qty",
    "is_in_stock",
    "new_from_date",
    "new_to_date",
    "country_of_manufacture",
];

const VISIBILITIES: &[&str] = &[
    "Not Visible Individually",
    "Catalog",
    "Search",
    "Catalog, Search",
];

/// Why a file cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

/// A checked file.
#[derive(Debug)]
pub struct ImportFile {
    /// Rows to import, in file order.
    pub rows: Vec<Map<String, Value>>,
    /// Rows skipped, with `line N` and the reason.
    pub skipped: Vec<RunIssue>,
    /// Hex SHA-256 of the file: the same file resumes its unfinished run.
    pub sha256: String,
}

/// Reads and checks `path` (`.csv`, or `.ndjson` / `.jsonl` / `.json` lines).
pub fn read(path: &Path) -> Result<ImportFile, ImportFileError> {
    let read_error = |source| ImportFileError::Read {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ImportFileError::Refused(format!(
            "{} is {size} bytes; the largest file imported is {MAX_FILE_BYTES} bytes: split it",
            path.display()
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let (rows, skipped) = match extension.as_str() {
        "csv" => read_csv(&bytes)?,
        "ndjson" | "jsonl" | "json" => read_ndjson(&bytes)?,
        other => {
            return Err(ImportFileError::Refused(format!(
                "{}: unknown file type `.{other}`; use .csv (Commerce's catalog_product import \
                 columns) or .ndjson (one JSON object per line, same keys)",
                path.display()
            )));
        }
    };
    Ok(ImportFile {
        rows,
        skipped,
        sha256,
    })
}

type Rows = (Vec<Map<String, Value>>, Vec<RunIssue>);

fn read_csv(bytes: &[u8]) -> Result<Rows, ImportFileError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportFileError::Refused(format!("the CSV header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    check_columns(headers.iter().map(String::as_str))?;
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        if rows.len() + skipped.len() >= MAX_ROWS {
            return Err(too_many_rows());
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                skipped.push(RunIssue::skipped(
                    format!("line {line}"),
                    format!("not a CSV row: {e}"),
                ));
                continue;
            }
        };
        let mut row = Map::new();
        for (column, cell) in headers.iter().zip(record.iter()) {
            if !cell.is_empty() {
                row.insert(column.clone(), Value::String(cell.to_string()));
            }
        }
        match check_row(row) {
            Ok(row) => rows.push(row),
            Err((key, reason)) => {
                skipped.push(RunIssue::skipped(format!("line {line} ({key})"), reason))
            }
        }
    }
    Ok((rows, skipped))
}

fn read_ndjson(bytes: &[u8]) -> Result<Rows, ImportFileError> {
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut columns_seen: HashSet<String> = HashSet::new();
    for (index, line) in BufReader::new(bytes).split(b'\n').enumerate() {
        let line_no = index + 1;
        let line = line.map_err(|e| ImportFileError::Refused(format!("line {line_no}: {e}")))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if rows.len() + skipped.len() >= MAX_ROWS {
            return Err(too_many_rows());
        }
        if line.len() > MAX_LINE_BYTES {
            skipped.push(RunIssue::skipped(
                format!("line {line_no}"),
                format!("longer than {MAX_LINE_BYTES} bytes"),
            ));
            continue;
        }
        let object = match serde_json::from_slice::<Value>(&line) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                skipped.push(RunIssue::skipped(
                    format!("line {line_no}"),
                    "not a JSON object",
                ));
                continue;
            }
            Err(e) => {
                skipped.push(RunIssue::skipped(
                    format!("line {line_no}"),
                    format!("not JSON: {e}"),
                ));
                continue;
            }
        };
        let mut row = Map::new();
        let mut problem = None;
        for (key, value) in object {
            if columns_seen.insert(key.clone()) {
                check_columns(std::iter::once(key.as_str()))?;
            }
            match value {
                Value::Null => {}
                Value::String(s) => {
                    row.insert(key, Value::String(s));
                }
                Value::Number(n) => {
                    row.insert(key, Value::String(n.to_string()));
                }
                Value::Bool(b) => {
                    row.insert(key, Value::String(if b { "1" } else { "0" }.into()));
                }
                _ => problem = Some(format!("`{key}` must be a string, a number or a boolean")),
            }
        }
        if let Some(reason) = problem {
            skipped.push(RunIssue::skipped(format!("line {line_no}"), reason));
            continue;
        }
        match check_row(row) {
            Ok(row) => rows.push(row),
            Err((key, reason)) => {
                skipped.push(RunIssue::skipped(format!("line {line_no} ({key})"), reason))
            }
        }
    }
    Ok((rows, skipped))
}

fn too_many_rows() -> ImportFileError {
    ImportFileError::Refused(format!("more than {MAX_ROWS} rows: split the file"))
}

fn check_columns<'a>(columns: impl Iterator<Item = &'a str>) -> Result<(), ImportFileError> {
    let unknown: Vec<&str> = columns.filter(|c| !COLUMNS.contains(c)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ImportFileError::Refused(format!(
        "unknown column(s) {}: Commerce's catalog_product import does not take them (custom \
         attributes go in `additional_attributes` as code=value,code=value); nothing was imported",
        unknown
            .iter()
            .map(|c| format!("`{}`", c.chars().take(64).collect::<String>()))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// One row's checks; `Err((sku or "-", reason))`.
fn check_row(row: Map<String, Value>) -> Result<Map<String, Value>, (String, String)> {
    let text = |k: &str| row.get(k).and_then(Value::as_str).map(str::trim);
    let sku = text("sku").unwrap_or("").to_string();
    if sku.is_empty() {
        return Err(("-".into(), "no sku".into()));
    }
    let key = sku.chars().take(64).collect::<String>();
    if sku.chars().count() > 64 {
        return Err((
            key,
            "sku longer than 64 characters (Commerce's limit)".into(),
        ));
    }
    for (column, value) in &row {
        if value.as_str().is_some_and(|v| v.len() > MAX_CELL_BYTES) {
            return Err((
                key,
                format!("`{column}` is longer than {MAX_CELL_BYTES} bytes"),
            ));
        }
    }
    for column in ["price", "special_price", "weight", "qty"] {
        if let Some(v) = text(column) {
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => {}
                Ok(_) => return Err((key, format!("`{column}` must not be negative: {v}"))),
                Err(_) => return Err((key, format!("`{column}` is not a number: {v}"))),
            }
        }
    }
    for column in ["product_online", "is_in_stock"] {
        if let Some(v) = text(column)
            && v != "0"
            && v != "1"
        {
            return Err((key, format!("`{column}` must be 0 or 1, not {v}")));
        }
    }
    if let Some(v) = text("visibility")
        && !VISIBILITIES.contains(&v)
    {
        return Err((
            key,
            format!(
                "`visibility` must be one of {}, not {v}",
                VISIBILITIES.join(" / ")
            ),
        ));
    }
    if let Some(v) = text("additional_attributes") {
        for pair in v.split(',').filter(|p| !p.trim().is_empty()) {
            if !pair.contains('=') {
                return Err((
                    key,
                    format!("`additional_attributes` must be code=value pairs, got `{pair}`"),
                ));
            }
        }
    }
    Ok(row)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_rows(text: &str) -> Result<Rows, ImportFileError> {
        read_csv(text.as_bytes())
    }

    #[test]
    fn a_csv_row_with_a_problem_is_skipped_with_its_line_and_the_rest_is_kept() {
        let (rows, skipped) = csv_rows(
            "sku,name,price,visibility\nA-1,Alpha,10,\"Catalog, Search\"\n,No sku,1,\nB-2,Beta,-4,\nC-3,Gamma,abc,\nD-4,Delta,5,Everywhere\nE-5,Eps,7,Catalog\n",
        )
        .expect("the file is read");
        let skus: Vec<_> = rows
            .iter()
            .map(|r| r["sku"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(skus, ["A-1", "E-5"]);
        let reasons: Vec<_> = skipped
            .iter()
            .map(|i| format!("{}: {}", i.item, i.reason))
            .collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].starts_with("line 3 (-): no sku"), "{reasons:?}");
        assert!(reasons[1].contains("line 4 (B-2)") && reasons[1].contains("negative"));
        assert!(reasons[2].contains("line 5 (C-3)") && reasons[2].contains("not a number"));
        assert!(reasons[3].contains("line 6 (D-4)") && reasons[3].contains("visibility"));
    }

    #[test]
    fn an_unknown_column_refuses_the_whole_file() {
        let error = csv_rows("sku,name,colour\nA,B,red\n").expect_err("refused");
        assert!(error.to_string().contains("`colour`"), "{error}");
        assert!(error.to_string().contains("nothing was imported"));
    }

    #[test]
    fn ndjson_lines_are_checked_one_by_one() {
        let (rows, skipped) = read_ndjson(
            b"{\"sku\":\"A\",\"price\":12.5,\"product_online\":true}\nnot json\n[1]\n{\"sku\":\"B\",\"name\":{\"x\":1}}\n\n{\"sku\":\"C\"}\n",
        )
        .expect("read");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["price"], "12.5");
        assert_eq!(rows[0]["product_online"], "1");
        let items: Vec<_> = skipped.iter().map(|i| i.item.as_str()).collect();
        assert_eq!(items, ["line 2", "line 3", "line 4"]);
    }
}
