//! Upstream systems, one module each, every one behind a trait so tests and the sandbox can
//! stand in (DESIGN §2.3). `resilience` is the deadline / retry / breaker every call goes
//! through; `connector` the HTTP side of the JSON connector contracts (docs/connectors/);
//! `transport` classifies why an HTTP call failed; `feed` the paging and per-item validation
//! the ERP/WMS and PIM feeds share (the data flows read them).

pub mod commerce;
pub mod connector;
pub mod cpq;
pub mod crm;
pub mod erp;
pub mod feed;
pub mod inventory;
pub mod pim;
pub mod resilience;
pub mod transport;
