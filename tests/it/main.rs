//! The integration test binary: every test starts the real BFF on port 0 against the Commerce
//! sandbox on port 0 and checks what a client would notice.

mod support;

mod abuse;
mod cache;
mod cli;
mod config;
mod cors;
mod crm;
mod edge;
mod feeds;
mod forwarding;
mod fuzz;
mod hostile;
mod jobs;
mod merged;
mod merged_shapes;
mod ops;
mod playground;
mod rest_contract;
pub mod rest_swagger;
mod schema_contract;
mod sessions;
mod shapes;
mod shopper;
mod sso;
mod store;
mod transport;
