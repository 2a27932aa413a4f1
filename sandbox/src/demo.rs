//! Names tests and demos rely on: the B2B logins, company ids, the connector token, the
//! inventory's sources and the SKUs whose contract prices are outside their validity.

use crate::Sandbox;

/// Acme Corp's buyer (General group; CPQ price list `PL-ACME-<year>`: 15/18/22 % off at 1/10/50).
pub const ACME_BUYER: (&str, &str) = ("buyer@acme.example", "Acme123!");
/// Acme Corp's company administrator (same company and contract as [`ACME_BUYER`]).
pub const ACME_ADMIN: (&str, &str) = ("admin@acme.example", "AcmeAdmin123!");
/// Globex Corporation's buyer: the same customer group (and so the same Commerce cache
/// identity) as Acme's, a different contract (PL-GLOBEX: 8/12 % off at 1/25).
pub const GLOBEX_BUYER: (&str, &str) = ("buyer@globex.example", "Globex123!");
/// Initech's buyer (Wholesale group; PL-INITECH: 25/27/30 % off at 1/10/100, no validity bounds).
pub const INITECH_BUYER: (&str, &str) = ("buyer@initech.example", "Initech123!");
/// Hooli's buyer: a company Commerce knows and the CPQ does not (404 `UNKNOWN_COMPANY`).
pub const UNKNOWN_TO_CPQ_BUYER: (&str, &str) = ("buyer@hooli.example", "Hooli123!");
/// Vandelay Industries' buyer: known to the CPQ without a contract (`price_list: null`).
pub const NO_CONTRACT_BUYER: (&str, &str) = ("buyer@vandelay.example", "Vandelay123!");

/// A contact of Acme Corp the CRM blocks (`verdict: blocked`, `PERSON_BLOCKED`): an SSO login
/// with this e-mail gets no session and no Commerce account (it has none in the sandbox).
pub const BLOCKED_PERSON: &str = "blocked@acme.example";

/// The demo OpenID Provider's one client: the BFF's demo wiring uses these.
pub const OIDC_CLIENT_ID: &str = "storefront-bff-demo";
/// Its secret (`client_secret_basic` or `client_secret_post`). Public on purpose: demo only.
pub const OIDC_CLIENT_SECRET: &str = "storefront-bff-demo-secret";
/// Where the provider lives on the sandbox's port; the issuer is `http://<sandbox><path>`.
pub const OIDC_ISSUER_PATH: &str = "/oidc";
/// A person the provider knows who has no Commerce account yet (the BFF creates it at sign-in;
/// the CRM says consumer).
pub const OIDC_NEW_PERSON: &str = "new.shopper@example.com";
/// A person whose id_token says `email_verified: false` (no Commerce account).
pub const OIDC_UNVERIFIED_PERSON: &str = "unverified@example.com";

/// `Company.id` of each company, as the CPQ expects it in `company_id`.
pub const ACME_COMPANY_ID: &str = "MQ==";
pub const GLOBEX_COMPANY_ID: &str = "Mg==";
pub const INITECH_COMPANY_ID: &str = "Mw==";
pub const UNKNOWN_TO_CPQ_COMPANY_ID: &str = "NA==";
pub const NO_CONTRACT_COMPANY_ID: &str = "NQ==";

/// The bearer token the inventory, CPQ and CRM connectors accept by default
/// (`SandboxConfig::connector_token`).
pub const CONNECTOR_TOKEN: &str = "sandbox-connector-token";

/// The inventory's MSI source codes, in the order every stock answer lists them.
pub const SOURCES: [&str; 3] = crate::stock::SOURCES;

/// The SKU whose contract price expired 30 days ago in every price list (a simple product:
/// the second seeded one). `None` when fewer than two products are seeded. With the default
/// configuration it is `24-TV01`.
pub fn expired_contract_sku(sandbox: &Sandbox) -> Option<String> {
    sku_of(sandbox, crate::contracts::EXPIRED_PRODUCT)
}

/// The SKU whose contract price becomes valid only in 30 days in every price list (a simple
/// product: the third seeded one). `None` when fewer than three products are seeded. With the
/// default configuration it is `24-UG01`.
pub fn future_contract_sku(sandbox: &Sandbox) -> Option<String> {
    sku_of(sandbox, crate::contracts::FUTURE_PRODUCT)
}

fn sku_of(sandbox: &Sandbox, index: u32) -> Option<String> {
    let products = &sandbox.inner.data.catalog.products;
    products.get(index as usize).map(|p| p.sku.clone())
}

/// The sandbox's admin user (`POST /rest/V1/integration/admin/token`), as a fresh Commerce
/// installation's first admin account would be.
pub const ADMIN_USER: (&str, &str) = ("admin", "Admin123!");

/// The integration access token the REST admin subset accepts by default
/// (`SandboxConfig::integration_token`), as an activated integration's would be.
pub const INTEGRATION_TOKEN: &str = "sandbox-integration-token";
