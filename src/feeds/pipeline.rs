//! The feed pipeline: stored events → routes → batches → outbox → sink. Routing reads each
//! server's events after its persisted cursor, batches the cards, and queues every planned
//! message together with the cursor move in one atomic store change; a delivery worker then
//! posts or edits them through the [`Sink`], retrying with backoff. A crash at any point
//! leaves either nothing of a batch or all of it queued, and queued messages carry nonces, so
//! every event reaches each subscribed channel once.

mod routing;
mod stats;

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::batch::{BatchConfig, Packing, PlannedMessage};
use super::deliver::DeliveryRetry;
use super::route::{FeedRoute, FeedRouter, RouteFilters};
use super::sink::Sink;
use crate::store::{FeedSubscription, Store, StoreError};

pub use stats::{PipelineStats, StatsSnapshot};

/// Pipeline settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// How long cards wait for company before their message is released.
    pub batch: BatchConfig,
    /// How a channel's batched cards are laid out in messages.
    pub packing: Packing,
    /// Events read per server per store read.
    pub read_page: usize,
    /// Cards held in batches before they are queued early (bounds memory and redo work).
    /// Batches hold up to `batch.max_delay_ms` of every channel's cards, so this must exceed
    /// that much of the busiest traffic, or batches are cut short and packing is lost.
    pub max_held_cards: usize,
    /// Due outbox entries taken per delivery round.
    pub delivery_scan: usize,
    /// Channels delivered to at the same time.
    pub delivery_concurrency: usize,
    /// Backoff between attempts at a message whose delivery failed.
    pub retry: DeliveryRetry,
    /// Look for stored events and due retries at least this often, even without a wake-up.
    pub recheck_interval: Duration,
    /// On shutdown, keep delivering queued messages for at most this long.
    pub drain_timeout: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            batch: BatchConfig::default(),
            packing: Packing::default(),
            read_page: 500,
            max_held_cards: 20_000,
            delivery_scan: 500,
            delivery_concurrency: 8,
            retry: DeliveryRetry::default(),
            recheck_interval: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// What stops the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Reading events or cursors, or writing the outbox, failed in the store.
    #[error("feed pipeline store error: {0}")]
    Store(#[from] StoreError),
    /// A planned message could not be serialised into its outbox entry.
    #[error("a planned feed message could not be encoded for the outbox: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Routes stored events to feed channels and delivers them. Share it in an `Arc`: call
/// [`FeedPipeline::run`] once, and [`FeedPipeline::reload_routes`] after feeds change.
pub struct FeedPipeline {
    pub(super) store: Store,
    pub(super) sink: Arc<dyn Sink>,
    pub(super) config: PipelineConfig,
    pub(super) router: RwLock<FeedRouter>,
    pub(super) stats: Arc<PipelineStats>,
    /// Rung when messages were queued or routes changed.
    pub(super) delivery_wake: Notify,
    pub(super) routes_changed: Notify,
}

impl std::fmt::Debug for FeedPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedPipeline")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A stored subscription as a route.
pub fn route_of(subscription: FeedSubscription) -> FeedRoute {
    FeedRoute {
        channel_id: subscription.channel_id,
        patterns: subscription.patterns,
        filters: RouteFilters {
            teams: subscription.filters.teams,
            players: subscription.filters.players,
        },
        added_at_ms: subscription.added_at_ms,
    }
}

impl FeedPipeline {
    /// A pipeline over `store`'s events and outbox, delivering to `sink`, with the feed
    /// subscriptions stored now.
    pub fn new(
        store: Store,
        sink: Arc<dyn Sink>,
        config: PipelineConfig,
    ) -> Result<Self, PipelineError> {
        let pipeline = Self {
            store,
            sink,
            config,
            router: RwLock::new(FeedRouter::new()),
            stats: Arc::new(PipelineStats::default()),
            delivery_wake: Notify::new(),
            routes_changed: Notify::new(),
        };
        pipeline.reload_routes()?;
        Ok(pipeline)
    }

    /// Rebuild the routing index from the stored subscriptions (after `/feed add` or
    /// `/feed remove`). Events already routed keep their channels.
    pub fn reload_routes(&self) -> Result<(), PipelineError> {
        let mut by_guild: std::collections::BTreeMap<u64, Vec<FeedRoute>> = Default::default();
        for (guild, subscription) in self.store.settings().all_feed_subscriptions()? {
            by_guild
                .entry(guild)
                .or_default()
                .push(route_of(subscription));
        }
        let mut router = FeedRouter::new();
        for (guild, routes) in by_guild {
            router.set_guild_routes(guild, routes);
        }
        *self.router.write().unwrap_or_else(|p| p.into_inner()) = router;
        self.routes_changed.notify_one();
        Ok(())
    }

    /// Counters for metrics.
    pub fn stats(&self) -> Arc<PipelineStats> {
        self.stats.clone()
    }

    /// The counters with the outbox depth read now.
    pub fn snapshot(&self) -> Result<StatsSnapshot, PipelineError> {
        Ok(self.stats.snapshot(self.store.outbox().depth()?))
    }

    /// Route and deliver until `shutdown` completes. `wake` is bumped by whoever stores
    /// events (the tracker, webhooks) after they are stored; without it the pipeline still
    /// looks every `recheck_interval`. On shutdown, held batches are queued and queued
    /// messages delivered for up to `drain_timeout`. Returns the first store error that
    /// stopped it (after draining what it could).
    pub async fn run(
        &self,
        wake: watch::Receiver<u64>,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), PipelineError> {
        let (stopping_tx, stopping) = watch::channel(false);
        let routing = async {
            let result = self.route_until(wake, shutdown).await;
            let _ = stopping_tx.send(true);
            self.delivery_wake.notify_one();
            result
        };
        let (routed, delivered) = tokio::join!(routing, self.deliver_until(stopping));
        routed.and(delivered)
    }

    fn router(&self) -> std::sync::RwLockReadGuard<'_, FeedRouter> {
        self.router.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// The outbox entry for a planned message: destination is the channel id, payload the
/// message itself, and edits name the card they replace.
pub fn outbox_entry(
    planned: &PlannedMessage,
) -> Result<crate::store::OutboxEntry, serde_json::Error> {
    Ok(crate::store::OutboxEntry {
        idempotency_key: planned.idempotency_key.clone(),
        destination: planned.channel_id.to_string(),
        payload: serde_json::value::to_raw_value(planned)?,
        edit_of: planned.edit.as_ref().map(|e| e.card_key.clone()),
    })
}
