//! Typed configuration: one TOML file, then `BFF_`-prefixed environment overrides, validated at
//! start-up. Every option is documented in `config/storefront-bff.example.toml` (a test holds the
//! two together).
//!
//! Environment overrides name a key path with `__` between sections, e.g.
//! `BFF_SERVER__LISTEN=0.0.0.0:4000` or `BFF_COMMERCE__GRAPHQL_URL=https://shop.example/graphql`.
//! Values parse as TOML (`true`, `42`, `["a", "b"]`), falling back to a plain string.
//!
//! Only variables whose first segment is a section or top-level option are applied; any other
//! `BFF_*` name (Kubernetes service links such as `BFF_PORT=tcp://10.0.0.1:4000` or
//! `BFF_SERVICE_HOST`) is ignored with a warning. `BFF_CONFIG` is the file's path, not an
//! option. A typo inside a real section (`BFF_SERVER__LISTNE`) still fails, and every error names
//! the variable or the file key the value came from.

use std::net::{IpAddr, SocketAddr};

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

mod feeds;
mod jobs;
mod load;
mod store;

pub use feeds::FeedConfig;
pub use jobs::{ContentMode, FlowConfig, FlowDefaults, FlowSettings, JobsConfig, Vanished};
pub use store::{SessionConfig, StoreConfig};

/// The environment variable naming the configuration file (read by the CLI, never an option).
pub const CONFIG_FILE_VARIABLE: &str = "BFF_CONFIG";

/// What can be wrong with the configuration; each message names the offending option and,
/// when known, where its value came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("invalid configuration: {message}{}", origin_suffix(.origin))]
    Invalid {
        /// The option's dotted key, e.g. `server.listen`, when one option is at fault.
        key: Option<String>,
        message: String,
        /// Where the value came from, e.g. `environment variable BFF_SERVER__LISTEN`.
        origin: Option<String>,
    },
}

impl ConfigError {
    fn invalid(key: &str, message: String) -> Self {
        ConfigError::Invalid {
            key: Some(key.to_string()),
            message,
            origin: None,
        }
    }
}

fn origin_suffix(origin: &Option<String>) -> String {
    origin
        .as_ref()
        .map(|o| format!(" (set by {o})"))
        .unwrap_or_default()
}

/// Deployment profile: `demo` favours exploration (introspection on, in-process sandbox when no
/// Commerce is configured); `production` favours safety (introspection off unless enabled, a
/// Commerce URL is required).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    Demo,
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, one line per event.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `demo` or `production`.
    pub profile: Profile,
    pub server: ServerConfig,
    pub commerce: CommerceConfig,
    pub graphql: GraphqlConfig,
    pub cache: CacheConfig,
    pub hooks: HooksConfig,
    pub inventory: InventoryConfig,
    pub cpq: CpqConfig,
    pub crm: CrmConfig,
    /// The ERP/WMS feeds: product master, base prices, stock (docs/connectors/erp.md).
    pub erp: FeedConfig,
    /// The PIM's content feed (docs/connectors/pim.md).
    pub pim: FeedConfig,
    pub log: LogConfig,
    pub sandbox: SandboxSettings,
    pub rate_limits: RateLimitConfig,
    pub query_cost: QueryCostConfig,
    pub auth: AuthConfig,
    pub store: StoreConfig,
    pub session: SessionConfig,
    pub jobs: JobsConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on: an IP address (`0.0.0.0:4000` for every interface,
    /// `127.0.0.1:4000` for this machine only) or `localhost:PORT` (taken as 127.0.0.1).
    #[serde(deserialize_with = "deserialize_listen")]
    pub listen: SocketAddr,
    /// Largest accepted request body, in bytes (larger: 413).
    pub body_limit_bytes: usize,
    /// Whole-request deadline, in milliseconds (longer: 408).
    pub request_timeout_ms: u64,
    /// How long in-flight requests may take to finish after SIGTERM / Ctrl-C, in seconds.
    pub shutdown_grace_secs: u64,
    /// Proxies whose `X-Forwarded-For` is trusted and passed on to Commerce.
    pub trusted_proxies: Vec<IpAddr>,
    /// Origins allowed to call `/graphql` from a browser (CORS), as `scheme://host[:port]`
    /// (a trailing `/` is dropped); listed origins may send credentials (the session cookie);
    /// `["*"]`: any origin, never with credentials; empty: same origin only.
    pub cors_allowed_origins: Vec<String>,
    /// How long a client may take to send a request's headers (and its first byte), in
    /// milliseconds; slower connections are closed, and so are HTTP/1 keep-alive connections
    /// idle this long.
    pub header_read_timeout_ms: u64,
    /// Most `/graphql` requests handled at once; past it requests are refused at once with 503
    /// and `Retry-After` (health probes are not counted).
    pub max_in_flight_requests: usize,
    /// The `Retry-After` sent with that 503, in seconds.
    pub overload_retry_after_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            body_limit_bytes: 256 * 1024,
            request_timeout_ms: 30_000,
            shutdown_grace_secs: 30,
            trusted_proxies: Vec::new(),
            cors_allowed_origins: Vec::new(),
            header_read_timeout_ms: 5_000,
            max_in_flight_requests: 1_024,
            overload_retry_after_secs: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommerceConfig {
    /// Commerce's storefront GraphQL endpoint, e.g. `https://shop.example.com/graphql`.
    /// Empty: the demo profile serves the embedded sandbox instead.
    pub graphql_url: String,
    /// Introspect Commerce's schema at start-up (falls back to the bundled 2.4.9 schema).
    pub introspect: bool,
    /// Per-call deadline for Commerce, in milliseconds.
    pub timeout_ms: u64,
    /// TCP/TLS connect deadline, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Longest GET URL sent to Commerce, in bytes; longer cacheable queries go as POST.
    pub max_get_url_bytes: usize,
    /// Consecutive failed Commerce calls (unreachable, timed out, no GraphQL answer) that open
    /// the circuit breaker.
    pub breaker_failures: u32,
    /// How long the open breaker refuses Commerce calls before one probe, in milliseconds.
    pub breaker_open_ms: u64,
    /// Commerce's REST base (e.g. `https://shop.example.com/rest`); empty: `graphql_url` with
    /// `/graphql` replaced by `/rest`. Used by SSO's admin calls only.
    pub rest_url: String,
    /// An integration access token (System → Integrations) with the Customers resource, for
    /// SSO's admin calls; keep it in the environment (`BFF_COMMERCE__ADMIN_TOKEN`).
    #[serde(skip_serializing)]
    pub admin_token: Option<SecretString>,
    /// Admin user for `POST /V1/integration/admin/token` when no `admin_token` is set.
    pub admin_username: String,
    /// That admin user's password (environment: `BFF_COMMERCE__ADMIN_PASSWORD`).
    #[serde(skip_serializing)]
    pub admin_password: Option<SecretString>,
}

impl Default for CommerceConfig {
    fn default() -> Self {
        Self {
            graphql_url: String::new(),
            introspect: true,
            timeout_ms: 10_000,
            connect_timeout_ms: 2_000,
            max_get_url_bytes: 8_000,
            breaker_failures: 5,
            breaker_open_ms: 10_000,
            rest_url: String::new(),
            admin_token: None,
            admin_username: String::new(),
            admin_password: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphqlConfig {
    /// Answer introspection queries; unset: on in `demo`, off in `production`.
    pub introspection: Option<bool>,
    /// Serve the GraphiQL playground; unset: on in `demo`, off in `production`.
    pub playground: Option<bool>,
    /// Deepest selection nesting accepted.
    pub max_depth: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Most lexical tokens in one document.
    pub max_tokens: usize,
    /// Most root fields in one operation.
    pub max_root_fields: usize,
    /// Most operations in one batched (JSON array) request.
    pub max_batch: usize,
    /// Memory budget of validated plans kept per distinct document, in bytes (each plan weighed
    /// with its document text, so large documents cannot grow it past the budget).
    pub plan_cache_max_bytes: u64,
    /// Deepest bracket nesting (`{`, `[`, `(`) of a document, and deepest JSON nesting of its
    /// `variables`, checked before anything parses them; also bounds fragment-spread chains.
    pub max_nesting: usize,
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        Self {
            introspection: None,
            playground: None,
            max_depth: 15,
            max_aliases: 50,
            max_tokens: 15_000,
            max_root_fields: 20,
            max_batch: 10,
            plan_cache_max_bytes: 32 * 1024 * 1024,
            max_nesting: 64,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Cache Commerce-cacheable query responses in memory.
    pub enabled: bool,
    /// Time to live of a cached response, in seconds (also the CDN `s-maxage`).
    pub ttl_secs: u64,
    /// Memory budget of the response cache, in bytes: Commerce's answers (two thirds) and merged
    /// answers (one third) together, each entry weighed whole (body, tags, cache id, its
    /// ready-made `Surrogate-Key`, and a measured allowance for key, bookkeeping and allocator
    /// rounding; entries hold their own copies, never the buffer a response was read into).
    /// It bounds the cached answers, not the process: plans (`graphql.plan_cache_max_bytes`),
    /// the entity caches and requests in flight come on top.
    pub max_bytes: u64,
    /// `stale-while-revalidate` announced to CDNs, in seconds.
    pub stale_while_revalidate_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            ttl_secs: 300,
            max_bytes: 128 * 1024 * 1024,
            stale_while_revalidate_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HooksConfig {
    /// Shared secret Commerce (or its cache-invalidation module) sends as
    /// `Authorization: Bearer <secret>` to `POST /hooks/commerce/cache`. Unset: the hook is off.
    /// Set it from the environment (`BFF_HOOKS__COMMERCE_SECRET`), not in the file.
    #[serde(skip_serializing)]
    pub commerce_secret: Option<SecretString>,
    /// Source IP addresses allowed to send Commerce's own Varnish-style `PURGE` request (with
    /// `X-Magento-Tags-Pattern`) without the secret, as Varnish's `purge` ACL does: Commerce's
    /// "Varnish" full-page-cache setting sends no credentials. Exact addresses, no ranges; the
    /// TCP peer is checked (not `X-Forwarded-For`). Empty: `PURGE` needs the bearer secret.
    pub purge_allowed_ips: Vec<IpAddr>,
}

/// The ERP/WMS real-time stock connector (docs/connectors/inventory.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryConfig {
    /// Base URL of the connector (the BFF appends `/v1/stock/lookup`). Empty: the embedded
    /// sandbox's in the demo profile, otherwise `live_stock` answers `null` with an error.
    pub url: String,
    /// Bearer token for the connector; set it as `BFF_INVENTORY__TOKEN`.
    #[serde(skip_serializing)]
    pub token: Option<SecretString>,
    /// Deadline of one lookup including retries, in milliseconds.
    pub timeout_ms: u64,
    /// Retries after a failed lookup (connection errors, 502/503/504, timeouts of one try).
    pub retries: u32,
    /// How long a SKU's stock is served as fresh, in milliseconds.
    pub ttl_ms: u64,
    /// How long past `ttl_ms` a SKU's last known stock may be served (marked STALE) while the
    /// connector fails, in milliseconds.
    pub stale_ms: u64,
    /// Most SKUs in one lookup; larger sets are split.
    pub max_batch: usize,
    /// Consecutive failed lookups that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the open breaker refuses lookups before one probe, in milliseconds.
    pub breaker_open_ms: u64,
    /// Overwrite Commerce's `stock_status` (and `only_x_left_in_stock`) with live stock, so
    /// unmodified clients such as PWA Studio show it. Costs an inventory lookup for every
    /// product whose `stock_status` is selected, even when `live_stock` is not.
    pub overwrite_stock_status: bool,
    /// With `overwrite_stock_status`: `only_x_left_in_stock` shows the live quantity at or
    /// below this threshold (Commerce's "Only X left" threshold), `null` above it.
    pub only_x_left_threshold: f64,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: None,
            timeout_ms: 250,
            retries: 1,
            ttl_ms: 5_000,
            stale_ms: 300_000,
            max_batch: 500,
            breaker_failures: 5,
            breaker_open_ms: 10_000,
            overwrite_stock_status: false,
            only_x_left_threshold: 5.0,
        }
    }
}

/// The CPQ contract-price connector (docs/connectors/cpq.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CpqConfig {
    /// Base URL of the connector (the BFF appends `/v1/contract-prices/lookup`). Empty: the
    /// embedded sandbox's in the demo profile, otherwise `contract_price` answers `null`.
    pub url: String,
    /// Bearer token for the connector; set it as `BFF_CPQ__TOKEN`.
    #[serde(skip_serializing)]
    pub token: Option<SecretString>,
    /// Deadline of one lookup including retries, in milliseconds.
    pub timeout_ms: u64,
    /// Retries after a failed lookup.
    pub retries: u32,
    /// How long a contract price is served as fresh, in milliseconds.
    pub ttl_ms: u64,
    /// How long past `ttl_ms` the last known price may be served (marked STALE) while the CPQ
    /// fails, in milliseconds.
    pub stale_ms: u64,
    /// Most SKUs in one lookup; larger sets are split.
    pub max_batch: usize,
    /// Consecutive failed lookups that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the open breaker refuses lookups before one probe, in milliseconds.
    pub breaker_open_ms: u64,
    /// How long a customer session's B2B company (asked of Commerce) is remembered, in seconds.
    pub company_ttl_secs: u64,
    /// Overwrite Commerce's `price_range` final prices with the contract price for quantity 1,
    /// for contract customers, so unmodified clients show negotiated prices. Costs a CPQ lookup
    /// for every product whose `price_range` is selected by a B2B customer.
    pub overwrite_price_range: bool,
}

impl Default for CpqConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: None,
            timeout_ms: 400,
            retries: 1,
            ttl_ms: 60_000,
            stale_ms: 600_000,
            max_batch: 500,
            breaker_failures: 5,
            breaker_open_ms: 10_000,
            company_ttl_secs: 300,
            overwrite_price_range: false,
        }
    }
}

/// The CRM's real-time person verification at SSO sign-in (docs/connectors/crm.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrmConfig {
    /// Base URL of the connector (the BFF appends `/v1/persons/verify`). Empty: the embedded
    /// sandbox's in the demo profile, otherwise no CRM and every SSO user is a consumer.
    pub url: String,
    /// Bearer token for the connector; set it as `BFF_CRM__TOKEN`.
    #[serde(skip_serializing)]
    pub token: Option<SecretString>,
    /// Deadline of one verification including retries, in milliseconds; past it the login fails
    /// (closed).
    pub timeout_ms: u64,
    /// Retries after a failed verification (connection errors, 502/503/504).
    pub retries: u32,
    /// Consecutive failed verifications that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the open breaker refuses verifications (and so SSO logins) before one probe, in
    /// milliseconds.
    pub breaker_open_ms: u64,
}

impl Default for CrmConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: None,
            timeout_ms: 1_000,
            retries: 1,
            breaker_failures: 5,
            breaker_open_ms: 10_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// tracing filter directive, e.g. `info` or `storefront_bff=debug,info`; `RUST_LOG` wins.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

/// In-memory rate limits (per BFF process). A rate of 0 turns that limit off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Sustained operations per client IP, per second (a batch counts each operation).
    pub per_ip_per_second: u32,
    /// Operations a client IP may send at once above the sustained rate.
    pub per_ip_burst: u32,
    /// Sustained operations per customer token (`Authorization`), per second.
    pub per_token_per_second: u32,
    /// Operations a customer token may send at once above the sustained rate.
    pub per_token_burst: u32,
    /// Root mutation fields that sign in, create accounts, reset passwords or apply codes: each
    /// runs at most once per operation and in one operation per batch, and is rate-limited below.
    pub sensitive_mutations: Vec<String>,
    /// Sustained sensitive mutations per client IP, per minute.
    pub sensitive_per_ip_per_minute: u32,
    /// Sensitive mutations a client IP may send at once above the sustained rate.
    pub sensitive_per_ip_burst: u32,
    /// Sustained sensitive mutations per account, per minute: the e-mail address the call names
    /// (`email` or `input.email`), else the caller's customer token.
    pub sensitive_per_account_per_minute: u32,
    /// Sensitive mutations for one account at once above the sustained rate.
    pub sensitive_per_account_burst: u32,
    /// Sustained single sign-on starts and callbacks (`/auth/login`, `/auth/callback`) per client
    /// IP, per minute: each login stores a pending login until it expires, so a client must not
    /// be able to store them without bound.
    pub sign_in_per_ip_per_minute: u32,
    /// Sign-on requests a client IP may send at once above the sustained rate.
    pub sign_in_per_ip_burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_ip_per_second: 50,
            per_ip_burst: 500,
            per_token_per_second: 20,
            per_token_burst: 200,
            sensitive_mutations: [
                "generateCustomerToken",
                "createCustomer",
                "createCustomerV2",
                "requestPasswordResetEmail",
                "resetPassword",
                "changeCustomerPassword",
                "confirmEmail",
                "resendConfirmationEmail",
                "applyCouponToCart",
                "applyCouponsToCart",
                "applyGiftCardToCart",
                "redeemGiftCardBalanceAsStoreCredit",
                "subscribeEmailToNewsletter",
                "sendEmailToFriend",
                "contactUs",
            ]
            .map(String::from)
            .to_vec(),
            sensitive_per_ip_per_minute: 30,
            sensitive_per_ip_burst: 20,
            sensitive_per_account_per_minute: 10,
            sensitive_per_account_burst: 10,
            sign_in_per_ip_per_minute: 30,
            sign_in_per_ip_burst: 20,
        }
    }
}

/// What one operation may cost before anything is sent to Commerce.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueryCostConfig {
    /// Highest cost of one operation, and of a batch's operations together, in cost units.
    pub max_cost: u64,
    /// Cost of selecting one object (or interface) field, in cost units.
    pub object_field_cost: u64,
    /// Cost of selecting one scalar or enum field, in cost units.
    pub scalar_field_cost: u64,
    /// Items assumed in a list field that has no `pageSize` (variants, media gallery …).
    pub list_size: u64,
    /// Largest `pageSize` accepted, as a literal or a variable; larger ones are refused.
    pub max_page_size: u64,
    /// Most directives on one field, fragment spread or inline fragment.
    pub max_directives_per_field: usize,
}

impl Default for QueryCostConfig {
    fn default() -> Self {
        Self {
            max_cost: 50_000,
            object_field_cost: 1,
            scalar_field_cost: 0,
            list_size: 5,
            max_page_size: 300,
            max_directives_per_field: 5,
        }
    }
}

/// The embedded Commerce emulator used when no Commerce is configured (demo profile).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSettings {
    /// Number of seeded products (up to 100000).
    pub products: usize,
    /// Simulated Commerce latency per call, in milliseconds.
    pub latency_ms: u64,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            products: 1_000,
            latency_ms: 0,
        }
    }
}

/// Single sign-on (OpenID Connect) into a Commerce customer session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The BFF's public base URL as browsers reach it, e.g. `https://shop.example.com`; the
    /// redirect URI registered at each provider is this + `/auth/callback`. Empty: the
    /// server's own `http://listen-address`, fine for local demos only.
    pub public_base_url: String,
    /// Absolute origins (`scheme://host[:port]`) a login may return to, besides relative paths
    /// on the BFF itself; anything else is refused, never followed (no open redirect).
    pub return_to_origins: Vec<String>,
    /// Path prefixes a login may return to (on the BFF or an allowed origin); `/` allows all.
    pub return_to_paths: Vec<String>,
    /// Tolerated clock difference with the provider for `exp`/`iat`, in seconds (at most 300).
    pub clock_skew_secs: u64,
    /// How long a started login may take to come back to `/auth/callback`, in seconds.
    pub login_attempt_max_age_secs: u64,
    /// How long a provider's discovery document is reused before it is fetched again, in seconds.
    pub discovery_ttl_secs: u64,
    /// Least time between two JWKS fetches caused by an unknown `kid`, in seconds: a forged
    /// token with a made-up `kid` cannot make the BFF hammer the provider.
    pub jwks_min_refetch_secs: u64,
    /// Per-call deadline for the provider (discovery, JWKS, token exchange), in milliseconds.
    pub provider_timeout_ms: u64,
    /// The provider `/auth/login` uses when the request names none (empty: the only one
    /// configured, if there is exactly one).
    pub default_provider: String,
    /// OpenID Providers by name (`[auth.providers.<name>]`); the name is what
    /// `/auth/login?provider=` takes.
    pub providers: std::collections::BTreeMap<String, OidcProviderConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            public_base_url: String::new(),
            return_to_origins: Vec::new(),
            return_to_paths: vec!["/".into()],
            clock_skew_secs: 60,
            login_attempt_max_age_secs: 600,
            discovery_ttl_secs: 3_600,
            jwks_min_refetch_secs: 30,
            provider_timeout_ms: 10_000,
            default_provider: String::new(),
            providers: std::collections::BTreeMap::new(),
        }
    }
}

/// The largest `auth.clock_skew_secs`: more would accept tokens long expired.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// One OpenID Provider the BFF is registered at as a confidential client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcProviderConfig {
    /// The issuer identifier, exactly as the provider's discovery document and id_tokens state
    /// it (e.g. `https://login.microsoftonline.com/<tenant>/v2.0`); https except on localhost.
    pub issuer: String,
    /// The client id the provider gave the BFF.
    pub client_id: String,
    /// The client secret (keep it in the environment:
    /// `BFF_AUTH__PROVIDERS__<NAME>__CLIENT_SECRET`, or in `client_secret_file`).
    #[serde(skip_serializing)]
    pub client_secret: Option<SecretString>,
    /// A file holding the client secret (e.g. a mounted Kubernetes secret); trailing whitespace
    /// is ignored. Used when `client_secret` is not set.
    pub client_secret_file: String,
    /// Scopes requested; `openid` is always sent, `email` is needed for the customer match.
    pub scopes: Vec<String>,
    /// Extra authorization-request parameters (e.g. `prompt = "select_account"`, Auth0's
    /// `audience`); the protocol's own (`state`, `nonce`, `redirect_uri` …) cannot be replaced.
    pub extra_params: std::collections::BTreeMap<String, String>,
}

impl Default for OidcProviderConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            client_secret_file: String::new(),
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            extra_params: std::collections::BTreeMap::new(),
        }
    }
}

/// The deepest `graphql.max_nesting` allowed: deeper values can overflow the parser's stack.
pub const MAX_SAFE_NESTING: usize = 256;

impl Config {
    /// The effective configuration as TOML: defaults applied, profile-dependent switches
    /// resolved, secrets that are set shown as `[redacted]`.
    pub fn to_redacted_toml(&self) -> Result<String, toml::ser::Error> {
        let mut value = toml::Table::try_from(self)?;
        let redacted = || toml::Value::String("[redacted]".into());
        let resolved = [
            (
                "graphql",
                "introspection",
                self.introspection_enabled().into(),
            ),
            ("graphql", "playground", self.playground_enabled().into()),
        ];
        let secrets = [
            (
                "hooks",
                "commerce_secret",
                self.hooks.commerce_secret.is_some(),
            ),
            ("inventory", "token", self.inventory.token.is_some()),
            ("cpq", "token", self.cpq.token.is_some()),
            (
                "commerce",
                "admin_token",
                self.commerce.admin_token.is_some(),
            ),
            (
                "commerce",
                "admin_password",
                self.commerce.admin_password.is_some(),
            ),
            ("crm", "token", self.crm.token.is_some()),
            ("erp", "token", self.erp.token.is_some()),
            ("pim", "token", self.pim.token.is_some()),
            ("store", "url", self.store.url.is_some()),
            ("session", "secret", self.session.secret.is_some()),
            ("jobs", "admin_token", self.jobs.admin_token.is_some()),
        ];
        // Provider secrets sit one table deeper than the sections above.
        if let Some(toml::Value::Table(auth)) = value.get_mut("auth")
            && let Some(toml::Value::Table(providers)) = auth.get_mut("providers")
        {
            for (name, provider) in &self.auth.providers {
                if provider.client_secret.is_some()
                    && let Some(toml::Value::Table(p)) = providers.get_mut(name)
                {
                    p.insert("client_secret".into(), redacted());
                }
            }
        }
        let set = resolved.into_iter().chain(
            secrets
                .into_iter()
                .filter(|(_, _, set)| *set)
                .map(|(section, key, _)| (section, key, redacted())),
        );
        for (section, key, v) in set {
            if let Some(toml::Value::Table(t)) = value.get_mut(section) {
                t.insert(key.to_string(), v);
            }
        }
        toml::to_string(&value)
    }

    /// Checks what serde cannot: ranges, URLs, and combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, m: String| Err(ConfigError::invalid(key, m));
        let url = self.commerce.graphql_url.trim();
        if !url.is_empty() {
            match reqwest::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => {
                    return invalid(
                        "commerce.graphql_url",
                        format!("commerce.graphql_url must be an http(s) URL, got `{url}`"),
                    );
                }
            }
        } else if self.profile == Profile::Production {
            return invalid(
                "commerce.graphql_url",
                "commerce.graphql_url is required in the production profile".into(),
            );
        }
        let positive = [
            (
                "server.body_limit_bytes",
                self.server.body_limit_bytes as u64,
            ),
            ("server.request_timeout_ms", self.server.request_timeout_ms),
            ("commerce.timeout_ms", self.commerce.timeout_ms),
            (
                "commerce.connect_timeout_ms",
                self.commerce.connect_timeout_ms,
            ),
            ("graphql.max_depth", self.graphql.max_depth as u64),
            ("graphql.max_tokens", self.graphql.max_tokens as u64),
            (
                "graphql.max_root_fields",
                self.graphql.max_root_fields as u64,
            ),
            ("graphql.max_batch", self.graphql.max_batch as u64),
            ("cache.ttl_secs", self.cache.ttl_secs),
            ("inventory.timeout_ms", self.inventory.timeout_ms),
            ("inventory.ttl_ms", self.inventory.ttl_ms),
            ("inventory.max_batch", self.inventory.max_batch as u64),
            (
                "inventory.breaker_failures",
                self.inventory.breaker_failures.into(),
            ),
            ("cpq.timeout_ms", self.cpq.timeout_ms),
            ("cpq.ttl_ms", self.cpq.ttl_ms),
            ("cpq.max_batch", self.cpq.max_batch as u64),
            ("cpq.breaker_failures", self.cpq.breaker_failures.into()),
            ("crm.timeout_ms", self.crm.timeout_ms),
            ("crm.breaker_failures", self.crm.breaker_failures.into()),
            (
                "server.header_read_timeout_ms",
                self.server.header_read_timeout_ms,
            ),
            (
                "server.max_in_flight_requests",
                self.server.max_in_flight_requests as u64,
            ),
            (
                "commerce.breaker_failures",
                self.commerce.breaker_failures.into(),
            ),
            ("query_cost.max_cost", self.query_cost.max_cost),
            ("query_cost.max_page_size", self.query_cost.max_page_size),
            (
                "auth.login_attempt_max_age_secs",
                self.auth.login_attempt_max_age_secs,
            ),
            ("auth.discovery_ttl_secs", self.auth.discovery_ttl_secs),
            ("auth.provider_timeout_ms", self.auth.provider_timeout_ms),
        ];
        for (name, url) in [
            ("inventory.url", &self.inventory.url),
            ("cpq.url", &self.cpq.url),
            ("crm.url", &self.crm.url),
        ] {
            let url = url.trim();
            if !url.is_empty()
                && !reqwest::Url::parse(url)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            {
                return invalid(name, format!("{name} must be an http(s) URL, got `{url}`"));
            }
        }
        for (name, value) in positive {
            if value == 0 {
                return invalid(name, format!("{name} must be greater than 0"));
            }
        }
        // Past ~350 levels async-graphql overflows a 2 MiB stack (measured on a debug build).
        let nesting = self.graphql.max_nesting;
        if nesting <= self.graphql.max_depth || nesting > MAX_SAFE_NESTING {
            return invalid(
                "graphql.max_nesting",
                format!(
                    "graphql.max_nesting must be above graphql.max_depth ({}) and at most \
                 {MAX_SAFE_NESTING}, got {nesting}",
                    self.graphql.max_depth
                ),
            );
        }
        if !(1..=100_000).contains(&self.sandbox.products) {
            return invalid(
                "sandbox.products",
                format!(
                    "sandbox.products must be between 1 and 100000, got {}",
                    self.sandbox.products
                ),
            );
        }
        if let Some(secret) = &self.hooks.commerce_secret {
            use secrecy::ExposeSecret;
            if secret.expose_secret().len() < 16 {
                return invalid(
                    "hooks.commerce_secret",
                    "hooks.commerce_secret must be at least 16 characters".into(),
                );
            }
        }
        self.erp.validate("erp")?;
        self.pim.validate("pim")?;
        self.store.validate()?;
        self.session.validate()?;
        self.jobs.validate()?;
        let origins = &self.server.cors_allowed_origins;
        for origin in origins {
            if let Err(m) = normalize_origin(origin) {
                return invalid("server.cors_allowed_origins", m);
            }
        }
        if origins.len() > 1 && origins.iter().any(|o| o.trim() == "*") {
            return invalid(
                "server.cors_allowed_origins",
                "server.cors_allowed_origins: `*` (any origin) stands alone; list origins or \
                 give [\"*\"]"
                    .into(),
            );
        }
        self.auth.validate()
    }

    /// Whether introspection is answered, after the profile's default.
    pub fn introspection_enabled(&self) -> bool {
        self.graphql
            .introspection
            .unwrap_or(self.profile == Profile::Demo)
    }

    /// Whether the GraphiQL playground is served, after the profile's default.
    pub fn playground_enabled(&self) -> bool {
        self.graphql
            .playground
            .unwrap_or(self.profile == Profile::Demo)
    }

    /// Whether the embedded sandbox stands in for Commerce.
    pub fn uses_sandbox(&self) -> bool {
        self.commerce.graphql_url.trim().is_empty()
    }
}

/// `server.listen`: an IP socket address, or `localhost:PORT` (taken as 127.0.0.1). Other host
/// names are refused: which interface a name resolves to is not a choice to leave to DNS.
fn deserialize_listen<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(deserializer)?;
    resolve_listen(&text).map_err(serde::de::Error::custom)
}

fn resolve_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let help = "give an IP address and port: 0.0.0.0:4000 (every interface, e.g. in a \
                container), 127.0.0.1:4000 (this machine only) or localhost:4000";
    match text.rsplit_once(':') {
        Some((host, port)) if host.eq_ignore_ascii_case("localhost") => port
            .parse::<u16>()
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .map_err(|_| format!("`{text}`: the port must be a number from 0 to 65535")),
        Some((host, _)) => Err(format!("`{text}`: `{host}` is not an IP address; {help}")),
        None => Err(format!("`{text}` has no port; {help}")),
    }
}

/// A CORS origin as browsers send it in `Origin`: `scheme://host[:port]`, lower-case, without
/// a trailing `/`; or `*` for any origin.
pub(crate) fn normalize_origin(origin: &str) -> Result<String, String> {
    let trimmed = origin.trim();
    if trimmed == "*" {
        return Ok(trimmed.to_string());
    }
    let refuse = |why: &str| {
        Err(format!(
            "server.cors_allowed_origins: `{origin}` is not an origin ({why}); write \
             scheme://host[:port], e.g. https://shop.example.com, or \"*\" for any origin"
        ))
    };
    let Ok(url) = reqwest::Url::parse(trimmed) else {
        return refuse("the scheme is required");
    };
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return refuse("no host");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("credentials are not part of an origin");
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return refuse("an origin has no path, query or fragment");
    }
    Ok(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

impl AuthConfig {
    /// Ranges, URLs and origins of the SSO options.
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, m: String| Err(ConfigError::invalid(key, m));
        if self.clock_skew_secs > MAX_CLOCK_SKEW_SECS {
            return invalid(
                "auth.clock_skew_secs",
                format!(
                    "auth.clock_skew_secs must be at most {MAX_CLOCK_SKEW_SECS}, got {}",
                    self.clock_skew_secs
                ),
            );
        }
        let base = self.public_base_url.trim();
        if !base.is_empty()
            && !reqwest::Url::parse(base).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.query().is_none()
            })
        {
            return invalid(
                "auth.public_base_url",
                format!("auth.public_base_url must be an http(s) URL, got `{base}`"),
            );
        }
        for origin in &self.return_to_origins {
            if origin.trim() == "*" {
                return invalid(
                    "auth.return_to_origins",
                    "auth.return_to_origins cannot be `*`: list the storefront origins".into(),
                );
            }
            if let Err(m) = normalize_origin(origin) {
                return invalid(
                    "auth.return_to_origins",
                    m.replace("server.cors_allowed_origins", "auth.return_to_origins"),
                );
            }
        }
        if let Some(path) = self
            .return_to_paths
            .iter()
            .find(|p| !p.starts_with('/') || p.starts_with("//"))
        {
            return invalid(
                "auth.return_to_paths",
                format!("auth.return_to_paths entries start with a single `/`, got `{path}`"),
            );
        }
        if !self.default_provider.is_empty() && !self.providers.contains_key(&self.default_provider)
        {
            return invalid(
                "auth.default_provider",
                format!(
                    "auth.default_provider `{}` is not configured in [auth.providers]",
                    self.default_provider
                ),
            );
        }
        for (name, provider) in &self.providers {
            provider.validate(name)?;
        }
        Ok(())
    }
}

impl OidcProviderConfig {
    fn validate(&self, name: &str) -> Result<(), ConfigError> {
        let key = |field: &str| format!("auth.providers.{name}.{field}");
        let invalid = |field: &str, m: String| Err(ConfigError::invalid(&key(field), m));
        if name.is_empty()
            || name.len() > 64
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return invalid(
                "issuer",
                format!(
                    "auth.providers: the name `{name}` must be 1-64 letters, digits, `-` or `_`"
                ),
            );
        }
        if let Err(m) = crate::auth::oidc::check_issuer(&self.issuer) {
            return invalid("issuer", format!("{}: {m}", key("issuer")));
        }
        if self.client_id.trim().is_empty() {
            return invalid("client_id", format!("{} is required", key("client_id")));
        }
        if self.client_secret.is_none() && self.client_secret_file.trim().is_empty() {
            return invalid(
                "client_secret",
                format!(
                    "{} (or client_secret_file) is required",
                    key("client_secret")
                ),
            );
        }
        if let Some(reserved) = self
            .extra_params
            .keys()
            .find(|k| crate::auth::oidc::RESERVED_PARAMS.contains(&k.as_str()))
        {
            return invalid(
                "extra_params",
                format!(
                    "{}: `{reserved}` is set by the BFF itself",
                    key("extra_params")
                ),
            );
        }
        Ok(())
    }
}
