//! The configured providers by name, each with its metadata and keys cached.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::authorize::{self, Registration};
use super::discovery::{Discovery, ProviderMetadata};
use super::fetch::ProviderHttp;
use super::id_token::{self, Expectations};
use super::jwks::KeySet;
use super::{AuthorizationRequest, OidcError, TokenSet};
use crate::config::{AuthConfig, OidcProviderConfig};

/// Every configured provider. Cheap to clone.
#[derive(Clone, Default)]
pub struct OidcProviders {
    providers: Arc<BTreeMap<String, Arc<OidcProvider>>>,
    default: Option<String>,
}

/// One OpenID Provider the BFF is a client of.
pub struct OidcProvider {
    name: String,
    issuer: String,
    client_id: String,
    client_secret: SecretString,
    scopes: Vec<String>,
    extra_params: BTreeMap<String, String>,
    redirect_uri: String,
    clock_skew_secs: u64,
    max_age_secs: u64,
    http: ProviderHttp,
    discovery: Discovery,
    keys: KeySet,
}

impl OidcProviders {
    /// Builds the providers of `[auth.providers]`; `base_url` is the BFF's public URL (the
    /// redirect URI is `base_url/auth/callback`). Reads `client_secret_file`s now so a missing
    /// secret stops the start-up, not the first login. Nothing is fetched yet.
    pub fn new(auth: &AuthConfig, base_url: &str) -> Result<Self, OidcError> {
        let timeout = Duration::from_millis(auth.provider_timeout_ms);
        let http = ProviderHttp::new(timeout).map_err(|e| OidcError::Provider(e.to_string()))?;
        let redirect_uri = format!("{}/auth/callback", base_url.trim_end_matches('/'));
        let mut providers = BTreeMap::new();
        for (name, config) in &auth.providers {
            let provider = OidcProvider {
                name: name.clone(),
                issuer: config.issuer.trim().to_string(),
                client_id: config.client_id.clone(),
                client_secret: read_secret(name, config)?,
                scopes: config.scopes.clone(),
                extra_params: config.extra_params.clone(),
                redirect_uri: redirect_uri.clone(),
                clock_skew_secs: auth.clock_skew_secs,
                max_age_secs: auth.login_attempt_max_age_secs,
                http: http.clone(),
                discovery: Discovery::new(
                    config.issuer.trim(),
                    Duration::from_secs(auth.discovery_ttl_secs),
                ),
                keys: KeySet::new(Duration::from_secs(auth.jwks_min_refetch_secs)),
            };
            providers.insert(name.clone(), Arc::new(provider));
        }
        let default = if auth.default_provider.is_empty() {
            (providers.len() == 1)
                .then(|| providers.keys().next().cloned())
                .flatten()
        } else {
            Some(auth.default_provider.clone())
        };
        Ok(Self {
            providers: Arc::new(providers),
            default,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The provider named `name`, or the default one when `name` is `None`.
    pub fn get(&self, name: Option<&str>) -> Result<Arc<OidcProvider>, OidcError> {
        let name = name
            .filter(|n| !n.is_empty())
            .or(self.default.as_deref())
            .unwrap_or("");
        self.providers
            .get(name)
            .cloned()
            .ok_or_else(|| OidcError::UnknownProvider(name.chars().take(64).collect()))
    }
}

fn read_secret(name: &str, config: &OidcProviderConfig) -> Result<SecretString, OidcError> {
    if let Some(secret) = &config.client_secret {
        return Ok(secret.clone());
    }
    let text = std::fs::read_to_string(config.client_secret_file.trim()).map_err(|e| {
        OidcError::Provider(format!(
            "auth.providers.{name}.client_secret_file cannot be read: {e}"
        ))
    })?;
    Ok(SecretString::from(text.trim_end().to_string()))
}

impl OidcProvider {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer identifier as configured.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The redirect URI registered at the provider.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// JWKS documents fetched so far.
    pub fn jwks_fetches(&self) -> u64 {
        self.keys.fetches()
    }

    fn registration(&self) -> Registration<'_> {
        Registration {
            client_id: &self.client_id,
            client_secret: self.client_secret.expose_secret(),
            redirect_uri: &self.redirect_uri,
            scopes: &self.scopes,
            extra_params: &self.extra_params,
        }
    }

    pub async fn metadata(&self) -> Result<Arc<ProviderMetadata>, OidcError> {
        self.discovery.metadata(&self.http).await
    }

    /// A fresh authorization request: where to send the browser, and what to remember.
    pub async fn start_login(&self) -> Result<AuthorizationRequest, OidcError> {
        let metadata = self.metadata().await?;
        authorize::authorization_request(&self.registration(), &metadata)
    }

    /// Exchanges the code and validates the id_token against the login attempt's `nonce`.
    pub async fn finish_login(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<TokenSet, OidcError> {
        let metadata = self.metadata().await?;
        let id_token = authorize::exchange_code(
            &self.registration(),
            &metadata,
            &self.http,
            code,
            pkce_verifier,
        )
        .await?;
        let identity = self.verify_id_token(&id_token, nonce, &metadata).await?;
        Ok(TokenSet { id_token, identity })
    }

    /// Signature (key from the JWKS, one refetch on an unknown `kid`) and claims.
    async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: &str,
        metadata: &ProviderMetadata,
    ) -> Result<super::VerifiedIdentity, OidcError> {
        let (alg, kid) = id_token::read_header(id_token)?;
        let key = self
            .keys
            .key_for(kid.as_deref(), &metadata.jwks_uri, &self.http)
            .await?;
        let expect = Expectations {
            issuer: &self.issuer,
            client_id: &self.client_id,
            nonce,
            clock_skew_secs: self.clock_skew_secs,
            max_age_secs: self.max_age_secs,
        };
        id_token::verify(id_token, alg, &key, &expect)
    }

    /// RP-initiated logout at the provider, when it offers it.
    pub async fn end_session_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: &str,
    ) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let mut url = reqwest::Url::parse(metadata.end_session_endpoint.as_deref()?).ok()?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(hint) = id_token_hint {
                query.append_pair("id_token_hint", hint);
            }
            query.append_pair("client_id", &self.client_id);
            query.append_pair("post_logout_redirect_uri", post_logout_redirect_uri);
        }
        Some(url.to_string())
    }
}
