//! The tracker against the simulator: a scripted world gives exactly the expected events in
//! order, 200 joins between two polls are 200 events, identical same-second kills stay apart,
//! every log is stored whatever the feeds want.

use erlc_bot::events::Pattern;
use erlc_bot::events::catalog::EventPayload;
use erlc_bot::sim::{PlayerSpec, VehicleSpec};
use erlc_bot::tracker::{Tracker, TrackerConfig, sections_for};

use crate::support::tracker::*;

fn payload(event: &erlc_bot::events::Event) -> EventPayload {
    EventPayload::from_json(&event.payload).expect("a known payload")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_world_produces_exactly_the_expected_events_in_order() {
    let (sim, clock) = manual_sim(1, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let game = sim.server(0).unwrap();
    let moderator = game
        .add_player(
            PlayerSpec::named("Avery_Mod")
                .with_team("Police")
                .with_permission("Server Moderator"),
        )
        .unwrap();
    let tracker = Tracker::new(
        store.clone(),
        TrackerConfig {
            bans_every: 1,
            seed: Some(1),
            ..TrackerConfig::default()
        },
    );
    let mut server = tracked(&client, &sim, 0, LABEL);
    server.want_bans = true;
    tracker.add_server(server).unwrap();
    let baseline = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert!(baseline.baseline && baseline.events.is_empty());

    let mut expected_all: Vec<String> = Vec::new();
    let mut step = async |what: &str, act: &dyn Fn(), expected: &[&str]| {
        clock.advance_ms(1_000);
        act();
        let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
        assert_eq!(kinds(&report.events), expected, "after {what}");
        expected_all.extend(expected.iter().map(|k| (*k).to_owned()));
        report.events
    };

    let minty = std::cell::Cell::new(0u64);
    let joined = step(
        "a civilian joins",
        &|| minty.set(game.add_player(PlayerSpec::named("minty_pretzel")).unwrap()),
        &["player/join"],
    )
    .await;
    let EventPayload::PlayerJoin { player } = payload(&joined[0]) else {
        panic!("{joined:?}")
    };
    assert_eq!(player.name, "minty_pretzel");
    assert_eq!(
        player.team.as_deref(),
        Some("Civilian"),
        "enriched from the snapshot"
    );
    let minty = minty.get();

    step(
        "team change",
        &|| game.set_team(minty, "Police").unwrap(),
        &["player/team"],
    )
    .await;
    step(
        "permission change",
        &|| game.set_permission(minty, "Server Helper").unwrap(),
        &["player/permission"],
    )
    .await;
    step(
        "wanted stars",
        &|| game.set_wanted(minty, 3).unwrap(),
        &["player/wanted"],
    )
    .await;
    let kill = step(
        "a kill",
        &|| game.add_kill(moderator, minty).unwrap(),
        &["kill"],
    )
    .await;
    let EventPayload::Kill { killer, killed } = payload(&kill[0]) else {
        panic!()
    };
    assert_eq!(
        (killer.name.as_str(), killed.name.as_str()),
        ("Avery_Mod", "minty_pretzel")
    );
    assert_eq!(killer.permission.as_deref(), Some("Server Moderator"));
    step(
        "an in-game command",
        &|| game.player_command(moderator, ":h hello").unwrap(),
        &["command"],
    )
    .await;

    let call = std::cell::Cell::new(0u64);
    let new = step(
        "a mod call",
        &|| call.set(game.add_mod_call(minty).unwrap()),
        &["modcall/new"],
    )
    .await;
    let answered = step(
        "the mod call answered",
        &|| game.answer_mod_call(call.get(), moderator).unwrap(),
        &["modcall/answered"],
    )
    .await;
    let (
        EventPayload::ModCallNew { call_key: a, .. },
        EventPayload::ModCallAnswered {
            call_key: b,
            moderator: m,
            ..
        },
    ) = (payload(&new[0]), payload(&answered[0]))
    else {
        panic!()
    };
    assert_eq!(a, b, "one call, one key");
    assert!(!a.contains(':') && a.len() <= 50);
    assert_eq!(m.name, "Avery_Mod");

    let number = std::cell::Cell::new(0u64);
    let started = step(
        "a 911 call",
        &|| {
            number.set(
                game.start_emergency_call(minty, "Police", "shots fired")
                    .unwrap(),
            )
        },
        &["emergency/started"],
    )
    .await;
    let responded = step(
        "a responder",
        &|| {
            game.respond_emergency_call(number.get(), moderator)
                .unwrap()
        },
        &["emergency/responded"],
    )
    .await;
    let ended = step(
        "the call ends",
        &|| game.end_emergency_call(number.get()).unwrap(),
        &["emergency/ended"],
    )
    .await;
    let starts: Vec<i64> = [&started[0], &responded[0], &ended[0]]
        .iter()
        .map(|e| match payload(e) {
            EventPayload::EmergencyStarted { call }
            | EventPayload::EmergencyResponded { call }
            | EventPayload::EmergencyEnded { call } => call.started_at,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(starts.iter().all(|s| *s == starts[0]), "{starts:?}");

    let car = std::cell::Cell::new(0u64);
    let spec = VehicleSpec {
        plate: Some("ERLC 1".into()),
        ..VehicleSpec::default()
    };
    step(
        "a vehicle spawns",
        &|| car.set(game.spawn_vehicle(moderator, spec.clone()).unwrap()),
        &["vehicle/spawn"],
    )
    .await;
    step(
        "it despawns",
        &|| game.despawn_vehicle(car.get()).unwrap(),
        &["vehicle/despawn"],
    )
    .await;
    step("someone queues", &|| game.queue_push(777), &["queue/join"]).await;
    step(
        "they leave the queue",
        &|| game.queue_remove(777),
        &["queue/leave"],
    )
    .await;
    step("a ban", &|| game.add_ban(888, "griefer"), &["ban/added"]).await;
    step(
        "an unban",
        &|| assert!(game.remove_ban(888)),
        &["ban/removed"],
    )
    .await;
    step(
        "an administrator joins",
        &|| {
            game.add_player(
                PlayerSpec::named("Boss")
                    .with_id(4_300_000_001)
                    .with_permission("Server Administrator"),
            )
            .unwrap();
        },
        &["player/join", "staff/join"],
    )
    .await;
    step(
        "the helper leaves",
        &|| game.remove_player(minty).unwrap(),
        &["player/leave", "staff/leave"],
    )
    .await;
    step(
        "everyone leaves",
        &|| {
            game.remove_player(moderator).unwrap();
            game.remove_player(4_300_000_001).unwrap();
        },
        &[
            "player/leave",
            "player/leave",
            "staff/leave",
            "staff/leave",
            "server/offline",
        ],
    )
    .await;
    step(
        "someone starts the server again",
        &|| {
            game.add_player(PlayerSpec::named("early_bird")).unwrap();
        },
        &["server/online", "player/join"],
    )
    .await;
    step("nothing happens", &|| {}, &[]).await;

    assert_eq!(
        kinds(&all_events(&store)),
        expected_all,
        "the store holds exactly these"
    );
    assert_eq!(
        *tracker.subscribe_new_events().borrow(),
        expected_all.len() as u64
    );
    let metrics = tracker.metrics();
    assert_eq!(metrics.events, expected_all.len() as u64);
    assert_eq!(metrics.poll_errors, 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_joins_between_two_polls_are_two_hundred_events() {
    let (sim, clock) = manual_sim(1, 400).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let tracker = tracker(&store, &client, &sim);
    tracker.poll_once(GUILD, LABEL).await.unwrap();
    let game = sim.server(0).unwrap();
    let mut subscriber = tracker.subscribe_new_events();
    for n in 0..200 {
        game.add_player(PlayerSpec::named(&format!("player_{n}")))
            .unwrap();
        if n % 50 == 0 {
            clock.advance_ms(1_000);
        }
    }
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    let joins: Vec<String> = report
        .events
        .iter()
        .filter_map(|e| match payload(e) {
            EventPayload::PlayerJoin { player } => Some(player.name),
            _ => None,
        })
        .collect();
    assert_eq!(joins.len(), 200);
    let distinct: std::collections::BTreeSet<_> = joins.iter().collect();
    assert_eq!(distinct.len(), 200, "each player once");
    assert_eq!(report.events.len(), 201, "plus the server coming online");
    assert!(subscriber.has_changed().unwrap());
    assert_eq!(*subscriber.borrow_and_update(), 201);
    let again = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert!(again.events.is_empty(), "{:?}", kinds(&again.events));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_kills_in_one_second_stay_separate_events() {
    let (sim, clock) = manual_sim(1, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let game = sim.server(0).unwrap();
    let a = game.add_player(PlayerSpec::named("shooter")).unwrap();
    let b = game.add_player(PlayerSpec::named("target")).unwrap();
    let tracker = tracker(&store, &client, &sim);
    tracker.poll_once(GUILD, LABEL).await.unwrap();
    clock.advance_ms(1_000);
    game.add_kill(a, b).unwrap();
    game.add_kill(a, b).unwrap();
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert_eq!(kinds(&report.events), ["kill", "kill"]);
    // A third identical kill in the same second is one more event, the first two are not
    // repeated.
    game.add_kill(a, b).unwrap();
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert_eq!(kinds(&report.events), ["kill"]);
    assert!(
        tracker
            .poll_once(GUILD, LABEL)
            .await
            .unwrap()
            .events
            .is_empty()
    );
    assert_eq!(count_by_kind(&all_events(&store)).get("kill"), Some(&3));
    sim.shutdown().await;
}

/// The event store is the bot's memory beyond PRC's window (`/logs kills`, the player
/// timeline), so every log is stored on every poll, even for a guild whose only feed is
/// `?/command`. Snapshot changes (a wanted level) still become events only where a feed wants
/// them; the player list is read anyway and is what the tracker shows readers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_is_stored_whatever_the_feeds_want() {
    let (sim, clock) = manual_sim(1, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let game = sim.server(0).unwrap();
    let officer = game
        .add_player(PlayerSpec::named("Avery").with_team("Police"))
        .unwrap();
    let civilian = game.add_player(PlayerSpec::named("minty")).unwrap();
    let tracker = Tracker::new(
        store.clone(),
        TrackerConfig {
            seed: Some(1),
            ..TrackerConfig::default()
        },
    );
    let commands_feed = Pattern::parse("?/command").unwrap();
    let mut server = tracked(&client, &sim, 0, LABEL);
    server.include = sections_for(LABEL, [&commands_feed]).include;
    tracker.add_server(server).unwrap();
    assert!(
        tracker.latest_world(GUILD, LABEL).is_none(),
        "not polled yet"
    );
    tracker.poll_once(GUILD, LABEL).await.unwrap();

    clock.advance_ms(1_000);
    game.add_kill(officer, civilian).unwrap();
    game.player_command(officer, ":h hello").unwrap();
    game.add_mod_call(civilian).unwrap();
    game.set_wanted(civilian, 2).unwrap();
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert_eq!(kinds(&report.events), ["kill", "command", "modcall/new"]);
    assert_eq!(kinds(&all_events(&store)), kinds(&report.events));
    let EventPayload::Kill { killer, .. } = payload(&report.events[0]) else {
        panic!("{:?}", report.events)
    };
    assert_eq!(
        killer.team.as_deref(),
        Some("Police"),
        "enriched from the player list"
    );
    let world = tracker.latest_world(GUILD, LABEL).expect("polled");
    let players = world.players.as_ref().expect("the player list is read");
    assert_eq!(players[&civilian].wanted, 2);
    sim.shutdown().await;
}
