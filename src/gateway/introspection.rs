//! Reads Commerce's schema by introspection and prints it as SDL, so an instance's own
//! attributes and modules are what the BFF exposes.

use std::fmt::Write;

use serde_json::Value;

/// The standard introspection query (descriptions, deprecations, defaults; 7 levels of
/// type wrapping, which covers `[[T!]!]!`).
pub const INTROSPECTION_QUERY: &str = r#"query IntrospectionQuery { __schema { queryType { name } mutationType { name } types { ...FullType } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;

#[derive(Debug, thiserror::Error)]
pub enum IntrospectionError {
    #[error("the introspection answer has no `__schema`")]
    NoSchema,
    #[error("root types must be named Query and Mutation, found `{0}`")]
    RootName(String),
}

/// Prints the SDL of an introspection answer (`{"data": {"__schema": …}}` or `{"__schema": …}`).
pub fn sdl_from_introspection(answer: &Value) -> Result<String, IntrospectionError> {
    let schema = answer
        .pointer("/data/__schema")
        .or_else(|| answer.get("__schema"))
        .ok_or(IntrospectionError::NoSchema)?;
    for (key, expected) in [("queryType", "Query"), ("mutationType", "Mutation")] {
        if let Some(name) = schema
            .pointer(&format!("/{key}/name"))
            .and_then(Value::as_str)
            && name != expected
        {
            return Err(IntrospectionError::RootName(name.to_string()));
        }
    }
    let mut out = String::new();
    let types = schema
        .get("types")
        .and_then(Value::as_array)
        .ok_or(IntrospectionError::NoSchema)?;
    for ty in types {
        let name = str_of(ty, "name");
        if name.starts_with("__") || matches!(name, "String" | "Int" | "Float" | "Boolean" | "ID") {
            continue;
        }
        description(&mut out, ty, "");
        match str_of(ty, "kind") {
            "SCALAR" => {
                let _ = writeln!(out, "scalar {name}\n");
            }
            "UNION" => {
                let members: Vec<&str> = list(ty, "possibleTypes")
                    .iter()
                    .map(|t| str_of(t, "name"))
                    .collect();
                let _ = writeln!(out, "union {name} = {}\n", members.join(" | "));
            }
            "ENUM" => {
                let _ = writeln!(out, "enum {name} {{");
                for v in list(ty, "enumValues") {
                    description(&mut out, v, "  ");
                    let _ = writeln!(out, "  {}{}", str_of(v, "name"), deprecated(v));
                }
                out.push_str("}\n\n");
            }
            "INPUT_OBJECT" => {
                let _ = writeln!(out, "input {name} {{");
                for f in list(ty, "inputFields") {
                    description(&mut out, f, "  ");
                    let _ = writeln!(out, "  {}", input_value(f));
                }
                out.push_str("}\n\n");
            }
            kind @ ("OBJECT" | "INTERFACE") => {
                let keyword = if kind == "OBJECT" {
                    "type"
                } else {
                    "interface"
                };
                let interfaces: Vec<&str> = list(ty, "interfaces")
                    .iter()
                    .map(|t| str_of(t, "name"))
                    .collect();
                let _ = write!(out, "{keyword} {name}");
                if !interfaces.is_empty() {
                    let _ = write!(out, " implements {}", interfaces.join(" & "));
                }
                out.push_str(" {\n");
                for f in list(ty, "fields") {
                    description(&mut out, f, "  ");
                    let _ = write!(out, "  {}", str_of(f, "name"));
                    let args = list(f, "args");
                    if !args.is_empty() {
                        let printed: Vec<String> = args.iter().map(input_value).collect();
                        let _ = write!(out, "({})", printed.join(", "));
                    }
                    let _ = writeln!(out, ": {}{}", type_ref(&f["type"]), deprecated(f));
                }
                out.push_str("}\n\n");
            }
            _ => {}
        }
    }
    Ok(out)
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn list<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn type_ref(t: &Value) -> String {
    match str_of(t, "kind") {
        "NON_NULL" => format!("{}!", type_ref(&t["ofType"])),
        "LIST" => format!("[{}]", type_ref(&t["ofType"])),
        _ => str_of(t, "name").to_string(),
    }
}

fn input_value(v: &Value) -> String {
    let mut s = format!("{}: {}", str_of(v, "name"), type_ref(&v["type"]));
    if let Some(default) = v.get("defaultValue").and_then(Value::as_str) {
        let _ = write!(s, " = {default}");
    }
    s
}

fn deprecated(v: &Value) -> String {
    if v.get("isDeprecated").and_then(Value::as_bool) != Some(true) {
        return String::new();
    }
    match v.get("deprecationReason").and_then(Value::as_str) {
        Some(reason) => format!(" @deprecated(reason: {})", Value::from(reason)),
        None => " @deprecated".to_string(),
    }
}

fn description(out: &mut String, v: &Value, indent: &str) {
    if let Some(d) = v
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
    {
        let escaped = d.replace("\"\"\"", "\\\"\"\"");
        let _ = writeln!(
            out,
            "{indent}\"\"\"\n{indent}{}\n{indent}\"\"\"",
            escaped.replace('\n', &format!("\n{indent}"))
        );
    }
}
