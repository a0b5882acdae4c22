//! Tracker settings and the description of one tracked server.

use std::time::Duration;

use crate::erlc::ServerHandle;
use crate::erlc::models::Include;

use super::planner::RateBudget;

/// How the tracker polls. Every field has a sensible default.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    /// Time between two polls of one server when the budget allows. Default 15 s.
    pub interval: Duration,
    /// An empty (but reachable) server is polled this many times less often. Default 2.
    pub empty_factor: u32,
    /// Cap of the exponential backoff for offline or failing servers. Default 5 min.
    pub max_backoff: Duration,
    /// Each wait is moved by up to this fraction of itself, at random, so polls do not bunch.
    /// Default 0.1.
    pub jitter: f64,
    /// Seed for the jitter; `None` seeds from the OS. Tests set it.
    pub seed: Option<u64>,
    /// Read bucket assumed until the client has learned PRC's. Default 35 per 10 s.
    pub assumed_budget: RateBudget,
    /// Share of the read bucket the tracker may use; the rest is left to commands and panels.
    /// Default 0.8.
    pub budget_share: f64,
    /// Servers that want ban events have their bans read every this many polls. Default 4.
    pub bans_every: u32,
    /// How long a handled log row stays in the dedupe set; longer than PRC keeps rows.
    /// Default 24 h.
    pub dedupe_ttl: Duration,
    /// Polls in flight at once. Default 32.
    pub max_in_flight: usize,
    /// Sections every poll asks for beyond what the feeds need, in the same one request (the
    /// live state stream wants the queue, vehicles and 911 calls). They become events only
    /// where a feed asks for them. Default none.
    pub extra_include: Include,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15),
            empty_factor: 2,
            max_backoff: Duration::from_secs(300),
            jitter: 0.1,
            seed: None,
            assumed_budget: RateBudget {
                limit: 35,
                window: Duration::from_secs(10),
            },
            budget_share: 0.8,
            bans_every: 4,
            dedupe_ttl: Duration::from_secs(24 * 60 * 60),
            max_in_flight: 32,
            extra_include: Include::none(),
        }
    }
}

/// One ER:LC server to track, as a guild named it.
#[derive(Debug, Clone)]
pub struct TrackedServer {
    /// Discord guild id that owns the server.
    pub guild: u64,
    /// The guild's label: the first segment of every event type from this server.
    pub label: String,
    /// The client's handle for the server (its key, its rate-limit buckets).
    pub handle: ServerHandle,
    /// Sections of `GET /v2/server` the guild's feeds need: the snapshot sections among them
    /// become events. Every poll also reads
    /// [`ALWAYS_READ`](crate::tracker::sections::ALWAYS_READ).
    pub include: Include,
    /// Read `GET /v1/server/bans` (at a slower cadence) for `ban/*` events.
    pub want_bans: bool,
}
