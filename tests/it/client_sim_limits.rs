//! Rate limits, 429s and retries of the real client against the real simulator. Every
//! assertion is on the simulator's request log (statuses, counts per rate-limit window),
//! never on elapsed time.

use erlc_bot::erlc::api::CommandOptions;
use erlc_bot::erlc::{ClientConfig, ErlcError, Include, ServerHandle};
use erlc_bot::sim::{BucketLimit, FaultKind, FaultPlan, PlayerSpec, SimConfig, SimHandle};
use futures::future::{BoxFuture, FutureExt, join_all};

use crate::support::START_MS;
use crate::support::client_sim::*;
use crate::support::wait::{wait_for, within};

/// One read of each kind in `kinds` for every handle.
fn reads<'a>(
    handles: &'a [ServerHandle],
    kinds: &'a [&'a str],
) -> Vec<BoxFuture<'a, Result<(), ErlcError>>> {
    let mut all = Vec::new();
    for h in handles {
        for kind in kinds {
            let read: BoxFuture<'a, Result<(), ErlcError>> = match *kind {
                "server" => h.server_info().map(|r| r.map(drop)).boxed(),
                "players" => h.players().map(|r| r.map(drop)).boxed(),
                "queue" => h.queue().map(|r| r.map(drop)).boxed(),
                "v2" => h.snapshot(Include::none()).map(|r| r.map(drop)).boxed(),
                "killlogs" => h.kill_logs().map(|r| r.map(drop)).boxed(),
                "staff" => h.staff().map(|r| r.map(drop)).boxed(),
                other => panic!("no read kind {other}"),
            };
            all.push(read);
        }
    }
    all
}

fn assert_no_429_and_at_most(sim: &SimHandle, limit: usize, window_secs: i64) {
    let log = sim.requests();
    let throttled: Vec<_> = log.iter().filter(|r| r.status == 429).collect();
    assert!(throttled.is_empty(), "429s were answered: {throttled:?}");
    let windows = per_window(&log, window_secs);
    assert!(
        windows.values().all(|n| *n <= limit),
        "a window got more than {limit}: {windows:?}"
    );
}

/// Many handles (three servers, one IP, so one shared GET bucket) read many routes at once:
/// nothing is ever sent into a full window, and reads carry on after each reset.
#[tokio::test]
async fn reads_from_many_servers_never_overrun_the_shared_bucket_and_resume_after_reset() {
    const LIMIT: u32 = 3;
    let sim = start_sim(SimConfig {
        servers: 3,
        read_limit: BucketLimit::new(LIMIT, 1),
        ..SimConfig::default()
    })
    .await;
    let client = client(ClientConfig {
        retry: fast_retries(),
        ..ClientConfig::with_base_url(sim.base_url())
    });
    let handles: Vec<_> = (0..3).map(|i| handle(&client, &sim, i)).collect();

    let first = within(
        "first burst",
        join_all(reads(&handles, &["server", "players", "queue", "v2"])),
    )
    .await;
    assert!(first.iter().all(Result::is_ok), "{first:?}");
    // New routes after the bucket is known to be used up: they must wait for the reset too.
    let second = within(
        "second burst",
        join_all(reads(&handles, &["killlogs", "staff"])),
    )
    .await;
    assert!(second.iter().all(Result::is_ok), "{second:?}");

    assert_no_429_and_at_most(&sim, LIMIT as usize, 1);
    assert_eq!(
        sim.requests().len(),
        18,
        "each read sent once, none repeated"
    );
    let windows = per_window(&sim.requests(), 1);
    assert!(windows.len() >= 6, "18 reads at 3 per window: {windows:?}");
    let stats = client.stats();
    assert_eq!((stats.rate_limited, stats.retries), (0, 0));
    assert!(stats.rate_limit_waits > 0, "{stats:?}");
    sim.shutdown().await;
}

/// A client that has not learned the bucket yet meets a bucket someone else emptied: it gets
/// one 429, waits the `retry_after` it was given, and its retry succeeds in the next window.
#[tokio::test]
async fn a_429_is_waited_out_and_never_repeated_in_the_same_window() {
    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        servers: 2,
        read_limit: BucketLimit::new(3, 2),
        ..sim_config(&clock)
    })
    .await;
    let other_key = sim.server(1).unwrap().info().key;
    let raw = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..3 {
        let status = raw
            .get(format!("{}/v1/server", sim.base_url()))
            .header("Server-Key", &other_key)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }

    let client = client(client_config(&sim, &clock));
    let server = handle(&client, &sim, 0);
    let key = server.key().clone();
    let read = tokio::spawn(async move { server.server_info().await });
    wait_for("the client's first read was refused", || {
        requests_with(&sim, &key).iter().any(|r| r.status == 429)
    })
    .await;
    clock.advance_ms(2_000);
    let info = within("the retried read", read).await.unwrap();
    assert!(info.is_ok(), "{info:?}");

    let mine = requests_with(&sim, &key);
    let statuses: Vec<_> = mine.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200]);
    assert_eq!(mine[0].prc_code, Some(4001));
    assert!(
        mine[1].at_ms >= START_MS + 2_000,
        "the retry waited for the reset"
    );
    let stats = client.stats();
    assert_eq!((stats.rate_limited, stats.retries), (1, 1));
    sim.shutdown().await;
}

async fn fault_rig() -> (SimHandle, ServerHandle, erlc_bot::erlc::ErlcClient) {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    sim.server(0)
        .unwrap()
        .add_player(PlayerSpec::named("Avery_Cole"))
        .unwrap();
    let client = client(client_config(&sim, &clock));
    let server = handle(&client, &sim, 0);
    (sim, server, client)
}

/// Two transient failures, then success: exactly three requests for one read.
#[tokio::test]
async fn reads_are_retried_until_they_succeed() {
    let faults = [
        FaultKind::Status { status: 503 },
        FaultKind::Prc { code: 1001 },
        FaultKind::Prc { code: 1002 },
        FaultKind::Drop,
    ];
    for fault in faults {
        let (sim, server, client) = fault_rig().await;
        sim.set_faults(FaultPlan::next(2, fault.clone()).on_method("GET"));
        let players = server.players().await;
        assert_eq!(players.map(|p| p.len()).ok(), Some(1), "{fault:?}");
        let statuses: Vec<_> = sim.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses.len(), 3, "{fault:?}: {statuses:?}");
        assert_eq!(statuses[2], 200, "{fault:?}");
        assert_eq!(client.stats().retries, 2, "{fault:?}");
        sim.shutdown().await;
    }
}

/// Retries are bounded: one attempt plus `max_retries`, then the last error.
#[tokio::test]
async fn read_retries_give_up_after_the_policy_limit() {
    let (sim, server, _client) = fault_rig().await;
    sim.set_faults(FaultPlan::next(10, FaultKind::Prc { code: 1002 }));
    let err = server.server_info().await.unwrap_err();
    assert!(matches!(err, ErlcError::InternalError(_)), "{err:?}");
    assert_eq!(sim.requests().len(), 4, "1 attempt + 3 retries");
    sim.shutdown().await;
}

/// A command that fails is reported, never sent again.
#[tokio::test]
async fn commands_are_never_retried() {
    let faults = [
        FaultKind::Prc { code: 1001 },
        FaultKind::Status { status: 503 },
        FaultKind::Drop,
    ];
    for fault in faults {
        let (sim, server, _client) = fault_rig().await;
        sim.set_faults(FaultPlan::next(5, fault.clone()).on_method("POST"));
        let err = server
            .send_command(":h hello", &CommandOptions::default())
            .await
            .unwrap_err();
        match (&fault, &err) {
            (FaultKind::Prc { .. }, ErlcError::RobloxCommunication(info)) => {
                assert!(info.command_id.is_some(), "1001 carries a commandId");
            }
            (FaultKind::Status { .. }, ErlcError::Http { status: 503, .. }) => {}
            (FaultKind::Drop, ErlcError::Network { .. }) => {}
            _ => panic!("{fault:?} gave {err:?}"),
        }
        let posts: Vec<_> = sim
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect();
        assert_eq!(posts.len(), 1, "{fault:?}: {posts:?}");
        assert_eq!(posts[0].command.as_deref(), Some(":h hello"));
        sim.shutdown().await;
    }
}

/// Two commands in a row to one server: the second waits for the command bucket's next
/// window, so no 429 is ever answered.
#[tokio::test]
async fn commands_to_one_server_are_spaced_by_the_command_bucket() {
    const WINDOW_SECS: i64 = 2;
    let sim = start_sim(SimConfig {
        command_limit: BucketLimit::new(1, WINDOW_SECS as u32),
        ..SimConfig::default()
    })
    .await;
    sim.server(0)
        .unwrap()
        .add_player(PlayerSpec::named("Avery_Cole"))
        .unwrap();
    let client = client(ClientConfig::with_base_url(sim.base_url()));
    let server = handle(&client, &sim, 0);
    for text in [":h first", ":h second"] {
        within(
            "command",
            server.send_command(text, &CommandOptions::default()),
        )
        .await
        .unwrap();
    }
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    assert!(posts.iter().all(|r| r.status == 200), "{posts:?}");
    let windows = per_window(&posts, WINDOW_SECS);
    assert_eq!(windows.len(), 2, "one command per window: {windows:?}");
    let bucket = posts[0].bucket.clone().unwrap();
    assert!(bucket.starts_with("command-fp:"), "{bucket}");
    assert_eq!(client.stats().rate_limited, 0);
    assert!(client.stats().rate_limit_waits >= 1);
    sim.shutdown().await;
}
