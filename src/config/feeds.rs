//! `[erp]` and `[pim]`: the ERP/WMS and PIM feeds the data flows read
//! (docs/connectors/erp.md, pim.md). Both sections take the same options.

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::sources::resilience::GuardSettings;

/// One feed connector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedConfig {
    /// Base URL of the feed (the BFF appends `/v1/products`, `/v1/stock`, …). Empty: the
    /// embedded sandbox's in the demo profile, otherwise the flows that read it do not run.
    pub url: String,
    /// Bearer token for the feed; set it as `BFF_ERP__TOKEN` / `BFF_PIM__TOKEN`.
    #[serde(skip_serializing)]
    pub token: Option<SecretString>,
    /// Deadline of one page including retries, in milliseconds.
    pub timeout_ms: u64,
    /// Retries after a failed page (connection errors, 502/503/504), within the deadline.
    pub retries: u32,
    /// Largest page answer read, in bytes; a larger one fails the page (not retried).
    pub max_answer_bytes: usize,
    /// Consecutive failed pages that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the open breaker refuses pages before one probe, in milliseconds.
    pub breaker_open_ms: u64,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: None,
            timeout_ms: 30_000,
            retries: 2,
            max_answer_bytes: 32 * 1024 * 1024,
            breaker_failures: 5,
            breaker_open_ms: 30_000,
        }
    }
}

impl FeedConfig {
    /// Deadline, retries and breaker of the feed's calls.
    pub fn guard_settings(&self) -> GuardSettings {
        GuardSettings {
            deadline: Duration::from_millis(self.timeout_ms),
            retries: self.retries,
            breaker_failures: self.breaker_failures,
            breaker_open: Duration::from_millis(self.breaker_open_ms),
        }
    }

    /// Ranges and the URL; `section` is `erp` or `pim`.
    pub(super) fn validate(&self, section: &str) -> Result<(), ConfigError> {
        let key = |field: &str| format!("{section}.{field}");
        let url = self.url.trim();
        if !url.is_empty()
            && !reqwest::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        {
            return Err(ConfigError::invalid(
                &key("url"),
                format!("{} must be an http(s) URL, got `{url}`", key("url")),
            ));
        }
        for (field, value) in [
            ("timeout_ms", self.timeout_ms),
            ("max_answer_bytes", self.max_answer_bytes as u64),
            ("breaker_failures", self.breaker_failures.into()),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(
                    &key(field),
                    format!("{} must be greater than 0", key(field)),
                ));
            }
        }
        Ok(())
    }
}
