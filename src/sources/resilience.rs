//! What every source call goes through (DESIGN §2.3): a deadline over the whole call, bounded
//! retries with jitter for idempotent calls, and a circuit breaker that stops calling a source
//! that keeps failing, probing it again after a while.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use serde::Serialize;

/// Why a source call produced no answer. Details are for logs only.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error("no answer within the {0} ms deadline")]
    Deadline(u64),
    #[error("circuit breaker open")]
    BreakerOpen,
    #[error("transport: {0}")]
    Transport(super::transport::TransportError),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("unreadable answer: {0}")]
    Decode(String),
    #[error("not configured")]
    NotConfigured,
}

impl SourceError {
    /// The failure's class for logs: `timeout`, `connection_refused`, `dns`, `tls`,
    /// `unauthorized` (401/403), …
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Deadline(_) => "timeout",
            SourceError::BreakerOpen => "breaker_open",
            SourceError::Transport(t) => t.kind.as_str(),
            SourceError::Status(401 | 403) => "unauthorized",
            SourceError::Status(_) => "http_status",
            SourceError::Decode(_) => "decode",
            SourceError::NotConfigured => "not_configured",
        }
    }

    /// Whether a later attempt may succeed (a job's retry with backoff): the network, a
    /// deadline, a breaker that will half-open, `408`, `429` or a `5xx`. Not another `4xx` (a wrong token or
    /// request stays wrong), an unreadable or oversized answer, or a missing configuration.
    pub fn is_retriable(&self) -> bool {
        match self {
            SourceError::Deadline(_) | SourceError::BreakerOpen | SourceError::Transport(_) => true,
            SourceError::Status(status) => matches!(status, 408 | 429) || *status >= 500,
            SourceError::Decode(_) | SourceError::NotConfigured => false,
        }
    }

    /// Worth another try: the network or a gateway in front of the source hiccuped.
    fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::Transport(_) | SourceError::Status(502..=504)
        )
    }
}

/// The environment variable holding a connector's bearer token.
fn token_variable(source: &str) -> Option<&'static str> {
    match source {
        "inventory" => Some("BFF_INVENTORY__TOKEN"),
        "cpq" => Some("BFF_CPQ__TOKEN"),
        "crm" => Some("BFF_CRM__TOKEN"),
        "erp" => Some("BFF_ERP__TOKEN"),
        "pim" => Some("BFF_PIM__TOKEN"),
        _ => None,
    }
}

/// Settings of one guarded source.
#[derive(Debug, Clone, Copy)]
pub struct GuardSettings {
    pub deadline: Duration,
    pub retries: u32,
    pub breaker_failures: u32,
    pub breaker_open: Duration,
}

/// Breaker state and latency of a source, for logs and `/readyz`.
#[derive(Debug, Clone, Serialize)]
pub struct SourceHealth {
    pub breaker: &'static str,
    pub consecutive_failures: u32,
    pub last_latency_ms: f64,
}

enum Breaker {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is in flight; everything else is refused until it settles.
    HalfOpen,
}

/// Deadline, retries and breaker around one source.
pub struct Guard {
    name: &'static str,
    settings: GuardSettings,
    breaker: Mutex<Breaker>,
    last_latency_us: AtomicU64,
    failures: AtomicU64,
}

impl Guard {
    pub fn new(name: &'static str, settings: GuardSettings) -> Self {
        Self {
            name,
            settings,
            breaker: Mutex::new(Breaker::Closed { failures: 0 }),
            last_latency_us: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    /// Runs `call` (retried while transient) under the deadline and the breaker.
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T, SourceError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SourceError>>,
    {
        if !self.admit() {
            return Err(SourceError::BreakerOpen);
        }
        let started = Instant::now();
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(5))
            .with_max_delay(Duration::from_millis(50))
            .with_max_times(self.settings.retries as usize)
            .with_jitter();
        let attempts = call.retry(backoff).when(SourceError::is_transient);
        let result = match tokio::time::timeout(self.settings.deadline, attempts).await {
            Ok(result) => result,
            Err(_) => Err(SourceError::Deadline(
                self.settings.deadline.as_millis() as u64
            )),
        };
        self.last_latency_us
            .store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        self.settle(result.is_ok());
        if let Err(e) = &result {
            self.log_failure(e, started.elapsed());
        }
        result
    }

    /// One line per failed call: the kind, the whole error chain, and for a refused token the
    /// variable that sets it.
    fn log_failure(&self, error: &SourceError, elapsed: Duration) {
        let elapsed_ms = elapsed.as_millis() as u64;
        let kind = error.kind();
        match (error, token_variable(self.name)) {
            (SourceError::Status(401 | 403), Some(variable)) => tracing::warn!(
                source = self.name,
                kind,
                error = %error,
                elapsed_ms,
                hint = %format!("the connector refused the BFF's token: check {variable}"),
                "source call failed"
            ),
            _ => {
                tracing::warn!(source = self.name, kind, error = %error, elapsed_ms, "source call failed")
            }
        }
    }

    fn admit(&self) -> bool {
        let Ok(mut breaker) = self.breaker.lock() else {
            return true;
        };
        match *breaker {
            Breaker::Closed { .. } => true,
            Breaker::Open { until } if Instant::now() >= until => {
                tracing::info!(source = self.name, "circuit breaker half-open: probing");
                *breaker = Breaker::HalfOpen;
                true
            }
            Breaker::Open { .. } | Breaker::HalfOpen => false,
        }
    }

    fn settle(&self, ok: bool) {
        let Ok(mut breaker) = self.breaker.lock() else {
            return;
        };
        let failures = match (&*breaker, ok) {
            (_, true) => 0,
            (Breaker::Closed { failures }, false) => failures + 1,
            (_, false) => self.settings.breaker_failures,
        };
        self.failures.store(failures.into(), Ordering::Relaxed);
        let next = if ok {
            if !matches!(*breaker, Breaker::Closed { .. }) {
                tracing::info!(
                    source = self.name,
                    "circuit breaker closed: source recovered"
                );
            }
            Breaker::Closed { failures: 0 }
        } else if failures >= self.settings.breaker_failures {
            if matches!(*breaker, Breaker::Closed { .. }) || matches!(*breaker, Breaker::HalfOpen) {
                tracing::warn!(
                    source = self.name,
                    failures,
                    open_ms = self.settings.breaker_open.as_millis() as u64,
                    "circuit breaker opened"
                );
            }
            Breaker::Open {
                until: Instant::now() + self.settings.breaker_open,
            }
        } else {
            Breaker::Closed { failures }
        };
        *breaker = next;
    }

    pub fn health(&self) -> SourceHealth {
        let breaker = match self.breaker.lock().as_deref() {
            Ok(Breaker::Closed { .. }) => "closed",
            Ok(Breaker::Open { .. }) => "open",
            Ok(Breaker::HalfOpen) => "half-open",
            Err(_) => "unknown",
        };
        SourceHealth {
            breaker,
            consecutive_failures: self.failures.load(Ordering::Relaxed) as u32,
            last_latency_ms: self.last_latency_us.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(
            "test",
            GuardSettings {
                deadline: Duration::from_millis(200),
                retries: 2,
                breaker_failures: 2,
                breaker_open: Duration::from_millis(50),
            },
        )
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_others_are_not() {
        let g = guard();
        let tries = std::sync::atomic::AtomicU32::new(0);
        let r: Result<(), _> = g
            .call(|| async {
                tries.fetch_add(1, Ordering::SeqCst);
                Err(SourceError::Status(503))
            })
            .await;
        assert!(r.is_err());
        assert_eq!(tries.load(Ordering::SeqCst), 3);
        let tries = std::sync::atomic::AtomicU32::new(0);
        let g = guard();
        let _: Result<(), _> = g
            .call(|| async {
                tries.fetch_add(1, Ordering::SeqCst);
                Err(SourceError::Status(401))
            })
            .await;
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn only_failures_a_later_attempt_may_cure_are_retriable() {
        for retriable in [
            SourceError::Deadline(1),
            SourceError::BreakerOpen,
            SourceError::Transport(crate::sources::transport::TransportError::other("reset")),
            SourceError::Status(408),
            SourceError::Status(429),
            SourceError::Status(500),
            SourceError::Status(503),
        ] {
            assert!(retriable.is_retriable(), "{retriable:?}");
        }
        for lost in [
            SourceError::Status(400),
            SourceError::Status(401),
            SourceError::Status(404),
            SourceError::Decode("x".into()),
            SourceError::NotConfigured,
        ] {
            assert!(!lost.is_retriable(), "{lost:?}");
        }
    }

    #[tokio::test]
    async fn the_breaker_opens_then_half_opens_and_closes_on_success() {
        let g = guard();
        for _ in 0..2 {
            let _: Result<(), _> = g.call(|| async { Err(SourceError::Status(500)) }).await;
        }
        assert_eq!(g.health().breaker, "open");
        let refused: Result<(), _> = g.call(|| async { Ok(()) }).await;
        assert!(matches!(refused, Err(SourceError::BreakerOpen)));
        tokio::time::sleep(Duration::from_millis(60)).await;
        let probe: Result<(), _> = g.call(|| async { Ok(()) }).await;
        assert!(probe.is_ok());
        assert_eq!(g.health().breaker, "closed");
    }

    #[tokio::test]
    async fn the_deadline_holds_when_the_source_hangs() {
        let g = guard();
        let started = Instant::now();
        let r: Result<(), _> = g
            .call(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(())
            })
            .await;
        assert!(matches!(r, Err(SourceError::Deadline(200))));
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
