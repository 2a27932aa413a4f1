//! The `storefront-bff` command: `serve` (default), `sandbox`, `schema`, `healthcheck`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use storefront_bff::config::Config;
use storefront_bff::server::{App, shutdown_signal};

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
    },
    /// Print the composed schema (SDL) and exit.
    Schema,
    /// Exit 0 when the local server's /healthz answers (for container health checks).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:4000/healthz")]
        url: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref(), std::env::vars()).context("configuration")?;
    storefront_bff::telemetry::init(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config))
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let playground = config.playground_enabled();
            let app = App::start(config, Vec::new()).await?;
            println!("storefront-bff is listening on {}", app.url());
            if playground {
                println!("GraphQL playground: {}/graphql", app.url());
            }
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            app.shutdown().await;
            Ok(())
        }
        Command::Sandbox {
            listen,
            products,
            latency_ms,
            inventory_latency_ms,
            cpq_latency_ms,
        } => {
            let ms = std::time::Duration::from_millis;
            let settings = sandbox::SandboxConfig {
                products,
                latency: ms(latency_ms),
                inventory_latency: ms(inventory_latency_ms),
                cpq_latency: ms(cpq_latency_ms),
                ..sandbox::SandboxConfig::default()
            };
            let handle = sandbox::Sandbox::new(settings).spawn(listen).await?;
            println!("Commerce sandbox: {}", handle.graphql_url());
            shutdown_signal().await;
            handle.shutdown().await;
            Ok(())
        }
        Command::Schema => {
            let sdl = storefront_bff::server::composed_sdl(config).await?;
            print!("{sdl}");
            Ok(())
        }
        Command::Healthcheck { url } => {
            let ok = reqwest::get(&url)
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            anyhow::ensure!(ok, "{url} is not healthy");
            Ok(())
        }
    }
}
