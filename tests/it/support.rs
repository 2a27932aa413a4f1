//! `TestApp`: a sandbox and a BFF wired to it, plus helpers to query both.

use std::net::SocketAddr;

use reqwest::header::HeaderMap;
use sandbox::{Sandbox, SandboxConfig, SandboxHandle, Service};
use serde_json::{Value, json};
use storefront_bff::config::Config;
use storefront_bff::gateway::Extension;
use storefront_bff::server::App;

pub const HOOK_SECRET: &str = "test-hook-secret-0123456789";

/// Seeded sandbox customers (email, password): General and Wholesale customer groups.
pub const GENERAL_CUSTOMER: (&str, &str) = ("roni_cost@example.com", "roni_cost3@example.com");
pub const WHOLESALE_CUSTOMER: (&str, &str) = ("wholesale@example.com", "Wholesale123!");

pub struct TestApp {
    pub app: App,
    pub sandbox: SandboxHandle,
    pub http: reqwest::Client,
}

/// One HTTP answer, decoded.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    /// After a refusal the process still serves: an ordinary query answers.
    pub async fn assert_still_serves(&self) {
        let answer = self
            .query("{ storeConfig { store_code } }", json!({}))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["data"]["storeConfig"]["store_code"], "default");
    }

    /// Starts a request that Commerce holds for `latency` (the sandbox's latency fault) and
    /// returns once the sandbox has it, so it is truly in flight.
    pub async fn hold_request_in_commerce(
        &self,
        latency: std::time::Duration,
    ) -> tokio::task::JoinHandle<Answer> {
        self.sandbox
            .sandbox
            .set_faults(sandbox::Faults::latency(latency));
        let http = self.http.clone();
        let url = self.graphql_url();
        let held = tokio::spawn(async move {
            post(
                &http,
                &url,
                "{ storeConfig { store_code } }",
                json!({}),
                &[],
            )
            .await
        });
        while self.upstream_calls() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        held
    }

    pub async fn start() -> Self {
        Self::start_with(|_| {}, Vec::new()).await
    }

    pub async fn start_with(
        configure: impl FnOnce(&mut Config),
        extensions: Vec<Extension>,
    ) -> Self {
        Self::start_over(
            SandboxConfig {
                order_stream: false,
                ..SandboxConfig::default()
            },
            configure,
            extensions,
        )
        .await
    }

    /// The app in front of a sandbox that also sells the virtual, downloadable and bundle
    /// products (off by default, so other tests' catalogs keep their size).
    pub async fn start_with_product_types() -> Self {
        Self::start_over(
            SandboxConfig {
                order_stream: false,
                product_types: true,
                ..SandboxConfig::default()
            },
            |_| {},
            Vec::new(),
        )
        .await
    }

    async fn start_over(
        sandbox: SandboxConfig,
        configure: impl FnOnce(&mut Config),
        extensions: Vec<Extension>,
    ) -> Self {
        let sandbox = Sandbox::new(sandbox)
            .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("sandbox starts");
        let mut config = Config::default();
        config.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        // Each app its own SQLite file (and session key), removed at shutdown.
        config.store.data_dir = unique_temp_dir("bff-it");
        config.commerce.graphql_url = sandbox.graphql_url();
        config.hooks.commerce_secret = Some(HOOK_SECRET.to_string().into());
        let base = sandbox.base_url().trim_end_matches('/').to_string();
        config.inventory.url = format!("{base}/inventory");
        config.inventory.token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
        config.cpq.url = format!("{base}/cpq");
        config.cpq.token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
        config.crm.url = format!("{base}/crm");
        config.crm.token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
        config.erp.url = format!("{base}/erp");
        config.erp.token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
        config.pim.url = format!("{base}/pim");
        config.pim.token = Some(sandbox::demo::CONNECTOR_TOKEN.to_string().into());
        // No job workers unless a test asks: a scheduled run would call the sandbox mid-test.
        config.jobs.workers = false;
        configure(&mut config);
        config.validate().expect("test config is valid");
        let app = App::start(config, extensions).await.expect("BFF starts");
        sandbox.sandbox.reset_calls();
        sandbox.sandbox.reset_service_calls(Service::Inventory);
        sandbox.sandbox.reset_service_calls(Service::Cpq);
        sandbox.sandbox.reset_service_calls(Service::Crm);
        TestApp {
            app,
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.app.url())
    }

    /// Upstream calls the sandbox received since start (or the last reset).
    pub fn upstream_calls(&self) -> u64 {
        self.sandbox.sandbox.calls().total
    }

    /// Lookups the inventory connector received.
    pub fn inventory_calls(&self) -> u64 {
        self.sandbox.sandbox.service_calls(Service::Inventory).total
    }

    /// Lookups the CPQ connector received.
    pub fn cpq_calls(&self) -> u64 {
        self.sandbox.sandbox.service_calls(Service::Cpq).total
    }

    /// Asks a connector of the sandbox directly (the truth the BFF's answers are held to).
    pub async fn connector(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.sandbox.base_url().trim_end_matches('/'));
        let response = self
            .http
            .post(url)
            .bearer_auth(sandbox::demo::CONNECTOR_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("connector answers");
        decode(response).await.body
    }

    /// POSTs a query to the BFF.
    pub async fn query(&self, query: &str, variables: Value) -> Answer {
        self.query_with(query, variables, &[]).await
    }

    pub async fn query_with(
        &self,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        post(&self.http, &self.graphql_url(), query, variables, headers).await
    }

    /// POSTs the same query straight to the sandbox, bypassing the BFF.
    pub async fn query_commerce(
        &self,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        post(
            &self.http,
            &self.sandbox.graphql_url(),
            query,
            variables,
            headers,
        )
        .await
    }

    /// Logs a seeded customer in through the BFF and returns the bearer token.
    pub async fn customer_token(&self, email: &str, password: &str) -> String {
        let answer = self
            .query(
                "mutation($e: String!, $p: String!) { generateCustomerToken(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        answer.body["data"]["generateCustomerToken"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login of {email} failed: {}", answer.body))
            .to_string()
    }

    /// Sessions in the BFF's store (live or not yet purged).
    pub async fn stored_sessions(&self) -> i64 {
        self.app
            .state
            .store
            .sessions()
            .count()
            .await
            .expect("the store counts sessions")
    }

    pub async fn shutdown(self) {
        let data_dir = self.app.state.config.store.data_dir.clone();
        self.app.shutdown().await;
        self.sandbox.shutdown().await;
        let _ = std::fs::remove_dir_all(data_dir);
    }
}

/// A fresh, not yet existing directory under the system's temp dir.
pub fn unique_temp_dir(prefix: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

pub async fn post(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    decode(request.send().await.expect("request is sent")).await
}

pub async fn decode(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn error_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }
}
