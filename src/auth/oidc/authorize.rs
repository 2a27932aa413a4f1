//! The authorization request (code flow, PKCE S256, random `state` and `nonce`) and the code
//! exchange at the token endpoint, both through `oauth2` over the BFF's own HTTP client.

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::OidcError;
use super::discovery::ProviderMetadata;
use super::fetch::ProviderHttp;

/// Where to send the browser, and the secrets the callback must be matched against (stored
/// server-side in the login attempt, never in the browser).
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: secrecy::SecretString,
}

/// A successful exchange: the raw id_token (kept for `id_token_hint` at logout) and the person
/// it proves.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub id_token: String,
    pub identity: super::VerifiedIdentity,
}

/// The token endpoint's answer: OAuth 2's fields plus OpenID Connect's `id_token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IdTokenField {
    #[serde(default)]
    pub(crate) id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for IdTokenField {}

type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type CodeClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The client registration the requests are made with.
pub(crate) struct Registration<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub extra_params: &'a std::collections::BTreeMap<String, String>,
}

fn code_client(
    registration: &Registration<'_>,
    metadata: &ProviderMetadata,
) -> Result<CodeClient, OidcError> {
    let bad = |what: &str| OidcError::Metadata(format!("{what} is not a valid URL"));
    Ok(
        oauth2::Client::new(ClientId::new(registration.client_id.into()))
            .set_client_secret(ClientSecret::new(registration.client_secret.into()))
            .set_auth_uri(
                AuthUrl::new(metadata.authorization_endpoint.clone())
                    .map_err(|_| bad("authorization_endpoint"))?,
            )
            .set_token_uri(
                TokenUrl::new(metadata.token_endpoint.clone())
                    .map_err(|_| bad("token_endpoint"))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(registration.redirect_uri.into())
                    .map_err(|_| OidcError::Metadata("the redirect URI is not a URL".into()))?,
            ),
    )
}

/// Builds the authorization request with fresh random `state`, `nonce` and PKCE verifier.
pub(crate) fn authorization_request(
    registration: &Registration<'_>,
    metadata: &ProviderMetadata,
) -> Result<AuthorizationRequest, OidcError> {
    let client = code_client(registration, metadata)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.secret().clone());
    for scope in registration.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    for (name, value) in registration.extra_params {
        request = request.add_extra_param(name.clone(), value.clone());
    }
    let (url, state) = request.url();
    Ok(AuthorizationRequest {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone().into(),
    })
}

/// Exchanges the code (with the PKCE verifier) and returns the raw id_token.
pub(crate) async fn exchange_code(
    registration: &Registration<'_>,
    metadata: &ProviderMetadata,
    http: &ProviderHttp,
    code: &str,
    pkce_verifier: &str,
) -> Result<String, OidcError> {
    let client = code_client(registration, metadata)?;
    let http = http.clone();
    let send = move |request: oauth2::HttpRequest| {
        let http = http.clone();
        async move { http.execute(request).await }
    };
    let answer = client
        .exchange_code(AuthorizationCode::new(code.into()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.into()))
        .request_async(&send)
        .await
        .map_err(|e| {
            OidcError::TokenExchange(match e {
                RequestTokenError::ServerResponse(r) => format!("the provider refused: {r}"),
                RequestTokenError::Request(e) => format!("request failed: {e}"),
                RequestTokenError::Parse(e, _) => format!("unreadable answer: {e}"),
                RequestTokenError::Other(e) => e,
            })
        })?;
    answer
        .extra_fields()
        .id_token
        .clone()
        .ok_or_else(|| OidcError::TokenExchange("the answer holds no id_token".into()))
}
