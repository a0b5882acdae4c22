//! Shared harnesses for the integration tests: the fake Discord, the real bot binary as a child
//! process, and the set-up each area of tests shares (a simulator, a store, a client, a
//! pipeline, the HTTP server, a scriptable PRC stub).

pub mod actions;
pub mod bot_process;
pub mod child;
pub mod client_sim;
pub mod e2e;
pub mod fake_discord;
pub mod pipeline;
pub mod sim;
pub mod sodp_client;
pub mod tracker;
pub mod transport_stub;
pub mod wait;
pub mod webhook;

use std::path::Path;

use erlc_bot::events::{Event, EventType, Pattern};
use erlc_bot::store::{EventQuery, MasterKeySource, Order, Store, StoreConfig};

/// 2026-01-01T00:00:00Z, where every manual clock starts: a multiple of 10 s, so every
/// rate-limit window starts here too.
pub const START_MS: i64 = 1_767_225_600_000;

/// A fixed master key (hex), so a test, or a restarted bot, reads what was stored before.
pub const MASTER_KEY_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// The store in `dir` with [`MASTER_KEY_HEX`], for tests that change more (the clock).
pub fn store_config(dir: &Path) -> StoreConfig {
    StoreConfig::new(dir, MasterKeySource::Env(MASTER_KEY_HEX.into()))
}

/// Opens the store in `dir` (`Store::open` waits out the lock of a store just dropped).
pub fn open_store(dir: &Path) -> Store {
    Store::open(store_config(dir)).unwrap_or_else(|e| panic!("the store does not open: {e}"))
}

/// Every stored event of exactly `event_type` in `guild`, newest first, read through the
/// paged query `/logs` uses.
pub fn stored_of_type(store: &Store, guild: u64, event_type: &EventType) -> Vec<Event> {
    let pattern = Pattern::parse(event_type.as_str()).expect("a type is a pattern");
    let mut query = EventQuery {
        patterns: vec![pattern],
        order: Order::Descending,
        // Cut to the largest page the store gives.
        max_results: usize::MAX,
        ..EventQuery::default()
    };
    let mut found = Vec::new();
    loop {
        let page = store.events().query(guild, &query).expect("query events");
        found.extend(page.events);
        match page.next {
            Some(next) if page.more_follows => query.after = Some(next),
            _ => return found,
        }
    }
}
