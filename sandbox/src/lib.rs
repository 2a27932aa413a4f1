//! An emulator of Adobe Commerce's storefront GraphQL and of the back-office connectors the
//! BFF calls (inventory, CPQ), over deterministic seeded data, for tests, benchmarks and the
//! BFF's demo mode.
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
//! * customers: `generateCustomerToken`, `revokeCustomerToken`, `customer` (profile, address
//!   book, wish lists, reviews, and the B2B `companies`, `job_title`, `status`),
//!   `customerGroup`, Login as Customer's `generateCustomerTokenAsAdmin` (with an admin token,
//!   see below); accounts: `createCustomer(V2)`, `updateCustomer(V2)`, `updateCustomerEmail`,
//!   `changeCustomerPassword`, `requestPasswordResetEmail` + `resetPassword` (the token goes to
//!   the mail outbox), `isEmailAvailable`, `subscribeEmailToNewsletter`, address CRUD,
//!   `customerPaymentTokens` / `deletePaymentToken` (no vaulted cards yet);
//! * wish lists: `createWishlist` (up to 3, as a B2B store with multiple wish lists on),
//!   `addProductsToWishlist`, `updateProductsInWishlist`, `removeProductsFromWishlist`,
//!   `updateWishlist`, `deleteWishlist`;
//! * reviews: `createProductReview` (pending until approved), `productReviewRatingsMetadata`,
//!   products' `reviews`, `rating_summary`, `review_count`;
//! * forms: `contactUs` (to the mail outbox), `recaptchaV3Config` (disabled);
//! * B2B: `company` (the logged-in customer's company; `null` for customers without one);
//! * carts, per store view: `createEmptyCart`, `createGuestCart` (with `cart_uid`), `cart`,
//!   `customerCart`, `mergeCarts`, `addProductsToCart` (simple products, configurable products
//!   by variant sku or `selected_options`, with `user_errors`), `addSimpleProductsToCart`,
//!   `addConfigurableProductsToCart`, `updateCartItems` (0 removes), `removeItemFromCart`;
//! * checkout: `applyCouponToCart` / `removeCouponFromCart`, `setGuestEmailOnCart`,
//!   `setShippingAddressesOnCart`, `setBillingAddressOnCart` (with `same_as_shipping`),
//!   `available_shipping_methods`, `setShippingMethodsOnCart`, `available_payment_methods`,
//!   `setPaymentMethodOnCart`, `setGiftOptionsOnCart`, `estimateShippingMethods`,
//!   `estimateTotals`, `checkoutAgreements`, `placeOrder` (2.4.9's `errors` list);
//! * orders: `customer { orders(filter, currentPage, pageSize, sort) }` and `customerOrders`.
//!
//! Guest carts have a 32-character masked id anyone who knows it may use; a customer's cart
//! answers only that customer (Commerce's authorization error otherwise), and a cart only its
//! store view ("Wrong store code specified for cart"). `placeOrder` gives Commerce's next
//! increment id ("000000001", …), status "Pending", no invoice or shipment; it reserves the
//! ordered units (the salable quantity `products` shows drops at once) and deactivates the cart
//! ("The cart isn't active."). Totals, in the request's display currency: the customer group's
//! price and quantity tier per line; the coupon's rule; tax on items after discounts for
//! US-CA 8.25 %, US-NY 8.375 % and DE 19 %; shipping by flat rate ($5 per item), table rate
//! (by country) or free shipping from a discounted subtotal of $100; payment by check / money
//! order, or `free` when the grand total is 0. Coupons ([`demo`]): `SAVE10` (10 % off every
//! item), `TAKE15` ($15 off the cart) and `FREESHIP` (every shipping rate free).
//!
//! Every other root field answers a `graphql-no-such-entity` error saying the sandbox does not
//! emulate it yet. A field that fails is `null` in `data` beside its error, as in Commerce. The HTTP surface follows Commerce: `GET`/`POST /graphql`, the `Store`,
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
//! # Commerce's REST admin subset
//!
//! What a sign-on flow needs of Commerce's REST API (Adobe's 2.4.9 Swagger), under `/rest/V1/…`
//! and `/rest/<store_code>/V1/…`, with Commerce's bodies, error bodies
//! (`{"message": "…%placeholder…", "parameters": {…}}`) and statuses:
//!
//! * `POST /V1/integration/admin/token` `{"username", "password"}` → the admin token (a JSON
//!   string; the demo admin is [`demo::ADMIN_USER`], `admin` / `Admin123!`);
//! * `GET /V1/customers/search?searchCriteria[filterGroups][0][filters][0][field]=email&…`
//!   → `{items, search_criteria, total_count}`;
//! * `POST /V1/customers` `{"customer": {…}, "password": "…"}` → the new customer (anonymous, as
//!   in Commerce; setting `group_id` needs a back-office token);
//! * `GET` / `PUT /V1/customers/{id}` → the customer.
//!
//! And what the back-office flows write (each also under `/rest/<store_code>/…`):
//!
//! * `POST /V1/products`, `GET` / `PUT /V1/products/{sku}`: products over an overlay of the
//!   seeded catalog; `products` in GraphQL shows the new name, price, texts; status 2 (disabled)
//!   or visibility 1 leaves the listing; new SKUs are found by `sku` filters and by search;
//!   unknown `custom_attributes` codes get Commerce's 400; a configurable product's variant
//!   SKU (`MT13-S-Purple`) saves that child's own name, price, status and attributes (also
//!   through the bulk, base prices and the import): GraphQL shows them under the parent's
//!   `variants`, in its price range and in cart lines, and a disabled variant is no longer
//!   offered (left out of `variants`, not addable);
//! * `POST /rest/<store>/async/bulk/V1/products`, `PUT …/async/bulk/V1/products/bySku` → 202;
//!   a consumer task applies the operations after [`SandboxConfig::bulk_delay`];
//!   `GET /V1/bulk/{uuid}/status`, `/detailed-status`, `/operation-status/{status}`. Bulk faults:
//!   [`Sandbox::set_bulk_faults`] / `PUT /admin/rest/bulk-faults`;
//! * `POST /V1/products/base-prices`, `POST /V1/products/base-prices-information`;
//! * `GET /V1/inventory/sources` (`default`, `wh-east`, `wh-west`, `store-berlin`), `GET` /
//!   `POST /V1/inventory/source-items`, `POST /V1/inventory/source-items-delete`: Commerce's own
//!   source items (seeded from the seeded stock), which set the salable quantity, `stock_status`
//!   and `only_x_left_in_stock` of `products`;
//! * `POST /V1/import/json`, `POST /V1/import/csv` (`catalog_product`).
//!
//! Every REST exchange is journaled ([`Sandbox::rest_journal`], `GET /admin/rest-journal`,
//! `POST /admin/rest-journal/reset`).
//!
//! Search, get and update need `Authorization: Bearer <admin token>` or the integration token
//! ([`SandboxConfig::integration_token`], default [`demo::INTEGRATION_TOKEN`]); otherwise 401
//! "The consumer isn't authorized to access %resources.". `generateCustomerTokenAsAdmin` takes
//! only an admin token, as Commerce (user type 2). REST calls count in `/admin/calls` under
//! `REST <METHOD> <route>` (e.g. `REST GET /V1/customers/search`).
//!
//! # The connectors
//!
//! Beside Commerce, the sandbox answers the BFF's connector contracts (`docs/connectors/`) on
//! the same port, with `Authorization: Bearer sandbox-connector-token` (configurable):
//!
//! * inventory (ERP/WMS stock) at `POST /inventory/v1/stock/lookup`
//!   ([`SandboxHandle::inventory_url`] is the contract's `inventory.url`): stock of simple
//!   products, variants and configurable parents (the sum of their variants) in the sources
//!   `wh-east`, `wh-west` and `store-berlin`, seeded to agree with Commerce's stock and then
//!   moved by a simulated order stream (sales, restocks) every 250 ms while the sandbox is
//!   spawned, unless [`SandboxConfig::order_stream`] is off;
//! * CPQ (contract prices) at `POST /cpq/v1/contract-prices/lookup`
//!   ([`SandboxHandle::cpq_url`]): price lists of the B2B companies, tiers 1/10/50-style, in
//!   USD or EUR, with validity dates;
//! * CRM (person verification at SSO sign-in) at `POST /crm/v1/persons/verify`
//!   ([`SandboxHandle::crm_url`]): company users with their company, one blocked person
//!   ([`demo::BLOCKED_PERSON`]), everyone else a consumer;
//! * ERP/WMS feeds at `GET /erp/v1/products`, `/erp/v1/stock` and `/erp/v1/stock/changes`
//!   ([`SandboxHandle::erp_url`]): the product master and base prices derived from the catalog,
//!   changing over time, and the inventory ledger's rows, keyset-paged;
//! * PIM feed at `GET /pim/v1/products` ([`SandboxHandle::pim_url`]): names, descriptions,
//!   attributes, categories and images derived from the catalog, changing over time. Both
//!   serve a few deliberately bad rows unless [`SandboxConfig::feed_bad_rows`] is off (see
//!   `feeds` and docs/connectors/erp.md).
//!
//! # The demo OpenID Provider
//!
//! Under `/oidc` ([`SandboxHandle::oidc_issuer`]) the sandbox plays a small OpenID Provider for
//! the BFF's demo single sign-on: code flow with PKCE S256, `client_secret_basic` /
//! `client_secret_post`, RS256 id_tokens signed with a public demo key (demo only), a login page
//! listing the demo people, userinfo and RP-initiated logout. Client id, secret and issuer path
//! are in [`demo`] (`OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `OIDC_ISSUER_PATH`).
//!
//! # Demo logins
//!
//! | email | password | group | company (`Company.id`) | CPQ |
//! | --- | --- | --- | --- | --- |
//! | `roni_cost@example.com` | `roni_cost3@example.com` | General | | |
//! | `wholesale@example.com` | `Wholesale123!` | Wholesale | | |
//! | `retailer@example.com` | `Retailer123!` | Retailer | | |
//! | `buyer@acme.example` | `Acme123!` | General | Acme Corp (`MQ==`) | `PL-ACME-<year>`: 15/18/22 % off at 1/10/50 |
//! | `admin@acme.example` | `AcmeAdmin123!` | General | Acme Corp (`MQ==`), its admin | as above |
//! | `buyer@globex.example` | `Globex123!` | General | Globex Corporation (`Mg==`) | PL-GLOBEX: 8/12 % off at 1/25 |
//! | `buyer@initech.example` | `Initech123!` | Wholesale | Initech (`Mw==`) | PL-INITECH: 25/27/30 % off at 1/10/100 |
//! | `buyer@hooli.example` | `Hooli123!` | Retailer | Hooli (`NA==`) | unknown: 404 `UNKNOWN_COMPANY` |
//! | `buyer@vandelay.example` | `Vandelay123!` | General | Vandelay Industries (`NQ==`) | no contract: `price_list: null` |
//!
//! [`SandboxConfig::extra_buyers`] (`storefront-bff sandbox --extra-buyers N`) adds N buyers for
//! load tests, spread in turn over the three companies with a contract: `buyer1@acme.example` /
//! `Buyer1!`, `buyer2@globex.example` / `Buyer2!`, `buyer3@initech.example` / `Buyer3!`,
//! `buyer4@acme.example` / `Buyer4!`, … each in the group of its company's buyer above.
//!
//! With [`SandboxConfig::product_types`] (on in the BFF's demo and `storefront-bff sandbox`),
//! six more products follow the seeded ones: virtual (`SVC-ASSEMBLY`, `SVC-WARRANTY-2Y`),
//! downloadable (`DL-YOGA-COURSE` with links bought separately, `DL-TRAIL-GUIDE`) and
//! dynamic-price bundles of seeded simple products (`BNDL-YOGA-KIT`, `BNDL-TRAVEL-SET`),
//! answered as Adobe's `VirtualProduct`, `DownloadableProduct` and `BundleProduct`.
//!
//! Contract prices are off Commerce's regular price. In every price list the second seeded
//! product's contract price expired 30 days ago and the third's is valid only from 30 days on
//! ([`demo::expired_contract_sku`], [`demo::future_contract_sku`]; `24-TV01` and `24-UG01` with
//! the default configuration). Every customer's cart holds seeded lines (four for consumers,
//! five with larger quantities for company users); customers created at runtime start with an
//! empty cart. The names are constants in [`demo`].
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
//! * Per service ([`Service`]: Commerce, inventory, CPQ, CRM, ERP, PIM): [`Sandbox::service_calls`]
//!   (requests and SKUs asked for), [`Sandbox::reset_service_calls`], [`Sandbox::service_faults`],
//!   [`Sandbox::set_service_faults`]; `GET /admin/{inventory,cpq,crm,erp,pim}/calls`,
//!   `POST …/calls/reset`, `GET|PUT …/faults`; `GET /admin/calls/all` → every service's total.
//!   A large latency (say 10 s) makes a source hang.
//! * Mail Commerce would have sent (password reset tokens, contact form messages):
//!   `GET /admin/mail`, [`Sandbox::mail`]. Reviews waiting for moderation:
//!   `POST /admin/reviews/approve`, [`Sandbox::approve_reviews`].
//! * Stock: [`Sandbox::step_order_stream`] (`POST /admin/inventory/order-stream/step`) and
//!   [`Sandbox::set_stock`] (`PUT /admin/inventory/stock`).
//! * Feeds: [`Sandbox::change_erp_products`] (`POST /admin/erp/changes`),
//!   [`Sandbox::change_pim_products`] (`POST /admin/pim/changes`), [`Sandbox::feed_bad_rows`]
//!   (`GET /admin/feeds/bad-rows`).
//!
//! # Modules
//!
//! * `catalog`: seeded categories and products, indexes, search, pricing, aggregations.
//! * `store`, `directory`, `cms`, `customers`, `companies`, `carts`, `orders`: the other
//!   Commerce domains; `admin_users`: admin users and the integration token; `tokens`:
//!   Commerce-shaped JWTs; `wishlists`, `reviews`; `mail`: the outbox.
//! * `stock`: the inventory ledger and its order stream; `contracts`: the CPQ's price lists;
//!   `feeds`: the ERP/WMS and PIM feeds' paging, change logs and bad rows.
//! * `schema`: the resolvers plugged into Adobe's SDL; `scope`: what a request is scoped to.
//! * `oidc`: the demo OpenID Provider.
//! * `http`: `/graphql`; `rest`: the REST admin subset; `connectors`: the inventory, CPQ, CRM,
//!   ERP and PIM routes; `admin`: call counters
//!   and fault injection (`/admin/*`); `demo`: names tests rely on; `clock`: dates.

pub(crate) mod admin;
pub(crate) mod admin_users;
pub(crate) mod carts;
pub(crate) mod catalog;
pub(crate) mod clock;
pub(crate) mod cms;
pub(crate) mod companies;
pub(crate) mod connectors;
pub(crate) mod contracts;
pub(crate) mod customers;
pub mod demo;
pub(crate) mod directory;
pub(crate) mod errors;
pub(crate) mod feeds;
pub(crate) mod http;
pub(crate) mod mail;
pub(crate) mod oidc;
pub(crate) mod orders;
pub(crate) mod rest;
pub(crate) mod reviews;
pub(crate) mod schema;
pub(crate) mod scope;
pub(crate) mod stock;
pub(crate) mod store;
pub(crate) mod tokens;
pub(crate) mod uid;
pub(crate) mod wishlists;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post, put};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::{CallCounts, Faults};
pub use connectors::{Service, ServiceCalls};
pub use customers::CustomerGroup;
pub use feeds::{BadRows, ErpDefect, PimDefect, StockDefect};
pub use mail::Mail;
pub use rest::bulk::BulkFaults;
pub use rest::journal::RestExchange;

/// How often a spawned sandbox steps the simulated order stream.
pub const ORDER_STREAM_INTERVAL: Duration = Duration::from_millis(250);

/// How often a spawned sandbox changes a few SKUs of the ERP's product master (three) and of
/// the PIM's content (two), unless [`SandboxConfig::feed_changes`] is off.
pub const FEED_CHANGE_INTERVAL: Duration = Duration::from_secs(5);

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
    /// Latency added to every inventory lookup from the start (a fault that can be changed
    /// later). Default zero.
    pub inventory_latency: Duration,
    /// Latency added to every CPQ lookup from the start. Default zero.
    pub cpq_latency: Duration,
    /// Latency added to every CRM verification from the start. Default zero.
    pub crm_latency: Duration,
    /// Latency added to every ERP/WMS feed page from the start. Default zero.
    pub erp_latency: Duration,
    /// Latency added to every PIM feed page from the start. Default zero.
    pub pim_latency: Duration,
    /// Whether the ERP/WMS and PIM feeds serve their few deliberately bad rows (see
    /// `feeds`: a missing SKU, a price "abc", a negative quantity, an unknown source, …).
    /// Default on, so flows show "skipped with a reason"; off for a clean feed (benchmarks).
    pub feed_bad_rows: bool,
    /// Whether a spawned sandbox changes a few product-master and content SKUs every
    /// [`FEED_CHANGE_INTERVAL`]; off, they change only through [`Sandbox::change_erp_products`]
    /// and [`Sandbox::change_pim_products`]. Default on.
    pub feed_changes: bool,
    /// Bearer token the inventory, CPQ, CRM, ERP and PIM connectors require. Default
    /// `sandbox-connector-token` ([`demo::CONNECTOR_TOKEN`]).
    pub connector_token: String,
    /// Whether a spawned sandbox runs the simulated order stream (a step every
    /// [`ORDER_STREAM_INTERVAL`]); off, stock changes only through
    /// [`Sandbox::step_order_stream`] and [`Sandbox::set_stock`]. Default on.
    pub order_stream: bool,
    /// Whether the virtual, downloadable and bundle products (`SVC-…`, `DL-…`, `BNDL-…`) are
    /// appended after the seeded ones, with ids after the last variant's. Default off, so a
    /// catalog of `products` holds exactly that many; the BFF's demo and `storefront-bff
    /// sandbox` turn it on.
    pub product_types: bool,
    /// `redirect_uri`s registered for the demo OpenID Provider's client (exact match). Default:
    /// `http://localhost:4000/auth/callback` and `http://127.0.0.1:4000/auth/callback`, the
    /// BFF's demo callback; more with [`Sandbox::register_oidc_redirect_uri`].
    pub oidc_redirect_uris: Vec<String>,
    /// `post_logout_redirect_uri`s registered for the demo client. Default:
    /// `http://localhost:4000/` and `http://127.0.0.1:4000/`.
    pub oidc_post_logout_redirect_uris: Vec<String>,
    /// B2B buyers added to the seeded logins, spread in turn over Acme, Globex and Initech
    /// (`buyer<i>@<company>.example` / `Buyer<i>!`, see `customers`), for load tests with many
    /// sessions. Default 0.
    pub extra_buyers: usize,
    /// The integration access token the REST admin subset (`/rest/V1/…`) accepts as
    /// `Authorization: Bearer`, beside admin tokens. Default `sandbox-integration-token`
    /// ([`demo::INTEGRATION_TOKEN`]); empty turns it off.
    pub integration_token: String,
    /// How long Commerce's bulk consumer waits before applying an async bulk's operations
    /// (they stay "open" until then). Default 5 ms.
    pub bulk_delay: Duration,
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
            inventory_latency: Duration::ZERO,
            cpq_latency: Duration::ZERO,
            crm_latency: Duration::ZERO,
            erp_latency: Duration::ZERO,
            pim_latency: Duration::ZERO,
            feed_bad_rows: true,
            feed_changes: true,
            connector_token: demo::CONNECTOR_TOKEN.to_owned(),
            order_stream: true,
            extra_buyers: 0,
            integration_token: demo::INTEGRATION_TOKEN.to_owned(),
            bulk_delay: Duration::from_millis(5),
            product_types: false,
            oidc_redirect_uris: ["localhost", "127.0.0.1"]
                .map(|host| format!("http://{host}:4000/auth/callback"))
                .to_vec(),
            oidc_post_logout_redirect_uris: ["localhost", "127.0.0.1"]
                .map(|host| format!("http://{host}:4000/"))
                .to_vec(),
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
    /// The inventory connector's stock ledger.
    inventory: stock::Inventory,
    /// The CPQ's accounts and price lists.
    contracts: contracts::Contracts,
    inventory_controls: connectors::Connector,
    cpq_controls: connectors::Connector,
    crm_controls: connectors::Connector,
    erp_controls: connectors::Connector,
    pim_controls: connectors::Connector,
    /// The ERP/WMS and PIM feeds' paging state and change logs.
    feeds: feeds::Feeds,
    /// Whether `spawn` starts the feeds' change stream.
    feed_changes: bool,
    /// Bearer token of the connectors.
    connector_token: String,
    /// Whether `spawn` starts the order stream.
    order_stream: bool,
    /// The demo OpenID Provider's client, codes and tokens.
    oidc: oidc::Provider,
    /// Commerce's REST bulks, journal and write lock.
    rest: rest::RestState,
}

impl Sandbox {
    /// Seeds the data and builds the schema.
    pub fn new(config: SandboxConfig) -> Sandbox {
        let started_at = clock::now();
        let data = Arc::new(schema::Data {
            catalog: catalog::Catalog::seed_with(
                config.products,
                config.categories,
                config.seed,
                config.product_types,
            ),
            stores: store::Stores::seeded(),
            customers: customers::Customers::seeded(
                config.seed,
                config.token_lifetime,
                config.extra_buyers,
            ),
            companies: companies::Companies::seeded(),
            admins: admin_users::AdminUsers::seeded(config.seed, config.integration_token),
            outbox: mail::Outbox::default(),
            wishlists: wishlists::Wishlists::new(),
            reviews: reviews::Reviews::new(config.seed),
            carts: carts::Carts::new(config.seed),
            orders: orders::Orders::default(),
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
                inventory: stock::Inventory::new(config.seed, started_at),
                contracts: contracts::Contracts::seeded(),
                inventory_controls: connectors::Connector::new(
                    config.inventory_latency,
                    config.seed ^ 0x1,
                ),
                cpq_controls: connectors::Connector::new(config.cpq_latency, config.seed ^ 0x2),
                crm_controls: connectors::Connector::new(config.crm_latency, config.seed ^ 0x3),
                erp_controls: connectors::Connector::new(config.erp_latency, config.seed ^ 0x4),
                pim_controls: connectors::Connector::new(config.pim_latency, config.seed ^ 0x5),
                feeds: feeds::Feeds::new(config.seed, started_at, config.feed_bad_rows),
                feed_changes: config.feed_changes,
                connector_token: config.connector_token,
                order_stream: config.order_stream,
                oidc: oidc::Provider::new(
                    config.oidc_redirect_uris,
                    config.oidc_post_logout_redirect_uris,
                ),
                rest: rest::RestState::new(config.bulk_delay),
            }),
        }
    }

    /// `/graphql` (GET and POST), the connectors under `/inventory`, `/cpq` and `/crm`, the
    /// demo OpenID Provider under `/oidc`, `/admin/*` and
    /// placeholder product images under `/media`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/graphql", get(http::get).post(http::post))
            .route(
                "/inventory/v1/stock/lookup",
                post(connectors::inventory::lookup),
            )
            .route(
                "/cpq/v1/contract-prices/lookup",
                post(connectors::cpq::lookup),
            )
            .route("/crm/v1/persons/verify", post(connectors::crm::verify))
            .route("/erp/v1/products", get(connectors::erp::products))
            .route("/erp/v1/stock", get(connectors::erp::stock))
            .route("/erp/v1/stock/changes", get(connectors::erp::stock_changes))
            .route("/pim/v1/products", get(connectors::pim::products))
            .route("/admin/calls", get(admin::get_calls))
            .route("/admin/calls/reset", post(admin::reset_calls))
            .route("/admin/calls/all", get(admin::get_all_calls))
            .route("/admin/mail", get(admin::get_mail))
            .route("/admin/reviews/approve", post(admin::approve_reviews))
            .route(
                "/admin/faults",
                get(admin::get_faults).put(admin::put_faults),
            )
            .nest(
                "/admin/inventory",
                admin::service_routes(Service::Inventory),
            )
            .nest("/admin/cpq", admin::service_routes(Service::Cpq))
            .nest("/admin/crm", admin::service_routes(Service::Crm))
            .nest("/admin/erp", admin::service_routes(Service::Erp))
            .nest("/admin/pim", admin::service_routes(Service::Pim))
            .route("/admin/erp/changes", post(admin::change_erp_products))
            .route("/admin/pim/changes", post(admin::change_pim_products))
            .route("/admin/feeds/bad-rows", get(admin::get_feed_bad_rows))
            .route(
                "/admin/inventory/order-stream/step",
                post(admin::step_order_stream),
            )
            .route("/admin/inventory/stock", put(admin::put_stock))
            .route("/media/catalog/product/{*path}", get(http::media))
            .nest(demo::OIDC_ISSUER_PATH, oidc::routes())
            .route("/admin/rest-journal", get(admin::get_rest_journal))
            .route("/admin/rest-journal/reset", post(admin::reset_rest_journal))
            .route(
                "/admin/rest/bulk-faults",
                get(admin::get_bulk_faults).put(admin::put_bulk_faults),
            )
            .merge(rest::routes(self))
            .with_state(self.clone())
    }

    /// Binds `addr` (port 0 picks a free port) and serves the router in a tokio task until the
    /// handle is shut down or dropped; the order stream, unless configured off, runs in another
    /// task owned by the handle.
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
        let stream = self.inner.order_stream.then(|| {
            let sandbox = self.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(ORDER_STREAM_INTERVAL);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    sandbox.step_order_stream();
                }
            })
        });
        let feed_stream = self.inner.feed_changes.then(|| {
            let sandbox = self.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(FEED_CHANGE_INTERVAL);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    sandbox.change_erp_products(3);
                    sandbox.change_pim_products(2);
                }
            })
        });
        Ok(SandboxHandle {
            addr: host,
            sandbox: self,
            shutdown: Some(shutdown),
            task: Some(task),
            stream,
            feed_stream,
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

    /// Calls one service received since the start or its last reset. Commerce's `skus` is 0.
    pub fn service_calls(&self, service: Service) -> ServiceCalls {
        match self.connector(service) {
            Some(connector) => connector.calls(),
            None => ServiceCalls {
                total: self.calls().total,
                skus: 0,
            },
        }
    }

    pub fn reset_service_calls(&self, service: Service) {
        match self.connector(service) {
            Some(connector) => connector.reset_calls(),
            None => self.reset_calls(),
        }
    }

    /// Replaces the faults injected into one service's calls.
    pub fn set_service_faults(&self, service: Service, faults: Faults) {
        match self.connector(service) {
            Some(connector) => connector.set_faults(faults),
            None => self.set_faults(faults),
        }
    }

    pub fn service_faults(&self, service: Service) -> Faults {
        match self.connector(service) {
            Some(connector) => connector.faults(),
            None => self.faults(),
        }
    }

    /// The controls of a connector; `None` for Commerce, whose controls predate them.
    pub(crate) fn connector(&self, service: Service) -> Option<&connectors::Connector> {
        match service {
            Service::Commerce => None,
            Service::Inventory => Some(&self.inner.inventory_controls),
            Service::Cpq => Some(&self.inner.cpq_controls),
            Service::Crm => Some(&self.inner.crm_controls),
            Service::Erp => Some(&self.inner.erp_controls),
            Service::Pim => Some(&self.inner.pim_controls),
        }
    }

    /// Changes `count` SKUs of the ERP's product master (drawn from the seed's generator; a new
    /// price and name each, stamped now), as the spawned sandbox does every
    /// [`FEED_CHANGE_INTERVAL`]; the SKUs changed, each once.
    pub fn change_erp_products(&self, count: usize) -> Vec<String> {
        let inner = &self.inner;
        inner
            .feeds
            .change(&inner.data.catalog, &inner.inventory, false, count)
    }

    /// Changes `count` SKUs of the PIM's content (a new description and meta title each,
    /// stamped now); the SKUs changed, each once.
    pub fn change_pim_products(&self, count: usize) -> Vec<String> {
        let inner = &self.inner;
        inner
            .feeds
            .change(&inner.data.catalog, &inner.inventory, true, count)
    }

    /// The SKUs the ERP/WMS and PIM feeds serve broken (empty with
    /// [`SandboxConfig::feed_bad_rows`] off).
    pub fn feed_bad_rows(&self) -> BadRows {
        let inner = &self.inner;
        inner.feeds.bad_rows(&inner.data.catalog, &inner.inventory)
    }

    /// One step of the simulated order stream (what the spawned sandbox does every
    /// [`ORDER_STREAM_INTERVAL`]): a few SKUs sell one to three units, sold-out SKUs are
    /// restocked a while later. Returns the simple-product and variant SKUs whose stock changed
    /// (a variant's configurable parent changes with it).
    pub fn step_order_stream(&self) -> Vec<String> {
        self.inner.inventory.step(&self.inner.data.catalog)
    }

    /// Sets the on-hand quantity of a simple product or variant in one source (`wh-east`,
    /// `wh-west`, `store-berlin`) and clears its reservations there, as the ERP would report
    /// after a stock count; `false` for unknown SKUs or sources and configurable parents.
    /// Commerce's own stock is not touched (it follows the ERP only through the import flows).
    pub fn set_stock(&self, sku: &str, source_code: &str, quantity: u32) -> bool {
        self.inner
            .inventory
            .set(&self.inner.data.catalog, sku, source_code, quantity)
    }

    /// The last REST exchanges (oldest first, at most 512): what clients sent to Commerce's
    /// REST subset and what it answered.
    pub fn rest_journal(&self) -> Vec<RestExchange> {
        self.inner.rest.journal.entries()
    }

    pub fn reset_rest_journal(&self) {
        self.inner.rest.journal.clear();
    }

    /// Replaces the faults of Commerce's bulk consumer (failed-retriable share, failing SKUs).
    pub fn set_bulk_faults(&self, faults: BulkFaults) {
        self.inner.rest.bulks.set_faults(faults);
    }

    pub fn bulk_faults(&self) -> BulkFaults {
        self.inner.rest.bulks.faults()
    }

    /// What Commerce would have e-mailed so far (password reset tokens, contact form messages),
    /// oldest first; at most the last 200.
    pub fn mail(&self) -> Vec<Mail> {
        self.inner.data.outbox.messages()
    }

    /// Approves every review waiting for moderation (as a moderator would in Commerce's admin),
    /// so it shows on its product and counts in `rating_summary` / `review_count`; how many.
    pub fn approve_reviews(&self) -> usize {
        self.inner.data.reviews.approve_all()
    }

    /// A customer token for a seeded account, as `generateCustomerToken` would issue (without
    /// counting a call). `None` for unknown emails.
    pub fn customer_token(&self, email: &str) -> Option<String> {
        let customers = &self.inner.data.customers;
        customers.by_email(email).map(|c| customers.issue_token(&c))
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
    /// The order stream, when it runs.
    stream: Option<JoinHandle<()>>,
    /// The feeds' change stream, when it runs.
    feed_stream: Option<JoinHandle<()>>,
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

    /// `http://<addr>/inventory`: the inventory connector's base URL (`inventory.url`).
    pub fn inventory_url(&self) -> String {
        format!("http://{}/inventory", self.addr)
    }

    /// `http://<addr>/cpq`: the CPQ connector's base URL (`cpq.url`).
    pub fn cpq_url(&self) -> String {
        format!("http://{}/cpq", self.addr)
    }

    /// `http://<addr>/oidc`: the demo OpenID Provider's issuer (discovery at
    /// `{issuer}/.well-known/openid-configuration`).
    pub fn oidc_issuer(&self) -> String {
        format!("http://{}{}", self.addr, demo::OIDC_ISSUER_PATH)
    }

    /// `http://<addr>/crm`: the CRM connector's base URL (`crm.url`).
    pub fn crm_url(&self) -> String {
        format!("http://{}/crm", self.addr)
    }

    /// `http://<addr>/erp`: the ERP/WMS feeds' base URL (`erp.url`).
    pub fn erp_url(&self) -> String {
        format!("http://{}/erp", self.addr)
    }

    /// `http://<addr>/pim`: the PIM feed's base URL (`pim.url`).
    pub fn pim_url(&self) -> String {
        format!("http://{}/pim", self.addr)
    }

    /// Stops the order stream, stops accepting connections and waits (up to five seconds) for
    /// in-flight requests.
    pub async fn shutdown(mut self) {
        if let Some(stream) = self.stream.take() {
            stream.abort();
        }
        if let Some(stream) = self.feed_stream.take() {
            stream.abort();
        }
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
        if let Some(stream) = self.stream.take() {
            stream.abort();
        }
        if let Some(stream) = self.feed_stream.take() {
            stream.abort();
        }
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
