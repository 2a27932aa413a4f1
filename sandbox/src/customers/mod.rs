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
//! Accounts are mutable (REST and GraphQL create and update them): they live behind one lock and
//! readers get an owned snapshot (`Arc<Customer>`), so a resolver never holds the lock while it
//! builds an answer. Passwords are stored salted and hashed (`passwords`); the seeded logins are
//! in `seed`.
//!
//! Tokens are HS256 JWTs shaped like Commerce 2.4's (`uid`, `utypid` 3, `iat`, `exp`, see
//! `crate::tokens`), valid for the configured lifetime (Commerce's default is one hour).
//! `revokeCustomerToken` revokes every token the customer holds.

mod addresses;
mod passwords;
mod reset;
mod seed;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

pub(crate) use crate::tokens::TokenError;
use crate::tokens::{TokenSigner, UserType};
pub(crate) use addresses::{Address, Defaults};
pub(crate) use passwords::{PasswordError, PasswordHash, check_strength};

/// Customer id of the first of `SandboxConfig::extra_buyers`; the named demo logins are below it.
pub(crate) const FIRST_EXTRA_BUYER_ID: u32 = 1_001;

/// Commerce's customer groups, with their default ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerGroup {
    NotLoggedIn,
    General,
    Wholesale,
    Retailer,
}

impl CustomerGroup {
    /// The group with Commerce's default id `id` (0 to 3).
    pub fn from_id(id: u32) -> Option<CustomerGroup> {
        [
            CustomerGroup::NotLoggedIn,
            CustomerGroup::General,
            CustomerGroup::Wholesale,
            CustomerGroup::Retailer,
        ]
        .into_iter()
        .find(|g| g.id() == id)
    }

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

/// One customer account: the fields Commerce's `CustomerInterface` and GraphQL `Customer` carry.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: u32,
    pub email: String,
    /// `None` for accounts created without a password (by an admin): they cannot sign in until
    /// a password reset.
    password: Option<PasswordHash>,
    pub firstname: String,
    pub lastname: String,
    pub middlename: Option<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    /// `YYYY-MM-DD`.
    pub dob: Option<String>,
    /// Commerce's gender option: 1 male, 2 female, 3 not specified; 0 when never set.
    pub gender: u32,
    pub taxvat: Option<String>,
    pub group: CustomerGroup,
    /// `YYYY-MM-DD HH:MM:SS`, UTC, as Commerce stores it.
    pub created_at: String,
    pub updated_at: String,
    /// The store view name the account was created in.
    pub created_in: String,
    pub website_id: u32,
    pub store_id: u32,
    /// Entity id of the B2B company the customer is a user of.
    pub company: Option<u32>,
    pub job_title: Option<String>,
    pub is_subscribed: bool,
    /// Login as Customer: whether the customer allows remote shopping assistance.
    pub assistance_allowed: bool,
    pub addresses: Vec<Address>,
    /// Address ids of the default billing and shipping addresses.
    pub default_billing: Option<u32>,
    pub default_shipping: Option<u32>,
}

impl Customer {
    /// A new account's defaults (General group, Main Website, no password); `create` assigns
    /// the id.
    pub fn draft(email: &str, firstname: &str, lastname: &str, created_at: &str) -> Customer {
        Customer {
            id: 0,
            email: email.trim().to_owned(),
            password: None,
            firstname: firstname.to_owned(),
            lastname: lastname.to_owned(),
            middlename: None,
            prefix: None,
            suffix: None,
            dob: None,
            gender: 0,
            taxvat: None,
            group: CustomerGroup::General,
            created_at: created_at.to_owned(),
            updated_at: created_at.to_owned(),
            created_in: "Default Store View".to_owned(),
            website_id: 1,
            store_id: 1,
            company: None,
            job_title: None,
            is_subscribed: false,
            assistance_allowed: false,
            addresses: Vec::new(),
            default_billing: None,
            default_shipping: None,
        }
    }

    /// Whether `password` signs in to this account.
    pub fn password_matches(&self, password: &str) -> bool {
        self.password.as_ref().is_some_and(|p| p.matches(password))
    }
}

/// Why an account change is refused; the messages are Commerce's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum AccountError {
    #[error("A customer with the same email address already exists in an associated website.")]
    EmailTaken,
    #[error("No such entity with customerId = {0}")]
    NoSuchCustomer(u32),
    #[error("\"{0}\" is not a valid email address.")]
    InvalidEmail(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("Could not find a address with ID \"{0}\"")]
    NoSuchAddress(u32),
    /// Any other refusal, its message Commerce's.
    #[error("{0}")]
    Invalid(String),
}

/// The accounts and their indexes, behind `Customers::accounts`.
struct Accounts {
    by_id: BTreeMap<u32, Arc<Customer>>,
    /// Lower-cased email → id.
    by_email: HashMap<String, u32>,
    next_id: u32,
    /// Counts password changes, so each new hash gets a fresh salt.
    password_changes: u64,
    /// Accounts created by clients (not seeded).
    created: usize,
}

/// Every account, plus the token state.
pub(crate) struct Customers {
    accounts: RwLock<Accounts>,
    seed: u64,
    signer: TokenSigner,
    lifetime: Duration,
    /// Per customer: tokens with a lower serial are revoked.
    revoked_below: Mutex<HashMap<u32, u64>>,
    next_address_id: AtomicU32,
    /// Per customer: the pending password-reset token and when it expires (Unix seconds).
    reset_tokens: Mutex<HashMap<u32, (String, u64)>>,
    /// Makes each reset token distinct.
    reset_serial: AtomicU64,
    /// Ids of the seeded accounts: they start with a seeded cart, accounts created at runtime
    /// with an empty one.
    seeded_ids: HashSet<u32>,
}

/// Accounts clients may create beyond the seeded ones (a bound on what a client can make the
/// sandbox hold).
pub(crate) const MAX_CREATED_ACCOUNTS: usize = 100_000;

/// Longest email Commerce's `customer_entity.email` column takes.
const MAX_EMAIL_LENGTH: usize = 255;

/// A plausible address (`local@domain.tld`, no spaces), as Commerce's validator would accept.
pub(crate) fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL_LENGTH
        && !local.is_empty()
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

impl Customers {
    pub fn seeded(seed: u64, lifetime: Duration, extra_buyers: usize) -> Customers {
        let mut accounts = Accounts {
            by_id: BTreeMap::new(),
            by_email: HashMap::new(),
            next_id: 1,
            password_changes: 0,
            created: 0,
        };
        for customer in seed::accounts(seed, extra_buyers) {
            accounts.insert(customer);
        }
        // New accounts start at 100 (after any load-test buyers): ids a reader tells apart.
        accounts.next_id = accounts.next_id.max(100);
        let seeded_ids = accounts.by_id.keys().copied().collect();
        Customers {
            accounts: RwLock::new(accounts),
            seed,
            signer: TokenSigner::new(seed),
            lifetime,
            revoked_below: Mutex::new(HashMap::new()),
            next_address_id: AtomicU32::new(1),
            reset_tokens: Mutex::new(HashMap::new()),
            reset_serial: AtomicU64::new(1),
            seeded_ids,
        }
    }

    /// Whether `id` is a seeded account.
    pub fn is_seeded(&self, id: u32) -> bool {
        self.seeded_ids.contains(&id)
    }

    fn next_address_id(&self) -> u32 {
        self.next_address_id.fetch_add(1, Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Accounts> {
        self.accounts.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Accounts> {
        self.accounts
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Every account, by id.
    pub fn all(&self) -> Vec<Arc<Customer>> {
        self.read().by_id.values().cloned().collect()
    }

    pub fn by_id(&self, id: u32) -> Option<Arc<Customer>> {
        self.read().by_id.get(&id).cloned()
    }

    pub fn by_email(&self, email: &str) -> Option<Arc<Customer>> {
        let accounts = self.read();
        let id = accounts.by_email.get(&email.trim().to_lowercase())?;
        accounts.by_id.get(id).cloned()
    }

    /// The account these credentials sign in to.
    pub fn authenticate(&self, email: &str, password: &str) -> Option<Arc<Customer>> {
        self.by_email(email)
            .filter(|c| c.password_matches(password))
    }

    /// Adds `draft` as a new account (its id is assigned), with `password` when given, after
    /// Commerce's checks: a valid email no other account uses, a strong enough password.
    pub fn create(
        &self,
        mut draft: Customer,
        password: Option<&str>,
    ) -> Result<Arc<Customer>, AccountError> {
        draft.email = draft.email.trim().to_owned();
        if !is_valid_email(&draft.email) {
            return Err(AccountError::InvalidEmail(draft.email));
        }
        if let Some(password) = password {
            check_strength(password, &draft.email)?;
        }
        let mut accounts = self.write();
        if accounts.by_email.contains_key(&draft.email.to_lowercase()) {
            return Err(AccountError::EmailTaken);
        }
        if accounts.created >= MAX_CREATED_ACCOUNTS {
            return Err(AccountError::Invalid(format!(
                "The sandbox holds at most {MAX_CREATED_ACCOUNTS} created accounts."
            )));
        }
        accounts.created += 1;
        draft.id = accounts.next_id;
        if let Some(password) = password {
            draft.password = Some(accounts.hash(self.seed, draft.id, password));
        }
        Ok(accounts.insert(draft))
    }

    /// Applies `change` to a copy of the account and stores it (with a new `updated_at`) when
    /// the change succeeds and the email stays valid and unique; nothing changes otherwise.
    pub fn update(
        &self,
        id: u32,
        change: impl FnOnce(&mut Customer) -> Result<(), AccountError>,
    ) -> Result<Arc<Customer>, AccountError> {
        let mut accounts = self.write();
        let current = accounts
            .by_id
            .get(&id)
            .cloned()
            .ok_or(AccountError::NoSuchCustomer(id))?;
        let mut next = Customer::clone(&current);
        change(&mut next)?;
        next.id = id;
        next.email = next.email.trim().to_owned();
        if !is_valid_email(&next.email) {
            return Err(AccountError::InvalidEmail(next.email));
        }
        let new_key = next.email.to_lowercase();
        if accounts
            .by_email
            .get(&new_key)
            .is_some_and(|&owner| owner != id)
        {
            return Err(AccountError::EmailTaken);
        }
        next.updated_at = crate::clock::datetime(crate::clock::now());
        accounts.by_email.remove(&current.email.to_lowercase());
        Ok(accounts.insert(next))
    }

    /// Replaces the account's password (after Commerce's strength checks).
    pub fn set_password(&self, id: u32, password: &str) -> Result<Arc<Customer>, AccountError> {
        let email = self
            .by_id(id)
            .ok_or(AccountError::NoSuchCustomer(id))?
            .email
            .clone();
        check_strength(password, &email)?;
        let hash = self.write().hash(self.seed, id, password);
        self.update(id, |c| {
            c.password = Some(hash);
            Ok(())
        })
    }

    /// A new token for `customer`, valid for the configured lifetime.
    pub fn issue_token(&self, customer: &Customer) -> String {
        self.signer
            .issue(UserType::Customer, customer.id, self.lifetime)
    }

    /// The customer a token identifies.
    pub fn verify_token(&self, token: &str) -> Result<Arc<Customer>, TokenError> {
        let claims = self.signer.verify(token, UserType::Customer)?;
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
        let below = self.signer.next_serial();
        if let Ok(mut revoked) = self.revoked_below.lock() {
            revoked.insert(customer_id, below);
        }
    }
}

impl Accounts {
    fn insert(&mut self, customer: Customer) -> Arc<Customer> {
        let id = customer.id;
        self.next_id = self.next_id.max(id.saturating_add(1));
        self.by_email.insert(customer.email.to_lowercase(), id);
        let customer = Arc::new(customer);
        self.by_id.insert(id, Arc::clone(&customer));
        customer
    }

    fn hash(&mut self, seed: u64, id: u32, password: &str) -> PasswordHash {
        self.password_changes += 1;
        let salt = format!("{seed}:{id}:{}", self.password_changes);
        PasswordHash::new(password, salt.as_bytes())
    }
}

#[cfg(test)]
mod tests;
