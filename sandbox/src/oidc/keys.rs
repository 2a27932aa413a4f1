//! The provider's one signing key: RS256 id_tokens, the JWKS, and reading back an
//! `id_token_hint`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::demo_key::{DEMO_RSA_KEY_PKCS1, KEY_ID};

pub(crate) struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Jwk,
}

impl Keys {
    /// The embedded demo key. It is a constant of this crate, checked by its tests: failing to
    /// read it is a defect of the crate, never of a request.
    pub fn demo() -> Keys {
        let der = STANDARD
            .decode(DEMO_RSA_KEY_PKCS1)
            .unwrap_or_else(|e| panic!("sandbox OIDC demo key: {e}"));
        let encoding = EncodingKey::from_rsa_der(&der);
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .unwrap_or_else(|e| panic!("sandbox OIDC demo key: {e}"));
        jwk.common.key_id = Some(KEY_ID.to_string());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let decoding =
            DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("sandbox OIDC demo key: {e}"));
        Keys {
            encoding,
            decoding,
            jwk,
        }
    }

    /// `{"keys": [the public key]}`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// An RS256 JWT with the demo key's `kid`.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KEY_ID.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The claims of a token this provider signed for `issuer`, expired or not (an
    /// `id_token_hint` is usually expired by logout time).
    pub fn read_own<C: DeserializeOwned>(&self, token: &str, issuer: &str) -> Option<C> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["iss", "sub", "aud"]);
        jsonwebtoken::decode::<C>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}
