//! id_token validation (OpenID Connect Core §3.1.3.7): the signature with the provider's key
//! under an algorithm allowlist, then `iss`, `aud`, `azp`, `exp`, `iat` (with a bounded clock
//! skew) and the login attempt's `nonce`; finally a verified e-mail address, because the e-mail
//! is what the Commerce customer is found by.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{IdTokenRejection, OidcError};

/// Asymmetric algorithms only: never `none`, never HS* (a provider's public key is public, so
/// a token "signed" with it as an HMAC secret proves nothing).
const ALLOWED_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Largest id_token accepted, in bytes (a real one is a few kilobytes).
const MAX_ID_TOKEN_BYTES: usize = 16 * 1024;

/// Who signed in, as the provider vouches for it.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    /// The provider's stable id of the person.
    pub subject: String,
    /// Verified e-mail address, the key to the Commerce customer.
    pub email: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub name: Option<String>,
}

/// What the checks need besides the token.
pub(crate) struct Expectations<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub clock_skew_secs: u64,
    /// Oldest acceptable `iat`, in seconds: a token older than the login attempt is replayed.
    pub max_age_secs: u64,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    /// A string or a list; jsonwebtoken checks it holds the client id, this counts entries.
    #[serde(default)]
    aud: serde_json::Value,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<EmailVerified>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Some providers send `"true"` as a string (older Cognito, some Keycloak mappers).
#[derive(Deserialize)]
#[serde(untagged)]
enum EmailVerified {
    Bool(bool),
    Text(String),
}

impl EmailVerified {
    fn is_true(&self) -> bool {
        match self {
            EmailVerified::Bool(b) => *b,
            EmailVerified::Text(t) => t == "true",
        }
    }
}

/// The token's header algorithm and key id, refused early when the algorithm is not allowed.
pub(crate) fn read_header(token: &str) -> Result<(Algorithm, Option<String>), IdTokenRejection> {
    if token.len() > MAX_ID_TOKEN_BYTES {
        return Err(IdTokenRejection::Malformed("too large".into()));
    }
    // An `alg` jsonwebtoken does not know (`none` among them) fails here.
    let header = jsonwebtoken::decode_header(token).map_err(|e| match raw_alg(token) {
        Some(alg) => IdTokenRejection::Algorithm(alg),
        None => IdTokenRejection::Malformed(e.to_string()),
    })?;
    if !ALLOWED_ALGORITHMS.contains(&header.alg) {
        return Err(IdTokenRejection::Algorithm(format!("{:?}", header.alg)));
    }
    Ok((header.alg, header.kid))
}

/// The `alg` a header jsonwebtoken could not read names (bounded, for the log).
fn raw_alg(token: &str) -> Option<String> {
    use base64::Engine;
    token
        .split('.')
        .next()
        .and_then(|h| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .ok()
        })
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        .and_then(|h| {
            h.get("alg")
                .and_then(|a| a.as_str())
                .map(|a| a.chars().take(16).collect())
        })
}

/// Verifies the signature with `key` and every claim; returns the person.
pub(crate) fn verify(
    token: &str,
    alg: Algorithm,
    key: &jsonwebtoken::DecodingKey,
    expect: &Expectations<'_>,
) -> Result<VerifiedIdentity, OidcError> {
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.leeway = expect.clock_skew_secs;
    validation.set_issuer(&[expect.issuer]);
    validation.set_audience(&[expect.client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => IdTokenRejection::Expired,
            ErrorKind::InvalidIssuer => IdTokenRejection::Issuer,
            ErrorKind::InvalidAudience => IdTokenRejection::Audience,
            ErrorKind::ImmatureSignature => IdTokenRejection::IssuedAt,
            ErrorKind::MissingRequiredClaim(c) | ErrorKind::InvalidClaimFormat(c) => {
                IdTokenRejection::Claims(c.clone())
            }
            ErrorKind::InvalidToken
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => IdTokenRejection::Malformed(e.to_string()),
            _ => IdTokenRejection::Signature,
        })?
        .claims;
    check_claims(&claims, expect)?;
    let email = claims
        .email
        .filter(|e| !e.trim().is_empty())
        .ok_or(OidcError::EmailMissing)?;
    if !claims
        .email_verified
        .as_ref()
        .is_some_and(EmailVerified::is_true)
    {
        return Err(OidcError::EmailUnverified);
    }
    if email.len() > 254 || !email.contains('@') {
        return Err(IdTokenRejection::Claims("email".into()).into());
    }
    Ok(VerifiedIdentity {
        subject: claims.sub,
        email,
        given_name: claims.given_name,
        family_name: claims.family_name,
        name: claims.name,
    })
}

/// What jsonwebtoken does not check: `azp`, `iat`'s window and the `nonce`.
fn check_claims(claims: &Claims, expect: &Expectations<'_>) -> Result<(), IdTokenRejection> {
    let audiences = match &claims.aud {
        serde_json::Value::Array(list) => list.len(),
        serde_json::Value::Null => 0,
        _ => 1,
    };
    // Core §3.1.3.7 (4)/(5): with several audiences `azp` must be present; when present it
    // must be this client.
    match &claims.azp {
        Some(azp) if azp != expect.client_id => return Err(IdTokenRejection::AuthorizedParty),
        None if audiences > 1 => return Err(IdTokenRejection::AuthorizedParty),
        _ => {}
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let skew = expect.clock_skew_secs as i64;
    let oldest = now - expect.max_age_secs as i64 - skew;
    if claims.iat > now + skew || claims.iat < oldest {
        return Err(IdTokenRejection::IssuedAt);
    }
    let nonce = claims.nonce.as_deref().unwrap_or("");
    if nonce.is_empty() || !bool::from(nonce.as_bytes().ct_eq(expect.nonce.as_bytes())) {
        return Err(IdTokenRejection::Nonce);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    fn claims(aud: serde_json::Value, azp: Option<&str>, iat: i64, nonce: Option<&str>) -> Claims {
        Claims {
            sub: "s".into(),
            iat,
            aud,
            azp: azp.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            email: None,
            email_verified: None,
            given_name: None,
            family_name: None,
            name: None,
        }
    }

    const EXPECT: Expectations<'static> = Expectations {
        issuer: "https://op.example",
        client_id: "bff",
        nonce: "n-123",
        clock_skew_secs: 60,
        max_age_secs: 600,
    };

    #[test]
    fn several_audiences_need_an_azp_naming_this_client() {
        let many = serde_json::json!(["bff", "other"]);
        assert_eq!(
            check_claims(&claims(many.clone(), None, now(), Some("n-123")), &EXPECT),
            Err(IdTokenRejection::AuthorizedParty)
        );
        assert_eq!(
            check_claims(
                &claims(many.clone(), Some("other"), now(), Some("n-123")),
                &EXPECT
            ),
            Err(IdTokenRejection::AuthorizedParty)
        );
        assert_eq!(
            check_claims(&claims(many, Some("bff"), now(), Some("n-123")), &EXPECT),
            Ok(())
        );
        assert_eq!(
            check_claims(&claims("bff".into(), None, now(), Some("n-123")), &EXPECT),
            Ok(())
        );
    }

    #[test]
    fn an_iat_in_the_future_or_older_than_a_login_is_refused() {
        let at = |iat| check_claims(&claims("bff".into(), None, iat, Some("n-123")), &EXPECT);
        assert_eq!(at(now() + 120), Err(IdTokenRejection::IssuedAt));
        assert_eq!(at(now() - 700), Err(IdTokenRejection::IssuedAt));
        assert_eq!(at(now() + 30), Ok(()), "within the clock skew");
    }

    #[test]
    fn a_missing_or_different_nonce_is_refused() {
        for nonce in [None, Some(""), Some("n-124"), Some("n-123 ")] {
            assert_eq!(
                check_claims(&claims("bff".into(), None, now(), nonce), &EXPECT),
                Err(IdTokenRejection::Nonce),
                "{nonce:?}"
            );
        }
    }

    #[test]
    fn alg_none_and_hmac_headers_are_refused_before_any_key_is_looked_up() {
        use base64::Engine;
        let encode = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let body = encode(serde_json::json!({ "sub": "x" }));
        for alg in ["none", "HS256", "HS512"] {
            let token = format!("{}.{body}.", encode(serde_json::json!({ "alg": alg })));
            assert!(
                matches!(read_header(&token), Err(IdTokenRejection::Algorithm(_))),
                "{alg}"
            );
        }
        let rs = format!(
            "{}.{body}.c2ln",
            encode(serde_json::json!({ "alg": "RS256", "kid": "k" }))
        );
        assert_eq!(read_header(&rs), Ok((Algorithm::RS256, Some("k".into()))));
    }
}
