//! Tokens at rest: sealed with AES-256-GCM (aws-lc-rs, already the TLS backend of the HTTP
//! client), so a copy of the database alone yields no Commerce or OpenID token. Each sealed
//! value is bound to its row and column (the associated data), so a value copied into another
//! session's row does not open. Random 96-bit nonces: far below the 2^32 seals per key where
//! their collisions would matter.
//!
//! Also the random ids: 256 bits from the operating system's generator, stored only as their
//! SHA-256 so the database cannot be used to forge a cookie.

use std::fmt;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::StoreError;

/// The first byte of every sealed value: the format, so a later key rotation can tell versions.
const FORMAT_V1: u8 = 1;
/// Separates the HKDF output from any other use of the same secret.
const KEY_SALT: &[u8] = b"storefront-bff/store/seal/v1";
/// Bytes of the generated key file.
const KEY_FILE_BYTES: usize = 32;

/// The key sealing tokens at rest.
pub(crate) struct Sealer {
    key: LessSafeKey,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// A key derived (HKDF-SHA256) from `secret`.
    pub(crate) fn from_secret(secret: &[u8]) -> Result<Self, StoreError> {
        let prk = Salt::new(HKDF_SHA256, KEY_SALT).extract(secret);
        let okm = prk
            .expand(&[b"aes-256-gcm"], &AES_256_GCM)
            .map_err(|_| StoreError::Key("cannot derive the sealing key".into()))?;
        Ok(Self {
            key: LessSafeKey::new(UnboundKey::from(okm)),
        })
    }

    /// `session.secret` when set; otherwise the key in `<data_dir>/session.key`, generated on
    /// first start (readable by the owner only).
    pub(crate) fn load(secret: Option<&SecretString>, data_dir: &Path) -> Result<Self, StoreError> {
        if let Some(secret) = secret {
            return Self::from_secret(secret.expose_secret().as_bytes());
        }
        let path = data_dir.join("session.key");
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == KEY_FILE_BYTES => return Self::from_secret(&bytes),
            Ok(_) => {
                return Err(StoreError::Key(format!(
                    "{} is not a {KEY_FILE_BYTES}-byte key; delete it to generate a new one \
                     (existing sessions end) or set session.secret",
                    path.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StoreError::Key(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        }
        let key = random_bytes::<KEY_FILE_BYTES>()?;
        write_private(&path, &key)
            .map_err(|e| StoreError::Key(format!("cannot write {}: {e}", path.display())))?;
        tracing::info!(path = %path.display(), "generated the session sealing key (set session.secret to share one across replicas)");
        Self::from_secret(&key)
    }

    /// `version ‖ nonce ‖ ciphertext ‖ tag`, bound to `context`.
    pub(crate) fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, StoreError> {
        let nonce = random_bytes::<NONCE_LEN>()?;
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut in_out,
            )
            .map_err(|_| StoreError::Key("sealing failed".into()))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// The plaintext of [`seal`](Self::seal)'s output; `None` when it was sealed with another
    /// key, for another row, or altered.
    pub(crate) fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        let (&version, rest) = sealed.split_first()?;
        if version != FORMAT_V1 || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut in_out)
            .ok()?;
        Some(plaintext.to_vec())
    }

    /// [`open`](Self::open) for a text token.
    pub(crate) fn open_secret(&self, sealed: &[u8], context: &[u8]) -> Option<SecretString> {
        let bytes = self.open(sealed, context)?;
        String::from_utf8(bytes).ok().map(SecretString::from)
    }
}

/// `N` bytes from the operating system's random generator.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| StoreError::Key("the system random generator failed".into()))?;
    Ok(bytes)
}

/// An opaque 256-bit random id (a session's, a login attempt's): the cookie carries it as 64
/// hex digits, the database only its SHA-256. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueId([u8; 32]);

impl fmt::Debug for OpaqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpaqueId([redacted])")
    }
}

impl OpaqueId {
    /// A fresh random id.
    pub fn generate() -> Result<Self, StoreError> {
        random_bytes().map(Self)
    }

    /// The id a cookie carries: exactly 64 lower-case hex digits, anything else is no id.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(Self(bytes))
    }

    /// The 64 hex digits a cookie carries.
    pub fn to_cookie_value(&self) -> String {
        use fmt::Write;
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }

    /// What the database stores: the id's SHA-256.
    pub(crate) fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Creates `path` (and its directory) readable and writable by the owner only; fails if it
/// exists, so two processes starting at once cannot overwrite each other's key.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let sealer = Sealer::from_secret(b"0123456789abcdef0123456789abcdef").expect("key");
        let sealed = sealer.seal(b"customer-token", b"row-1").expect("seals");
        assert!(!sealed.windows(14).any(|w| w == b"customer-token"));
        assert_eq!(
            sealer.open(&sealed, b"row-1").as_deref(),
            Some(&b"customer-token"[..])
        );
        assert_eq!(sealer.open(&sealed, b"row-2"), None);
        let other = Sealer::from_secret(b"another secret of at least 32 bytes").expect("key");
        assert_eq!(other.open(&sealed, b"row-1"), None);
        let mut altered = sealed.clone();
        if let Some(last) = altered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(sealer.open(&altered, b"row-1"), None);
        assert_eq!(sealer.open(&[], b"row-1"), None);
        assert_eq!(sealer.open(&[FORMAT_V1, 1, 2], b"row-1"), None);
    }

    #[test]
    fn an_id_round_trips_through_its_cookie_value_and_nothing_else_parses() {
        let id = OpaqueId::generate().expect("random");
        let text = id.to_cookie_value();
        assert_eq!(text.len(), 64);
        assert_eq!(OpaqueId::parse(&text), Some(id.clone()));
        assert_ne!(OpaqueId::generate().expect("random"), id);
        for hostile in [
            "",
            "00",
            &text.to_uppercase(),
            &format!("{text}0"),
            &"g".repeat(64),
        ] {
            assert_eq!(OpaqueId::parse(hostile), None, "{hostile}");
        }
        assert!(!format!("{id:?}").contains(&text[..8]));
    }

    #[test]
    fn a_generated_key_file_is_kept_and_reused() {
        let dir = std::env::temp_dir().join(format!(
            "bff-seal-{}",
            OpaqueId::generate().expect("random").to_cookie_value()
        ));
        let first = Sealer::load(None, &dir).expect("generates");
        let sealed = first.seal(b"t", b"c").expect("seals");
        let again = Sealer::load(None, &dir).expect("reads");
        assert_eq!(again.open(&sealed, b"c").as_deref(), Some(&b"t"[..]));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
