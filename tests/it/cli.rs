//! The `storefront-bff` binary as an operator runs it: nothing in its environment but what each
//! test sets, and the exit code, stdout and stderr checked as a shell or a container would.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_storefront-bff");

/// What one run of the binary left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(BINARY)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A file in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!("bff-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("temp file written");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    listener.local_addr().expect("address").port()
}

/// `storefront-bff` serving the demo on a free port; killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
    /// The stderr lines read while waiting for start-up.
    seen: Vec<String>,
    stderr_reader: Option<JoinHandle<()>>,
    stdout: Option<JoinHandle<String>>,
    /// The state store's directory (SQLite file, session key), removed on drop.
    data_dir: PathBuf,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        let data_dir = crate::support::unique_temp_dir("bff-cli-data");
        let mut child = Command::new(BINARY)
            .env_clear()
            .env("BFF_SERVER__LISTEN", "127.0.0.1:0")
            .env("BFF_STORE__DATA_DIR", &data_dir)
            .env("BFF_SANDBOX__PRODUCTS", "50")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut out = child.stdout.take().expect("stdout piped");
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        let (send, stderr) = mpsc::channel();
        let err = child.stderr.take().expect("stderr piped");
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
            seen: Vec::new(),
            stderr_reader: Some(stderr_reader),
            stdout: Some(stdout),
            data_dir,
        };
        let mut seen = Vec::new();
        while let Ok(line) = server.stderr.recv_timeout(Duration::from_secs(60)) {
            seen.push(line.clone());
            if line.contains("storefront-bff listening") {
                let port: String = line
                    .split("127.0.0.1:")
                    .nth(1)
                    .expect("the listening line names the address")
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                server.addr.set_port(port.parse().expect("a port"));
                server.seen = seen;
                return server;
            }
        }
        panic!("the server did not start: {seen:#?}");
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server; its stdout and every stderr line.
    fn stop(mut self) -> (String, Vec<String>) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stdout = self
            .stdout
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        // The pipe closes with the process: every line is read once the reader ends.
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        let mut lines = std::mem::take(&mut self.seen);
        lines.extend(self.stderr.try_iter());
        (stdout, lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

async fn post_graphql(server: &Server, query: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("the server answers")
}

#[test]
fn kubernetes_service_link_variables_are_ignored_with_a_warning() {
    let run = run(
        &["config", "check"],
        &[
            ("BFF_PORT", "tcp://10.0.0.1:4000"),
            ("BFF_SERVICE_HOST", "10.0.0.1"),
            ("BFF_SERVICE_PORT", "4000"),
            ("BFF_PORT_4000_TCP_ADDR", "10.0.0.1"),
            ("BFF_SERVER__LISTEN", "0.0.0.0:4100"),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for name in ["BFF_PORT", "BFF_SERVICE_HOST", "BFF_PORT_4000_TCP_ADDR"] {
        assert!(
            run.stderr
                .contains(&format!("ignoring environment variable {name}:")),
            "{name}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("10.0.0.1"), "values are not echoed");
    let effective: toml::Table = run.stdout.parse().expect("stdout is TOML");
    assert_eq!(effective["server"]["listen"].as_str(), Some("0.0.0.0:4100"));
}

#[test]
fn a_typo_inside_a_real_section_fails_naming_the_variable() {
    let run = run(
        &["config", "check"],
        &[("BFF_SERVER__LISTNE", "0.0.0.0:4000")],
    );
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("server.listne: unknown field `listne`")
            && run
                .stderr
                .contains("environment variable BFF_SERVER__LISTNE"),
        "{}",
        run.stderr
    );
    let serve = self::run(&[], &[("BFF_CACHE__TTL_SECS", "soon")]);
    assert_eq!(serve.code, Some(2), "serve refuses it too");
    let json = self::run(
        &[],
        &[("BFF_CACHE__TTL_SECS", "soon"), ("BFF_LOG__FORMAT", "json")],
    );
    assert_eq!(json.code, Some(2));
    let line: Value = serde_json::from_str(json.stderr.trim()).expect("one JSON line");
    assert!(
        line["fields"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("BFF_CACHE__TTL_SECS")),
        "{line}"
    );
    assert!(
        serve.stderr.contains("BFF_CACHE__TTL_SECS"),
        "{}",
        serve.stderr
    );
}

#[test]
fn bff_config_is_the_file_and_errors_in_it_name_the_file_and_key() {
    let good = TempFile::new("good.toml", "[server]\nlisten = \"127.0.0.1:4123\"\n");
    let run = run(&["config", "check"], &[("BFF_CONFIG", good.path())]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("listen = \"127.0.0.1:4123\""),
        "{}",
        run.stdout
    );

    let bad = TempFile::new("bad.toml", "[cache]\nttl_secs = 0\n");
    let run = self::run(&["config", "check", "--config", bad.path()], &[]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("cache.ttl_secs must be greater than 0")
            && run
                .stderr
                .contains(&format!("key `cache.ttl_secs` in {}", bad.path())),
        "{}",
        run.stderr
    );

    let typo = TempFile::new("typo.toml", "[server]\nlistne = \"0.0.0.0:4000\"\n");
    let run = self::run(&["config", "check"], &[("BFF_CONFIG", typo.path())]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("unknown field `listne`")
            && run
                .stderr
                .contains(&format!("key `server.listne` in {}", typo.path())),
        "{}",
        run.stderr
    );
}

#[test]
fn config_check_prints_the_effective_configuration_with_secrets_redacted() {
    let secret = "purge-secret-0123456789";
    let run = run(
        &["config", "check"],
        &[
            ("BFF_HOOKS__COMMERCE_SECRET", secret),
            ("BFF_CPQ__TOKEN", "cpq-token-value"),
            ("BFF_PROFILE", "production"),
            (
                "BFF_COMMERCE__GRAPHQL_URL",
                "https://shop.example.com/graphql",
            ),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.contains(secret) && !run.stdout.contains("cpq-token-value"));
    let effective: toml::Table = run.stdout.parse().expect("stdout is TOML");
    assert_eq!(
        effective["hooks"]["commerce_secret"].as_str(),
        Some("[redacted]")
    );
    assert_eq!(effective["cpq"]["token"].as_str(), Some("[redacted]"));
    assert!(
        effective["inventory"].get("token").is_none(),
        "unset stays unset"
    );
    assert_eq!(
        effective["graphql"]["introspection"].as_bool(),
        Some(false),
        "the profile's default is shown resolved"
    );
}

#[test]
fn localhost_is_accepted_as_a_listen_host_and_other_names_are_explained() {
    let run = run(
        &["config", "check"],
        &[("BFF_SERVER__LISTEN", "localhost:4000")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("listen = \"127.0.0.1:4000\""),
        "{}",
        run.stdout
    );

    let run = self::run(
        &["config", "check"],
        &[("BFF_SERVER__LISTEN", "shop.example.com:4000")],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("`shop.example.com` is not an IP address")
            && run.stderr.contains("0.0.0.0:4000"),
        "{}",
        run.stderr
    );
}

#[test]
fn cors_origins_are_normalised_and_refused_without_a_scheme() {
    let run = run(
        &["config", "check"],
        &[(
            "BFF_SERVER__CORS_ALLOWED_ORIGINS",
            r#"["https://Shop.Example.com/", "http://localhost:3000"]"#,
        )],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let effective: toml::Table = run.stdout.parse().expect("stdout is TOML");
    assert_eq!(
        effective["server"]["cors_allowed_origins"],
        toml::Value::Array(vec![
            "https://shop.example.com".into(),
            "http://localhost:3000".into()
        ])
    );
    for (value, expected) in [
        (r#"["shop.example.com"]"#, "the scheme is required"),
        (r#"["https://shop.example.com/app"]"#, "no path"),
        (r#"["*", "https://shop.example.com"]"#, "stands alone"),
    ] {
        let run = self::run(
            &["config", "check"],
            &[("BFF_SERVER__CORS_ALLOWED_ORIGINS", value)],
        );
        assert_eq!(run.code, Some(2), "{value}");
        assert!(
            run.stderr.contains(expected)
                && run.stderr.contains("BFF_SERVER__CORS_ALLOWED_ORIGINS"),
            "{value}: {}",
            run.stderr
        );
    }
    let any = self::run(
        &["config", "check"],
        &[("BFF_SERVER__CORS_ALLOWED_ORIGINS", r#"["*"]"#)],
    );
    assert_eq!(any.code, Some(0), "{}", any.stderr);
}

#[tokio::test]
async fn json_logs_are_pure_json_on_stderr_with_an_access_line_per_request() {
    let server = Server::start(&[("BFF_LOG__FORMAT", "json")]);
    let query = r#"query Tour { products(search: "bag", pageSize: 1) { items { sku } } }"#;
    for _ in 0..2 {
        assert_eq!(post_graphql(&server, query).await.status(), 200);
    }
    let merged = r#"query Stock { products(search: "bag", pageSize: 1) { items { sku live_stock { salable_qty } } } }"#;
    assert_eq!(post_graphql(&server, merged).await.status(), 200);
    let local = "query Types { __schema { queryType { name } } }";
    assert_eq!(post_graphql(&server, local).await.status(), 200);
    let (stdout, lines) = server.stop();
    assert!(stdout.is_empty(), "stdout stays empty: {stdout}");
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        events.iter().any(|e| e["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is listening on"))),
        "the start-up lines are JSON too: {lines:#?}"
    );
    let access: Vec<&Value> = events
        .iter()
        .filter(|e| e["span"]["operation"] == "Tour" && e["fields"]["latency_ms"].is_number())
        .collect();
    assert_eq!(access.len(), 2, "{lines:#?}");
    assert_eq!(access[0]["span"]["route"], "forward");
    assert_eq!(access[0]["fields"]["cache"], "MISS");
    assert!(
        access[0]["span"]["upstream_ms"].is_number(),
        "{}",
        access[0]
    );
    assert_eq!(access[1]["fields"]["cache"], "HIT");
    assert!(
        access[1]["span"].get("upstream_ms").is_none(),
        "a cache hit calls nobody: {}",
        access[1]
    );
    let route_of = |operation: &str| {
        events
            .iter()
            .find(|e| e["span"]["operation"] == operation && e["fields"]["latency_ms"].is_number())
            .map(|e| e["span"]["route"].clone())
    };
    assert_eq!(route_of("Stock"), Some(json!("merged")), "{lines:#?}");
    assert_eq!(route_of("Types"), Some(json!("local")), "{lines:#?}");
}

#[tokio::test]
async fn text_logs_go_to_stderr_without_colour_when_piped() {
    let server = Server::start(&[]);
    let query = "query Local { __typename }";
    assert_eq!(post_graphql(&server, query).await.status(), 200);
    let (stdout, lines) = server.stop();
    assert!(stdout.is_empty(), "stdout stays empty: {stdout}");
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "no colour codes: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("operation=Local") && l.contains("latency_ms=")),
        "{lines:#?}"
    );
}

#[test]
fn schema_writes_only_sdl_to_stdout_even_when_introspection_fails() {
    let url = format!("http://127.0.0.1:{}/graphql", closed_port());
    let run = run(&["schema"], &[("BFF_COMMERCE__GRAPHQL_URL", &url)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    async_graphql::parser::parse_schema(&run.stdout).expect("stdout is pure SDL");
    assert!(run.stdout.contains("live_stock"), "the composed schema");
    assert!(
        run.stderr.contains("introspection failed") && !run.stderr.contains('\u{1b}'),
        "the fallback is a warning on stderr: {}",
        run.stderr
    );

    let broken = self::run(&["schema"], &[("BFF_COMMERCE__GRAPHQL_URL", "ftp://shop")]);
    assert_eq!(broken.code, Some(2));
    assert!(broken.stdout.is_empty());
}

/// A GraphQL endpoint whose schema is only `type Query { hello: String }`: nothing the BFF's
/// extensions can attach to. Answers every request with that introspection result.
fn commerce_without_products() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/graphql", listener.local_addr().expect("address"));
    let body = json!({ "data": { "__schema": {
        "queryType": { "name": "Query" },
        "types": [{ "kind": "OBJECT", "name": "Query", "fields": [
            { "name": "hello", "args": [], "type": { "kind": "SCALAR", "name": "String" } }
        ] }]
    } } })
    .to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Reads the head and the (small) body: enough for the introspection POST.
            while let Ok(n) = stream.read(&mut buf) {
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request);
                if n == 0 || text.contains("IntrospectionQuery") && text.ends_with('}') {
                    break;
                }
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
        }
    });
    url
}

#[test]
fn schema_exits_non_zero_when_the_schema_cannot_be_composed() {
    let url = commerce_without_products();
    let run = run(&["schema"], &[("BFF_COMMERCE__GRAPHQL_URL", &url)]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no partial SDL: {}", run.stdout);
    assert!(
        run.stderr.contains("ProductInterface"),
        "the reason is given: {}",
        run.stderr
    );
}

#[tokio::test]
async fn healthcheck_probes_the_configured_listen_address() {
    let server = Server::start(&[]);
    let port = server.addr.port().to_string();
    for listen in [format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}")] {
        let run = run(&["healthcheck"], &[("BFF_SERVER__LISTEN", &listen)]);
        assert_eq!(run.code, Some(0), "{listen}: {}", run.stderr);
    }
    let missing = server.url("/no-such-page");
    let run = run(&["healthcheck", "--url", &missing], &[]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("answered HTTP 404"), "{}", run.stderr);
    server.stop();
}

#[test]
fn healthcheck_says_why_it_failed() {
    let closed = format!("127.0.0.1:{}", closed_port());
    let run = run(&["healthcheck"], &[("BFF_SERVER__LISTEN", &closed)]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(&format!("http://{closed}/healthz"))
            && run.stderr.contains("connection refused"),
        "{}",
        run.stderr
    );

    // Accepts connections (the kernel's backlog) but never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/healthz", silent.local_addr().expect("address"));
    let run = self::run(&["healthcheck", "--url", &url, "--timeout-ms", "300"], &[]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}
