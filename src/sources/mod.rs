//! Upstream systems, one module each, every one behind a trait so tests and the sandbox can
//! stand in (DESIGN §2.3).

pub mod commerce;
