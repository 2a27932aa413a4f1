//! The demo OpenID Provider through the router, as a relying party uses it.

use axum::body::to_bytes;
use axum::http::Request;
use base64::engine::general_purpose::STANDARD as STANDARD_B64;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tower::ServiceExt;

use super::token::pkce_s256;
use super::*;
use crate::SandboxConfig;

const BASE: &str = "http://sandbox.test/";
const ISSUER: &str = "http://sandbox.test/oidc";
const CALLBACK: &str = "http://localhost:4000/auth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9ZXYZ_verifier_of_forty_three_or_more_chars";

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 10,
        order_stream: false,
        base_url: Some(BASE.into()),
        ..SandboxConfig::default()
    })
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// A query parameter of the `Location` (values here need no decoding but `%3A`/`%2F`).
    fn location_param(&self, name: &str) -> Option<String> {
        let location = self.location();
        let query = location.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.replace("%3A", ":").replace("%2F", "/"))
        })
    }
}

async fn call(sandbox: &Sandbox, request: Request<Body>) -> Answer {
    let response = sandbox
        .router()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(sandbox: &Sandbox, uri: &str) -> Answer {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    call(sandbox, request).await
}

/// An authorization request of the demo client, with `overrides` replacing or adding parameters
/// (an empty value drops one).
fn authorize_uri(overrides: &[(&str, &str)]) -> String {
    let challenge = pkce_s256(VERIFIER);
    let mut params: Vec<(&str, String)> = vec![
        ("response_type", "code".into()),
        ("client_id", demo::OIDC_CLIENT_ID.into()),
        ("redirect_uri", CALLBACK.into()),
        ("scope", "openid email profile".into()),
        ("state", "st-1".into()),
        ("nonce", "n-1".into()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".into()),
    ];
    for (name, value) in overrides {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, (*value).to_string()));
        }
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
    with_query("/oidc/authorize", &pairs)
}

/// The code the provider redirects back with after `login_hint` picks `email`.
async fn code_for(sandbox: &Sandbox, email: &str) -> String {
    let answer = get(sandbox, &authorize_uri(&[("login_hint", email)])).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text);
    assert!(answer.location().starts_with(CALLBACK));
    assert_eq!(answer.location_param("state").as_deref(), Some("st-1"));
    assert_eq!(answer.location_param("iss").as_deref(), Some(ISSUER));
    answer.location_param("code").expect("a code")
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD_B64.encode(format!("{id}:{secret}")))
}

async fn redeem(sandbox: &Sandbox, code: &str, verifier: &str, redirect_uri: &str) -> Answer {
    let form = with_query(
        "",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ],
    );
    let request = Request::post("/oidc/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            basic(demo::OIDC_CLIENT_ID, demo::OIDC_CLIENT_SECRET),
        )
        .body(Body::from(form.trim_start_matches('?').to_string()))
        .expect("request");
    call(sandbox, request).await
}

async fn userinfo_status(sandbox: &Sandbox, access_token: &str) -> StatusCode {
    let request = Request::get("/oidc/userinfo")
        .header("authorization", format!("Bearer {access_token}"))
        .body(Body::empty())
        .expect("request");
    call(sandbox, request).await.status
}

/// The id_token's claims, verified with the key the JWKS publishes, as a relying party would.
async fn verified_claims(sandbox: &Sandbox, id_token: &str) -> Value {
    let jwks: JwkSet = serde_json::from_str(&get(sandbox, "/oidc/jwks").await.text).expect("jwks");
    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.alg, Algorithm::RS256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap_or_default())
        .expect("kid in the JWKS");
    let key = DecodingKey::from_jwk(jwk).expect("key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[demo::OIDC_CLIENT_ID]);
    jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("a valid id_token")
        .claims
}

#[tokio::test]
async fn discovery_names_every_endpoint_under_the_issuer() {
    let answer = get(&sandbox(), "/oidc/.well-known/openid-configuration").await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["issuer"], ISSUER);
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("end_session_endpoint", "/end_session"),
    ] {
        assert_eq!(doc[field], format!("{ISSUER}{path}"), "{field}");
    }
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
}

#[tokio::test]
async fn a_code_with_pkce_buys_an_id_token_the_jwks_verifies() {
    let sandbox = sandbox();
    let code = code_for(&sandbox, demo::ACME_BUYER.0).await;
    let answer = redeem(&sandbox, &code, VERIFIER, CALLBACK).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let tokens = answer.json();
    assert_eq!(tokens["token_type"], "Bearer");
    let claims = verified_claims(&sandbox, tokens["id_token"].as_str().unwrap_or_default()).await;
    assert_eq!(claims["azp"], demo::OIDC_CLIENT_ID);
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["email"], demo::ACME_BUYER.0);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Bugs Bunny");
    let subject = claims["sub"].as_str().unwrap_or_default();
    assert!(!subject.is_empty() && !subject.contains('@'), "{subject}");

    let request = Request::get("/oidc/userinfo")
        .header(
            "authorization",
            format!(
                "Bearer {}",
                tokens["access_token"].as_str().unwrap_or_default()
            ),
        )
        .body(Body::empty())
        .expect("request");
    let userinfo = call(&sandbox, request).await.json();
    assert_eq!(userinfo["sub"], subject);
    assert_eq!(userinfo["email"], demo::ACME_BUYER.0);
}

#[tokio::test]
async fn client_secret_post_works_and_a_wrong_secret_does_not() {
    let sandbox = sandbox();
    let challenge_code = code_for(&sandbox, demo::OIDC_NEW_PERSON).await;
    let post = |secret: &str, code: &str| {
        let form = with_query(
            "",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
                ("client_id", demo::OIDC_CLIENT_ID),
                ("client_secret", secret),
            ],
        );
        Request::post("/oidc/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form.trim_start_matches('?').to_string()))
            .expect("request")
    };
    let refused = call(&sandbox, post("wrong", &challenge_code)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["error"], "invalid_client");
    let accepted = call(&sandbox, post(demo::OIDC_CLIENT_SECRET, &challenge_code)).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    let claims =
        verified_claims(&sandbox, accepted.json()["id_token"].as_str().unwrap_or("")).await;
    assert_eq!(claims["email"], demo::OIDC_NEW_PERSON);
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_spends_the_code() {
    let sandbox = sandbox();
    let code = code_for(&sandbox, demo::ACME_BUYER.0).await;
    let other = "x".repeat(43);
    let wrong = redeem(&sandbox, &code, &other, CALLBACK).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    let after = redeem(&sandbox, &code, VERIFIER, CALLBACK).await;
    assert_eq!(after.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_its_access_token() {
    let sandbox = sandbox();
    let code = code_for(&sandbox, demo::ACME_BUYER.0).await;
    let first = redeem(&sandbox, &code, VERIFIER, CALLBACK).await.json();
    let access_token = first["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        userinfo_status(&sandbox, &access_token).await,
        StatusCode::OK
    );
    let replay = redeem(&sandbox, &code, VERIFIER, CALLBACK).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.json()["error"], "invalid_grant");
    assert_eq!(
        userinfo_status(&sandbox, &access_token).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_never_redirected_to() {
    let sandbox = sandbox();
    for overrides in [
        [("redirect_uri", "https://evil.example/cb")],
        [("client_id", "someone-else")],
    ] {
        let answer = get(&sandbox, &authorize_uri(&overrides)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert!(answer.headers.get(header::LOCATION).is_none());
    }
    let code = code_for(&sandbox, demo::ACME_BUYER.0).await;
    let other = "http://127.0.0.1:4000/auth/callback";
    let swapped = redeem(&sandbox, &code, VERIFIER, other).await;
    assert_eq!(swapped.json()["error"], "invalid_grant");
    assert!(sandbox.register_oidc_redirect_uri("http://127.0.0.1:9/auth/callback"));
    assert!(!sandbox.register_oidc_redirect_uri("javascript:alert(1)"));
}

#[tokio::test]
async fn requests_without_pkce_s256_or_openid_are_refused_to_the_client() {
    let sandbox = sandbox();
    for (overrides, error) in [
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("scope", "email")], "invalid_scope"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
    ] {
        let answer = get(&sandbox, &authorize_uri(&overrides)).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{overrides:?}");
        assert_eq!(answer.location_param("error").as_deref(), Some(error));
        assert_eq!(answer.location_param("state").as_deref(), Some("st-1"));
        assert!(answer.location_param("code").is_none());
    }
}

#[tokio::test]
async fn without_a_login_hint_a_page_lists_the_demo_people() {
    let sandbox = sandbox();
    let answer = get(&sandbox, &authorize_uri(&[])).await;
    assert_eq!(answer.status, StatusCode::OK);
    for email in [
        demo::ACME_BUYER.0,
        demo::BLOCKED_PERSON,
        demo::OIDC_UNVERIFIED_PERSON,
    ] {
        assert!(answer.text.contains(email), "{email}");
    }
    assert!(answer.text.contains("login_hint=buyer%40acme.example"));
    let none = get(&sandbox, &authorize_uri(&[("prompt", "none")])).await;
    assert_eq!(
        none.location_param("error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn end_session_returns_to_a_registered_uri_and_ends_the_access_token() {
    let sandbox = sandbox();
    let code = code_for(&sandbox, demo::ACME_BUYER.0).await;
    let tokens = redeem(&sandbox, &code, VERIFIER, CALLBACK).await.json();
    let id_token = tokens["id_token"].as_str().unwrap_or_default();
    let access_token = tokens["access_token"].as_str().unwrap_or_default();
    let elsewhere = with_query(
        "/oidc/end_session",
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
    );
    let refused = get(&sandbox, &elsewhere).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.headers.get(header::LOCATION).is_none());
    let forged = with_query("/oidc/end_session", &[("id_token_hint", "a.b.c")]);
    assert_eq!(get(&sandbox, &forged).await.status, StatusCode::BAD_REQUEST);

    let home = "http://localhost:4000/";
    let logout = with_query(
        "/oidc/end_session",
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", home),
            ("state", "bye"),
        ],
    );
    let answer = get(&sandbox, &logout).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), format!("{home}?state=bye"));
    assert_eq!(
        userinfo_status(&sandbox, access_token).await,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn people_without_a_commerce_account_have_stable_opaque_subjects() {
    let sandbox = sandbox();
    let blocked = sandbox.oidc_identity(demo::BLOCKED_PERSON).expect("known");
    assert_eq!(
        sandbox
            .oidc_identity("BLOCKED@acme.example")
            .map(|i| i.subject),
        Some(blocked.subject.clone())
    );
    assert!(
        sandbox
            .inner
            .data
            .customers
            .by_email(demo::BLOCKED_PERSON)
            .is_none()
    );
    let unverified = sandbox.oidc_identity(demo::OIDC_UNVERIFIED_PERSON);
    assert_eq!(unverified.map(|i| i.email_verified), Some(false));
    assert!(sandbox.oidc_identity("nobody@example.com").is_none());
}
