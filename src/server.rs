//! Start-up wiring: the Commerce client (or the embedded sandbox in the demo profile), the
//! composed schema, the gateway and the HTTP server, plus graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::Request;
use commerce_schema::Sdl;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::{Service, ServiceExt};

use crate::auth::sso::Sso;
use crate::auth::{CustomerTokenMinter, Sessions};
use crate::config::{Config, Profile};
use crate::extensions::{PricingService, StockService};
use crate::gateway::extension::MergedExtension;
use crate::gateway::introspection::{INTROSPECTION_QUERY, sdl_from_introspection};
use crate::gateway::{ComposedSchema, Extension, Gateway, SchemaSource};
use crate::http::{self, AppState};
use crate::jobs::{FlowDeps, FlowName, Jobs};
use crate::sources::commerce::admin::CommerceAdmin;
use crate::sources::commerce::{
    CommerceGraphql, ForwardedHeaders, GuardedCommerce, HttpCommerce, UpstreamMethod,
    UpstreamRequest,
};
use crate::sources::connector::ConnectorClient;
use crate::sources::cpq::{Cpq, HttpCpq};
use crate::sources::crm::CrmService;
use crate::sources::erp::{Erp, HttpErp};
use crate::sources::inventory::{HttpInventory, Inventory};
use crate::sources::pim::{HttpPim, Pim};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the embedded sandbox: {0}")]
    Sandbox(std::io::Error),
    #[error("the Commerce client cannot be built: {0}")]
    Commerce(String),
    #[error("the composed schema is invalid: {0}")]
    Schema(#[from] commerce_schema::SchemaError),
    #[error("single sign-on cannot start: {0}")]
    Sso(String),
    #[error("the state store cannot be opened: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the job runtime cannot start: {0}")]
    Jobs(String),
    #[error("a feed client (erp, pim) cannot be built: {0}")]
    Feed(String),
}

/// The provider name of the sandbox's demo OpenID Provider (`/auth/login?provider=demo`).
pub const DEMO_PROVIDER: &str = "demo";

/// The demo provider knows the BFF's callback only once the BFF listens (any port).
fn register_with_demo_provider(handle: &sandbox::SandboxHandle, config: &Config, base_url: &str) {
    let base = if config.auth.public_base_url.trim().is_empty() {
        base_url
    } else {
        config.auth.public_base_url.trim()
    };
    let base = base.trim_end_matches('/');
    handle
        .sandbox
        .register_oidc_redirect_uri(&format!("{base}/auth/callback"));
    handle
        .sandbox
        .register_oidc_post_logout_redirect_uri(&format!("{base}/"));
}

/// The Commerce admin client, when admin credentials are configured.
fn commerce_admin(config: &Config) -> Result<Option<Arc<CommerceAdmin>>, StartError> {
    let admin = CommerceAdmin::new(&config.commerce.graphql_url, &config.commerce)
        .map_err(|e| StartError::Commerce(e.to_string()))?;
    Ok(admin.is_configured().then(|| Arc::new(admin)))
}

/// Single sign-on when `[auth.providers]` are configured: the OpenID clients, the CRM check,
/// the Commerce admin client and the sessions.
fn single_sign_on(
    config: &Config,
    base_url: &str,
    admin: Option<Arc<CommerceAdmin>>,
    sessions: Arc<Sessions>,
) -> Result<Option<Sso>, StartError> {
    if config.auth.providers.is_empty() {
        return Ok(None);
    }
    let Some(admin) = admin else {
        return Err(StartError::Sso(
            "[auth.providers] need a Commerce admin user to mint customer tokens: \
             commerce.admin_username and commerce.admin_password"
                .into(),
        ));
    };
    let crm = CrmService::from_config(&config.crm).map_err(|e| StartError::Sso(e.to_string()))?;
    let sso = Sso::from_config(config, base_url, admin, sessions, Arc::new(crm))
        .map_err(|e| StartError::Sso(e.to_string()))?;
    Ok(Some(sso))
}

/// Starts the embedded sandbox when no Commerce is configured (the demo profile), and points
/// every source not configured — Commerce, the ERP/WMS, CPQ, CRM, the admin user and the demo
/// OpenID Provider — at it.
pub async fn start_demo_sandbox(
    config: &mut Config,
) -> Result<Option<sandbox::SandboxHandle>, StartError> {
    if !config.uses_sandbox() {
        return Ok(None);
    }
    let settings = sandbox::SandboxConfig {
        products: config.sandbox.products,
        latency: Duration::from_millis(config.sandbox.latency_ms),
        product_types: true,
        ..sandbox::SandboxConfig::default()
    };
    let handle = sandbox::Sandbox::new(settings)
        .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(StartError::Sandbox)?;
    config.commerce.graphql_url = handle.graphql_url();
    // The sandbox also stands in for the ERP/WMS, the CPQ and the CRM unless they are
    // configured.
    let base = handle.base_url();
    let base = base.trim_end_matches('/');
    for (url, token, path) in [
        (
            &mut config.inventory.url,
            &mut config.inventory.token,
            "inventory",
        ),
        (&mut config.cpq.url, &mut config.cpq.token, "cpq"),
        (&mut config.crm.url, &mut config.crm.token, "crm"),
        (&mut config.erp.url, &mut config.erp.token, "erp"),
        (&mut config.pim.url, &mut config.pim.token, "pim"),
    ] {
        if url.is_empty() {
            *url = format!("{base}/{path}");
            *token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
        }
    }
    // SSO's admin calls go to the sandbox as its seeded admin user.
    if config.commerce.admin_username.is_empty() && config.commerce.admin_password.is_none() {
        config.commerce.admin_username = sandbox::demo::ADMIN_USER.0.to_string();
        config.commerce.admin_password = Some(sandbox::demo::ADMIN_USER.1.to_string().into());
    }
    // With no OpenID Provider configured, the sandbox's demo provider shows the SSO loop.
    if config.auth.providers.is_empty() {
        config.auth.providers.insert(
            DEMO_PROVIDER.into(),
            crate::config::OidcProviderConfig {
                issuer: handle.oidc_issuer(),
                client_id: sandbox::demo::OIDC_CLIENT_ID.into(),
                client_secret: Some(sandbox::demo::OIDC_CLIENT_SECRET.to_string().into()),
                ..Default::default()
            },
        );
    }
    tracing::info!(url = %config.commerce.graphql_url, products = config.sandbox.products, "embedded Commerce sandbox started");
    Ok(Some(handle))
}

/// A running server. Dropping it does not stop it: call [`App::shutdown`].
pub struct App {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// Deletes expired sessions and login attempts until shutdown.
    purge: JoinHandle<()>,
    /// The job runtime, when this process runs the workers (`jobs.workers`).
    jobs: Option<Jobs>,
    /// The job workers and schedules, until shutdown.
    workers: Option<JoinHandle<()>>,
    sandbox: Option<sandbox::SandboxHandle>,
    grace: Duration,
}

impl App {
    /// Builds everything from `config` and starts serving; `extra` extensions are composed
    /// after the BFF's own ([`extensions`]).
    pub async fn start(mut config: Config, extra: Vec<Extension>) -> Result<App, StartError> {
        let mut extensions = self::extensions();
        extensions.extend(extra);
        let started = Instant::now();
        let sandbox = start_demo_sandbox(&mut config).await?;
        let commerce: Arc<dyn CommerceGraphql> = Arc::new(GuardedCommerce::new(
            Arc::new(
                HttpCommerce::new(&config.commerce.graphql_url, &config.commerce)
                    .map_err(|e| StartError::Commerce(e.to_string()))?,
            ),
            &config.commerce,
        ));
        // The embedded sandbox serves exactly the bundled schema: no need to introspect it.
        let (base, source) = if sandbox.is_some() {
            (Sdl::bundled(), SchemaSource::Bundled)
        } else {
            load_commerce_sdl(commerce.as_ref(), &config).await
        };
        let schema = Arc::new(ComposedSchema::compose(
            base,
            source,
            extensions,
            config.introspection_enabled(),
        )?);
        let store = Store::open(&config.store, &config.session).await?;
        tracing::info!(backend = ?store.backend(), "state store open");
        let config = Arc::new(config);
        let MergedServices {
            extensions: merged,
            stock,
        } = merged_services(&config, commerce.clone())?;
        let gateway = Arc::new(Gateway::new(schema, commerce.clone(), merged, &config));
        // Bound before the state is built: SSO's redirect URI defaults to the real address.
        let listener = TcpListener::bind(config.server.listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: config.server.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.server.listen,
            source,
        })?;
        // The Commerce admin client mints customer tokens: at SSO sign-in, and again for a live
        // session whose token is about to expire.
        let admin = commerce_admin(&config)?;
        let minter = admin.clone().map(|a| a as Arc<dyn CustomerTokenMinter>);
        let sessions = Arc::new(Sessions::new(store.clone(), &config.session, minter));
        let base_url = format!("http://{addr}");
        if let Some(handle) = &sandbox
            && config.auth.providers.contains_key(DEMO_PROVIDER)
        {
            register_with_demo_provider(handle, &config, &base_url);
        }
        let sso = single_sign_on(&config, &base_url, admin, sessions.clone())?;
        let state = AppState::new(gateway, commerce, sessions, config.clone(), sso);
        let app = http::router(state.clone());
        let (stop, stopped) = watch::channel(false);
        let header_read_timeout = Duration::from_millis(config.server.header_read_timeout_ms);
        let purge = store.spawn_purge(
            Duration::from_secs(config.store.purge_interval_secs),
            stopped.clone(),
        );
        let (jobs, workers) = if config.jobs.workers {
            let jobs = open_jobs(&config, store.clone(), Some(stock)).await?;
            let workers = spawn_workers(jobs.clone(), true, stopped.clone());
            (Some(jobs), Some(workers))
        } else {
            drop(stock);
            (None, None)
        };
        let task = tokio::spawn(serve(listener, app, header_read_timeout, stopped));
        tracing::info!(%addr, schema = source.as_str(), elapsed_ms = started.elapsed().as_millis() as u64, "storefront-bff listening");
        Ok(App {
            addr,
            state,
            stop,
            task,
            purge,
            jobs,
            workers,
            sandbox,
            grace: Duration::from_secs(config.server.shutdown_grace_secs),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:4000`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The job runtime, when this process runs the workers (`jobs.workers`).
    pub fn jobs(&self) -> Option<&Jobs> {
        self.jobs.as_ref()
    }

    /// The embedded sandbox, when the demo profile started one.
    pub fn sandbox(&self) -> Option<&sandbox::SandboxHandle> {
        self.sandbox.as_ref()
    }

    /// Stops accepting connections and lets in-flight requests finish (up to the grace period).
    pub async fn shutdown(self) {
        self.state.readiness.start_draining();
        let _ = self.stop.send(true);
        if tokio::time::timeout(self.grace, self.task).await.is_err() {
            tracing::warn!("in-flight requests did not finish within the grace period");
        }
        if let Err(e) = self.purge.await {
            tracing::warn!(error = %e, "the purge task ended abnormally");
        }
        if let Some(workers) = self.workers
            && let Err(e) = workers.await
        {
            tracing::warn!(error = %e, "the job workers ended abnormally");
        }
        self.state.store.close().await;
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Runs every flow's worker (and, with `schedules`, their cron schedules) until `stop` turns
/// true; a run in flight then goes back to the queue and resumes later from its cursor.
pub fn spawn_workers(
    jobs: Jobs,
    schedules: bool,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = jobs.run_workers(&FlowName::ALL, schedules, stopped).await {
            tracing::error!(error = %e, "the job workers stopped");
        }
    })
}

/// Accepts connections until `stop` turns true, then lets open connections finish their
/// requests. Served with hyper-util rather than `axum::serve` for the one setting the latter
/// hides: a client must send its request headers within `header_read_timeout` (and its first
/// byte, before HTTP/1 or HTTP/2 is even chosen), or its connection is closed.
async fn serve(
    listener: TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = async { drop(stop.wait_for(|s| *s).await) } => break,
        };
        let Ok(service) = make_service.call(peer).await;
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper's HTTP/1 timer starts once a request head is being read; this bounds a
            // client that connects and sends nothing (HTTP/1 or HTTP/2 is not chosen yet).
            let mut first = [0u8; 1];
            match tokio::time::timeout(header_read_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let service = TowerToHyperService::new(
                service
                    .map_request(|request: Request<Incoming>| request.map(axum::body::Body::new)),
            );
            let mut builder = ConnectionBuilder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The BFF's extension fields composed into Commerce's schema: the merged data (live inventory,
/// contract prices).
pub fn extensions() -> Vec<Extension> {
    vec![crate::extensions::merged_data_extension()]
}

/// The inventory and CPQ extensions for the merge step (a source without a URL answers `null`).
pub fn merged_extensions(
    config: &Config,
    commerce: Arc<dyn CommerceGraphql>,
) -> Result<Vec<Arc<dyn MergedExtension>>, StartError> {
    Ok(merged_services(config, commerce)?.extensions)
}

/// The merged-data extensions, and the live-stock one on its own.
struct MergedServices {
    extensions: Vec<Arc<dyn MergedExtension>>,
    stock: Arc<StockService>,
}

/// [`merged_extensions`], and the live-stock service on its own: the inventory jobs drop the
/// SKUs they changed from its cache.
fn merged_services(
    config: &Config,
    commerce: Arc<dyn CommerceGraphql>,
) -> Result<MergedServices, StartError> {
    let connector = |url: &str, token: &Option<secrecy::SecretString>, timeout_ms: u64| {
        if url.trim().is_empty() {
            return Ok(None);
        }
        ConnectorClient::new(url, token.clone(), Duration::from_millis(timeout_ms))
            .map(Some)
            .map_err(|e| StartError::Commerce(e.to_string()))
    };
    let inventory: Option<Arc<dyn Inventory>> = connector(
        &config.inventory.url,
        &config.inventory.token,
        config.inventory.timeout_ms,
    )?
    .map(|c| Arc::new(HttpInventory::new(c)) as Arc<dyn Inventory>);
    let cpq: Option<Arc<dyn Cpq>> =
        connector(&config.cpq.url, &config.cpq.token, config.cpq.timeout_ms)?
            .map(|c| Arc::new(HttpCpq::new(c)) as Arc<dyn Cpq>);
    for warning in start_up_warnings(config) {
        tracing::warn!("{warning}");
    }
    if inventory.is_none() {
        tracing::warn!("inventory.url is not set: live_stock answers null");
    }
    if cpq.is_none() {
        tracing::warn!("cpq.url is not set: contract_price answers null");
    }
    let stock = Arc::new(StockService::new(inventory, &config.inventory));
    Ok(MergedServices {
        extensions: vec![
            stock.clone(),
            Arc::new(PricingService::new(cpq, commerce, &config.cpq)),
        ],
        stock,
    })
}

/// The job runtime on `store`, with the systems the flows talk to.
pub async fn open_jobs(
    config: &Config,
    store: Store,
    stock: Option<Arc<StockService>>,
) -> Result<Jobs, StartError> {
    let feeds = feed_sources(config)?;
    let deps = FlowDeps {
        commerce: commerce_admin(config)?,
        erp: feeds.erp,
        pim: feeds.pim,
        stock,
    };
    Jobs::open(store, config.jobs.clone(), deps)
        .await
        .map_err(|e| StartError::Jobs(e.to_string()))
}

/// The feeds the data flows read; a feed without a URL is `None` (its flows do not run).
#[derive(Clone, Default)]
pub struct FeedSources {
    pub erp: Option<Arc<dyn Erp>>,
    pub pim: Option<Arc<dyn Pim>>,
}

/// The ERP/WMS and PIM clients of `config.erp` and `config.pim` (after [`App::start`] has
/// pointed empty URLs at the embedded sandbox in the demo profile).
pub fn feed_sources(config: &Config) -> Result<FeedSources, StartError> {
    let failed = |e: crate::sources::resilience::SourceError| StartError::Feed(e.to_string());
    let erp = HttpErp::from_config(&config.erp).map_err(failed)?;
    let pim = HttpPim::from_config(&config.pim).map_err(failed)?;
    Ok(FeedSources {
        erp: erp.map(|c| Arc::new(c) as Arc<dyn Erp>),
        pim: pim.map(|c| Arc::new(c) as Arc<dyn Pim>),
    })
}

/// Configuration that starts but will not work as the operator probably expects.
pub fn start_up_warnings(config: &Config) -> Vec<String> {
    let mut warnings = Vec::new();
    for (source, url, token, variable) in [
        (
            "inventory",
            &config.inventory.url,
            &config.inventory.token,
            "BFF_INVENTORY__TOKEN",
        ),
        ("cpq", &config.cpq.url, &config.cpq.token, "BFF_CPQ__TOKEN"),
        ("crm", &config.crm.url, &config.crm.token, "BFF_CRM__TOKEN"),
        ("erp", &config.erp.url, &config.erp.token, "BFF_ERP__TOKEN"),
        ("pim", &config.pim.url, &config.pim.token, "BFF_PIM__TOKEN"),
    ] {
        if !url.trim().is_empty() && token.is_none() {
            warnings.push(format!(
                "{source}.url is set but {source}.token is not: the connector will most likely answer 401; set {variable}"
            ));
        }
    }
    if config.session.secret.is_none()
        && (config.store.postgres_url().is_some() || config.profile == Profile::Production)
    {
        warnings.push(format!(
            "session.secret is not set: session tokens are sealed with a key generated into {}; replicas with their own keys cannot read each other's sessions: set BFF_SESSION__SECRET (the same on every replica)",
            config.store.data_dir.join("session.key").display()
        ));
    }
    let can_purge =
        config.hooks.commerce_secret.is_some() || !config.hooks.purge_allowed_ips.is_empty();
    if config.cache.enabled && !can_purge {
        warnings.push(format!(
            "the response cache is on but nothing can purge it (no hooks.commerce_secret, no hooks.purge_allowed_ips): catalog changes show only after cache.ttl_secs ({} s); set BFF_HOOKS__COMMERCE_SECRET",
            config.cache.ttl_secs
        ));
    }
    warnings
}

/// Demo logins and store codes, for the start-up banner of the demo profile.
pub fn demo_banner() -> Vec<String> {
    let logins = [
        (
            ("roni_cost@example.com", "roni_cost3@example.com"),
            "consumer, General group",
        ),
        (
            ("wholesale@example.com", "Wholesale123!"),
            "consumer, Wholesale group: catalog-rule prices",
        ),
        (
            sandbox::demo::ACME_BUYER,
            "B2B buyer, Acme Corp: contract_price",
        ),
        (sandbox::demo::ACME_ADMIN, "B2B company admin, Acme Corp"),
        (
            sandbox::demo::GLOBEX_BUYER,
            "B2B buyer, Globex: another contract, same customer group",
        ),
        (
            sandbox::demo::INITECH_BUYER,
            "B2B buyer, Initech: Wholesale group",
        ),
    ];
    let mut lines = vec![
        "Demo logins (generateCustomerToken, then Authorization: Bearer <token>):".to_string(),
    ];
    for ((email, password), what) in logins {
        lines.push(format!("  {email} / {password}  ({what})"));
    }
    lines.push("Store codes (Store header): default (USD, en_US), de (EUR, de_DE)".to_string());
    lines.push("Playground: open /graphql in a browser (tabs: category page with live_stock, B2B contract prices)".to_string());
    lines
}

/// The composed SDL for `config`: over the bundled schema when no Commerce is configured, over
/// the configured Commerce's introspected schema otherwise.
pub async fn composed_sdl(config: Config) -> Result<String, StartError> {
    let (base, source) = if config.uses_sandbox() {
        (Sdl::bundled(), SchemaSource::Bundled)
    } else {
        let commerce = HttpCommerce::new(&config.commerce.graphql_url, &config.commerce)
            .map_err(|e| StartError::Commerce(e.to_string()))?;
        load_commerce_sdl(&commerce, &config).await
    };
    let schema = ComposedSchema::compose(base, source, extensions(), true)?;
    Ok(schema.print_sdl())
}

/// Commerce's schema by introspection, or the bundled 2.4.9 schema when that is off or fails.
async fn load_commerce_sdl(commerce: &dyn CommerceGraphql, config: &Config) -> (Sdl, SchemaSource) {
    if !config.commerce.introspect {
        return (Sdl::bundled(), SchemaSource::Bundled);
    }
    match introspect(commerce).await {
        Ok(sdl) => (sdl, SchemaSource::Introspected),
        Err(reason) => {
            tracing::warn!(%reason, "Commerce introspection failed; serving the bundled Adobe Commerce 2.4.9 schema");
            (Sdl::bundled(), SchemaSource::Bundled)
        }
    }
}

async fn introspect(commerce: &dyn CommerceGraphql) -> Result<Sdl, String> {
    let answer = commerce
        .send(UpstreamRequest {
            query: INTROSPECTION_QUERY.into(),
            variables: None,
            operation_name: Some("IntrospectionQuery".into()),
            method: UpstreamMethod::Post,
            headers: ForwardedHeaders::default(),
        })
        .await
        .map_err(|e| e.to_string())?;
    let json: serde_json::Value =
        serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
    let text = sdl_from_introspection(&json).map_err(|e| e.to_string())?;
    Sdl::parse(&text).map_err(|e| e.to_string())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
