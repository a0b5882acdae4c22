//! Databases written by earlier versions still read, dedupe, expire and purge correctly beside
//! events written now: the layout before the record envelope and the kind-carrying partition
//! index (JSON records, a `BY_TIME` entry per event, empty index values, JSON "latest" copies
//! and per-type counters, both retired since), and the layout of `ae044d2` (one enveloped
//! record per event, before chunks).

use std::sync::Arc;

use serde_json::json;

use super::record::{StoredEvent, encode_record};
use super::*;
use crate::clock::ManualClock;
use crate::events::{EventType, Pattern};
use crate::store::keys::be_u64;

const GUILD: u64 = 77;

fn ty(text: &str) -> EventType {
    EventType::parse(text).unwrap()
}

fn old_event(id: u64, kind: &str, source_time: i64, players: &[u64]) -> Event {
    Event {
        guild: GUILD,
        server: "main".into(),
        id,
        event_type: ty(&format!("main/{kind}")),
        source_time,
        recorded_at_ms: 1_600_000_000_000,
        players: players.to_vec(),
        payload: json!({"old": id}),
    }
}

/// A key of the retired per-type entries: guild, then the type.
fn typed_key(tag: u8, event_type: &EventType) -> Vec<u8> {
    let mut key = layout::guild_prefix(tag, GUILD);
    key.extend_from_slice(event_type.as_str().as_bytes());
    key
}

/// What the previous store wrote for `events` (of one server, ids in order), key by key.
fn write_old_format(tree: &sled::Tree, events: &[(Event, Option<&str>)]) {
    let retention = RetentionConfig::default();
    let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for (event, dedupe_key) in events {
        let position = Cursor::of(event);
        let partition = retention.partition_of(&event.event_type);
        let mut by_time = layout::guild_prefix(layout::BY_TIME, GUILD);
        layout::push_position(&mut by_time, &position).unwrap();
        tree.insert(by_time, &[]).unwrap();
        for player in &event.players {
            let mut key = layout::player_prefix(GUILD, *player);
            layout::push_position(&mut key, &position).unwrap();
            tree.insert(key, &[]).unwrap();
        }
        let mut by_partition = layout::partition_prefix(GUILD, partition).unwrap();
        layout::push_position(&mut by_partition, &position).unwrap();
        tree.insert(by_partition, &[]).unwrap();
        if let Some(content_key) = dedupe_key {
            let key = layout::dedupe_key(GUILD, "main", content_key).unwrap();
            tree.insert(key, &be_u64(event.id)).unwrap();
        }
        let record = StoredEvent {
            event: event.clone(),
            dedupe_key: dedupe_key.map(str::to_owned),
            time_indexed: false,
        };
        let key = layout::record_key(GUILD, "main", event.id).unwrap();
        tree.insert(key, serde_json::to_vec(&record).unwrap())
            .unwrap();
        tree.insert(
            typed_key(layout::LATEST, &event.event_type),
            serde_json::to_vec(event).unwrap(),
        )
        .unwrap();
        *counts
            .entry(layout::partition_count_key(GUILD, partition))
            .or_default() += 1;
        *counts
            .entry(typed_key(layout::TYPE_COUNT, &event.event_type))
            .or_default() += 1;
        tree.insert(
            layout::last_id_key(GUILD, "main").unwrap(),
            &be_u64(event.id),
        )
        .unwrap();
    }
    for (key, count) in counts {
        tree.insert(key, &be_u64(count)).unwrap();
    }
}

fn keys_tagged(store: &EventStore, tag: u8) -> usize {
    store.tree.scan_prefix([tag]).count()
}

#[test]
fn an_old_database_reads_dedupes_expires_and_purges_beside_new_events() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let mut config = RetentionConfig::default();
    config.policies.insert(
        "traffic".into(),
        RetentionPolicy {
            max_entries: Some(2),
            max_age: None,
            min_keep: 0,
        },
    );
    let store =
        EventStore::open_with_retention(&db, Arc::new(ManualClock::new(1_700_000_000_000)), config)
            .unwrap();
    write_old_format(
        &store.tree,
        &[
            (old_event(1, "kill", 10, &[5, 6]), Some("kill/a")),
            (old_event(2, "player/join", 20, &[5]), None),
            (old_event(3, "command", 30, &[6]), Some("command/b")),
        ],
    );
    assert_eq!(
        store.get(GUILD, "main", 1).unwrap(),
        Some(old_event(1, "kill", 10, &[5, 6]))
    );

    // New events: ids go on, a key the old store holds is still a duplicate.
    let new = |kind: &str, t: i64, players: &[u64], key: Option<&str>| NewEvent {
        event_type: ty(&format!("main/{kind}")),
        source_time: t,
        players: players.to_vec(),
        payload: json!({"new": t}),
        dedupe_key: key.map(str::to_owned),
    };
    let stored = store
        .append(
            GUILD,
            vec![
                new("kill", 11, &[5], Some("kill/a")),
                new("kill", 15, &[5], Some("kill/c")),
                new("player/join", 25, &[6], None),
            ],
        )
        .unwrap();
    assert_eq!(stored.iter().map(|e| e.id).collect::<Vec<_>>(), [4, 5]);

    // Pages and timelines interleave both formats in time order, filters apply to both.
    let all = EventQuery {
        order: Order::Ascending,
        max_results: 10,
        ..EventQuery::default()
    };
    let times = |page: Page| {
        page.events
            .iter()
            .map(|e| e.source_time)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        times(store.query(GUILD, &all).unwrap()),
        [10, 15, 20, 25, 30]
    );
    let kills = EventQuery {
        patterns: vec![Pattern::parse("?/kill").unwrap()],
        ..all.clone()
    };
    assert_eq!(times(store.query(GUILD, &kills).unwrap()), [10, 15]);
    let page = EventQuery {
        max_results: 2,
        order: Order::Descending,
        ..all.clone()
    };
    let first = store.query(GUILD, &page).unwrap();
    assert_eq!(times(first.clone()), [30, 25]);
    let after = EventQuery {
        after: first.next,
        ..page
    };
    assert_eq!(times(store.query(GUILD, &after).unwrap()), [20, 15]);
    assert_eq!(
        times(store.player_timeline(GUILD, 5, &all).unwrap()),
        [10, 15, 20]
    );
    let replay = store.events_since(GUILD, "main", 2, 10).unwrap();
    assert_eq!(replay.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4, 5]);
    let newest_kill = EventQuery {
        max_results: 1,
        order: Order::Descending,
        ..kills.clone()
    };
    assert_eq!(times(store.query(GUILD, &newest_kill).unwrap()), [15]);
    assert_eq!(
        keys_tagged(&store, layout::LATEST),
        3,
        "the retired copies are left as they were"
    );
    assert_eq!(store.count(GUILD, "traffic").unwrap(), 4);

    // Retention removes old events with every index entry they had, `BY_TIME` included,
    // and frees their content keys.
    let mut removed = 0;
    while let n @ 1.. = store.cleanup_batch(0, 10).unwrap() {
        removed += n;
    }
    assert_eq!(removed, 2, "traffic down to its two newest");
    assert_eq!(times(store.query(GUILD, &all).unwrap()), [20, 25, 30]);
    assert_eq!(
        keys_tagged(&store, layout::BY_TIME),
        2,
        "the old join's and command's"
    );
    assert_eq!(
        times(store.player_timeline(GUILD, 6, &all).unwrap()),
        [25, 30]
    );
    let again = store
        .append(GUILD, vec![new("kill", 12, &[], Some("kill/a"))])
        .unwrap();
    assert_eq!(again.len(), 1, "the expired row's content key was freed");

    assert_eq!(store.purge_guild(GUILD).unwrap(), 4);
    for tag in layout::PURGED_TAGS {
        assert_eq!(keys_tagged(&store, tag), 0, "tag {tag}");
    }
}

/// What `ae044d2` wrote for `events` (of server `main`, ids in order): an enveloped record per
/// event, kind-carrying partition entries, and the retired latest copies and type counters.
fn write_ae044d2_format(tree: &sled::Tree, events: &[(Event, Option<&str>)]) {
    let retention = RetentionConfig::default();
    let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for (event, dedupe_key) in events {
        let partition = retention.partition_of(&event.event_type);
        for (key, value) in index_entries(event, partition).unwrap() {
            tree.insert(key, value).unwrap();
        }
        if let Some(content_key) = dedupe_key {
            let key = layout::dedupe_key(GUILD, "main", content_key).unwrap();
            tree.insert(key, &be_u64(event.id)).unwrap();
        }
        let key = layout::record_key(GUILD, "main", event.id).unwrap();
        tree.insert(key, encode_record(event, *dedupe_key).unwrap())
            .unwrap();
        tree.insert(
            typed_key(layout::LATEST, &event.event_type),
            serde_json::to_vec(event).unwrap(),
        )
        .unwrap();
        for key in [
            layout::partition_count_key(GUILD, partition),
            typed_key(layout::TYPE_COUNT, &event.event_type),
        ] {
            *counts.entry(key).or_default() += 1;
        }
        tree.insert(
            layout::last_id_key(GUILD, "main").unwrap(),
            &be_u64(event.id),
        )
        .unwrap();
    }
    for (key, count) in counts {
        tree.insert(key, &be_u64(count)).unwrap();
    }
}

#[test]
fn a_database_of_one_record_per_event_reads_beside_chunks() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let mut config = RetentionConfig::default();
    config.policies.insert(
        "traffic".into(),
        RetentionPolicy {
            max_entries: Some(3),
            max_age: None,
            min_keep: 0,
        },
    );
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    write_ae044d2_format(
        &db.open_tree(EVENTS_TREE).unwrap(),
        &[
            (old_event(1, "kill", 10, &[5, 6]), Some("kill/a")),
            (old_event(2, "player/join", 20, &[5]), None),
            (old_event(3, "command", 30, &[6]), Some("command/b")),
        ],
    );
    // Opened after the old writes, as a restart after an upgrade would.
    let store = EventStore::open_with_retention(&db, clock, config).unwrap();
    let new = |kind: &str, t: i64, key: Option<&str>| NewEvent {
        event_type: ty(&format!("main/{kind}")),
        source_time: t,
        players: vec![5],
        payload: json!({"new": t}),
        dedupe_key: key.map(str::to_owned),
    };
    let stored = store
        .append(
            GUILD,
            vec![
                new("kill", 11, Some("kill/a")),
                new("kill", 12, None),
                new("command", 31, Some("command/c")),
                new("kill", 13, None),
            ],
        )
        .unwrap();
    assert_eq!(
        stored.iter().map(|e| e.id).collect::<Vec<_>>(),
        [4, 5, 6],
        "ids go on; a content key the old store holds is still a duplicate"
    );
    store
        .append(GUILD, vec![new("player/leave", 40, None)])
        .unwrap();
    assert_eq!(
        keys_tagged(&store, layout::RECORD),
        5,
        "three old, a chunk, a single"
    );

    for id in 1..=7 {
        let event = store.get(GUILD, "main", id).unwrap().unwrap();
        assert_eq!(event.id, id);
    }
    assert_eq!(
        store.get(GUILD, "main", 1).unwrap().unwrap().players,
        [5, 6]
    );
    assert_eq!(
        store.get(GUILD, "main", 4).unwrap().unwrap().source_time,
        12
    );
    assert!(store.get(GUILD, "main", 8).unwrap().is_none());
    let ids = |events: Vec<Event>| events.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.events_since(GUILD, "main", 0, 10).unwrap()),
        [1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(
        ids(store.events_since(GUILD, "main", 4, 10).unwrap()),
        [5, 6, 7]
    );
    assert_eq!(
        ids(store.events_since(GUILD, "main", 2, 3).unwrap()),
        [3, 4, 5]
    );

    let all = EventQuery {
        order: Order::Ascending,
        max_results: 10,
        ..EventQuery::default()
    };
    let times = |page: Page| {
        page.events
            .iter()
            .map(|e| e.source_time)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        times(store.query(GUILD, &all).unwrap()),
        [10, 12, 13, 20, 30, 31, 40]
    );
    let commands = EventQuery {
        patterns: vec![Pattern::parse("?/command").unwrap()],
        ..all.clone()
    };
    assert_eq!(times(store.query(GUILD, &commands).unwrap()), [30, 31]);
    assert_eq!(
        times(store.player_timeline(GUILD, 6, &all).unwrap()),
        [10, 30]
    );

    // Traffic down to its three newest: the old kill and the chunk's first kill go, the
    // chunk is rewritten around what is left.
    let mut removed = 0;
    while let n @ 1.. = store.cleanup_batch(0, 10).unwrap() {
        removed += n;
    }
    assert_eq!(removed, 2);
    assert!(store.get(GUILD, "main", 1).unwrap().is_none());
    assert!(store.get(GUILD, "main", 4).unwrap().is_none());
    assert_eq!(
        ids(store.events_since(GUILD, "main", 0, 10).unwrap()),
        [2, 3, 5, 6, 7]
    );
    assert_eq!(
        times(store.query(GUILD, &all).unwrap()),
        [13, 20, 30, 31, 40]
    );
    assert_eq!(store.count(GUILD, "traffic").unwrap(), 3);
    let again = store
        .append(GUILD, vec![new("kill", 14, Some("kill/a"))])
        .unwrap();
    assert_eq!(
        again.len(),
        1,
        "the expired old row's content key was freed"
    );

    assert_eq!(store.purge_guild(GUILD).unwrap(), 6);
    for tag in layout::PURGED_TAGS {
        assert_eq!(keys_tagged(&store, tag), 0, "tag {tag}");
    }
}
