//! `bench store`: the event store at the size a busy bot reaches. Writes N events of a
//! realistic mix through the tracker's own write path (one atomic batch per poll with the
//! server's checkpoint, made durable before the next, many servers at once), then reports the
//! write rate, the database's size on disk, how long it takes to open, and the p50/p99 of the
//! reads people wait on: a player's timeline (the player panel) and a filtered `/logs` page.

use std::path::Path;
use std::time::Instant;

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::procstat::{cpu_times, memory_mib};
use super::{BenchError, server_place};
use crate::actions::{LogQuery, Services, ServicesOptions};
use crate::app::local::ScratchDir;
use crate::erlc::{ClientConfig, ErlcClient};
use crate::events::catalog::{EventPayload, PlayerInfo};
use crate::events::{EventTypeError, NewEvent};
use crate::store::{MasterKeySource, Store, StoreConfig};
use crate::views::log_filter::LOG_LINES_PER_PAGE;
use crate::views::logs::LogKind;
use crate::views::player::TIMELINE_EVENTS;

/// Servers per guild, as in `bench tracker`.
/// Players who come and go on each server.
const PLAYERS_PER_SERVER: u64 = 60;
/// Events spread over this many seconds before the write, so a `/logs` span filters.
const HISTORY_SECS: i64 = 2 * 60 * 60;
/// The `/logs` span the page query asks for.
const LOG_SPAN_SECS: i64 = 60 * 60;

/// `erlc-bot bench store`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreBenchArgs {
    /// Events to write.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// ER:LC servers they belong to (ten a guild).
    #[arg(long, default_value_t = 1_000)]
    pub servers: usize,
    /// Events per poll: one atomic batch, made durable, per poll.
    #[arg(long, default_value_t = 25)]
    pub per_poll: usize,
    /// Polls written at once, as the tracker polls many servers at once.
    #[arg(long, default_value_t = 16)]
    pub writers: usize,
    /// Size of the checkpoint written with each poll's events, in bytes (the tracker's is
    /// its last view of the server, encoded).
    #[arg(long, default_value_t = 2_048)]
    pub checkpoint_bytes: usize,
    /// Timeline and `/logs` reads to time, each.
    #[arg(long, default_value_t = 2_000)]
    pub queries: usize,
    /// Seed of the event mix and of the reads.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What `bench store` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreBenchReport {
    /// Events written.
    pub events: u64,
    /// Polls (atomic, durable batches) they were written in.
    pub polls: u64,
    /// Time the writes took, in seconds.
    pub write_seconds: f64,
    /// The database's files on disk after the writes, in MiB.
    pub disk_mib: f64,
    /// Opening the written database (recovery included), in milliseconds.
    pub open_ms: f64,
    /// CPU time the open used, in milliseconds (steadier than `open_ms` on a busy machine).
    pub open_cpu_ms: f64,
    /// A player's timeline ([`TIMELINE_EVENTS`] newest events), in microseconds.
    pub timeline_us: Quantiles,
    /// Events a timeline read returned, on average.
    pub timeline_events: f64,
    /// The first page of a `/logs` log over the last hour, in microseconds.
    pub log_page_us: Quantiles,
    /// Events a `/logs` page returned, on average.
    pub log_page_events: f64,
    /// Resident memory after the reads, in MiB.
    pub rss_mib: f64,
    /// Peak resident memory of the run, in MiB.
    pub peak_rss_mib: f64,
}

impl StoreBenchReport {
    /// Events written per second.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.write_seconds.max(1e-9)
    }
}

/// Median, 99th percentile and largest of a set of timings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quantiles {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

impl Quantiles {
    pub(super) fn of(histogram: &Histogram<u64>) -> Self {
        Self {
            p50: histogram.value_at_quantile(0.5),
            p99: histogram.value_at_quantile(0.99),
            max: histogram.max(),
        }
    }
}

fn store_config(dir: &Path, key_hex: &str) -> StoreConfig {
    StoreConfig::new(dir, MasterKeySource::Env(key_hex.to_owned()))
}

fn player(rng: &mut StdRng, server: usize) -> PlayerInfo {
    let n = rng.gen_range(0..PLAYERS_PER_SERVER);
    let team = ["Police", "Civilian", "Sheriff", "Fire", "DOT", "Jail"][rng.gen_range(0..6)];
    PlayerInfo {
        name: format!("Player{server}x{n}"),
        id: Some(server as u64 * 1_000 + n + 1),
        team: Some(team.to_owned()),
        permission: Some("Normal".to_owned()),
        callsign: None,
    }
}

/// One event of the mix a busy server produces: vehicles, kills, joins and leaves, team
/// changes and commands most, now and then a mod call or a wanted level. Log rows carry a
/// content key, as the tracker's do.
fn next_event(
    rng: &mut StdRng,
    server: usize,
    label: &str,
    serial: u64,
    now: i64,
) -> Result<NewEvent, EventTypeError> {
    let p = player(rng, server);
    let other = player(rng, server);
    let roll = rng.gen_range(0..100);
    let (payload, logged) = match roll {
        0..=19 => (
            EventPayload::VehicleSpawn {
                owner: p.name.clone(),
                name: "2019 Falcon Interceptor Utility".to_owned(),
                plate: Some(format!("{:07}", serial % 10_000_000)),
                colour: Some("Black".to_owned()),
            },
            false,
        ),
        20..=34 => (
            EventPayload::VehicleDespawn {
                owner: p.name.clone(),
                name: "2019 Falcon Interceptor Utility".to_owned(),
                plate: Some(format!("{:07}", serial % 10_000_000)),
            },
            false,
        ),
        35..=54 => (
            EventPayload::Kill {
                killer: p,
                killed: other,
            },
            true,
        ),
        55..=64 => (EventPayload::PlayerJoin { player: p }, true),
        65..=74 => (EventPayload::PlayerLeave { player: p }, true),
        75..=84 => (
            EventPayload::PlayerTeam {
                player: p,
                from: "Civilian".to_owned(),
                to: "Police".to_owned(),
            },
            false,
        ),
        85..=92 => (
            EventPayload::Command {
                player: p,
                command: format!(":wanted {} 3", other.name),
            },
            true,
        ),
        93..=96 => (
            EventPayload::ModCallNew {
                call_key: format!("{serial}"),
                caller: p,
            },
            true,
        ),
        _ => (
            EventPayload::PlayerWanted {
                player: p,
                from: 0,
                to: 3,
            },
            false,
        ),
    };
    let time = now - rng.gen_range(0..HISTORY_SECS);
    let dedupe = logged.then(|| format!("{label}:{serial}"));
    payload.into_new_event(label, time, dedupe)
}

/// Write `args.events` events, `writers` polls at a time.
async fn write(store: &Store, args: &StoreBenchArgs) -> Result<u64, BenchError> {
    let writers = args.writers.max(1);
    let per_poll = args.per_poll.max(1) as u64;
    let polls_total = args.events.div_ceil(per_poll);
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..writers {
        let store = store.clone();
        let args = args.clone();
        tasks.spawn(async move {
            let mut rng = StdRng::seed_from_u64(args.seed.wrapping_add(writer as u64));
            let checkpoint = vec![b'c'; args.checkpoint_bytes];
            let now = store.clock().now_secs();
            let mut polls = 0;
            // Poll `n` of the run goes to writer n % writers, server n % servers.
            for n in (writer as u64..polls_total).step_by(writers) {
                let server = (n % args.servers.max(1) as u64) as usize;
                let (guild, label) = server_place(server);
                let first = n * per_poll;
                let events = (first..(first + per_poll).min(args.events))
                    .map(|serial| next_event(&mut rng, server, &label, serial, now))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| BenchError::Read(e.to_string()))?;
                store
                    .events()
                    .append_with_checkpoint(guild, &label, events, &checkpoint)?;
                store.events().flush_async().await?;
                polls += 1;
            }
            Ok::<u64, BenchError>(polls)
        });
    }
    let mut polls = 0;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(written) => polls += written?,
            Err(error) => return Err(BenchError::Task(error.to_string())),
        }
    }
    Ok(polls)
}

fn disk_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => disk_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

pub(super) fn new_histogram() -> Histogram<u64> {
    // An hour in microseconds at three digits: constants hdrhistogram accepts.
    Histogram::new_with_max(3_600_000_000, 3).expect("constant bounds hdrhistogram accepts")
}

pub(super) fn elapsed_us(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Time the reads through the actions the player panel and `/logs` call.
fn read(services: &Services, args: &StoreBenchArgs) -> Result<Reads, BenchError> {
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x5eed);
    let servers = args
        .servers
        .clamp(1, usize::try_from(args.events).unwrap_or(usize::MAX).max(1));
    let mut timeline = new_histogram();
    let mut log_page = new_histogram();
    let (mut timeline_found, mut log_page_found) = (0, 0);
    let failed = |e: crate::actions::ActionError| BenchError::Read(e.to_string());
    for i in 0..args.queries {
        let server = rng.gen_range(0..servers);
        let (guild, label) = server_place(server);
        let player = server as u64 * 1_000 + rng.gen_range(0..PLAYERS_PER_SERVER) + 1;
        let started = Instant::now();
        let found = services
            .player_timeline(guild, &label, player, TIMELINE_EVENTS)
            .map_err(failed)?;
        timeline.saturating_record(elapsed_us(started));
        timeline_found += found.len();
        let kind = LogKind::ALL[i % LogKind::ALL.len()];
        let query = LogQuery {
            patterns: kind
                .patterns(Some(&label))
                .map_err(|e| BenchError::Read(e.to_string()))?,
            span_secs: Some(LOG_SPAN_SECS),
            player: None,
            per_page: LOG_LINES_PER_PAGE,
        };
        let started = Instant::now();
        let page = services
            .log_page(guild, &label, &query, 0)
            .map_err(failed)?;
        log_page.saturating_record(elapsed_us(started));
        log_page_found += page.events.len();
    }
    // Per read, so an empty answer (fast, and not what a user waits on) shows.
    let per_read = |found: usize| found as f64 / args.queries as f64;
    Ok(Reads {
        timeline: Quantiles::of(&timeline),
        timeline_events: per_read(timeline_found),
        log_page: Quantiles::of(&log_page),
        log_page_events: per_read(log_page_found),
    })
}

/// The timed reads and how many events they found on average.
struct Reads {
    timeline: Quantiles,
    timeline_events: f64,
    log_page: Quantiles,
    log_page_events: f64,
}

/// Run `bench store` in a scratch directory (removed afterwards).
pub async fn bench_store(args: &StoreBenchArgs) -> Result<StoreBenchReport, BenchError> {
    if args.events == 0 || args.servers == 0 || args.queries == 0 {
        return Err(BenchError::Arguments);
    }
    let scratch = ScratchDir::create("erlc-bot-bench-store")?;
    let dir = scratch.path().join("data");
    let key_hex = hex::encode(rand::random::<[u8; 32]>());
    let store = Store::open(store_config(&dir, &key_hex))?;
    let started = Instant::now();
    let polls = write(&store, args).await?;
    let write_seconds = started.elapsed().as_secs_f64();
    store.flush_async().await?;
    drop(store);
    let disk_mib = disk_bytes(&dir) as f64 / (1024.0 * 1024.0);
    let (started, cpu_before) = (Instant::now(), cpu_times()?);
    let store = Store::open(store_config(&dir, &key_hex))?;
    let open_ms = started.elapsed().as_secs_f64() * 1000.0;
    let open_cpu_ms = (cpu_times()?.process - cpu_before.process) * 1000.0;
    // The reads go through the same actions as the bot's; nothing here reaches PRC.
    let client =
        ErlcClient::new(ClientConfig::default()).map_err(|e| BenchError::Read(e.to_string()))?;
    let services = Services::new(store, client, ServicesOptions::default());
    let reads = read(&services, args)?;
    Ok(StoreBenchReport {
        events: args.events,
        polls,
        write_seconds,
        disk_mib,
        open_ms,
        open_cpu_ms,
        timeline_us: reads.timeline,
        timeline_events: reads.timeline_events,
        log_page_us: reads.log_page,
        log_page_events: reads.log_page_events,
        rss_mib: memory_mib("VmRSS")?,
        peak_rss_mib: memory_mib("VmHWM")?,
    })
}

/// The report as a Markdown table, with the targets beside the figures.
pub fn store_table(r: &StoreBenchReport) -> String {
    let us = |q: &Quantiles| {
        format!(
            "{:.2} / {:.2} / {:.2}",
            q.p50 as f64 / 1000.0,
            q.p99 as f64 / 1000.0,
            q.max as f64 / 1000.0
        )
    };
    format!(
        "| events | polls (durable batches) | write s | events/s written | on disk MiB | open ms (target < 1,000) | open CPU ms \
         | timeline p50 / p99 / max ms (target p99 < 10) | events per timeline \
         | /logs page p50 / p99 / max ms (target p99 < 20) | events per page | RSS MiB | peak RSS MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|\n\
         | {} | {} | {:.1} | {:.0} | {:.1} | {:.0} | {:.0} | {} | {:.1} | {} | {:.1} | {:.0} | {:.0} |\n",
        r.events,
        r.polls,
        r.write_seconds,
        r.events_per_sec(),
        r.disk_mib,
        r.open_ms,
        r.open_cpu_ms,
        us(&r.timeline_us),
        r.timeline_events,
        us(&r.log_page_us),
        r.log_page_events,
        r.rss_mib,
        r.peak_rss_mib,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_every_event_and_reads_them_back() {
        let args = StoreBenchArgs {
            events: 600,
            servers: 12,
            per_poll: 25,
            writers: 4,
            checkpoint_bytes: 64,
            queries: 20,
            seed: 3,
        };
        let report = bench_store(&args).await.unwrap();
        assert_eq!(report.events, 600);
        assert_eq!(report.polls, 24);
        assert!(report.disk_mib > 0.0);
        assert!(report.timeline_us.p50 <= report.timeline_us.max);
        assert!(
            report.timeline_events > 0.0,
            "the timelines found the players' events"
        );
        assert!(report.log_page_events > 0.0, "the pages found events");
        let text = store_table(&report);
        assert!(text.contains("| 600 | 24 |"), "{text}");
    }

    #[test]
    fn the_mix_is_valid_and_varied() {
        let mut rng = StdRng::seed_from_u64(1);
        let events: Vec<NewEvent> = (0..500)
            .map(|serial| next_event(&mut rng, 3, "s3", serial, 1_700_000_000).unwrap())
            .collect();
        let kinds: std::collections::BTreeSet<&str> =
            events.iter().map(|e| e.event_type.kind()).collect();
        assert!(kinds.len() >= 8, "{kinds:?}");
        assert!(events.iter().all(|e| e.players.iter().all(|p| *p > 3_000)));
        assert!(events.iter().any(|e| e.dedupe_key.is_some()));
    }
}
