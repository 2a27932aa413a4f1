//! Configuration: every option documented in the example file, clear errors for bad values.

use std::collections::BTreeSet;

use storefront_bff::config::Config;

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/config/storefront-bff.example.toml"
);

fn leaf_keys(prefix: &str, value: &toml::Value, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_keys(&key, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

/// Keys mentioned in the example, including commented-out `# key = value` lines.
fn documented_keys(text: &str) -> BTreeSet<String> {
    let mut section = String::new();
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        // A commented-out table header documents a map entry's options, e.g.
        // `# [auth.providers.NAME]`.
        let header = line
            .strip_prefix("# [")
            .map(|l| format!("[{l}"))
            .filter(|l| {
                l.ends_with(']')
                    && l.chars()
                        .all(|c| c.is_ascii_alphabetic() || "[]._".contains(c))
            });
        if let Some(name) = header
            .as_deref()
            .unwrap_or(line)
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
        {
            section = name.to_string();
            continue;
        }
        let candidate = line.trim_start_matches('#').trim();
        if let Some((key, _)) = candidate.split_once(" = ")
            && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            out.insert(if section.is_empty() {
                key.to_string()
            } else {
                format!("{section}.{key}")
            });
        }
    }
    out
}

#[test]
fn every_option_is_documented_in_the_example_config() {
    let text = std::fs::read_to_string(EXAMPLE).expect("example config");
    let documented = documented_keys(&text);
    let mut options = BTreeSet::new();
    leaf_keys(
        "",
        &toml::Value::try_from(Config::default()).expect("serialises"),
        &mut options,
    );
    // Options without a default (unset unless configured) do not serialise; name them here.
    options.extend(
        [
            "graphql.introspection",
            "graphql.playground",
            "hooks.commerce_secret",
            "inventory.token",
            "cpq.token",
            "commerce.admin_token",
            "commerce.admin_password",
            "auth.providers.NAME.client_secret",
            // An empty table by default, so it has no leaf to serialise.
            "auth.providers.NAME.extra_params",
            "crm.token",
            "store.url",
            "session.secret",
        ]
        .map(String::from),
    );
    // `[auth.providers]` is a map: its entries' options are documented under a NAME placeholder.
    leaf_keys(
        "auth.providers.NAME",
        &toml::Value::try_from(storefront_bff::config::OidcProviderConfig::default())
            .expect("serialises"),
        &mut options,
    );
    let missing: Vec<_> = options.difference(&documented).collect();
    assert!(missing.is_empty(), "undocumented options: {missing:?}");
    let unknown: Vec<_> = documented.difference(&options).collect();
    assert!(
        unknown.is_empty(),
        "the example documents options that do not exist: {unknown:?}"
    );
    Config::load(Some(std::path::Path::new(EXAMPLE)), Vec::new())
        .expect("the example loads as it is");
}

#[test]
fn environment_overrides_win_over_the_file() {
    let config = Config::load(
        Some(std::path::Path::new(EXAMPLE)),
        vec![
            ("BFF_SERVER__LISTEN".to_string(), "0.0.0.0:4100".to_string()),
            ("BFF_CACHE__ENABLED".to_string(), "false".to_string()),
            (
                "BFF_COMMERCE__GRAPHQL_URL".to_string(),
                "https://shop.example.com/graphql".to_string(),
            ),
            ("UNRELATED".to_string(), "x".to_string()),
        ],
    )
    .expect("loads");
    assert_eq!(config.server.listen.port(), 4100);
    assert!(!config.cache.enabled);
    assert!(!config.uses_sandbox());
}

#[test]
fn bad_values_are_refused_with_a_message_naming_the_option() {
    let cases = [
        (
            "BFF_COMMERCE__GRAPHQL_URL",
            "ftp://shop",
            "commerce.graphql_url",
        ),
        ("BFF_GRAPHQL__MAX_DEPTH", "0", "graphql.max_depth"),
        ("BFF_SERVER__LISTEN", "not-an-address", "listen"),
        ("BFF_CACHE__NO_SUCH_OPTION", "1", "no_such_option"),
        (
            "BFF_HOOKS__COMMERCE_SECRET",
            "short",
            "hooks.commerce_secret",
        ),
        (
            "BFF_PROFILE",
            "production",
            "commerce.graphql_url is required",
        ),
    ];
    for (name, value, expected) in cases {
        let error = Config::load(None, vec![(name.to_string(), value.to_string())])
            .expect_err(name)
            .to_string();
        assert!(error.contains(expected), "{name}={value}: {error}");
    }
}

#[test]
fn a_secret_never_appears_in_debug_output() {
    let config = Config::load(
        None,
        vec![(
            "BFF_HOOKS__COMMERCE_SECRET".to_string(),
            "super-secret-value-123".to_string(),
        )],
    )
    .expect("loads");
    assert!(!format!("{config:?}").contains("super-secret-value-123"));
}
