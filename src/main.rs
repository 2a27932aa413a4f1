//! The `storefront-bff` command: `serve` (default), `worker`, `jobs list|run|status`,
//! `import FILE`, `sandbox`, `schema`, `healthcheck`, `config check`. Logs go to stderr; stdout
//! carries only what a command produces (the SDL of `schema`, the configuration of `config
//! check`, the tables of `jobs`). Exit codes: 0 success, 1 failure, 2 invalid configuration,
//! 3 a job run finished but skipped or failed items.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use storefront_bff::config::{Config, LogConfig, LogFormat};
use storefront_bff::jobs::cli::{self as jobs, Exit};
use storefront_bff::server::{App, shutdown_signal};
use tikv_jemallocator::Jemalloc;

/// jemalloc: measured cheaper per request than the system allocator on the cached and the
/// all-miss merged paths, with the response cache's memory still within its budget.
#[global_allocator]
static ALLOCATOR: Jemalloc = Jemalloc;

#[derive(Parser)]
#[command(
    name = "storefront-bff",
    version,
    about = "GraphQL backend-for-frontend for headless Adobe Commerce"
)]
struct Cli {
    /// Configuration file (TOML); `BFF_*` environment variables override it.
    #[arg(long, short, global = true, env = "BFF_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Run the Adobe Commerce emulator on its own.
    Sandbox {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:4100")]
        listen: SocketAddr,
        /// Number of seeded products.
        #[arg(long, default_value_t = 1000)]
        products: usize,
        /// Added latency per Commerce call, in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Added latency per inventory lookup, in milliseconds.
        #[arg(long, default_value_t = 0)]
        inventory_latency_ms: u64,
        /// Added latency per CPQ lookup, in milliseconds.
        #[arg(long, default_value_t = 0)]
        cpq_latency_ms: u64,
        /// Added latency per ERP/WMS or PIM feed page, in milliseconds.
        #[arg(long, default_value_t = 0)]
        feed_latency_ms: u64,
        /// Serve the ERP/WMS and PIM feeds without their deliberate bad rows and without
        /// changes over time (for benchmarks).
        #[arg(long)]
        clean_feeds: bool,
        /// B2B buyers added to the demo logins for load tests, spread in turn over Acme, Globex
        /// and Initech: buyer<i>@acme.example / Buyer<i>!, buyer<i+1>@globex.example, ...
        #[arg(long, default_value_t = 0)]
        extra_buyers: usize,
        /// Base URL of a BFF that signs in through this sandbox's demo OpenID Provider (repeat
        /// for several): its `/auth/callback` and `/` are registered with the provider's client,
        /// beside the demo's `http://127.0.0.1:4000`.
        #[arg(long = "bff-url", value_name = "URL")]
        bff_urls: Vec<String>,
    },
    /// Print the composed schema (SDL) on stdout and exit; warnings go to stderr.
    Schema,
    /// Exit 0 when the server's /healthz answers 2xx (for container health checks); otherwise
    /// say why on stderr and exit 1.
    Healthcheck {
        /// URL to probe. Default: /healthz on `server.listen` (0.0.0.0 and :: probed on the
        /// loopback address).
        #[arg(long)]
        url: Option<String>,
        /// How long to wait for the answer, in milliseconds.
        #[arg(long, default_value_t = 3_000)]
        timeout_ms: u64,
    },
    /// Run only the job workers and schedules (no HTTP server), to scale them apart from the API.
    Worker,
    /// The back-office data flows: list them, run one, see runs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Import a catalog file (CSV in Commerce's import format, or NDJSON) through the
    /// catalog-content flow, with a progress bar and a validation report.
    Import {
        /// The file: `.csv` (Commerce's catalog_product columns) or `.ndjson` / `.jsonl`.
        file: PathBuf,
    },
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Each flow: schedule, next run, last run, state, watermark.
    List,
    /// Queue a run of a flow (product_master, inventory_full, inventory_delta, catalog_content).
    Run {
        name: String,
        /// Everything, not only what changed since the flow's watermark.
        #[arg(long)]
        full: bool,
        /// Run it in this process and follow it with a progress bar until it ends.
        #[arg(long)]
        wait: bool,
    },
    /// The latest runs, or one run with the reasons its items were skipped or failed.
    Status { run_id: Option<String> },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration (file, then `BFF_*` variables) and print the effective
    /// configuration as TOML, secrets redacted; exit 2 on an invalid configuration.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (config, warnings) =
        match Config::load_with_warnings(cli.config.as_deref(), std::env::vars()) {
            Ok(loaded) => loaded,
            Err(e) => {
                report_invalid_configuration(&e);
                return ExitCode::from(2);
            }
        };
    if let Some(Command::Config(ConfigCommand::Check)) = cli.command {
        return check_config(&config, &warnings);
    }
    storefront_bff::telemetry::init(&config.log);
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let format = config.log.format;
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)));
    match outcome {
        Ok(Exit::Done) => ExitCode::SUCCESS,
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            match format {
                LogFormat::Json => {
                    tracing::error!(error = %format!("{e:#}"), "storefront-bff failed")
                }
                LogFormat::Text => eprintln!("storefront-bff: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// The configuration error on stderr: as a JSON log line when `BFF_LOG__FORMAT` asks for JSON
/// (a log shipper reads it), else as text with where to look.
fn report_invalid_configuration(error: &storefront_bff::config::ConfigError) {
    let json = std::env::var("BFF_LOG__FORMAT")
        .is_ok_and(|f| f.trim().trim_matches('"').eq_ignore_ascii_case("json"));
    if json {
        storefront_bff::telemetry::init(&LogConfig {
            format: LogFormat::Json,
            ..LogConfig::default()
        });
        tracing::error!(error = %error, "invalid configuration");
        return;
    }
    eprintln!("storefront-bff: {error}");
    eprintln!(
        "Every option is documented in config/storefront-bff.example.toml; \
         `storefront-bff config check` shows the effective configuration."
    );
}

/// `config check`: the effective configuration on stdout, warnings on stderr.
fn check_config(config: &Config, warnings: &[String]) -> ExitCode {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    match config.to_redacted_toml() {
        Ok(text) => {
            print!("{text}");
            eprintln!("configuration is valid");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("storefront-bff: the configuration cannot be printed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<Exit> {
    match command {
        Command::Worker => {
            jobs::worker(config, async { shutdown_signal().await }).await?;
            Ok(Exit::Done)
        }
        Command::Jobs(JobsCommand::List) => jobs::list(&config).await,
        Command::Jobs(JobsCommand::Run { name, full, wait }) => {
            jobs::run(config, &name, full, wait).await
        }
        Command::Jobs(JobsCommand::Status { run_id }) => {
            jobs::status(&config, run_id.as_deref()).await
        }
        Command::Import { file } => jobs::import(config, &file).await,
        Command::Serve => {
            let playground = config.playground_enabled();
            let app = App::start(config, Vec::new()).await?;
            tracing::info!(url = %app.url(), "storefront-bff is listening on {}", app.url());
            if playground {
                tracing::info!("GraphQL playground: {}/graphql", app.url());
            }
            if app.sandbox().is_some() {
                for line in storefront_bff::server::demo_banner() {
                    tracing::info!("{line}");
                }
            }
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            app.shutdown().await;
            Ok(Exit::Done)
        }
        Command::Sandbox {
            listen,
            products,
            latency_ms,
            inventory_latency_ms,
            cpq_latency_ms,
            feed_latency_ms,
            clean_feeds,
            extra_buyers,
            bff_urls,
        } => {
            let ms = std::time::Duration::from_millis;
            let defaults = sandbox::SandboxConfig::default();
            let bff_urls: Vec<&str> = bff_urls.iter().map(|u| u.trim_end_matches('/')).collect();
            let settings = sandbox::SandboxConfig {
                oidc_redirect_uris: (defaults.oidc_redirect_uris.iter().cloned())
                    .chain(bff_urls.iter().map(|u| format!("{u}/auth/callback")))
                    .collect(),
                oidc_post_logout_redirect_uris: (defaults.oidc_post_logout_redirect_uris.iter())
                    .cloned()
                    .chain(bff_urls.iter().map(|u| format!("{u}/")))
                    .collect(),
                products,
                latency: ms(latency_ms),
                inventory_latency: ms(inventory_latency_ms),
                cpq_latency: ms(cpq_latency_ms),
                erp_latency: ms(feed_latency_ms),
                pim_latency: ms(feed_latency_ms),
                feed_bad_rows: defaults.feed_bad_rows && !clean_feeds,
                feed_changes: defaults.feed_changes && !clean_feeds,
                extra_buyers,
                product_types: true,
                ..defaults
            };
            let handle = sandbox::Sandbox::new(settings).spawn(listen).await?;
            tracing::info!(url = %handle.graphql_url(), "Commerce sandbox: {}", handle.graphql_url());
            shutdown_signal().await;
            handle.shutdown().await;
            Ok(Exit::Done)
        }
        Command::Schema => {
            let sdl = storefront_bff::server::composed_sdl(config).await?;
            print!("{sdl}");
            Ok(Exit::Done)
        }
        Command::Healthcheck { url, timeout_ms } => {
            let url = url.unwrap_or_else(|| local_health_url(config.server.listen));
            probe(&url, Duration::from_millis(timeout_ms)).await?;
            Ok(Exit::Done)
        }
        Command::Config(_) => Ok(Exit::Done),
    }
}

/// `/healthz` on `listen`, with an unspecified address (every interface) probed on loopback.
fn local_health_url(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", SocketAddr::new(ip, listen.port()))
}

/// GETs `url`; an error says why it is unhealthy (refused, timed out, HTTP status …).
async fn probe(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()?;
    match client.get(url).send().await {
        Ok(answer) if answer.status().is_success() => {
            println!("healthy: {url} answered {}", answer.status());
            Ok(())
        }
        Ok(answer) => anyhow::bail!("unhealthy: {url} answered HTTP {}", answer.status()),
        Err(e) => anyhow::bail!("unhealthy: {url}: {}", probe_failure(&e, timeout)),
    }
}

fn probe_failure(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("no answer within {} ms (timed out)", timeout.as_millis());
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut chain = Vec::new();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return "connection refused: nothing listens there (is the server running, and on \
                    this port? see server.listen)"
                .into();
        }
        chain.push(e.to_string());
        source = e.source();
    }
    chain.join(": ")
}
