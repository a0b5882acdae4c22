//! `/metrics` in Prometheus text format: our webhook counters plus whatever the bot plugs in
//! through [`MetricsSource`] (client stats, outbox depth and feed lag, feed delivery, tracker
//! counters).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::erlc::ErlcClient;
use crate::feeds::PipelineStats;
use crate::latency::LatencySnapshot;
use crate::store::Store;
use crate::tracker::Tracker;

/// Collects metric families and writes them with one `# HELP` and `# TYPE` line each.
#[derive(Debug, Default)]
pub struct MetricsWriter {
    families: BTreeMap<String, Family>,
}

#[derive(Debug)]
struct Family {
    help: String,
    kind: &'static str,
    /// Name suffix (`_bucket`, `_sum`, `_count` in a histogram, else empty), labels, value.
    samples: Vec<(&'static str, String, String)>,
}

/// Upper bounds (`le`) of the latency histograms' buckets, in milliseconds: from 5 ms (a
/// prompt feed post) to five minutes (a tracker far behind its schedule).
pub const LATENCY_BUCKETS_MS: [u64; 15] = [
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000,
];

impl MetricsWriter {
    /// A writer with no families yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A monotonically increasing count.
    pub fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: u64) {
        self.sample(name, help, "counter", "", labels, value.to_string());
    }

    /// A value that goes up and down.
    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        let text = if value.is_finite() {
            value.to_string()
        } else {
            "NaN".to_owned()
        };
        self.sample(name, help, "gauge", "", labels, text);
    }

    /// Latencies in seconds as a histogram: cumulative `_bucket`s at [`LATENCY_BUCKETS_MS`]
    /// and `+Inf`, `_sum` and `_count`.
    pub fn latency_histogram(
        &mut self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        latencies: &LatencySnapshot,
    ) {
        let bounds = LATENCY_BUCKETS_MS
            .iter()
            .map(|&ms| (seconds_text(ms), latencies.count_at_most(ms)))
            .chain(std::iter::once(("+Inf".to_owned(), latencies.count())));
        for (le, count) in bounds {
            let mut bucket_labels = labels.to_vec();
            bucket_labels.push(("le", &le));
            let value = count.to_string();
            self.sample(name, help, "histogram", "_bucket", &bucket_labels, value);
        }
        let sum = (latencies.sum_ms() as f64 / 1000.0).to_string();
        self.sample(name, help, "histogram", "_sum", labels, sum);
        let count = latencies.count().to_string();
        self.sample(name, help, "histogram", "_count", labels, count);
    }

    fn sample(
        &mut self,
        name: &str,
        help: &str,
        kind: &'static str,
        suffix: &'static str,
        labels: &[(&str, &str)],
        value: String,
    ) {
        let family = self
            .families
            .entry(name.to_owned())
            .or_insert_with(|| Family {
                help: help.replace('\\', "\\\\").replace('\n', "\\n"),
                kind,
                samples: Vec::new(),
            });
        family.samples.push((suffix, label_text(labels), value));
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, family) in &self.families {
            let _ = writeln!(out, "# HELP {name} {}", family.help);
            let _ = writeln!(out, "# TYPE {name} {}", family.kind);
            for (suffix, labels, value) in &family.samples {
                let _ = writeln!(out, "{name}{suffix}{labels} {value}");
            }
        }
        out
    }
}

/// Milliseconds as seconds the way Prometheus clients write bucket bounds: `0.005`, `1`, `2.5`.
fn seconds_text(ms: u64) -> String {
    (ms as f64 / 1000.0).to_string()
}

/// `{a="x",b="y"}` with values escaped, or nothing.
fn label_text(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// Something that adds metrics to `/metrics`. Closures `Fn(&mut MetricsWriter)` qualify.
pub trait MetricsSource: Send + Sync {
    /// Add this source's current values to `out`; called on every `/metrics` request.
    fn collect(&self, out: &mut MetricsWriter);
}

impl<F: Fn(&mut MetricsWriter) + Send + Sync> MetricsSource for F {
    fn collect(&self, out: &mut MetricsWriter) {
        self(out)
    }
}

/// Counters of the webhook endpoint and the `;` commands it routes.
#[derive(Debug, Default)]
pub struct WebhookCounters {
    accepted: AtomicU64,
    duplicates: AtomicU64,
    stored_events: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    events: Mutex<BTreeMap<&'static str, u64>>,
    commands: Mutex<BTreeMap<&'static str, u64>>,
}

fn bump(map: &Mutex<BTreeMap<&'static str, u64>>, label: &'static str) {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    *map.entry(label).or_default() += 1;
}

fn read(map: &Mutex<BTreeMap<&'static str, u64>>) -> BTreeMap<&'static str, u64> {
    map.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

impl WebhookCounters {
    /// Requests that passed verification and were processed, since start.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Verified requests ignored as repeats (same timestamp and body), since start.
    pub fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }

    /// Events from webhooks that were new to the event store, since start.
    pub fn stored_events(&self) -> u64 {
        self.stored_events.load(Ordering::Relaxed)
    }

    /// Rejections so far, by reason label.
    pub fn rejected(&self) -> BTreeMap<&'static str, u64> {
        read(&self.rejected)
    }

    /// `;` commands so far, by how they were handled.
    pub fn commands(&self) -> BTreeMap<&'static str, u64> {
        read(&self.commands)
    }

    pub(crate) fn count_accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_stored(&self, events: usize) {
        let events = u64::try_from(events).unwrap_or(u64::MAX);
        self.stored_events.fetch_add(events, Ordering::Relaxed);
    }

    pub(crate) fn count_rejected(&self, reason: &'static str) {
        bump(&self.rejected, reason);
    }

    pub(crate) fn count_event(&self, kind: &'static str) {
        bump(&self.events, kind);
    }

    pub(crate) fn count_command(&self, result: &'static str) {
        bump(&self.commands, result);
    }
}

impl MetricsSource for WebhookCounters {
    fn collect(&self, out: &mut MetricsWriter) {
        out.counter(
            "erlc_bot_webhook_accepted_total",
            "Webhook requests that passed verification and were processed.",
            &[],
            self.accepted(),
        );
        out.counter(
            "erlc_bot_webhook_duplicates_total",
            "Webhook requests acknowledged but ignored as repeats (same timestamp and body).",
            &[],
            self.duplicates(),
        );
        out.counter(
            "erlc_bot_webhook_stored_events_total",
            "Events from webhooks stored (repeats of polled events excluded).",
            &[],
            self.stored_events(),
        );
        for (reason, count) in self.rejected() {
            out.counter(
                "erlc_bot_webhook_rejected_total",
                "Webhook requests refused, by reason.",
                &[("reason", reason)],
                count,
            );
        }
        for (kind, count) in read(&self.events) {
            out.counter(
                "erlc_bot_webhook_events_total",
                "Events received in accepted webhook batches, by PRC event name.",
                &[("event", kind)],
                count,
            );
        }
        for (result, count) in self.commands() {
            out.counter(
                "erlc_bot_custom_commands_total",
                "In-game ; commands, by how they were handled.",
                &[("result", result)],
                count,
            );
        }
    }
}

/// The PRC client's counters.
#[derive(Debug, Clone)]
pub struct ClientMetrics(pub ErlcClient);

impl MetricsSource for ClientMetrics {
    fn collect(&self, out: &mut MetricsWriter) {
        let stats = self.0.stats();
        let counters = [
            (
                "erlc_bot_prc_requests_total",
                "HTTP requests sent to the PRC API (retries included).",
                stats.requests_sent,
            ),
            (
                "erlc_bot_prc_retries_total",
                "PRC reads repeated after a retryable failure.",
                stats.retries,
            ),
            (
                "erlc_bot_prc_rate_limited_total",
                "HTTP 429 answers from the PRC API.",
                stats.rate_limited,
            ),
            (
                "erlc_bot_prc_rate_limit_waits_total",
                "Requests that waited locally for an empty rate-limit bucket.",
                stats.rate_limit_waits,
            ),
            (
                "erlc_bot_prc_network_errors_total",
                "PRC requests that got no HTTP answer.",
                stats.network_errors,
            ),
            (
                "erlc_bot_prc_breaker_opens_total",
                "Times a PRC circuit breaker opened.",
                stats.breaker_opens,
            ),
            (
                "erlc_bot_prc_cache_hits_total",
                "PRC reads answered from the cache.",
                stats.cache_hits,
            ),
            (
                "erlc_bot_prc_coalesced_total",
                "PRC reads that joined an identical read in flight.",
                stats.coalesced,
            ),
        ];
        for (name, help, value) in counters {
            out.counter(name, help, &[], value);
        }
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        for record in self.0.recent_requests() {
            if let Some(status) = record.status.filter(|s| *s >= 400) {
                *errors.entry(status.to_string()).or_default() += 1;
            }
        }
        for (status, count) in errors {
            out.gauge(
                "erlc_bot_prc_recent_error_responses",
                "PRC answers with an HTTP error status among the most recent requests (a window, not a total).",
                &[("status", &status)],
                count as f64,
            );
        }
    }
}

/// Outbox depth and feed lag (age of the oldest undelivered message).
#[derive(Debug, Clone)]
pub struct StoreMetrics(pub Store);

impl MetricsSource for StoreMetrics {
    fn collect(&self, out: &mut MetricsWriter) {
        let outbox = self.0.outbox();
        match outbox.depth() {
            Ok(depth) => out.gauge(
                "erlc_bot_outbox_depth",
                "Messages waiting in the outbox for delivery to Discord.",
                &[],
                depth as f64,
            ),
            Err(e) => tracing::warn!(error = %e, "metrics: could not read the outbox depth"),
        }
        match outbox.pending(1) {
            Ok(oldest) => {
                let now = self.0.clock().now_ms();
                let lag_ms = oldest
                    .first()
                    .map_or(0, |p| now.saturating_sub(p.enqueued_at_ms).max(0));
                out.gauge(
                    "erlc_bot_outbox_oldest_age_seconds",
                    "Age of the oldest message not yet delivered (0 when the outbox is empty).",
                    &[],
                    lag_ms as f64 / 1000.0,
                );
            }
            Err(e) => tracing::warn!(error = %e, "metrics: could not read the outbox"),
        }
    }
}

/// The feed pipeline's counters: messages delivered, failed attempts, parked messages, and
/// the lag of the latest delivery.
#[derive(Debug, Clone)]
pub struct FeedMetrics(pub Arc<PipelineStats>);

impl MetricsSource for FeedMetrics {
    fn collect(&self, out: &mut MetricsWriter) {
        let now = self.0.snapshot(0);
        out.counter(
            "erlc_bot_feed_messages_delivered_total",
            "Feed messages that reached Discord (created or edited).",
            &[],
            now.delivered(),
        );
        out.counter(
            "erlc_bot_feed_delivery_failures_total",
            "Feed delivery attempts that failed and will be retried.",
            &[],
            now.failed_attempts,
        );
        out.counter(
            "erlc_bot_feed_messages_parked_total",
            "Feed messages Discord refused for good (e.g. missing channel permissions).",
            &[],
            now.parked,
        );
        if let Some(lag) = now.last_lag_ms {
            out.gauge(
                "erlc_bot_feed_lag_seconds",
                "Time from an event being stored to its feed message reaching Discord (latest).",
                &[],
                lag as f64 / 1000.0,
            );
        }
        out.latency_histogram(
            "erlc_bot_feed_delivery_lag_seconds",
            "Time from an event being stored to its feed message reaching Discord, every delivery since start.",
            &[],
            &self.0.lag_histogram(),
        );
    }
}

/// The tracker's counters: polls, poll errors by PRC code, 429s, events, gaps.
#[derive(Clone)]
pub struct TrackerMetricsSource(pub Tracker);

impl MetricsSource for TrackerMetricsSource {
    fn collect(&self, out: &mut MetricsWriter) {
        let metrics = self.0.metrics();
        let counters = [
            (
                "erlc_bot_polls_total",
                "Snapshot polls of PRC that got an answer.",
                metrics.polls,
            ),
            (
                "erlc_bot_ban_polls_total",
                "Ban list polls of PRC that got an answer.",
                metrics.ban_polls,
            ),
            (
                "erlc_bot_poll_errors_total",
                "Polls that failed.",
                metrics.poll_errors,
            ),
            (
                "erlc_bot_poll_rate_limited_total",
                "Polls that still got 429 after the client's own waiting and retries.",
                metrics.rate_limited,
            ),
            (
                "erlc_bot_tracker_events_total",
                "Events stored by the tracker.",
                metrics.events,
            ),
            (
                "erlc_bot_feed_gaps_total",
                "Times the bot was away longer than PRC's log window.",
                metrics.gaps,
            ),
        ];
        for (name, help, value) in counters {
            out.counter(name, help, &[], value);
        }
        out.latency_histogram(
            "erlc_bot_poll_lateness_seconds",
            "How late each scheduled poll started after it was due, every poll since start.",
            &[],
            &self.0.poll_lateness(),
        );
        for (code, count) in &metrics.errors_by_code {
            out.counter(
                "erlc_bot_prc_errors_total",
                "Failed polls by PRC error code (or kind, e.g. network, without a code).",
                &[("code", code)],
                *count,
            );
        }
        for server in self.0.health() {
            out.gauge(
                "erlc_bot_poll_consecutive_errors",
                "Failed polls in a row per tracked server.",
                &[
                    ("guild", &server.guild.to_string()),
                    ("server", &server.label),
                ],
                f64::from(server.consecutive_errors),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_help_and_type_line_per_family_and_escaped_labels() {
        let mut out = MetricsWriter::new();
        out.counter("x_total", "Things.", &[("reason", "a")], 1);
        out.counter("x_total", "Things.", &[("reason", "b\"\\\n")], 2);
        out.gauge("a_gauge", "Level.", &[], 1.5);
        out.gauge("b_gauge", "Broken.", &[], f64::INFINITY);
        let text = out.render();
        assert_eq!(text.matches("# HELP x_total Things.").count(), 1);
        assert_eq!(text.matches("# TYPE x_total counter").count(), 1);
        assert!(text.contains("x_total{reason=\"a\"} 1\n"));
        assert!(
            text.contains("x_total{reason=\"b\\\"\\\\\\n\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE a_gauge gauge\na_gauge 1.5\n"));
        assert!(text.contains("b_gauge NaN"));
        assert!(
            text.find("a_gauge") < text.find("x_total"),
            "sorted by name"
        );
    }

    #[test]
    fn latency_histograms_have_cumulative_buckets_a_sum_and_a_count() {
        let latencies = crate::latency::LatencyHistogram::default();
        for ms in [3, 7, 40, 1_500, 400_000] {
            latencies.record_ms(ms);
        }
        let mut out = MetricsWriter::new();
        out.latency_histogram(
            "x_seconds",
            "Waits.",
            &[("server", "a")],
            &latencies.snapshot(),
        );
        let text = out.render();
        assert_eq!(
            text.matches("# TYPE x_seconds histogram\n").count(),
            1,
            "{text}"
        );
        for line in [
            "x_seconds_bucket{server=\"a\",le=\"0.005\"} 1\n",
            "x_seconds_bucket{server=\"a\",le=\"0.01\"} 2\n",
            "x_seconds_bucket{server=\"a\",le=\"0.05\"} 3\n",
            "x_seconds_bucket{server=\"a\",le=\"1\"} 3\n",
            "x_seconds_bucket{server=\"a\",le=\"2.5\"} 4\n",
            "x_seconds_bucket{server=\"a\",le=\"300\"} 4\n",
            "x_seconds_bucket{server=\"a\",le=\"+Inf\"} 5\n",
            "x_seconds_sum{server=\"a\"} 401.55\n",
            "x_seconds_count{server=\"a\"} 5\n",
        ] {
            assert!(text.contains(line), "no {line:?} in:\n{text}");
        }
        let buckets: Vec<u64> = text
            .lines()
            .filter(|line| line.starts_with("x_seconds_bucket"))
            .filter_map(|line| line.rsplit_once(' ')?.1.parse().ok())
            .collect();
        assert_eq!(buckets.len(), LATENCY_BUCKETS_MS.len() + 1);
        assert!(buckets.is_sorted(), "cumulative: {buckets:?}");
        assert!(
            text.find("x_seconds_bucket") < text.find("x_seconds_sum"),
            "buckets, then sum and count"
        );
    }

    #[test]
    fn webhook_counters_and_closures_report() {
        let counters = WebhookCounters::default();
        counters.count_accepted();
        counters.count_rejected("bad_signature");
        counters.count_rejected("bad_signature");
        counters.count_event("CustomCommand");
        counters.count_command("ran_ok");
        let extra = |out: &mut MetricsWriter| out.gauge("erlc_bot_extra", "Extra.", &[], 3.0);
        let mut out = MetricsWriter::new();
        counters.collect(&mut out);
        extra.collect(&mut out);
        let text = out.render();
        assert!(text.contains("erlc_bot_webhook_accepted_total 1\n"));
        assert!(text.contains("erlc_bot_webhook_rejected_total{reason=\"bad_signature\"} 2\n"));
        assert!(text.contains("erlc_bot_webhook_events_total{event=\"CustomCommand\"} 1\n"));
        assert!(text.contains("erlc_bot_custom_commands_total{result=\"ran_ok\"} 1\n"));
        assert!(text.contains("erlc_bot_extra 3\n"));
    }

    #[test]
    fn the_store_and_the_pipeline_never_report_the_same_series() {
        let dir = tempfile::tempdir().unwrap();
        let key = crate::store::MasterKeySource::Env("33".repeat(32));
        let store = Store::open(crate::store::StoreConfig::new(dir.path(), key)).unwrap();
        let stats = Arc::new(PipelineStats::default());
        stats.record_lag(1500);
        let mut out = MetricsWriter::new();
        StoreMetrics(store).collect(&mut out);
        FeedMetrics(stats).collect(&mut out);
        let text = out.render();
        let series: Vec<&str> = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.rsplit_once(' ').map(|(series, _)| series))
            .collect();
        let unique: std::collections::BTreeSet<&str> = series.iter().copied().collect();
        assert_eq!(series.len(), unique.len(), "a series twice in:\n{text}");
        assert!(
            text.contains("erlc_bot_outbox_oldest_age_seconds 0\n"),
            "{text}"
        );
        assert!(text.contains("erlc_bot_feed_lag_seconds 1.5\n"), "{text}");
    }
}
