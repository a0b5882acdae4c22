//! `HttpState`: what the HTTP server's handlers share, built by the app (or a test) and
//! cloned into axum.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::SharedClock;
use crate::custom_commands::{CommandRouter, ServerHandles};
use crate::erlc::{WebhookKeyError, WebhookVerifier};
use crate::store::Store;

use super::live::{LiveEndpoint, LiveMetricsSource};
use super::metrics::{MetricsSource, TrackerMetricsSource, WebhookCounters};
use crate::tracker::Tracker;

/// Unix seconds of the tracker's last completed poll, `None` before the first one.
pub type LastPoll = Arc<dyn Fn() -> Option<i64> + Send + Sync>;

/// Everything the handlers need. Fields are public so the wiring can fill in what it has.
#[derive(Clone)]
pub struct HttpState {
    /// Finds the server a webhook token belongs to; keeps the inbox of unfinished batches, the
    /// set of deliveries already seen and the events themselves.
    pub store: Store,
    /// Checks PRC's signature and the timestamp window.
    pub verifier: WebhookVerifier,
    /// Time for the signature window and the dedupe set (the store's clock by default).
    pub clock: SharedClock,
    /// Wakes the feed pipeline: the value grows (wrapping) by the number of events stored,
    /// as the tracker's `subscribe_new_events` channel does.
    pub wake: watch::Sender<u64>,
    /// Handles `CustomCommand` events; without it they are only stored.
    pub commands: Option<Arc<CommandRouter>>,
    /// Reads player names for 911 calls that arrive by webhook (ids only otherwise).
    pub handles: Option<Arc<dyn ServerHandles>>,
    /// Extra `/metrics` sources (client stats, outbox, tracker).
    pub metrics: Vec<Arc<dyn MetricsSource>>,
    /// Tracker's last poll, for `/healthz`.
    pub last_poll: Option<LastPoll>,
    /// Poll interval; a last poll older than three of these (plus 30 s) reads as degraded.
    pub poll_interval: Duration,
    /// The endpoint's own counters, shared with `/metrics`.
    pub counters: Arc<WebhookCounters>,
    /// The live state stream at `/live`; `None` when it is off (no `LIVE_JWT_SECRET`).
    pub live: Option<Arc<LiveEndpoint>>,
}

impl std::fmt::Debug for HttpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpState")
            .field(
                "verifier_key",
                &hex::encode(self.verifier.public_key_bytes()),
            )
            .field("commands", &self.commands.is_some())
            .field("handles", &self.handles.is_some())
            .field("metrics_sources", &self.metrics.len())
            .field("last_poll", &self.last_poll.is_some())
            .field("live", &self.live.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpState {
    /// A state with only what every deployment has; add the rest with the `with_*` methods.
    pub fn new(store: Store, verifier: WebhookVerifier, wake: watch::Sender<u64>) -> Self {
        Self {
            clock: store.clock().clone(),
            store,
            verifier,
            wake,
            commands: None,
            handles: None,
            metrics: Vec::new(),
            last_poll: None,
            poll_interval: Duration::from_secs(15),
            counters: Arc::new(WebhookCounters::default()),
            live: None,
        }
    }

    /// Serve the live state stream at `/live`, with its counters in `/metrics`.
    pub fn with_live(mut self, live: LiveEndpoint) -> Self {
        let live = Arc::new(live);
        self.live = Some(Arc::clone(&live));
        self.with_metrics(Arc::new(LiveMetricsSource(live)))
    }

    /// Handle `CustomCommand` events with `router` (custom `;` commands).
    pub fn with_commands(mut self, router: Arc<CommandRouter>) -> Self {
        self.commands = Some(router);
        self
    }

    /// Let webhook 911 calls be completed with player names read through `handles`.
    pub fn with_handles(mut self, handles: Arc<dyn ServerHandles>) -> Self {
        self.handles = Some(handles);
        self
    }

    /// Add `source` to `/metrics`.
    pub fn with_metrics(mut self, source: Arc<dyn MetricsSource>) -> Self {
        self.metrics.push(source);
        self
    }

    /// Report `last_poll` in `/healthz`, judged against `poll_interval`.
    pub fn with_last_poll(mut self, last_poll: LastPoll, poll_interval: Duration) -> Self {
        self.last_poll = Some(last_poll);
        self.poll_interval = poll_interval;
        self
    }

    /// The tracker's counters in `/metrics` and its stalest server's last poll in `/healthz`.
    pub fn with_tracker(self, tracker: Tracker, poll_interval: Duration) -> Self {
        let source = TrackerMetricsSource(tracker.clone());
        self.with_metrics(Arc::new(source))
            .with_last_poll(tracker_last_poll(tracker), poll_interval)
    }
}

/// Unix seconds of the oldest "last successful poll" among the servers being polled: the
/// stalest server decides whether the bot is healthy. `None` until every one has polled.
pub fn tracker_last_poll(tracker: Tracker) -> LastPoll {
    Arc::new(move || {
        let polling: Vec<_> = tracker.health().into_iter().filter(|s| s.polling).collect();
        if polling.is_empty() {
            return None;
        }
        polling
            .iter()
            .map(|s| s.last_poll_ms)
            .collect::<Option<Vec<i64>>>()
            .and_then(|times| times.into_iter().min())
            .map(|ms| ms.div_euclid(1000))
    })
}

/// The webhook verifier: the key from `PRC_WEBHOOK_PUBLIC_KEY` (base64 SPKI) when set, else
/// PRC's key.
pub fn webhook_verifier(public_key: Option<&str>) -> Result<WebhookVerifier, WebhookKeyError> {
    match public_key {
        Some(spki) => WebhookVerifier::from_spki_base64(spki),
        None => Ok(WebhookVerifier::prc_default()),
    }
}
