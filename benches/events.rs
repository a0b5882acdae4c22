//! Event store benchmarks: append rate in batches of 100, a 50-result player timeline over a
//! large database, and opening that database. The large database (1,000,000 events, or
//! `ERLC_BENCH_EVENTS`) is built once per run in a temporary directory; in criterion's quick
//! `--test` mode it has 10,000 events so the check stays fast.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, black_box};
use erlc_bot::clock::{ManualClock, SharedClock};
use erlc_bot::events::{EventType, NewEvent};
use erlc_bot::store::{EventQuery, EventStore, Order};

const GUILD: u64 = 7;
const PLAYERS: u64 = 5_000;
const BUILD_BATCH: usize = 1_000;

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(1_700_000_000_000))
}

fn event_types() -> Vec<EventType> {
    [
        "main/player/join",
        "main/player/leave",
        "main/kill",
        "main/command",
        "main/modcall/new",
    ]
    .iter()
    .map(|t| EventType::parse(t).expect("benchmark event types are valid"))
    .collect()
}

/// The `n`-th synthetic event: rotating types, one second apart, one or two players.
fn synthetic(types: &[EventType], n: u64) -> NewEvent {
    let event_type = types[(n % types.len() as u64) as usize].clone();
    let mut players = vec![n % PLAYERS + 1];
    if event_type.kind() == "kill" {
        players.push((n * 7) % PLAYERS + 1);
    }
    NewEvent {
        event_type,
        source_time: 1_600_000_000 + n as i64,
        players,
        payload: serde_json::json!({"player": format!("Player{}", n % PLAYERS), "n": n}),
        dedupe_key: None,
    }
}

fn build_database(path: &Path, events: u64) {
    let db = sled::Config::new()
        .path(path)
        .open()
        .expect("open bench db");
    let store = EventStore::open(&db, clock()).expect("open event store");
    let types = event_types();
    let mut n = 0;
    while n < events {
        let end = (n + BUILD_BATCH as u64).min(events);
        let batch = (n..end).map(|i| synthetic(&types, i)).collect();
        store.append(GUILD, batch).expect("append");
        n = end;
    }
    db.flush().expect("flush bench db");
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--test");
    let events: u64 = std::env::var("ERLC_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 10_000 } else { 1_000_000 });
    let mut criterion = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let types = event_types();
    criterion.bench_function("append_batch_of_100", |b| {
        let db = sled::Config::new().temporary(true).open().expect("temp db");
        let store = EventStore::open(&db, clock()).expect("event store");
        let mut next = 0u64;
        b.iter_batched(
            || {
                let batch: Vec<NewEvent> =
                    (next..next + 100).map(|i| synthetic(&types, i)).collect();
                next += 100;
                batch
            },
            |batch| store.append(GUILD, batch).expect("append"),
            BatchSize::SmallInput,
        );
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    build_database(dir.path(), events);
    eprintln!(
        "built a {events}-event database in {:.1?}",
        started.elapsed()
    );

    {
        let db = sled::Config::new()
            .path(dir.path())
            .open()
            .expect("reopen bench db");
        let store = EventStore::open(&db, clock()).expect("event store");
        let query = EventQuery {
            max_results: 50,
            order: Order::Descending,
            ..EventQuery::default()
        };
        let mut player = 0u64;
        criterion.bench_function(&format!("player_timeline_50_of_{events}"), |b| {
            b.iter(|| {
                player = player % PLAYERS + 1;
                let page = store
                    .player_timeline(GUILD, player, &query)
                    .expect("timeline");
                black_box(page.events.len())
            });
        });
    }

    criterion.bench_function(&format!("open_{events}_event_database"), |b| {
        b.iter(|| {
            let db = sled::Config::new().path(dir.path()).open().expect("open");
            let store = EventStore::open(&db, clock()).expect("event store");
            black_box(store.count(GUILD, "traffic").expect("count"))
        });
    });

    criterion.final_summary();
}
