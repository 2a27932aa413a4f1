//! Structured logs through `tracing`, on stderr (stdout is kept for what a command produces):
//! text for people, coloured only when stderr is a terminal; JSON for log shippers, one object
//! per line with numbers as numbers. Every line logged while serving a request carries its
//! `request_id` (the request span's field); the access line adds the operation, route, cache
//! status and Commerce time (see `http::router`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber; `RUST_LOG` overrides the configured filter.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let result = match config.format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    // A subscriber already installed (tests start several servers) is fine.
    let _ = result;
}
