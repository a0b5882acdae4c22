//! Per-server health (last poll, lag, errors, bucket headroom) and tracker-wide counters for
//! metrics, plus how a PRC error changes a server's stored status.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::erlc::{BucketSnapshot, ErlcError};
use crate::store::ServerStatus;

/// A failed poll, in words for people (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollFailure {
    /// PRC's error code, when PRC sent one.
    pub code: Option<i64>,
    /// What went wrong, in plain words.
    pub message: String,
    /// What a person can do about it.
    pub fix: Option<String>,
}

impl PollFailure {
    /// A PRC read that failed, with PRC's code and what can be done about it.
    pub fn from_api(error: &ErlcError) -> Self {
        Self {
            code: error.prc_code(),
            message: error.to_string(),
            fix: error.fix().map(str::to_owned),
        }
    }

    /// A poll whose events could not be stored.
    pub fn from_store(error: &dyn std::fmt::Display) -> Self {
        Self {
            code: None,
            message: format!("could not store this poll's events: {error}"),
            fix: Some("Check the bot's disk and logs; polling retries by itself.".to_owned()),
        }
    }
}

/// The health of one tracked server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHealth {
    /// Discord guild id that owns the server.
    pub guild: u64,
    /// The guild's label for the server.
    pub label: String,
    /// When the last successful poll finished (Unix ms).
    pub last_poll_ms: Option<i64>,
    /// How late the last poll started compared with when it was due.
    pub lag_ms: Option<i64>,
    /// Polls that failed since the last successful one.
    pub consecutive_errors: u32,
    /// Why the latest poll failed; `None` once a poll succeeds.
    pub last_error: Option<PollFailure>,
    /// The read bucket this server's requests count against, as the client last saw it.
    pub headroom: Option<BucketSnapshot>,
    /// False once the key proved unusable; the server is not polled until added again.
    pub polling: bool,
    /// When the next poll is due (Unix ms), if one is scheduled.
    pub next_poll_ms: Option<i64>,
}

/// What an API error means for polling this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Stop polling and store this status: only a person can fix it.
    Stop(ServerStatus),
    /// Keep polling with backoff.
    Retry(ServerStatus),
}

/// Whether to stop or keep polling after `error`, and the status to store for the server.
pub fn verdict(error: &ErlcError) -> Verdict {
    match error {
        ErlcError::InvalidServerKey(_)
        | ErlcError::MalformedServerKey(_)
        | ErlcError::MissingServerKey(_) => Verdict::Stop(ServerStatus::KeyInvalid),
        ErlcError::BannedServerKey(_) => Verdict::Stop(ServerStatus::KeyBanned),
        ErlcError::NotAuthorized(_) | ErlcError::RestrictedResource(_) => {
            Verdict::Stop(ServerStatus::NotAuthorized)
        }
        ErlcError::ServerOffline(_) => Verdict::Retry(ServerStatus::Offline),
        other => Verdict::Retry(ServerStatus::Error(other.explanation())),
    }
}

/// Tracker-wide counters, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackerMetrics {
    /// Snapshot reads that succeeded (an offline answer counts: it was a valid answer).
    pub polls: u64,
    /// Successful polls that also read the ban list.
    pub ban_polls: u64,
    /// Polls that failed, on a PRC error or a store failure.
    pub poll_errors: u64,
    /// Failed reads by PRC code, or by kind (`network`, `decode`, ...) without one.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Reads that still failed with 429 after the client's own waiting and retries.
    pub rate_limited: u64,
    /// Events stored by polls.
    pub events: u64,
    /// Polls that stored a `feed/gap` notice (PRC's log window may have dropped rows).
    pub gaps: u64,
}

#[derive(Debug, Default)]
pub(super) struct Metrics {
    polls: AtomicU64,
    ban_polls: AtomicU64,
    poll_errors: AtomicU64,
    rate_limited: AtomicU64,
    events: AtomicU64,
    gaps: AtomicU64,
    by_code: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    pub fn poll_ok(&self, events: usize, gap: bool, bans: bool) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.events.fetch_add(events as u64, Ordering::Relaxed);
        if gap {
            self.gaps.fetch_add(1, Ordering::Relaxed);
        }
        if bans {
            self.ban_polls.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn api_error(&self, error: &ErlcError) {
        self.poll_errors.fetch_add(1, Ordering::Relaxed);
        if matches!(error, ErlcError::RateLimited { .. }) {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        let code = error
            .prc_code()
            .map(|c| c.to_string())
            .unwrap_or_else(|| format!("{:?}", error.kind()).to_lowercase());
        self.count_code(code);
    }

    pub fn store_error(&self) {
        self.poll_errors.fetch_add(1, Ordering::Relaxed);
        self.count_code("store".to_owned());
    }

    fn count_code(&self, code: String) {
        let mut map = self.by_code.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(code).or_default() += 1;
    }

    pub fn snapshot(&self) -> TrackerMetrics {
        TrackerMetrics {
            polls: self.polls.load(Ordering::Relaxed),
            ban_polls: self.ban_polls.load(Ordering::Relaxed),
            poll_errors: self.poll_errors.load(Ordering::Relaxed),
            errors_by_code: self
                .by_code
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            gaps: self.gaps.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlc::PrcErrorInfo;

    fn info() -> PrcErrorInfo {
        PrcErrorInfo {
            endpoint: "GET /v2/server".into(),
            http_status: 403,
            message: String::new(),
            command_id: None,
        }
    }

    #[test]
    fn unusable_keys_stop_polling_and_the_rest_retries() {
        assert_eq!(
            verdict(&ErlcError::from_code(2002, info())),
            Verdict::Stop(ServerStatus::KeyInvalid)
        );
        assert_eq!(
            verdict(&ErlcError::from_code(2004, info())),
            Verdict::Stop(ServerStatus::KeyBanned)
        );
        assert_eq!(
            verdict(&ErlcError::from_code(4000, info())),
            Verdict::Stop(ServerStatus::NotAuthorized)
        );
        assert_eq!(
            verdict(&ErlcError::from_code(3002, info())),
            Verdict::Retry(ServerStatus::Offline)
        );
        assert!(matches!(
            verdict(&ErlcError::from_code(1001, info())),
            Verdict::Retry(ServerStatus::Error(_))
        ));
    }

    #[test]
    fn counters_group_errors_by_code() {
        let metrics = Metrics::default();
        metrics.poll_ok(3, true, false);
        metrics.api_error(&ErlcError::from_code(4001, info()));
        metrics.api_error(&ErlcError::Network {
            endpoint: "GET /v2/server".into(),
            detail: "reset".into(),
        });
        metrics.store_error();
        let snap = metrics.snapshot();
        assert_eq!(
            (snap.polls, snap.events, snap.gaps, snap.poll_errors),
            (1, 3, 1, 3)
        );
        assert_eq!(snap.rate_limited, 1);
        assert_eq!(snap.errors_by_code.get("4001"), Some(&1));
        assert_eq!(snap.errors_by_code.get("transient"), Some(&1));
        assert_eq!(snap.errors_by_code.get("store"), Some(&1));
    }
}
