//! The integration test binary: every test starts the real BFF on port 0 against the Commerce
//! sandbox on port 0 and checks what a client would notice.

mod support;

mod cache;
mod config;
mod forwarding;
mod merged;
mod merged_shapes;
mod playground;
mod schema_contract;
mod transport;
