//! Loading: the file, then the `BFF_*` variables (see the parent module), with where each
//! value came from kept to name it in errors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{CONFIG_FILE_VARIABLE, Config, ConfigError, normalize_origin};

impl ConfigError {
    /// Names where the offending value came from, when `origins` knows it.
    fn located(self, origins: &Origins) -> Self {
        match self {
            ConfigError::Invalid {
                key: Some(key),
                message,
                origin: None,
            } => ConfigError::Invalid {
                origin: origins.describe(&key),
                key: Some(key),
                message,
            },
            other => other,
        }
    }
}

/// Where each configured value came from: a key in the file, or an environment variable.
#[derive(Default)]
struct Origins {
    file: Option<String>,
    /// Dotted keys of the file's values (arrays as one key).
    file_keys: BTreeSet<String>,
    /// Dotted key → the environment variable that set it.
    variables: BTreeMap<String, String>,
}

impl Origins {
    fn describe(&self, key: &str) -> Option<String> {
        let covers = |k: &str| {
            key == k
                || key
                    .strip_prefix(k)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        };
        if let Some((_, variable)) = self.variables.iter().find(|(k, _)| covers(k)) {
            return Some(format!("environment variable {variable}"));
        }
        let file = self.file.as_ref()?;
        let in_file = self
            .file_keys
            .iter()
            .filter(|k| covers(k))
            .max_by_key(|k| k.len())?;
        Some(format!("key `{in_file}` in {file}"))
    }
}

impl Config {
    /// Loads `path` (if given), applies `BFF_*` overrides from `env`, and validates. Ignored
    /// variables are logged as warnings (see [`Config::load_with_warnings`]).
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let (config, warnings) = Self::load_with_warnings(path, env)?;
        for warning in warnings {
            tracing::warn!("{warning}");
        }
        Ok(config)
    }

    /// [`Config::load`], returning the warnings (ignored `BFF_*` variables) instead of logging
    /// them, for callers that log only once telemetry is set up.
    pub fn load_with_warnings(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let mut origins = Origins::default();
        let mut table = match path {
            Some(path) => read_file(path, &mut origins)?,
            None => toml::Table::new(),
        };
        let warnings = apply_environment(&mut table, env, &mut origins)?;
        let mut config: Config = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| {
                let mut key = e.path().to_string();
                let inner: toml::de::Error = e.into_inner();
                let message = inner.message().to_string();
                if let Some(field) = unknown_field(&message)
                    && key.rsplit('.').next() != Some(field)
                {
                    key = if key == "." {
                        field.to_string()
                    } else {
                        format!("{key}.{field}")
                    };
                }
                ConfigError::invalid(&key, format!("{key}: {message}")).located(&origins)
            })?;
        config.server.cors_allowed_origins = config
            .server
            .cors_allowed_origins
            .iter()
            .map(|o| normalize_origin(o).unwrap_or_else(|_| o.clone()))
            .collect();
        config.validate().map_err(|e| e.located(&origins))?;
        Ok((config, warnings))
    }
}

/// Applies the `BFF_*` variables whose first segment is a section or top-level option, noting
/// each in `origins`; returns a warning for every other `BFF_*` name (`BFF_CONFIG` aside).
fn apply_environment(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
    origins: &mut Origins,
) -> Result<Vec<String>, ConfigError> {
    let known = top_level_names();
    let mut warnings = Vec::new();
    let mut env: Vec<(String, String)> = env.into_iter().collect();
    env.sort();
    for (name, value) in env {
        let Some(path) = name.strip_prefix("BFF_") else {
            continue;
        };
        if name == CONFIG_FILE_VARIABLE {
            continue;
        }
        let keys: Vec<String> = path.split("__").map(|k| k.to_ascii_lowercase()).collect();
        if !known.contains(&keys[0]) {
            warnings.push(format!(
                "ignoring environment variable {name}: `{}` is not a configuration section or \
                 option (overrides look like BFF_SERVER__LISTEN)",
                keys[0]
            ));
            continue;
        }
        let key = keys.join(".");
        apply_override(table, &keys, &value).map_err(|section| ConfigError::Invalid {
            key: Some(key.clone()),
            message: format!("{key}: `{section}` is not a section"),
            origin: Some(format!("environment variable {name}")),
        })?;
        origins.variables.insert(key, name);
    }
    Ok(warnings)
}

/// Reads and parses the file, noting its keys in `origins`.
fn read_file(path: &Path, origins: &mut Origins) -> Result<toml::Table, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let table = text
        .parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            path: shown.clone(),
            message: e.message().to_string(),
        })?;
    collect_keys("", &table, &mut origins.file_keys);
    origins.file = Some(shown);
    Ok(table)
}

fn collect_keys(prefix: &str, table: &toml::Table, out: &mut BTreeSet<String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if let toml::Value::Table(t) = v {
            collect_keys(&key, t, out);
        }
        out.insert(key);
    }
}

/// The sections and top-level options: the first segment an override may start with.
fn top_level_names() -> BTreeSet<String> {
    toml::Table::try_from(Config::default())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// The field named by serde's "unknown field `x`, expected …" message.
fn unknown_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field)
}

/// Sets the value at `keys` in `table` to `raw`, parsed as a TOML value when it is one; on a
/// key that holds a value where a section is needed, returns that key.
fn apply_override(table: &mut toml::Table, keys: &[String], raw: &str) -> Result<(), String> {
    let Some((last, sections)) = keys.split_last() else {
        return Ok(());
    };
    let mut at = table;
    for key in sections {
        let entry = at
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        at = entry.as_table_mut().ok_or_else(|| key.clone())?;
    }
    let value = format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    at.insert(last.clone(), value);
    Ok(())
}
