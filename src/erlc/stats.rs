//! Counters and a ring buffer of recent requests, for `/status` pages and debugging.
//! Nothing stored here ever holds a key: only fingerprints and redacted bucket names.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::route::HttpMethod;

/// A snapshot of the client's counters since it was created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests that actually left the process (retries included).
    pub requests_sent: u64,
    /// Read attempts repeated after a retryable failure.
    pub retries: u64,
    /// HTTP 429 answers received.
    pub rate_limited: u64,
    /// Times a request waited locally because its bucket was known to be empty.
    pub rate_limit_waits: u64,
    /// Reads answered from the cache without asking PRC.
    pub cache_hits: u64,
    /// Cacheable reads that had to ask PRC.
    pub cache_misses: u64,
    /// Reads that joined an identical read already in flight instead of sending their own.
    pub coalesced: u64,
    /// Times a circuit breaker opened.
    pub breaker_opens: u64,
    /// Requests that got no HTTP answer (connect failure, reset, timeout).
    pub network_errors: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests_sent: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
    pub rate_limit_waits: AtomicU64,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    pub coalesced: AtomicU64,
    pub breaker_opens: AtomicU64,
    pub network_errors: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> ClientStats {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ClientStats {
            requests_sent: read(&self.requests_sent),
            retries: read(&self.retries),
            rate_limited: read(&self.rate_limited),
            rate_limit_waits: read(&self.rate_limit_waits),
            cache_hits: read(&self.cache_hits),
            cache_misses: read(&self.cache_misses),
            coalesced: read(&self.coalesced),
            breaker_opens: read(&self.breaker_opens),
            network_errors: read(&self.network_errors),
        }
    }
}

/// One request as sent, for the debugging replay buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// When the request was sent, Unix milliseconds.
    pub at_ms: i64,
    /// GET for reads, POST for commands.
    pub method: HttpMethod,
    /// Path without the query string.
    pub path: String,
    /// HTTP status, or `None` when no answer came back.
    pub status: Option<u16>,
    /// Time from sending to the answer (or to giving up).
    pub latency: Duration,
    /// Rate-limit bucket PRC named, with any key replaced by its fingerprint.
    pub bucket: Option<String>,
    /// Fingerprint of the server key used.
    pub key_fingerprint: String,
    /// The error this request produced, if any (already free of keys).
    pub error: Option<String>,
}

/// Fixed-size buffer of the most recent requests.
#[derive(Debug)]
pub(crate) struct RequestLog {
    capacity: usize,
    records: Mutex<VecDeque<RequestRecord>>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            records: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    pub fn push(&self, record: RequestRecord) {
        if self.capacity == 0 {
            return;
        }
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        while records.len() >= self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// Oldest first.
    pub fn snapshot(&self) -> Vec<RequestRecord> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: i64) -> RequestRecord {
        RequestRecord {
            at_ms: n,
            method: HttpMethod::Get,
            path: "/v2/server".into(),
            status: Some(200),
            latency: Duration::from_millis(1),
            bucket: None,
            key_fingerprint: "fp:00000000".into(),
            error: None,
        }
    }

    #[test]
    fn ring_buffer_keeps_the_newest() {
        let log = RequestLog::new(3);
        for n in 0..5 {
            log.push(record(n));
        }
        let kept: Vec<_> = log.snapshot().iter().map(|r| r.at_ms).collect();
        assert_eq!(kept, vec![2, 3, 4]);
        let off = RequestLog::new(0);
        off.push(record(1));
        assert!(off.snapshot().is_empty());
    }

    #[test]
    fn counters_snapshot() {
        let counters = Counters::default();
        Counters::bump(&counters.retries);
        Counters::bump(&counters.retries);
        Counters::bump(&counters.cache_hits);
        let stats = counters.snapshot();
        assert_eq!(
            (stats.retries, stats.cache_hits, stats.requests_sent),
            (2, 1, 0)
        );
    }
}
