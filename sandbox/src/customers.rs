//! Customer accounts, customer groups and customer tokens.
//!
//! Seeded demo logins (all on every store view):
//!
//! | email | password | group |
//! | --- | --- | --- |
//! | `roni_cost@example.com` | `roni_cost3@example.com` | General |
//! | `wholesale@example.com` | `Wholesale123!` | Wholesale (20% catalog rule) |
//! | `retailer@example.com` | `Retailer123!` | Retailer (10% catalog rule) |
//!
//! B2B company users (see `crate::companies`):
//!
//! | email | password | company | group |
//! | --- | --- | --- | --- |
//! | `admin@acme.example` | `AcmeAdmin123!` | Acme Corp (its administrator) | General |
//! | `buyer@acme.example` | `Acme123!` | Acme Corp | General |
//! | `buyer@globex.example` | `Globex123!` | Globex Corporation | General |
//! | `buyer@initech.example` | `Initech123!` | Initech | Wholesale |
//! | `buyer@hooli.example` | `Hooli123!` | Hooli (unknown to the CPQ) | Retailer |
//! | `buyer@vandelay.example` | `Vandelay123!` | Vandelay Industries (no contract) | General |
//!
//! `SandboxConfig::extra_buyers` (`storefront-bff sandbox --extra-buyers N`) adds N more buyers,
//! spread in turn over the three companies with a contract: `buyer<i>@acme.example` /
//! `Buyer<i>!`, then `buyer<i+1>@globex.example`, then `buyer<i+2>@initech.example`, … (i from 1),
//! in their company's group, for load tests with many distinct sessions.
//!
//! Acme's and Globex's users share the General group, hence Commerce's cache identity, while
//! their contract prices differ: only the company tells them apart, as in Commerce B2B where
//! companies on the public shared catalog keep the General group.
//!
//! Tokens are HS256 JWTs shaped like Commerce 2.4's (`uid`, `utypid` 3, `iat`, `exp`), signed with
//! a key derived from the seed and valid for the configured lifetime (Commerce's default is one
//! hour). `revokeCustomerToken` revokes every token the customer holds.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::companies;

/// Commerce's customer groups, with their default ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerGroup {
    NotLoggedIn,
    General,
    Wholesale,
    Retailer,
}

impl CustomerGroup {
    pub fn id(self) -> u32 {
        match self {
            CustomerGroup::NotLoggedIn => 0,
            CustomerGroup::General => 1,
            CustomerGroup::Wholesale => 2,
            CustomerGroup::Retailer => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CustomerGroup::NotLoggedIn => "NOT LOGGED IN",
            CustomerGroup::General => "General",
            CustomerGroup::Wholesale => "Wholesale",
            CustomerGroup::Retailer => "Retailer",
        }
    }

    /// Discount of the group's catalog price rule, in percent.
    pub fn catalog_discount(self) -> u8 {
        match self {
            CustomerGroup::NotLoggedIn | CustomerGroup::General => 0,
            CustomerGroup::Wholesale => 20,
            CustomerGroup::Retailer => 10,
        }
    }
}

/// One customer account.
#[derive(Debug)]
pub(crate) struct Customer {
    pub id: u32,
    pub email: Cow<'static, str>,
    password: Cow<'static, str>,
    pub firstname: &'static str,
    pub lastname: &'static str,
    pub group: CustomerGroup,
    pub created_at: &'static str,
    /// Entity id of the B2B company the customer is a user of.
    pub company: Option<u32>,
    pub job_title: Option<&'static str>,
}

/// Why a bearer token does not identify a customer; the messages are Commerce's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum TokenError {
    #[error("Failed to read JWT token")]
    Unreadable,
    #[error("Consumer key has expired")]
    Expired,
    #[error("User token has been revoked")]
    Revoked,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    uid: u32,
    utypid: u32,
    iat: u64,
    exp: u64,
    jti: u64,
}

/// Customer id of the first of `SandboxConfig::extra_buyers`; the named demo logins are below it.
pub(crate) const FIRST_EXTRA_BUYER_ID: u32 = 1_001;

/// User type id of customers in Commerce's tokens.
const CUSTOMER_USER_TYPE: u32 = 3;

/// The accounts plus the mutable token state.
pub(crate) struct Customers {
    accounts: Vec<Customer>,
    key: [u8; 32],
    lifetime: Duration,
    next_serial: AtomicU64,
    /// Per customer: tokens with a lower serial are revoked.
    revoked_below: Mutex<HashMap<u32, u64>>,
    /// How many of `accounts` (the first ones) were seeded.
    seeded: usize,
}

impl Customers {
    pub fn seeded(seed: u64, lifetime: Duration, extra_buyers: usize) -> Customers {
        let consumer = |id, email, password, firstname, lastname, group, created_at| Customer {
            id,
            email: Cow::Borrowed(email),
            password: Cow::Borrowed(password),
            firstname,
            lastname,
            group,
            created_at,
            company: None,
            job_title: None,
        };
        let company_user =
            |id, email, password, firstname, lastname, group, company, job_title| Customer {
                id,
                email: Cow::Borrowed(email),
                password: Cow::Borrowed(password),
                firstname,
                lastname,
                group,
                created_at: "2024-04-02 08:00:00",
                company: Some(company),
                job_title: Some(job_title),
            };
        use CustomerGroup::{General, Retailer, Wholesale};
        #[rustfmt::skip]
        let mut accounts = vec![
            consumer(1, "roni_cost@example.com", "roni_cost3@example.com", "Veronica", "Costello", General, "2024-01-15 09:30:00"),
            consumer(2, "wholesale@example.com", "Wholesale123!", "Walter", "Grant", Wholesale, "2024-02-01 14:00:00"),
            consumer(3, "retailer@example.com", "Retailer123!", "Rita", "Lopez", Retailer, "2024-03-10 11:15:00"),
            company_user(4, "admin@acme.example", "AcmeAdmin123!", "Wile", "Coyote", General, companies::ACME, "Head of Purchasing"),
            company_user(5, "buyer@acme.example", "Acme123!", "Bugs", "Bunny", General, companies::ACME, "Buyer"),
            company_user(6, "buyer@globex.example", "Globex123!", "Hank", "Scorpio", General, companies::GLOBEX, "Buyer"),
            company_user(7, "buyer@initech.example", "Initech123!", "Peter", "Gibbons", Wholesale, companies::INITECH, "Buyer"),
            company_user(8, "buyer@hooli.example", "Hooli123!", "Gavin", "Belson", Retailer, companies::HOOLI, "Buyer"),
            company_user(9, "buyer@vandelay.example", "Vandelay123!", "Art", "Vandelay", General, companies::VANDELAY, "Importer"),
        ];
        let contracted = [
            ("acme", companies::ACME, General),
            ("globex", companies::GLOBEX, General),
            ("initech", companies::INITECH, Wholesale),
        ];
        for i in 1..=extra_buyers {
            let (domain, company, group) = contracted[(i - 1) % contracted.len()];
            accounts.push(Customer {
                id: u32::try_from(FIRST_EXTRA_BUYER_ID as usize - 1 + i).unwrap_or(u32::MAX),
                email: Cow::Owned(format!("buyer{i}@{domain}.example")),
                password: Cow::Owned(format!("Buyer{i}!")),
                firstname: "Load",
                lastname: "Tester",
                group,
                created_at: "2024-04-02 08:00:00",
                company: Some(company),
                job_title: Some("Buyer"),
            });
        }
        let key = Sha256::new()
            .chain_update(b"sandbox customer tokens")
            .chain_update(seed.to_le_bytes())
            .finalize();
        Customers {
            seeded: accounts.len(),
            accounts,
            key: key.into(),
            lifetime,
            next_serial: AtomicU64::new(1),
            revoked_below: Mutex::new(HashMap::new()),
        }
    }

    pub fn all(&self) -> &[Customer] {
        &self.accounts
    }

    /// Whether `id` is a seeded account (seeded accounts start with a seeded cart, accounts
    /// created at runtime with an empty one).
    pub fn is_seeded(&self, id: u32) -> bool {
        let all = self.all();
        all[..self.seeded.min(all.len())].iter().any(|c| c.id == id)
    }

    pub fn by_id(&self, id: u32) -> Option<&Customer> {
        self.accounts.iter().find(|c| c.id == id)
    }

    pub fn by_email(&self, email: &str) -> Option<&Customer> {
        self.accounts
            .iter()
            .find(|c| c.email.eq_ignore_ascii_case(email.trim()))
    }

    /// The account these credentials sign in to.
    pub fn authenticate(&self, email: &str, password: &str) -> Option<&Customer> {
        self.by_email(email).filter(|c| c.password == password)
    }

    /// A new token for `customer`, valid for the configured lifetime.
    pub fn issue_token(&self, customer: &Customer) -> String {
        let iat = now();
        let claims = Claims {
            uid: customer.id,
            utypid: CUSTOMER_USER_TYPE,
            iat,
            exp: iat + self.lifetime.as_secs().max(1),
            jti: self.next_serial.fetch_add(1, Ordering::Relaxed),
        };
        let header = URL_SAFE_NO_PAD.encode(br#"{"kid":"1","alg":"HS256"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signed = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    /// The customer a token identifies.
    pub fn verify_token(&self, token: &str) -> Result<&Customer, TokenError> {
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
        if claims.utypid != CUSTOMER_USER_TYPE {
            return Err(TokenError::Unreadable);
        }
        if claims.exp <= now() {
            return Err(TokenError::Expired);
        }
        let revoked = self
            .revoked_below
            .lock()
            .map(|r| r.get(&claims.uid).copied())
            .unwrap_or(None);
        if revoked.is_some_and(|below| claims.jti < below) {
            return Err(TokenError::Revoked);
        }
        self.by_id(claims.uid).ok_or(TokenError::Unreadable)
    }

    /// Revokes every token issued to the customer so far.
    pub fn revoke_tokens(&self, customer_id: u32) {
        let below = self.next_serial.load(Ordering::Relaxed);
        if let Ok(mut revoked) = self.revoked_below.lock() {
            revoked.insert(customer_id, below);
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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

    fn customers() -> Customers {
        Customers::seeded(1, Duration::from_secs(3600), 0)
    }

    #[test]
    fn demo_logins_sign_in_to_their_groups() {
        let customers = customers();
        let roni = customers
            .authenticate("roni_cost@example.com", "roni_cost3@example.com")
            .expect("roni");
        assert_eq!(roni.group, CustomerGroup::General);
        let wholesale = customers
            .authenticate("WHOLESALE@example.com", "Wholesale123!")
            .expect("wholesale");
        assert_eq!(wholesale.group, CustomerGroup::Wholesale);
        assert!(
            customers
                .authenticate("retailer@example.com", "wrong")
                .is_none()
        );
        assert!(
            customers
                .authenticate("nobody@example.com", "Retailer123!")
                .is_none()
        );
    }

    #[test]
    fn extra_buyers_are_spread_over_the_companies_with_a_contract() {
        let customers = Customers::seeded(1, Duration::from_secs(3600), 4);
        let company = |email, password| {
            customers
                .authenticate(email, password)
                .and_then(|c| c.company)
        };
        assert_eq!(
            company("buyer1@acme.example", "Buyer1!"),
            Some(companies::ACME)
        );
        assert_eq!(
            company("buyer2@globex.example", "Buyer2!"),
            Some(companies::GLOBEX)
        );
        assert_eq!(
            company("buyer3@initech.example", "Buyer3!"),
            Some(companies::INITECH)
        );
        assert_eq!(
            company("buyer4@acme.example", "Buyer4!"),
            Some(companies::ACME)
        );
        assert_eq!(company("buyer5@globex.example", "Buyer5!"), None);
        assert_eq!(customers.all().len(), 9 + 4);
    }

    #[test]
    fn company_users_sign_in_and_belong_to_their_company() {
        let customers = customers();
        let buyer = customers
            .authenticate("buyer@acme.example", "Acme123!")
            .expect("acme buyer");
        assert_eq!(buyer.company, Some(companies::ACME));
        assert_eq!(buyer.group, CustomerGroup::General);
        let initech = customers
            .authenticate("buyer@initech.example", "Initech123!")
            .expect("initech buyer");
        assert_eq!(initech.company, Some(companies::INITECH));
        assert_eq!(customers.by_id(1).and_then(|c| c.company), None);
        let admins = companies::Companies::seeded();
        let acme = admins.by_id(companies::ACME).expect("acme");
        assert_eq!(
            customers.by_id(acme.admin).map(|c| c.email.as_ref()),
            Some("admin@acme.example")
        );
    }

    #[test]
    fn a_token_identifies_its_customer_until_revoked() {
        let customers = customers();
        let retailer = customers
            .by_email("retailer@example.com")
            .expect("retailer");
        let token = customers.issue_token(retailer);
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(customers.verify_token(&token).map(|c| c.id), Ok(3));
        customers.revoke_tokens(3);
        assert_eq!(
            customers.verify_token(&token).err(),
            Some(TokenError::Revoked)
        );
        let fresh = customers.issue_token(retailer);
        assert_eq!(customers.verify_token(&fresh).map(|c| c.id), Ok(3));
    }

    #[test]
    fn forged_foreign_and_garbage_tokens_are_unreadable() {
        let customers = customers();
        let token = customers.issue_token(customers.by_id(2).expect("wholesale"));
        let other = Customers::seeded(2, Duration::from_secs(3600), 0);
        assert_eq!(
            other.verify_token(&token).err(),
            Some(TokenError::Unreadable)
        );
        let mut tampered = token.clone();
        tampered.insert(token.find('.').expect("dot") + 2, 'x');
        assert_eq!(
            customers.verify_token(&tampered).err(),
            Some(TokenError::Unreadable)
        );
        assert_eq!(
            customers.verify_token("garbage").err(),
            Some(TokenError::Unreadable)
        );
        assert_eq!(
            customers.verify_token("").err(),
            Some(TokenError::Unreadable)
        );
    }

    #[test]
    fn expired_tokens_are_refused() {
        let customers = Customers::seeded(1, Duration::ZERO, 0);
        let token = customers.issue_token(customers.by_id(1).expect("roni"));
        // A zero lifetime still yields one second; wait it out.
        std::thread::sleep(Duration::from_millis(1_100));
        assert_eq!(
            customers.verify_token(&token).err(),
            Some(TokenError::Expired)
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
