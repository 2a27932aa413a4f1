//! The CRM connector contract (docs/connectors/crm.md) between the BFF's client and the
//! sandbox's CRM: verdicts, refusals, and failing closed on every kind of failure.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle, Service, demo};
use storefront_bff::config::CrmConfig;
use storefront_bff::sources::crm::{Admission, CrmError, CrmService, MAX_ANSWER_BYTES};
use storefront_bff::sources::resilience::SourceError;

const ISSUER: &str = "https://idp.example/";

async fn crm_sandbox() -> SandboxHandle {
    Sandbox::new(SandboxConfig {
        products: 10,
        order_stream: false,
        ..SandboxConfig::default()
    })
    .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .expect("sandbox starts")
}

fn config(url: String, token: &str) -> CrmConfig {
    CrmConfig {
        url,
        token: Some(token.to_string().into()),
        timeout_ms: 2_000,
        ..CrmConfig::default()
    }
}

fn service(sandbox: &SandboxHandle) -> CrmService {
    CrmService::from_config(&config(sandbox.crm_url(), demo::CONNECTOR_TOKEN)).expect("client")
}

#[tokio::test]
async fn company_users_come_back_with_their_company_and_consumers_as_consumers() {
    let sandbox = crm_sandbox().await;
    let crm = service(&sandbox);
    assert!(crm.is_enabled());
    let buyer = crm.verify(demo::ACME_BUYER.0, "sub-1", ISSUER).await;
    let Ok(Admission::CompanyUser(user)) = buyer else {
        panic!("not a company user: {buyer:?}");
    };
    assert_eq!(user.company.id, demo::ACME_COMPANY_ID);
    assert_eq!(user.company.name, "Acme Corp");
    assert!(!user.role.company_admin);
    let admin = crm.verify(demo::ACME_ADMIN.0, "sub-2", ISSUER).await;
    assert!(matches!(admin, Ok(Admission::CompanyUser(u)) if u.role.company_admin));
    for email in ["roni_cost@example.com", "someone.new@example.com"] {
        let consumer = crm.verify(email, "sub-3", ISSUER).await;
        assert!(matches!(consumer, Ok(Admission::Consumer)), "{email}");
    }
    assert_eq!(sandbox.sandbox.service_calls(Service::Crm).total, 4);
}

#[tokio::test]
async fn the_blocked_person_is_refused_with_the_crms_reason() {
    let sandbox = crm_sandbox().await;
    let refused = service(&sandbox)
        .verify(demo::BLOCKED_PERSON, "sub-1", ISSUER)
        .await;
    assert!(
        matches!(&refused, Err(CrmError::Refused(r)) if r.reason == "PERSON_BLOCKED"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn out_of_bounds_claims_fail_without_asking_the_crm() {
    let sandbox = crm_sandbox().await;
    let crm = service(&sandbox);
    let long_subject = "s".repeat(256);
    let refused = crm.verify(demo::ACME_BUYER.0, &long_subject, ISSUER).await;
    assert!(matches!(refused, Err(CrmError::InvalidIdentity("subject"))));
    assert_eq!(sandbox.sandbox.service_calls(Service::Crm).total, 0);
}

#[tokio::test]
async fn a_wrong_token_a_down_crm_and_an_open_breaker_all_fail_closed() {
    let sandbox = crm_sandbox().await;
    let wrong = CrmService::from_config(&config(sandbox.crm_url(), "wrong")).expect("client");
    let refused = wrong.verify(demo::ACME_BUYER.0, "s", ISSUER).await;
    assert!(matches!(
        refused,
        Err(CrmError::Unavailable(SourceError::Status(401)))
    ));
    assert_eq!(
        sandbox.sandbox.service_calls(Service::Crm).total,
        1,
        "a 401 is not retried"
    );

    let crm = service(&sandbox);
    sandbox.sandbox.reset_service_calls(Service::Crm);
    let down = Faults {
        down: true,
        ..Faults::default()
    };
    sandbox.sandbox.set_service_faults(Service::Crm, down);
    let failed = crm.verify(demo::ACME_BUYER.0, "s", ISSUER).await;
    assert!(matches!(
        failed,
        Err(CrmError::Unavailable(SourceError::Status(503)))
    ));
    assert_eq!(
        sandbox.sandbox.service_calls(Service::Crm).total,
        2,
        "a 503 is retried once (crm.retries)"
    );
    for _ in 1..CrmConfig::default().breaker_failures {
        let _ = crm.verify(demo::ACME_BUYER.0, "s", ISSUER).await;
    }
    sandbox
        .sandbox
        .set_service_faults(Service::Crm, Faults::default());
    sandbox.sandbox.reset_service_calls(Service::Crm);
    let open = crm.verify(demo::ACME_BUYER.0, "s", ISSUER).await;
    assert!(matches!(
        open,
        Err(CrmError::Unavailable(SourceError::BreakerOpen))
    ));
    assert_eq!(sandbox.sandbox.service_calls(Service::Crm).total, 0);
}

#[tokio::test]
async fn a_crm_slower_than_the_deadline_fails_the_login_at_the_deadline() {
    let sandbox = crm_sandbox().await;
    let slow = Faults::latency(Duration::from_secs(10));
    sandbox.sandbox.set_service_faults(Service::Crm, slow);
    let crm = CrmService::from_config(&CrmConfig {
        timeout_ms: 200,
        ..config(sandbox.crm_url(), demo::CONNECTOR_TOKEN)
    })
    .expect("client");
    let started = Instant::now();
    let failed = crm.verify(demo::ACME_BUYER.0, "s", ISSUER).await;
    assert!(
        matches!(failed, Err(CrmError::Unavailable(_))),
        "{failed:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_oversized_answer_is_a_failure_not_a_verdict() {
    let padding = "x".repeat(MAX_ANSWER_BYTES);
    let body = format!(r#"{{"verdict": "consumer", "padding": "{padding}"}}"#);
    let app = axum::Router::new().route(
        "/v1/persons/verify",
        axum::routing::post(move || async move { body }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let crm = CrmService::from_config(&config(format!("http://{addr}"), "t")).expect("client");
    let failed = crm.verify(demo::ACME_BUYER.0, "s", ISSUER).await;
    assert!(
        matches!(failed, Err(CrmError::Unavailable(SourceError::Decode(_)))),
        "{failed:?}"
    );
}
