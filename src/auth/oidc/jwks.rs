//! The provider's signing keys. Cached; a token whose `kid` is not in the cached set causes ONE
//! refetch (providers rotate keys), and such refetches happen at most once per
//! `auth.jwks_min_refetch_secs`, so tokens with made-up `kid`s cannot make the BFF hammer the
//! provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::fetch::ProviderHttp;
use super::{IdTokenRejection, OidcError};

/// Most keys kept from one JWKS; a provider publishes a handful.
const MAX_KEYS: usize = 64;

/// One usable signing key.
struct SigningKey {
    kid: Option<String>,
    key: DecodingKey,
}

struct Cached {
    keys: Arc<Vec<SigningKey>>,
    fetched_at: Instant,
}

pub(crate) struct KeySet {
    min_refetch: Duration,
    cached: Mutex<Option<Cached>>,
    /// JWKS documents fetched so far (tests and logs: proves the refetch happens once).
    fetches: std::sync::atomic::AtomicU64,
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<serde_json::Value>,
}

impl KeySet {
    pub(crate) fn new(min_refetch: Duration) -> Self {
        Self {
            min_refetch,
            cached: Mutex::new(None),
            fetches: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The key a token names by `kid` (or the only key, when the token names none).
    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
        jwks_uri: &str,
        http: &ProviderHttp,
    ) -> Result<DecodingKey, OidcError> {
        let mut cached = self.cached.lock().await;
        let first = cached.is_none();
        if first {
            *cached = Some(self.fetch(jwks_uri, http).await?);
        }
        if let Some(found) = cached.as_ref().and_then(|c| find(&c.keys, kid)) {
            return Ok(found);
        }
        let may_refetch = cached
            .as_ref()
            .is_some_and(|c| c.fetched_at.elapsed() >= self.min_refetch);
        if !first && may_refetch {
            *cached = Some(self.fetch(jwks_uri, http).await?);
            if let Some(found) = cached.as_ref().and_then(|c| find(&c.keys, kid)) {
                return Ok(found);
            }
        }
        Err(IdTokenRejection::UnknownKey(kid.unwrap_or("(none)").chars().take(64).collect()).into())
    }

    async fn fetch(&self, jwks_uri: &str, http: &ProviderHttp) -> Result<Cached, OidcError> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let document: JwksDocument = http
            .get_json(jwks_uri)
            .await
            .map_err(|e| OidcError::Provider(format!("JWKS {jwks_uri}: {e}")))?;
        // Keys the BFF cannot use (encryption keys, unknown types) are skipped, not fatal.
        let keys = document
            .keys
            .into_iter()
            .filter(|k| {
                k.get("use")
                    .and_then(|u| u.as_str())
                    .is_none_or(|u| u == "sig")
            })
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
            .filter_map(|jwk| {
                let key = DecodingKey::from_jwk(&jwk).ok()?;
                Some(SigningKey {
                    kid: jwk.common.key_id.clone(),
                    key,
                })
            })
            .take(MAX_KEYS)
            .collect();
        Ok(Cached {
            keys: Arc::new(keys),
            fetched_at: Instant::now(),
        })
    }
}

fn find(keys: &[SigningKey], kid: Option<&str>) -> Option<DecodingKey> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .map(|k| k.key.clone()),
        None if keys.len() == 1 => keys.first().map(|k| k.key.clone()),
        None => None,
    }
}
