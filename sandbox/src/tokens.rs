//! Bearer tokens shaped like Commerce 2.4's JWTs (`kid` 1, HS256; claims `uid`, `utypid`, `iat`,
//! `exp`), for customers (`utypid` 3) and admin users (`utypid` 2). One signer per sandbox, its
//! key derived from the seed, so a token of another sandbox (or a forged one) is unreadable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock;

/// Whose token it is: Commerce's `UserContextInterface` user types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserType {
    Admin,
    Customer,
}

impl UserType {
    fn id(self) -> u32 {
        match self {
            UserType::Admin => 2,
            UserType::Customer => 3,
        }
    }
}

/// Why a bearer token identifies nobody; the messages are Commerce's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum TokenError {
    #[error("Failed to read JWT token")]
    Unreadable,
    #[error("Consumer key has expired")]
    Expired,
    #[error("User token has been revoked")]
    Revoked,
}

/// The claims the sandbox signs. `jti` is a serial number: revocation is "every token below a
/// serial", which needs no list of issued tokens.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub uid: u32,
    pub utypid: u32,
    pub iat: u64,
    pub exp: u64,
    pub jti: u64,
}

/// Issues and verifies tokens with one key.
pub(crate) struct TokenSigner {
    key: [u8; 32],
    next_serial: AtomicU64,
}

impl TokenSigner {
    pub fn new(seed: u64) -> TokenSigner {
        let key = Sha256::new()
            .chain_update(b"sandbox customer tokens")
            .chain_update(seed.to_le_bytes())
            .finalize();
        TokenSigner {
            key: key.into(),
            next_serial: AtomicU64::new(1),
        }
    }

    /// The serial the next token gets: tokens issued so far have a lower one.
    pub fn next_serial(&self) -> u64 {
        self.next_serial.load(Ordering::Relaxed)
    }

    /// A token for user `uid` of type `user_type`, valid for `lifetime` (at least a second).
    pub fn issue(&self, user_type: UserType, uid: u32, lifetime: Duration) -> String {
        let iat = clock::now();
        let claims = Claims {
            uid,
            utypid: user_type.id(),
            iat,
            exp: iat + lifetime.as_secs().max(1),
            jti: self.next_serial.fetch_add(1, Ordering::Relaxed),
        };
        let header = URL_SAFE_NO_PAD.encode(br#"{"kid":"1","alg":"HS256"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signed = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    /// The claims of a token this signer issued to a user of `user_type`, if it has not expired.
    pub fn verify(&self, token: &str, user_type: UserType) -> Result<Claims, TokenError> {
        let mut parts = token.trim().split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Unreadable);
        };
        let expected = hmac_sha256(&self.key, format!("{header}.{payload}").as_bytes());
        let given = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Unreadable)?;
        if given.len() != expected.len()
            || given
                .iter()
                .zip(expected)
                .fold(0, |acc, (a, b)| acc | (a ^ b))
                != 0
        {
            return Err(TokenError::Unreadable);
        }
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Unreadable)?;
        if claims.utypid != user_type.id() {
            return Err(TokenError::Unreadable);
        }
        if claims.exp <= clock::now() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// HMAC-SHA256 (RFC 2104) over sha2, for the HS256 signature.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let hashed;
    let key = if key.len() > BLOCK {
        hashed = Sha256::digest(key);
        hashed.as_slice()
    } else {
        key
    };
    let mut inner_pad = [0x36u8; BLOCK];
    let mut outer_pad = [0x5cu8; BLOCK];
    for (i, k) in key.iter().enumerate() {
        inner_pad[i] ^= k;
        outer_pad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_customer_token_is_not_an_admin_token() {
        let signer = TokenSigner::new(1);
        let token = signer.issue(UserType::Customer, 7, Duration::from_secs(60));
        assert_eq!(
            signer.verify(&token, UserType::Customer).map(|c| c.uid),
            Ok(7)
        );
        assert_eq!(
            signer.verify(&token, UserType::Admin).err(),
            Some(TokenError::Unreadable)
        );
    }
}
