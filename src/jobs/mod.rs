//! The back-office data flows (DESIGN §2.5) and the durable runtime they run on.
//!
//! The engine is apalis 1.0: each flow has a queue in the store's own database (apalis-sqlite
//! by default, apalis-postgres when `store.url` is PostgreSQL), a worker per process that claims
//! queued runs (a claim is a row lock in apalis' table, so a run is processed by one worker),
//! apalis' retry layer with exponential backoff and jitter between attempts, and apalis-cron for
//! the schedules. A scheduled tick is pushed with an idempotency key naming the flow and the
//! tick's time, so replicas on one PostgreSQL queue it once.
//!
//! What apalis does not know lives in our tables (`store::job_runs`): the run record operators
//! read (state, attempts, counters, reasons items were skipped, the error that dead-lettered
//! it), the durable cursor a resumed attempt continues from, the flow's watermark, and a lease
//! per flow so two runs of one flow never overlap across replicas.
//!
//! * [`runtime`]: the workers and schedules (`serve`, `worker`), enqueueing, the attempt logic.
//! * [`context`]: what a flow gets for one attempt (cursor, counters, issues, watermark).
//! * [`bulk`]: Commerce's asynchronous bulk API, shared by the product flows.
//! * one file per flow with its `run_once`: [`product_master`], [`inventory_full`],
//!   [`inventory_delta`], [`catalog_content`]; [`import_file`] reads `import FILE`.

mod bulk;
mod catalog_content;
pub mod cli;
pub mod context;
pub mod import_file;
mod inventory_delta;
mod inventory_full;
mod product_master;
pub mod runtime;
mod stock;

use std::sync::Arc;

pub use context::{FlowError, Outcome, RunContext};
pub use runtime::{Jobs, JobsError};

use crate::config::{FlowSettings, JobsConfig};
use crate::extensions::StockService;
use crate::sources::commerce::admin::CommerceAdmin;
use crate::sources::erp::Erp;
use crate::sources::pim::Pim;

/// The flows, by the names the config, the CLI and the run records use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowName {
    ProductMaster,
    InventoryFull,
    InventoryDelta,
    CatalogContent,
}

impl FlowName {
    pub const ALL: [FlowName; 4] = [
        FlowName::ProductMaster,
        FlowName::InventoryFull,
        FlowName::InventoryDelta,
        FlowName::CatalogContent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlowName::ProductMaster => "product_master",
            FlowName::InventoryFull => "inventory_full",
            FlowName::InventoryDelta => "inventory_delta",
            FlowName::CatalogContent => "catalog_content",
        }
    }

    pub fn parse(name: &str) -> Option<FlowName> {
        FlowName::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// One line for `jobs list`.
    pub fn describe(self) -> &'static str {
        match self {
            FlowName::ProductMaster => "ERP → Commerce: product master (async bulk) + base prices",
            FlowName::InventoryFull => {
                "ERP/WMS → Commerce: every source item, vanished ones zeroed"
            }
            FlowName::InventoryDelta => {
                "ERP/WMS → Commerce: changed source items since the watermark"
            }
            FlowName::CatalogContent => "PIM → Commerce: names, descriptions, attributes, images",
        }
    }

    /// The schedule and sizes of this flow.
    pub fn settings(self, config: &JobsConfig) -> FlowSettings {
        match self {
            FlowName::ProductMaster => config.product_master.settings(),
            FlowName::InventoryFull => config.inventory_full.settings(),
            FlowName::InventoryDelta => config.inventory_delta.settings(),
            FlowName::CatalogContent => config.catalog_content.settings(),
        }
    }
}

/// The systems the flows talk to. Any may be missing: a flow whose source is not configured
/// fails its run with a message saying which option to set.
#[derive(Clone, Default)]
pub struct FlowDeps {
    pub commerce: Option<Arc<CommerceAdmin>>,
    /// The ERP/WMS feeds (product master, stock).
    pub erp: Option<Arc<dyn Erp>>,
    /// The PIM feed (catalog content).
    pub pim: Option<Arc<dyn Pim>>,
    /// The live-stock service, whose cache the inventory flows clear of the SKUs they change.
    pub stock: Option<Arc<StockService>>,
}

impl FlowDeps {
    /// What `flow` lacks to run, as the option to set (`None`: it can run).
    pub fn missing(&self, flow: FlowName) -> Option<&'static str> {
        if self.commerce.is_none() {
            return Some("commerce.admin_token or commerce.admin_username/admin_password");
        }
        match flow {
            FlowName::ProductMaster | FlowName::InventoryFull | FlowName::InventoryDelta
                if self.erp.is_none() =>
            {
                Some("erp.url")
            }
            FlowName::CatalogContent if self.pim.is_none() => Some("pim.url"),
            _ => None,
        }
    }

    fn commerce(&self) -> Result<&CommerceAdmin, FlowError> {
        self.commerce.as_deref().ok_or_else(|| {
            FlowError::Fatal(
                "no Commerce admin credentials: set commerce.admin_token (an integration token) \
                 or commerce.admin_username and commerce.admin_password"
                    .into(),
            )
        })
    }

    fn erp(&self) -> Result<&dyn Erp, FlowError> {
        self.erp.as_deref().ok_or_else(|| {
            FlowError::Fatal("erp.url is not set: the ERP/WMS feeds are not configured".into())
        })
    }

    fn pim(&self) -> Result<&dyn Pim, FlowError> {
        self.pim.as_deref().ok_or_else(|| {
            FlowError::Fatal("pim.url is not set: the PIM feed is not configured".into())
        })
    }
}
