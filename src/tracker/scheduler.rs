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
            next_send = next_send_after(next_send, now, self.plan().spacing, requests);
            let lag = now.saturating_duration_since(due);
            let tracker = self.clone();
            tasks.spawn(async move {
                let result = tracker.poll_slot(&slot, Some(lag), with_bans).await;
                tracker.reschedule(&slot, now, &result);
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

    /// Queue the slot's next poll `delay` from now. The dispatcher is woken only when this
    /// poll comes before every other queued one: otherwise it already sleeps until an earlier
    /// one (waking it for every poll rescheduled was a wake-up per poll for nothing).
    pub(super) fn schedule(&self, slot: &Slot, delay: Duration) {
        let due = Instant::now() + delay;
        lock(&slot.health).next_due = Some(due);
        let first = {
            let mut queue = lock(&self.inner.queue);
            queue.0.insert((due, slot.seq, slot.id()));
            queue
                .0
                .first()
                .is_some_and(|(head, seq, _)| *head == due && *seq == slot.seq)
        };
        if first {
            self.inner.wake.notify_one();
        }
    }

    /// Queue the slot's next poll after the one `started` at: the wait counts from that start,
    /// not from the poll's end, so neither a poll's own time nor its lateness stretches the
    /// server's interval round after round (which had each server fall a little further behind
    /// its due polls every round).
    fn reschedule(&self, slot: &Slot, started: Instant, result: &Result<PollReport, TrackerError>) {
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
        let now = Instant::now();
        let due = next_due(started, now, delay, plan.spacing);
        self.schedule(slot, due.saturating_duration_since(now));
    }
}

/// Where the schedule stands: whether start-up is over (every server polled a few times under
/// the plan for PRC's real bucket) and whether polls are waiting past their time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScheduleStatus {
    /// Servers being polled (not stopped for an unusable key).
    pub polling: usize,
    /// The fewest polls any of them has started (0 while one still waits for its first).
    pub fewest_polls: u64,
    /// The most any queued poll would start after its time if the dispatcher sent the queue
    /// from now at the plan's pace: zero when the queued polls are spread at least one
    /// spacing apart, more when they are bunched or a backlog is waiting.
    pub backlog: Duration,
    /// The plan rests on PRC's read bucket as learned (its limit and window), not on the
    /// configured assumption.
    pub bucket_learned: bool,
}

impl Tracker {
    /// Where the schedule stands now. Walks every tracked server: for an occasional look
    /// (a benchmark's warm-up, a status page), not for every poll.
    pub fn schedule_status(&self) -> ScheduleStatus {
        let slots: Vec<Arc<Slot>> = lock(&self.inner.servers).values().cloned().collect();
        let mut status = ScheduleStatus::default();
        let mut fewest = None::<u64>;
        for slot in &slots {
            let health = lock(&slot.health);
            if health.stopped.is_none() {
                status.polling += 1;
                fewest = Some(fewest.map_or(health.polls, |f| f.min(health.polls)));
            }
        }
        status.fewest_polls = fewest.unwrap_or(0);
        let plan = self.plan();
        // The average poll's requests: ban reads make some polls two.
        let per_poll = plan
            .spacing
            .mul_f64(plan.requests_per_round as f64 / status.polling.max(1) as f64);
        let queue = lock(&self.inner.queue);
        status.backlog = backlog(
            queue.0.iter().map(|(due, _, _)| *due),
            Instant::now(),
            per_poll,
        );
        drop(queue);
        let learned = lock(&self.inner.learned);
        status.bucket_learned = learned.bucket.is_some() && learned.window.window().is_some();
        status
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

/// How far the pacing may fall behind the clock and still be caught up: the dispatcher wakes
/// a little after `next_send` (timer resolution, a busy machine), and counting the next gap
/// from the wake instead of from `next_send` lost that much every request, so at 10,000
/// servers (a 2 ms spacing) it sent far fewer requests than planned. The burst this allows is
/// at most this much time's worth of requests, well inside the share of the bucket the
/// planner leaves free.
const PACING_SLACK: Duration = Duration::from_millis(20);
/// ... and at least this many requests' worth of it.
const PACING_SLACK_REQUESTS: u32 = 2;

/// The earliest moment the request after one sent at `now` may go, when the one before was
/// allowed at `next_send` and this one takes `requests` requests of `spacing` each: one
/// spacing per request after `next_send`, so a late wake-up is made up, but never counting
/// from further back than the slack, so an idle stretch does not allow a burst.
pub(super) fn next_send_after(
    next_send: Instant,
    now: Instant,
    spacing: Duration,
    requests: u32,
) -> Instant {
    let slack = PACING_SLACK.max(spacing.saturating_mul(PACING_SLACK_REQUESTS));
    let from = now
        .checked_sub(slack)
        .map_or(now, |floor| next_send.max(floor));
    from + spacing.saturating_mul(requests)
}

/// The most any of `dues` (in order) would start after its time if one were sent every `gap`
/// from `now` on, and none before its time.
pub(super) fn backlog(
    dues: impl Iterator<Item = Instant>,
    now: Instant,
    gap: Duration,
) -> Duration {
    let mut free = now;
    let mut worst = Duration::ZERO;
    for due in dues {
        let start = free.max(due);
        worst = worst.max(start.saturating_duration_since(due));
        free = start + gap;
    }
    worst
}

/// When the poll after one that `started` and ended at `finished` is due: `delay` after the
/// start, but never less than `floor` after the end (a poll that took longer than the interval
/// is not followed at once by the next).
pub(super) fn next_due(
    started: Instant,
    finished: Instant,
    delay: Duration,
    floor: Duration,
) -> Instant {
    (started + delay).max(finished + floor)
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

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pacing_makes_up_a_late_wake_but_allows_no_burst_after_idling() {
        let t0 = Instant::now() + Duration::from_secs(100);
        let spacing = 2 * MS;
        // Woken 1 ms after the allowed moment: the next request is due one spacing after that
        // moment, not after the wake-up.
        assert_eq!(next_send_after(t0, t0 + MS, spacing, 1), t0 + spacing);
        // A poll with bans takes two requests' time.
        assert_eq!(next_send_after(t0, t0, spacing, 2), t0 + 2 * spacing);
        // After an idle second the debt counted is at most the slack (20 ms here).
        let later = t0 + Duration::from_secs(1);
        assert_eq!(
            next_send_after(t0, later, spacing, 1),
            later - PACING_SLACK + spacing
        );
        // With a long spacing the slack is two requests' worth.
        let slow = Duration::from_millis(357);
        assert_eq!(next_send_after(t0, later, slow, 1), later - slow * 2 + slow);
        // Never more requests in a stretch than its length allows, plus the slack's worth.
        let mut next = t0;
        let mut now = t0;
        let mut sent = 0u32;
        while now < t0 + Duration::from_secs(1) {
            now = now.max(next) + MS / 2;
            next = next_send_after(next, now, spacing, 1);
            sent += 1;
        }
        assert!((500..=511).contains(&sent), "{sent}");
    }

    #[test]
    fn the_next_poll_counts_from_the_start_of_the_last() {
        let start = Instant::now() + Duration::from_secs(100);
        let interval = Duration::from_secs(30);
        let floor = Duration::from_millis(200);
        // A poll that took 80 ms after starting 2 s late: due one interval after its start.
        assert_eq!(
            next_due(start, start + 80 * MS, interval, floor),
            start + interval
        );
        // One that took longer than the interval is followed no sooner than the floor.
        let end = start + Duration::from_secs(40);
        assert_eq!(next_due(start, end, interval, floor), end + floor);
    }

    #[test]
    fn backlog_is_how_late_a_paced_dispatcher_would_start_the_queue() {
        let now = Instant::now() + Duration::from_secs(100);
        let gap = 10 * MS;
        let spread = (0..5).map(|i| now + gap * i);
        assert_eq!(backlog(spread, now, gap), Duration::ZERO);
        // Five polls due at once: the last starts four gaps late.
        let bunched = std::iter::repeat_n(now, 5);
        assert_eq!(backlog(bunched, now, gap), 4 * gap);
        // A poll overdue by a second is a second late, whatever follows.
        let overdue = [now - Duration::from_secs(1), now + Duration::from_secs(5)];
        assert_eq!(
            backlog(overdue.into_iter(), now, gap),
            Duration::from_secs(1)
        );
        assert_eq!(backlog(std::iter::empty(), now, gap), Duration::ZERO);
    }

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
