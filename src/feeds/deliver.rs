//! Delivery: take queued messages from the outbox and post or edit them through the sink.
//! Each channel's messages go out in queue order (a failing message holds back the ones after
//! it, so a card is never edited before it is posted); channels are served concurrently.
//! Retryable failures wait with exponential backoff and jitter, at least as long as the
//! destination asked; messages refused for good are parked with the reason, once.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use rand::Rng;
use tokio::sync::watch;

use super::batch::{PlannedMessage, nonce_for};
use super::pipeline::{FeedPipeline, PipelineError};
use super::sink::SinkError;
use crate::store::{DeliveryState, PendingDelivery};

/// When to try a failed delivery again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRetry {
    /// Wait after the first failure; doubles with every further one.
    pub base: Duration,
    /// Longest wait between attempts.
    pub max: Duration,
}

impl Default for DeliveryRetry {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(300),
        }
    }
}

impl DeliveryRetry {
    /// The wait after the failure that follows `failed_before` earlier failures: between half
    /// and all of `base × 2^failed_before` (capped at `max`), and never less than the
    /// destination's `retry_after`. `unit` is a random number in [0, 1).
    pub fn delay(&self, failed_before: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let exponential = self
            .base
            .saturating_mul(1u32 << failed_before.min(20))
            .min(self.max);
        let jittered = exponential.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0));
        jittered.max(retry_after.unwrap_or_default())
    }
}

/// What became of one message.
enum DeliveryOutcome {
    /// The entry is finished with: delivered, or parked for good (e.g. unreadable).
    Done,
    /// Not delivered now; the channel waits for a later round.
    Later,
}

/// Pause after a store error before delivering again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

impl FeedPipeline {
    /// Deliver until `stopping` turns true and then for up to `drain_timeout` more, while
    /// anything is due.
    pub(super) async fn deliver_until(
        &self,
        mut stopping: watch::Receiver<bool>,
    ) -> Result<(), PipelineError> {
        let mut drain_deadline: Option<tokio::time::Instant> = None;
        let mut last_error = None;
        loop {
            if drain_deadline.is_none() && *stopping.borrow() {
                drain_deadline = Some(tokio::time::Instant::now() + self.config.drain_timeout);
            }
            let round = self.deliver_round().await;
            let (progressed, pause) = match round {
                Ok(round) => round,
                Err(error) => {
                    tracing::error!(%error, "feed delivery failed; retrying");
                    last_error = Some(error);
                    (false, ERROR_PAUSE)
                }
            };
            if let Some(deadline) = drain_deadline {
                let done = !progressed && self.store.outbox().due(1)?.is_empty();
                if done || tokio::time::Instant::now() >= deadline {
                    return last_error.map_or(Ok(()), Err);
                }
            }
            if progressed {
                continue;
            }
            tokio::select! {
                () = self.delivery_wake.notified() => {}
                _ = stopping.changed(), if drain_deadline.is_none() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Deliver the due messages at the head of every channel's queue. Returns whether any
    /// message was delivered or parked, and how long until the earliest one held back is due.
    async fn deliver_round(&self) -> Result<(bool, Duration), PipelineError> {
        let ready = self
            .store
            .outbox()
            .due_in_order(self.config.delivery_scan)?;
        let now = self.store.clock().now_ms();
        let earliest_wait = ready
            .next_retry_at_ms
            .map_or(self.config.recheck_interval, |at| {
                let wait = Duration::from_millis(u64::try_from(at - now).unwrap_or(0));
                wait.min(self.config.recheck_interval)
            });
        let mut order: Vec<String> = Vec::new();
        let mut lanes: HashMap<String, Vec<PendingDelivery>> = HashMap::new();
        for delivery in ready.due {
            let destination = delivery.entry.destination.clone();
            lanes
                .entry(destination.clone())
                .or_insert_with(|| {
                    order.push(destination);
                    Vec::new()
                })
                .push(delivery);
        }
        let lanes: Vec<Vec<PendingDelivery>> = order
            .into_iter()
            .filter_map(|destination| lanes.remove(&destination))
            .collect();
        let results: Vec<Result<usize, PipelineError>> = futures::stream::iter(lanes)
            .map(|lane| self.deliver_lane(lane))
            .buffer_unordered(self.config.delivery_concurrency.max(1))
            .collect()
            .await;
        let mut progressed = 0;
        for result in results {
            progressed += result?;
        }
        Ok((progressed > 0, earliest_wait))
    }

    /// One channel's due messages in order, stopping at the first one not delivered.
    async fn deliver_lane(&self, lane: Vec<PendingDelivery>) -> Result<usize, PipelineError> {
        let mut done = 0;
        for delivery in lane {
            match self.deliver_one(&delivery).await? {
                DeliveryOutcome::Done => done += 1,
                DeliveryOutcome::Later => break,
            }
        }
        Ok(done)
    }

    async fn deliver_one(
        &self,
        delivery: &PendingDelivery,
    ) -> Result<DeliveryOutcome, PipelineError> {
        let key = delivery.entry.idempotency_key.as_str();
        let outbox = self.store.outbox();
        let planned = match serde_json::from_str::<PlannedMessage>(delivery.entry.payload.get()) {
            Ok(planned) => planned,
            Err(error) => {
                let reason = format!("the queued message cannot be read ({error})");
                self.park(key, &reason)?;
                return Ok(DeliveryOutcome::Done);
            }
        };
        let channel = planned.channel_id;
        let card = match &planned.edit {
            Some(target) => Some((target.card_key.as_str(), outbox.state(&target.card_key)?)),
            None => None,
        };
        let result = match &card {
            Some((_, Some(DeliveryState::Pending))) => {
                // The card's own post is still queued; it goes first.
                return Ok(DeliveryOutcome::Later);
            }
            Some((_, Some(DeliveryState::Delivered { message_id }))) => self
                .sink
                .edit(channel, message_id, &planned.message)
                .await
                .map(|()| (message_id.clone(), false)),
            _ => self
                .sink
                .create(channel, &planned.message, &nonce_for(key))
                .await
                .map(|id| (id, true)),
        };
        match result {
            Ok((message_id, created)) => {
                match card {
                    Some((card_key, _)) if created => {
                        outbox.mark_delivered_as_card(key, &message_id, card_key)?;
                    }
                    _ => outbox.mark_delivered(key, message_id)?,
                }
                if created {
                    self.stats.add_created();
                } else {
                    self.stats.add_edited();
                }
                self.record_lag(&planned);
                Ok(DeliveryOutcome::Done)
            }
            Err(error) => self
                .failed(delivery, &error)
                .map(|()| DeliveryOutcome::Later),
        }
    }

    fn failed(&self, delivery: &PendingDelivery, error: &SinkError) -> Result<(), PipelineError> {
        let key = delivery.entry.idempotency_key.as_str();
        if !error.retryable {
            return self.park(key, &error.message);
        }
        let unit: f64 = rand::thread_rng().r#gen();
        let wait = self
            .config
            .retry
            .delay(delivery.attempts, error.retry_after, unit);
        let retry_at = self
            .store
            .clock()
            .now_ms()
            .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        tracing::debug!(
            destination = %delivery.entry.destination,
            attempts = delivery.attempts + 1,
            wait_ms = wait.as_millis() as u64,
            error = %error,
            "feed delivery failed; will retry"
        );
        self.stats.add_failed_attempt();
        self.store
            .outbox()
            .mark_attempt_failed(key, retry_at, &error.message)?;
        Ok(())
    }

    fn park(&self, key: &str, reason: &str) -> Result<(), PipelineError> {
        tracing::warn!(
            message = key,
            reason,
            "a feed message was refused for good and is parked; fix the channel, then requeue it"
        );
        self.stats.add_parked();
        self.store.outbox().park(key, reason)?;
        Ok(())
    }

    /// Lag from when the store recorded the message's first event until now.
    fn record_lag(&self, planned: &PlannedMessage) {
        if let Some(stored_at_ms) = planned.first_stored_at_ms {
            self.stats
                .record_lag(self.store.clock().now_ms() - stored_at_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let policy = DeliveryRetry {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(policy.delay(0, None, 0.0), Duration::from_millis(50));
        assert_eq!(policy.delay(0, None, 1.0), Duration::from_millis(100));
        assert_eq!(policy.delay(2, None, 1.0), Duration::from_millis(400));
        assert_eq!(policy.delay(3, None, 0.5), Duration::from_millis(600));
        assert_eq!(
            policy.delay(40, None, 1.0),
            Duration::from_secs(1),
            "capped"
        );
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(7)), 0.3),
            Duration::from_secs(7),
            "the destination's wait wins"
        );
        assert_eq!(policy.delay(1, None, 9.0), Duration::from_millis(200));
    }
}
