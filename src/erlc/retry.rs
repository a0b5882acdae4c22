//! When and how long to wait before retrying a failed read. Commands are never retried.

use std::time::Duration;

use rand::Rng;

use super::error::ErlcError;

/// Retry settings for reads (GET). Commands are never retried whatever these say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra attempts after the first one.
    pub max_retries: u32,
    /// Delay cap for the first retry; doubles each retry.
    pub base_delay: Duration,
    /// The delay never grows past this (except to honour a server's `retry_after`).
    pub max_delay: Duration,
    /// "Full jitter": pick a random delay between zero and the cap, so many clients that failed
    /// together do not retry together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Whether the read that failed with `err` on attempt number `attempt` (0 = first) should
    /// be tried again.
    pub fn should_retry(&self, attempt: u32, err: &ErlcError) -> bool {
        attempt < self.max_retries && err.is_retryable()
    }

    /// Exponential backoff for retry number `attempt` (0 = first retry), capped at `max_delay`.
    pub fn backoff(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        let cap = self.base_delay.saturating_mul(factor).min(self.max_delay);
        if self.jitter && !cap.is_zero() {
            rng.gen_range(Duration::ZERO..=cap)
        } else {
            cap
        }
    }

    /// The wait before retrying after `err`: the backoff, but never less than what PRC asked
    /// for in a 429.
    pub fn delay_for(&self, attempt: u32, err: &ErlcError, rng: &mut impl Rng) -> Duration {
        let backoff = self.backoff(attempt, rng);
        match err {
            ErlcError::RateLimited {
                retry_after: Some(wait),
                ..
            } => backoff.max(*wait),
            _ => backoff,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlc::error::PrcErrorInfo;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn info() -> PrcErrorInfo {
        PrcErrorInfo {
            endpoint: "GET /v2/server".into(),
            http_status: 500,
            message: String::new(),
            command_id: None,
        }
    }

    #[test]
    fn backoff_doubles_and_caps_without_jitter() {
        let policy = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        let mut rng = StdRng::seed_from_u64(1);
        let delays: Vec<_> = (0..8).map(|a| policy.backoff(a, &mut rng)).collect();
        assert_eq!(delays[0], Duration::from_millis(250));
        assert_eq!(delays[1], Duration::from_millis(500));
        assert_eq!(delays[4], Duration::from_secs(4));
        assert_eq!(delays[5], Duration::from_secs(8));
        assert_eq!(delays[7], Duration::from_secs(8));
        assert_eq!(policy.backoff(u32::MAX, &mut rng), Duration::from_secs(8));
    }

    #[test]
    fn full_jitter_stays_under_the_cap_and_varies() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<_> = (0..50).map(|_| policy.backoff(3, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        assert!(delays.iter().any(|d| *d != delays[0]));
    }

    #[test]
    fn rate_limits_wait_at_least_retry_after() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(3);
        let err = ErlcError::RateLimited {
            info: info(),
            retry_after: Some(Duration::from_secs(30)),
            bucket: None,
        };
        assert_eq!(policy.delay_for(0, &err, &mut rng), Duration::from_secs(30));
    }

    #[test]
    fn only_retryable_errors_within_budget() {
        let policy = RetryPolicy::default();
        let transient = ErlcError::from_code(1002, info());
        let fatal = ErlcError::from_code(2002, info());
        assert!(policy.should_retry(0, &transient));
        assert!(policy.should_retry(2, &transient));
        assert!(!policy.should_retry(3, &transient));
        assert!(!policy.should_retry(0, &fatal));
        assert!(!RetryPolicy::none().should_retry(0, &transient));
    }
}
