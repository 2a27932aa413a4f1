//! Holds REST exchanges (what a client sent to Commerce and what came back, from the sandbox's
//! journal) against Adobe's 2.4.9 admin Swagger, copied into
//! `crates/commerce-schema/reference/` (two subsets: customers, and catalog/inventory).
//!
//! Checked: the path matches a Swagger path template after the `/rest[/<store>]` prefix, or the
//! async bulk rules (`/async/bulk/V1/…`, `by<Param>` for a path parameter, POST/PUT only, a
//! JSON array of the route's body, answered by Adobe's documented async response); the method
//! exists; query parameter names are declared (indices compared as `[0]`); the request body
//! and the answer fit their schemas: declared types through `$ref`, arrays and objects,
//! required members present, no undeclared members.
//!
//! Leniencies, each where Commerce itself departs from its Swagger: `null` is accepted for any
//! declared member (Commerce writes unset getters as null); an `unstructured-array` (an object
//! without properties) takes any object or array (the import's `items` are rows); the
//! `parameters` of an error are an object of named values or an array (Commerce sends either,
//! the Swagger lists a fixed object shape); a 2xx answer of a route that declares none (void
//! service methods) must be `[]`, `true` or empty.

use serde_json::{Value, json};

use sandbox::RestExchange;

const CUSTOMERS: &str = include_str!(
    "../../crates/commerce-schema/reference/adobe-commerce-rest-2.4.9-admin.customers-subset.json"
);
const CATALOG: &str = include_str!(
    "../../crates/commerce-schema/reference/adobe-commerce-rest-2.4.9-admin.catalog-inventory-subset.json"
);

/// The two subsets merged.
pub fn swagger() -> Value {
    let mut merged: Value = serde_json::from_str(CATALOG).expect("catalog subset is JSON");
    let customers: Value = serde_json::from_str(CUSTOMERS).expect("customers subset is JSON");
    for key in ["paths", "definitions"] {
        if let (Some(into), Some(from)) = (merged[key].as_object_mut(), customers[key].as_object())
        {
            for (name, value) in from {
                into.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    merged
}

/// The answer of an async or bulk request, from Adobe's REST docs (not a Swagger path).
fn async_response() -> Value {
    json!({
        "type": "object",
        "required": ["bulk_uuid", "request_items", "errors"],
        "properties": {
            "bulk_uuid": { "type": "string" },
            "errors": { "type": "boolean" },
            "request_items": { "type": "array", "items": {
                "type": "object",
                "required": ["id", "data_hash", "status"],
                "properties": {
                    "id": { "type": "integer" },
                    "data_hash": { "type": "string" },
                    "status": { "type": "string" },
                    "error_message": { "type": "string" }
                }
            }}
        }
    })
}

/// Panics with every exchange that does not fit the Swagger.
pub fn assert_rest_journal_matches_swagger(journal: &[RestExchange]) {
    let swagger = swagger();
    let failures: Vec<String> = journal
        .iter()
        .filter_map(|e| {
            check_exchange(&swagger, e)
                .err()
                .map(|why| format!("{} {}: {why}", e.method, e.path))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "REST exchanges off Adobe's Swagger:\n{}",
        failures.join("\n")
    );
}

/// Checks one exchange.
pub fn check_exchange(swagger: &Value, exchange: &RestExchange) -> Result<(), String> {
    let (path, query) = exchange
        .path
        .split_once('?')
        .unwrap_or((&exchange.path, ""));
    let (route, bulk) = route_of(path)?;
    let method = exchange.method.to_ascii_lowercase();
    let template = match bulk {
        false => find_template(swagger, &route)?,
        true => bulk_template(swagger, &route)?,
    };
    let operation = &swagger["paths"][&template][&method];
    if operation.is_null() {
        return Err(format!("{method} is not a method of {template}"));
    }
    if bulk && !["post", "put"].contains(&method.as_str()) {
        return Err("async bulk takes POST and PUT only".into());
    }
    let definitions = &swagger["definitions"];
    let parameters = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    check_query(&parameters, query)?;
    if exchange.truncated {
        return Ok(());
    }
    let body_schema = parameters
        .iter()
        .find(|p| p["in"] == "body")
        .map(|p| p["schema"].clone());
    match (&exchange.request, body_schema) {
        (Some(body), Some(schema)) if bulk => {
            let array = json!({ "type": "array", "items": schema });
            conforms(body, &array, definitions, "request")?;
        }
        (Some(body), Some(schema)) => conforms(body, &schema, definitions, "request")?,
        (None, Some(schema)) if schema["required"].as_array().is_some_and(|r| !r.is_empty()) => {
            return Err("the request has no body".into());
        }
        (Some(_), None) => return Err("the route takes no body".into()),
        _ => {}
    }
    let status = exchange.status;
    let answer = exchange.response.clone().unwrap_or(Value::Null);
    if bulk && status == 202 {
        return conforms(&answer, &async_response(), definitions, "answer");
    }
    let responses = &operation["responses"];
    let declared = &responses[status.to_string()];
    if declared.is_null() && (200..300).contains(&status) {
        // A void service method: Commerce answers `[]` (or `true`).
        return match &answer {
            Value::Null | Value::Bool(true) => Ok(()),
            Value::Array(items) if items.is_empty() => Ok(()),
            other => Err(format!("a void route answered {other}")),
        };
    }
    let schema = if declared.is_null() {
        &responses["default"]
    } else {
        declared
    };
    match &schema["schema"] {
        Value::Null => Err(format!("HTTP {status} is not an answer of {template}")),
        schema => conforms(&answer, schema, definitions, "answer"),
    }
}

/// `/rest[/<store>][/async/bulk]/V1/…` → (`/V1/…`, bulk).
fn route_of(path: &str) -> Result<(String, bool), String> {
    let rest = path.strip_prefix("/rest/").ok_or("not under /rest")?;
    let mut segments: Vec<&str> = rest.split('/').collect();
    if segments.first() != Some(&"V1") && segments.first() != Some(&"async") {
        segments.remove(0);
    }
    let bulk = segments.starts_with(&["async", "bulk"]);
    if bulk {
        segments.drain(..2);
    }
    if segments.first() != Some(&"V1") {
        return Err("no /V1 after the store code".into());
    }
    Ok((format!("/{}", segments.join("/")), bulk))
}

fn find_template(swagger: &Value, route: &str) -> Result<String, String> {
    let paths = swagger["paths"].as_object().ok_or("no paths")?;
    let actual: Vec<&str> = route.split('/').collect();
    paths
        .keys()
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == actual.len()
                && parts
                    .iter()
                    .zip(&actual)
                    .all(|(t, a)| (t.starts_with('{') && !a.is_empty()) || t == a)
        })
        // Literal segments win over parameters (`/V1/products/base-prices` over `{sku}`).
        .max_by_key(|t| t.split('/').filter(|s| !s.starts_with('{')).count())
        .cloned()
        .ok_or_else(|| format!("{route} matches no Swagger path"))
}

/// `/V1/products/bySku` → `/V1/products/{sku}`; a route without `by…` maps to itself.
fn bulk_template(swagger: &Value, route: &str) -> Result<String, String> {
    if let Some((head, last)) = route.rsplit_once('/')
        && let Some(param) = last.strip_prefix("by")
    {
        let mut name = param.to_owned();
        if let Some(first) = name.get(..1) {
            name.replace_range(..1, &first.to_ascii_lowercase());
        }
        let template = format!("{head}/{{{name}}}");
        if swagger["paths"][&template].is_object() {
            return Ok(template);
        }
    }
    find_template(swagger, route)
}

fn check_query(parameters: &[Value], query: &str) -> Result<(), String> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        let key = percent_decode(key);
        let normalized = normalize_indices(&key);
        let declared = parameters.iter().any(|p| {
            p["in"] == "query"
                && p["name"]
                    .as_str()
                    .is_some_and(|n| normalize_indices(n) == normalized)
        });
        if !declared {
            return Err(format!("query parameter {key} is not declared"));
        }
    }
    Ok(())
}

fn normalize_indices(key: &str) -> String {
    key.split('[')
        .map(|s| {
            if s.trim_end_matches(']').chars().all(|c| c.is_ascii_digit()) && s.ends_with(']') {
                "0]"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("[")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `value` fits `schema` (see the module doc for the leniencies).
pub fn conforms(
    value: &Value,
    schema: &Value,
    definitions: &Value,
    at: &str,
) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        let target = &definitions[name];
        if target.is_null() {
            return Err(format!("{at}: {name} is not in the subset"));
        }
        if name.starts_with("error-parameters") && (value.is_object() || value.is_array()) {
            return Ok(());
        }
        return conforms(value, target, definitions, at);
    }
    let unstructured = schema["type"] == "object" && schema["properties"].is_null();
    match (schema["type"].as_str(), value) {
        (Some("object"), Value::Object(_) | Value::Array(_)) if unstructured => Ok(()),
        (Some("object") | None, Value::Object(members)) => {
            for (key, member) in members {
                let declared = &schema["properties"][key];
                if declared.is_null() {
                    return Err(format!("{at}.{key} is not declared"));
                }
                if member.is_null() {
                    continue;
                }
                conforms(member, declared, definitions, &format!("{at}.{key}"))?;
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                let key = required.as_str().unwrap_or_default();
                if !members.contains_key(key) {
                    return Err(format!("{at}.{key} is required"));
                }
            }
            Ok(())
        }
        (Some("array"), Value::Array(items)) => {
            items.iter().enumerate().try_for_each(|(i, item)| {
                conforms(item, &schema["items"], definitions, &format!("{at}[{i}]"))
            })
        }
        (Some("string"), Value::String(_))
        | (Some("boolean"), Value::Bool(_))
        | (Some("number"), Value::Number(_)) => Ok(()),
        (Some("integer"), Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        (expected, value) => Err(format!("{at} is {value}, the Swagger says {expected:?}")),
    }
}
