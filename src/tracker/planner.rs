//! Poll planning (pure): how often every tracked server can be polled under PRC's read bucket,
//! and the spacing between polls that keeps the tracker inside it. Also learns the bucket's
//! window length from the reset times the client reports.

use std::time::Duration;

use crate::erlc::BucketSnapshot;

/// A read rate limit: `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    /// Requests allowed in one window.
    pub limit: u32,
    /// Length of the bucket's fixed window.
    pub window: Duration,
}

/// What the planner decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Requests one round takes: one per polled server, plus its share of ban reads.
    pub requests_per_round: usize,
    /// Time between two polls of one server: the configured interval, or longer when the
    /// budget cannot poll every server that often.
    pub interval: Duration,
    /// Requests the tracker allows itself per window (its share of the limit).
    pub polls_per_window: u32,
    /// Minimum time between two requests the tracker sends.
    pub spacing: Duration,
    /// The budget this plan was made for.
    pub budget: RateBudget,
}

/// Plan for `requests_per_round` requests (one per server, plus ban reads) under `budget`,
/// using only `share` (0–1) of the limit so commands and panels keep some room.
pub fn plan(
    requests_per_round: usize,
    budget: RateBudget,
    desired_interval: Duration,
    share: f64,
) -> Plan {
    let share = if share.is_finite() {
        share.clamp(0.01, 1.0)
    } else {
        1.0
    };
    let usable = ((f64::from(budget.limit) * share).floor() as u32).max(1);
    let window = budget.window.max(Duration::from_millis(1));
    let spacing = window / usable;
    let round = spacing.saturating_mul(u32::try_from(requests_per_round).unwrap_or(u32::MAX));
    Plan {
        requests_per_round,
        interval: desired_interval.max(round),
        polls_per_window: usable,
        spacing,
        budget: RateBudget {
            limit: budget.limit,
            window,
        },
    }
}

/// Learns a fixed-window bucket's length: consecutive windows reset exactly one window apart,
/// so the smallest jump between reset times seen is the window (idle windows only make jumps
/// longer). Jumps are rounded to whole seconds, PRC's resolution.
#[derive(Debug, Default, Clone)]
pub struct WindowEstimator {
    last_reset_ms: Option<i64>,
    window: Option<Duration>,
}

impl WindowEstimator {
    /// Note a bucket snapshot taken at `now_ms`.
    pub fn observe(&mut self, now_ms: i64, bucket: &BucketSnapshot) {
        let Some(resets_in) = bucket.resets_in else {
            return;
        };
        let resets_in_ms = i64::try_from(resets_in.as_millis()).unwrap_or(i64::MAX);
        let reset = round_to_second(now_ms.saturating_add(resets_in_ms));
        if let Some(last) = self.last_reset_ms.filter(|last| reset > *last) {
            let jump = Duration::from_millis(u64::try_from(reset - last).unwrap_or(0));
            if jump >= Duration::from_secs(1) {
                self.window = Some(self.window.map_or(jump, |w| w.min(jump)));
            }
        }
        if self.last_reset_ms.is_none_or(|last| reset > last) {
            self.last_reset_ms = Some(reset);
        }
    }

    /// The window learned so far; `None` until two resets one whole second or more apart.
    pub fn window(&self) -> Option<Duration> {
        self.window
    }
}

fn round_to_second(ms: i64) -> i64 {
    (ms + 500).div_euclid(1000) * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_S: Duration = Duration::from_secs(10);

    #[test]
    fn two_hundred_servers_under_35_per_10_s() {
        let budget = RateBudget {
            limit: 35,
            window: TEN_S,
        };
        let p = plan(200, budget, Duration::from_secs(15), 0.8);
        assert_eq!(p.polls_per_window, 28);
        assert_eq!(
            p.spacing,
            Duration::from_millis(357) + Duration::from_nanos(142_857)
        );
        // 200 polls at 28 per 10 s take a bit over 71 s.
        assert!(p.interval > Duration::from_secs(71) && p.interval < Duration::from_secs(72));
        // Polls per window never exceed the limit, boundary included.
        let per_window = TEN_S.as_nanos() / p.spacing.as_nanos() + 1;
        assert!(per_window <= 35);
    }

    #[test]
    fn few_servers_keep_the_desired_interval() {
        let budget = RateBudget {
            limit: 35,
            window: TEN_S,
        };
        let p = plan(3, budget, Duration::from_secs(15), 0.8);
        assert_eq!(p.interval, Duration::from_secs(15));
        let odd = plan(
            0,
            RateBudget {
                limit: 0,
                window: Duration::ZERO,
            },
            Duration::from_secs(1),
            f64::NAN,
        );
        assert_eq!(odd.polls_per_window, 1);
        assert!(odd.spacing > Duration::ZERO);
    }

    fn snapshot(resets_in_ms: Option<u64>) -> BucketSnapshot {
        BucketSnapshot {
            name: "reads".into(),
            limit: 35,
            remaining: 10,
            resets_in: resets_in_ms.map(Duration::from_millis),
            in_flight: 0,
        }
    }

    #[test]
    fn learns_the_window_from_reset_jumps() {
        let mut estimator = WindowEstimator::default();
        estimator.observe(1_000, &snapshot(Some(9_000)));
        assert_eq!(estimator.window(), None, "one reset says nothing yet");
        estimator.observe(3_000, &snapshot(Some(7_020)));
        assert_eq!(estimator.window(), None, "same window");
        estimator.observe(25_000, &snapshot(Some(5_000)));
        assert_eq!(
            estimator.window(),
            Some(Duration::from_secs(20)),
            "an idle window between"
        );
        estimator.observe(31_000, &snapshot(Some(9_000)));
        assert_eq!(estimator.window(), Some(TEN_S));
        estimator.observe(36_000, &snapshot(None));
        estimator.observe(30_000, &snapshot(Some(100)));
        assert_eq!(
            estimator.window(),
            Some(TEN_S),
            "older answers change nothing"
        );
    }
}
