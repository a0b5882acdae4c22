//! The live tracker: polls every connected ER:LC server on a shared, rate-limit-aware schedule,
//! turns snapshots and log windows into events, stores them (with restart-safe dedupe) before
//! anyone is told, keeps each server's latest world for readers, and reports per-server
//! health. Knows nothing of Discord.
//!
//! Parts: `world` (what a snapshot says), `diff` and `logs` (what changed), `gap` (what PRC
//! may have dropped), `poll` (one poll, stored atomically), `planner` and `scheduler` (when to
//! poll), `health` (status, counters).

mod config;
pub mod diff;
mod error;
pub mod gap;
mod health;
pub mod logs;
mod observe;
pub mod planner;
mod poll;
mod scheduler;
pub mod sections;
pub mod world;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::erlc::BucketSnapshot;
use crate::events::validate_segment;
use crate::latency::{LatencyHistogram, LatencySnapshot};
use crate::store::{ServerStatus, Store, StoreError};

pub use config::{TrackedServer, TrackerConfig};
pub use error::TrackerError;
pub use health::{PollFailure, ServerHealth, TrackerMetrics, Verdict, verdict};
pub use observe::{ModCallSeen, PolledServer, ServerChange, SnapshotExtras};
pub use planner::{Plan, RateBudget, WindowEstimator, plan};
pub use poll::PollReport;
pub use scheduler::ScheduleStatus;
pub use sections::{Sections, sections_for};

use health::Metrics;
use poll::PollState;
use scheduler::DueQueue;
use world::WorldState;

/// Where in the first interval the `seq`-th added server's first poll falls, as a fraction
/// in [0, 1): the golden-ratio sequence, whose first n points split the interval into gaps of
/// at most three sizes for every n, so any number of servers added in a row spread evenly
/// (random offsets leave clumps that the paced dispatcher turns into late polls).
fn first_poll_offset(seq: u64) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_894_9;
    // `seq` modulo 2^32 keeps the product exact enough in an f64.
    ((seq & 0xFFFF_FFFF) as f64 * GOLDEN).fract()
}

/// Locks a std mutex, carrying on if another thread panicked while holding it (every value
/// behind these locks stays consistent between statements).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

type ServerId = (u64, String);

/// Scheduling and health facts of one tracked server.
#[derive(Debug, Default)]
struct SlotHealth {
    last_poll_ms: Option<i64>,
    lag_ms: Option<i64>,
    consecutive_errors: u32,
    last_error: Option<PollFailure>,
    stopped: Option<ServerStatus>,
    next_due: Option<Instant>,
    /// Polls started, for the ban cadence.
    polls: u64,
    /// Consecutive polls PRC answered "offline".
    offline_streak: u32,
    /// The status last written to the store, to write only changes.
    stored_status: Option<ServerStatus>,
}

struct Slot {
    /// Unique per `add_server`, so queue entries of a replaced server are recognised.
    seq: u64,
    server: TrackedServer,
    shared: Arc<Shared>,
    health: Mutex<SlotHealth>,
}

/// What every generation of one (guild, label) shares, so replacing a server (a new key, new
/// feeds) keeps both.
#[derive(Default)]
struct Shared {
    /// One poll at a time.
    poll: tokio::sync::Mutex<PollState>,
    /// The world of the last successful poll, for readers that must not wait on a poll.
    latest: Mutex<Option<Arc<WorldState>>>,
    /// The last successful poll as observers heard it, for one that must re-sync.
    polled: Mutex<Option<Arc<PolledServer>>>,
}

impl Slot {
    fn id(&self) -> ServerId {
        (self.server.guild, self.server.label.clone())
    }

    /// Whether this poll also reads bans: every `every` polls, at a phase of its own, so the
    /// servers' ban reads (a second request) fall in different rounds instead of every
    /// server reading bans in the same round (which made one round in `every` ask for twice
    /// the requests of the others and fall behind).
    fn bans_due(&self, every: u32) -> bool {
        self.server.want_bans && bans_phase(lock(&self.health).polls, self.seq, every)
    }
}

/// Whether poll number `polls` (from 0) of the server added as `seq` reads bans, when bans are
/// read every `every` polls.
fn bans_phase(polls: u64, seq: u64, every: u32) -> bool {
    polls.wrapping_add(seq) % u64::from(every.max(1)) == 0
}

/// How many servers are polled, and how many of them also read bans.
#[derive(Debug, Default, Clone, Copy)]
struct PollingCounts {
    polling: usize,
    with_bans: usize,
}

/// What the tracker learned about PRC's read bucket.
#[derive(Debug, Default)]
struct Learned {
    bucket: Option<BucketSnapshot>,
    window: WindowEstimator,
}

struct Inner {
    store: Store,
    config: TrackerConfig,
    servers: Mutex<HashMap<ServerId, Arc<Slot>>>,
    queue: Mutex<DueQueue>,
    wake: tokio::sync::Notify,
    events_tx: watch::Sender<u64>,
    /// Committed polls and removed servers, for observers (the live state hub).
    changes: broadcast::Sender<ServerChange>,
    metrics: Metrics,
    /// How late each scheduled poll started.
    lateness: LatencyHistogram,
    rng: Mutex<StdRng>,
    learned: Mutex<Learned>,
    /// The interval queued polls were planned with.
    base_interval: Mutex<Duration>,
    /// Servers being polled, counted when the set changes rather than on every dispatch
    /// (the planner runs for every poll; 10,000 servers made walking them the hot spot).
    /// Bumped by every change; the cache holds the generation it was counted at.
    polling_generation: AtomicU64,
    polling_counts: Mutex<Option<(u64, PollingCounts)>>,
    next_seq: AtomicU64,
}

/// The tracker. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Tracker {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("servers", &lock(&self.inner.servers).len())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Tracker {
    /// A tracker with no servers yet: add them with [`Tracker::add_server`], poll them with
    /// [`Tracker::run`].
    pub fn new(store: Store, config: TrackerConfig) -> Self {
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        let (events_tx, _) = watch::channel(0);
        let (changes, _) = broadcast::channel(observe::OBSERVER_BUFFER);
        let base_interval = Mutex::new(config.interval);
        Self {
            inner: Arc::new(Inner {
                store,
                config,
                servers: Mutex::new(HashMap::new()),
                queue: Mutex::new(DueQueue::default()),
                wake: tokio::sync::Notify::new(),
                events_tx,
                changes,
                metrics: Metrics::default(),
                lateness: LatencyHistogram::default(),
                rng: Mutex::new(rng),
                learned: Mutex::new(Learned::default()),
                base_interval,
                polling_generation: AtomicU64::new(0),
                polling_counts: Mutex::new(None),
                next_seq: AtomicU64::new(1),
            }),
        }
    }

    /// Start tracking a server (or replace it, e.g. with a new key: polling resumes). Its
    /// first poll is a baseline unless the store holds a checkpoint from an earlier run.
    pub fn add_server(&self, server: TrackedServer) -> Result<(), TrackerError> {
        validate_segment(&server.label).map_err(|e| TrackerError::BadLabel {
            label: server.label.clone(),
            detail: e.to_string(),
        })?;
        let id = (server.guild, server.label.clone());
        let seq = self.inner.next_seq.fetch_add(1, Ordering::Relaxed);
        let mut servers = lock(&self.inner.servers);
        let shared = servers
            .get(&id)
            .map(|old| Arc::clone(&old.shared))
            .unwrap_or_default();
        let slot = Arc::new(Slot {
            seq,
            server,
            shared,
            health: Mutex::new(SlotHealth::default()),
        });
        servers.insert(id, Arc::clone(&slot));
        drop(servers);
        self.recount();
        self.schedule(&slot, self.first_poll_delay(seq));
        Ok(())
    }

    /// Stop tracking a server. True if it was tracked. Its stored state stays, so adding it
    /// back resumes where it left off.
    pub fn remove_server(&self, guild: u64, label: &str) -> bool {
        let removed = lock(&self.inner.servers)
            .remove(&(guild, label.to_owned()))
            .is_some();
        self.recount();
        self.inner.wake.notify_one();
        if removed {
            // Nobody listening is fine: observers re-sync from `latest_polled`.
            let _ = self.inner.changes.send(ServerChange::Removed {
                guild,
                label: label.to_owned(),
            });
        }
        removed
    }

    /// Poll one server now, outside the schedule (tests, "refresh" buttons). Refused without
    /// a request if the server was stopped for an unusable key.
    pub async fn poll_once(&self, guild: u64, label: &str) -> Result<PollReport, TrackerError> {
        let slot = lock(&self.inner.servers)
            .get(&(guild, label.to_owned()))
            .cloned()
            .ok_or_else(|| TrackerError::UnknownServer {
                guild,
                label: label.to_owned(),
            })?;
        let with_bans = slot.bans_due(self.inner.config.bans_every);
        self.poll_slot(&slot, None, with_bans).await
    }

    /// The server as the last successful poll saw it (the player list always; queue, vehicles
    /// and 911 calls when a feed wants them), without asking PRC or waiting on a poll in
    /// flight. `None` for a server not tracked, or not polled since the tracker started.
    pub fn latest_world(&self, guild: u64, label: &str) -> Option<Arc<WorldState>> {
        let slot = lock(&self.inner.servers)
            .get(&(guild, label.to_owned()))
            .cloned()?;
        lock(&slot.shared.latest).clone()
    }

    /// Every committed poll and every removed server from now on. The tracker never waits on
    /// a receiver: one that falls behind gets `Lagged` and re-reads [`Tracker::latest_polled`].
    pub fn subscribe_changes(&self) -> broadcast::Receiver<ServerChange> {
        self.inner.changes.subscribe()
    }

    /// The last successful poll of every tracked server (those polled since start).
    pub fn latest_polled(&self) -> Vec<Arc<PolledServer>> {
        let slots: Vec<Arc<Slot>> = lock(&self.inner.servers).values().cloned().collect();
        slots
            .iter()
            .filter_map(|slot| lock(&slot.shared.polled).clone())
            .collect()
    }

    /// Wakes whenever events were stored; the value is the number stored since start.
    pub fn subscribe_new_events(&self) -> watch::Receiver<u64> {
        self.inner.events_tx.subscribe()
    }

    /// Health of every tracked server, ordered by guild and label.
    pub fn health(&self) -> Vec<ServerHealth> {
        let now_ms = self.inner.store.clock().now_ms();
        let now = Instant::now();
        let mut slots: Vec<Arc<Slot>> = lock(&self.inner.servers).values().cloned().collect();
        slots.sort_by_key(|s| s.id());
        slots
            .iter()
            .map(|slot| {
                let h = lock(&slot.health);
                let next_poll_ms = h.next_due.filter(|_| h.stopped.is_none()).map(|due| {
                    let wait = due.saturating_duration_since(now).as_millis();
                    now_ms.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX))
                });
                ServerHealth {
                    guild: slot.server.guild,
                    label: slot.server.label.clone(),
                    last_poll_ms: h.last_poll_ms,
                    lag_ms: h.lag_ms,
                    consecutive_errors: h.consecutive_errors,
                    last_error: h.last_error.clone(),
                    headroom: slot.server.handle.read_headroom(),
                    polling: h.stopped.is_none(),
                    next_poll_ms,
                }
            })
            .collect()
    }

    /// Counters since start, for metrics.
    pub fn metrics(&self) -> TrackerMetrics {
        self.inner.metrics.snapshot()
    }

    /// How late every scheduled poll since start began, after the time it was due.
    pub fn poll_lateness(&self) -> LatencySnapshot {
        self.inner.lateness.snapshot()
    }

    /// The plan for the servers being polled now, under the read bucket learned so far (or
    /// the configured assumption before anything was learned).
    pub fn plan(&self) -> Plan {
        let config = &self.inner.config;
        let counts = self.polling_counts();
        let every = usize::try_from(config.bans_every.max(1)).unwrap_or(usize::MAX);
        let requests = counts.polling + counts.with_bans.div_ceil(every);
        let learned = lock(&self.inner.learned);
        let budget = RateBudget {
            limit: learned
                .bucket
                .as_ref()
                .map_or(config.assumed_budget.limit, |b| b.limit),
            window: learned
                .window
                .window()
                .unwrap_or(config.assumed_budget.window),
        };
        plan(requests, budget, config.interval, config.budget_share)
    }

    fn polling_counts(&self) -> PollingCounts {
        let generation = self.inner.polling_generation.load(Ordering::SeqCst);
        if let Some((counted_at, counts)) = *lock(&self.inner.polling_counts)
            && counted_at == generation
        {
            return counts;
        }
        let counts = {
            let servers = lock(&self.inner.servers);
            let mut counts = PollingCounts::default();
            for slot in servers.values() {
                if lock(&slot.health).stopped.is_none() {
                    counts.polling += 1;
                    counts.with_bans += usize::from(slot.server.want_bans);
                }
            }
            counts
        };
        // A change while counting bumped the generation past this one: counted again next time.
        *lock(&self.inner.polling_counts) = Some((generation, counts));
        counts
    }

    /// The set of polled servers changed: count again at the next plan.
    fn recount(&self) {
        self.inner.polling_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// A new server's first poll: within the configured interval, at a place its add order
    /// picks (`first_poll_offset`), so servers added together (every server at start-up)
    /// spread evenly instead of coming due at once or in random clumps. Not the planned
    /// round: before PRC's bucket is learned that rests on a guess, and queued polls are
    /// moved anyway when the plan changes (`adopt_base_interval`).
    fn first_poll_delay(&self, seq: u64) -> Duration {
        self.inner.config.interval.mul_f64(first_poll_offset(seq))
    }

    /// `base` moved by up to ± the configured jitter fraction, never below `floor`.
    fn jittered(&self, floor: Duration, base: Duration) -> Duration {
        use rand::Rng;
        let fraction = self.inner.config.jitter;
        if !(fraction.is_finite() && fraction > 0.0) || base.is_zero() {
            return base.max(floor);
        }
        let fraction = fraction.min(1.0);
        let factor = lock(&self.inner.rng).gen_range(-fraction..=fraction);
        base.mul_f64(1.0 + factor).max(floor)
    }

    /// Poll a slot, record health, metrics and status, notify subscribers.
    async fn poll_slot(
        &self,
        slot: &Arc<Slot>,
        lag: Option<Duration>,
        with_bans: bool,
    ) -> Result<PollReport, TrackerError> {
        let inner = &self.inner;
        let mut state = slot.shared.poll.lock().await;
        {
            let mut health = lock(&slot.health);
            if let Some(status) = &health.stopped {
                return Err(TrackerError::Stopped {
                    guild: slot.server.guild,
                    label: slot.server.label.clone(),
                    status: status.clone(),
                });
            }
            health.polls += 1;
            if let Some(lag) = lag {
                let lag_ms = i64::try_from(lag.as_millis()).unwrap_or(i64::MAX);
                health.lag_ms = Some(lag_ms);
                inner.lateness.record_ms(lag_ms);
            }
        }
        let result = poll::poll(
            &inner.store,
            &inner.config,
            &slot.server,
            &mut state,
            with_bans,
        )
        .await;
        let polled = match (&result, state.world()) {
            (Ok(report), Some(world)) => {
                *lock(&slot.shared.latest) = Some(Arc::clone(&world));
                Some(Arc::new(PolledServer {
                    guild: slot.server.guild,
                    label: slot.server.label.clone(),
                    world,
                    extras: Arc::clone(&report.extras),
                    polled_at: report.polled_at,
                    prc_offline: report.prc_offline,
                }))
            }
            _ => None,
        };
        drop(state);
        if let Some(polled) = polled {
            *lock(&slot.shared.polled) = Some(Arc::clone(&polled));
            let _ = self.inner.changes.send(ServerChange::Polled(polled));
        }
        self.learn_bucket(slot);
        let status = match &result {
            Ok(report) => {
                self.record_success(slot, report);
                Some(if report.online {
                    ServerStatus::Ok
                } else {
                    ServerStatus::Offline
                })
            }
            Err(TrackerError::Api(error)) => Some(self.record_api_error(slot, error)),
            Err(TrackerError::Store(error)) => {
                self.record_store_error(slot, error);
                None
            }
            Err(TrackerError::Encode(error)) => {
                self.record_store_error(slot, error);
                None
            }
            Err(_) => None,
        };
        if let Some(status) = status {
            self.store_status(slot, status);
        }
        result
    }

    fn record_success(&self, slot: &Slot, report: &PollReport) {
        let inner = &self.inner;
        inner
            .metrics
            .poll_ok(report.events.len(), report.gap, report.bans_read);
        if let Some(error) = &report.bans_error {
            inner.metrics.api_error(error);
        }
        {
            let mut health = lock(&slot.health);
            health.last_poll_ms = Some(inner.store.clock().now_ms());
            health.consecutive_errors = 0;
            health.last_error = None;
            health.offline_streak = if report.prc_offline {
                health.offline_streak.saturating_add(1)
            } else {
                0
            };
        }
        if !report.events.is_empty() {
            let count = report.events.len() as u64;
            inner.events_tx.send_modify(|total| *total += count);
        }
    }

    /// A poll whose results could not be stored: counted; polling retries by itself.
    fn record_store_error(&self, slot: &Slot, error: &dyn std::fmt::Display) {
        self.inner.metrics.store_error();
        let mut health = lock(&slot.health);
        health.consecutive_errors += 1;
        health.last_error = Some(PollFailure::from_store(error));
    }

    /// Count the error and decide: stop (unusable key) or retry later. Returns the status.
    fn record_api_error(&self, slot: &Slot, error: &crate::erlc::ErlcError) -> ServerStatus {
        self.inner.metrics.api_error(error);
        let mut health = lock(&slot.health);
        health.consecutive_errors = health.consecutive_errors.saturating_add(1);
        health.last_error = Some(PollFailure::from_api(error));
        match verdict(error) {
            Verdict::Stop(status) => {
                tracing::warn!(
                    guild = slot.server.guild,
                    label = %slot.server.label,
                    key = %slot.server.handle.fingerprint(),
                    status = %status.describe(),
                    "stopped polling a server until its key is fixed"
                );
                health.stopped = Some(status.clone());
                self.recount();
                status
            }
            Verdict::Retry(status) => status,
        }
    }

    /// Write the status if it changed. A server the settings do not know (tests, servers
    /// being removed) has nothing to update.
    fn store_status(&self, slot: &Slot, status: ServerStatus) {
        let mut health = lock(&slot.health);
        if health.stored_status.as_ref() == Some(&status) {
            return;
        }
        let settings = self.inner.store.settings();
        match settings.set_server_status(slot.server.guild, &slot.server.label, status.clone()) {
            Ok(_) => health.stored_status = Some(status),
            Err(StoreError::NotFound(_)) => health.stored_status = Some(status),
            Err(e) => tracing::warn!(
                guild = slot.server.guild,
                label = %slot.server.label,
                error = %e,
                "could not store the server's status"
            ),
        }
    }

    fn learn_bucket(&self, slot: &Slot) {
        let Some(bucket) = slot.server.handle.read_headroom() else {
            return;
        };
        let now_ms = slot.server.handle.clock().now_ms();
        let mut learned = lock(&self.inner.learned);
        learned.window.observe(now_ms, &bucket);
        learned.bucket = Some(bucket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ban_reads_fall_in_every_round_evenly() {
        // 100 servers reading bans every 4 polls: each round, a quarter of them.
        for round in 0..8 {
            let reading = (1..=100u64)
                .filter(|seq| bans_phase(round, *seq, 4))
                .count();
            assert_eq!(reading, 25, "round {round}");
        }
        // Each server reads them every 4th poll.
        let polls: Vec<u64> = (0..12).filter(|p| bans_phase(*p, 7, 4)).collect();
        assert_eq!(polls, [1, 5, 9]);
        assert!((0..5).all(|p| bans_phase(p, 3, 1)), "every poll");
        assert!((0..5).all(|p| bans_phase(p, 3, 0) == bans_phase(p, 3, 1)));
    }

    #[test]
    fn first_polls_of_servers_added_in_a_row_spread_evenly() {
        for servers in [10u64, 100, 1_000, 10_000] {
            let mut offsets: Vec<f64> = (1..=servers).map(first_poll_offset).collect();
            assert!(offsets.iter().all(|o| (0.0..1.0).contains(o)));
            offsets.sort_by(f64::total_cmp);
            offsets.push(offsets[0] + 1.0);
            let widest = offsets
                .windows(2)
                .map(|pair| pair[1] - pair[0])
                .fold(0.0, f64::max);
            // Random offsets leave gaps of about ln(n)/n; these stay under 3/n.
            assert!(widest < 3.0 / servers as f64, "{servers}: {widest}");
        }
    }
}
