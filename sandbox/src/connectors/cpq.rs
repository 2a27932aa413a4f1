//! `POST /cpq/v1/contract-prices/lookup`, per `docs/connectors/cpq.md`: the company's price
//! list and the contract prices of the known SKUs asked for, in the requested currency, from
//! `crate::contracts`. 404 `UNKNOWN_COMPANY` for companies the CPQ does not know; 400
//! `INVALID_REQUEST` when `company_id`, `currency` or `skus` is missing, 400
//! `UNSUPPORTED_CURRENCY` for currencies other than USD and EUR.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Service, SkuRequest, error, json, serve};
use crate::Sandbox;
use crate::contracts::{Account, ContractPrice};
use crate::directory::CurrencyCode;

#[derive(Deserialize)]
struct PriceLookup<'a> {
    #[serde(borrow)]
    company_id: Cow<'a, str>,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(borrow)]
    skus: Vec<Cow<'a, str>>,
}

#[derive(Serialize)]
struct PriceAnswer<'a> {
    price_list: Option<PriceListLine>,
    currency: &'static str,
    items: Vec<PriceItem<'a>>,
}

#[derive(Serialize)]
struct PriceListLine {
    id: String,
    name: &'static str,
    contract_id: &'static str,
}

#[derive(Serialize)]
struct PriceItem<'a> {
    sku: &'a str,
    tiers: Vec<TierLine>,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

#[derive(Serialize)]
struct TierLine {
    min_quantity: u32,
    unit_price: f64,
}

impl<'a> From<ContractPrice<'a>> for PriceItem<'a> {
    fn from(price: ContractPrice<'a>) -> PriceItem<'a> {
        PriceItem {
            sku: price.sku,
            tiers: price
                .tiers
                .into_iter()
                .map(|(min_quantity, unit_price)| TierLine {
                    min_quantity,
                    unit_price,
                })
                .collect(),
            valid_from: price.valid_from,
            valid_to: price.valid_to,
        }
    }
}

impl SkuRequest for PriceLookup<'_> {
    fn sku_count(&self) -> usize {
        self.skus.len()
    }
}

pub(crate) async fn lookup(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let expected = "{\"company_id\", \"currency\", \"skus\"}";
    serve(
        &sandbox,
        Service::Cpq,
        &headers,
        &body,
        expected,
        |request: &PriceLookup<'_>| answer(&sandbox, request),
    )
    .await
}

fn answer(sandbox: &Sandbox, request: &PriceLookup<'_>) -> Response {
    let inner = &sandbox.inner;
    let Some(account) = inner.contracts.account(&request.company_id) else {
        return error(
            StatusCode::NOT_FOUND,
            "UNKNOWN_COMPANY",
            "The CPQ has no account for this company.",
        );
    };
    let Some(currency) = CurrencyCode::parse(&request.currency) else {
        return error(
            StatusCode::BAD_REQUEST,
            "UNSUPPORTED_CURRENCY",
            "Contract prices are available in USD and EUR.",
        );
    };
    let today = crate::clock::today();
    let (price_list, items) = match account {
        Account::NoContract => (None, Vec::new()),
        Account::Contract(list) => {
            let prices = inner.contracts.prices(
                list,
                &inner.data.catalog,
                currency,
                request.skus.iter().map(|s| s.as_ref()),
                today,
            );
            let line = PriceListLine {
                id: list.id(today),
                name: list.name,
                contract_id: list.contract_id,
            };
            (
                Some(line),
                prices.into_iter().map(PriceItem::from).collect(),
            )
        }
    };
    json(
        StatusCode::OK,
        &PriceAnswer {
            price_list,
            currency: currency.code(),
            items,
        },
    )
}
