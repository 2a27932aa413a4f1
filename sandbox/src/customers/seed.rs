//! The seeded accounts (see the tables in the parent module's docs).

use super::{Customer, CustomerGroup, PasswordHash};
use crate::companies;

/// One seeded login: (id, email, password, first name, last name, group, created at, company,
/// job title).
type Login = (
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    CustomerGroup,
    &'static str,
    Option<u32>,
    Option<&'static str>,
);

/// The demo consumers and company users, then `extra_buyers` load-test buyers.
pub(super) fn accounts(seed: u64, extra_buyers: usize) -> Vec<Customer> {
    use CustomerGroup::{General, Retailer, Wholesale};
    const B2B: &str = "2024-04-02 08:00:00";
    #[rustfmt::skip]
    let logins: [Login; 9] = [
        (1, "roni_cost@example.com", "roni_cost3@example.com", "Veronica", "Costello", General, "2024-01-15 09:30:00", None, None),
        (2, "wholesale@example.com", "Wholesale123!", "Walter", "Grant", Wholesale, "2024-02-01 14:00:00", None, None),
        (3, "retailer@example.com", "Retailer123!", "Rita", "Lopez", Retailer, "2024-03-10 11:15:00", None, None),
        (4, "admin@acme.example", "AcmeAdmin123!", "Wile", "Coyote", General, B2B, Some(companies::ACME), Some("Head of Purchasing")),
        (5, "buyer@acme.example", "Acme123!", "Bugs", "Bunny", General, B2B, Some(companies::ACME), Some("Buyer")),
        (6, "buyer@globex.example", "Globex123!", "Hank", "Scorpio", General, B2B, Some(companies::GLOBEX), Some("Buyer")),
        (7, "buyer@initech.example", "Initech123!", "Peter", "Gibbons", Wholesale, B2B, Some(companies::INITECH), Some("Buyer")),
        (8, "buyer@hooli.example", "Hooli123!", "Gavin", "Belson", Retailer, B2B, Some(companies::HOOLI), Some("Buyer")),
        (9, "buyer@vandelay.example", "Vandelay123!", "Art", "Vandelay", General, B2B, Some(companies::VANDELAY), Some("Importer")),
    ];
    let mut accounts: Vec<Customer> = logins
        .into_iter()
        .map(
            |(id, email, password, first, last, group, created_at, company, job_title)| {
                let mut customer = Customer::draft(email, first, last, created_at);
                customer.id = id;
                customer.group = group;
                customer.company = company;
                customer.job_title = job_title.map(str::to_owned);
                customer.password = Some(hash(seed, id, password));
                customer
            },
        )
        .collect();
    let contracted = [
        ("acme", companies::ACME, General),
        ("globex", companies::GLOBEX, General),
        ("initech", companies::INITECH, Wholesale),
    ];
    for i in 1..=extra_buyers {
        let (domain, company, group) = contracted[(i - 1) % contracted.len()];
        let id = u32::try_from(super::FIRST_EXTRA_BUYER_ID as usize - 1 + i).unwrap_or(u32::MAX);
        let email = format!("buyer{i}@{domain}.example");
        let mut customer = Customer::draft(&email, "Load", "Tester", B2B);
        customer.id = id;
        customer.group = group;
        customer.company = Some(company);
        customer.job_title = Some("Buyer".to_owned());
        customer.password = Some(hash(seed, id, &format!("Buyer{i}!")));
        accounts.push(customer);
    }
    accounts
}

fn hash(seed: u64, id: u32, password: &str) -> PasswordHash {
    PasswordHash::new(password, format!("{seed}:{id}:seed").as_bytes())
}
