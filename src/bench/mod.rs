//! `erlc-bot bench`: measurements of the running system. `bench tracker` runs the app
//! against a simulator (in this process, or any PRC-compatible API in another) and reports CPU
//! per 1,000 polls, memory, throughput, latency percentiles, a per-minute series and the
//! Discord requests its feeds need.
//!
//! `bench store` writes a million events through the tracker's write path and times the reads
//! people wait on.
//!
//! `bench staff` times case pages, the activity report and its chart over 100,000 cases and
//! 200,000 shifts (see [`staff`]).
//!
//! `bench live` runs the live state stream with N WebSocket clients (see [`live`]).
//!
//! Parts: `tracker` (the run), `report` (its tables), `store` (the store benchmark), `live`
//! (the live state stream), `staff` (staff records), `procstat` (CPU and memory from /proc).

pub mod live;
mod procstat;
mod report;
mod staff;
mod store;
mod tracker;

use std::path::PathBuf;
use std::time::Duration;

use crate::app::local::LocalError;
use crate::app::{AppError, Signal};
use crate::store::StoreError;

/// Servers per simulated guild, in every bench.
const SERVERS_PER_GUILD: usize = 10;

/// Guild and label of the bench's server `index`: ten servers a guild, labels `s0`…`s9`.
fn server_place(index: usize) -> (u64, String) {
    let guild = 1 + (index / SERVERS_PER_GUILD) as u64;
    (guild, format!("s{}", index % SERVERS_PER_GUILD))
}

/// The simulator's read bucket for `servers` polled every `interval_secs`: room for every
/// server's polls in one 10 s window, twice over (at least PRC's 35).
fn sim_read_limit(servers: usize, interval_secs: u64) -> crate::sim::BucketLimit {
    let per_window = servers.saturating_mul(10) / interval_secs.max(1) as usize;
    let limit = u32::try_from(per_window.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(35);
    crate::sim::BucketLimit::new(limit, 10)
}

pub use procstat::{CpuTimes, parse_stat};
pub use report::{DISCORD_REQUESTS_PER_SEC, Percentiles, TrackerBenchReport, WindowReport, table};
pub use staff::{StaffBenchArgs, StaffBenchReport, bench_staff, staff_table};
pub use store::{Quantiles, StoreBenchArgs, StoreBenchReport, bench_store, store_table};
pub use tracker::{CountingSink, TrackerBenchArgs, bench_tracker, read_keys};

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
    /// Write N events through the tracker's write path, then time opening and reading.
    Store(StoreBenchArgs),
    /// N WebSocket clients watching the live state of simulated servers.
    Live(live::LiveBenchArgs),
    /// Case pages, the activity report and its chart over 100,000 cases and 200,000 shifts.
    Staff(StaffBenchArgs),
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
    /// The keys file could not be read, holds no key, or a line is not a server key.
    #[error("{}: {reason}", path.display())]
    Keys {
        /// The `--keys-file`.
        path: PathBuf,
        /// What is wrong with it (never the key itself).
        reason: String,
    },
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
    /// The store failed while the benchmark wrote or opened it.
    #[error(transparent)]
    Store(Box<StoreError>),
    /// A benchmark's own event or read could not be built or answered.
    #[error("a benchmark read or event failed: {0}")]
    Read(String),
    /// A writer task panicked or was cancelled.
    #[error("a benchmark task failed: {0}")]
    Task(String),
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

impl From<StoreError> for BenchError {
    fn from(error: StoreError) -> Self {
        Self::Store(Box::new(error))
    }
}

impl From<AppError> for BenchError {
    fn from(error: AppError) -> Self {
        Self::App(Box::new(error))
    }
}

/// Run the chosen benchmark; returns the table to print.
pub async fn run(args: BenchArgs) -> Result<String, BenchError> {
    match args.target {
        BenchTarget::Tracker(args) => {
            let report = bench_tracker(&args).await?;
            Ok(table(&[report]))
        }
        BenchTarget::Store(args) => Ok(store_table(&bench_store(&args).await?)),
        BenchTarget::Live(args) => Ok(live::table(&live::bench_live(&args).await?)),
        BenchTarget::Staff(args) => Ok(staff_table(&bench_staff(&args).await?)),
    }
}
