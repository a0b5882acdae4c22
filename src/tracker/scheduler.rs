//! The background loop: one central dispatcher takes the server whose poll is due first and
//! starts it, never sooner than the planner's spacing after the previous request, so polls
//! spread evenly over PRC's read window instead of bunching into 429s. After each poll the
//! server's next poll is scheduled: the planned interval, slower when the server is empty,
//! exponential backoff when it is offline or failing, all with jitter.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

use super::error::TrackerError;
use super::poll::PollReport;
use super::{ServerId, Slot, Tracker, lock};

/// Polls waiting for their time: (due, slot seq, server).
#[derive(Debug, Default)]
pub(super) struct DueQueue(BTreeSet<(Instant, u64, ServerId)>);

/// When nothing is queued the loop still wakes now and then to look again.
const IDLE_RECHECK: Duration = Duration::from_secs(60);

impl Tracker {
    /// Poll every tracked server until `shutdown` completes; polls in flight then finish.
    /// Run it once (spawn `tracker.clone().run(..)`); servers may be added and removed
    /// while it runs.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let config = &self.inner.config;
        let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        let mut tasks = JoinSet::new();
        // The earliest moment the next request may be sent.
        let mut next_send = Instant::now();
        loop {
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                _ = &mut shutdown => break,
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let woken = self.inner.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let head = lock(&self.inner.queue).0.first().map(|(due, _, _)| *due);
            let at = head.map_or(Instant::now() + IDLE_RECHECK, |due| due.max(next_send));
            tokio::select! {
                _ = &mut shutdown => break,
                _ = &mut woken => continue,
                _ = sleep_until(at) => {}
            }
            let Some((due, slot)) = self.pop_due(Instant::now()) else {
                continue;
            };
            let with_bans = slot.bans_due(config.bans_every);
            let now = Instant::now();
            let requests = if with_bans { 2 } else { 1 };
            next_send = now + self.plan().spacing * requests;
            let lag = now.saturating_duration_since(due);
            let tracker = self.clone();
            tasks.spawn(async move {
                let result = tracker.poll_slot(&slot, Some(lag), with_bans).await;
                tracker.reschedule(&slot, &result);
                drop(permit);
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// The first queued poll that is due, skipping entries of removed or replaced servers.
    fn pop_due(&self, now: Instant) -> Option<(Instant, Arc<Slot>)> {
        loop {
            let (due, seq, id) = {
                let mut queue = lock(&self.inner.queue);
                let first = queue.0.first()?.clone();
                if first.0 > now {
                    return None;
                }
                queue.0.remove(&first);
                first
            };
            let slot = lock(&self.inner.servers).get(&id).cloned();
            if let Some(slot) = slot.filter(|s| s.seq == seq) {
                return Some((due, slot));
            }
        }
    }

    /// Queue the slot's next poll `delay` from now.
    pub(super) fn schedule(&self, slot: &Slot, delay: Duration) {
        let due = Instant::now() + delay;
        lock(&slot.health).next_due = Some(due);
        lock(&self.inner.queue).0.insert((due, slot.seq, slot.id()));
        self.inner.wake.notify_one();
    }

    fn reschedule(&self, slot: &Slot, result: &Result<PollReport, TrackerError>) {
        let still_tracked = lock(&self.inner.servers)
            .get(&slot.id())
            .is_some_and(|current| current.seq == slot.seq);
        if !still_tracked {
            return;
        }
        let (stopped, errors, offline_streak) = {
            let health = lock(&slot.health);
            (
                health.stopped.is_some(),
                health.consecutive_errors,
                health.offline_streak,
            )
        };
        if stopped {
            lock(&slot.health).next_due = None;
            return;
        }
        let config = &self.inner.config;
        let base = config.interval.max(self.plan().interval);
        let delay = match result {
            Ok(report) if report.prc_offline => backoff(base, offline_streak, config.max_backoff),
            Ok(report) if !report.online => base
                .saturating_mul(config.empty_factor.max(1))
                .min(config.max_backoff.max(base)),
            Ok(_) => base,
            Err(_) => backoff(base, errors, config.max_backoff),
        };
        let delay = self.jittered(self.plan().spacing, delay);
        self.schedule(slot, delay);
    }
}

/// `base` doubled per failure in a row, capped (but never below `base`).
pub(super) fn backoff(base: Duration, failures: u32, cap: Duration) -> Duration {
    let factor = 1u32 << failures.min(16);
    base.saturating_mul(factor).min(cap.max(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::from_secs(15);
        let cap = Duration::from_secs(300);
        assert_eq!(backoff(base, 0, cap), base);
        assert_eq!(backoff(base, 1, cap), Duration::from_secs(30));
        assert_eq!(backoff(base, 3, cap), Duration::from_secs(120));
        assert_eq!(backoff(base, 5, cap), cap);
        assert_eq!(backoff(base, u32::MAX, cap), cap);
        assert_eq!(
            backoff(Duration::from_secs(600), 2, cap),
            Duration::from_secs(600)
        );
    }
}
