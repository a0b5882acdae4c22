//! Restart safety: a new tracker on the reopened store recovers what happened while it was
//! down exactly once, and says so with `feed/gap` when PRC's window no longer covers it.

use std::collections::BTreeMap;

use erlc_bot::clock::Clock;
use erlc_bot::events::catalog::EventPayload;
use erlc_bot::sim::{PlayerSpec, VehicleSpec};

use crate::support::tracker::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_in_the_middle_loses_nothing_and_repeats_nothing() {
    let (sim, clock) = manual_sim(1, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let game = sim.server(0).unwrap();
    let host = game
        .add_player(PlayerSpec::named("host").with_permission("Server Moderator"))
        .unwrap();
    let before_restart = {
        let store = open_store(dir.path(), clock.clone());
        let client = client(&sim, clock.clone());
        let tracker = tracker(&store, &client, &sim);
        assert!(tracker.poll_once(GUILD, LABEL).await.unwrap().baseline);
        clock.advance_ms(1_000);
        let a = game.add_player(PlayerSpec::named("alpha")).unwrap();
        game.add_kill(host, a).unwrap();
        game.add_kill(host, a).unwrap();
        let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
        assert_eq!(kinds(&report.events), ["player/join", "kill", "kill"]);
        // More happens, then the bot stops before its next poll.
        clock.advance_ms(1_000);
        game.add_kill(a, host).unwrap();
        game.add_mod_call(a).unwrap();
        report.events.len()
    };
    clock.advance_ms(5_000);
    let b = game.add_player(PlayerSpec::named("bravo")).unwrap();
    game.add_kill(host, b).unwrap();
    game.spawn_vehicle(b, VehicleSpec::default()).unwrap();
    game.set_team(host, "Sheriff").unwrap();

    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let tracker = tracker(&store, &client, &sim);
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert!(!report.baseline, "resumed from the stored checkpoint");
    assert_eq!(
        kinds(&report.events),
        [
            "kill",
            "modcall/new",
            "player/join",
            "kill",
            "player/team",
            "vehicle/spawn"
        ]
    );
    assert!(
        tracker
            .poll_once(GUILD, LABEL)
            .await
            .unwrap()
            .events
            .is_empty()
    );

    let all = all_events(&store);
    assert_eq!(all.len(), before_restart + report.events.len());
    let expected: BTreeMap<String, usize> = [
        ("player/join", 2),
        ("kill", 4),
        ("modcall/new", 1),
        ("player/team", 1),
        ("vehicle/spawn", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    assert_eq!(count_by_kind(&all), expected);
    let ids: Vec<u64> = all.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        (1..=all.len() as u64).collect::<Vec<_>>(),
        "ids continue"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_nothing_new_emits_nothing() {
    let (sim, clock) = manual_sim(1, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let game = sim.server(0).unwrap();
    let a = game.add_player(PlayerSpec::named("alpha")).unwrap();
    let b = game.add_player(PlayerSpec::named("bravo")).unwrap();
    for round in 0..2 {
        let store = open_store(dir.path(), clock.clone());
        let client = client(&sim, clock.clone());
        let tracker = tracker(&store, &client, &sim);
        let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
        assert_eq!(report.baseline, round == 0);
        assert!(report.events.is_empty(), "{:?}", kinds(&report.events));
        clock.advance_ms(1_000);
        if round == 0 {
            game.add_kill(a, b).unwrap();
            let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
            assert_eq!(kinds(&report.events), ["kill"]);
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downtime_longer_than_the_window_is_reported_as_one_gap() {
    let (sim, clock) = manual_sim(1, 10).await;
    let dir = tempfile::tempdir().unwrap();
    let game = sim.server(0).unwrap();
    for n in 0..3 {
        game.add_player(PlayerSpec::named(&format!("early_{n}")))
            .unwrap();
    }
    let baseline_at = {
        let store = open_store(dir.path(), clock.clone());
        let client = client(&sim, clock.clone());
        let tracker = tracker(&store, &client, &sim);
        assert!(tracker.poll_once(GUILD, LABEL).await.unwrap().baseline);
        clock.now_secs()
    };
    clock.advance_ms(5_000);
    for n in 0..30 {
        game.add_player(PlayerSpec::named(&format!("late_{n}")))
            .unwrap();
        clock.advance_ms(1_000);
    }
    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let tracker = tracker(&store, &client, &sim);
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    let mut expected = vec!["feed/gap".to_owned()];
    expected.extend(std::iter::repeat_n("player/join".to_owned(), 10));
    assert_eq!(kinds(&report.events), expected);
    let EventPayload::FeedGap { since, until, logs } =
        EventPayload::from_json(&report.events[0].payload).unwrap()
    else {
        panic!()
    };
    assert_eq!(logs, ["joins"]);
    assert_eq!(since, baseline_at);
    assert_eq!(
        until,
        baseline_at + 5 + 20,
        "the oldest join PRC still holds"
    );
    assert_eq!(tracker.metrics().gaps, 1);
    // The window is now covered again: no further gap.
    clock.advance_ms(1_000);
    game.add_player(PlayerSpec::named("next")).unwrap();
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert_eq!(kinds(&report.events), ["player/join"]);
    sim.shutdown().await;
}
