//! `bench tracker`: the app polls simulated servers for a while and pushes their events
//! through store and feeds into a counting sink. The simulator runs in this process on its own
//! runtime (its threads' CPU is subtracted), or in another process (`--api-base` and
//! `--keys-file`: any PRC-compatible API), so the figures compare side by side with another
//! tracker polling the same endpoint. Measured once the schedule is steady (every server
//! polled twice under the learned plan, the queue spread), minute by minute.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::BenchError;
use super::procstat::{CpuTimes, cpu_times, memory_mib};
use super::report::{Percentiles, TrackerBenchReport, WindowReport};
use crate::app::local::{LocalConfig, LocalSim, ScratchDir, connect_servers, scratch_app_config};
use crate::app::{App, FrontEnd, Signals};
use crate::erlc::{ErlcClient, ServerKey};
use crate::events::Pattern;
use crate::feeds::{Packing, PipelineStats, Sink, SinkFuture};
use crate::latency::LatencySnapshot;
use crate::sim::{ActivityConfig, SimConfig};

use super::{server_place, sim_read_limit};
use crate::store::{FeedFilters, FeedSubscription};
use crate::tracker::{ScheduleStatus, Tracker, TrackerConfig};
use crate::ui::Message;

/// Servers per simulated guild; each guild has one feed following everything.
/// Length of one row of the per-minute series.
const WINDOW: Duration = Duration::from_secs(60);

/// `erlc-bot bench tracker`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct TrackerBenchArgs {
    /// Simulated servers to track (with `--keys-file`: every key in the file instead).
    #[arg(long, default_value_t = 100, conflicts_with = "keys_file")]
    pub servers: usize,
    /// Seconds between two polls of one server.
    #[arg(long, default_value_t = 30)]
    pub interval: u64,
    /// Seconds to measure for, once the schedule is steady (set-up, start-up rounds and
    /// shutdown are not measured).
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seed of the simulated worlds (the same seed gives the same players and servers).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads of the in-process simulator.
    #[arg(long, default_value_t = 1)]
    pub sim_threads: usize,
    /// Poll this PRC-compatible API (e.g. `erlc-bot sim --read-limit … --keys-out …` in
    /// another process) instead of a simulator in this process.
    #[arg(long, requires = "keys_file")]
    pub api_base: Option<String>,
    /// The server keys to poll at `--api-base`, one a line.
    #[arg(long, requires = "api_base")]
    pub keys_file: Option<PathBuf>,
    /// How feed messages are packed: `cards` (one embed per event, ten a message) or `digest`
    /// (a busy channel's events one line each, up to 6,000 characters a message).
    #[arg(long, default_value = "cards")]
    pub packing: Packing,
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

/// Guild and label of each of `servers` servers (ten a guild), and one feed per guild that
/// follows everything.
/// Guild and label of each server.
type Places = Vec<(u64, String)>;
/// Each guild's feed.
type Feeds = Vec<(u64, FeedSubscription)>;

fn layout(servers: usize) -> (Places, Feeds) {
    let servers: Places = (0..servers).map(server_place).collect();
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
    (servers, feeds)
}

fn tracker_config(args: &TrackerBenchArgs) -> TrackerConfig {
    TrackerConfig {
        interval: Duration::from_secs(args.interval),
        ..TrackerConfig::default()
    }
}

fn bench_config(args: &TrackerBenchArgs) -> LocalConfig {
    let (servers, feeds) = layout(args.servers);
    LocalConfig {
        sim: SimConfig {
            servers: args.servers,
            seed: args.seed,
            initial_players: 10,
            read_limit: sim_read_limit(args.servers, args.interval),
            activity: Some(ActivityConfig {
                interval: Duration::from_secs(2),
                target_players: 12,
            }),
            ..SimConfig::default()
        },
        sim_threads: args.sim_threads,
        tracker: tracker_config(args),
        servers,
        feeds,
    }
}

/// The keys of a `--keys-file`: one a line, blank lines skipped.
pub fn read_keys(path: &Path) -> Result<Vec<ServerKey>, BenchError> {
    let fail = |reason: String| BenchError::Keys {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let mut keys = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // The reason names the line, never the key: it is a secret.
        let key = ServerKey::parse(line)
            .map_err(|_| fail(format!("line {} is not a server key", number + 1)))?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(fail("holds no server key".into()));
    }
    Ok(keys)
}

/// What the app polls: a simulator in this process, or an API in another.
enum Target {
    Local(Box<LocalSim>),
    External(ScratchDir),
}

/// Run `bench tracker`: wait until the schedule is steady, then measure for
/// `duration` seconds, minute by minute.
pub async fn bench_tracker(args: &TrackerBenchArgs) -> Result<TrackerBenchReport, BenchError> {
    let external = match (&args.api_base, &args.keys_file) {
        (Some(base), Some(path)) => Some((base.clone(), read_keys(path)?)),
        _ => None,
    };
    let servers = external
        .as_ref()
        .map_or(args.servers, |(_, keys)| keys.len());
    if servers == 0 || args.interval == 0 || args.duration == 0 {
        return Err(BenchError::Arguments);
    }
    let sink = Arc::new(CountingSink::default());
    let (target, app, label) = match external {
        None => {
            let local = LocalSim::start(bench_config(args)).await?;
            let mut config = local.app_config();
            config.pipeline.packing = args.packing;
            let app = App::build(config, FrontEnd::Headless(sink.clone())).await?;
            local.connect(&app)?;
            (
                Target::Local(Box::new(local)),
                app,
                "in-process simulator".to_owned(),
            )
        }
        Some((base, keys)) => {
            let scratch = ScratchDir::create("erlc-bot-bench")?;
            let mut config = scratch_app_config(scratch.path(), &base, tracker_config(args));
            config.pipeline.packing = args.packing;
            let app = App::build(config, FrontEnd::Headless(sink.clone())).await?;
            let (places, feeds) = layout(keys.len());
            let servers = places
                .into_iter()
                .zip(keys)
                .map(|((guild, label), key)| (guild, label, key));
            connect_servers(&app, &feeds, servers)?;
            (Target::External(scratch), app, base)
        }
    };
    let probes = Probes {
        tracker: app.tracker().clone(),
        pipeline: app.pipeline().stats(),
        client: app.erlc().clone(),
        sink,
        servers,
        in_process_sim: matches!(target, Target::Local(_)),
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
    match target {
        Target::Local(local) => local.stop().await,
        Target::External(scratch) => drop(scratch),
    }
    let mut report = measured?;
    report.target = label;
    stopped?;
    Ok(report)
}

/// What the measurement reads while the app runs.
struct Probes {
    tracker: Tracker,
    pipeline: Arc<PipelineStats>,
    client: ErlcClient,
    sink: Arc<CountingSink>,
    servers: usize,
    in_process_sim: bool,
}

/// Every counter the report needs, at one moment.
struct Sample {
    at: Instant,
    polls: u64,
    poll_errors: u64,
    events: u64,
    routed: u64,
    creates: u64,
    edits: u64,
    rate_limited: u64,
    cpu: CpuTimes,
    lateness: LatencySnapshot,
    lag: LatencySnapshot,
}

impl Probes {
    fn sample(&self) -> Result<Sample, BenchError> {
        let polls = self.tracker.metrics();
        Ok(Sample {
            at: Instant::now(),
            polls: polls.polls,
            poll_errors: polls.poll_errors,
            events: polls.events,
            routed: self.pipeline.snapshot(0).events_routed,
            creates: self.sink.creates(),
            edits: self.sink.edits(),
            rate_limited: self.client.stats().rate_limited,
            cpu: cpu_times()?,
            lateness: self.tracker.poll_lateness(),
            lag: self.pipeline.lag_histogram(),
        })
    }

    /// Wait until the schedule is in its steady state ([`steady`]): start-up rounds (first
    /// polls that only record a baseline, rounds paced for the assumed bucket before PRC's
    /// was learned) are not what a tracker does all day, and measured as if they were they
    /// put every late poll of a run into its figures. A schedule that does not settle within
    /// the limit (four intervals plus a minute) is measured anyway, and the report says so;
    /// one whose first polls did not all finish is an error.
    async fn warm_up(&self, args: &TrackerBenchArgs) -> Result<WarmUp, BenchError> {
        let started = Instant::now();
        let limit = Duration::from_secs(args.interval.saturating_mul(4).saturating_add(60));
        loop {
            let status = self.tracker.schedule_status();
            let settled = steady(&status);
            if settled || started.elapsed() > limit {
                if status.fewest_polls == 0 {
                    return Err(BenchError::WarmUp {
                        polls: self.tracker.metrics().polls,
                        seconds: limit.as_secs(),
                        planned_interval: self.tracker.plan().interval,
                    });
                }
                return Ok(WarmUp {
                    seconds: started.elapsed().as_secs_f64(),
                    steady: settled,
                    fewest_polls: status.fewest_polls,
                    backlog: status.backlog,
                });
            }
            tokio::time::sleep(WARM_UP_LOOK_EVERY).await;
        }
    }
}

/// Every server has started this many polls before the steady state may begin: the first is
/// a baseline, and the second is the first one paced by the learned plan.
const STEADY_POLLS: u64 = 2;
/// ... and the queued polls are spread: sent at the plan's pace, none would start later than
/// this after its time. Not zero: the jitter keeps reshuffling polls into small clumps (at
/// 100 servers, 30 s and the default 10 % jitter the queue settled at about 0.9 s).
const STEADY_BACKLOG: Duration = Duration::from_secs(1);

/// How often the warm-up looks at the schedule: each look walks every server and every queued
/// poll (0.4 % of a 10,000-server run's CPU at ten looks a second).
const WARM_UP_LOOK_EVERY: Duration = Duration::from_millis(500);

/// Whether the schedule has left start-up: every server polled [`STEADY_POLLS`] times, the
/// plan made for PRC's learned bucket, and the queue spread (backlog under
/// [`STEADY_BACKLOG`]).
fn steady(status: &ScheduleStatus) -> bool {
    status.polling > 0
        && status.fewest_polls >= STEADY_POLLS
        && status.bucket_learned
        && status.backlog <= STEADY_BACKLOG
}

/// How the warm-up ended.
struct WarmUp {
    seconds: f64,
    steady: bool,
    fewest_polls: u64,
    backlog: Duration,
}

/// Latencies recorded between two samples' snapshots.
fn window(later: &LatencySnapshot, earlier: &LatencySnapshot) -> Percentiles {
    later
        .since(earlier)
        .map(|window| Percentiles::of(&window))
        .unwrap_or_default()
}

fn window_report(start: &Sample, from: &Sample, to: &Sample) -> WindowReport {
    WindowReport {
        start_seconds: from.at.duration_since(start.at).as_secs_f64(),
        seconds: to.at.duration_since(from.at).as_secs_f64(),
        polls: to.polls - from.polls,
        bot_cpu: to.cpu.bot() - from.cpu.bot(),
        poll_lateness: window(&to.lateness, &from.lateness),
        feed_lag: window(&to.lag, &from.lag),
    }
}

async fn measure(
    probes: &Probes,
    args: &TrackerBenchArgs,
) -> Result<TrackerBenchReport, BenchError> {
    let warm_up = probes.warm_up(args).await?;
    let duration = Duration::from_secs(args.duration);
    let start = probes.sample()?;
    let mut minutes = Vec::new();
    let mut previous = probes.sample()?;
    loop {
        let elapsed = previous.at.duration_since(start.at);
        let Some(left) = duration.checked_sub(elapsed).filter(|d| !d.is_zero()) else {
            break;
        };
        tokio::time::sleep(left.min(WINDOW)).await;
        let now = probes.sample()?;
        minutes.push(window_report(&start, &previous, &now));
        previous = now;
    }
    let end = previous;
    let seconds = end.at.duration_since(start.at).as_secs_f64();
    let polls = end.polls - start.polls;
    let bot_cpu = end.cpu.bot() - start.cpu.bot();
    let planned_interval = probes.tracker.plan().interval;
    Ok(TrackerBenchReport {
        target: String::new(),
        servers: probes.servers,
        warm_up_seconds: warm_up.seconds,
        warm_up_steady: warm_up.steady,
        warm_up_fewest_polls: warm_up.fewest_polls,
        warm_up_backlog: warm_up.backlog,
        seconds,
        polls,
        polls_due: probes.servers as f64 * seconds / planned_interval.as_secs_f64().max(1e-3),
        poll_errors: end.poll_errors - start.poll_errors,
        cpu_per_1000_polls: bot_cpu * 1000.0 / polls.max(1) as f64,
        bot_cpu,
        sim_cpu: probes.in_process_sim.then_some(end.cpu.sim - start.cpu.sim),
        peak_rss_mib: memory_mib("VmHWM")?,
        events_stored_per_sec: (end.events - start.events) as f64 / seconds,
        events_routed_per_sec: (end.routed - start.routed) as f64 / seconds,
        creates_per_sec: (end.creates - start.creates) as f64 / seconds,
        edits_per_sec: (end.edits - start.edits) as f64 / seconds,
        http_429s: end.rate_limited - start.rate_limited,
        planned_interval,
        poll_lateness: window(&end.lateness, &start.lateness),
        feed_lag: window(&end.lag, &start.lag),
        packing: args.packing,
        minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(servers: usize) -> TrackerBenchArgs {
        TrackerBenchArgs {
            servers,
            interval: 30,
            duration: 1,
            seed: 1,
            sim_threads: 1,
            api_base: None,
            keys_file: None,
            packing: Packing::Cards,
        }
    }

    #[test]
    fn the_bucket_fits_every_server_and_guilds_hold_ten() {
        let config = bench_config(&args(1_000));
        assert_eq!(config.sim.read_limit.limit, 666);
        assert_eq!(config.servers.len(), 1_000);
        assert_eq!(config.feeds.len(), 100);
        assert_eq!(config.servers[10], (2, "s0".to_owned()));
    }

    #[test]
    fn keys_files_hold_one_key_a_line_and_errors_never_show_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.txt");
        std::fs::write(&path, "abcDEF123-xyz\n\n  Q1w2E3-r4T5 \n").unwrap();
        let keys = read_keys(&path).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].expose(), "Q1w2E3-r4T5");
        std::fs::write(&path, "abcDEF123-xyz\nsecret key with spaces\n").unwrap();
        let error = read_keys(&path).unwrap_err().to_string();
        assert!(error.contains("line 2 is not a server key"), "{error}");
        assert!(!error.contains("secret"), "{error}");
        std::fs::write(&path, "\n").unwrap();
        assert!(
            read_keys(&path)
                .unwrap_err()
                .to_string()
                .contains("no server key")
        );
        assert!(read_keys(&dir.path().join("missing")).is_err());
    }
}
