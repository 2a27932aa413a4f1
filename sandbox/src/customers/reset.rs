//! Password reset: a one-time token per customer (Commerce's `rp_token`), valid for Commerce's
//! default `customer/password/reset_link_expiration_period` of 2 hours; a new request replaces
//! the previous token and a successful reset consumes it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use sha2::{Digest, Sha256};

use super::{AccountError, Customer, Customers};
use crate::clock;

/// How long a reset token is valid.
pub(crate) const RESET_TOKEN_LIFETIME_SECS: u64 = 2 * 3_600;

impl Customers {
    /// A fresh reset token for the account of `email`; `None` for unknown emails.
    pub fn start_password_reset(&self, email: &str) -> Option<(Arc<Customer>, String)> {
        let customer = self.by_email(email)?;
        let serial = self.reset_serial.fetch_add(1, Ordering::Relaxed);
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let token: String = Sha256::new()
            .chain_update(b"sandbox reset token")
            .chain_update(self.seed.to_le_bytes())
            .chain_update(customer.id.to_le_bytes())
            .chain_update(serial.to_le_bytes())
            .finalize()
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        if let Ok(mut tokens) = self.reset_tokens.lock() {
            tokens.insert(
                customer.id,
                (token.clone(), clock::now() + RESET_TOKEN_LIFETIME_SECS),
            );
        }
        Some((customer, token))
    }

    /// Sets a new password with a valid reset token, which is then used up.
    pub fn reset_password(
        &self,
        email: &str,
        token: &str,
        password: &str,
    ) -> Result<Arc<Customer>, AccountError> {
        let customer = self
            .by_email(email)
            .ok_or_else(|| AccountError::Invalid("No such customer".to_owned()))?;
        let valid = self
            .reset_tokens
            .lock()
            .map(|tokens| {
                tokens.get(&customer.id).is_some_and(|(expected, expires)| {
                    expected == token.trim() && *expires > clock::now()
                })
            })
            .unwrap_or(false);
        if !valid {
            return Err(AccountError::Invalid(
                "The password token is mismatched. Reset and try again.".to_owned(),
            ));
        }
        let changed = self.set_password(customer.id, password)?;
        if let Ok(mut tokens) = self.reset_tokens.lock() {
            tokens.remove(&customer.id);
        }
        Ok(changed)
    }
}
