//! Tests of the event store against temporary sled databases.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::clock::ManualClock;
use crate::events::{EventType, Pattern};

const GUILD: u64 = 1001;

fn temp_db() -> sled::Db {
    sled::Config::new().temporary(true).open().unwrap()
}

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(1_700_000_000_000))
}

fn ty(text: &str) -> EventType {
    EventType::parse(text).unwrap()
}

fn new_event(event_type: &str, source_time: i64, players: &[u64]) -> NewEvent {
    NewEvent {
        event_type: ty(event_type),
        source_time,
        players: players.to_vec(),
        payload: json!({"t": source_time}),
        dedupe_key: None,
    }
}

/// How many stored events have exactly this type, through a filtered page.
fn of_type(store: &EventStore, event_type: &str) -> usize {
    let page = store
        .query(
            GUILD,
            &EventQuery {
                patterns: vec![Pattern::parse(event_type).unwrap()],
                max_results: MAX_PAGE_SIZE,
                ..EventQuery::default()
            },
        )
        .unwrap();
    assert!(!page.more_follows, "tests store less than a page");
    page.events.len()
}

fn times(page: &Page) -> Vec<i64> {
    page.events.iter().map(|e| e.source_time).collect()
}

fn query(max_results: usize, order: Order) -> EventQuery {
    EventQuery {
        max_results,
        order,
        ..EventQuery::default()
    }
}

#[test]
fn ids_are_monotonic_per_server_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = crate::store::db::open_test_db(dir.path());
        let store = EventStore::open(&db, clock()).unwrap();
        let stored = store
            .append(
                GUILD,
                vec![
                    new_event("main/kill", 1, &[]),
                    new_event("side/kill", 2, &[]),
                    new_event("main/kill", 3, &[]),
                ],
            )
            .unwrap();
        let ids: Vec<(String, u64)> = stored.iter().map(|e| (e.server.clone(), e.id)).collect();
        assert_eq!(
            ids,
            [("main".into(), 1), ("side".into(), 1), ("main".into(), 2)]
        );
        assert_eq!(stored[0].recorded_at_ms, 1_700_000_000_000);
        db.flush().unwrap();
    }
    let db = crate::store::db::open_test_db(dir.path());
    let store = EventStore::open(&db, clock()).unwrap();
    let stored = store
        .append(GUILD, vec![new_event("main/kill", 4, &[])])
        .unwrap();
    assert_eq!(stored[0].id, 3);
    assert_eq!(store.get(GUILD, "main", 2).unwrap().unwrap().source_time, 3);
    assert_eq!(store.get(GUILD, "main", 9).unwrap(), None);
    let other_guild = store
        .append(GUILD + 1, vec![new_event("main/kill", 4, &[])])
        .unwrap();
    assert_eq!(other_guild[0].id, 1);
}

#[test]
fn time_order_handles_negative_and_large_times() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    let given = [i64::MAX, 0, -1, 1_700_000_000, i64::MIN, -5_000_000_000, 1];
    let events = given.iter().map(|t| new_event("main/kill", *t, &[]));
    store.append(GUILD, events.collect()).unwrap();
    let mut sorted = given.to_vec();
    sorted.sort();
    let ascending = store.query(GUILD, &query(100, Order::Ascending)).unwrap();
    assert_eq!(times(&ascending), sorted);
    sorted.reverse();
    let descending = store.query(GUILD, &query(100, Order::Descending)).unwrap();
    assert_eq!(times(&descending), sorted);
    let window = EventQuery {
        from: Some(-1),
        to: Some(1),
        ..query(100, Order::Ascending)
    };
    assert_eq!(times(&store.query(GUILD, &window).unwrap()), [-1, 0, 1]);
}

#[test]
fn pages_continue_after_the_cursor() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    let events = (1..=4).map(|t| new_event("main/kill", t, &[])).collect();
    store.append(GUILD, events).unwrap();
    for (order, first, second) in [
        (Order::Descending, [4, 3], [2, 1]),
        (Order::Ascending, [1, 2], [3, 4]),
    ] {
        let page = store.query(GUILD, &query(2, order)).unwrap();
        assert_eq!(times(&page), first);
        assert!(page.more_follows);
        let next = EventQuery {
            after: page.next.clone(),
            ..query(2, order)
        };
        let page = store.query(GUILD, &next).unwrap();
        assert_eq!(times(&page), second);
        assert!(!page.more_follows);
        assert_eq!(page.next, None);
    }
    assert!(matches!(
        store.query(GUILD, &query(0, Order::Ascending)),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn patterns_and_server_filter_queries() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    let events = vec![
        new_event("main/player/join", 1, &[]),
        new_event("main/kill", 2, &[]),
        new_event("side/player/leave", 3, &[]),
        new_event("main/modcall/new", 4, &[]),
    ];
    store.append(GUILD, events).unwrap();
    let by_pattern = EventQuery {
        patterns: vec![Pattern::parse("?/player/*").unwrap()],
        ..query(10, Order::Ascending)
    };
    assert_eq!(times(&store.query(GUILD, &by_pattern).unwrap()), [1, 3]);
    let by_server = EventQuery {
        server: Some("main".into()),
        patterns: vec![
            Pattern::parse("?/player/*").unwrap(),
            Pattern::parse("main/modcall/*").unwrap(),
        ],
        ..query(10, Order::Ascending)
    };
    assert_eq!(times(&store.query(GUILD, &by_server).unwrap()), [1, 4]);
    assert!(
        store
            .query(GUILD + 1, &by_pattern)
            .unwrap()
            .events
            .is_empty()
    );
}

#[test]
fn player_timeline_holds_only_that_player() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    let events = vec![
        new_event("main/player/join", 10, &[7]),
        new_event("main/kill", 5, &[7, 8]),
        new_event("main/kill", 6, &[8]),
        new_event("main/player/leave", 20, &[7, 7]),
    ];
    store.append(GUILD, events).unwrap();
    let page = store
        .player_timeline(GUILD, 7, &query(10, Order::Ascending))
        .unwrap();
    assert_eq!(times(&page), [5, 10, 20]);
    let page = store
        .player_timeline(GUILD, 8, &query(1, Order::Descending))
        .unwrap();
    assert_eq!(times(&page), [6]);
    assert!(page.more_follows);
    assert!(
        store
            .player_timeline(GUILD, 9, &query(10, Order::Ascending))
            .unwrap()
            .events
            .is_empty()
    );
}

#[test]
fn events_since_replays_in_id_order() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    let events = [30, 10, 20].map(|t| new_event("main/kill", t, &[]));
    store.append(GUILD, events.to_vec()).unwrap();
    store
        .append(GUILD, vec![new_event("side/kill", 1, &[])])
        .unwrap();
    let replay = store.events_since(GUILD, "main", 1, 10).unwrap();
    let ids: Vec<u64> = replay.iter().map(|e| e.id).collect();
    assert_eq!(ids, [2, 3]);
    assert_eq!(store.events_since(GUILD, "main", 0, 1).unwrap().len(), 1);
    assert!(
        store
            .events_since(GUILD, "main", u64::MAX, 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn heads_name_the_last_id_of_every_server() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    assert!(store.heads().unwrap().is_empty());
    store
        .append(
            GUILD,
            [1, 2, 3].map(|t| new_event("main/kill", t, &[])).to_vec(),
        )
        .unwrap();
    store
        .append(GUILD, vec![new_event("side/kill", 1, &[])])
        .unwrap();
    store
        .append(7, vec![new_event("main/kill", 1, &[])])
        .unwrap();
    let heads: Vec<(u64, String, u64)> = store
        .heads()
        .unwrap()
        .into_iter()
        .map(|h| (h.guild, h.server, h.last_id))
        .collect();
    assert_eq!(
        heads,
        [
            (7, "main".to_owned(), 1),
            (GUILD, "main".to_owned(), 3),
            (GUILD, "side".to_owned(), 1)
        ]
    );
}

#[test]
fn dedupe_key_skips_repeated_rows() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    let keyed = |t, key: &str| NewEvent {
        dedupe_key: Some(key.to_owned()),
        ..new_event("main/command", t, &[])
    };
    let stored = store
        .append(GUILD, vec![keyed(1, "a"), keyed(1, "a"), keyed(2, "b")])
        .unwrap();
    assert_eq!(stored.len(), 2);
    let stored = store
        .append(GUILD, vec![keyed(1, "a"), keyed(3, "c")])
        .unwrap();
    assert_eq!(stored.iter().map(|e| e.id).collect::<Vec<_>>(), [3]);
    assert_eq!(of_type(&store, "main/command"), 3);
}

fn store_with(policy: RetentionPolicy) -> EventStore {
    let mut config = RetentionConfig::default();
    config.policies.insert("traffic".into(), policy);
    EventStore::open_with_retention(&temp_db(), clock(), config).unwrap()
}

fn drain(store: &EventStore, now_ms: i64, batch: usize) -> (usize, usize) {
    let (mut removed, mut rounds) = (0, 0);
    loop {
        let n = store.cleanup_batch(now_ms, batch).unwrap();
        if n == 0 {
            return (removed, rounds);
        }
        assert!(n <= batch);
        removed += n;
        rounds += 1;
    }
}

#[test]
fn retention_max_entries_keeps_the_newest() {
    let store = store_with(RetentionPolicy {
        max_entries: Some(2),
        max_age: None,
        min_keep: 0,
    });
    let events = (1..=5).map(|t| new_event("main/kill", t, &[t as u64]));
    store.append(GUILD, events.collect()).unwrap();
    store
        .append(GUILD, vec![new_event("main/command", 0, &[])])
        .unwrap();
    assert_eq!(drain(&store, 0, 2), (3, 2));
    let page = store.query(GUILD, &query(10, Order::Ascending)).unwrap();
    assert_eq!(
        times(&page),
        [0, 4, 5],
        "moderation untouched, newest two kills kept"
    );
    assert_eq!(store.count(GUILD, "traffic").unwrap(), 2);
    assert_eq!(store.count(GUILD, "moderation").unwrap(), 1);
    assert_eq!(of_type(&store, "main/kill"), 2);
    let timeline = store
        .player_timeline(GUILD, 1, &query(10, Order::Ascending))
        .unwrap();
    assert!(
        timeline.events.is_empty(),
        "player index entries removed too"
    );
}

#[test]
fn retention_max_age_respects_min_keep() {
    let store = store_with(RetentionPolicy {
        max_entries: None,
        max_age: Some(Duration::ZERO),
        min_keep: 2,
    });
    let events = (1..=4).map(|t| new_event("main/player/join", t, &[]));
    store.append(GUILD, events.collect()).unwrap();
    assert_eq!(drain(&store, 1_000_000, 100).0, 2);
    let page = store.query(GUILD, &query(10, Order::Ascending)).unwrap();
    assert_eq!(times(&page), [3, 4]);
    let fresh = store_with(RetentionPolicy {
        max_entries: None,
        max_age: Some(Duration::from_secs(10)),
        min_keep: 0,
    });
    let events = [100, 195, 200].map(|t| new_event("main/kill", t, &[]));
    fresh.append(GUILD, events.to_vec()).unwrap();
    assert_eq!(
        drain(&fresh, 200_000, 10).0,
        1,
        "only the event older than 10 s"
    );
}

#[test]
fn counts_follow_appends_cleanup_and_purge() {
    let store = store_with(RetentionPolicy {
        max_entries: Some(1),
        max_age: None,
        min_keep: 0,
    });
    let events = vec![
        new_event("main/kill", 1, &[5]),
        new_event("main/kill", 2, &[5]),
        new_event("main/ban/added", 3, &[5]),
    ];
    store.append(GUILD, events.clone()).unwrap();
    store.append(GUILD + 1, events).unwrap();
    assert_eq!(store.count(GUILD, "traffic").unwrap(), 2);
    assert_eq!(store.count(GUILD, "moderation").unwrap(), 1);
    assert_eq!(of_type(&store, "main/ban/added"), 1);
    assert_eq!(drain(&store, 0, 10).0, 2, "one kill per guild");
    assert_eq!(store.count(GUILD, "traffic").unwrap(), 1);
    assert_eq!(store.purge_guild(GUILD).unwrap(), 2);
    assert_eq!(store.count(GUILD, "moderation").unwrap(), 0);
    assert_eq!(of_type(&store, "main/kill"), 0);
    let all = query(10, Order::Ascending);
    assert!(store.query(GUILD, &all).unwrap().events.is_empty());
    assert!(
        store
            .player_timeline(GUILD, 5, &all)
            .unwrap()
            .events
            .is_empty()
    );
    assert_eq!(store.query(GUILD + 1, &all).unwrap().events.len(), 2);
    assert_eq!(store.count(GUILD + 1, "traffic").unwrap(), 1);
    let after = store
        .append(GUILD, vec![new_event("main/kill", 9, &[])])
        .unwrap();
    assert_eq!(after[0].id, 4, "ids are not reused after a purge");
}

fn corrupt<T>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Corrupt { .. }))
}

#[test]
fn damaged_record_is_reported_as_corrupt() {
    let store = EventStore::open(&temp_db(), clock()).unwrap();
    store
        .append(GUILD, vec![new_event("main/kill", 1, &[3])])
        .unwrap();
    let key = layout::record_key(GUILD, "main", 1).unwrap();
    store.tree.insert(key, &b"{not json"[..]).unwrap();
    assert!(corrupt(store.get(GUILD, "main", 1)));
    assert!(corrupt(store.query(GUILD, &query(5, Order::Ascending))));
    assert!(corrupt(store.player_timeline(
        GUILD,
        3,
        &query(5, Order::Ascending)
    )));
    assert!(corrupt(store.events_since(GUILD, "main", 0, 5)));
    let counter = layout::partition_count_key(GUILD, "traffic");
    store.tree.insert(counter, &[1, 2][..]).unwrap();
    assert!(corrupt(store.count(GUILD, "traffic")));
}

#[test]
fn retention_config_is_validated() {
    let mut config = RetentionConfig::default();
    assert_eq!(config.partition_of(&ty("main/modcall/new")), "moderation");
    assert_eq!(config.partition_of(&ty("main/player")), "traffic");
    assert_eq!(config.partition_of(&ty("main/feed/gap")), "system");
    assert_eq!(config.partition_of(&ty("main/weather")), "other");
    config
        .policies
        .insert("typo".into(), config.policies["other"].clone());
    assert!(matches!(config.validate(), Err(StoreError::Invalid(_))));
    let config = RetentionConfig {
        fallback_partition: "has space".into(),
        ..RetentionConfig::default()
    };
    assert!(config.validate().is_err());
}

#[test]
fn an_append_is_one_record_per_server_and_retention_rewrites_or_drops_it() {
    let store = store_with(RetentionPolicy {
        max_entries: Some(1),
        max_age: None,
        min_keep: 0,
    });
    let records = |store: &EventStore| store.tree.scan_prefix([layout::RECORD]).count();
    let stored = store
        .append(
            GUILD,
            vec![
                new_event("main/kill", 1, &[]),
                new_event("side/kill", 2, &[]),
                new_event("main/kill", 3, &[]),
                new_event("main/player/join", 4, &[]),
            ],
        )
        .unwrap();
    let ids: Vec<(&str, u64)> = stored.iter().map(|e| (e.server.as_str(), e.id)).collect();
    assert_eq!(ids, [("main", 1), ("side", 1), ("main", 2), ("main", 3)]);
    assert_eq!(records(&store), 2, "a chunk for main, a record for side");
    assert_eq!(store.get(GUILD, "main", 2).unwrap().unwrap().source_time, 3);

    assert_eq!(drain(&store, 0, 10).0, 3, "traffic down to its newest");
    assert_eq!(
        records(&store),
        1,
        "side's record went, main's chunk was rewritten"
    );
    assert!(store.get(GUILD, "side", 1).unwrap().is_none());
    assert!(store.get(GUILD, "main", 1).unwrap().is_none());
    let rest = store.events_since(GUILD, "main", 0, 10).unwrap();
    assert_eq!(rest.iter().map(|e| e.id).collect::<Vec<_>>(), [3]);
    assert_eq!(store.purge_guild(GUILD).unwrap(), 1);
    assert_eq!(records(&store), 0);
}
