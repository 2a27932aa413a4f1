//! The BFF's own Commerce admin client, used by SSO: Commerce has no "sign in with an OpenID
//! Provider", so the BFF finds or creates the customer over REST with an admin (integration)
//! token and mints the customer's token with `generateCustomerTokenAsAdmin` — the same path
//! Adobe documents for "login as customer" style integrations.
//!
//! * [`customers`]: REST `GET /V1/customers/search`, `POST /V1/customers`.
//! * [`customer_session`]: GraphQL with the admin token (`generateCustomerTokenAsAdmin`) and
//!   with the minted customer token (`customerCart`, `mergeCarts`, `revokeCustomerToken`).
//! * [`catalog`]: REST of the back-office flows: products (async bulk and single), bulk status,
//!   base prices, MSI sources and source items, JSON import.
//! * [`model`]: the wire types, per Adobe's 2.4.9 Swagger and SDL.
//!
//! Commerce lets only an admin USER mint customer tokens (Login as Customer checks the user
//! type; an integration token is refused), so `commerce.admin_username`/`admin_password` are
//! required: their token comes from `POST /V1/integration/admin/token`, is cached, and is
//! fetched again once when Commerce answers 401. An integration token (`commerce.admin_token`),
//! when configured, is used for the REST calls instead.

mod catalog;
mod catalog_model;
mod customer_session;
mod customers;
pub mod model;

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::config::CommerceConfig;

/// Largest answer read from a Commerce admin call, in bytes. A bulk's detailed status repeats
/// every operation's serialized product (about 1 KB each), so a bulk of a few thousand products
/// answers several megabytes; 16 MiB takes that and still bounds what is buffered.
const MAX_ADMIN_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How long an admin token from username/password is reused (Commerce's default lifetime is
/// 4 h; a 401 refreshes it earlier).
const ADMIN_TOKEN_REUSE: Duration = Duration::from_secs(3 * 3600);

/// Why an admin call failed. The text is for logs: it may name Commerce's message.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "no Commerce admin credentials are configured (commerce.admin_token or admin_username/admin_password)"
    )]
    NotConfigured,
    #[error("Commerce could not be reached: {0}")]
    Transport(String),
    #[error("Commerce refused the admin credentials")]
    Unauthorized,
    #[error("Commerce answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("Commerce answered with GraphQL errors: {0}")]
    Graphql(String),
    #[error("Commerce's answer is not what was expected: {0}")]
    Malformed(String),
}

impl AdminError {
    /// Whether trying the same call again later may succeed: transport failures and
    /// timeouts, HTTP 5xx and 429; not 4xx answers or malformed ones.
    pub fn is_retriable(&self) -> bool {
        match self {
            AdminError::Transport(_) => true,
            AdminError::Status { status, .. } => *status >= 500 || *status == 429,
            AdminError::NotConfigured
            | AdminError::Unauthorized
            | AdminError::Graphql(_)
            | AdminError::Malformed(_) => false,
        }
    }
}

/// Which credential a call needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Acting {
    /// REST customer calls: the integration token when configured, else the admin user.
    Rest,
    /// `generateCustomerTokenAsAdmin`: the admin user only.
    AdminUser,
}

/// Cheap to share (`Arc`); one per BFF.
pub struct CommerceAdmin {
    http: reqwest::Client,
    /// `…/rest`, to which `/V1/…` is appended.
    rest_base: String,
    graphql_url: String,
    integration_token: Option<SecretString>,
    admin_user: Option<(String, SecretString)>,
    /// The admin user's token and when it was obtained.
    cached_token: Mutex<Option<(SecretString, Instant)>>,
}

impl CommerceAdmin {
    /// `graphql_url` is the Commerce GraphQL endpoint in use (configured, or the sandbox's).
    pub fn new(graphql_url: &str, config: &CommerceConfig) -> Result<Self, AdminError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .timeout(Duration::from_millis(config.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storefront-bff/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AdminError::Transport(e.to_string()))?;
        let rest_base = if config.rest_url.trim().is_empty() {
            derive_rest_base(graphql_url)
        } else {
            config.rest_url.trim().trim_end_matches('/').to_string()
        };
        let admin_user = config
            .admin_password
            .clone()
            .filter(|_| !config.admin_username.trim().is_empty())
            .map(|password| (config.admin_username.trim().to_string(), password));
        Ok(Self {
            http,
            rest_base,
            graphql_url: graphql_url.to_string(),
            integration_token: config.admin_token.clone(),
            admin_user,
            cached_token: Mutex::new(None),
        })
    }

    /// Whether an admin user is configured (minting customer tokens needs one).
    pub fn is_configured(&self) -> bool {
        self.admin_user.is_some()
    }

    /// The bearer token for `acting`; `refresh` drops a cached admin-user token first.
    async fn admin_token(&self, acting: Acting, refresh: bool) -> Result<SecretString, AdminError> {
        if acting == Acting::Rest
            && let Some(token) = &self.integration_token
        {
            return Ok(token.clone());
        }
        let Some((username, password)) = &self.admin_user else {
            return Err(AdminError::NotConfigured);
        };
        let mut cached = self.cached_token.lock().await;
        if !refresh
            && let Some((token, at)) = cached.as_ref()
            && at.elapsed() < ADMIN_TOKEN_REUSE
        {
            return Ok(token.clone());
        }
        let body = serde_json::json!({
            "username": username,
            "password": password.expose_secret(),
        });
        let url = format!("{}/V1/integration/admin/token", self.rest_base);
        let response = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| AdminError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let bytes = read_bounded(response).await?;
        if status == 401 || status == 400 {
            return Err(AdminError::Unauthorized);
        }
        if !(200..300).contains(&status) {
            return Err(status_error(status, &bytes));
        }
        let token: String = serde_json::from_slice(&bytes)
            .map_err(|e| AdminError::Malformed(format!("admin token: {e}")))?;
        let token = SecretString::from(token);
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    /// Sends a request built by `build` with the bearer token for `acting`; on 401 with the
    /// admin user's cached token, fetches a new one and tries once more.
    async fn send_as_admin(
        &self,
        acting: Acting,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), AdminError> {
        let user_token = acting == Acting::AdminUser || self.integration_token.is_none();
        for attempt in 0..2 {
            let token = self.admin_token(acting, attempt > 0).await?;
            let response = build(&self.http)
                .bearer_auth(token.expose_secret())
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| AdminError::Transport(e.to_string()))?;
            let status = response.status().as_u16();
            let body = read_bounded(response).await?;
            let retry = status == 401 && user_token;
            if !(retry && attempt == 0) {
                return Ok((status, body));
            }
        }
        Err(AdminError::Unauthorized)
    }
}

/// `https://shop.example/graphql` → `https://shop.example/rest`.
fn derive_rest_base(graphql_url: &str) -> String {
    let trimmed = graphql_url.trim().trim_end_matches('/');
    let base = trimmed.strip_suffix("/graphql").unwrap_or(trimmed);
    format!("{base}/rest")
}

fn status_error(status: u16, body: &[u8]) -> AdminError {
    let message = serde_json::from_slice::<model::ErrorResponse>(body)
        .map(|e| e.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    if status == 401 {
        return AdminError::Unauthorized;
    }
    AdminError::Status { status, message }
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, AdminError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| AdminError::Transport(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_ADMIN_BODY_BYTES {
            return Err(AdminError::Malformed("the answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
