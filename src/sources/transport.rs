//! Why an HTTP call to an upstream failed, in words an operator can act on: connection refused
//! (nothing listens there), DNS failure (wrong host name), TLS failure (often `https://` to a
//! plain-HTTP port), timeout. reqwest's own message ("error sending request for url …") hides
//! the cause in its `source()` chain; this walks it.

use std::error::Error as _;
use std::fmt;

/// The class of a transport failure, logged as `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    ConnectionRefused,
    Dns,
    Tls,
    Timeout,
    /// Another failure to connect (unreachable network, reset during connect).
    Connect,
    /// Anything else: the connection broke mid-answer, a malformed URL, a client that could not
    /// be built.
    Other,
}

impl TransportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::ConnectionRefused => "connection_refused",
            TransportKind::Dns => "dns",
            TransportKind::Tls => "tls",
            TransportKind::Timeout => "timeout",
            TransportKind::Connect => "connect",
            TransportKind::Other => "other",
        }
    }

    /// What to check first.
    fn hint(self) -> &'static str {
        match self {
            TransportKind::ConnectionRefused => "nothing listens at that host and port",
            TransportKind::Dns => "the host name does not resolve",
            TransportKind::Tls => {
                "the TLS handshake failed (an https:// URL pointing at a plain-HTTP port, or a certificate the BFF does not trust)"
            }
            TransportKind::Timeout => "no answer in time",
            TransportKind::Connect => "the connection could not be opened",
            TransportKind::Other => "the exchange failed",
        }
    }
}

/// A transport failure: its kind and the whole error chain (for logs only: it names hosts).
#[derive(Debug, Clone)]
pub struct TransportError {
    pub kind: TransportKind,
    pub chain: String,
}

impl TransportError {
    /// A failure that is not a reqwest error (a URL that does not parse, a client that cannot
    /// be built).
    pub fn other(detail: impl Into<String>) -> Self {
        Self {
            kind: TransportKind::Other,
            chain: detail.into(),
        }
    }

    /// Classifies `error` by walking its `source()` chain.
    pub fn from_reqwest(error: &reqwest::Error) -> Self {
        let mut messages: Vec<String> = Vec::new();
        let mut refused = false;
        let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
        messages.push(error.to_string());
        while let Some(e) = cause {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            }
            let text = e.to_string();
            // hyper and reqwest repeat their inner error in their own message.
            if !messages.iter().any(|m| m.contains(&text)) {
                messages.push(text);
            }
            cause = e.source();
        }
        let chain = messages.join(": ");
        let lower = chain.to_ascii_lowercase();
        let kind = if error.is_timeout() || lower.contains("timed out") {
            TransportKind::Timeout
        } else if refused || lower.contains("connection refused") {
            TransportKind::ConnectionRefused
        } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
            TransportKind::Dns
        } else if [
            "tls",
            "certificate",
            "handshake",
            "corrupt message",
            "invalidcontenttype",
        ]
        .iter()
        .any(|needle| lower.contains(needle))
        {
            TransportKind::Tls
        } else if error.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        };
        Self { kind, chain }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.kind.as_str(),
            self.kind.hint(),
            self.chain
        )
    }
}
