//! The job runtime and the back-office flows, against the sandbox (Commerce REST, ERP/WMS and
//! PIM emulators) on both store backends: each flow end to end, resuming after `kill -9`,
//! retries and dead-letter, and replicas sharing one PostgreSQL.

mod harness;

mod flows;
mod replicas;
mod resilience;
