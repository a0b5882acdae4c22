//! What `bench tracker` found, and its Markdown tables: the whole measured time, then one row
//! per minute so a slowdown from the first to the last minute shows.

use std::fmt::Write as _;
use std::time::Duration;

use crate::feeds::Packing;
use crate::latency::LatencySnapshot;

/// Discord's global rate limit: requests per second one bot token may send, to every route
/// together. Feed posts and edits share it with everything else the bot does.
pub const DISCORD_REQUESTS_PER_SEC: f64 = 50.0;

/// A latency distribution in milliseconds; every figure is `None` when nothing was recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    /// Exact mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<u64>,
    /// 99th percentile.
    pub p99: Option<u64>,
    /// Largest.
    pub max: Option<u64>,
}

impl Percentiles {
    /// The figures of a histogram (or of a window of one, see [`LatencySnapshot::since`]).
    pub fn of(latencies: &LatencySnapshot) -> Self {
        Self {
            mean: latencies.mean_ms(),
            p50: latencies.quantile_ms(0.5),
            p99: latencies.quantile_ms(0.99),
            max: latencies.max_ms(),
        }
    }

    fn cell(&self) -> String {
        let ms = |v: Option<u64>| v.map_or("–".to_owned(), |v| v.to_string());
        let mean = self.mean.map_or("–".to_owned(), |v| format!("{v:.0}"));
        format!(
            "{mean} / {} / {} / {}",
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// One stretch of the measured time (a minute, the last one possibly shorter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowReport {
    /// Seconds from the start of the measurement to the start of this window.
    pub start_seconds: f64,
    /// Its length.
    pub seconds: f64,
    /// Successful polls in it.
    pub polls: u64,
    /// Bot CPU seconds in it.
    pub bot_cpu: f64,
    /// How late the polls in it started.
    pub poll_lateness: Percentiles,
    /// Feed lag of the deliveries in it.
    pub feed_lag: Percentiles,
}

impl WindowReport {
    /// Bot CPU seconds per 1,000 polls in this window.
    pub fn cpu_per_1000_polls(&self) -> f64 {
        self.bot_cpu * 1000.0 / self.polls.max(1) as f64
    }
}

/// One benchmark run's results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackerBenchReport {
    /// What was polled: "in-process simulator" or the `--api-base`.
    pub target: String,
    /// Servers tracked (`--servers`, or the keys in `--keys-file`).
    pub servers: usize,
    /// Start-up, not measured: until the schedule was steady (or the warm-up limit).
    pub warm_up_seconds: f64,
    /// The warm-up ended in the steady state: every server polled twice under the learned
    /// plan and the queue spread. False: the limit ran out first, and start-up is measured.
    pub warm_up_steady: bool,
    /// The fewest polls any server had started when measuring began.
    pub warm_up_fewest_polls: u64,
    /// How late a poll queued when measuring began could start, at the plan's pace.
    pub warm_up_backlog: Duration,
    /// The measured time, after the warm-up.
    pub seconds: f64,
    /// Successful polls in the measured time.
    pub polls: u64,
    /// Polls the schedule asked for in the measured time (servers × seconds / interval):
    /// fewer `polls` than this means the machine could not keep up.
    pub polls_due: f64,
    /// Polls that failed in the measured time (a PRC error or a store failure).
    pub poll_errors: u64,
    /// Bot CPU (process minus simulator threads) per 1,000 polls.
    pub cpu_per_1000_polls: f64,
    /// CPU seconds the bot used in the measured time (process minus simulator threads).
    pub bot_cpu: f64,
    /// CPU seconds the in-process simulator's threads used in the measured time; `None` when
    /// the API runs in another process.
    pub sim_cpu: Option<f64>,
    /// Peak resident memory of the whole process since start (an in-process simulator
    /// included), in MiB.
    pub peak_rss_mib: f64,
    /// Events the polls stored, per second of measured time.
    pub events_stored_per_sec: f64,
    /// Events the feed pipeline routed to feed channels, per second of measured time.
    pub events_routed_per_sec: f64,
    /// Feed messages posted per second of measured time (after batching).
    pub creates_per_sec: f64,
    /// Feed messages edited per second of measured time (live cards).
    pub edits_per_sec: f64,
    /// Answers with HTTP 429 (rate limited) the client got in the measured time.
    pub http_429s: u64,
    /// Time between two polls of one server the tracker planned at the end: `--interval`, or
    /// longer when the request budget cannot poll every server that often.
    pub planned_interval: Duration,
    /// How late the polls of the measured time started after they were due.
    pub poll_lateness: Percentiles,
    /// Feed lag (event stored → message at the sink) of the measured time's deliveries.
    pub feed_lag: Percentiles,
    /// How feed messages were packed.
    pub packing: Packing,
    /// The measured time minute by minute.
    pub minutes: Vec<WindowReport>,
}

impl TrackerBenchReport {
    /// Discord requests per second the feeds need: posts and edits.
    pub fn discord_requests_per_sec(&self) -> f64 {
        self.creates_per_sec + self.edits_per_sec
    }
}

/// The reports as Markdown: one table of whole runs, then each run minute by minute.
pub fn table(reports: &[TrackerBenchReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| target | servers | warm-up s (fewest polls, backlog ms) | measured s | polls / due | poll errors | bot CPU s / 1,000 polls \
         | bot CPU s | sim CPU s | peak RSS MiB (incl. in-process sim) | events/s stored | events/s routed \
         | Discord requests/s: posts + edits (limit {DISCORD_REQUESTS_PER_SEC:.0}/s) | 429s \
         | planned interval s | poll lateness mean / p50 / p99 / max ms | feed lag mean / p50 / p99 / max ms | packing |"
    );
    let _ = writeln!(out, "|{}", "---|".repeat(18));
    for r in reports {
        let sim_cpu = r.sim_cpu.map_or("–".to_owned(), |s| format!("{s:.2}"));
        let discord = r.discord_requests_per_sec();
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} ({}{}, {:.0}) | {:.0} | {} / {:.0} | {} | {:.3} | {:.2} | {sim_cpu} | {:.0} | {:.1} | {:.1} \
             | {discord:.1} = {:.1} + {:.1} ({:.2}× the limit) | {} | {:.0} | {} | {} | {} |",
            r.target,
            r.servers,
            r.warm_up_seconds,
            if r.warm_up_steady { "" } else { "NOT STEADY: " },
            r.warm_up_fewest_polls,
            r.warm_up_backlog.as_secs_f64() * 1000.0,
            r.seconds,
            r.polls,
            r.polls_due,
            r.poll_errors,
            r.cpu_per_1000_polls,
            r.bot_cpu,
            r.peak_rss_mib,
            r.events_stored_per_sec,
            r.events_routed_per_sec,
            r.creates_per_sec,
            r.edits_per_sec,
            discord / DISCORD_REQUESTS_PER_SEC,
            r.http_429s,
            r.planned_interval.as_secs_f64(),
            r.poll_lateness.cell(),
            r.feed_lag.cell(),
            match r.packing {
                Packing::Cards => "cards",
                Packing::Digest => "digest",
            },
        );
    }
    for r in reports {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} servers ({}), minute by minute:",
            r.servers, r.target
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| from s | to s | polls | bot CPU s | bot CPU s / 1,000 polls \
             | poll lateness mean / p50 / p99 / max ms | feed lag mean / p50 / p99 / max ms |"
        );
        let _ = writeln!(out, "|{}", "---|".repeat(7));
        for w in &r.minutes {
            let _ = writeln!(
                out,
                "| {:.0} | {:.0} | {} | {:.2} | {:.3} | {} | {} |",
                w.start_seconds,
                w.start_seconds + w.seconds,
                w.polls,
                w.bot_cpu,
                w.cpu_per_1000_polls(),
                w.poll_lateness.cell(),
                w.feed_lag.cell(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latency::LatencyHistogram;

    #[test]
    fn tables_show_percentiles_the_discord_budget_and_every_minute() {
        let lateness = LatencyHistogram::default();
        for ms in (1..=100).chain([200]) {
            lateness.record_ms(ms);
        }
        let minute = |start_seconds: f64, polls: u64| WindowReport {
            start_seconds,
            seconds: 60.0,
            polls,
            bot_cpu: 2.0,
            poll_lateness: Percentiles::of(&lateness.snapshot()),
            feed_lag: Percentiles::default(),
        };
        let report = TrackerBenchReport {
            target: "in-process simulator".into(),
            servers: 100,
            creates_per_sec: 70.0,
            edits_per_sec: 5.0,
            poll_lateness: Percentiles::of(&lateness.snapshot()),
            minutes: vec![minute(0.0, 200), minute(60.0, 100)],
            ..TrackerBenchReport::default()
        };
        let text = table(&[report]);
        assert!(text.contains("| 100 | 0 (NOT STEADY: 0, 0) |"), "{text}");
        assert!(
            text.contains("| 75.0 = 70.0 + 5.0 (1.50× the limit) |"),
            "{text}"
        );
        assert!(
            text.contains("| 52 / 51 / 100 / 200 | – / – / – / – |"),
            "{text}"
        );
        assert!(text.contains("| 0 | 60 | 200 | 2.00 | 10.000 |"), "{text}");
        assert!(
            text.contains("| 60 | 120 | 100 | 2.00 | 20.000 |"),
            "{text}"
        );
    }
}
