//! The background scheduler: 200 servers under a 35-request read bucket without a single 429,
//! and a server whose key stops working is no longer polled and is reported.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use erlc_bot::clock::{self, Clock, SharedClock};
use erlc_bot::erlc::ServerKey;
use erlc_bot::fingerprint::fingerprint;
use erlc_bot::sim::{BucketLimit, RecordedRequest, SimConfig, SimHandle, Simulator};
use erlc_bot::store::ServerStatus;
use erlc_bot::tracker::{RateBudget, Tracker, TrackerConfig, TrackerError};
use tokio::sync::oneshot;

use crate::support::tracker::*;
use crate::support::wait::{wait_for_async, wait_for_async_within};

/// Successful snapshot reads per key fingerprint.
fn polls_per_key(requests: &[RecordedRequest]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in requests {
        if r.path == "/v2/server" && r.status == 200 {
            if let Some(fp) = &r.key_fingerprint {
                *counts.entry(fp.clone()).or_default() += 1;
            }
        }
    }
    counts
}

fn start_run(tracker: &Tracker) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = tracker.clone();
    let task = tokio::spawn(async move {
        runner
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    (stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_servers_under_35_reads_per_window_get_no_429() {
    // The sim's 35-per-10-s bucket scaled to 35 per second so the test runs in seconds; the
    // tracker does not know the window and must learn it from the client.
    let system: SharedClock = clock::system();
    let sim = Simulator::start(SimConfig {
        servers: 200,
        initial_players: 1,
        read_limit: BucketLimit::new(35, 1),
        clock: system.clone(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), system.clone());
    let client = client(&sim, system.clone());
    let tracker = Tracker::new(
        store,
        TrackerConfig {
            interval: Duration::from_secs(1),
            seed: Some(3),
            ..TrackerConfig::default()
        },
    );
    for index in 0..200 {
        let label = format!("s{index}");
        tracker
            .add_server(tracked(&client, &sim, index, &label))
            .unwrap();
    }
    let before = tracker.plan();
    assert_eq!(
        before.budget,
        RateBudget {
            limit: 35,
            window: Duration::from_secs(10)
        },
        "the assumption until PRC's headers are seen"
    );
    let (stop, task) = start_run(&tracker);
    let keys: Vec<String> = sim.servers().iter().map(|s| fingerprint(&s.key)).collect();
    wait_for_async_within(
        Duration::from_secs(120),
        "every server polled twice",
        || {
            let counts = polls_per_key(&sim.requests());
            let done = keys
                .iter()
                .all(|k| counts.get(k).copied().unwrap_or(0) >= 2);
            async move { done }
        },
    )
    .await;
    let _ = stop.send(());
    task.await.unwrap();

    let requests = sim.requests();
    let throttled = requests.iter().filter(|r| r.status == 429).count();
    assert_eq!(throttled, 0, "429s received");
    let plan = tracker.plan();
    assert_eq!(plan.budget.limit, 35);
    assert_eq!(plan.budget.window, Duration::from_secs(1), "window learned");
    assert_eq!(plan.polls_per_window, 28, "80% of the bucket");
    assert_eq!(plan.requests_per_round, 200);
    assert_eq!(plan.spacing, Duration::from_secs(1) / 28);
    assert!(plan.interval >= plan.spacing * 200, "{plan:?}");
    assert!(
        plan.interval > Duration::from_secs(1),
        "200 servers cannot all go every second"
    );
    let metrics = tracker.metrics();
    assert!(metrics.polls >= 400, "{metrics:?}");
    assert_eq!((metrics.poll_errors, metrics.rate_limited), (0, 0));
    let health = tracker.health();
    assert_eq!(health.len(), 200);
    assert!(health.iter().all(|h| h.polling && h.last_poll_ms.is_some()));
    assert!(
        health
            .iter()
            .all(|h| h.headroom.as_ref().is_some_and(|b| b.limit == 35))
    );
    sim.shutdown().await;
}

async fn generous_sim(servers: usize) -> (SimHandle, Arc<erlc_bot::clock::ManualClock>) {
    manual_sim(servers, 200).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_key_stops_polling_and_is_reported_with_its_fix() {
    let (sim, clock) = generous_sim(3).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let first_key = sim.servers()[0].key.clone();
    store
        .settings()
        .add_server(
            GUILD,
            LABEL,
            &ServerKey::new(first_key.clone()),
            1,
            "tester",
        )
        .unwrap();
    let tracker = Tracker::new(
        store.clone(),
        TrackerConfig {
            interval: Duration::from_millis(50),
            seed: Some(5),
            assumed_budget: RateBudget {
                limit: 100_000,
                window: Duration::from_secs(10),
            },
            ..TrackerConfig::default()
        },
    );
    tracker
        .add_server(tracked(&client, &sim, 0, LABEL))
        .unwrap();
    tracker
        .add_server(tracked(&client, &sim, 1, "side"))
        .unwrap();
    tracker
        .add_server(tracked(&client, &sim, 2, "third"))
        .unwrap();
    assert_eq!(tracker.plan().requests_per_round, 3);
    let (stop, task) = start_run(&tracker);
    let old_fp = fingerprint(&first_key);
    let others: Vec<String> = sim.servers()[1..]
        .iter()
        .map(|s| fingerprint(&s.key))
        .collect();
    let polled = |fp: &str, at_least: usize| {
        polls_per_key(&sim.requests()).get(fp).copied().unwrap_or(0) >= at_least
    };
    wait_for_async("a first round", || {
        let done = polled(&old_fp, 2) && others.iter().all(|fp| polled(fp, 2));
        async move { done }
    })
    .await;

    sim.server(0).unwrap().rotate_key();
    wait_for_async("the server to stop", || {
        let stopped = tracker
            .health()
            .iter()
            .any(|h| h.label == LABEL && !h.polling);
        async move { stopped }
    })
    .await;
    let after_stop = polls_per_key(&sim.requests());
    wait_for_async("the other servers to go on", || {
        let done = others
            .iter()
            .all(|fp| polled(fp, after_stop.get(fp).copied().unwrap_or(0) + 5));
        async move { done }
    })
    .await;
    let _ = stop.send(());
    task.await.unwrap();

    let with_old_key: Vec<RecordedRequest> = sim
        .requests()
        .into_iter()
        .filter(|r| r.key_fingerprint.as_deref() == Some(old_fp.as_str()))
        .collect();
    let failures: Vec<&RecordedRequest> = with_old_key.iter().filter(|r| r.status != 200).collect();
    assert_eq!(
        failures.len(),
        1,
        "exactly one failed request, then silence"
    );
    assert_eq!(failures[0].prc_code, Some(2002));
    assert_eq!(
        with_old_key.last().map(|r| r.status),
        Some(failures[0].status),
        "nothing sent with the dead key after it failed"
    );

    let record = store.settings().server(GUILD, LABEL).unwrap();
    assert_eq!(record.status, ServerStatus::KeyInvalid);
    assert!(
        record
            .status
            .fix()
            .unwrap()
            .contains("Copy the current key")
    );
    let health = tracker.health();
    let main = health.iter().find(|h| h.label == LABEL).unwrap();
    let error = main.last_error.as_ref().unwrap();
    assert_eq!(error.code, Some(2002));
    assert!(error.fix.is_some());
    assert_eq!(main.next_poll_ms, None);
    assert_eq!(
        tracker.plan().requests_per_round,
        2,
        "a stopped server leaves the plan"
    );
    assert!(tracker.remove_server(GUILD, "third"));
    assert_eq!(tracker.plan().requests_per_round, 1);
    assert!(!error.message.contains(&first_key), "no key in errors");
    assert_eq!(tracker.metrics().errors_by_code.get("2002"), Some(&1));
    assert!(
        health
            .iter()
            .filter(|h| h.label != LABEL)
            .all(|h| h.polling)
    );
    match tracker.poll_once(GUILD, LABEL).await {
        Err(TrackerError::Stopped { status, .. }) => assert_eq!(status, ServerStatus::KeyInvalid),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let sent_after = sim
        .requests()
        .iter()
        .filter(|r| r.key_fingerprint.as_deref() == Some(old_fp.as_str()))
        .count();
    assert_eq!(
        sent_after,
        with_old_key.len(),
        "poll_once sent nothing either"
    );

    // With the new key saved, adding the server again resumes polling.
    let new_key = sim.servers()[0].key.clone();
    tracker
        .add_server(tracked(&client, &sim, 0, LABEL))
        .unwrap();
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert!(!report.baseline);
    assert!(tracker.health().iter().all(|h| h.polling));
    assert_eq!(tracker.plan().requests_per_round, 2, "polled again");
    assert_ne!(fingerprint(&new_key), old_fp);
    assert_eq!(
        store.settings().server(GUILD, LABEL).unwrap().status,
        ServerStatus::Offline
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_added_together_spread_their_first_polls_over_the_interval() {
    let (sim, clock) = generous_sim(100).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), clock.clone());
    let client = client(&sim, clock.clone());
    let tracker = Tracker::new(
        store,
        TrackerConfig {
            interval: Duration::from_secs(100),
            seed: Some(11),
            ..TrackerConfig::default()
        },
    );
    for index in 0..100 {
        tracker
            .add_server(tracked(&client, &sim, index, &format!("s{index}")))
            .unwrap();
    }
    let now = clock.now_ms();
    let waits_s: Vec<i64> = tracker
        .health()
        .iter()
        .map(|h| (h.next_poll_ms.unwrap() - now) / 1_000)
        .collect();
    assert!(waits_s.iter().all(|w| (0..=100).contains(w)), "{waits_s:?}");
    // Uniform over the interval: every tenth of it gets some first polls.
    for tenth in 0..10 {
        let in_tenth = waits_s.iter().filter(|w| **w / 10 == tenth).count();
        assert!(in_tenth >= 2, "tenth {tenth}: {waits_s:?}");
    }
    sim.shutdown().await;
}
