//! Coalescing, caching and circuit breaking of the real client, proven on the real simulator's
//! request log. Client and simulator share one manual clock, so TTLs and cool-offs pass when
//! the test says so.

use std::time::Duration;

use erlc_bot::erlc::api::CommandOptions;
use erlc_bot::erlc::{BreakerConfig, CacheConfig, ClientConfig, ErlcError, Include, RetryPolicy};
use erlc_bot::sim::{FaultKind, FaultPlan, PlayerSpec, SimConfig};
use futures::future::join_all;

use crate::support::client_sim::*;
use crate::support::wait::{wait_for, within};

fn count(sim: &erlc_bot::sim::SimHandle, path: &str) -> usize {
    sim.requests().iter().filter(|r| r.path == path).count()
}

/// 50 identical reads at once reach the simulator as one request; another key's identical
/// read is not merged with them.
#[tokio::test]
async fn fifty_identical_concurrent_reads_are_one_request() {
    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        servers: 2,
        ..sim_config(&clock)
    })
    .await;
    populate(&sim.server(0).unwrap(), &clock);
    let client = client(client_config(&sim, &clock));
    let server = handle(&client, &sim, 0);
    let results = within(
        "50 reads",
        join_all((0..50).map(|_| server.snapshot(Include::all()))),
    )
    .await;
    let first = results[0].as_ref().expect("the shared read succeeds");
    assert_eq!(first.players.as_ref().map(Vec::len), Some(8));
    assert!(results.iter().all(|r| r.as_ref().ok() == Some(first)));
    assert_eq!(sim.requests().len(), 1, "{:?}", sim.requests());
    assert_eq!(client.stats().coalesced, 49);

    let other = handle(&client, &sim, 1);
    let mixed = within(
        "reads of two servers",
        join_all(
            (0..10).map(|n| if n % 2 == 0 { &server } else { &other }.snapshot(Include::all())),
        ),
    )
    .await;
    assert!(mixed.iter().all(Result::is_ok));
    assert_eq!(sim.requests().len(), 3, "one more request per server");
    sim.shutdown().await;
}

/// Reads are served from the cache within the TTL (even when the game changed), fetched again
/// after it, never cached for a path configured off, and dropped when a command is sent.
#[tokio::test]
async fn cache_hits_within_the_ttl_and_misses_after_it_or_after_a_command() {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    let game = sim.server(0).unwrap();
    game.add_player(PlayerSpec::named("Avery_Cole")).unwrap();
    let client = client(ClientConfig {
        cache: CacheConfig::default()
            .with_default_ttl(Duration::from_secs(5))
            .with_path_ttl("/v1/server/queue", None),
        ..client_config(&sim, &clock)
    });
    let server = handle(&client, &sim, 0);

    assert_eq!(server.players().await.unwrap().len(), 1);
    game.add_player(PlayerSpec::named("minty_pretzel")).unwrap();
    clock.advance_ms(4_999);
    assert_eq!(server.players().await.unwrap().len(), 1, "still cached");
    let raw = server.get_raw("/v1/server/players", &[]).await.unwrap();
    assert!(raw.from_cache);
    assert_eq!(count(&sim, "/v1/server/players"), 1);
    let stats = client.stats();
    assert_eq!((stats.cache_hits, stats.cache_misses), (2, 1));

    clock.advance_ms(1);
    assert_eq!(
        server.players().await.unwrap().len(),
        2,
        "expired at the TTL"
    );
    assert_eq!(count(&sim, "/v1/server/players"), 2);

    for _ in 0..3 {
        server.queue().await.unwrap();
    }
    assert_eq!(count(&sim, "/v1/server/queue"), 3, "queue is never cached");

    server
        .send_command(":kick minty_pretzel", &CommandOptions::default())
        .await
        .unwrap();
    assert_eq!(
        server.players().await.unwrap().len(),
        1,
        "a command drops the cached reads of its server"
    );
    assert_eq!(count(&sim, "/v1/server/players"), 3);
    let stats = client.stats();
    assert_eq!((stats.cache_hits, stats.cache_misses), (2, 3));
    sim.shutdown().await;
}

/// Repeated transient failures open the breaker (calls fail fast, nothing is sent); after the
/// cool-off one probe goes: a failed probe reopens it, a good one closes it. Other servers
/// are never affected.
#[tokio::test]
async fn breaker_opens_then_half_opens_then_closes() {
    let clock = manual_clock();
    let sim = start_sim(SimConfig {
        servers: 2,
        ..sim_config(&clock)
    })
    .await;
    let client = client(ClientConfig {
        retry: RetryPolicy::none(),
        breaker: BreakerConfig {
            threshold: 3,
            cool_off: Duration::from_secs(30),
        },
        ..client_config(&sim, &clock)
    });
    let server = handle(&client, &sim, 0);
    let healthy = handle(&client, &sim, 1);
    let sent = |sim: &erlc_bot::sim::SimHandle| requests_with(sim, server.key()).len();

    sim.set_faults(FaultPlan::next(3, FaultKind::Status { status: 503 }));
    for _ in 0..3 {
        let err = server.server_info().await.unwrap_err();
        assert!(
            matches!(err, ErlcError::Http { status: 503, .. }),
            "{err:?}"
        );
    }
    let err = server.players().await.unwrap_err();
    match &err {
        ErlcError::CircuitOpen { bucket, retry_in } => {
            assert_eq!(*retry_in, Duration::from_secs(30));
            assert!(bucket.contains(&server.fingerprint()), "{bucket}");
        }
        other => panic!("expected an open breaker, got {other:?}"),
    }
    assert_eq!(sent(&sim), 3, "an open breaker sends nothing");
    assert_eq!(client.open_breakers().len(), 1);
    assert!(
        healthy.server_info().await.is_ok(),
        "other servers still work"
    );

    clock.advance_ms(30_000);
    sim.set_faults(FaultPlan::next(1, FaultKind::Prc { code: 1001 }));
    let err = server.server_info().await.unwrap_err();
    assert!(matches!(err, ErlcError::RobloxCommunication(_)), "{err:?}");
    assert_eq!(sent(&sim), 4, "one probe after the cool-off");
    assert!(matches!(
        server.server_info().await,
        Err(ErlcError::CircuitOpen { .. })
    ));
    assert_eq!(
        client.stats().breaker_opens,
        2,
        "the failed probe reopened it"
    );

    clock.advance_ms(30_000);
    sim.set_faults(FaultPlan::next(1, FaultKind::Latency { ms: 1_000 }));
    let probe = tokio::spawn({
        let server = server.clone();
        async move { server.server_info().await }
    });
    wait_for("the probe is in flight", || {
        client.buckets().iter().any(|b| b.in_flight > 0)
    })
    .await;
    let err = server.players().await.unwrap_err();
    assert!(
        matches!(err, ErlcError::CircuitOpen { .. }),
        "half-open lets only the probe through: {err:?}"
    );
    assert!(within("the probe", probe).await.unwrap().is_ok());
    assert_eq!(sent(&sim), 5);
    assert!(client.open_breakers().is_empty());
    for _ in 0..2 {
        assert!(server.players().await.is_ok(), "closed again");
    }
    assert_eq!(sent(&sim), 7);
    sim.shutdown().await;
}
