//! Admission at the `/graphql` edge: in-memory rate limits per client IP and per customer token,
//! the sensitive-mutation rules (once per operation, one operation per batch, rate limits per
//! client IP and per account), and a batch's cost as a whole. A refused request never reaches
//! Commerce.

use std::collections::HashSet;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::gateway::{Caller, Gateway, GatewayError, GraphqlRequest, code};

/// Admissions between two sweeps of idle keys out of the limiters' maps.
const SWEEP_EVERY: u64 = 4096;

type Limiter<K> = DefaultKeyedRateLimiter<K>;

/// The limiters of one BFF process.
pub struct RateLimits {
    per_ip: Option<Limiter<IpAddr>>,
    per_token: Option<Limiter<[u8; 32]>>,
    sensitive_per_ip: Option<Limiter<IpAddr>>,
    sensitive_per_account: Option<Limiter<[u8; 32]>>,
    sign_in_per_ip: Option<Limiter<IpAddr>>,
    sensitive: HashSet<String>,
    trusted_proxies: Vec<IpAddr>,
    admissions: AtomicU64,
}

/// A refused request: rendered by [`GatewayError`]'s one renderer (with `Retry-After` for a rate
/// limit).
pub(crate) type Refused = GatewayError;

fn refuse(error_code: &str, message: impl Into<String>) -> Refused {
    GatewayError::new(StatusCode::BAD_REQUEST, error_code, None, message)
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    rate: u32,
    burst: u32,
    period: Duration,
) -> Option<Limiter<K>> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    let quota = Quota::with_period(period / rate.get())?.allow_burst(burst);
    Some(DefaultKeyedRateLimiter::dashmap(quota))
}

/// Takes `n` cells for `key` at once (all or none), so a refused batch uses up nothing.
fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: Option<&Limiter<K>>,
    key: &K,
    n: usize,
    what: &str,
) -> Result<(), Refused> {
    let (Some(limiter), Some(n)) = (limiter, NonZeroU32::new(n.try_into().unwrap_or(u32::MAX)))
    else {
        return Ok(());
    };
    let wait = match limiter.check_key_n(key, n) {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(not_until)) => not_until.wait_time_from(limiter.clock().now()),
        // More than the burst at once: never admitted, whatever the wait.
        Err(_) => Duration::from_secs(1),
    };
    // Whole seconds, rounded up: `Retry-After: 0` would invite an immediate retry.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Err(GatewayError::new(
        StatusCode::TOO_MANY_REQUESTS,
        code::RATE_LIMITED,
        None,
        format!("Too many requests {what}; try again later."),
    )
    .retry_after(secs.max(1)))
}

fn digest(text: &[u8]) -> [u8; 32] {
    Sha256::digest(text).into()
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        let limits = &config.rate_limits;
        let second = Duration::from_secs(1);
        let minute = Duration::from_secs(60);
        Self {
            per_ip: limiter(limits.per_ip_per_second, limits.per_ip_burst, second),
            per_token: limiter(limits.per_token_per_second, limits.per_token_burst, second),
            sensitive_per_ip: limiter(
                limits.sensitive_per_ip_per_minute,
                limits.sensitive_per_ip_burst,
                minute,
            ),
            sensitive_per_account: limiter(
                limits.sensitive_per_account_per_minute,
                limits.sensitive_per_account_burst,
                minute,
            ),
            sign_in_per_ip: limiter(
                limits.sign_in_per_ip_per_minute,
                limits.sign_in_per_ip_burst,
                minute,
            ),
            sensitive: limits.sensitive_mutations.iter().cloned().collect(),
            trusted_proxies: config.server.trusted_proxies.clone(),
            admissions: AtomicU64::new(0),
        }
    }

    /// Admits `requests` (one, or a batch) from `caller`, or says why not.
    pub(crate) async fn admit(
        &self,
        gateway: &Gateway,
        requests: &[GraphqlRequest],
        caller: &Caller,
    ) -> Result<(), Refused> {
        self.sweep();
        let ip = self.client_ip(caller);
        let n = requests.len();
        if let Some(ip) = &ip {
            check(self.per_ip.as_ref(), ip, n, "from this address")?;
        }
        if let Some(token) = caller.headers.customer_token() {
            let key = digest(token.as_bytes());
            check(self.per_token.as_ref(), &key, n, "with this customer token")?;
        }
        if requests.len() > 1 {
            check_batch_cost(gateway, requests).await?;
        }
        if caller.via_get {
            // GET never runs a mutation (execution answers 405), so it spends no allowance.
            return Ok(());
        }
        self.admit_sensitive(gateway, requests, caller, ip).await
    }

    /// A single sign-on step (`/auth/login`, `/auth/callback`) from `caller`, or why not: each
    /// login stores a pending login, so one address may start only so many.
    pub(crate) fn admit_sign_in(&self, caller: &Caller) -> Result<(), Refused> {
        self.sweep();
        match self.client_ip(caller) {
            Some(ip) => check(
                self.sign_in_per_ip.as_ref(),
                &ip,
                1,
                "to sign in from this address",
            ),
            None => Ok(()),
        }
    }

    /// Sensitive mutations: once per operation, in one operation per batch, rate-limited per
    /// client IP and per account (the e-mail the call names, else the caller's customer token,
    /// as for `changeCustomerPassword`).
    async fn admit_sensitive(
        &self,
        gateway: &Gateway,
        requests: &[GraphqlRequest],
        caller: &Caller,
        ip: Option<IpAddr>,
    ) -> Result<(), Refused> {
        let emails = self.sensitive_calls(gateway, requests).await?;
        let token = caller.headers.customer_token();
        for email in emails {
            if let Some(ip) = &ip {
                let what = "of this kind from this address";
                check(self.sensitive_per_ip.as_ref(), ip, 1, what)?;
            }
            let account = match (email, token) {
                (Some(email), _) => Some(digest(format!("email:{email}").as_bytes())),
                (None, Some(token)) => Some(digest(&[b"token:", token.as_bytes()].concat())),
                (None, None) => None,
            };
            if let Some(account) = account {
                let what = "for this account";
                check(self.sensitive_per_account.as_ref(), &account, 1, what)?;
            }
        }
        Ok(())
    }

    /// The e-mail (if any) of each sensitive call in `requests`, once the once-per-operation and
    /// once-per-batch rules hold.
    async fn sensitive_calls(
        &self,
        gateway: &Gateway,
        requests: &[GraphqlRequest],
    ) -> Result<Vec<Option<String>>, Refused> {
        let mut emails = Vec::new();
        let mut operations = 0;
        for request in requests {
            // Most requests name no sensitive field at all: skip planning them twice.
            let query = request.query.as_deref().unwrap_or("");
            if !self.sensitive.iter().any(|f| query.contains(f.as_str())) {
                continue;
            }
            // A request that does not plan is refused by execution, before any upstream call.
            let Ok(plan) = gateway.plan_request(request).await else {
                continue;
            };
            let mut seen = HashSet::new();
            for call in &plan.root_calls {
                if !self.sensitive.contains(call.field.as_str()) {
                    continue;
                }
                if seen.is_empty() {
                    operations += 1;
                }
                if !seen.insert(call.field.clone()) {
                    return Err(refuse(
                        code::SENSITIVE_MUTATION_REPEATED,
                        format!("`{}` may run once per operation.", call.field),
                    ));
                }
                emails.push(call.email(request.variables.as_ref()));
            }
        }
        if operations > 1 {
            return Err(refuse(
                code::SENSITIVE_MUTATION_BATCHED,
                "Sign-in, account, password and coupon mutations may not be batched: send one per request.",
            ));
        }
        Ok(emails)
    }

    /// The client's address: the nearest address in `X-Forwarded-For` that is not a trusted
    /// proxy (the forwarded chain ends with the peer; an untrusted peer's chain is the peer).
    fn client_ip(&self, caller: &Caller) -> Option<IpAddr> {
        let chain = caller.headers.forwarded_for()?;
        let mut hops = chain
            .rsplit(',')
            .filter_map(|h| h.trim().parse::<IpAddr>().ok());
        let mut last = None;
        for hop in hops.by_ref() {
            if !self.trusted_proxies.contains(&hop) {
                return Some(hop);
            }
            last = Some(hop);
        }
        last
    }

    /// Now and then, forget keys whose limits have fully recovered, so memory stays bounded.
    fn sweep(&self) {
        if self.admissions.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        for limiter in [&self.per_ip, &self.sensitive_per_ip, &self.sign_in_per_ip]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in [&self.per_token, &self.sensitive_per_account]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// A batch is one request: its operations' costs together stay under the maximum of one. An
/// operation that does not plan or is over the maximum alone is refused by its own execution.
async fn check_batch_cost(gateway: &Gateway, requests: &[GraphqlRequest]) -> Result<(), Refused> {
    let mut total = 0u64;
    let mut max = u64::MAX;
    for request in requests {
        let Ok(plan) = gateway.plan_request(request).await else {
            continue;
        };
        let variables = request.variables.as_ref().filter(|v| v.is_object());
        if let Ok(cost) = plan.cost.check(variables) {
            total = total.saturating_add(cost);
            max = plan.cost.max_cost();
        }
    }
    if total <= max {
        return Ok(());
    }
    Err(GatewayError::limit(
        code::COST_LIMIT_EXCEEDED,
        format!(
            "The batch costs {total}; at most {max} is allowed for all its operations together."
        ),
    ))
}
