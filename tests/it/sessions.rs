//! BFF sessions on `/graphql`: the `__Host-bff_session` cookie sends the session's Commerce
//! token upstream, only from this site's pages (CSRF); a caller's own bearer token passes
//! through as before; an unknown or expired cookie is a guest's; tokens are re-minted once per
//! session when they near expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use storefront_bff::auth::{
    CustomerTokenMinter, MintError, MintedToken, NewSession, SESSION_COOKIE, SessionLookup,
    Sessions,
};
use storefront_bff::config::SessionConfig;
use storefront_bff::server::App;
use storefront_bff::store::{SessionId, unix_now};

use crate::store::TestDb;
use crate::support::{GENERAL_CUSTOMER, TestApp, WHOLESALE_CUSTOMER, post};

const WHO_AM_I: &str = "{ customer { email } }";

fn new_session(token: &str, email: &str, token_expires_at: i64) -> NewSession {
    NewSession {
        customer_token: token.to_string().into(),
        customer_token_expires_at: token_expires_at,
        customer_email: email.into(),
        cart_id: None,
        provider: "demo".into(),
        id_token: Some("id.token.hint".to_string().into()),
        refresh_token: None,
    }
}

/// Signs the general customer in through Commerce and starts a BFF session holding the token;
/// returns the `Cookie` header value.
async fn signed_in(app: &TestApp) -> String {
    let (email, password) = GENERAL_CUSTOMER;
    let token = app.customer_token(email, password).await;
    let (_, set_cookie) = app
        .app
        .state
        .sessions
        .start(new_session(&token, email, unix_now() + 3600))
        .await
        .expect("session starts");
    cookie_of(&set_cookie)
}

/// `GET /graphql?query={ customer { email } }`.
fn who_am_i_url(app: &TestApp) -> reqwest::Url {
    reqwest::Url::parse_with_params(&app.graphql_url(), [("query", WHO_AM_I)]).expect("url")
}

/// `name=value` of a `Set-Cookie` value.
fn cookie_of(set_cookie: &HeaderValue) -> String {
    set_cookie
        .to_str()
        .expect("text")
        .split(';')
        .next()
        .expect("a pair")
        .to_string()
}

#[tokio::test]
async fn a_session_cookie_from_this_sites_pages_signs_in_as_its_customer() {
    let app = TestApp::start().await;
    let cookie = signed_in(&app).await;
    let origin = app.app.url();
    let answer = app
        .query_with(
            WHO_AM_I,
            json!({}),
            &[("cookie", &cookie), ("origin", &origin)],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["data"]["customer"]["email"], GENERAL_CUSTOMER.0);
    let cache_control = answer.header("cache-control").unwrap_or_default();
    assert!(!cache_control.contains("public"), "{cache_control}");
    assert!(answer.header("set-cookie").is_none());

    // A GET needs no Origin (it cannot run a mutation); a Referer from this site does for POST.
    let get = app
        .http
        .get(who_am_i_url(&app))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("sent");
    let get = crate::support::decode(get).await;
    assert_eq!(
        get.body["data"]["customer"]["email"], GENERAL_CUSTOMER.0,
        "{}",
        get.body
    );
    let referer = format!("{origin}/checkout");
    let answer = app
        .query_with(
            WHO_AM_I,
            json!({}),
            &[("cookie", &cookie), ("referer", &referer)],
        )
        .await;
    assert_eq!(answer.body["data"]["customer"]["email"], GENERAL_CUSTOMER.0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_session_cookie_from_another_sites_page_is_refused_before_commerce_sees_it() {
    let app = TestApp::start_with(
        |c| c.server.cors_allowed_origins = vec!["https://shop.example".into()],
        Vec::new(),
    )
    .await;
    let cookie = signed_in(&app).await;
    app.sandbox.sandbox.reset_calls();
    let cases: [&[(&str, &str)]; 4] = [
        &[("origin", "https://evil.example")],
        &[("referer", "https://evil.example/page")],
        &[("origin", "null")],
        // A POST with neither header cannot prove where it came from.
        &[],
    ];
    for extra in cases {
        let mut headers = vec![("cookie", cookie.as_str())];
        headers.extend_from_slice(extra);
        let answer = app
            .query_with(
                "mutation { createGuestCart { cart { id } } }",
                json!({}),
                &headers,
            )
            .await;
        assert_eq!(answer.status, 403, "{extra:?}: {}", answer.body);
        assert_eq!(
            answer.error_code(),
            Some("SESSION_ORIGIN_REFUSED"),
            "{extra:?}"
        );
    }
    let cross_get = app
        .http
        .get(who_am_i_url(&app))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(cross_get.status().as_u16(), 403);
    assert_eq!(app.upstream_calls(), 0);

    // The configured storefront origin is trusted, and its preflight allows credentials.
    let answer = app
        .query_with(
            WHO_AM_I,
            json!({}),
            &[("cookie", &cookie), ("origin", "https://shop.example")],
        )
        .await;
    assert_eq!(answer.body["data"]["customer"]["email"], GENERAL_CUSTOMER.0);
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.graphql_url())
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-credentials")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_callers_own_bearer_token_passes_through_and_the_cookie_is_ignored() {
    let app = TestApp::start().await;
    let cookie = signed_in(&app).await;
    let (email, password) = WHOLESALE_CUSTOMER;
    let bearer = format!("Bearer {}", app.customer_token(email, password).await);
    // No Origin check applies to a bearer caller: a non-browser client sends none.
    let answer = app
        .query_with(
            WHO_AM_I,
            json!({}),
            &[("cookie", &cookie), ("authorization", &bearer)],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body["data"]["customer"]["email"],
        WHOLESALE_CUSTOMER.0
    );
    let without_cookie = app
        .query_with(WHO_AM_I, json!({}), &[("authorization", &bearer)])
        .await;
    assert_eq!(without_cookie.body, answer.body);
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_or_expired_cookie_is_a_guest_and_the_answer_clears_it() {
    let app = TestApp::start().await;
    let origin = app.app.url();
    let (email, password) = GENERAL_CUSTOMER;
    let token = app.customer_token(email, password).await;
    let expired = SessionId::generate().expect("random");
    let now = unix_now();
    let mut record = crate::store::session(now - 100, &token);
    record.idle_expires_at = now - 1;
    app.app
        .state
        .store
        .sessions()
        .insert(&expired, &record)
        .await
        .expect("inserted");
    let unknown = SessionId::generate().expect("random");
    let guest = app.query(WHO_AM_I, json!({})).await;
    for id in [
        unknown.to_cookie_value(),
        expired.to_cookie_value(),
        "garbage".into(),
    ] {
        let cookie = format!("{SESSION_COOKIE}={id}");
        let answer = app
            .query_with(
                WHO_AM_I,
                json!({}),
                &[("cookie", &cookie), ("origin", &origin)],
            )
            .await;
        // Exactly what a guest (no cookie at all) gets.
        assert_eq!(answer.status, guest.status, "{}", answer.body);
        assert_eq!(answer.body, guest.body);
        assert_eq!(
            answer.body["errors"][0]["extensions"]["category"],
            "graphql-authorization"
        );
        assert_eq!(
            answer.header("set-cookie"),
            Some("__Host-bff_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
        );
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_session_cookie_is_host_only_secure_http_only_and_lax() {
    let app = TestApp::start().await;
    let (_, set_cookie) = app
        .app
        .state
        .sessions
        .start(new_session("t", "a@example.com", unix_now() + 3600))
        .await
        .expect("starts");
    let text = set_cookie.to_str().expect("text");
    let value = cookie_of(&set_cookie);
    let id = value
        .strip_prefix("__Host-bff_session=")
        .expect("the __Host- cookie");
    assert!(SessionId::parse(id).is_some(), "{text}");
    let absolute = SessionConfig::default().absolute_timeout_secs;
    assert_eq!(
        text,
        format!(
            "__Host-bff_session={id}; Path=/; Max-Age={absolute}; Secure; HttpOnly; SameSite=Lax"
        )
    );
    assert!(set_cookie.is_sensitive());

    // Ending it deletes the row and clears the cookie; the record comes back for logout.
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(&value).expect("value"));
    let (ended, clear) = app.app.state.sessions.end(&headers).await.expect("ends");
    let ended = ended.expect("the session it ended");
    assert_eq!(ended.customer_email, "a@example.com");
    assert_eq!(
        ended
            .id_token
            .as_ref()
            .map(|t| t.expose_secret().to_string()),
        Some("id.token.hint".to_string())
    );
    assert_eq!(
        clear.to_str().ok(),
        Some("__Host-bff_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
    );
    assert!(
        app.app
            .state
            .sessions
            .resolve(&headers)
            .await
            .expect("reads")
            .is_none()
    );
    app.shutdown().await;
}

/// Mints `minted-<n>` after a short delay, counting calls.
struct FakeMinter {
    calls: AtomicUsize,
    fail: bool,
}

#[async_trait::async_trait]
impl CustomerTokenMinter for FakeMinter {
    async fn mint(&self, email: &str) -> Result<MintedToken, MintError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
        if self.fail {
            return Err(MintError::Unavailable("down".into()));
        }
        Ok(MintedToken {
            token: SecretString::from(format!("minted-{n}-{email}")),
            expires_at: unix_now() + 3600,
        })
    }
}

#[tokio::test]
async fn a_token_near_expiry_is_reminted_once_for_concurrent_requests_of_a_session() {
    for db in TestDb::both().await {
        let store = db.open().await;
        let minter = Arc::new(FakeMinter {
            calls: AtomicUsize::new(0),
            fail: false,
        });
        let config = SessionConfig {
            token_refresh_margin_secs: 300,
            ..SessionConfig::default()
        };
        let sessions = Arc::new(Sessions::new(store.clone(), &config, Some(minter.clone())));
        // The first token has two minutes left: inside the margin.
        let (id, set_cookie) = sessions
            .start(new_session(
                "first",
                "roni_cost@example.com",
                unix_now() + 120,
            ))
            .await
            .expect("starts");
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            HeaderValue::from_str(&cookie_of(&set_cookie)).expect("value"),
        );
        let lookups = (0..6).map(|_| {
            let sessions = sessions.clone();
            let headers = headers.clone();
            tokio::spawn(async move { sessions.resolve(&headers).await })
        });
        for lookup in futures_util::future::join_all(lookups).await {
            let active = lookup
                .expect("joins")
                .expect("no error")
                .expect("a session");
            assert_eq!(
                active.record.customer_token.expose_secret(),
                "minted-1-roni_cost@example.com"
            );
        }
        assert_eq!(minter.calls.load(Ordering::SeqCst), 1);
        let stored = store
            .sessions()
            .find(&id, unix_now())
            .await
            .expect("reads")
            .expect("there");
        assert_eq!(
            stored.customer_token.expose_secret(),
            "minted-1-roni_cost@example.com"
        );
        assert!(stored.customer_token_expires_at > unix_now() + 3000);
        // Fresh now: no further mint.
        sessions
            .resolve(&headers)
            .await
            .expect("reads")
            .expect("a session");
        assert_eq!(minter.calls.load(Ordering::SeqCst), 1);
        store.close().await;
        db.drop_all().await;
    }
}

#[tokio::test]
async fn a_failed_remint_keeps_a_valid_token_and_an_expired_one_makes_a_guest() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let minter = Arc::new(FakeMinter {
        calls: AtomicUsize::new(0),
        fail: true,
    });
    let sessions = Sessions::new(
        store.clone(),
        &SessionConfig::default(),
        Some(minter.clone()),
    );
    let headers_for = |set_cookie: &HeaderValue| {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            HeaderValue::from_str(&cookie_of(set_cookie)).expect("value"),
        );
        headers
    };
    let (_, still_valid) = sessions
        .start(new_session(
            "old-but-valid",
            "a@example.com",
            unix_now() + 60,
        ))
        .await
        .expect("starts");
    let active = sessions
        .resolve(&headers_for(&still_valid))
        .await
        .expect("reads")
        .expect("still signed in");
    assert_eq!(
        active.record.customer_token.expose_secret(),
        "old-but-valid"
    );
    let (_, expired) = sessions
        .start(new_session("expired", "a@example.com", unix_now() - 1))
        .await
        .expect("starts");
    assert!(matches!(
        sessions
            .lookup(&headers_for(&expired))
            .await
            .expect("reads"),
        SessionLookup::TokenExpired
    ));
    assert_eq!(minter.calls.load(Ordering::SeqCst), 2);
    store.close().await;
    db.drop_all().await;
}

#[tokio::test]
async fn a_session_survives_a_restart_of_the_bff() {
    let app = TestApp::start().await;
    let cookie = signed_in(&app).await;
    let config = (*app.app.state.config).clone();
    let TestApp {
        app: bff,
        sandbox,
        http,
    } = app;
    bff.shutdown().await;
    let restarted = App::start(config.clone(), Vec::new())
        .await
        .expect("restarts on the same store");
    let url = restarted.url();
    let answer = post(
        &http,
        &format!("{url}/graphql"),
        WHO_AM_I,
        json!({}),
        &[("cookie", &cookie), ("origin", &url)],
    )
    .await;
    assert_eq!(
        answer.body["data"]["customer"]["email"], GENERAL_CUSTOMER.0,
        "{}",
        answer.body
    );
    restarted.shutdown().await;
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(&config.store.data_dir);
}

#[tokio::test]
async fn the_server_purges_expired_sessions_in_the_background_until_it_stops() {
    let app = TestApp::start_with(|c| c.store.purge_interval_secs = 1, Vec::new()).await;
    let store = app.app.state.store.clone();
    let now = unix_now();
    let mut expired = crate::store::session(now - 100, "t");
    expired.idle_expires_at = now - 1;
    store
        .sessions()
        .insert(&SessionId::generate().expect("random"), &expired)
        .await
        .expect("inserted");
    let live = SessionId::generate().expect("random");
    store
        .sessions()
        .insert(&live, &crate::store::session(now, "t"))
        .await
        .expect("inserted");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while store.sessions().count().await.expect("counts") > 1 {
        assert!(tokio::time::Instant::now() < deadline, "never purged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        store
            .sessions()
            .find(&live, now)
            .await
            .expect("reads")
            .is_some()
    );
    // Shutdown joins the purge task and closes the pool.
    app.shutdown().await;
    assert!(store.sessions().count().await.is_err());
}

#[tokio::test]
async fn a_session_whose_token_could_not_be_reminted_is_a_guest_but_stays_signed_in() {
    // The app has no minter: an expired Commerce token cannot be replaced.
    let app = TestApp::start().await;
    let origin = app.app.url();
    let (_, set_cookie) = app
        .app
        .state
        .sessions
        .start(new_session(
            "long-expired",
            GENERAL_CUSTOMER.0,
            unix_now() - 10,
        ))
        .await
        .expect("starts");
    let cookie = cookie_of(&set_cookie);
    let guest = app.query(WHO_AM_I, json!({})).await;
    let answer = app
        .query_with(
            WHO_AM_I,
            json!({}),
            &[("cookie", &cookie), ("origin", &origin)],
        )
        .await;
    assert_eq!(answer.body, guest.body);
    assert!(answer.header("set-cookie").is_none());
    app.shutdown().await;
}
