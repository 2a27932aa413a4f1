//! An Adobe Commerce storefront-GraphQL emulator over deterministic seeded data, for tests,
//! benchmarks and the BFF's demo mode.
//!
//! # What it emulates
//!
//! The schema is Adobe's 2.4.9 (B2B) SDL, bundled in `commerce-schema`: introspection returns
//! all of it, and names, nullability, enums and error categories are Adobe's. These root
//! fields answer with data:
//!
//! * catalog: `products` (search, filter, sort, paging, aggregations), `categories`,
//!   `categoryList`, `category`, `route`, `urlResolver`;
//! * content and configuration: `cmsPage`, `cmsBlocks`, `storeConfig`, `availableStores`,
//!   `currency`, `countries`, `country`;
//! * customers: `generateCustomerToken`, `revokeCustomerToken`, `customer` (basic fields),
//!   `customerGroup`.
//!
//! Every other root field answers a `graphql-no-such-entity` error saying the sandbox does not
//! emulate it yet. The HTTP surface follows Commerce: `GET`/`POST /graphql`, the `Store`,
//! `Content-Currency` and `Authorization` headers, `X-Magento-Cache-Id` on every response,
//! `X-Magento-Tags` and public `Cache-Control` on cacheable GET responses for guests.
//!
//! # Data
//!
//! About fifty categories under "Default Category" (id 2) and, by default, 1,000 products (a
//! third configurable with color × size variants); both configurable (100,000 products seed in
//! well under a second in release builds). Two store views: `default` (USD, EUR allowed) and
//! `de` (EUR only); EUR = 0.92 USD. Customer groups change prices: Wholesale −20%, Retailer −10%.
//!
//! # Demo logins
//!
//! | email | password | group |
//! | --- | --- | --- |
//! | `roni_cost@example.com` | `roni_cost3@example.com` | General |
//! | `wholesale@example.com` | `Wholesale123!` | Wholesale |
//! | `retailer@example.com` | `Retailer123!` | Retailer |
//!
//! Tokens come from `generateCustomerToken` (or [`Sandbox::customer_token`] in tests) and go in
//! `Authorization: Bearer <token>`; an invalid or expired token is answered with HTTP 401 and a
//! `graphql-authentication` error, as Commerce 2.4.9's request validator does.
//!
//! # Controls for tests and benchmarks
//!
//! * `GET /admin/calls` → `{"total": N, "by_root_field": {"products": n, …}}`: requests received
//!   on `/graphql` (faulted and invalid ones included), and per root field the requests whose
//!   operation selected it (once per request); `POST /admin/calls/reset` → 204.
//! * `GET /admin/faults`, `PUT /admin/faults` with
//!   `{"latency_ms": 0, "jitter_ms": 0, "error_rate": 0.0, "down": false}`: latency on every call,
//!   HTTP 500/503 with an HTML body for a share of calls, or 503 to everything at once.
//! * The same as methods: [`Sandbox::calls`], [`Sandbox::reset_calls`], [`Sandbox::faults`],
//!   [`Sandbox::set_faults`].
//!
//! # Modules
//!
//! * `catalog`: seeded categories and products, indexes, search, pricing, aggregations.
//! * `store`, `directory`, `cms`, `customers`: the other seeded domains.
//! * `schema`: the resolvers plugged into Adobe's SDL; `scope`: what a request is scoped to.
//! * `http`: `/graphql`; `admin`: call counters and fault injection (`/admin/*`).

pub(crate) mod admin;
pub(crate) mod catalog;
pub(crate) mod cms;
pub(crate) mod customers;
pub(crate) mod directory;
pub(crate) mod errors;
pub(crate) mod http;
pub(crate) mod schema;
pub(crate) mod scope;
pub(crate) mod store;
pub(crate) mod uid;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::{CallCounts, Faults};
pub use customers::CustomerGroup;

/// How the sandbox seeds its data and behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Visible products (simple and configurable parents; variants come on top). Default 1,000.
    pub products: usize,
    /// Categories, the root "Default Category" included. Default 50.
    pub categories: usize,
    /// Seed of every generated value. Default 2_024.
    pub seed: u64,
    /// Latency added to every `/graphql` call from the start (a fault that can be changed later).
    /// Default zero.
    pub latency: Duration,
    /// `max-age` and `s-maxage` of cacheable GET responses. Default 86,400 s, Commerce's
    /// full-page-cache TTL.
    pub cache_ttl: Duration,
    /// Lifetime of customer tokens. Default one hour, Commerce's default.
    pub token_lifetime: Duration,
    /// Absolute base URL (with a trailing slash) for media and store URLs. Default `None`:
    /// `http://<bound address>/` once spawned, relative URLs before.
    pub base_url: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            products: 1_000,
            categories: 50,
            seed: 2_024,
            latency: Duration::ZERO,
            cache_ttl: Duration::from_secs(86_400),
            token_lifetime: Duration::from_secs(3_600),
            base_url: None,
        }
    }
}

/// The emulator: seeded data, the schema, counters and faults. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    data: Arc<schema::Data>,
    schema: async_graphql::dynamic::Schema,
    calls: admin::CallCounter,
    faults: RwLock<Faults>,
    rng: Mutex<fastrand::Rng>,
    cache_ttl: Duration,
    /// The installation salt of `X-Magento-Cache-Id`.
    salt: String,
}

impl Sandbox {
    /// Seeds the data and builds the schema.
    pub fn new(config: SandboxConfig) -> Sandbox {
        let data = Arc::new(schema::Data {
            catalog: catalog::Catalog::seed(config.products, config.categories, config.seed),
            stores: store::Stores::seeded(),
            customers: customers::Customers::seeded(config.seed, config.token_lifetime),
            base_url: OnceLock::new(),
        });
        if let Some(url) = &config.base_url {
            let url = if url.ends_with('/') {
                url.clone()
            } else {
                format!("{url}/")
            };
            let _ = data.base_url.set(url);
        }
        // The bundled SDL is a compile-time constant that commerce-schema's tests build; a
        // failure here is a defect of this crate, never of a request.
        let schema =
            schema::build(Arc::clone(&data)).unwrap_or_else(|e| panic!("sandbox schema: {e}"));
        Sandbox {
            inner: Arc::new(Inner {
                data,
                schema,
                calls: admin::CallCounter::default(),
                faults: RwLock::new(Faults::latency(config.latency)),
                rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
                cache_ttl: config.cache_ttl,
                salt: format!("{:016x}", catalog::mix(config.seed ^ 0x5a17)),
            }),
        }
    }

    /// `/graphql` (GET and POST), `/admin/*` and placeholder product images under `/media`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/graphql", get(http::get).post(http::post))
            .route("/admin/calls", get(admin::get_calls))
            .route("/admin/calls/reset", post(admin::reset_calls))
            .route(
                "/admin/faults",
                get(admin::get_faults).put(admin::put_faults),
            )
            .route("/media/catalog/product/{*path}", get(http::media))
            .with_state(self.clone())
    }

    /// Binds `addr` (port 0 picks a free port) and serves the router in a tokio task until the
    /// handle is shut down or dropped.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        let _ = self.inner.data.base_url.set(format!("http://{host}/"));
        let (shutdown, signal) = oneshot::channel::<()>();
        let router = self.router();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = signal.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "sandbox server stopped");
            }
        });
        Ok(SandboxHandle {
            addr: host,
            sandbox: self,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// Calls received on `/graphql` since the start or the last reset.
    pub fn calls(&self) -> CallCounts {
        self.inner.calls.snapshot()
    }

    pub fn reset_calls(&self) {
        self.inner.calls.reset();
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut current) = self.inner.faults.write() {
            *current = faults;
        }
    }

    pub fn faults(&self) -> Faults {
        self.inner.faults.read().map(|f| *f).unwrap_or_default()
    }

    /// A customer token for a seeded account, as `generateCustomerToken` would issue (without
    /// counting a call). `None` for unknown emails.
    pub fn customer_token(&self, email: &str) -> Option<String> {
        let customers = &self.inner.data.customers;
        customers.by_email(email).map(|c| customers.issue_token(c))
    }

    /// The `X-Magento-Cache-Id` Commerce would send for this store code, currency code and
    /// customer group; `None` when the store or currency is unknown.
    pub fn cache_id(&self, store: &str, currency: &str, group: CustomerGroup) -> Option<String> {
        let store = self.inner.data.stores.select(Some(store))?;
        let currency = store.display_currency(Some(currency))?;
        let logged_in = group != CustomerGroup::NotLoggedIn;
        Some(scope::cache_id(
            currency,
            group,
            logged_in,
            store.code,
            &self.inner.salt,
        ))
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct SandboxHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The sandbox it serves: counters and faults.
    pub sandbox: Sandbox,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://<addr>/graphql`.
    pub fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// `http://<addr>/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops accepting connections and waits (up to five seconds) for in-flight requests.
    pub async fn shutdown(mut self) {
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
