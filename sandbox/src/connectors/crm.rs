//! `POST /crm/v1/persons/verify`, per `docs/connectors/crm.md`: the CRM's verdict on a person
//! signing in through SSO, from the seeded customers and companies. Company users are
//! `company_user` of their company, [`demo::BLOCKED_PERSON`] is `blocked`, everyone else (known
//! to Commerce or not) is a `consumer`. 400 `INVALID_REQUEST` for a missing, empty or over-long
//! field. `subject` and `issuer` are checked for bounds but otherwise ignored: the sandbox links
//! no provider identities to its contacts.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Service, SkuRequest, error, json, serve};
use crate::Sandbox;
use crate::companies::Company;
use crate::customers::Customer;
use crate::demo;

/// Bounds of the request's fields, in bytes (the contract's table).
const MAX_EMAIL: usize = 254;
const MAX_SUBJECT: usize = 255;
const MAX_ISSUER: usize = 2048;

/// Commerce's name for the company administrator's role and for everyone else's.
const ADMIN_ROLE: &str = "Company Administrator";
const USER_ROLE: &str = "Default User";

#[derive(Deserialize)]
struct VerifyRequest<'a> {
    #[serde(borrow)]
    email: Cow<'a, str>,
    #[serde(borrow)]
    subject: Cow<'a, str>,
    #[serde(borrow)]
    issuer: Cow<'a, str>,
}

/// A person verification names no SKUs: counted as a call only.
impl SkuRequest for VerifyRequest<'_> {
    fn sku_count(&self) -> usize {
        0
    }
}

#[derive(Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
enum Verdict<'a> {
    CompanyUser {
        person: Person<'a>,
        company: CompanyLine,
        role: Role,
        user_status: &'static str,
    },
    Consumer,
    Blocked {
        reason: &'static str,
        message: &'static str,
    },
}

#[derive(Serialize)]
struct Person<'a> {
    email: &'a str,
    firstname: &'a str,
    lastname: &'a str,
    job_title: Option<&'a str>,
}

#[derive(Serialize)]
struct CompanyLine {
    id: String,
    entity_id: u32,
    name: &'static str,
    status: &'static str,
}

#[derive(Serialize)]
struct Role {
    name: &'static str,
    company_admin: bool,
}

pub(crate) async fn verify(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let expected = "{\"email\", \"subject\", \"issuer\"}";
    serve(
        &sandbox,
        Service::Crm,
        &headers,
        &body,
        expected,
        |request: &VerifyRequest<'_>| answer(&sandbox, request),
    )
    .await
}

fn answer(sandbox: &Sandbox, request: &VerifyRequest<'_>) -> Response {
    if let Some(field) = out_of_bounds(request) {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            &format!("`{field}` is missing, empty or too long."),
        );
    }
    let email = request.email.trim();
    if email.eq_ignore_ascii_case(demo::BLOCKED_PERSON) {
        let verdict = Verdict::Blocked {
            reason: "PERSON_BLOCKED",
            message: "Access revoked by Acme Corp's administrator.",
        };
        return json(StatusCode::OK, &verdict);
    }
    let data = &sandbox.inner.data;
    // Accounts are mutable snapshots (`Arc<Customer>`): the verdict borrows from this one.
    if let Some(customer) = data.customers.by_email(email)
        && let Some(company) = customer.company.and_then(|id| data.companies.by_id(id))
    {
        return json(StatusCode::OK, &company_user(&customer, company));
    }
    json(StatusCode::OK, &Verdict::Consumer)
}

fn company_user<'a>(customer: &'a Customer, company: &Company) -> Verdict<'a> {
    let company_admin = company.admin == customer.id;
    Verdict::CompanyUser {
        person: Person {
            email: &customer.email,
            firstname: &customer.firstname,
            lastname: &customer.lastname,
            job_title: customer.job_title.as_deref(),
        },
        company: CompanyLine {
            id: company.uid(),
            entity_id: company.id,
            name: company.name,
            // Every seeded company is approved (Commerce's `CompanyStatusEnum`).
            status: "APPROVED",
        },
        role: Role {
            name: if company_admin { ADMIN_ROLE } else { USER_ROLE },
            company_admin,
        },
        user_status: "ACTIVE",
    }
}

/// The first field outside the contract's bounds.
fn out_of_bounds(request: &VerifyRequest<'_>) -> Option<&'static str> {
    let email = request.email.trim();
    let fits = |value: &str, max: usize| !value.trim().is_empty() && value.len() <= max;
    if !fits(email, MAX_EMAIL) || email.len() < 3 || email.matches('@').count() != 1 {
        return Some("email");
    }
    if !fits(&request.subject, MAX_SUBJECT) {
        return Some("subject");
    }
    if !fits(&request.issuer, MAX_ISSUER) {
        return Some("issuer");
    }
    None
}
