//! The provider's metadata (`/.well-known/openid-configuration`): fetched on first use, reused
//! for `auth.discovery_ttl_secs`, and accepted only when it names the configured issuer and
//! every endpoint is https (http only on localhost).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::fetch::ProviderHttp;
use super::{OidcError, check_secure};

/// The parts of the discovery document the BFF uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// RP-initiated logout, when the provider offers it.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

/// One provider's cached metadata.
pub(crate) struct Discovery {
    issuer: String,
    url: String,
    ttl: Duration,
    cached: Mutex<Option<(Arc<ProviderMetadata>, Instant)>>,
}

impl Discovery {
    pub(crate) fn new(issuer: &str, ttl: Duration) -> Self {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        Self {
            issuer: issuer.to_string(),
            url,
            ttl,
            cached: Mutex::new(None),
        }
    }

    /// The metadata, fetched when missing or older than the TTL. Concurrent callers share one
    /// fetch (the lock is held across it).
    pub(crate) async fn metadata(
        &self,
        http: &ProviderHttp,
    ) -> Result<Arc<ProviderMetadata>, OidcError> {
        let mut cached = self.cached.lock().await;
        if let Some((metadata, at)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(metadata.clone());
        }
        let metadata: ProviderMetadata = http
            .get_json(&self.url)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery {}: {e}", self.url)))?;
        self.check(&metadata)?;
        let metadata = Arc::new(metadata);
        *cached = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// OpenID Connect Discovery §4.3: the document's issuer is exactly the configured one.
    fn check(&self, metadata: &ProviderMetadata) -> Result<(), OidcError> {
        if metadata.issuer != self.issuer {
            return Err(OidcError::Metadata(format!(
                "the document names issuer `{}`, configured is `{}`",
                metadata.issuer, self.issuer
            )));
        }
        for endpoint in [
            &metadata.authorization_endpoint,
            &metadata.token_endpoint,
            &metadata.jwks_uri,
        ]
        .into_iter()
        .chain(metadata.end_session_endpoint.as_ref())
        {
            let url = reqwest::Url::parse(endpoint)
                .map_err(|_| OidcError::Metadata(format!("`{endpoint}` is not a URL")))?;
            check_secure(&url).map_err(OidcError::Metadata)?;
        }
        if let Some(methods) = &metadata.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(OidcError::Metadata(
                "the provider does not support PKCE S256".into(),
            ));
        }
        Ok(())
    }
}
