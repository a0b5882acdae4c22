//! Sim-side rate limiting: fixed windows aligned to whole seconds (a client that waits until
//! the advertised `X-RateLimit-Reset` is never early), plus optional repeat-offender blocks.

use std::collections::HashMap;
use std::net::IpAddr;

use super::config::{BucketLimit, RepeatOffender};

/// The outcome of one request against a bucket; becomes the `X-RateLimit-*` headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Bucket name as PRC would send it (may contain keys: redact before exposing).
    pub bucket: String,
    /// Requests allowed per window (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests left in this window after this one (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// Epoch seconds at which the window (or block) ends.
    pub reset_secs: i64,
    /// False when the request is answered 429.
    pub allowed: bool,
    /// Seconds until the caller may retry (only meaningful when not allowed).
    pub retry_after: f64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start_secs: i64,
    used: u32,
}

#[derive(Debug, Default, Clone, Copy)]
struct Offender {
    strikes: u32,
    blocks: u32,
    blocked_until_secs: i64,
}

/// All buckets. Buckets are identified by their name plus who they belong to.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: HashMap<(String, String), Window>,
    offenders: HashMap<IpAddr, Offender>,
    repeat_offender: Option<RepeatOffender>,
}

impl Limiter {
    /// No buckets used yet; repeat offenders blocked per `repeat_offender` (never if `None`).
    pub fn new(repeat_offender: Option<RepeatOffender>) -> Self {
        Self {
            repeat_offender,
            ..Self::default()
        }
    }

    /// Counts one request from `ip` against bucket `name` owned by `owner`.
    pub fn check(
        &mut self,
        ip: IpAddr,
        name: &str,
        owner: &str,
        limit: BucketLimit,
        now_ms: i64,
    ) -> Decision {
        let window_secs = i64::from(limit.window_secs.max(1));
        let now_secs = now_ms.div_euclid(1000);
        let start_secs = now_secs - now_secs.rem_euclid(window_secs);
        let reset_secs = start_secs + window_secs;

        if let Some(blocked_until) = self.blocked_until(ip, now_secs) {
            return Decision {
                bucket: name.to_owned(),
                limit: limit.limit,
                remaining: 0,
                reset_secs: blocked_until,
                allowed: false,
                retry_after: seconds_until(blocked_until, now_ms),
            };
        }

        let window = self
            .windows
            .entry((name.to_owned(), owner.to_owned()))
            .or_insert(Window {
                start_secs,
                used: 0,
            });
        if window.start_secs != start_secs {
            *window = Window {
                start_secs,
                used: 0,
            };
        }
        let allowed = window.used < limit.limit;
        if allowed {
            window.used += 1;
        }
        let remaining = limit.limit.saturating_sub(window.used);
        let mut decision = Decision {
            bucket: name.to_owned(),
            limit: limit.limit,
            remaining,
            reset_secs,
            allowed,
            retry_after: seconds_until(reset_secs, now_ms),
        };
        if allowed {
            if let Some(o) = self.offenders.get_mut(&ip) {
                o.strikes = 0;
            }
        } else if let Some(until) = self.strike(ip, now_secs) {
            decision.reset_secs = until;
            decision.retry_after = seconds_until(until, now_ms);
        }
        decision
    }

    fn blocked_until(&self, ip: IpAddr, now_secs: i64) -> Option<i64> {
        self.offenders
            .get(&ip)
            .filter(|o| o.blocked_until_secs > now_secs)
            .map(|o| o.blocked_until_secs)
    }

    /// Records a 429; returns the end of a new block if this strike earned one.
    fn strike(&mut self, ip: IpAddr, now_secs: i64) -> Option<i64> {
        let policy = self.repeat_offender?;
        let offender = self.offenders.entry(ip).or_default();
        offender.strikes += 1;
        if offender.strikes < policy.strikes.max(1) {
            return None;
        }
        let factor = 1i64 << offender.blocks.min(20);
        offender.blocked_until_secs = now_secs + i64::from(policy.first_block_secs) * factor;
        offender.blocks += 1;
        offender.strikes = 0;
        Some(offender.blocked_until_secs)
    }
}

fn seconds_until(reset_secs: i64, now_ms: i64) -> f64 {
    let ms = (reset_secs * 1000 - now_ms).max(0);
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn window_is_aligned_and_waiting_until_reset_is_enough() {
        let mut l = Limiter::new(None);
        let lim = BucketLimit::new(2, 10);
        let a = l.check(IP, "b", "o", lim, 1_000_003_500);
        assert!(a.allowed);
        assert_eq!((a.remaining, a.reset_secs), (1, 1_000_010));
        assert!(l.check(IP, "b", "o", lim, 1_000_004_000).allowed);
        let denied = l.check(IP, "b", "o", lim, 1_000_009_999);
        assert!(!denied.allowed);
        assert_eq!(denied.remaining, 0);
        assert!((denied.retry_after - 0.001).abs() < 1e-9);
        assert!(l.check(IP, "b", "o", lim, denied.reset_secs * 1000).allowed);
        assert!(l.check(IP, "b", "other", lim, 1_000_009_999).allowed);
    }

    #[test]
    fn repeat_offenders_are_blocked_for_doubling_periods() {
        let policy = RepeatOffender {
            strikes: 2,
            first_block_secs: 30,
        };
        let mut l = Limiter::new(Some(policy));
        let lim = BucketLimit::new(1, 5);
        let t = 100_000;
        assert!(l.check(IP, "b", "o", lim, t).allowed);
        assert!(!l.check(IP, "b", "o", lim, t).allowed);
        let blocked = l.check(IP, "b", "o", lim, t);
        assert_eq!(blocked.reset_secs, 130);
        let later = l.check(IP, "b", "o", lim, 120_000);
        assert!(!later.allowed);
        assert_eq!(later.reset_secs, 130);
        assert!(l.check(IP, "b", "o", lim, 130_000).allowed);
        l.check(IP, "b", "o", lim, 130_000);
        let second = l.check(IP, "b", "o", lim, 130_000);
        assert_eq!(second.reset_secs, 190);
    }
}
