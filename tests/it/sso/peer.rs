//! The real OpenID Provider (npm `oidc-provider`, tests/peers/oidc) on port 0, and a minimal
//! browser: no redirect following (each hop is checked), one cookie jar per host.

use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CLIENT_ID: &str = "storefront-bff";
pub const CLIENT_SECRET: &str = "storefront-bff-test-secret-0123456789";

/// One provider process; killed when dropped (and it exits by itself when stdin closes).
pub struct OidcPeer {
    _child: Child,
    /// Kept open: the provider logs to stdout and must not write into a closed pipe.
    _stdout: BufReader<tokio::process::ChildStdout>,
    pub issuer: String,
    http: reqwest::Client,
}

impl OidcPeer {
    pub async fn start() -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/oidc");
        assert!(
            std::path::Path::new(dir)
                .join("node_modules/oidc-provider")
                .exists(),
            "the OIDC test peer is not installed: run scripts/install-test-peers (scripts/test does)"
        );
        let options = json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET });
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .arg(options.to_string())
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts the OIDC peer");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            reader.read_line(&mut line),
        )
        .await
        .expect("the OIDC peer starts within 30 s")
        .expect("reads the OIDC peer's first line");
        let started: Value = serde_json::from_str(&line).expect("the peer prints JSON");
        let issuer = started["issuer"].as_str().expect("issuer").to_string();
        Self {
            _child: child,
            _stdout: reader,
            issuer,
            http: reqwest::Client::new(),
        }
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}/__test/{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("control call")
            .json()
            .await
            .expect("control answer")
    }

    /// Registers the BFF's redirect URI (known once the BFF listens).
    pub async fn register(&self, bff_url: &str) {
        self.control(
            "client",
            json!({
                "redirect_uri": format!("{bff_url}/auth/callback"),
                "post_logout_redirect_uri": format!("{bff_url}/"),
            }),
        )
        .await;
    }

    /// The person the next login signs in as.
    pub async fn sign_in_as(&self, email: &str, email_verified: bool) {
        self.control(
            "account",
            json!({ "email": email, "email_verified": email_verified,
                    "given_name": "Sso", "family_name": "Shopper" }),
        )
        .await;
    }

    /// Re-signs the next id_token with these changes (`claims`, `alg`).
    pub async fn tamper(&self, change: Value) {
        self.control("tamper", change).await;
    }

    /// A new signing key with a new `kid`.
    pub async fn rotate_key(&self) {
        self.control("rotate", json!({})).await;
    }

    pub async fn jwks_fetches(&self) -> u64 {
        let stats: Value = self
            .http
            .get(format!("{}/__test/stats", self.issuer))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON");
        stats["jwks_fetches"].as_u64().unwrap_or(0)
    }
}

/// One browser: follows nothing by itself, keeps cookies per host:port (path and flags are
/// ignored; the BFF's `Secure` cookies are kept on plain-http 127.0.0.1 as browsers do for
/// localhost).
pub struct Browser {
    http: reqwest::Client,
    jar: HashMap<String, BTreeMap<String, String>>,
}

/// One answer: status, `Location` and the body.
pub struct Hop {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: Value,
}

impl Hop {
    pub fn error_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar: HashMap::new(),
        }
    }

    fn host_of(url: &str) -> String {
        reqwest::Url::parse(url)
            .ok()
            .map(|u| {
                format!(
                    "{}:{}",
                    u.host_str().unwrap_or(""),
                    u.port_or_known_default().unwrap_or(0)
                )
            })
            .unwrap_or_default()
    }

    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&Self::host_of(url))?.get(name).cloned()
    }

    pub fn set_cookie(&mut self, url: &str, name: &str, value: &str) {
        self.jar
            .entry(Self::host_of(url))
            .or_default()
            .insert(name.into(), value.into());
    }

    pub fn forget_cookie(&mut self, url: &str, name: &str) {
        if let Some(jar) = self.jar.get_mut(&Self::host_of(url)) {
            jar.remove(name);
        }
    }

    pub async fn get(&mut self, url: &str) -> Hop {
        let host = Self::host_of(url);
        let mut request = self.http.get(url);
        if let Some(jar) = self.jar.get(&host).filter(|j| !j.is_empty()) {
            let header = jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.header("cookie", header);
        }
        let response = request.send().await.expect("browser request");
        let status = response.status().as_u16();
        let base = reqwest::Url::parse(url).expect("url");
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| base.join(l).ok())
            .map(|u| u.to_string());
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let jar = self.jar.entry(host).or_default();
        for cookie in &set_cookies {
            let Some((name, rest)) = cookie.split_once('=') else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or("");
            let expired = cookie.to_ascii_lowercase().contains("max-age=0")
                || cookie
                    .to_ascii_lowercase()
                    .contains("expires=thu, 01 jan 1970");
            if value.is_empty() || expired {
                jar.remove(name);
            } else {
                jar.insert(name.to_string(), value.to_string());
            }
        }
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Hop {
            status,
            location,
            set_cookies,
            body,
        }
    }

    /// Starts a login at the BFF and follows the provider's redirects until the browser is
    /// sent back to the BFF's callback; returns that callback URL, not yet visited.
    pub async fn login_until_callback(&mut self, bff_url: &str, query: &str) -> String {
        let start = self.get(&format!("{bff_url}/auth/login?{query}")).await;
        assert_eq!(
            start.status, 302,
            "login starts with a redirect: {}",
            start.body
        );
        let mut next = start.location.expect("login redirects to the provider");
        for _ in 0..10 {
            if next.starts_with(&format!("{bff_url}/auth/callback")) {
                return next;
            }
            let hop = self.get(&next).await;
            next = hop.location.unwrap_or_else(|| {
                panic!(
                    "the provider stopped redirecting: {} {}",
                    hop.status, hop.body
                )
            });
        }
        panic!("the provider never redirected back to the BFF");
    }
}

/// `url` with query parameter `name` replaced (or removed when `value` is `None`).
pub fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut parsed = reqwest::Url::parse(url).expect("url");
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = parsed.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, v);
        }
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    parsed.to_string()
}
