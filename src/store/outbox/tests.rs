//! Tests of the outbox against temporary sled databases.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::clock::ManualClock;

fn entry(key: &str, destination: &str) -> OutboxEntry {
    OutboxEntry {
        idempotency_key: key.to_owned(),
        destination: destination.to_owned(),
        payload: serde_json::value::to_raw_value(&json!({"content": key})).unwrap(),
        edit_of: None,
    }
}

fn keys(found: &[PendingDelivery]) -> Vec<&str> {
    found
        .iter()
        .map(|p| p.entry.idempotency_key.as_str())
        .collect()
}

#[test]
fn pending_until_delivered_and_duplicates_refused() {
    let clock = Arc::new(ManualClock::new(1_000));
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, clock.clone()).unwrap();
    assert!(outbox.enqueue(entry("a", "chan-1")).unwrap());
    assert!(outbox.enqueue(entry("b", "chan-1")).unwrap());
    assert!(outbox.enqueue(entry("c", "chan-2")).unwrap());
    assert!(!outbox.enqueue(entry("a", "chan-9")).unwrap());
    assert_eq!(outbox.depth().unwrap(), 3);
    assert_eq!(keys(&outbox.pending(10).unwrap()), ["a", "b", "c"]);
    assert_eq!(keys(&outbox.pending(2).unwrap()), ["a", "b"]);

    outbox
        .mark_attempt_failed("a", 5_000, "429 Too Many Requests")
        .unwrap();
    let pending = outbox.pending(1).unwrap();
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(pending[0].next_attempt_at_ms, 5_000);
    assert_eq!(
        pending[0].last_error.as_deref(),
        Some("429 Too Many Requests")
    );
    assert_eq!(
        keys(&outbox.due(10).unwrap()),
        ["b", "c"],
        "a waits for its retry time"
    );
    clock.set_ms(5_000);
    assert_eq!(keys(&outbox.due(10).unwrap()), ["a", "b", "c"]);

    outbox.mark_delivered("b", "msg-2".into()).unwrap();
    assert_eq!(outbox.depth().unwrap(), 2);
    assert_eq!(keys(&outbox.pending(10).unwrap()), ["a", "c"]);
    assert_eq!(
        outbox.delivered_message_id("b").unwrap().as_deref(),
        Some("msg-2")
    );
    assert_eq!(outbox.delivered_message_id("a").unwrap(), None);
    assert!(
        !outbox.enqueue(entry("b", "chan-1")).unwrap(),
        "delivered keys stay taken"
    );
    outbox.mark_delivered("b", "msg-3".into()).unwrap();
    assert_eq!(
        outbox.depth().unwrap(),
        2,
        "redelivery does not change depth"
    );
    assert_eq!(
        outbox.delivered_message_id("b").unwrap().as_deref(),
        Some("msg-3")
    );
    outbox.mark_attempt_failed("b", 9_000, "late").unwrap();
    assert!(matches!(
        outbox.mark_delivered("zzz", "m".into()),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        outbox.enqueue(entry("", "chan-1")),
        Err(StoreError::Invalid(_))
    ));
}

fn answered_card() -> OutboxEntry {
    OutboxEntry {
        edit_of: Some("modcall-1".into()),
        ..entry("modcall-2", "chan-1")
    }
}

#[test]
fn message_ids_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(0));
    {
        let db = crate::store::db::open_test_db(dir.path());
        let outbox = Outbox::open(&db, clock.clone()).unwrap();
        outbox.enqueue(entry("modcall-1", "chan-1")).unwrap();
        outbox.enqueue(answered_card()).unwrap();
        outbox
            .mark_delivered("modcall-1", "987654321".into())
            .unwrap();
        db.flush().unwrap();
    }
    let db = crate::store::db::open_test_db(dir.path());
    let outbox = Outbox::open(&db, clock).unwrap();
    assert_eq!(
        outbox.delivered_message_id("modcall-1").unwrap().as_deref(),
        Some("987654321")
    );
    assert_eq!(outbox.depth().unwrap(), 1);
    let pending = outbox.pending(10).unwrap();
    assert_eq!(keys(&pending), ["modcall-2"]);
    assert_eq!(pending[0].entry, answered_card());
    assert!(outbox.enqueue(entry("modcall-3", "chan-1")).unwrap());
    assert_eq!(
        keys(&outbox.pending(10).unwrap()),
        ["modcall-2", "modcall-3"]
    );
}

#[test]
fn purge_destination_and_prune_delivered() {
    let clock = Arc::new(ManualClock::new(0));
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, clock.clone()).unwrap();
    for (key, destination) in [("a", "1"), ("b", "1"), ("c", "12"), ("d", "2")] {
        outbox.enqueue(entry(key, destination)).unwrap();
    }
    outbox.mark_delivered("a", "m-a".into()).unwrap();
    assert_eq!(outbox.purge_destination("1").unwrap(), 2);
    assert_eq!(outbox.depth().unwrap(), 2);
    assert_eq!(keys(&outbox.pending(10).unwrap()), ["c", "d"]);
    assert_eq!(outbox.delivered_message_id("a").unwrap(), None);

    outbox.mark_delivered("c", "m-c".into()).unwrap();
    clock.set_ms(100);
    outbox.mark_delivered("d", "m-d".into()).unwrap();
    assert_eq!(outbox.prune_delivered(50, 10).unwrap(), 1);
    assert_eq!(outbox.prune_delivered(50, 10).unwrap(), 0);
    assert_eq!(outbox.delivered_message_id("c").unwrap(), None);
    assert_eq!(
        outbox.delivered_message_id("d").unwrap().as_deref(),
        Some("m-d")
    );
    assert_eq!(outbox.depth().unwrap(), 0);
}

#[test]
fn damaged_entry_is_corrupt() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, Arc::new(ManualClock::new(0))).unwrap();
    outbox.enqueue(entry("a", "1")).unwrap();
    outbox.tree.insert(entry_key("a"), &b"[1,"[..]).unwrap();
    assert!(matches!(outbox.pending(5), Err(StoreError::Corrupt { .. })));
    assert!(matches!(
        outbox.mark_delivered("a", "m".into()),
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        outbox.delivered_message_id("a"),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn parked_entries_leave_the_queue_until_unparked() {
    let clock = Arc::new(ManualClock::new(10));
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, clock.clone()).unwrap();
    for key in ["a", "b", "c"] {
        outbox.enqueue(entry(key, "chan-1")).unwrap();
    }
    outbox.park("b", "Missing Permissions").unwrap();
    assert_eq!(outbox.depth().unwrap(), 2);
    assert_eq!(keys(&outbox.pending(10).unwrap()), ["a", "c"]);
    assert_eq!(
        outbox.state("b").unwrap(),
        Some(DeliveryState::Parked {
            reason: "Missing Permissions".into()
        })
    );
    let parked = outbox.parked(10).unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].entry.idempotency_key, "b");
    assert_eq!(parked[0].attempts, 1);
    outbox.mark_attempt_failed("b", 99, "ignored").unwrap();
    outbox.park("b", "again").unwrap();
    assert_eq!(outbox.parked(10).unwrap()[0].reason, "Missing Permissions");

    assert!(outbox.unpark("b").unwrap());
    assert!(!outbox.unpark("b").unwrap());
    assert_eq!(outbox.depth().unwrap(), 3);
    assert_eq!(
        keys(&outbox.pending(10).unwrap()),
        ["a", "b", "c"],
        "back at its original place"
    );
    assert_eq!(outbox.state("b").unwrap(), Some(DeliveryState::Pending));
    assert!(outbox.parked(10).unwrap().is_empty());

    outbox.park("c", "gone").unwrap();
    assert_eq!(outbox.purge_destination("chan-1").unwrap(), 3);
    assert!(outbox.parked(10).unwrap().is_empty());
    assert_eq!(outbox.depth().unwrap(), 0);
    assert_eq!(outbox.state("c").unwrap(), None);
}

#[test]
fn a_card_posted_by_its_update_is_remembered_with_it() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, Arc::new(ManualClock::new(0))).unwrap();
    outbox.enqueue(answered_card()).unwrap();
    outbox
        .mark_delivered_as_card("modcall-2", "555", "modcall-1")
        .unwrap();
    assert_eq!(outbox.depth().unwrap(), 0);
    for key in ["modcall-1", "modcall-2"] {
        assert_eq!(
            outbox.state(key).unwrap(),
            Some(DeliveryState::Delivered {
                message_id: "555".into()
            })
        );
    }
    assert!(
        !outbox.enqueue(entry("modcall-1", "chan-1")).unwrap(),
        "the card key is taken"
    );

    // A card whose own post was refused: its update's post takes its place.
    outbox.enqueue(entry("card-x", "chan-1")).unwrap();
    outbox.park("card-x", "Missing Access").unwrap();
    outbox
        .enqueue(OutboxEntry {
            edit_of: Some("card-x".into()),
            ..entry("card-x-2", "chan-1")
        })
        .unwrap();
    outbox
        .mark_delivered_as_card("card-x-2", "777", "card-x")
        .unwrap();
    assert!(outbox.parked(10).unwrap().is_empty());
    assert_eq!(
        outbox.delivered_message_id("card-x").unwrap().as_deref(),
        Some("777")
    );
    assert!(matches!(
        outbox.mark_delivered_as_card("card-x-2", "1", "card-x-2"),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(outbox.purge_destination("chan-1").unwrap(), 4);
}

#[test]
fn queueing_and_moving_cursors_is_one_change() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, Arc::new(ManualClock::new(0))).unwrap();
    let cursor = |server: &str, id| routing::RouteCursor {
        guild: 1,
        server: server.into(),
        last_routed_id: id,
    };
    assert_eq!(outbox.route_cursor(1, "main").unwrap(), 0);
    let queued = outbox
        .enqueue_and_advance(
            &[entry("a", "1"), entry("b", "1")],
            &[cursor("main", 5), cursor("side", 2)],
        )
        .unwrap();
    assert_eq!(queued, 2);
    assert_eq!(outbox.route_cursor(1, "main").unwrap(), 5);
    assert_eq!(outbox.route_cursor(1, "side").unwrap(), 2);
    assert_eq!(outbox.route_cursor(2, "main").unwrap(), 0);

    let queued = outbox
        .enqueue_and_advance(&[entry("a", "1"), entry("c", "1")], &[cursor("main", 3)])
        .unwrap();
    assert_eq!(queued, 1, "a was queued already");
    assert_eq!(outbox.route_cursor(1, "main").unwrap(), 5, "never back");
    assert_eq!(outbox.depth().unwrap(), 3);

    // One bad entry refuses the whole change.
    let refused =
        outbox.enqueue_and_advance(&[entry("d", "1"), entry("", "1")], &[cursor("main", 9)]);
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    assert_eq!(outbox.route_cursor(1, "main").unwrap(), 5);
    assert_eq!(outbox.state("d").unwrap(), None);
}

#[test]
fn a_held_back_channel_neither_fills_the_round_nor_hides_other_channels() {
    let clock = Arc::new(ManualClock::new(1_000));
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, clock.clone()).unwrap();
    outbox.enqueue(entry("early", "chan-2")).unwrap();
    for i in 0..50 {
        outbox
            .enqueue(entry(&format!("stuck-{i:02}"), "chan-1"))
            .unwrap();
    }
    outbox.enqueue(entry("late", "chan-2")).unwrap();
    outbox.enqueue(entry("other", "chan-3")).unwrap();
    outbox
        .mark_attempt_failed("stuck-00", 9_000, "500")
        .unwrap();
    outbox.mark_attempt_failed("early", 4_000, "500").unwrap();

    // chan-1's head waits, so its 49 later entries are skipped, not counted: 10 is plenty.
    let ready = outbox.due_in_order(10).unwrap();
    assert_eq!(keys(&ready.due), ["other"], "chan-2 waits for `early`");
    assert_eq!(ready.next_retry_at_ms, Some(4_000));

    clock.set_ms(4_000);
    let ready = outbox.due_in_order(10).unwrap();
    assert_eq!(keys(&ready.due), ["early", "late", "other"]);
    assert_eq!(ready.next_retry_at_ms, Some(9_000));

    clock.set_ms(9_000);
    let ready = outbox.due_in_order(3).unwrap();
    assert_eq!(keys(&ready.due), ["early", "stuck-00", "stuck-01"]);
    assert_eq!(ready.next_retry_at_ms, None);
}

#[test]
fn reopening_counts_the_queue_and_never_reuses_a_parked_entrys_place() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(0));
    {
        let db = crate::store::db::open_test_db(dir.path());
        let outbox = Outbox::open(&db, clock.clone()).unwrap();
        for key in ["a", "b", "c"] {
            outbox.enqueue(entry(key, "chan-1")).unwrap();
        }
        outbox.mark_delivered("a", "1".into()).unwrap();
        // The newest entry is parked: its sequence number is in no queue key.
        outbox.park("c", "Missing Access").unwrap();
        db.flush().unwrap();
    }
    {
        // A database from before the counters moved to memory still holds them.
        let db = crate::store::db::open_test_db(dir.path());
        let tree = db.open_tree(OUTBOX_TREE).unwrap();
        tree.insert(LEGACY_DEPTH_KEY, &be_u64(40)).unwrap();
        tree.insert(LEGACY_LAST_SEQ_KEY, &be_u64(2)).unwrap();
        db.flush().unwrap();
    }
    let db = crate::store::db::open_test_db(dir.path());
    let outbox = Outbox::open(&db, clock).unwrap();
    assert_eq!(outbox.depth().unwrap(), 1, "b only, counted from the queue");
    let tree = db.open_tree(OUTBOX_TREE).unwrap();
    assert!(!tree.contains_key(LEGACY_DEPTH_KEY).unwrap());
    assert!(!tree.contains_key(LEGACY_LAST_SEQ_KEY).unwrap());
    assert!(outbox.enqueue(entry("d", "chan-1")).unwrap());
    assert!(outbox.unpark("c").unwrap());
    assert_eq!(
        keys(&outbox.pending(10).unwrap()),
        ["b", "c", "d"],
        "c back at its place, d after it, neither overwriting the other"
    );
    assert_eq!(outbox.depth().unwrap(), 3);
}

#[test]
fn a_batch_naming_one_key_twice_queues_it_once() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let outbox = Outbox::open(&db, Arc::new(ManualClock::new(0))).unwrap();
    let cursor = |id| routing::RouteCursor {
        guild: 1,
        server: "main".into(),
        last_routed_id: id,
    };
    let queued = outbox
        .enqueue_and_advance(
            &[entry("x", "chan-1"), entry("x", "chan-1")],
            &[cursor(5), cursor(3)],
        )
        .unwrap();
    assert_eq!(queued, 1);
    assert_eq!(keys(&outbox.pending(10).unwrap()), ["x"]);
    assert_eq!(outbox.depth().unwrap(), 1);
    assert_eq!(
        outbox.route_cursor(1, "main").unwrap(),
        5,
        "the furthest move wins"
    );
}
