//! Customer passwords: stored as salted SHA-256 (never in plain text, even in an emulator, so
//! a debug print of an account shows no password), and Commerce's password rules with its
//! messages (`AccountManagement::checkPasswordStrength`, default configuration: at least 8
//! characters from 3 of the 4 classes).

use sha2::{Digest, Sha256};

/// Commerce's `customer/password/minimum_password_length` default.
pub(crate) const MIN_LENGTH: usize = 8;
/// Commerce's `customer/password/required_character_classes_number` default.
pub(crate) const REQUIRED_CLASSES: usize = 3;
/// `AccountManagement::MAX_PASSWORD_LENGTH`.
pub(crate) const MAX_LENGTH: usize = 256;

/// A salted hash of a password.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PasswordHash {
    salt: [u8; 16],
    digest: [u8; 32],
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

impl PasswordHash {
    /// Hashes `password` with a salt derived from `salt_source` (distinct per account and per
    /// change, so equal passwords never share a hash).
    pub fn new(password: &str, salt_source: &[u8]) -> PasswordHash {
        let full = Sha256::new()
            .chain_update(b"sandbox password salt")
            .chain_update(salt_source)
            .finalize();
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&full[..16]);
        PasswordHash {
            salt,
            digest: digest(&salt, password),
        }
    }

    /// Whether `password` is the hashed one, compared in constant time.
    pub fn matches(&self, password: &str) -> bool {
        digest(&self.salt, password)
            .iter()
            .zip(self.digest)
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

fn digest(salt: &[u8], password: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(password.as_bytes())
        .finalize()
        .into()
}

/// Why Commerce refuses a new password; the messages are Commerce's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PasswordError {
    #[error("Please enter a password with at most {MAX_LENGTH} characters.")]
    TooLong,
    #[error(
        "The password needs at least {MIN_LENGTH} characters. Create a new password and try again."
    )]
    TooShort,
    #[error("The password can't begin or end with a space. Verify the password and try again.")]
    Spaces,
    #[error(
        "Minimum of different classes of characters in password is {REQUIRED_CLASSES}. Classes of characters: Lower Case, Upper Case, Digits, Special Characters."
    )]
    TooSimple,
    #[error(
        "The password can't be the same as the email address. Create a new password and try again."
    )]
    SameAsEmail,
}

/// Commerce's checks of a new password, in its order.
pub(crate) fn check_strength(password: &str, email: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if password.trim().chars().count() != length {
        return Err(PasswordError::Spaces);
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|has| **has).count() < REQUIRED_CLASSES {
        return Err(PasswordError::TooSimple);
    }
    if password.eq_ignore_ascii_case(email.trim()) {
        return Err(PasswordError::SameAsEmail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_matches_only_its_password_and_differs_per_salt() {
        let one = PasswordHash::new("Secret123!", b"1");
        let two = PasswordHash::new("Secret123!", b"2");
        assert!(one.matches("Secret123!"));
        assert!(!one.matches("Secret123?"));
        assert_ne!(one, two);
        assert_eq!(format!("{one:?}"), "PasswordHash(..)");
    }

    #[test]
    fn weak_passwords_are_refused_with_commerces_messages() {
        let email = "a@example.com";
        assert_eq!(check_strength("Ab1!", email), Err(PasswordError::TooShort));
        assert_eq!(
            check_strength("abcdefgh1", email),
            Err(PasswordError::TooSimple)
        );
        assert_eq!(
            check_strength(" Abcdefg1", email),
            Err(PasswordError::Spaces)
        );
        assert_eq!(
            check_strength(&"Ab1!".repeat(65), email),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_strength("A@example.com1", "a@example.com1"),
            Err(PasswordError::SameAsEmail)
        );
        assert_eq!(check_strength("Abcdefg1", email), Ok(()));
        assert_eq!(
            PasswordError::TooSimple.to_string(),
            "Minimum of different classes of characters in password is 3. Classes of characters: Lower Case, Upper Case, Digits, Special Characters."
        );
    }
}
