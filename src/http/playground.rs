//! The GraphiQL playground: the page a browser gets from `GET /graphql` and its assets under
//! `/playground/assets/`. Everything is embedded in the binary (GraphiQL 3 and React 18 UMD
//! builds vendored in `assets/playground/`), so the playground works offline and the page
//! loads nothing from another host; its Content-Security-Policy enforces that. Served only while
//! `graphql.playground` is on (the `demo` default; off in `production`).

use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::gateway::GatewayError;

/// Scripts, styles and fetches from this origin only. GraphiQL's fonts are `data:` URLs in its
/// CSS; its dialogs (Radix) inject `<style>` elements, hence `'unsafe-inline'` for styles only.
/// No `'unsafe-eval'`: none of the bundles evaluates strings.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Asset URLs carry a content hash (`?v=`), so a year of caching never serves a stale file.
const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// The page template; `__ASSET_VERSION__` becomes the assets' content hash.
const PAGE_TEMPLATE: &str = include_str!("../../assets/playground/index.html");

struct Asset {
    /// Path under `/playground/assets/`.
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!(concat!("../../assets/playground/", $path)),
        }
    };
}

/// Everything the page loads, plus the licenses of what was vendored.
const ASSETS: &[Asset] = &[
    asset!("graphiql.min.js", JAVASCRIPT),
    asset!("graphiql.min.css", CSS),
    asset!("react.production.min.js", JAVASCRIPT),
    asset!("react-dom.production.min.js", JAVASCRIPT),
    asset!("playground.js", JAVASCRIPT),
    asset!("playground.css", CSS),
    asset!("LICENSES/graphiql.LICENSE", TEXT),
    asset!("LICENSES/graphiql-THIRD-PARTY-NOTICES.txt", TEXT),
    asset!("LICENSES/react.LICENSE", TEXT),
    asset!("LICENSES/react-dom.LICENSE", TEXT),
    asset!("LICENSES/Apache-2.0.txt", TEXT),
    asset!("LICENSES/OFL-1.1.txt", TEXT),
];

static PAGE: LazyLock<String> =
    LazyLock::new(|| PAGE_TEMPLATE.replace("__ASSET_VERSION__", &hash_assets()));

/// The playground page (GET /graphql from a browser, i.e. `Accept: text/html`).
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Revalidated on every visit so a new binary's asset hashes are picked up at once.
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Body::from(PAGE.as_str()),
    )
        .into_response()
}

/// `/playground/assets/{*file}`: the assets while the playground is enabled, else not found.
pub async fn served_asset(State(state): State<AppState>, file: Path<String>) -> Response {
    if !state.config.playground_enabled() {
        return GatewayError::not_found().into_response();
    }
    asset(file).await
}

/// Static assets under /playground/assets/{*file}: long immutable cache, correct content types.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.path == file) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, ASSET_CACHE_CONTROL),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [
                (header::CONTENT_TYPE, TEXT),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            "no such playground asset\n",
        )
            .into_response(),
    }
}

/// Whether a GET /graphql request comes from a browser wanting the page (Accept contains text/html and no `query` parameter).
pub fn wants_page(headers: &HeaderMap, has_query: bool) -> bool {
    !has_query
        && headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(accepts_html)
}

/// `text/html` in one media range of an Accept header, unless refused with `q=0`.
fn accepts_html(media_range: &str) -> bool {
    let mut parts = media_range.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("text/html")
        && !parts.any(|parameter| {
            parameter.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("q")
                    && value.trim().parse::<f32>().is_ok_and(|q| q == 0.0)
            })
        })
}

/// The first 16 hex digits of a SHA-256 over every served asset.
fn hash_assets() -> String {
    let mut hasher = Sha256::new();
    for asset in ASSETS {
        hasher.update(asset.path.as_bytes());
        hasher.update([0]);
        hasher.update(asset.body);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use http_body_util::BodyExt;

    async fn body_text(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn header_of(response: &Response, name: header::HeaderName) -> &str {
        response.headers()[name].to_str().unwrap()
    }

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[tokio::test]
    async fn page_is_html_under_a_self_only_content_security_policy() {
        let response = page().await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header_of(&response, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
            "nosniff"
        );
        let csp = header_of(&response, header::CONTENT_SECURITY_POLICY).to_owned();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        let html = body_text(response).await;
        assert!(html.contains("<title>storefront-bff playground</title>"));
    }

    #[tokio::test]
    async fn page_loads_only_local_assets_with_a_content_hash() {
        let html = body_text(page().await).await;
        assert!(!html.contains("__ASSET_VERSION__"));
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"));
        let version = hash_assets();
        let sources: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with("/playground/assets/"))
            .collect();
        assert_eq!(sources.len(), 6, "{sources:?}");
        for src in sources {
            let (path, query) = src.split_once('?').unwrap();
            assert_eq!(query, format!("v={version}"), "{src}");
            let file = path.trim_start_matches("/playground/assets/").to_owned();
            let response = asset(Path(file)).await;
            assert_eq!(response.status(), StatusCode::OK, "{src} is not served");
        }
    }

    #[tokio::test]
    async fn assets_are_served_with_their_content_type_and_a_long_cache() {
        for (file, content_type) in [
            ("graphiql.min.js", JAVASCRIPT),
            ("graphiql.min.css", CSS),
            ("react.production.min.js", JAVASCRIPT),
            ("react-dom.production.min.js", JAVASCRIPT),
            ("playground.js", JAVASCRIPT),
            ("playground.css", CSS),
            ("LICENSES/graphiql-THIRD-PARTY-NOTICES.txt", TEXT),
        ] {
            let response = asset(Path(file.to_owned())).await;
            assert_eq!(response.status(), StatusCode::OK, "{file}");
            assert_eq!(
                header_of(&response, header::CONTENT_TYPE),
                content_type,
                "{file}"
            );
            assert_eq!(
                header_of(&response, header::CACHE_CONTROL),
                ASSET_CACHE_CONTROL
            );
            assert_eq!(
                header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
                "nosniff"
            );
            assert!(!body_text(response).await.is_empty(), "{file}");
        }
    }

    #[tokio::test]
    async fn unknown_assets_and_path_tricks_are_not_found() {
        for file in [
            "nope.js",
            "index.html",
            "../Cargo.toml",
            "LICENSES",
            "",
            "graphiql.min.js/",
        ] {
            let response = asset(Path(file.to_owned())).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{file:?}");
        }
    }

    #[test]
    fn vendored_css_reaches_no_other_host() {
        let css = ASSETS
            .iter()
            .find(|a| a.path == "graphiql.min.css")
            .unwrap();
        let css = std::str::from_utf8(css.body).unwrap();
        for reference in css.split("url(").skip(1) {
            let target = reference.trim_start_matches(['"', '\'']);
            assert!(
                target.starts_with("data:"),
                "external url( in CSS: {}",
                &target[..80.min(target.len())]
            );
        }
        assert!(!css.contains("@import"));
    }

    #[test]
    fn browsers_asking_for_html_without_a_query_get_the_page() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
        assert!(wants_page(&accept(chrome), false));
        assert!(wants_page(&accept("TEXT/HTML; charset=utf-8"), false));
        assert!(wants_page(
            &accept("application/json, text/html;q=0.5"),
            false
        ));
    }

    #[test]
    fn api_clients_and_get_queries_do_not_get_the_page() {
        assert!(!wants_page(&HeaderMap::new(), false));
        assert!(!wants_page(&accept("application/json"), false));
        assert!(!wants_page(
            &accept("application/graphql-response+json, */*"),
            false
        ));
        assert!(!wants_page(&accept("text/html"), true));
        assert!(!wants_page(
            &accept("text/html;q=0, application/json"),
            false
        ));
        assert!(!wants_page(&accept("text/htmlx"), false));
    }
}
