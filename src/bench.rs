//! `erlc-bot bench`: measurements of the running system against the simulator. `bench tracker`
//! runs the app against a local simulator with activity (scratch store, tracker, feed pipeline
//! with a counting sink) for a while and reports CPU per 1,000 polls, peak memory, event
//! throughput and 429s. CPU is read from /proc (Linux), with the simulator's own threads
//! subtracted. `bench live` measures the live state stream (see [`live`]).

pub mod live;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::app::local::{LocalConfig, LocalError, LocalSim, SIM_THREAD_NAME};
use crate::app::{App, AppError, FrontEnd, Signal, Signals};
use crate::erlc::ErlcClient;
use crate::events::Pattern;
use crate::feeds::{PipelineStats, Sink, SinkFuture};
use crate::sim::{ActivityConfig, BucketLimit, SimConfig};
use crate::store::{FeedFilters, FeedSubscription};
use crate::tracker::{Tracker, TrackerConfig};
use crate::ui::Message;

/// Servers per simulated guild; each guild has one feed following everything.
const SERVERS_PER_GUILD: usize = 10;
/// Linux reports CPU time in clock ticks of this many per second (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// `erlc-bot bench`'s arguments: which benchmark to run.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The benchmark, with its own options.
    #[command(subcommand)]
    pub target: BenchTarget,
}

/// The benchmarks there are.
#[derive(Debug, clap::Subcommand)]
pub enum BenchTarget {
    /// Poll N simulated servers and push their events through store and feeds.
    Tracker(TrackerBenchArgs),
    /// N WebSocket clients watching the live state of simulated servers.
    Live(live::LiveBenchArgs),
}

/// `erlc-bot bench tracker`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct TrackerBenchArgs {
    /// Simulated servers to track.
    #[arg(long, default_value_t = 100)]
    pub servers: usize,
    /// Seconds between two polls of one server.
    #[arg(long, default_value_t = 30)]
    pub interval: u64,
    /// Seconds to measure for, after every server had its first poll (set-up, first polls
    /// and shutdown are not measured).
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seed of the simulated worlds (the same seed gives the same players and servers).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads of the in-process simulator.
    #[arg(long, default_value_t = 1)]
    pub sim_threads: usize,
}

/// Why a benchmark could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The local simulator or its scratch store could not be set up.
    #[error(transparent)]
    Local(Box<LocalError>),
    /// The app could not be built, or stopped with an error.
    #[error(transparent)]
    App(Box<AppError>),
    /// `--servers`, `--interval` or `--duration` is 0.
    #[error("--servers, --interval and --duration must be at least 1")]
    Arguments,
    /// `/proc` could not be read or parsed: CPU and memory are measured only on Linux.
    #[error("could not read process statistics from /proc ({0}); the benchmark needs Linux")]
    Proc(String),
    #[error(
        "only {polls} first polls finished in {seconds} s (the tracker plans one poll per server \
         every {planned_interval:?}); the machine is too slow for this many servers, try fewer \
         or a longer --interval"
    )]
    /// Not every server had its first poll within the warm-up limit (three intervals plus a
    /// minute), so a steady state was never reached.
    WarmUp {
        /// First polls that did finish.
        polls: u64,
        /// The warm-up limit that ran out, in seconds.
        seconds: u64,
        /// Time between two polls of one server the tracker had planned.
        planned_interval: Duration,
    },
    /// A live state client could not connect, authenticate or watch, or the bot broke the
    /// protocol.
    #[error("live state: {0}")]
    Live(String),
    /// SIGINT or SIGTERM arrived before the measurement finished; nothing is reported.
    #[error("stopped by {0} before the measurement finished")]
    Interrupted(Signal),
}

impl From<LocalError> for BenchError {
    fn from(error: LocalError) -> Self {
        Self::Local(Box::new(error))
    }
}

impl From<AppError> for BenchError {
    fn from(error: AppError) -> Self {
        Self::App(Box::new(error))
    }
}

/// A sink that only counts.
#[derive(Debug, Default)]
pub struct CountingSink {
    creates: AtomicU64,
    edits: AtomicU64,
}

impl CountingSink {
    /// Messages posted so far.
    pub fn creates(&self) -> u64 {
        self.creates.load(Ordering::Relaxed)
    }

    /// Edits of posted messages so far.
    pub fn edits(&self) -> u64 {
        self.edits.load(Ordering::Relaxed)
    }
}

impl Sink for CountingSink {
    fn create<'a>(
        &'a self,
        _channel_id: u64,
        _message: &'a Message,
        _nonce: &'a str,
    ) -> SinkFuture<'a, String> {
        let id = self.creates.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move { Ok(id.to_string()) })
    }

    fn edit<'a>(
        &'a self,
        _channel_id: u64,
        _message_id: &'a str,
        _message: &'a Message,
    ) -> SinkFuture<'a, ()> {
        self.edits.fetch_add(1, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}

/// CPU seconds used so far: the whole process, and the simulator's threads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    /// Every thread of the process, the simulator's included.
    pub process: f64,
    /// The simulator's threads alone (named [`SIM_THREAD_NAME`]…).
    pub sim: f64,
}

/// utime + stime, in seconds, from the text of a `/proc/.../stat` file, and the thread name.
pub fn parse_stat(text: &str) -> Option<(String, f64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_owned();
    // After the name: state is field 3, utime field 14, stime field 15.
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((name, (utime + stime) as f64 / TICKS_PER_SECOND))
}

/// The `VmHWM` (peak resident set) line of `/proc/self/status`, in KiB.
pub fn parse_peak_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

fn read_proc(path: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(|e| BenchError::Proc(format!("{path}: {e}")))
}

fn cpu_times() -> Result<CpuTimes, BenchError> {
    let (_, process) = parse_stat(&read_proc("/proc/self/stat")?)
        .ok_or_else(|| BenchError::Proc("/proc/self/stat is not in the expected form".into()))?;
    let mut sim = 0.0;
    let tasks = std::fs::read_dir("/proc/self/task")
        .map_err(|e| BenchError::Proc(format!("/proc/self/task: {e}")))?;
    for task in tasks.flatten() {
        // A thread may end between listing and reading: skip it.
        let Ok(text) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        if let Some((name, seconds)) = parse_stat(&text) {
            if name.starts_with(SIM_THREAD_NAME) {
                sim += seconds;
            }
        }
    }
    Ok(CpuTimes { process, sim })
}

/// One benchmark run's results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackerBenchReport {
    /// Simulated servers tracked (`--servers`).
    pub servers: usize,
    /// Until every server's first (baseline) poll; not measured.
    pub warm_up_seconds: f64,
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
    /// CPU seconds the simulator's threads used in the measured time.
    pub sim_cpu: f64,
    /// Peak resident memory of the whole process since start, simulator included, in MiB.
    pub peak_rss_mib: f64,
    /// Events the polls stored, per second of measured time.
    pub events_stored_per_sec: f64,
    /// Events the feed pipeline routed to feed channels, per second of measured time.
    pub events_routed_per_sec: f64,
    /// Feed messages posted or edited, per second of measured time.
    pub messages_per_sec: f64,
    /// Answers with HTTP 429 (rate limited) the client got in the measured time.
    pub http_429s: u64,
    /// Time between two polls of one server the tracker planned at the end: `--interval`, or
    /// longer when the request budget cannot poll every server that often.
    pub planned_interval: Duration,
    /// Mean feed lag (from when the store recorded an event until its message was delivered)
    /// over the whole run, in ms; `None` when nothing was delivered.
    pub mean_lag_ms: Option<i64>,
    /// Largest feed lag over the whole run, in ms; `None` when nothing was delivered.
    pub max_lag_ms: Option<i64>,
    /// How late each server's last poll started, over all servers.
    pub mean_poll_lateness_ms: Option<i64>,
    /// The latest of those starts, in ms; `None` when no scheduled poll has started.
    pub max_poll_lateness_ms: Option<i64>,
}

fn bench_config(args: &TrackerBenchArgs) -> LocalConfig {
    // Room for every server's polls in one bucket, twice over.
    let per_window = args.servers.saturating_mul(10) / args.interval.max(1) as usize;
    let read_limit = u32::try_from(per_window.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(35);
    let servers: Vec<(u64, String)> = (0..args.servers)
        .map(|i| {
            let guild = 1 + (i / SERVERS_PER_GUILD) as u64;
            (guild, format!("s{}", i % SERVERS_PER_GUILD))
        })
        .collect();
    let mut guilds: Vec<u64> = servers.iter().map(|(guild, _)| *guild).collect();
    guilds.dedup();
    let everything = Pattern::parse("*").ok().into_iter().collect::<Vec<_>>();
    let feeds = guilds
        .into_iter()
        .map(|guild| {
            (
                guild,
                FeedSubscription {
                    channel_id: 1_000_000 + guild,
                    patterns: everything.clone(),
                    filters: FeedFilters::default(),
                    added_at_ms: Default::default(),
                },
            )
        })
        .collect();
    LocalConfig {
        sim: SimConfig {
            servers: args.servers,
            seed: args.seed,
            initial_players: 10,
            read_limit: BucketLimit::new(read_limit, 10),
            activity: Some(ActivityConfig {
                interval: Duration::from_secs(2),
                target_players: 12,
            }),
            ..SimConfig::default()
        },
        sim_threads: args.sim_threads,
        tracker: TrackerConfig {
            interval: Duration::from_secs(args.interval),
            ..TrackerConfig::default()
        },
        servers,
        feeds,
    }
}

/// Run `bench tracker`: wait until every server had its first poll, then measure for
/// `duration` seconds. Feed lag is over the whole run.
pub async fn bench_tracker(args: &TrackerBenchArgs) -> Result<TrackerBenchReport, BenchError> {
    if args.servers == 0 || args.interval == 0 || args.duration == 0 {
        return Err(BenchError::Arguments);
    }
    let local = LocalSim::start(bench_config(args)).await?;
    let sink = Arc::new(CountingSink::default());
    let app = App::build(local.app_config(), FrontEnd::Headless(sink.clone())).await?;
    local.connect(&app)?;
    let probes = Probes {
        tracker: app.tracker().clone(),
        pipeline: app.pipeline().stats(),
        client: app.erlc().clone(),
        sink,
    };
    // Whatever happens, the app is stopped and the scratch directory removed.
    let signals = Signals::listen();
    let (measured_tx, measured_rx) = oneshot::channel();
    let measuring = async {
        let measured = tokio::select! {
            report = measure(&probes, args) => report,
            signal = signals.recv() => Err(BenchError::Interrupted(signal)),
        };
        let _ = measured_tx.send(());
        measured
    };
    let serving = app.run_until_stopped(async {
        let _ = measured_rx.await;
    });
    let (measured, stopped) = tokio::join!(measuring, serving);
    drop(probes);
    local.stop().await;
    let report = measured?;
    stopped?;
    Ok(report)
}

/// What the measurement reads while the app runs.
struct Probes {
    tracker: Tracker,
    pipeline: Arc<PipelineStats>,
    client: ErlcClient,
    sink: Arc<CountingSink>,
}

async fn measure(
    probes: &Probes,
    args: &TrackerBenchArgs,
) -> Result<TrackerBenchReport, BenchError> {
    let Probes {
        tracker,
        pipeline,
        client,
        sink,
    } = probes;
    // Measure the steady state: first polls only record a baseline and store no events.
    let warm_up = Instant::now();
    let warm_up_limit = Duration::from_secs(args.interval.saturating_mul(3).saturating_add(60));
    while tracker.metrics().polls < args.servers as u64 {
        if warm_up.elapsed() > warm_up_limit {
            return Err(BenchError::WarmUp {
                polls: tracker.metrics().polls,
                seconds: warm_up_limit.as_secs(),
                planned_interval: tracker.plan().interval,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let warm_up_seconds = warm_up.elapsed().as_secs_f64();
    let polls_before = tracker.metrics();
    let feeds_before = pipeline.snapshot(0);
    let delivered_before = sink.creates() + sink.edits();
    let rate_limited_before = client.stats().rate_limited;
    let cpu_before = cpu_times()?;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = cpu_times()?;
    let polls = tracker.metrics();
    let feeds = pipeline.snapshot(0);
    let http_429s = client.stats().rate_limited - rate_limited_before;
    let delivered = sink.creates() + sink.edits() - delivered_before;
    let peak_rss_kib = parse_peak_rss_kib(&read_proc("/proc/self/status")?)
        .ok_or_else(|| BenchError::Proc("no VmHWM in /proc/self/status".into()))?;
    let sim_cpu = cpu_after.sim - cpu_before.sim;
    let bot_cpu = (cpu_after.process - cpu_before.process) - sim_cpu;
    let measured_polls = polls.polls - polls_before.polls;
    let planned_interval = tracker.plan().interval;
    let lateness: Vec<i64> = tracker.health().iter().filter_map(|h| h.lag_ms).collect();
    Ok(TrackerBenchReport {
        servers: args.servers,
        warm_up_seconds,
        seconds,
        polls: measured_polls,
        polls_due: args.servers as f64 * seconds / planned_interval.as_secs_f64().max(1e-3),
        poll_errors: polls.poll_errors - polls_before.poll_errors,
        cpu_per_1000_polls: bot_cpu * 1000.0 / measured_polls.max(1) as f64,
        bot_cpu,
        sim_cpu,
        peak_rss_mib: peak_rss_kib as f64 / 1024.0,
        events_stored_per_sec: (polls.events - polls_before.events) as f64 / seconds,
        events_routed_per_sec: (feeds.events_routed - feeds_before.events_routed) as f64 / seconds,
        messages_per_sec: delivered as f64 / seconds,
        http_429s,
        planned_interval,
        mean_lag_ms: feeds.mean_lag_ms,
        max_lag_ms: feeds.max_lag_ms,
        mean_poll_lateness_ms: mean(&lateness),
        max_poll_lateness_ms: lateness.iter().copied().max(),
    })
}

fn mean(values: &[i64]) -> Option<i64> {
    let count = i64::try_from(values.len()).ok().filter(|n| *n > 0)?;
    Some(values.iter().sum::<i64>() / count)
}

/// The report as a Markdown table.
pub fn table(reports: &[TrackerBenchReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| servers | warm-up s | measured s | polls / due | poll errors | bot CPU s / 1,000 polls | bot CPU s | sim CPU s \
         | peak RSS MiB (incl. sim) | events/s stored | events/s routed | messages/s | 429s \
         | planned interval s | poll lateness mean / max ms | feed lag mean / max ms |"
    );
    let _ = writeln!(out, "|{}", "---|".repeat(16));
    let lag = |v: Option<i64>| v.map_or("–".to_owned(), |v| v.to_string());
    for r in reports {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {} / {:.0} | {} | {:.3} | {:.2} | {:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {:.0} | {} / {} | {} / {} |",
            r.servers,
            r.warm_up_seconds,
            r.seconds,
            r.polls,
            r.polls_due,
            r.poll_errors,
            r.cpu_per_1000_polls,
            r.bot_cpu,
            r.sim_cpu,
            r.peak_rss_mib,
            r.events_stored_per_sec,
            r.events_routed_per_sec,
            r.messages_per_sec,
            r.http_429s,
            r.planned_interval.as_secs_f64(),
            lag(r.mean_poll_lateness_ms),
            lag(r.max_poll_lateness_ms),
            lag(r.mean_lag_ms),
            lag(r.max_lag_ms),
        );
    }
    out
}

/// Run the chosen benchmark; returns the table to print.
pub async fn run(args: BenchArgs) -> Result<String, BenchError> {
    match args.target {
        BenchTarget::Tracker(args) => {
            let report = bench_tracker(&args).await?;
            Ok(table(&[report]))
        }
        BenchTarget::Live(args) => {
            let report = live::bench_live(&args).await?;
            Ok(live::table(&report))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_time_and_thread_names_from_stat() {
        let stat = "4242 (erlc-sim (1)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0 100 0 0";
        let (name, seconds) = parse_stat(stat).unwrap();
        assert_eq!(name, "erlc-sim (1)");
        assert!((seconds - 3.0).abs() < 1e-9);
        assert_eq!(parse_stat("4242 (x) S 1 2"), None);
        assert_eq!(parse_stat("no parentheses"), None);
    }

    #[test]
    fn reads_peak_rss() {
        let status = "Name:\terlc-bot\nVmPeak:\t  900 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 4 kB\n";
        assert_eq!(parse_peak_rss_kib(status), Some(51_200));
        assert_eq!(parse_peak_rss_kib("VmRSS: 4 kB"), None);
    }

    #[test]
    fn the_bucket_fits_every_server_and_guilds_hold_ten() {
        let args = TrackerBenchArgs {
            servers: 1_000,
            interval: 30,
            duration: 1,
            seed: 1,
            sim_threads: 1,
        };
        let config = bench_config(&args);
        assert_eq!(config.sim.read_limit.limit, 666);
        assert_eq!(config.servers.len(), 1_000);
        assert_eq!(config.feeds.len(), 100);
        assert_eq!(config.servers[10], (2, "s0".to_owned()));
    }
}
