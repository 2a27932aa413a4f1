//! storefront-bff: a GraphQL backend-for-frontend for headless Adobe Commerce.
//!
//! * [`config`]: the typed configuration (TOML file + `BFF_*` environment), validated at start.
//! * [`server`]: start-up wiring — Commerce client (or the embedded sandbox), schema
//!   composition, the gateway, the HTTP server and its graceful shutdown.
//! * [`http`]: the axum router, tower layers and routes (`/graphql`, playground, health, hooks).
//! * [`gateway`]: the request path — plan, cache, forward, execute, merge (DESIGN §2.1); it
//!   knows merged data only through the [`gateway::extension::MergedExtension`] trait.
//! * [`extensions`]: the merged data — live inventory and contract prices as extension fields,
//!   fetched (batched, cached per scope, degrading gracefully) and shaped by their services.
//! * [`auth`]: identity — BFF sessions behind the `__Host-bff_session` cookie, the CSRF origin
//!   rule for them, Commerce customer-token minting, and single sign-on: the OpenID Connect
//!   client (`auth::oidc`) and the login/callback/logout flow (`auth::sso`, routes in `http`).
//! * [`cache`]: the response cache (DESIGN §2.2).
//! * [`sources`]: one module per upstream system, each behind a trait (DESIGN §2.3).
//! * [`jobs`]: the back-office data flows (ERP, WMS, PIM → Commerce) as durable jobs on apalis:
//!   queues and schedules in the store's database, retries, dead-letter, run records, cursors.
//! * [`store`]: the durable state store (SQLite or PostgreSQL via sqlx) and its typed
//!   repositories: BFF sessions, OIDC login attempts, job runs.
//! * [`telemetry`]: structured logs.

pub mod auth;
pub mod cache;
pub mod config;
pub mod extensions;
pub mod gateway;
pub mod http;
pub mod jobs;
pub mod server;
pub mod sources;
pub mod store;
pub mod telemetry;
