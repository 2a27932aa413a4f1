//! BFF sessions on the request path: the `__Host-bff_session` cookie (an opaque 256-bit id;
//! `HttpOnly`, `Secure`, `SameSite=Lax`, `Path=/`), starting and ending sessions for the SSO
//! routes, and the lookup `/graphql` uses to send the session's Commerce customer token
//! upstream. Commerce tokens never reach the browser.
//!
//! The `__Host-` prefix makes browsers refuse the cookie unless it is `Secure`, host-only and
//! `Path=/`, so a sibling sub-domain cannot plant or shadow it. Browsers treat
//! `http://localhost` (and `127.0.0.1`) as a secure context, so the plain-HTTP demo on
//! localhost keeps the cookie; any other plain-HTTP host does not (serve it over HTTPS).
//!
//! Re-minting: a Commerce customer token lives an hour by default; when the session's token
//! expires within `session.token_refresh_margin_secs`, the lookup mints a new one through the
//! [`CustomerTokenMinter`] once per session at a time (concurrent requests of that session wait
//! for it and reuse the result) and stores it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue, header};
use secrecy::SecretString;

use super::{CustomerTokenMinter, MintedToken};
use crate::config::SessionConfig;
use crate::store::{SessionId, SessionRecord, Store, StoreError, unix_now};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "__Host-bff_session";

/// What can fail around sessions. Messages carry no token and no cookie value.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the session cookie")]
    Cookie,
}

/// What the SSO callback knows when it starts a session. Times are Unix seconds.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub customer_token: SecretString,
    pub customer_token_expires_at: i64,
    pub customer_email: String,
    pub cart_id: Option<String>,
    pub provider: String,
    pub id_token: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
}

/// A live session found for a request.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub id: SessionId,
    pub record: SessionRecord,
}

/// What a request's session cookie names.
#[derive(Debug)]
pub enum SessionLookup {
    /// No session cookie.
    NoCookie,
    /// A cookie that names no live session (malformed, unknown, ended or expired).
    Unknown,
    /// A live session whose Commerce token expired and could not be re-minted.
    TokenExpired,
    /// A live session with a usable Commerce token.
    Active(ActiveSession),
}

/// Sessions: the store's table plus the cookie, the timeouts and token re-minting.
pub struct Sessions {
    store: Store,
    config: SessionConfig,
    minter: Option<Arc<dyn CustomerTokenMinter>>,
    /// One re-mint at a time per session (keyed by the id's hash); entries leave when done.
    minting: Mutex<HashMap<SessionKey, Arc<tokio::sync::Mutex<()>>>>,
}

type SessionKey = [u8; 32];

impl Sessions {
    /// `minter` re-mints Commerce tokens; without one a session ends with its first token.
    pub fn new(
        store: Store,
        config: &SessionConfig,
        minter: Option<Arc<dyn CustomerTokenMinter>>,
    ) -> Self {
        Self {
            store,
            config: config.clone(),
            minter,
            minting: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Starts a session: stores it and returns its id and the `Set-Cookie` value.
    pub async fn start(&self, new: NewSession) -> Result<(SessionId, HeaderValue), SessionError> {
        let id = SessionId::generate()?;
        let now = unix_now();
        let absolute = now.saturating_add(secs(self.config.absolute_timeout_secs));
        let record = SessionRecord {
            customer_token: new.customer_token,
            customer_token_expires_at: new.customer_token_expires_at,
            customer_email: new.customer_email,
            cart_id: new.cart_id,
            provider: new.provider,
            id_token: new.id_token,
            refresh_token: new.refresh_token,
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now
                .saturating_add(secs(self.config.idle_timeout_secs))
                .min(absolute),
            absolute_expires_at: absolute,
        };
        self.store.sessions().insert(&id, &record).await?;
        let cookie = self.set_cookie(&id)?;
        Ok((id, cookie))
    }

    /// Ends the request's session, if any: deletes it and returns what it held (for logout:
    /// revoking the Commerce token, the provider's `id_token_hint`) and the `Set-Cookie` value
    /// that clears the cookie.
    pub async fn end(
        &self,
        headers: &HeaderMap,
    ) -> Result<(Option<SessionRecord>, HeaderValue), SessionError> {
        let mut ended = None;
        if let Some(id) = cookie_id(headers) {
            ended = self.store.sessions().find(&id, unix_now()).await?;
            self.store.sessions().delete(&id).await?;
        }
        Ok((ended, clear_cookie()))
    }

    /// The request's live session with a usable Commerce token, if its cookie names one (see
    /// [`lookup`](Self::lookup)).
    pub async fn resolve(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<ActiveSession>, SessionError> {
        Ok(match self.lookup(headers).await? {
            SessionLookup::Active(active) => Some(active),
            _ => None,
        })
    }

    /// What the request's cookie names. Records the use (at most every
    /// `session.touch_interval_secs`) and re-mints the Commerce token when it is about to
    /// expire; a session whose token has expired and could not be re-minted (Commerce down, no
    /// minter) is [`SessionLookup::TokenExpired`]: a guest for now, but not signed out.
    pub async fn lookup(&self, headers: &HeaderMap) -> Result<SessionLookup, SessionError> {
        let Some(id) = cookie_id(headers) else {
            return Ok(if has_session_cookie(headers) {
                SessionLookup::Unknown
            } else {
                SessionLookup::NoCookie
            });
        };
        let now = unix_now();
        let Some(mut record) = self.store.sessions().find(&id, now).await? else {
            return Ok(SessionLookup::Unknown);
        };
        if now.saturating_sub(record.last_seen_at) >= secs(self.config.touch_interval_secs) {
            let idle = now
                .saturating_add(secs(self.config.idle_timeout_secs))
                .min(record.absolute_expires_at);
            self.store.sessions().touch(&id, now, idle).await?;
            record.last_seen_at = now;
            record.idle_expires_at = idle;
        }
        let margin = secs(self.config.token_refresh_margin_secs);
        if record.customer_token_expires_at.saturating_sub(now) <= margin {
            record = self.remint(&id, record, now).await?;
        }
        if record.customer_token_expires_at <= now {
            return Ok(SessionLookup::TokenExpired);
        }
        Ok(SessionLookup::Active(ActiveSession { id, record }))
    }

    /// Mints a fresh token for `record`'s customer, once per session at a time: a request that
    /// waited for another's re-mint reads the stored result instead of minting again. A failed
    /// mint keeps the current token (still good until it expires) and is logged.
    async fn remint(
        &self,
        id: &SessionId,
        record: SessionRecord,
        now: i64,
    ) -> Result<SessionRecord, SessionError> {
        let Some(minter) = &self.minter else {
            return Ok(record);
        };
        let key = id.hash();
        let lock = self.lock_for(key);
        let guard = lock.lock().await;
        let result = self.remint_locked(minter.as_ref(), id, record, now).await;
        drop(guard);
        self.release(key, lock);
        result
    }

    async fn remint_locked(
        &self,
        minter: &dyn CustomerTokenMinter,
        id: &SessionId,
        record: SessionRecord,
        now: i64,
    ) -> Result<SessionRecord, SessionError> {
        // Another request may have re-minted while this one waited.
        let Some(mut current) = self.store.sessions().find(id, now).await? else {
            return Ok(record);
        };
        let margin = secs(self.config.token_refresh_margin_secs);
        if current.customer_token_expires_at.saturating_sub(now) > margin {
            return Ok(current);
        }
        match minter.mint(&current.customer_email).await {
            Ok(MintedToken { token, expires_at }) => {
                self.store
                    .sessions()
                    .replace_customer_token(id, &token, expires_at)
                    .await?;
                current.customer_token = token;
                current.customer_token_expires_at = expires_at;
            }
            Err(e) => tracing::warn!(error = %e, "re-minting a session's Commerce token failed"),
        }
        Ok(current)
    }

    fn lock_for(&self, key: SessionKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.minting.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key).or_default().clone()
    }

    /// Drops the session's lock entry once no other request holds it.
    fn release(&self, key: SessionKey, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut map = self.minting.lock().unwrap_or_else(|e| e.into_inner());
        // The map's reference and ours: nobody else waits.
        if Arc::strong_count(&lock) <= 2 {
            map.remove(&key);
        }
    }

    /// `Set-Cookie` for a new session: lives until the session's absolute expiry.
    fn set_cookie(&self, id: &SessionId) -> Result<HeaderValue, SessionError> {
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Lax",
            id.to_cookie_value(),
            self.config.absolute_timeout_secs
        ))
        .map(|mut v| {
            v.set_sensitive(true);
            v
        })
        .map_err(|_| SessionError::Cookie)
    }
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-bff_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax",
    )
}

/// The session id the request's cookie carries, if it is well-formed.
pub fn cookie_id(headers: &HeaderMap) -> Option<SessionId> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .find_map(|(_, value)| SessionId::parse(value.trim()))
}

/// Whether the request carries a session cookie at all (well-formed or not).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| {
            pair.trim()
                .split_once('=')
                .is_some_and(|(n, _)| n == SESSION_COOKIE)
        })
}

/// The CSRF rule for cookie-authenticated requests: the page that sent it, by `Origin` (or the
/// origin of `Referer` when there is no `Origin`), is this BFF's own origin (its host and port
/// as in `Host`) or one of `allowed` (`server.cors_allowed_origins`; `*` does not count: any
/// site's page could then act with the shopper's cookie). With neither header only a safe
/// method passes (a GET cannot run a mutation).
pub fn is_trusted_origin(headers: &HeaderMap, safe_method: bool, allowed: &[String]) -> bool {
    let origin = match headers.get(header::ORIGIN) {
        Some(v) => v.to_str().ok().map(str::to_string),
        None => headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| reqwest::Url::parse(r).ok())
            .map(|u| u.origin().ascii_serialization()),
    };
    let Some(origin) = origin else {
        // A header that is present but not text (or a Referer that is not a URL) counts as an
        // unknown page, not as no page.
        return safe_method
            && !headers.contains_key(header::ORIGIN)
            && !headers.contains_key(header::REFERER);
    };
    if allowed
        .iter()
        .any(|a| a != "*" && a.eq_ignore_ascii_case(&origin))
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin.split_once("://"), host) {
        (Some((scheme, authority)), Some(host)) => {
            matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        map
    }

    #[test]
    fn the_cookie_is_found_among_others_and_a_malformed_one_is_no_session() {
        let id = SessionId::generate().expect("random");
        let value = id.to_cookie_value();
        let found = cookie_id(&headers(&[(
            "cookie",
            &format!("a=1; {SESSION_COOKIE}={value}; b=2"),
        )]));
        assert_eq!(found, Some(id));
        for hostile in [
            format!("{SESSION_COOKIE}=short"),
            format!("bff_session={value}"),
            format!("{SESSION_COOKIE}={}", value.to_uppercase()),
            String::new(),
        ] {
            let h = headers(&[("cookie", &hostile)]);
            assert_eq!(cookie_id(&h), None, "{hostile}");
        }
        assert!(has_session_cookie(&headers(&[(
            "cookie",
            &format!("{SESSION_COOKIE}=short")
        )])));
        assert!(!has_session_cookie(&headers(&[("cookie", "x=1")])));
    }

    #[test]
    fn only_the_own_or_a_listed_origin_passes_and_a_star_never_does() {
        let allowed = vec!["https://shop.example".to_string()];
        let host = ("host", "bff.example:4000");
        let cases = [
            (
                vec![host, ("origin", "http://bff.example:4000")],
                false,
                true,
            ),
            (vec![host, ("origin", "https://shop.example")], false, true),
            (vec![host, ("origin", "https://evil.example")], false, false),
            (vec![host, ("origin", "null")], false, false),
            (
                vec![host, ("referer", "https://shop.example/cart?x=1")],
                false,
                true,
            ),
            (
                vec![host, ("referer", "https://evil.example/")],
                false,
                false,
            ),
            (vec![host, ("referer", "not a url")], true, false),
            (vec![host], false, false),
            (vec![host], true, true),
            (vec![host, ("origin", "https://evil.example")], true, false),
        ];
        for (pairs, safe, expected) in cases {
            assert_eq!(
                is_trusted_origin(&headers(&pairs), safe, &allowed),
                expected,
                "{pairs:?} safe={safe}"
            );
        }
        let star = vec!["*".to_string()];
        assert!(!is_trusted_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            false,
            &star
        ));
    }
}
