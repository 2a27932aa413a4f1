//! Contract prices: the logged-in customer's B2B company (asked of Commerce, remembered per
//! session), then one batched CPQ lookup per request for the SKUs not fresh in the entity cache.
//! Entries are keyed by company and currency, so one company's prices never reach another.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use moka::future::Cache;
use sha2::{Digest, Sha256};

use super::prices::{CachedPrice, PriceData};
use crate::cache::{EntityCache, load_through};
use crate::config::CpqConfig;
use crate::gateway::extension::{JoinKeyNeeds, MergedData, MergedExtension};
use crate::sources::commerce::{
    CommerceError, CommerceGraphql, ForwardedHeaders, UpstreamMethod, UpstreamRequest,
};
use crate::sources::cpq::Cpq;
use crate::sources::resilience::{Guard, GuardSettings, SourceError, SourceHealth};
use crate::sources::transport::TransportError;

/// (company id, currency, SKU).
type PriceKey = (Arc<str>, Arc<str>, String);

pub struct PricingService {
    cpq: Option<Arc<dyn Cpq>>,
    commerce: Arc<dyn CommerceGraphql>,
    guard: Guard,
    prices: EntityCache<PriceKey, Arc<CachedPrice>>,
    /// Session (hash of the customer token, company header and store) → B2B company id.
    companies: Cache<[u8; 32], Option<Arc<str>>>,
    /// Store view code → its default display currency.
    currencies: Cache<String, Arc<str>>,
    max_batch: usize,
    overwrite_price_range: bool,
    max_age_secs: u64,
}

impl PricingService {
    pub fn new(
        cpq: Option<Arc<dyn Cpq>>,
        commerce: Arc<dyn CommerceGraphql>,
        config: &CpqConfig,
    ) -> Self {
        Self {
            cpq,
            commerce,
            guard: Guard::new(
                "cpq",
                GuardSettings {
                    deadline: Duration::from_millis(config.timeout_ms),
                    retries: config.retries,
                    breaker_failures: config.breaker_failures,
                    breaker_open: Duration::from_millis(config.breaker_open_ms),
                },
            ),
            prices: EntityCache::new(
                Duration::from_millis(config.ttl_ms),
                Duration::from_millis(config.stale_ms),
                500_000,
            ),
            companies: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(config.company_ttl_secs.max(1)))
                .build(),
            currencies: Cache::builder()
                .max_capacity(1_000)
                .time_to_live(Duration::from_secs(600))
                .build(),
            max_batch: config.max_batch,
            overwrite_price_range: config.overwrite_price_range,
            max_age_secs: config.ttl_ms / 1000,
        }
    }

    /// Contract prices of `skus` for the caller; nothing (and no call) for guests and customers
    /// without a B2B company.
    async fn lookup(&self, headers: &ForwardedHeaders, skus: Vec<String>) -> PriceData {
        let mut data = PriceData {
            items: HashMap::new(),
            price_list: None,
            currency: String::new(),
            today: super::today_utc(),
            failed: false,
            fresh_until: None,
        };
        if skus.is_empty() || headers.customer_token().is_none() {
            return data;
        }
        let (company, currency) = match tokio::join!(self.company(headers), self.currency(headers))
        {
            (Ok(Some(company)), Ok(currency)) => (company, currency),
            (Ok(None), _) => return data,
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "contract prices: the customer's company or currency is unknown");
                data.failed = true;
                return data;
            }
        };
        data.currency = currency.to_string();
        let keys = skus
            .into_iter()
            .map(|sku| (company.clone(), currency.clone(), sku))
            .collect();
        let loaded = load_through(&self.prices, keys, |missing: Vec<PriceKey>| async move {
            let cpq = self.cpq.as_ref().ok_or(SourceError::NotConfigured)?;
            let skus: Vec<String> = missing.iter().map(|(_, _, sku)| sku.clone()).collect();
            let (company_ref, currency_ref) = (&company, &currency);
            let answers = join_all(skus.chunks(self.max_batch).map(|chunk| {
                self.guard
                    .call(move || cpq.lookup(company_ref, currency_ref, chunk))
            }))
            .await;
            let mut found = HashMap::new();
            for answer in answers {
                let answer = answer?;
                let Some(list) = answer.price_list else {
                    continue;
                };
                for item in answer.items {
                    let key = (company.clone(), currency.clone(), item.sku.clone());
                    found.insert(key, Arc::new(CachedPrice::new(item, list.clone())));
                }
            }
            Ok(found)
        })
        .await;
        data.failed = loaded.failure.is_some();
        data.fresh_until = loaded.fresh_until;
        for ((_, _, sku), (cached, freshness)) in loaded.values {
            data.price_list.get_or_insert_with(|| cached.list.clone());
            data.items.insert(sku, (cached, freshness));
        }
        data
    }

    /// The B2B company of the caller's Commerce session (`None`: not a company user).
    async fn company(&self, headers: &ForwardedHeaders) -> Result<Option<Arc<str>>, SourceError> {
        let mut session = Sha256::new();
        for part in [headers.customer_token(), headers.company(), headers.store()] {
            let value = part.unwrap_or_default().as_bytes();
            session.update((value.len() as u64).to_le_bytes());
            session.update(value);
        }
        let key: [u8; 32] = session.finalize().into();
        if let Some(known) = self.companies.get(&key).await {
            return Ok(known);
        }
        let answer = self
            .ask_commerce(
                "query BffCustomerCompany { company { id } }",
                UpstreamMethod::Post,
                headers,
            )
            .await?;
        // No company, or not a company user (Commerce answers an authorization error): no contract.
        let company = answer
            .pointer("/data/company/id")
            .and_then(serde_json::Value::as_str)
            .map(Arc::from);
        self.companies.insert(key, company.clone()).await;
        Ok(company)
    }

    /// The currency prices are shown in: `Content-Currency`, else the store view's default.
    async fn currency(&self, headers: &ForwardedHeaders) -> Result<Arc<str>, SourceError> {
        if let Some(c) = headers.currency() {
            return Ok(Arc::from(c.to_ascii_uppercase()));
        }
        let store = headers.store().unwrap_or_default().to_string();
        if let Some(c) = self.currencies.get(&store).await {
            return Ok(c);
        }
        let store_only = headers.store_only();
        let answer = self
            .ask_commerce(
                "query BffStoreCurrency { storeConfig { default_display_currency_code } }",
                UpstreamMethod::Get,
                &store_only,
            )
            .await?;
        let currency: Arc<str> = answer
            .pointer("/data/storeConfig/default_display_currency_code")
            .and_then(serde_json::Value::as_str)
            .map(Arc::from)
            .ok_or_else(|| SourceError::Decode("storeConfig has no display currency".into()))?;
        self.currencies.insert(store, currency.clone()).await;
        Ok(currency)
    }

    async fn ask_commerce(
        &self,
        query: &str,
        method: UpstreamMethod,
        headers: &ForwardedHeaders,
    ) -> Result<serde_json::Value, SourceError> {
        let answer = self
            .commerce
            .send(UpstreamRequest {
                query: query.into(),
                variables: None,
                operation_name: None,
                method,
                headers: headers.clone(),
            })
            .await
            .map_err(|e| match e {
                CommerceError::Transport(t) => SourceError::Transport(t),
                other => SourceError::Transport(TransportError::other(other.to_string())),
            })?;
        serde_json::from_slice(&answer.body).map_err(|e| SourceError::Decode(e.to_string()))
    }
}

#[async_trait::async_trait]
impl MergedExtension for PricingService {
    fn source(&self) -> &'static str {
        "cpq"
    }

    fn fields(&self) -> &'static [&'static str] {
        &["contract_price"]
    }

    fn overwrites(&self) -> &'static [&'static str] {
        if self.overwrite_price_range {
            &["price_range"]
        } else {
            &[]
        }
    }

    fn join_keys(&self) -> JoinKeyNeeds {
        JoinKeyNeeds {
            regular_prices: true,
            variants: true,
        }
    }

    fn max_age_secs(&self) -> u64 {
        self.max_age_secs
    }

    async fn fetch(&self, caller: &ForwardedHeaders, skus: Vec<String>) -> Box<dyn MergedData> {
        Box::new(self.lookup(caller, skus).await)
    }

    fn health(&self) -> Option<SourceHealth> {
        self.cpq.as_ref().map(|_| self.guard.health())
    }
}
