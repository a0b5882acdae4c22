//! Latency histograms: the tracker records how late each poll started and the feed pipeline
//! how long each event waited from being stored to reaching the sink; `/metrics` exposes
//! them as Prometheus histograms and `erlc-bot bench` reads their percentiles. Values are
//! milliseconds in an HDR histogram (three significant digits, so a quantile or a bucket
//! count is off by at most 0.1 % of the value), plus the exact sum.

use std::sync::{Mutex, PoisonError};

use hdrhistogram::Histogram;

/// Largest value told apart, in milliseconds (one hour); longer waits count as one hour.
const HIGHEST_MS: u64 = 60 * 60 * 1000;
/// Significant decimal digits kept per value.
const SIGNIFICANT_DIGITS: u8 = 3;

/// A histogram that many tasks record into; cheap to record, a copy to read.
#[derive(Debug)]
pub struct LatencyHistogram {
    recorded: Mutex<LatencySnapshot>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            recorded: Mutex::new(LatencySnapshot::empty()),
        }
    }
}

impl LatencyHistogram {
    /// Record one latency; a negative one (clocks a little apart) counts as 0.
    pub fn record_ms(&self, ms: i64) {
        let ms = u64::try_from(ms).unwrap_or(0);
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        recorded.histogram.saturating_record(ms);
        recorded.sum_ms = recorded.sum_ms.saturating_add(ms);
    }

    /// Everything recorded so far.
    pub fn snapshot(&self) -> LatencySnapshot {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The latencies recorded up to one moment.
#[derive(Debug, Clone)]
pub struct LatencySnapshot {
    histogram: Histogram<u64>,
    sum_ms: u64,
}

impl LatencySnapshot {
    fn empty() -> Self {
        let histogram = Histogram::new_with_max(HIGHEST_MS, SIGNIFICANT_DIGITS)
            .expect("one hour at three significant digits is within hdrhistogram's bounds");
        Self {
            histogram,
            sum_ms: 0,
        }
    }

    /// Latencies recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Their exact sum, in milliseconds.
    pub fn sum_ms(&self) -> u64 {
        self.sum_ms
    }

    /// The latency `quantile` (0.5 for the median, 0.99 …) of the recorded ones are at or
    /// under, in milliseconds; `None` when nothing was recorded.
    pub fn quantile_ms(&self, quantile: f64) -> Option<u64> {
        (self.count() > 0).then(|| self.histogram.value_at_quantile(quantile))
    }

    /// The largest latency recorded, in milliseconds; `None` when nothing was recorded.
    pub fn max_ms(&self) -> Option<u64> {
        (self.count() > 0).then(|| self.histogram.max())
    }

    /// The mean latency, in milliseconds; `None` when nothing was recorded.
    pub fn mean_ms(&self) -> Option<f64> {
        let count = self.count();
        (count > 0).then(|| self.sum_ms as f64 / count as f64)
    }

    /// Latencies recorded at or under `ms` (a Prometheus bucket's cumulative count).
    pub fn count_at_most(&self, ms: u64) -> u64 {
        self.histogram.count_between(0, ms)
    }

    /// What was recorded after `earlier`, a snapshot of the same histogram; `None` when
    /// `earlier` holds something this one does not (it is not an earlier snapshot of it).
    pub fn since(&self, earlier: &LatencySnapshot) -> Option<LatencySnapshot> {
        let mut histogram = self.histogram.clone();
        histogram.subtract(&earlier.histogram).ok()?;
        Some(Self {
            histogram,
            sum_ms: self.sum_ms.checked_sub(earlier.sum_ms)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_sum_and_buckets() {
        let latencies = LatencyHistogram::default();
        assert_eq!(latencies.snapshot().quantile_ms(0.5), None);
        assert_eq!(latencies.snapshot().max_ms(), None);
        for ms in 1..=100 {
            latencies.record_ms(ms);
        }
        latencies.record_ms(-7);
        let all = latencies.snapshot();
        assert_eq!(all.count(), 101);
        assert_eq!(all.sum_ms(), 5_050);
        assert_eq!(all.quantile_ms(0.5), Some(50));
        assert_eq!(all.quantile_ms(0.99), Some(99));
        assert_eq!(all.max_ms(), Some(100));
        assert_eq!(all.count_at_most(0), 1, "the negative one counts as 0");
        assert_eq!(all.count_at_most(10), 11);
        assert_eq!(all.count_at_most(1_000), 101);
    }

    #[test]
    fn values_past_an_hour_count_as_an_hour() {
        let latencies = LatencyHistogram::default();
        latencies.record_ms(i64::MAX);
        let snapshot = latencies.snapshot();
        assert_eq!(snapshot.count(), 1);
        let max = snapshot.max_ms().unwrap();
        assert!(max.abs_diff(HIGHEST_MS) <= HIGHEST_MS / 1_000, "{max}");
    }

    #[test]
    fn since_keeps_only_the_later_values() {
        let latencies = LatencyHistogram::default();
        latencies.record_ms(5);
        let before = latencies.snapshot();
        latencies.record_ms(700);
        latencies.record_ms(900);
        let window = latencies.snapshot().since(&before).unwrap();
        assert_eq!(window.count(), 2);
        assert_eq!(window.sum_ms(), 1_600);
        assert_eq!(window.quantile_ms(0.0), Some(700));
        assert!(
            before.since(&latencies.snapshot()).is_none(),
            "a later snapshot is not an earlier one"
        );
    }
}
