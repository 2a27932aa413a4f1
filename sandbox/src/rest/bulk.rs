//! Commerce's asynchronous bulk API for products: `POST /async/bulk/V1/products` and
//! `PUT /async/bulk/V1/products/bySku` queue one operation per array element and answer 202
//! at once; a consumer task applies them after [`crate::SandboxConfig::bulk_delay`], in order,
//! with Commerce's status model (1 complete, 2 failed-retriable, 3 failed-not-retriable,
//! 4 open, 5 rejected). `GET /V1/bulk/{bulkUuid}/status`, `/detailed-status` and
//! `/operation-status/{status}` report them. Operation ids are the positions in the submitted
//! array, as the answer's `request_items` ids are.
//!
//! Faults ([`BulkFaults`], `PUT /admin/rest/bulk-faults`): a share of operations ends
//! failed-retriable, and chosen SKUs fail not-retriably, so flows meet partial failures.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::products::{product_object, save};
use super::{CATALOG_PRODUCTS, RestError, answer, authorize, check_store, guard, json_body};
use crate::Sandbox;

/// Bulks kept for status queries; older ones are forgotten.
const MAX_BULKS: usize = 1_000;

/// Operation statuses (`OperationInterface::STATUS_TYPE_*`).
pub(crate) const COMPLETE: u8 = 1;
pub(crate) const RETRIABLY_FAILED: u8 = 2;
pub(crate) const NOT_RETRIABLY_FAILED: u8 = 3;
pub(crate) const OPEN: u8 = 4;
pub(crate) const REJECTED: u8 = 5;

/// Faults of the bulk consumer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkFaults {
    /// Share of operations (0.0..=1.0) that end failed-retriable (status 2).
    pub retriable_rate: f64,
    /// SKUs whose operations end failed-not-retriable (status 3).
    pub failing_skus: Vec<String>,
}

struct Operation {
    topic: &'static str,
    /// The element as submitted (`{"product": {...}}`); `None` when rejected.
    request: Option<Value>,
    status: u8,
    result_message: Option<String>,
    error_code: Option<i64>,
}

struct Bulk {
    uuid: String,
    description: String,
    start_time: String,
    user_type: u8,
    operations: Vec<Operation>,
}

/// Every bulk, newest last.
#[derive(Default)]
pub(crate) struct Bulks {
    bulks: Mutex<VecDeque<Bulk>>,
    faults: Mutex<BulkFaults>,
}

impl Bulks {
    pub fn set_faults(&self, faults: BulkFaults) {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    pub fn faults(&self) -> BulkFaults {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn with_bulk<T>(&self, uuid: &str, f: impl FnOnce(&mut Bulk) -> T) -> Option<T> {
        let mut bulks = self.bulks.lock().unwrap_or_else(PoisonError::into_inner);
        bulks.iter_mut().find(|b| b.uuid == uuid).map(f)
    }
}

pub(super) async fn submit_post(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let topic = "async.magento.catalog.api.productrepositoryinterface.save.post";
    submit(
        sandbox,
        params,
        headers,
        body,
        "REST POST /async/bulk/V1/products",
        topic,
    )
    .await
}

pub(super) async fn submit_put(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let topic = "async.magento.catalog.api.productrepositoryinterface.save.put";
    let route = "REST PUT /async/bulk/V1/products/bySku";
    submit(sandbox, params, headers, body, route, topic).await
}

async fn submit(
    sandbox: Sandbox,
    params: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
    route: &'static str,
    topic: &'static str,
) -> Response {
    if let Some(fault) = guard(&sandbox, route).await {
        return fault;
    }
    let accepted = (|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        let caller = authorize(&sandbox, &headers, CATALOG_PRODUCTS)?;
        let Value::Array(elements) = json_body(&body)? else {
            return Err(RestError::input(
                "Request body is expected to be an array of entities.",
                &[],
            ));
        };
        Ok(queue(&sandbox, elements, topic, caller.user_type()))
    })();
    match accepted {
        Ok(answer) => (StatusCode::ACCEPTED, axum::Json(answer)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Stores the bulk, starts its consumer, and builds the 202 answer.
fn queue(sandbox: &Sandbox, elements: Vec<Value>, topic: &'static str, user_type: u8) -> Value {
    let uuid = new_uuid();
    let mut items = Vec::with_capacity(elements.len());
    let mut operations = Vec::with_capacity(elements.len());
    let mut errors = false;
    for (id, element) in elements.into_iter().enumerate() {
        let hash = hex(&Sha256::digest(element.to_string().as_bytes()));
        if product_object(&element).is_ok() {
            items.push(json!({ "id": id, "data_hash": hash, "status": "accepted" }));
            operations.push(Operation {
                topic,
                request: Some(element),
                status: OPEN,
                result_message: None,
                error_code: None,
            });
        } else {
            errors = true;
            let message = "\"product\" is required. Enter and try again.";
            items.push(json!({ "id": id, "data_hash": hash, "status": "rejected", "error_message": message }));
            operations.push(Operation {
                topic,
                request: None,
                status: REJECTED,
                result_message: Some(message.to_owned()),
                error_code: Some(0),
            });
        }
    }
    let bulk = Bulk {
        uuid: uuid.clone(),
        description: format!("Topic {topic}"),
        start_time: crate::clock::datetime(crate::clock::now()),
        user_type,
        operations,
    };
    {
        let mut bulks = sandbox
            .inner
            .rest
            .bulks
            .bulks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if bulks.len() >= MAX_BULKS {
            bulks.pop_front();
        }
        bulks.push_back(bulk);
    }
    let consumer = sandbox.clone();
    let delay = sandbox.inner.rest.bulk_delay;
    let consumed = uuid.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        consume(&consumer, &consumed);
    });
    json!({ "bulk_uuid": uuid, "request_items": items, "errors": errors })
}

/// Applies a bulk's open operations in order (the consumer of Commerce's message queue).
pub(crate) fn consume(sandbox: &Sandbox, uuid: &str) {
    let bulks = &sandbox.inner.rest.bulks;
    let faults = bulks.faults();
    let count = bulks.with_bulk(uuid, |b| b.operations.len()).unwrap_or(0);
    for id in 0..count {
        let Some(Some(request)) = bulks.with_bulk(uuid, |b| {
            let op = &b.operations[id];
            (op.status == OPEN).then(|| op.request.clone()).flatten()
        }) else {
            continue;
        };
        let sku = request["product"]["sku"].as_str().unwrap_or_default();
        let retriable = faults.retriable_rate > 0.0
            && sandbox
                .inner
                .rng
                .lock()
                .is_ok_and(|mut rng| rng.f64() < faults.retriable_rate);
        let (status, message) = if faults.failing_skus.iter().any(|s| s == sku) {
            let message = "The product was unable to be saved. Please try again.";
            (NOT_RETRIABLY_FAILED, Some(message.to_owned()))
        } else if retriable {
            let message = "Something went wrong while processing the request.";
            (RETRIABLY_FAILED, Some(message.to_owned()))
        } else {
            let path_sku = request["product"]["sku"].as_str();
            match product_object(&request).and_then(|p| save(sandbox, path_sku, p)) {
                Ok(_) => (COMPLETE, None),
                Err(e) => (NOT_RETRIABLY_FAILED, Some(e.rendered())),
            }
        };
        bulks.with_bulk(uuid, |b| {
            let op = &mut b.operations[id];
            op.status = status;
            op.error_code = message.as_ref().map(|_| 0);
            op.result_message = message;
        });
    }
}

pub(super) async fn status(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    report(
        sandbox,
        params,
        headers,
        "REST GET /V1/bulk/{bulkUuid}/status",
        false,
    )
    .await
}

pub(super) async fn detailed_status(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let route = "REST GET /V1/bulk/{bulkUuid}/detailed-status";
    report(sandbox, params, headers, route, true).await
}

async fn report(
    sandbox: Sandbox,
    params: HashMap<String, String>,
    headers: HeaderMap,
    route: &'static str,
    detailed: bool,
) -> Response {
    if let Some(fault) = guard(&sandbox, route).await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, BULK_RESOURCE)?;
        let uuid = params
            .get("bulkUuid")
            .map(String::as_str)
            .unwrap_or_default();
        sandbox
            .inner
            .rest
            .bulks
            .with_bulk(uuid, |bulk| bulk_json(bulk, detailed))
            .ok_or_else(|| unknown_bulk(uuid))
    })())
}

pub(super) async fn operation_count(
    State(sandbox): State<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let route = "REST GET /V1/bulk/{bulkUuid}/operation-status/{status}";
    if let Some(fault) = guard(&sandbox, route).await {
        return fault;
    }
    answer((|| {
        check_store(&sandbox, params.get("store").map(String::as_str))?;
        authorize(&sandbox, &headers, BULK_RESOURCE)?;
        let uuid = params
            .get("bulkUuid")
            .map(String::as_str)
            .unwrap_or_default();
        let raw = params.get("status").map(String::as_str).unwrap_or_default();
        let wanted: u8 = raw.trim().parse().map_err(|_| RestError::InvalidType {
            value: raw.chars().take(32).collect(),
            expected: "int",
        })?;
        let count = sandbox
            .inner
            .rest
            .bulks
            .with_bulk(uuid, |b| {
                b.operations.iter().filter(|o| o.status == wanted).count()
            })
            .ok_or_else(|| unknown_bulk(uuid))?;
        Ok(json!(count))
    })())
}

/// ACL resource of the bulk status routes.
const BULK_RESOURCE: &str = "Magento_Logging::system_magento_logging_bulk_operations";

fn unknown_bulk(uuid: &str) -> RestError {
    RestError::missing(
        "Bulk uuid %bulkUuid not exist",
        json!({ "bulkUuid": uuid.chars().take(64).collect::<String>() }),
    )
}

fn bulk_json(bulk: &Bulk, detailed: bool) -> Value {
    let operations: Vec<Value> = bulk
        .operations
        .iter()
        .enumerate()
        .map(|(id, op)| {
            let mut out = json!({
                "id": id,
                "status": op.status,
                "result_message": op.result_message,
                "error_code": op.error_code,
            });
            if detailed {
                let meta = op
                    .request
                    .as_ref()
                    .map(Value::to_string)
                    .unwrap_or_default();
                out["bulk_uuid"] = json!(bulk.uuid);
                out["topic_name"] = json!(op.topic);
                out["serialized_data"] = json!(
                    json!({ "entity_id": null, "entity_link": "", "meta_information": meta })
                        .to_string()
                );
                out["result_serialized_data"] = Value::Null;
            }
            out
        })
        .collect();
    json!({
        "operations_list": operations,
        "user_type": bulk.user_type,
        "bulk_id": bulk.uuid,
        "description": bulk.description,
        "start_time": bulk.start_time,
        "user_id": 1,
        "operation_count": bulk.operations.len(),
    })
}

/// A random version-4 UUID, as Commerce's `IdentityGeneratorInterface` makes.
fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = fastrand::u128(..).to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
