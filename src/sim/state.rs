//! The simulator's shared state: worlds, credentials, limiter, faults, the request log and
//! the webhook queue, all behind std locks that are never held across an await.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::auth::KeyRing;
use super::config::{ActivityConfig, BucketLimit, CommandRules, Quirks, SimConfig};
use super::faults::FaultState;
use super::ratelimit::Limiter;
use super::webhook::Webhooks;
use super::world::World;
use crate::clock::SharedClock;
use crate::fingerprint::fingerprint;

/// Locks a mutex, carrying on with the data if another thread panicked while holding it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One request the simulator answered (control routes excluded). Never contains a key.
/// The log is kept in the order requests were answered; [`RecordedRequest::arrival`] gives
/// the order they came in, so together they show what was still in flight at any point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Arrival order, from 0 for the first request (see [`SimHandle::arrivals`]).
    ///
    /// [`SimHandle::arrivals`]: super::SimHandle::arrivals
    #[serde(default)]
    pub arrival: u64,
    /// Simulator clock, Unix milliseconds.
    pub at_ms: i64,
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without the query string, e.g. `/v2/server`.
    pub path: String,
    /// The raw query string, if any (e.g. `Players=true`).
    pub query: Option<String>,
    /// Fingerprint of the `Server-Key` header, if one was sent.
    pub key_fingerprint: Option<String>,
    /// Fingerprint of the `Authorization` header, if one was sent.
    pub global_key_fingerprint: Option<String>,
    /// HTTP status; 0 when the connection was dropped on purpose.
    pub status: u16,
    /// The `X-RateLimit-Bucket` sent, with keys replaced by fingerprints.
    pub bucket: Option<String>,
    /// PRC error code of the body, if it was an error body.
    pub prc_code: Option<u16>,
    /// The command text of a command request.
    pub command: Option<String>,
    /// The injected fault, if any (e.g. `drop`, `latency`, `prc 1002`).
    pub fault: Option<String>,
}

/// Current limits (changeable at run time).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub read: BucketLimit,
    pub command: BucketLimit,
}

#[derive(Debug)]
pub struct Shared {
    pub clock: SharedClock,
    pub seed: u64,
    pub quirks: Quirks,
    pub rules: CommandRules,
    pub activity: Option<ActivityConfig>,
    pub worlds: Vec<Mutex<World>>,
    pub keys: Mutex<KeyRing>,
    pub limits: Mutex<Limits>,
    pub limiter: Mutex<Limiter>,
    pub faults: Mutex<FaultState>,
    /// Answered requests, in answer order.
    pub requests: Mutex<Vec<RecordedRequest>>,
    /// Requests received so far, answered or not: the next one's `arrival`.
    pub arrivals: AtomicU64,
    pub rng: Mutex<StdRng>,
    pub webhooks: Webhooks,
    command_counter: AtomicU64,
}

impl Shared {
    pub fn new(
        config: &SimConfig,
        worlds: Vec<World>,
        keys: KeyRing,
        rng: StdRng,
        webhooks: Webhooks,
    ) -> Self {
        Self {
            clock: config.clock.clone(),
            seed: config.seed,
            quirks: config.quirks.clone(),
            rules: config.commands.clone(),
            activity: config.activity.clone(),
            worlds: worlds.into_iter().map(Mutex::new).collect(),
            keys: Mutex::new(keys),
            limits: Mutex::new(Limits {
                read: config.read_limit,
                command: config.command_limit,
            }),
            limiter: Mutex::new(Limiter::new(config.repeat_offender)),
            faults: Mutex::new(FaultState::new(config.seed)),
            requests: Mutex::new(Vec::new()),
            arrivals: AtomicU64::new(0),
            rng: Mutex::new(rng),
            webhooks,
            command_counter: AtomicU64::new(1),
        }
    }

    pub fn now_secs(&self) -> i64 {
        self.clock.now_secs()
    }

    pub fn world(&self, index: usize) -> Option<MutexGuard<'_, World>> {
        self.worlds.get(index).map(lock)
    }

    /// A fresh `commandId` (hex, unique per simulator run).
    pub fn next_command_id(&self) -> String {
        let n = self.command_counter.fetch_add(1, Ordering::Relaxed);
        let salt: u32 = lock(&self.rng).r#gen();
        format!("{n:08x}{salt:08x}")
    }

    pub fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }
}

/// A bucket name with every key in it replaced by its fingerprint.
pub fn redact_bucket(bucket: &str, secrets: &[&str]) -> String {
    let mut out = bucket.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, &fingerprint(secret));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_buckets_hide_keys() {
        let b = redact_bucket("command-GLOBAL1-abc-xyz", &["abc-xyz", "GLOBAL1"]);
        assert!(!b.contains("abc-xyz") && !b.contains("GLOBAL1"), "{b}");
        assert!(b.starts_with("command-fp:"));
    }
}
