//! The account store: sign-in, tokens, creation, updates and passwords.

use super::*;
use crate::companies;

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
        customers
            .by_id(acme.admin)
            .map(|c| c.email.clone())
            .as_deref(),
        Some("admin@acme.example")
    );
}

#[test]
fn a_token_identifies_its_customer_until_revoked() {
    let customers = customers();
    let retailer = customers
        .by_email("retailer@example.com")
        .expect("retailer");
    let token = customers.issue_token(&retailer);
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(customers.verify_token(&token).map(|c| c.id), Ok(3));
    customers.revoke_tokens(3);
    assert_eq!(
        customers.verify_token(&token).err(),
        Some(TokenError::Revoked)
    );
    let fresh = customers.issue_token(&retailer);
    assert_eq!(customers.verify_token(&fresh).map(|c| c.id), Ok(3));
}

#[test]
fn forged_foreign_and_garbage_tokens_are_unreadable() {
    let customers = customers();
    let token = customers.issue_token(&customers.by_id(2).expect("wholesale"));
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
    let token = customers.issue_token(&customers.by_id(1).expect("roni"));
    // A zero lifetime still yields one second; wait it out.
    std::thread::sleep(Duration::from_millis(1_100));
    assert_eq!(
        customers.verify_token(&token).err(),
        Some(TokenError::Expired)
    );
}

#[test]
fn a_created_account_signs_in_and_its_email_stays_unique() {
    let customers = customers();
    let draft = Customer::draft(" New@Example.com ", "Nia", "New", "2026-01-01 00:00:00");
    let created = customers
        .create(draft, Some("Secret123!"))
        .expect("created");
    assert_eq!(
        (created.id, created.email.as_str()),
        (100, "New@Example.com")
    );
    assert_eq!(
        customers
            .authenticate("new@example.com", "Secret123!")
            .map(|c| c.id),
        Some(100)
    );
    let twin = Customer::draft("NEW@example.com", "N", "N", "2026-01-01 00:00:00");
    assert_eq!(
        customers.create(twin, None).err(),
        Some(AccountError::EmailTaken)
    );
    let invalid = Customer::draft("not-an-email", "N", "N", "2026-01-01 00:00:00");
    assert!(matches!(
        customers.create(invalid, None),
        Err(AccountError::InvalidEmail(_))
    ));
    let weak = Customer::draft("weak@example.com", "W", "K", "2026-01-01 00:00:00");
    assert_eq!(
        customers.create(weak, Some("password")).err(),
        Some(AccountError::Password(PasswordError::TooSimple))
    );
    assert!(customers.by_email("weak@example.com").is_none());
}

#[test]
fn an_update_changes_a_snapshot_only_when_it_succeeds() {
    let customers = customers();
    let before = customers.by_id(3).expect("retailer");
    let after = customers
        .update(3, |c| {
            c.email = "rita@example.com".to_owned();
            Ok(())
        })
        .expect("updated");
    assert_eq!(
        before.email, "retailer@example.com",
        "snapshots do not move"
    );
    assert_eq!(after.email, "rita@example.com");
    assert!(customers.by_email("retailer@example.com").is_none());
    let taken = customers.update(3, |c| {
        c.email = "wholesale@example.com".to_owned();
        Ok(())
    });
    assert_eq!(taken.err(), Some(AccountError::EmailTaken));
    assert_eq!(
        customers.by_id(3).map(|c| c.email.clone()).as_deref(),
        Some("rita@example.com")
    );
    assert_eq!(
        customers.update(4242, |_| Ok(())).err(),
        Some(AccountError::NoSuchCustomer(4242))
    );
}

#[test]
fn a_new_password_replaces_the_old_one() {
    let customers = customers();
    customers.set_password(2, "Changed123!").expect("changed");
    assert!(
        customers
            .authenticate("wholesale@example.com", "Wholesale123!")
            .is_none()
    );
    assert!(
        customers
            .authenticate("wholesale@example.com", "Changed123!")
            .is_some()
    );
    assert_eq!(
        customers.set_password(2, "short").err(),
        Some(AccountError::Password(PasswordError::TooShort))
    );
}
