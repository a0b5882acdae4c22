//! Shared set-up for the tracker's integration tests: a simulator, a real store in a temporary
//! directory and a real client pointed at the simulator, all on one manual clock (or the
//! system clock for pacing tests).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use erlc_bot::clock::{ManualClock, SharedClock};
use erlc_bot::erlc::models::Include;
use erlc_bot::erlc::{ClientConfig, ErlcClient, ServerKey};
use erlc_bot::events::Event;
use erlc_bot::sim::{BucketLimit, SimConfig, SimHandle, Simulator};
use erlc_bot::store::Store;
use erlc_bot::tracker::{TrackedServer, Tracker, TrackerConfig};

use super::{START_MS, store_config};

pub const GUILD: u64 = 4242;
pub const LABEL: &str = "main";

/// Open the store in `dir` (`Store::open` waits out the lock of a store just dropped).
pub fn open_store(dir: &Path, clock: SharedClock) -> Store {
    let mut config = store_config(dir);
    config.clock = clock;
    Store::open(config).unwrap_or_else(|e| panic!("store does not open: {e}"))
}

/// A simulator with a manual clock and limits no test here reaches.
pub async fn manual_sim(servers: usize, retention: usize) -> (SimHandle, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START_MS));
    let mut config = SimConfig {
        clock: clock.clone(),
        servers,
        read_limit: BucketLimit::new(100_000, 10),
        command_limit: BucketLimit::new(100_000, 5),
        ..SimConfig::default()
    };
    config.quirks.log_retention = retention;
    (
        Simulator::start(config).await.expect("simulator starts"),
        clock,
    )
}

pub fn client(sim: &SimHandle, clock: SharedClock) -> ErlcClient {
    let mut config = ClientConfig::with_base_url(sim.base_url());
    config.clock = clock;
    ErlcClient::new(config).expect("client")
}

pub fn tracked(client: &ErlcClient, sim: &SimHandle, index: usize, label: &str) -> TrackedServer {
    let key = sim.servers()[index].key.clone();
    TrackedServer {
        guild: GUILD,
        label: label.to_owned(),
        handle: client.server(ServerKey::new(key)),
        include: Include::all(),
        want_bans: false,
    }
}

/// A tracker for server 0 of `sim` as `main`, deterministic jitter.
pub fn tracker(store: &Store, client: &ErlcClient, sim: &SimHandle) -> Tracker {
    let config = TrackerConfig {
        seed: Some(7),
        ..TrackerConfig::default()
    };
    let tracker = Tracker::new(store.clone(), config);
    tracker
        .add_server(tracked(client, sim, 0, LABEL))
        .expect("server added");
    tracker
}

/// Every stored event of `main`, in id order.
pub fn all_events(store: &Store) -> Vec<Event> {
    store
        .events()
        .events_since(GUILD, LABEL, 0, 100_000)
        .expect("events read")
}

/// The kind part of each event type (`main/player/join` → `player/join`).
pub fn kinds(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            e.event_type
                .as_str()
                .split_once('/')
                .map_or(String::new(), |(_, kind)| kind.to_owned())
        })
        .collect()
}

pub fn count_by_kind(events: &[Event]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for kind in kinds(events) {
        *counts.entry(kind).or_default() += 1;
    }
    counts
}
