//! Storefront forms and their protection: `contactUs` (the message goes to the mail outbox, as
//! Commerce e-mails it to the store's contact address) and `recaptchaV3Config` (reCAPTCHA is
//! not configured in the sandbox, as on a fresh Commerce: disabled, empty keys).

use std::sync::Arc;

use async_graphql::Error;
use async_graphql::dynamic::ResolverContext;
use serde_json::{Map, Value, json};

use super::{Data, Handler, arg};
use crate::customers::is_valid_email;
use crate::errors::input_error;
use crate::scope::RequestScope;

pub(super) fn query(name: &str) -> Option<Handler> {
    (name == "recaptchaV3Config").then(|| Arc::new(recaptcha_v3_config) as Handler)
}

pub(super) fn mutation(name: &str) -> Option<Handler> {
    (name == "contactUs").then(|| Arc::new(contact_us) as Handler)
}

fn recaptcha_v3_config(
    _: &Data,
    _: &RequestScope,
    _: &ResolverContext<'_>,
) -> Result<Value, Error> {
    Ok(json!({
        "is_enabled": false,
        "website_key": "",
        "minimum_score": 0.5,
        "badge_position": "inline",
        "language_code": null,
        "failure_message": "reCAPTCHA verification failed.",
        "theme": "light",
        "forms": [],
    }))
}

/// Longest field kept from the contact form.
const MAX_FIELD: usize = 2_000;

/// `contactUs`, with the checks of Commerce's `ContactGraphQl` resolver.
fn contact_us(data: &Data, _: &RequestScope, ctx: &ResolverContext<'_>) -> Result<Value, Error> {
    let input: Map<String, Value> = arg(ctx, "input")?.unwrap_or_default();
    let field = |key: &str| -> String {
        input
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
            .chars()
            .take(MAX_FIELD)
            .collect()
    };
    let (name, email, comment, telephone) = (
        field("name"),
        field("email"),
        field("comment"),
        field("telephone"),
    );
    if name.is_empty() {
        return Err(input_error("Enter the Name and try again."));
    }
    if comment.is_empty() {
        return Err(input_error("Enter the comment and try again."));
    }
    if !is_valid_email(&email) {
        return Err(input_error(
            "The email address is invalid. Verify the email address and try again.",
        ));
    }
    data.outbox.send(
        "contact_email_email_template",
        "owner@example.com",
        "Contact Form",
        json!({ "name": name, "email": email, "comment": comment, "telephone": telephone }),
    );
    Ok(json!({ "status": true }))
}
