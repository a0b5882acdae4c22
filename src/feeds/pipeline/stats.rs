//! Counters of the feed pipeline, for metrics and the benchmark: events routed, messages
//! queued, deliveries, failures, parked messages and feed lag (from when the store recorded
//! an event to when its message reached the sink).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::latency::{LatencyHistogram, LatencySnapshot};

/// Live counters; cheap to update from any task.
#[derive(Debug, Default)]
pub struct PipelineStats {
    events_routed: AtomicU64,
    messages_queued: AtomicU64,
    created: AtomicU64,
    edited: AtomicU64,
    failed_attempts: AtomicU64,
    parked: AtomicU64,
    last_lag_ms: AtomicI64,
    max_lag_ms: AtomicI64,
    lag_total_ms: AtomicI64,
    lag_samples: AtomicU64,
    lag: LatencyHistogram,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Messages waiting in the outbox (pending, not parked).
    pub outbox_depth: u64,
    /// Stored events read and matched against the feeds of their guild.
    pub events_routed: u64,
    /// Messages put into the outbox.
    pub messages_queued: u64,
    /// Messages posted (including updates posted anew because their card was missing).
    pub created: u64,
    /// Messages edited in place.
    pub edited: u64,
    /// Attempts that failed and will be retried.
    pub failed_attempts: u64,
    /// Messages the sink refused for good.
    pub parked: u64,
    /// Feed lag of the latest delivery, in milliseconds.
    pub last_lag_ms: Option<i64>,
    /// Largest feed lag since start, in milliseconds; `None` before the first delivery.
    pub max_lag_ms: Option<i64>,
    /// Mean feed lag since start, in milliseconds; `None` before the first delivery.
    pub mean_lag_ms: Option<i64>,
}

impl StatsSnapshot {
    /// Messages that reached the sink, created or edited.
    pub fn delivered(&self) -> u64 {
        self.created + self.edited
    }
}

impl PipelineStats {
    pub(crate) fn add_routed(&self, events: usize) {
        self.events_routed
            .fetch_add(events as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_queued(&self, messages: usize) {
        self.messages_queued
            .fetch_add(messages as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_created(&self) {
        self.created.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_edited(&self) {
        self.edited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_failed_attempt(&self) {
        self.failed_attempts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_parked(&self) {
        self.parked.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_lag(&self, lag_ms: i64) {
        let lag_ms = lag_ms.max(0);
        self.last_lag_ms.store(lag_ms, Ordering::Relaxed);
        self.max_lag_ms.fetch_max(lag_ms, Ordering::Relaxed);
        self.lag_total_ms.fetch_add(lag_ms, Ordering::Relaxed);
        self.lag_samples.fetch_add(1, Ordering::Relaxed);
        self.lag.record_ms(lag_ms);
    }

    /// Every feed lag since start (event stored → message at the sink), for percentiles.
    pub fn lag_histogram(&self) -> LatencySnapshot {
        self.lag.snapshot()
    }

    /// The counters now, with `outbox_depth` read by the caller.
    pub fn snapshot(&self, outbox_depth: u64) -> StatsSnapshot {
        let samples = self.lag_samples.load(Ordering::Relaxed);
        let sampled = |value: i64| (samples > 0).then_some(value);
        StatsSnapshot {
            outbox_depth,
            events_routed: self.events_routed.load(Ordering::Relaxed),
            messages_queued: self.messages_queued.load(Ordering::Relaxed),
            created: self.created.load(Ordering::Relaxed),
            edited: self.edited.load(Ordering::Relaxed),
            failed_attempts: self.failed_attempts.load(Ordering::Relaxed),
            parked: self.parked.load(Ordering::Relaxed),
            last_lag_ms: sampled(self.last_lag_ms.load(Ordering::Relaxed)),
            max_lag_ms: sampled(self.max_lag_ms.load(Ordering::Relaxed)),
            mean_lag_ms: sampled(self.lag_total_ms.load(Ordering::Relaxed) / samples.max(1) as i64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_summarised_only_once_sampled() {
        let stats = PipelineStats::default();
        assert_eq!(stats.snapshot(3).mean_lag_ms, None);
        assert_eq!(stats.snapshot(3).outbox_depth, 3);
        stats.record_lag(100);
        stats.record_lag(300);
        stats.record_lag(-5);
        stats.add_created();
        stats.add_edited();
        let snapshot = stats.snapshot(0);
        assert_eq!(snapshot.last_lag_ms, Some(0));
        assert_eq!(snapshot.max_lag_ms, Some(300));
        assert_eq!(snapshot.mean_lag_ms, Some(133));
        assert_eq!(snapshot.delivered(), 2);
        let lags = stats.lag_histogram();
        assert_eq!((lags.count(), lags.sum_ms()), (3, 400));
        assert_eq!(lags.max_ms(), Some(300));
    }
}
