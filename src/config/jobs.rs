//! `[jobs]`: the durable job runtime (`src/jobs/`) and one table per back-office flow.

use std::marker::PhantomData;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The job runtime: workers, retries, the admin endpoint, and the flows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Whether `serve` also runs the workers and schedules (`worker` always does).
    pub workers: bool,
    /// How often a worker tells the database it is alive, in seconds; a worker silent for two
    /// intervals is dead and its run is picked up again (from its durable cursor) elsewhere.
    pub heartbeat_secs: u64,
    /// How often an idle worker looks for queued runs, in milliseconds.
    pub poll_ms: u64,
    /// Attempts of one run before it is dead-lettered (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the first retry, in milliseconds; it doubles per attempt, with jitter.
    pub backoff_min_ms: u64,
    /// Longest backoff between two attempts, in milliseconds.
    pub backoff_max_ms: u64,
    /// How often a bulk's status is polled while operations are open, in milliseconds.
    pub bulk_poll_ms: u64,
    /// How long a bulk may stay open before the run fails (and is retried), in seconds.
    pub bulk_timeout_secs: u64,
    /// Bearer token of the read-only `GET /admin/jobs…` endpoint; unset: the endpoint answers
    /// 404. At least 24 characters. Set it as `BFF_JOBS__ADMIN_TOKEN`.
    #[serde(skip_serializing)]
    pub admin_token: Option<SecretString>,
    /// ERP → Commerce: product master (async bulk) and base prices.
    pub product_master: FlowConfig<ProductMasterDefaults>,
    /// ERP/WMS → Commerce: the whole stock, daily.
    pub inventory_full: FlowConfig<InventoryFullDefaults>,
    /// ERP/WMS → Commerce: changed stock only, every few minutes.
    pub inventory_delta: FlowConfig<InventoryDeltaDefaults>,
    /// PIM → Commerce: names, descriptions, attributes, categories, images.
    pub catalog_content: FlowConfig<CatalogContentDefaults>,
    /// What the full inventory sync does with a Commerce source item the feed no longer lists:
    /// `zero` (quantity 0, out of stock) or `delete` (`/V1/inventory/source-items-delete`).
    pub inventory_vanished: Vanished,
    /// How the catalog-content flow writes: `rest` (products through the asynchronous bulk
    /// API) or `import` (rows in Commerce's import format through `POST /V1/import/json`, for
    /// large drops).
    pub catalog_content_mode: ContentMode,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: true,
            heartbeat_secs: 30,
            poll_ms: 1_000,
            max_attempts: 5,
            backoff_min_ms: 5_000,
            backoff_max_ms: 600_000,
            bulk_poll_ms: 1_000,
            bulk_timeout_secs: 1_800,
            admin_token: None,
            product_master: FlowConfig::default(),
            inventory_full: FlowConfig::default(),
            inventory_delta: FlowConfig::default(),
            catalog_content: FlowConfig::default(),
            inventory_vanished: Vanished::Zero,
            catalog_content_mode: ContentMode::Rest,
        }
    }
}

/// Each flow's defaults. A flow's table that sets only some options keeps the flow's own
/// defaults for the others (a plain `Default` would hand every flow the same ones).
pub trait FlowDefaults {
    const SCHEDULE: &'static str;
    const BATCH_SIZE: u32;
    const CONCURRENCY: u32;
}

macro_rules! flow_defaults {
    ($($name:ident: $schedule:literal, $batch:literal, $concurrency:literal;)*) => {$(
        #[derive(Debug, Clone)]
        pub enum $name {}
        impl FlowDefaults for $name {
            const SCHEDULE: &'static str = $schedule;
            const BATCH_SIZE: u32 = $batch;
            const CONCURRENCY: u32 = $concurrency;
        }
    )*};
}

flow_defaults! {
    ProductMasterDefaults: "0 */15 * * * *", 100, 4;
    InventoryFullDefaults: "0 30 2 * * *", 500, 2;
    InventoryDeltaDefaults: "0 */5 * * * *", 500, 2;
    CatalogContentDefaults: "0 0 * * * *", 100, 2;
}

/// What every flow has (`[jobs.<flow>]`), with the flow's own defaults `D`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, bound = "")]
pub struct FlowConfig<D: FlowDefaults> {
    /// Whether the schedule runs it (`jobs run` works either way).
    pub enabled: bool,
    /// When it runs: a cron expression with seconds (`sec min hour day month weekday`), UTC.
    pub schedule: String,
    /// Items per Commerce request (1 to 1000); a source page holds `batch_size × concurrency`.
    pub batch_size: u32,
    /// Commerce requests of one run in flight at once (1 to 32).
    pub concurrency: u32,
    #[serde(skip)]
    defaults: PhantomData<D>,
}

impl<D: FlowDefaults> Default for FlowConfig<D> {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: D::SCHEDULE.into(),
            batch_size: D::BATCH_SIZE,
            concurrency: D::CONCURRENCY,
            defaults: PhantomData,
        }
    }
}

impl<D: FlowDefaults> FlowConfig<D> {
    pub fn settings(&self) -> FlowSettings {
        FlowSettings {
            enabled: self.enabled,
            schedule: self.schedule.clone(),
            batch_size: self.batch_size,
            concurrency: self.concurrency,
        }
    }
}

/// One flow's settings, whichever flow.
#[derive(Debug, Clone)]
pub struct FlowSettings {
    pub enabled: bool,
    pub schedule: String,
    pub batch_size: u32,
    pub concurrency: u32,
}

/// See [`JobsConfig::inventory_vanished`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vanished {
    Zero,
    Delete,
}

/// See [`JobsConfig::catalog_content_mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentMode {
    Rest,
    Import,
}

/// Smallest admin token accepted.
const MIN_ADMIN_TOKEN_CHARS: usize = 24;

impl JobsConfig {
    /// Each flow's name and common settings.
    pub fn flows(&self) -> [(&'static str, FlowSettings); 4] {
        [
            ("product_master", self.product_master.settings()),
            ("inventory_full", self.inventory_full.settings()),
            ("inventory_delta", self.inventory_delta.settings()),
            ("catalog_content", self.catalog_content.settings()),
        ]
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (name, value) in [
            ("jobs.heartbeat_secs", self.heartbeat_secs),
            ("jobs.poll_ms", self.poll_ms),
            ("jobs.max_attempts", u64::from(self.max_attempts)),
            ("jobs.backoff_min_ms", self.backoff_min_ms),
            ("jobs.bulk_poll_ms", self.bulk_poll_ms),
            ("jobs.bulk_timeout_secs", self.bulk_timeout_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(
                    name,
                    format!("{name} must be greater than 0"),
                ));
            }
        }
        if self.backoff_max_ms < self.backoff_min_ms {
            return Err(ConfigError::invalid(
                "jobs.backoff_max_ms",
                "jobs.backoff_max_ms must be at least jobs.backoff_min_ms".into(),
            ));
        }
        if let Some(token) = &self.admin_token
            && token.expose_secret().chars().count() < MIN_ADMIN_TOKEN_CHARS
        {
            return Err(ConfigError::invalid(
                "jobs.admin_token",
                format!("jobs.admin_token must be at least {MIN_ADMIN_TOKEN_CHARS} characters"),
            ));
        }
        for (name, flow) in self.flows() {
            if let Err(e) = cron::Schedule::from_str(&flow.schedule) {
                return Err(ConfigError::invalid(
                    &format!("jobs.{name}.schedule"),
                    format!(
                        "jobs.{name}.schedule `{}` is not a cron expression with seconds \
                         (sec min hour day month weekday): {e}",
                        flow.schedule
                    ),
                ));
            }
            if !(1..=1000).contains(&flow.batch_size) {
                return Err(ConfigError::invalid(
                    &format!("jobs.{name}.batch_size"),
                    format!("jobs.{name}.batch_size must be between 1 and 1000"),
                ));
            }
            if !(1..=32).contains(&flow.concurrency) {
                return Err(ConfigError::invalid(
                    &format!("jobs.{name}.concurrency"),
                    format!("jobs.{name}.concurrency must be between 1 and 32"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_table_setting_one_option_keeps_the_flows_own_defaults_for_the_others() {
        let config: JobsConfig =
            toml::from_str("[inventory_full]\nconcurrency = 4\n").expect("parses");
        assert_eq!(config.inventory_full.concurrency, 4);
        assert_eq!(config.inventory_full.batch_size, 500);
        assert_eq!(config.inventory_full.schedule, "0 30 2 * * *");
        assert_eq!(config.product_master.batch_size, 100);
        assert_eq!(config.product_master.schedule, "0 */15 * * * *");
    }
}
