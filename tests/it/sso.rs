//! Single sign-on through the BFF against the REAL npm `oidc-provider` (tests/peers/oidc, on
//! port 0), the BFF and the Commerce sandbox from `TestApp`. One full login, then one test per
//! attack; each refused login leaves no session and no Commerce account behind.

mod peer;

use peer::{Browser, CLIENT_ID, CLIENT_SECRET, OidcPeer, with_param};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::TestApp;

/// A person the sandbox does not know: a first SSO login creates the Commerce customer.
const NEW_PERSON: &str = "sso.newcomer@example.com";

struct Sso {
    app: TestApp,
    peer: OidcPeer,
    browser: Browser,
}

impl Sso {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut storefront_bff::config::Config)) -> Self {
        let peer = OidcPeer::start().await;
        let issuer = peer.issuer.clone();
        let app = TestApp::start_with(
            move |config| {
                config.auth.providers.insert(
                    "corporate".into(),
                    storefront_bff::config::OidcProviderConfig {
                        issuer,
                        client_id: CLIENT_ID.into(),
                        client_secret: Some(CLIENT_SECRET.to_string().into()),
                        ..Default::default()
                    },
                );
                config.auth.return_to_origins = vec!["https://shop.example.com".into()];
                // REST with the integration token, minting as the admin user (Commerce's rule).
                config.commerce.admin_token =
                    Some(sandbox::demo::INTEGRATION_TOKEN.to_string().into());
                config.commerce.admin_username = sandbox::demo::ADMIN_USER.0.into();
                config.commerce.admin_password =
                    Some(sandbox::demo::ADMIN_USER.1.to_string().into());
                configure(config);
            },
            Vec::new(),
        )
        .await;
        peer.register(&app.app.url()).await;
        peer.sign_in_as(NEW_PERSON, true).await;
        Self {
            app,
            peer,
            browser: Browser::new(),
        }
    }

    fn bff(&self) -> String {
        self.app.app.url()
    }

    /// Logs in up to the provider's redirect back; returns the callback URL, not yet visited.
    async fn until_callback(&mut self, query: &str) -> String {
        let bff = self.bff();
        self.browser.login_until_callback(&bff, query).await
    }

    /// Commerce customers with this e-mail, asked of the sandbox over REST as an admin.
    async fn commerce_customers(&self, email: &str) -> u64 {
        let mut url = reqwest::Url::parse(&format!(
            "{}/rest/V1/customers/search",
            self.app.sandbox.base_url().trim_end_matches('/')
        ))
        .expect("url");
        url.query_pairs_mut().extend_pairs([
            (
                "searchCriteria[filterGroups][0][filters][0][field]",
                "email",
            ),
            ("searchCriteria[filterGroups][0][filters][0][value]", email),
            (
                "searchCriteria[filterGroups][0][filters][0][conditionType]",
                "eq",
            ),
        ]);
        let answer: Value = self
            .app
            .http
            .get(url)
            .bearer_auth(sandbox::demo::INTEGRATION_TOKEN)
            .send()
            .await
            .expect("customers/search answers")
            .json()
            .await
            .expect("search results");
        answer["total_count"].as_u64().expect("total_count")
    }

    /// `customer { email }` through the BFF with the browser's cookies.
    async fn customer_email_through_cookie(&self) -> Value {
        let bff = self.bff();
        let mut request = self
            .app
            .http
            .post(format!("{bff}/graphql"))
            .header("origin", bff.clone())
            .json(&json!({ "query": "{ customer { email } }" }));
        if let Some(session) = self.browser.cookie(&bff, SESSION_COOKIE) {
            request = request.header("cookie", format!("{SESSION_COOKIE}={session}"));
        }
        let answer: Value = request
            .send()
            .await
            .expect("graphql")
            .json()
            .await
            .expect("json");
        answer
    }

    /// The refusal left nothing: no session cookie, no stored session, no Commerce account.
    async fn assert_nothing_left(&self, email: &str) {
        assert_eq!(
            self.browser.cookie(&self.bff(), SESSION_COOKIE),
            None,
            "no session cookie"
        );
        assert_eq!(self.app.stored_sessions().await, 0, "no stored session");
        assert_eq!(
            self.commerce_customers(email).await,
            0,
            "no Commerce account"
        );
        let answer = self.customer_email_through_cookie().await;
        assert_eq!(answer["data"]["customer"], Value::Null, "{answer}");
    }

    /// Visits the callback and expects a refusal with `code`.
    async fn expect_refused(&mut self, callback: &str, code: &str) {
        let hop = self.browser.get(callback).await;
        assert_eq!(hop.error_code(), Some(code), "{} {}", hop.status, hop.body);
        assert!(hop.location.is_none(), "a refusal redirects nowhere");
        self.assert_nothing_left(NEW_PERSON).await;
    }
}

const SESSION_COOKIE: &str = "__Host-bff_session";
const LOGIN_COOKIE: &str = "__Host-bff_login";

#[tokio::test]
async fn a_login_through_the_provider_lands_in_a_commerce_customer_session() {
    let mut sso = Sso::start().await;
    assert_eq!(sso.commerce_customers(NEW_PERSON).await, 0);
    let callback = sso.until_callback("return_to=/account").await;
    let bff = sso.bff();
    assert!(
        sso.browser.cookie(&bff, LOGIN_COOKIE).is_some(),
        "pre-login cookie set"
    );
    let done = sso.browser.get(&callback).await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{bff}/account").as_str())
    );
    assert!(
        sso.browser.cookie(&bff, LOGIN_COOKIE).is_none(),
        "pre-login cookie cleared"
    );
    let session = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with(SESSION_COOKIE))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );

    let answer = sso.customer_email_through_cookie().await;
    assert_eq!(answer["data"]["customer"]["email"], NEW_PERSON, "{answer}");
    assert_eq!(
        sso.commerce_customers(NEW_PERSON).await,
        1,
        "the customer was created once"
    );
    assert_eq!(sso.app.stored_sessions().await, 1);

    // A second login of the same person finds the customer instead of creating another.
    let mut again = Browser::new();
    let callback = again.login_until_callback(&bff, "").await;
    assert_eq!(again.get(&callback).await.status, 302);
    assert_eq!(sso.commerce_customers(NEW_PERSON).await, 1);
    assert_eq!(sso.app.stored_sessions().await, 2);

    // Another site cannot sign the shopper out.
    let session = sso.browser.cookie(&bff, SESSION_COOKIE).expect("session");
    let forged = sso
        .app
        .http
        .post(format!("{bff}/auth/logout"))
        .header("origin", "https://evil.example")
        .header("cookie", format!("{SESSION_COOKIE}={session}"))
        .send()
        .await
        .expect("logout answers");
    assert_eq!(forged.status(), 403);
    assert_eq!(sso.app.stored_sessions().await, 2);

    // Logout: the session is gone, Commerce's token is revoked, the provider logs out too.
    let id = storefront_bff::store::SessionId::parse(&session).expect("session id");
    let record = sso
        .app
        .app
        .state
        .store
        .sessions()
        .find(&id, storefront_bff::store::unix_now())
        .await
        .expect("store reads")
        .expect("the session is stored");
    let commerce_token = record.customer_token.expose_secret().to_string();
    let auth = format!("Bearer {commerce_token}");
    let before = sso
        .app
        .query_commerce(
            "{ customer { email } }",
            json!({}),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(
        before.body["data"]["customer"]["email"], NEW_PERSON,
        "{}",
        before.body
    );
    let out = sso.browser.get(&format!("{bff}/auth/logout")).await;
    assert_eq!(out.status, 302, "{}", out.body);
    let to = out.location.expect("logout redirects");
    assert!(
        to.starts_with(&format!("{}/session/end", sso.peer.issuer))
            && to.contains("id_token_hint="),
        "{to}"
    );
    assert_eq!(sso.app.stored_sessions().await, 1);
    let answer = sso.customer_email_through_cookie().await;
    assert_eq!(answer["data"]["customer"], Value::Null, "{answer}");
    let after = sso
        .app
        .query_commerce(
            "{ customer { email } }",
            json!({}),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(
        after.body["data"]["customer"],
        Value::Null,
        "revoked: {}",
        after.body
    );
}

#[tokio::test]
async fn the_guest_cart_given_at_login_is_merged_into_the_customers_cart() {
    let mut sso = Sso::start().await;
    let cart = sso
        .app
        .query("mutation { createGuestCart { cart { id } } }", json!({}))
        .await;
    let guest_cart = cart.body["data"]["createGuestCart"]["cart"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("guest cart: {}", cart.body))
        .to_string();
    let added = sso
        .app
        .query(
            "mutation($c: String!) { addProductsToCart(cartId: $c, cartItems: [{ sku: \"24-MB01\", quantity: 2 }]) { cart { total_quantity } } }",
            json!({ "c": guest_cart }),
        )
        .await;
    assert_eq!(
        added.body["data"]["addProductsToCart"]["cart"]["total_quantity"], 2.0,
        "{}",
        added.body
    );
    let callback = sso.until_callback(&format!("cart_id={guest_cart}")).await;
    assert_eq!(sso.browser.get(&callback).await.status, 302);
    let bff = sso.bff();
    let session = sso.browser.cookie(&bff, SESSION_COOKIE).expect("session");
    let cart: Value = sso
        .app
        .http
        .post(format!("{bff}/graphql"))
        .header("origin", bff.clone())
        .header("cookie", format!("{SESSION_COOKIE}={session}"))
        .json(&json!({ "query": "{ customerCart { total_quantity } }" }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    assert_eq!(
        cart["data"]["customerCart"]["total_quantity"], 2.0,
        "{cart}"
    );
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused() {
    let mut sso = Sso::start().await;
    let callback = sso.until_callback("").await;
    let forged = with_param(&callback, "state", Some("forged-state"));
    sso.expect_refused(&forged, "SSO_STATE_MISMATCH").await;
}

#[tokio::test]
async fn a_callback_without_state_is_refused() {
    let mut sso = Sso::start().await;
    let callback = sso.until_callback("").await;
    sso.expect_refused(&with_param(&callback, "state", None), "SSO_STATE_MISMATCH")
        .await;
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let mut sso = Sso::start().await;
    let callback = sso.until_callback("").await;
    let bff = sso.bff();
    let login_cookie = sso
        .browser
        .cookie(&bff, LOGIN_COOKIE)
        .expect("pre-login cookie");
    assert_eq!(sso.browser.get(&callback).await.status, 302);
    assert_eq!(sso.commerce_customers(NEW_PERSON).await, 1);
    // The same callback again, with the same pre-login cookie: the attempt was used up.
    let mut replayer = Browser::new();
    replayer.set_cookie(&bff, LOGIN_COOKIE, &login_cookie);
    let replay = replayer.get(&callback).await;
    assert_eq!(
        replay.error_code(),
        Some("SSO_LOGIN_EXPIRED"),
        "{}",
        replay.body
    );
    // The old code inside a fresh login attempt (new cookie and state): the provider refuses it.
    let fresh = sso.until_callback("").await;
    let state = reqwest::Url::parse(&fresh)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let old_code = reqwest::Url::parse(&callback)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let mixed = with_param(
        &with_param(&fresh, "code", Some(&old_code)),
        "state",
        Some(&state),
    );
    let hop = sso.browser.get(&mixed).await;
    assert_eq!(hop.error_code(), Some("SSO_CODE_REJECTED"), "{}", hop.body);
    assert_eq!(sso.app.stored_sessions().await, 1);
}

/// The next id_token is re-signed with the provider's real key but `change`d; refused.
async fn tampered_login_is_refused(change: Value, code: &str) {
    let mut sso = Sso::start().await;
    sso.peer.tamper(change).await;
    let callback = sso.until_callback("").await;
    sso.expect_refused(&callback, code).await;
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    tampered_login_is_refused(
        json!({ "claims": { "nonce": "replayed-nonce" } }),
        "SSO_ID_TOKEN_INVALID",
    )
    .await;
}

#[tokio::test]
async fn an_id_token_from_another_issuer_is_refused() {
    tampered_login_is_refused(
        json!({ "claims": { "iss": "https://evil.example" } }),
        "SSO_ID_TOKEN_INVALID",
    )
    .await;
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    tampered_login_is_refused(
        json!({ "claims": { "aud": "another-client" } }),
        "SSO_ID_TOKEN_INVALID",
    )
    .await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    tampered_login_is_refused(
        json!({ "claims": { "exp": now - 3600, "iat": now - 7200 } }),
        "SSO_ID_TOKEN_INVALID",
    )
    .await;
}

#[tokio::test]
async fn an_unsigned_id_token_is_refused() {
    tampered_login_is_refused(json!({ "alg": "none" }), "SSO_ID_TOKEN_INVALID").await;
}

#[tokio::test]
async fn an_id_token_signed_hs256_with_the_providers_public_key_is_refused() {
    tampered_login_is_refused(json!({ "alg": "HS256" }), "SSO_ID_TOKEN_INVALID").await;
}

#[tokio::test]
async fn a_rotated_signing_key_is_accepted_after_one_jwks_refetch() {
    let mut sso = Sso::start_with(|c| c.auth.jwks_min_refetch_secs = 0).await;
    let callback = sso.until_callback("").await;
    assert_eq!(sso.browser.get(&callback).await.status, 302);
    assert_eq!(sso.peer.jwks_fetches().await, 1);
    sso.peer.rotate_key().await;
    let mut browser = Browser::new();
    let bff = sso.bff();
    let callback = browser.login_until_callback(&bff, "").await;
    let done = browser.get(&callback).await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(
        sso.peer.jwks_fetches().await,
        2,
        "one refetch for the new kid"
    );
    // The new key is cached now: another login fetches nothing.
    let mut third = Browser::new();
    let callback = third.login_until_callback(&bff, "").await;
    assert_eq!(third.get(&callback).await.status, 302);
    assert_eq!(sso.peer.jwks_fetches().await, 2);
}

#[tokio::test]
async fn a_return_to_on_another_site_is_refused_before_anything_is_stored() {
    let mut sso = Sso::start().await;
    let bff = sso.bff();
    for target in [
        "https://evil.example/account",
        "//evil.example/account",
        "/\\evil.example",
        "https://shop.example.com.evil.example/",
    ] {
        let query = format!("return_to={}", urlencode(target));
        let hop = sso.browser.get(&format!("{bff}/auth/login?{query}")).await;
        assert_eq!(hop.status, 400, "{target}: {}", hop.body);
        assert_eq!(hop.error_code(), Some("SSO_RETURN_TO_REFUSED"), "{target}");
        assert!(hop.location.is_none());
        assert!(sso.browser.cookie(&bff, LOGIN_COOKIE).is_none());
    }
    // An allowed absolute origin is followed.
    let callback = sso
        .until_callback(&format!(
            "return_to={}",
            urlencode("https://shop.example.com/account")
        ))
        .await;
    let done = sso.browser.get(&callback).await;
    assert_eq!(
        done.location.as_deref(),
        Some("https://shop.example.com/account")
    );
}

#[tokio::test]
async fn a_callback_in_a_browser_that_did_not_start_the_login_is_refused() {
    let mut sso = Sso::start().await;
    let callback = sso.until_callback("").await;
    // The attacker's own login, completed in the victim's browser: no pre-login cookie there.
    let mut victim = Browser::new();
    let hop = victim.get(&callback).await;
    assert_eq!(
        hop.error_code(),
        Some("SSO_LOGIN_NOT_STARTED"),
        "{}",
        hop.body
    );
    assert!(victim.cookie(&sso.bff(), SESSION_COOKIE).is_none());
    sso.browser.forget_cookie(&sso.bff(), LOGIN_COOKIE);
    sso.assert_nothing_left(NEW_PERSON).await;
}

#[tokio::test]
async fn a_person_whose_email_is_not_verified_is_refused() {
    let mut sso = Sso::start().await;
    sso.peer.sign_in_as(NEW_PERSON, false).await;
    let callback = sso.until_callback("").await;
    sso.expect_refused(&callback, "SSO_EMAIL_UNVERIFIED").await;
}

#[tokio::test]
async fn a_person_the_crm_blocks_gets_no_commerce_account() {
    let mut sso = Sso::start().await;
    sso.peer
        .sign_in_as(sandbox::demo::BLOCKED_PERSON, true)
        .await;
    let callback = sso.until_callback("").await;
    let hop = sso.browser.get(&callback).await;
    assert_eq!(hop.error_code(), Some("SSO_PERSON_BLOCKED"), "{}", hop.body);
    sso.assert_nothing_left(sandbox::demo::BLOCKED_PERSON).await;
}

#[tokio::test]
async fn the_auth_routes_say_sso_is_not_configured_without_a_provider() {
    let app = TestApp::start().await;
    let mut browser = Browser::new();
    for path in [
        "/auth/login?return_to=/",
        "/auth/callback?code=x&state=y",
        "/auth/logout",
    ] {
        let hop = browser.get(&format!("{}{path}", app.app.url())).await;
        assert_eq!(hop.status, 404, "{path}");
        assert_eq!(hop.error_code(), Some("SSO_NOT_CONFIGURED"), "{path}");
    }
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn tokens_naming_unknown_keys_cannot_make_the_bff_refetch_the_jwks_within_the_minimum_interval()
 {
    // The default 30 s minimum: a second unknown kid right after the first fetch is refused
    // without asking the provider again.
    let mut sso = Sso::start().await;
    let callback = sso.until_callback("").await;
    assert_eq!(sso.browser.get(&callback).await.status, 302);
    assert_eq!(sso.peer.jwks_fetches().await, 1);
    sso.peer.rotate_key().await;
    let mut browser = Browser::new();
    let bff = sso.bff();
    let callback = browser.login_until_callback(&bff, "").await;
    let hop = browser.get(&callback).await;
    assert_eq!(
        hop.error_code(),
        Some("SSO_ID_TOKEN_INVALID"),
        "{}",
        hop.body
    );
    assert_eq!(sso.peer.jwks_fetches().await, 1);
}

#[tokio::test]
async fn the_demo_signs_in_through_the_sandboxs_own_provider() {
    // `cargo run` with no configuration: the embedded sandbox is Commerce, the CRM and the
    // OpenID Provider (`demo`); a seeded shopper signs in and lands in their Commerce account.
    let mut config = storefront_bff::config::Config::default();
    config.server.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let data_dir = crate::support::unique_temp_dir("bff-sso-demo");
    config.store.data_dir = data_dir.clone();
    let app = storefront_bff::server::App::start(config, Vec::new())
        .await
        .expect("the demo starts");
    let bff = app.url();
    let mut browser = Browser::new();
    let start = browser
        .get(&format!("{bff}/auth/login?provider=demo"))
        .await;
    assert_eq!(start.status, 302, "{}", start.body);
    let authorize = start.location.expect("to the demo provider");
    let (email, _) = sandbox::demo::ACME_BUYER;
    let picked = browser
        .get(&format!("{authorize}&login_hint={}", urlencode(email)))
        .await;
    let callback = picked.location.expect("the provider redirects back");
    assert!(
        callback.starts_with(&format!("{bff}/auth/callback")),
        "{callback}"
    );
    let done = browser.get(&callback).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let session = browser.cookie(&bff, SESSION_COOKIE).expect("a session");
    let answer: Value = reqwest::Client::new()
        .post(format!("{bff}/graphql"))
        .header("origin", bff.clone())
        .header("cookie", format!("{SESSION_COOKIE}={session}"))
        .json(&json!({ "query": "{ customer { email } }" }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["data"]["customer"]["email"], email, "{answer}");
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn one_address_may_start_only_so_many_sign_ins_before_it_is_told_to_wait() {
    let mut sso = Sso::start_with(|config| {
        config.rate_limits.sign_in_per_ip_per_minute = 1;
        config.rate_limits.sign_in_per_ip_burst = 2;
    })
    .await;
    let bff = sso.bff();
    for _ in 0..2 {
        let hop = sso.browser.get(&format!("{bff}/auth/login")).await;
        assert_eq!(hop.status, 302, "{}", hop.body);
    }
    let limited = sso.browser.get(&format!("{bff}/auth/login")).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.error_code(), Some("RATE_LIMITED"));
    assert!(limited.location.is_none(), "no redirect to the provider");
    // The callback counts against the same allowance: a flood of forged callbacks is cut too.
    let callback = sso
        .browser
        .get(&format!("{bff}/auth/callback?code=x&state=y"))
        .await;
    assert_eq!(callback.status, 429, "{}", callback.body);
    assert_eq!(sso.app.stored_sessions().await, 0);
}
