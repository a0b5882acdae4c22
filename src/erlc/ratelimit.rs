//! Bucket-aware rate limiting learned from PRC's `X-RateLimit-*` headers. One limiter is shared
//! by every server handle of a client, because PRC's GET bucket is per IP, not per key.
//!
//! Rules: a request reserves a slot in its route's bucket before it is sent, so concurrent
//! requests never oversubscribe; an empty bucket makes callers wait for its reset; a GET route
//! not seen yet counts in the GET bucket learned from other routes (PRC's GET bucket is per IP
//! or per app, not per route); while nothing is known, one request at a time learns the bucket
//! and the others wait for what it learns.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::Notify;

use crate::clock::SharedClock;

use super::route::{HttpMethod, Route};

/// If a bucket ran dry and no answer told us when it resets, assume this window.
const UNKNOWN_WINDOW_FALLBACK: Duration = Duration::from_secs(1);
/// Longest a waiter sleeps before looking at the buckets again on its own.
const RECHECK_INTERVAL: Duration = Duration::from_secs(1);

/// A bucket's state as seen from outside. The name never contains a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSnapshot {
    /// PRC's bucket name with any key replaced by its fingerprint.
    pub name: String,
    /// Requests allowed per window: PRC's `X-RateLimit-Limit`, or our guess until it says.
    pub limit: u32,
    /// Slots left in the current window, after local reservations.
    pub remaining: u32,
    /// Time until the window resets, if known.
    pub resets_in: Option<Duration>,
    /// Requests sent in this bucket that have not been answered yet.
    pub in_flight: u32,
}

/// A bucket name as learned from a response, already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LearnedName {
    pub name: String,
    /// True when the name contained a key: the bucket belongs to one key, not to the IP.
    pub key_specific: bool,
}

/// The `X-RateLimit-*` headers of one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub bucket: Option<LearnedName>,
    pub limit: Option<u32>,
    pub remaining: u32,
    /// Window reset, Unix milliseconds.
    pub reset_ms: i64,
}

impl RateHeaders {
    /// Read the headers; `None` unless at least `Remaining` and `Reset` are usable.
    pub fn parse(headers: &HeaderMap, redact: &dyn Fn(&str) -> String) -> Option<Self> {
        let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
        let remaining = text("x-ratelimit-remaining")?.parse::<u32>().ok()?;
        let reset_s = text("x-ratelimit-reset")?.parse::<f64>().ok()?;
        if !reset_s.is_finite() || !(0.0..1e12).contains(&reset_s) {
            return None;
        }
        let bucket = text("x-ratelimit-bucket")
            .filter(|name| !name.is_empty())
            .map(|raw| {
                let name = redact(raw);
                LearnedName {
                    key_specific: name != raw,
                    name,
                }
            });
        Some(Self {
            bucket,
            limit: text("x-ratelimit-limit").and_then(|v| v.parse().ok()),
            remaining,
            reset_ms: (reset_s * 1000.0).round() as i64,
        })
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    limit: u32,
    remaining: u32,
    /// `None` after a local refill: the server has not yet told us the new window's end.
    reset_at_ms: Option<i64>,
    in_flight: u32,
    /// Window to assume when no answer tells us the reset.
    fallback_window: Duration,
    /// True while `limit` is our default guess rather than something PRC said.
    guessed: bool,
}

impl Bucket {
    fn new(limit: u32, fallback_window: Duration) -> Self {
        Self {
            limit,
            remaining: limit,
            reset_at_ms: None,
            in_flight: 0,
            fallback_window,
            guessed: false,
        }
    }

    fn guess(limit: u32, window: Duration) -> Self {
        Self {
            guessed: true,
            ..Self::new(limit, window)
        }
    }

    /// Start a new window once the known reset has passed.
    fn refresh(&mut self, now_ms: i64) {
        if self.reset_at_ms.is_some_and(|reset| now_ms >= reset) {
            self.remaining = self.limit.max(1);
            self.reset_at_ms = None;
        }
    }

    /// Merge what a response said. Requests still in flight may not be counted by the server
    /// yet, so they are subtracted from its view: we may under-use a window, never overrun it.
    fn reconcile(&mut self, headers: &RateHeaders) {
        let server_view = headers.remaining.saturating_sub(self.in_flight);
        match self.reset_at_ms {
            Some(reset) if headers.reset_ms < reset => return, // answer from an older window
            Some(reset) if headers.reset_ms > reset => self.remaining = server_view,
            // Our count came from a guessed limit: PRC's view wins.
            _ if self.guessed => self.remaining = server_view,
            _ => self.remaining = self.remaining.min(server_view),
        }
        self.guessed = false;
        self.reset_at_ms = Some(headers.reset_ms);
        if let Some(limit) = headers.limit {
            self.limit = limit;
        }
    }

    fn exhaust_until(&mut self, until_ms: i64) {
        self.remaining = 0;
        self.reset_at_ms = Some(self.reset_at_ms.map_or(until_ms, |r| r.max(until_ms)));
    }

    /// A dry bucket with an unknown reset and nothing in flight would wait forever: give it
    /// the fallback window.
    fn ensure_progress(&mut self, now_ms: i64) {
        if self.remaining == 0 && self.reset_at_ms.is_none() && self.in_flight == 0 {
            self.reset_at_ms = Some(now_ms.saturating_add(self.fallback_window.as_millis() as i64));
        }
    }

    fn snapshot(&self, name: &str, now_ms: i64) -> BucketSnapshot {
        let mut view = self.clone();
        view.refresh(now_ms);
        BucketSnapshot {
            name: name.to_owned(),
            limit: view.limit,
            remaining: view.remaining,
            resets_in: view.reset_at_ms.map(|r| ms(r - now_ms)),
            in_flight: view.in_flight,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<String, Bucket>,
    /// (method, path, key fingerprint) → bucket.
    routes: HashMap<Route, String>,
    /// (method, path) → bucket shared by every key (never a key-specific bucket).
    shared_routes: HashMap<(HttpMethod, String), String>,
    /// Routes whose first request is in flight to learn the bucket.
    discovering: HashSet<(HttpMethod, String)>,
    /// Routes that answered without rate-limit headers: not limited locally.
    headerless: HashSet<(HttpMethod, String)>,
    /// Key fingerprint → the bucket its GETs were last seen in.
    last_get: HashMap<String, String>,
    last_shared_get: Option<String>,
}

impl State {
    fn lookup(&self, route: &Route) -> Option<String> {
        self.routes
            .get(route)
            .or_else(|| {
                (!route.is_command())
                    .then(|| self.shared_routes.get(&route.shared()))
                    .flatten()
            })
            .cloned()
    }
}

/// The process-wide limiter.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    clock: SharedClock,
    command_default: (u32, Duration),
    /// Added to every wait for a reset: PRC reports whole seconds and clocks differ slightly.
    grace: Duration,
    state: Mutex<State>,
    changed: Notify,
}

/// How a request that held a permit ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer<'h> {
    /// No HTTP answer (network failure, or the caller gave up): the slot counts as used.
    Nothing,
    /// An HTTP answer with its rate-limit headers, and for a 429 how long to back off.
    Http {
        headers: Option<&'h RateHeaders>,
        throttled_for: Option<Duration>,
    },
}

enum Attempt {
    Go {
        bucket: Option<String>,
        discovery: bool,
    },
    WaitUntil(i64),
    WaitForAnswer,
}

/// A reserved slot. Report the answer with [`RatePermit::complete`]; dropping it unreported
/// counts the slot as used.
#[derive(Debug)]
pub(crate) struct RatePermit<'a> {
    limiter: &'a RateLimiter,
    route: Route,
    bucket: Option<String>,
    /// The answer teaches this route its bucket (its bucket was unknown or only presumed).
    discovery: bool,
    done: bool,
}

impl RateLimiter {
    pub fn new(clock: SharedClock, command_default: (u32, Duration), grace: Duration) -> Self {
        Self {
            clock,
            command_default: (command_default.0.max(1), command_default.1),
            grace,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn default_command_bucket(route: &Route) -> String {
        format!("command-{}", route.key_fp)
    }

    /// The bucket a request on `route` would be counted in, if known.
    #[cfg(test)]
    pub fn bucket_for(&self, route: &Route) -> Option<String> {
        let state = self.lock();
        state.lookup(route).or_else(|| {
            route
                .is_command()
                .then(|| Self::default_command_bucket(route))
        })
    }

    /// Wait until `route` may send, and reserve the slot. The flag says whether we had to wait.
    pub async fn acquire(&self, route: &Route) -> (RatePermit<'_>, bool) {
        let mut waited = false;
        loop {
            // Registered before looking, so an answer arriving in between still wakes us.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = match self.try_acquire(route) {
                Attempt::Go { bucket, discovery } => {
                    let permit = RatePermit {
                        limiter: self,
                        route: route.clone(),
                        bucket,
                        discovery,
                        done: false,
                    };
                    return (permit, waited);
                }
                Attempt::WaitUntil(reset_ms) => {
                    ms(reset_ms - self.clock.now_ms()).saturating_add(self.grace)
                }
                Attempt::WaitForAnswer => RECHECK_INTERVAL,
            };
            waited = true;
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = &mut notified => {}
            }
        }
    }

    fn try_acquire(&self, route: &Route) -> Attempt {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        // True when the bucket is only presumed: the answer still has to teach this route's.
        let mut presumed = false;
        let name = match state.lookup(route) {
            Some(name) => Some(name),
            None if route.is_command() => {
                let name = Self::default_command_bucket(route);
                let (limit, window) = self.command_default;
                state
                    .buckets
                    .entry(name.clone())
                    .or_insert_with(|| Bucket::guess(limit, window));
                Some(name)
            }
            // PRC counts every GET from one IP (or one app) in one bucket: until this route
            // has answered for itself, count it in the GET bucket learned from other routes.
            None if route.method == HttpMethod::Get
                && !state.headerless.contains(&route.shared()) =>
            {
                presumed = state.last_shared_get.is_some();
                state.last_shared_get.clone()
            }
            None => None,
        };
        let Some(name) = name else {
            let shared = route.shared();
            if state.headerless.contains(&shared) {
                return Attempt::Go {
                    bucket: None,
                    discovery: false,
                };
            }
            // Nothing is known about GETs yet: one GET at a time finds the bucket out, so a
            // burst over many routes cannot overrun a bucket nobody has seen.
            let get_discovery_running = route.method == HttpMethod::Get
                && state
                    .discovering
                    .iter()
                    .any(|(method, _)| *method == HttpMethod::Get);
            if !get_discovery_running && state.discovering.insert(shared) {
                return Attempt::Go {
                    bucket: None,
                    discovery: true,
                };
            }
            return Attempt::WaitForAnswer;
        };
        let bucket = state
            .buckets
            .entry(name.clone())
            .or_insert_with(|| Bucket::new(1, UNKNOWN_WINDOW_FALLBACK));
        bucket.refresh(now);
        if bucket.remaining > 0 {
            bucket.remaining -= 1;
            bucket.in_flight += 1;
            return Attempt::Go {
                bucket: Some(name),
                discovery: presumed,
            };
        }
        bucket.ensure_progress(now);
        match bucket.reset_at_ms {
            Some(reset) => Attempt::WaitUntil(reset),
            None => Attempt::WaitForAnswer,
        }
    }

    fn complete(
        &self,
        route: &Route,
        reserved: Option<&str>,
        discovery: bool,
        answer: Answer<'_>,
    ) -> Option<String> {
        let (answered, headers, throttled_for) = match answer {
            Answer::Http {
                headers,
                throttled_for,
            } => (true, headers, throttled_for),
            Answer::Nothing => (false, None, None),
        };
        let now = self.clock.now_ms();
        let mut state = self.lock();
        if let Some(bucket) = reserved.and_then(|name| state.buckets.get_mut(name)) {
            bucket.in_flight = bucket.in_flight.saturating_sub(1);
        }
        if discovery {
            state.discovering.remove(&route.shared());
        }
        let learned = match headers {
            Some(headers) => {
                let learned = headers
                    .bucket
                    .clone()
                    .unwrap_or_else(|| fallback_name(route));
                let name = learned.name.clone();
                learn_route(&mut state, route, &learned);
                let limit = headers.limit.unwrap_or(headers.remaining).max(1);
                state
                    .buckets
                    .entry(name.clone())
                    .or_insert_with(|| Bucket::new(limit, UNKNOWN_WINDOW_FALLBACK))
                    .reconcile(headers);
                Some(name)
            }
            None => {
                if discovery && answered {
                    state.headerless.insert(route.shared());
                }
                None
            }
        };
        if let Some(wait) = throttled_for {
            // A presumed bucket is not blamed for a 429 that named none: limit the route alone.
            let blamed = reserved.filter(|_| !discovery).map(str::to_owned);
            let name = match learned.clone().or(blamed) {
                Some(name) => name,
                None => {
                    // A 429 on a route we know nothing about: limit it on its own from now on.
                    let learned = fallback_name(route);
                    learn_route(&mut state, route, &learned);
                    learned.name
                }
            };
            state
                .buckets
                .entry(name)
                .or_insert_with(|| Bucket::new(1, UNKNOWN_WINDOW_FALLBACK))
                .exhaust_until(now.saturating_add(wait.as_millis() as i64));
        }
        for name in [reserved.map(str::to_owned), learned.clone()]
            .into_iter()
            .flatten()
        {
            if let Some(bucket) = state.buckets.get_mut(&name) {
                bucket.ensure_progress(now);
            }
        }
        drop(state);
        self.changed.notify_waiters();
        learned
    }

    /// Every known bucket, sorted by name.
    pub fn snapshots(&self) -> Vec<BucketSnapshot> {
        let now = self.clock.now_ms();
        let state = self.lock();
        let mut all: Vec<_> = state
            .buckets
            .iter()
            .map(|(name, bucket)| bucket.snapshot(name, now))
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// The bucket GET requests of this key are counted in, if learned.
    pub fn read_headroom(&self, key_fp: &str) -> Option<BucketSnapshot> {
        let now = self.clock.now_ms();
        let state = self.lock();
        let name = state
            .last_get
            .get(key_fp)
            .or(state.last_shared_get.as_ref())?;
        state
            .buckets
            .get(name)
            .map(|bucket| bucket.snapshot(name, now))
    }
}

/// Name for a bucket PRC did not name: commands are per key, everything else per route.
fn fallback_name(route: &Route) -> LearnedName {
    if route.is_command() {
        LearnedName {
            name: format!("{} for {}", route.endpoint(), route.key_fp),
            key_specific: true,
        }
    } else {
        LearnedName {
            name: route.endpoint(),
            key_specific: false,
        }
    }
}

fn learn_route(state: &mut State, route: &Route, learned: &LearnedName) {
    state.routes.insert(route.clone(), learned.name.clone());
    if !learned.key_specific && !route.is_command() {
        state
            .shared_routes
            .insert(route.shared(), learned.name.clone());
    }
    if route.method == HttpMethod::Get {
        state
            .last_get
            .insert(route.key_fp.clone(), learned.name.clone());
        if !learned.key_specific {
            state.last_shared_get = Some(learned.name.clone());
        }
    }
    state.headerless.remove(&route.shared());
}

impl RatePermit<'_> {
    /// Record how the request ended. Returns the bucket the answer named (redacted).
    pub fn complete(mut self, answer: Answer<'_>) -> Option<String> {
        self.done = true;
        self.limiter
            .complete(&self.route, self.bucket.as_deref(), self.discovery, answer)
    }
}

impl Drop for RatePermit<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.limiter.complete(
                &self.route,
                self.bucket.as_deref(),
                self.discovery,
                Answer::Nothing,
            );
        }
    }
}

fn ms(millis: i64) -> Duration {
    Duration::from_millis(millis.max(0) as u64)
}

#[cfg(test)]
#[path = "ratelimit_tests.rs"]
mod tests;
