//! The hot path of one poll, without the network and without the durability flush (that
//! measures the disk, not the code): decode a `GET /v2/server` answer with every section
//! (twelve players, vehicles, logs, calls, encoded by the simulator as PRC would), project it
//! into the tracker's world, diff it against the previous poll's world, turn the changes and
//! the log rows into events, and write them with the checkpoint in one atomic batch of a temp
//! sled database. Each step's cost shows on its own so a regression points at its step.

use std::sync::Arc;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use erlc_bot::erlc::{ClientConfig, ErlcClient, Include, ServerKey, V2Server, decode};
use erlc_bot::events::NewEvent;
use erlc_bot::sim::{ActivityConfig, SimConfig, Simulator};
use erlc_bot::store::{MasterKeySource, Store, StoreConfig};
use erlc_bot::tracker::diff::diff;
use erlc_bot::tracker::logs::read_logs;
use erlc_bot::tracker::world::{Roster, WorldState};

const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const ENDPOINT: &str = "/v2/server";
/// Activity ticks between the two snapshots: one 30 s poll interval at the simulator's 2 s.
const TICKS_PER_POLL: usize = 15;

/// Two answers of one busy server, a poll interval apart, as PRC sends them.
fn snapshots() -> (Vec<u8>, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the simulator");
    runtime.block_on(async {
        let sim = Simulator::start(SimConfig {
            servers: 1,
            seed: 7,
            initial_players: 12,
            // Ticked by hand below, so both answers are the same on every run.
            activity: Some(ActivityConfig {
                interval: std::time::Duration::from_secs(3_600),
                target_players: 12,
            }),
            ..SimConfig::default()
        })
        .await
        .expect("the simulator starts");
        let client = ErlcClient::new(ClientConfig::with_base_url(sim.base_url()))
            .expect("a client for the simulator");
        let server = client.server(ServerKey::new(sim.servers()[0].key.clone()));
        let query = Include::all().query_pairs();
        let read = async || {
            let value = server
                .raw_json(ENDPOINT, &query)
                .await
                .expect("the simulator answers");
            serde_json::to_vec(&value).expect("JSON re-encodes")
        };
        for _ in 0..TICKS_PER_POLL {
            sim.tick_activity();
        }
        let before = read().await;
        for _ in 0..TICKS_PER_POLL {
            sim.tick_activity();
        }
        let after = read().await;
        sim.shutdown().await;
        (before, after)
    })
}

fn world(body: &[u8]) -> (V2Server, WorldState) {
    let snapshot: V2Server = decode(ENDPOINT, body).expect("the simulator's JSON decodes");
    let world = WorldState::from_snapshot(&snapshot);
    (snapshot, world)
}

/// Everything up to the store: decode, project, diff, log rows, events, checkpoint.
fn plan(body: &[u8], previous: &WorldState, label: &str, now: i64) -> (Vec<NewEvent>, Vec<u8>) {
    let (snapshot, mut next) = world(body);
    next.carry_over(previous);
    let mut events = Vec::new();
    let logs = read_logs(
        &snapshot,
        Roster {
            newer: &next,
            older: Some(previous),
        },
        now,
    );
    for row in logs.rows {
        let key = Some(row.key.text());
        events.push(row.payload.into_new_event(label, row.timestamp, key));
    }
    for change in diff(previous, &next, Include::all()) {
        events.push(change.into_new_event(label, now, None));
    }
    let events = events
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .expect("the labels are valid");
    let checkpoint = serde_json::to_vec(&next).expect("a world encodes");
    (events, checkpoint)
}

fn poll(c: &mut Criterion) {
    let (before, after) = snapshots();
    let (_, previous) = world(&before);
    let now = unix_now();
    let (events, _) = plan(&after, &previous, "s0", now);
    eprintln!(
        "snapshot: {} bytes, {} events per poll",
        after.len(),
        events.len()
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(
        Store::open(StoreConfig::new(
            dir.path(),
            MasterKeySource::Env(KEY_HEX.into()),
        ))
        .expect("the store opens"),
    );
    let mut group = c.benchmark_group("poll");
    group.bench_function("decode", |b| {
        b.iter(|| decode::<V2Server>(ENDPOINT, black_box(&after)).expect("decodes"))
    });
    group.bench_function("decode_diff_events", |b| {
        b.iter(|| plan(black_box(&after), &previous, "s0", now))
    });
    // A new server label per iteration, so content dedupe never skips a row and every
    // iteration writes the whole poll, as a poll with fresh rows does.
    let mut n = 0u64;
    group.bench_function("decode_diff_events_store", |b| {
        b.iter(|| {
            n += 1;
            let label = format!("b{n}");
            let (events, checkpoint) = plan(black_box(&after), &previous, &label, now);
            store
                .events()
                .append_with_checkpoint(1, &label, events, &checkpoint)
                .expect("the batch is written")
        })
    });
    group.finish();
}

/// Unix seconds now; the simulator dates its rows with the real clock.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

criterion_group!(benches, poll);
criterion_main!(benches);
