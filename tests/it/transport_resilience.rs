//! Coalescing, the TTL cache and circuit breakers over loopback. Time for the cache and the
//! breakers comes from a manual clock, so nothing here waits on wall-clock durations.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use erlc_bot::clock::ManualClock;
use erlc_bot::erlc::{
    BreakerConfig, CacheConfig, ClientConfig, ErlcClient, ErlcError, RetryPolicy, ServerKey,
};
use futures::FutureExt;
use tokio::sync::Semaphore;

use crate::support::transport_stub::{Reply, Stub};
use crate::support::wait::wait_for;

fn config(stub: &Stub, clock: &Arc<ManualClock>) -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy::none(),
        clock: clock.clone(),
        ..ClientConfig::with_base_url(&stub.base_url)
    }
}

/// A stub whose answers are held until the test adds permits to the gate.
async fn gated_stub(gate: Arc<Semaphore>, reply: Reply) -> Stub {
    Stub::start_async(move |_| {
        let gate = gate.clone();
        let reply = reply.clone();
        async move {
            if let Ok(permit) = gate.acquire().await {
                permit.forget();
            }
            reply
        }
        .boxed()
    })
    .await
}

#[tokio::test]
async fn fifty_identical_reads_in_flight_send_one_request() {
    // One permit for a warm-up read: the first request on a route goes alone to learn its
    // rate-limit bucket, and this test is about what happens after that.
    let gate = Arc::new(Semaphore::new(1));
    let stub = gated_stub(gate.clone(), Reply::ok(r#"{"Name":"x"}"#)).await;
    let client = ErlcClient::new(ClientConfig::with_base_url(&stub.base_url)).unwrap();
    let server = client.server(ServerKey::new("same1-key1"));
    server.get_raw("/v2/server", &[]).await.unwrap();
    let reads: Vec<_> = (0..50)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move { server.get_raw("/v2/server", &[("Players", "true")]).await })
        })
        .collect();
    wait_for("49 reads to join the first", || {
        client.stats().coalesced == 49
    })
    .await;
    // A different query is a different read.
    let other = tokio::spawn({
        let server = server.clone();
        async move { server.get_raw("/v2/server", &[("Queue", "true")]).await }
    });
    wait_for("the distinct read to reach the stub", || stub.count() == 3).await;
    gate.add_permits(10);
    for read in reads {
        let response = read.await.unwrap().unwrap();
        assert_eq!(&response.body[..], br#"{"Name":"x"}"#);
    }
    other.await.unwrap().unwrap();
    assert_eq!(stub.count(), 3);
    assert_eq!(client.stats().requests_sent, 3);
}

#[tokio::test]
async fn cache_hits_expire_and_are_dropped_by_a_command() {
    let stub = Stub::start(|seen| Reply::ok(format!(r#"{{"n":{}}}"#, seen.index))).await;
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let client = ErlcClient::new(ClientConfig {
        cache: CacheConfig::default()
            .with_default_ttl(Duration::from_secs(5))
            .with_path_ttl("/v1/server/queue", None),
        ..config(&stub, &clock)
    })
    .unwrap();
    let server = client.server(ServerKey::new("cache1-srv1"));
    let other = client.server(ServerKey::new("cache2-srv2"));

    let first = server.get_raw("/v2/server", &[]).await.unwrap();
    assert!(!first.from_cache);
    let second = server.get_raw("/v2/server", &[]).await.unwrap();
    assert!(second.from_cache);
    assert_eq!(first.body, second.body);
    assert!(
        !other.get_raw("/v2/server", &[]).await.unwrap().from_cache,
        "per key"
    );
    assert!(
        !server
            .get_raw("/v2/server", &[("Players", "true")])
            .await
            .unwrap()
            .from_cache
    );
    server.get_raw("/v1/server/queue", &[]).await.unwrap();
    assert!(
        !server
            .get_raw("/v1/server/queue", &[])
            .await
            .unwrap()
            .from_cache,
        "not cached"
    );
    assert_eq!(stub.count(), 5);

    clock.advance_ms(4_999);
    assert!(server.get_raw("/v2/server", &[]).await.unwrap().from_cache);
    clock.advance_ms(1);
    assert!(
        !server.get_raw("/v2/server", &[]).await.unwrap().from_cache,
        "expired"
    );
    assert!(server.get_raw("/v2/server", &[]).await.unwrap().from_cache);
    assert!(
        !other.get_raw("/v2/server", &[]).await.unwrap().from_cache,
        "expired too"
    );

    server
        .post_command("/v2/server/command", ":h hi")
        .await
        .unwrap();
    assert!(
        !server.get_raw("/v2/server", &[]).await.unwrap().from_cache,
        "command invalidated"
    );
    assert!(
        other.get_raw("/v2/server", &[]).await.unwrap().from_cache,
        "other key untouched"
    );
    server.invalidate_cache();
    assert!(!server.get_raw("/v2/server", &[]).await.unwrap().from_cache);

    let stats = client.stats();
    assert_eq!((stats.cache_hits, stats.cache_misses), (4, 7));
    assert_eq!(stub.count(), 10);
}

#[tokio::test]
async fn breaker_opens_fails_fast_probes_once_and_closes() {
    let failing = Arc::new(AtomicBool::new(true));
    let gate = Arc::new(Semaphore::new(1000));
    let stub = Stub::start_async({
        let failing = failing.clone();
        let gate = gate.clone();
        move |_| {
            let failing = failing.load(Ordering::SeqCst);
            let gate = gate.clone();
            async move {
                if let Ok(permit) = gate.acquire().await {
                    permit.forget();
                }
                if failing {
                    Reply::new(500, r#"{"code":1001,"message":"roblox"}"#)
                } else {
                    Reply::ok("{}")
                }
            }
            .boxed()
        }
    })
    .await;
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let client = ErlcClient::new(ClientConfig {
        breaker: BreakerConfig {
            threshold: 3,
            cool_off: Duration::from_secs(30),
        },
        ..config(&stub, &clock)
    })
    .unwrap();
    let server = client.server(ServerKey::new("broken1-srv1"));
    for _ in 0..3 {
        assert!(matches!(
            server.get_raw("/v2/server", &[]).await,
            Err(ErlcError::RobloxCommunication(_))
        ));
    }
    match server.get_raw("/v2/server", &[]).await {
        Err(ErlcError::CircuitOpen { bucket, retry_in }) => {
            assert!(bucket.contains(&server.fingerprint()), "{bucket}");
            assert_eq!(retry_in, Duration::from_secs(30));
        }
        other => panic!("expected the breaker to be open, got {other:?}"),
    }
    assert_eq!(stub.count(), 3, "an open breaker sends nothing");
    assert_eq!(client.stats().breaker_opens, 1);
    assert_eq!(client.open_breakers().len(), 1);
    let healthy = client.server(ServerKey::new("fine2-srv2"));
    failing.store(false, Ordering::SeqCst);
    healthy.get_raw("/v2/server", &[]).await.unwrap();
    assert_eq!(stub.count(), 4, "other servers are not paused");

    // Cool-off over: one probe, held at the stub; a concurrent call still fails fast.
    clock.advance_ms(30_000);
    let held = gate.available_permits();
    gate.forget_permits(held);
    let probe = tokio::spawn({
        let server = server.clone();
        async move { server.get_raw("/v2/server", &[]).await }
    });
    wait_for("the probe to reach the stub", || stub.count() == 5).await;
    assert!(matches!(
        server.get_raw("/v2/server", &[("other", "1")]).await,
        Err(ErlcError::CircuitOpen { .. })
    ));
    gate.add_permits(1000);
    probe.await.unwrap().expect("probe succeeds");
    server
        .get_raw("/v2/server", &[])
        .await
        .expect("closed again");
    assert_eq!(stub.count(), 6);
    assert!(client.open_breakers().is_empty());
}

#[tokio::test]
async fn a_failed_probe_reopens_the_breaker() {
    let stub = Stub::start(|_| Reply::new(503, "maintenance")).await;
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let client = ErlcClient::new(ClientConfig {
        breaker: BreakerConfig {
            threshold: 2,
            cool_off: Duration::from_secs(10),
        },
        ..config(&stub, &clock)
    })
    .unwrap();
    let server = client.server(ServerKey::new("down1-srv1"));
    for _ in 0..2 {
        assert!(matches!(
            server.get_raw("/v1/server", &[]).await,
            Err(ErlcError::Http { status: 503, .. })
        ));
    }
    clock.advance_ms(10_000);
    assert!(matches!(
        server.get_raw("/v1/server", &[]).await,
        Err(ErlcError::Http { status: 503, .. })
    ));
    assert!(matches!(
        server.get_raw("/v1/server", &[]).await,
        Err(ErlcError::CircuitOpen { retry_in, .. }) if retry_in == Duration::from_secs(10)
    ));
    assert_eq!(stub.count(), 3);
    assert_eq!(client.stats().breaker_opens, 2);
}
