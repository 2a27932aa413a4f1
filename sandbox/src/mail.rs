//! The sandbox's mail outbox: what Commerce would have e-mailed (password reset links, contact
//! form messages, newsletter confirmations), kept so tests and demos can read them through
//! `GET /admin/mail` instead of a mail server. Bounded: the oldest messages go first.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// Messages kept.
pub(crate) const CAPACITY: usize = 200;

/// One message Commerce would have sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mail {
    /// Commerce's e-mail template id, e.g. `customer_password_forgot_email_template`.
    pub template: String,
    pub to: String,
    pub subject: String,
    /// Template variables a test may need (the reset token, the contact form's fields).
    pub variables: serde_json::Value,
    /// RFC 3339, UTC.
    pub sent_at: String,
}

#[derive(Default)]
pub(crate) struct Outbox {
    messages: Mutex<VecDeque<Mail>>,
}

impl Outbox {
    pub fn send(&self, template: &str, to: &str, subject: &str, variables: serde_json::Value) {
        let mut messages = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
        if messages.len() >= CAPACITY {
            messages.pop_front();
        }
        messages.push_back(Mail {
            template: template.to_owned(),
            to: to.to_owned(),
            subject: subject.to_owned(),
            variables,
            sent_at: crate::clock::rfc3339(crate::clock::now()),
        });
    }

    /// Every kept message, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_keeps_the_newest_messages() {
        let outbox = Outbox::default();
        for i in 0..CAPACITY + 3 {
            outbox.send(
                "t",
                &format!("{i}@example.com"),
                "s",
                serde_json::Value::Null,
            );
        }
        let messages = outbox.messages();
        assert_eq!(messages.len(), CAPACITY);
        assert_eq!(messages[0].to, "3@example.com");
    }
}
