//! The feed pipeline against a real store and a recording sink: routing to subscribed
//! channels only, batching, filters, mod-call cards edited in place (also after a restart),
//! retries, parking, and feeds added later starting with new events (and only those).

use std::collections::BTreeMap;
use std::sync::Arc;

use erlc_bot::actions::{Member, Services, ServicesOptions};
use erlc_bot::clock::ManualClock;
use erlc_bot::erlc::{ClientConfig, ErlcClient};
use erlc_bot::events::catalog::EventPayload;
use erlc_bot::feeds::{RecordingSink, nonce_for};
use erlc_bot::store::{MasterKeySource, Store, StoreConfig};

use crate::support::open_store;
use crate::support::pipeline::*;
use crate::support::wait::wait_for;

const JOINS: u64 = 100;
const KILLS: u64 = 200;
const POLICE_JOINS: u64 = 300;
const EVERYTHING: u64 = 400;

fn kills(count: u64) -> Vec<EventPayload> {
    (0..count)
        .map(|i| EventPayload::Kill {
            killer: player(&format!("Killer{i}"), 5_000 + i, "Criminal"),
            killed: player(&format!("Victim{i}"), 6_000 + i, "Civilian"),
        })
        .collect()
}

/// Embeds per message, per channel, in delivery order.
fn shape(sink: &RecordingSink) -> BTreeMap<u64, Vec<usize>> {
    let mut shape: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for create in sink.creates() {
        shape
            .entry(create.channel_id)
            .or_default()
            .push(create.message.embeds.len());
    }
    shape
}

/// Every embed description posted to `channel`, in order.
fn descriptions(sink: &RecordingSink, channel: u64) -> Vec<String> {
    sink.creates()
        .into_iter()
        .filter(|c| c.channel_id == channel)
        .flat_map(|c| c.message.embeds)
        .filter_map(|e| e.description)
        .collect()
}

#[tokio::test]
async fn events_reach_subscribed_channels_only_in_batches_with_filters() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    subscribe(&store, 1, JOINS, &["?/player/join", "?/player/leave"], &[]);
    subscribe(&store, 1, KILLS, &["main/kill"], &[]);
    subscribe(&store, 1, POLICE_JOINS, &["?/player/join"], &["police"]);
    subscribe(&store, 2, EVERYTHING, &["*"], &[]);
    let mut payloads = joins(23, "Civilian");
    payloads.extend(joins(2, "Police").into_iter().map(|p| match p {
        EventPayload::PlayerJoin { mut player } => {
            player.id = player.id.map(|id| id + 500);
            EventPayload::PlayerJoin { player }
        }
        other => other,
    }));
    payloads.extend(kills(2));
    store_events(&store, 1, "main", payloads);
    store_events(&store, 1, "side", kills(1));
    store_events(&store, 2, "alpha", kills(1));
    let sink = Arc::new(RecordingSink::discord_like());

    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("six messages", || sink.creates().len() >= 6).await;
    let pipeline = running.pipeline.clone();
    running.stop().await;

    let expected: BTreeMap<u64, Vec<usize>> = [
        (JOINS, vec![10, 10, 5]),
        (KILLS, vec![2]),
        (POLICE_JOINS, vec![2]),
        (EVERYTHING, vec![1]),
    ]
    .into();
    assert_eq!(
        shape(&sink),
        expected,
        "side/kill matches no feed of guild 1"
    );
    let police = descriptions(&sink, POLICE_JOINS);
    assert!(police[0].contains("users/1500/profile") && police[1].contains("users/1501/profile"));
    let joined = descriptions(&sink, JOINS);
    for id in (1_000..1_023).chain(1_500..1_502) {
        let url = format!("users/{id}/profile");
        assert_eq!(
            joined.iter().filter(|d| d.contains(&url)).count(),
            1,
            "{url}"
        );
    }
    assert!(sink.duplicated_nonces().is_empty());
    for create in sink.creates() {
        assert_eq!(create.nonce.len(), 24);
    }
    let stats = pipeline.snapshot().unwrap();
    assert_eq!(stats.events_routed, 29);
    assert_eq!(stats.messages_queued, 6);
    assert_eq!(stats.created, 6);
    assert_eq!(stats.outbox_depth, 0);
    assert!(stats.max_lag_ms.is_some());
}

#[tokio::test]
async fn a_mod_call_card_is_edited_in_place_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::discord_like());
    let caller = player("Caller", 10, "Civilian");
    {
        let store = open_store(dir.path());
        subscribe(&store, 1, 500, &["?/modcall/*"], &[]);
        store_events(
            &store,
            1,
            "main",
            vec![EventPayload::ModCallNew {
                call_key: "10-1700000000".into(),
                caller: caller.clone(),
            }],
        );
        let running = Running::start(&store, sink.clone(), fast_config());
        wait_for("the card", || sink.creates().len() == 1).await;
        store_events(
            &store,
            1,
            "main",
            vec![EventPayload::ModCallAnswered {
                call_key: "10-1700000000".into(),
                caller: caller.clone(),
                moderator: player("Mod", 11, "Police"),
            }],
        );
        running.poke();
        wait_for("the first edit", || sink.edits().len() == 1).await;
        running.stop().await;
    }
    let store = open_store(dir.path());
    store_events(
        &store,
        1,
        "main",
        vec![EventPayload::ModCallAnswered {
            call_key: "10-1700000000".into(),
            caller,
            moderator: player("Other", 12, "Police"),
        }],
    );
    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("the edit after the restart", || sink.edits().len() == 2).await;
    running.stop().await;

    let creates = sink.creates();
    assert_eq!(creates.len(), 1, "updates never post a second card");
    let card = &creates[0];
    assert_eq!(
        card.nonce,
        nonce_for("card:1:main:modcall:10-1700000000:500")
    );
    for edit in sink.edits() {
        assert_eq!((edit.channel_id, &edit.message_id), (500, &card.message_id));
    }
    let shown = sink.message(&card.message_id).unwrap();
    assert!(
        format!("{shown:?}").contains("users/12/profile"),
        "{shown:?}"
    );
}

#[tokio::test]
async fn retryable_failures_end_in_one_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    subscribe(&store, 1, KILLS, &["?/kill"], &[]);
    store_events(&store, 1, "main", kills(3));
    let sink = Arc::new(RecordingSink::new());
    sink.fail_next(4, true);

    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("the delivery", || sink.creates().len() == 1).await;
    let pipeline = running.pipeline.clone();
    running.stop().await;

    assert_eq!(sink.failed_calls(), 4);
    assert!(sink.duplicated_nonces().is_empty());
    assert_eq!(sink.creates()[0].message.embeds.len(), 3);
    let stats = pipeline.snapshot().unwrap();
    assert_eq!(
        (stats.failed_attempts, stats.created, stats.parked),
        (4, 1, 0)
    );
    assert_eq!(store.outbox().depth().unwrap(), 0);
}

#[tokio::test]
async fn a_refused_message_is_parked_and_the_channel_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    subscribe(&store, 1, KILLS, &["?/kill"], &[]);
    store_events(&store, 1, "main", kills(1));
    let sink = Arc::new(RecordingSink::new());
    sink.fail_next(1, false);

    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("the parked message", || {
        store.outbox().parked(10).unwrap().len() == 1
    })
    .await;
    store_events(&store, 1, "main", kills(2));
    running.poke();
    wait_for("the next message", || sink.creates().len() == 1).await;
    let pipeline = running.pipeline.clone();
    running.stop().await;

    let parked = store.outbox().parked(10).unwrap();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].reason.contains("injected"),
        "{}",
        parked[0].reason
    );
    assert_eq!(sink.failed_calls(), 1, "a refused message is tried once");
    assert_eq!(sink.creates()[0].message.embeds.len(), 2);
    let stats = pipeline.snapshot().unwrap();
    assert_eq!((stats.parked, stats.created, stats.outbox_depth), (1, 1, 0));

    // Requeued after the channel is fixed, it goes out.
    assert!(
        store
            .outbox()
            .unpark(&parked[0].entry.idempotency_key)
            .unwrap()
    );
    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("the requeued message", || sink.creates().len() == 2).await;
    running.stop().await;
}

#[tokio::test]
async fn a_feed_added_later_starts_with_new_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    subscribe(&store, 1, KILLS, &["?/kill"], &[]);
    store_events(&store, 1, "main", kills(1));
    store_events(&store, 3, "main", joins(5, "Civilian"));
    let sink = Arc::new(RecordingSink::new());
    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("guild 1's kill", || sink.creates().len() == 1).await;
    wait_for("guild 3's cursor to pass its old joins", || {
        store.outbox().route_cursor(3, "main").unwrap() == 5
    })
    .await;

    subscribe(&store, 3, JOINS, &["?/player/join"], &[]);
    running.pipeline.reload_routes().unwrap();
    store_events(&store, 3, "main", joins(1, "Police"));
    running.poke();
    wait_for("guild 3's new join", || sink.creates().len() == 2).await;
    running.stop().await;

    let joined = descriptions(&sink, JOINS);
    assert_eq!(joined.len(), 1, "only the join after the feed was added");
    assert_eq!(sink.creates()[1].channel_id, JOINS);
}

/// Store `payloads` as events of guild 1's `main` that happened at `source_time`.
fn store_at(store: &Store, source_time: i64, payloads: Vec<EventPayload>) {
    let events = payloads
        .into_iter()
        .map(|payload| payload.into_new_event("main", source_time, None).unwrap())
        .collect();
    store.events().append(1, events).unwrap();
}

/// Names in the join cards posted to `channel`, in order.
fn joined(sink: &RecordingSink, channel: u64) -> Vec<String> {
    descriptions(sink, channel)
        .into_iter()
        .filter_map(|text| {
            let name = text.split(']').next()?.trim_start_matches(['[', '*']);
            Some(name.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_feed_added_with_feed_add_posts_nothing_from_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let start_ms = 1_800_000_000_000;
    let clock = Arc::new(ManualClock::new(start_ms));
    let mut config = StoreConfig::new(dir.path(), MasterKeySource::Env(hex::encode([7u8; 32])));
    config.clock = clock.clone();
    let store = Store::open(config).unwrap();
    // An older feed of the guild, saved without a start: it keeps taking everything.
    subscribe(&store, 1, EVERYTHING, &["*"], &[]);
    let secs = start_ms / 1000;
    // Stored before the feed is added, and not routed yet (the pipeline is behind).
    store_at(&store, secs - 30, joins(2, "Civilian"));

    clock.advance_ms(1_000);
    let client = ErlcClient::new(ClientConfig::with_base_url("http://127.0.0.1:9")).unwrap();
    let services = Services::new(store.clone(), client, ServicesOptions::default());
    let admin = Member {
        discord_id: 1,
        name: "owner".into(),
        roles: vec![],
        is_admin: true,
    };
    let saved = services
        .feeds_add(1, &admin, JOINS, "joins", Default::default())
        .await
        .unwrap();
    assert_eq!(
        saved.added_at_ms.get("?/player/join"),
        Some(&(start_ms + 1_000))
    );

    clock.advance_ms(1_000);
    // A log row the tracker stores only now (the first read of a log the new feed needs)
    // that happened before the feed was added, then two joins that happen after it.
    let late = EventPayload::PlayerJoin {
        player: player("LateRow", 7_000, "Civilian"),
    };
    store_at(&store, secs - 10, vec![late]);
    let fresh = [("Fresh0", 8_000), ("Fresh1", 8_001)].map(|(name, id)| EventPayload::PlayerJoin {
        player: player(name, id, "Police"),
    });
    store_at(&store, secs + 2, fresh.to_vec());

    let sink = Arc::new(RecordingSink::new());
    let running = Running::start(&store, sink.clone(), fast_config());
    running.poke();
    // Batches fall due on the store's clock: keep it moving while waiting.
    wait_for("both feeds' cards", || {
        clock.advance_ms(50);
        joined(&sink, JOINS).len() >= 2 && joined(&sink, EVERYTHING).len() >= 5
    })
    .await;
    running.stop().await;
    assert_eq!(joined(&sink, JOINS), ["Fresh0", "Fresh1"]);
    assert_eq!(
        joined(&sink, EVERYTHING),
        ["Player0", "Player1", "LateRow", "Fresh0", "Fresh1"]
    );

    // A restart routes nothing again.
    let running = Running::start(&store, sink.clone(), fast_config());
    clock.advance_ms(1_000);
    running.poke();
    running.stop().await;
    assert_eq!(
        joined(&sink, JOINS),
        ["Fresh0", "Fresh1"],
        "each exactly once"
    );
    assert_eq!(joined(&sink, EVERYTHING).len(), 5);
}

#[tokio::test]
async fn an_update_without_its_card_posts_one_that_later_updates_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    subscribe(&store, 1, 500, &["?/modcall/answered"], &[]);
    let answered = |moderator_id| EventPayload::ModCallAnswered {
        call_key: "10-1700000000".into(),
        caller: player("Caller", 10, "Civilian"),
        moderator: player("Mod", moderator_id, "Police"),
    };
    store_events(&store, 1, "main", vec![answered(11)]);
    let sink = Arc::new(RecordingSink::discord_like());
    let running = Running::start(&store, sink.clone(), fast_config());
    wait_for("the card posted by the update", || {
        sink.creates().len() == 1
    })
    .await;
    store_events(&store, 1, "main", vec![answered(12)]);
    running.poke();
    wait_for("the edit", || sink.edits().len() == 1).await;
    running.stop().await;

    let card = &sink.creates()[0];
    assert_eq!(sink.edits()[0].message_id, card.message_id);
    assert_eq!(
        store
            .outbox()
            .delivered_message_id("card:1:main:modcall:10-1700000000:500")
            .unwrap(),
        Some(card.message_id.clone())
    );
}
