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
            "erp.token",
            "pim.token",
            "store.url",
            "session.secret",
            "jobs.admin_token",
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
        ("BFF_SESSION__SECRET", "too-short", "session.secret"),
        (
            "BFF_SESSION__IDLE_TIMEOUT_SECS",
            "30",
            "session.touch_interval_secs",
        ),
        (
            "BFF_SESSION__ABSOLUTE_TIMEOUT_SECS",
            "60",
            "session.idle_timeout_secs",
        ),
        ("BFF_STORE__SCHEMA", "public; drop table x", "store.schema"),
        ("BFF_STORE__MAX_CONNECTIONS", "0", "store.max_connections"),
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

/// One OpenID Provider, configured through the environment as an operator would.
fn provider_env(issuer: &str) -> Vec<(String, String)> {
    [
        ("BFF_AUTH__PROVIDERS__CORP__ISSUER", issuer),
        ("BFF_AUTH__PROVIDERS__CORP__CLIENT_ID", "bff"),
        (
            "BFF_AUTH__PROVIDERS__CORP__CLIENT_SECRET",
            "oidc-client-secret-value-42",
        ),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

#[test]
fn sso_options_out_of_bounds_are_refused_naming_the_option() {
    let mut cases = vec![
        (
            provider_env("http://login.example.com"),
            "auth.providers.corp.issuer",
        ),
        (provider_env("not a url"), "auth.providers.corp.issuer"),
    ];
    let mut no_secret = provider_env("https://login.example.com");
    no_secret.pop();
    cases.push((no_secret, "auth.providers.corp.client_secret"));
    let mut reserved = provider_env("https://login.example.com");
    reserved.push((
        "BFF_AUTH__PROVIDERS__CORP__EXTRA_PARAMS".into(),
        "{ nonce = \"fixed\" }".into(),
    ));
    cases.push((reserved, "auth.providers.corp.extra_params"));
    cases.push((
        vec![("BFF_AUTH__CLOCK_SKEW_SECS".into(), "3600".into())],
        "auth.clock_skew_secs",
    ));
    cases.push((
        vec![("BFF_AUTH__RETURN_TO_ORIGINS".into(), "[\"*\"]".into())],
        "auth.return_to_origins",
    ));
    cases.push((
        vec![(
            "BFF_AUTH__RETURN_TO_PATHS".into(),
            "[\"//evil.example\"]".into(),
        )],
        "auth.return_to_paths",
    ));
    for (env, expected) in cases {
        let error = Config::load(None, env.clone())
            .expect_err(expected)
            .to_string();
        assert!(error.contains(expected), "{env:?}: {error}");
    }
    // Plain http is fine for a provider on this machine (tests, the demo).
    Config::load(None, provider_env("http://127.0.0.1:9000/oidc")).expect("localhost issuer");
}

#[test]
fn oidc_client_secrets_and_the_admin_password_are_redacted() {
    let mut env = provider_env("https://login.example.com");
    env.push((
        "BFF_COMMERCE__ADMIN_PASSWORD".into(),
        "admin-password-value-77".into(),
    ));
    let config = Config::load(None, env).expect("loads");
    let shown = config.to_redacted_toml().expect("prints");
    for secret in ["oidc-client-secret-value-42", "admin-password-value-77"] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!format!("{config:?}").contains(secret));
    }
    assert!(shown.contains("client_secret = \"[redacted]\""), "{shown}");
}
