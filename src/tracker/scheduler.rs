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
/// How often expired dedupe keys are swept, and how many per batch.
const SWEEP_EVERY: Duration = Duration::from_secs(600);
const SWEEP_BATCH: usize = 1_000;

impl Tracker {
    /// Poll every tracked server until `shutdown` completes; polls in flight then finish.
    /// Run it once (spawn `tracker.clone().run(..)`); servers may be added and removed
    /// while it runs.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let config = &self.inner.config;
        let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        let mut tasks = JoinSet::new();
        let (stop_sweeper, sweeper_stopped) = tokio::sync::watch::channel(false);
        tasks.spawn(self.clone().sweep_dedupe(sweeper_stopped));
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
        let _ = stop_sweeper.send(true);
        while tasks.join_next().await.is_some() {}
    }

    /// Drop expired dedupe keys now and then, in small batches, until told to stop.
    async fn sweep_dedupe(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(SWEEP_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = ticks.tick() => {}
            }
            loop {
                match self.inner.store.dedupe().sweep_expired(SWEEP_BATCH) {
                    Ok(0) => break,
                    Ok(_) => tokio::task::yield_now().await,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not sweep expired dedupe keys");
                        break;
                    }
                }
            }
        }
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
        let plan = self.plan();
        let base = config.interval.max(plan.interval);
        self.adopt_base_interval(base);
        let delay = match result {
            Ok(report) if report.prc_offline => backoff(base, offline_streak, config.max_backoff),
            Ok(report) if !report.online => base
                .saturating_mul(config.empty_factor.max(1))
                .min(config.max_backoff.max(base)),
            Ok(_) => base,
            Err(_) => backoff(base, errors, config.max_backoff),
        };
        let delay = self.jittered(plan.spacing, delay);
        self.schedule(slot, delay);
    }
}

impl Tracker {
    /// When the planned interval changes a lot (the real bucket was learned, or servers came
    /// or went), move every queued poll by the same factor, so polls planned under the old
    /// assumption neither wait far too long nor all come due at once.
    fn adopt_base_interval(&self, base: Duration) {
        let old = {
            let mut current = lock(&self.inner.base_interval);
            let old = *current;
            let ratio = base.as_secs_f64() / old.as_secs_f64().max(f64::MIN_POSITIVE);
            if (1.0 / RESCALE_AT..=RESCALE_AT).contains(&ratio) {
                return;
            }
            *current = base;
            old
        };
        let ratio = base.as_secs_f64() / old.as_secs_f64().max(f64::MIN_POSITIVE);
        let now = Instant::now();
        let entries: Vec<_> = std::mem::take(&mut lock(&self.inner.queue).0)
            .into_iter()
            .map(|(due, seq, id)| {
                let wait = due.saturating_duration_since(now).mul_f64(ratio);
                (now + wait, seq, id)
            })
            .collect();
        for (due, seq, id) in &entries {
            if let Some(slot) = lock(&self.inner.servers).get(id).filter(|s| s.seq == *seq) {
                lock(&slot.health).next_due = Some(*due);
            }
        }
        lock(&self.inner.queue).0.extend(entries);
        self.inner.wake.notify_one();
    }
}

/// The planned interval must change by more than this factor to move queued polls.
const RESCALE_AT: f64 = 1.25;

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
