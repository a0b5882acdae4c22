//! Rate limiting over loopback: the client learns buckets from `X-RateLimit-*` headers, shares
//! the per-IP GET bucket across keys, spaces commands per key, and never sends into a bucket it
//! knows is empty. Assertions are on what the stub received, per window.

use std::collections::BTreeMap;
use std::time::Duration;

use erlc_bot::erlc::{ClientConfig, ErlcClient, RetryPolicy, ServerKey};

use crate::support::transport_stub::{Reply, Seen, Stub, now_ms};

fn client(stub: &Stub, command_default: (u32, Duration)) -> ErlcClient {
    ErlcClient::new(ClientConfig {
        retry: RetryPolicy::none(),
        command_bucket_default: command_default,
        reset_grace: Duration::from_millis(50),
        ..ClientConfig::with_base_url(&stub.base_url)
    })
    .unwrap()
}

/// A PRC-like fixed-window limiter: `limit` requests per wall-clock second for everyone,
/// 429 beyond that. Headers on every answer.
fn per_second_bucket(limit: u32) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    let counts = std::sync::Mutex::new(BTreeMap::<i64, u32>::new());
    move |seen| {
        let window = seen.at_ms / 1000;
        let used = {
            let mut counts = counts.lock().unwrap();
            let used = counts.entry(window).or_insert(0);
            *used += 1;
            *used
        };
        let reset = window + 1;
        if used > limit {
            Reply::new(
                429,
                r#"{"code":4001,"message":"You are being rate limited!","retry_after":1}"#,
            )
            .header("Retry-After", "1")
            .rate("unauthenticated-global", limit, 0, reset)
        } else {
            Reply::ok(r#"{"Name":"x"}"#).rate("unauthenticated-global", limit, limit - used, reset)
        }
    }
}

fn per_window(seen: &[Seen]) -> BTreeMap<i64, usize> {
    let mut windows = BTreeMap::new();
    for s in seen {
        *windows.entry(s.at_ms / 1000).or_insert(0) += 1;
    }
    windows
}

/// Start just after a whole second, so no request of the first window can straddle into the
/// next one on its way to the stub.
async fn align_to_second() {
    let into_second = now_ms().rem_euclid(1000);
    tokio::time::sleep(Duration::from_millis((1050 - into_second) as u64)).await;
}

#[tokio::test]
async fn many_keys_share_the_learned_get_bucket_without_overrunning_it() {
    const LIMIT: u32 = 3;
    const SERVERS: usize = 10;
    let stub = Stub::start(per_second_bucket(LIMIT)).await;
    let client = client(&stub, (1, Duration::from_secs(5)));
    align_to_second().await;
    let reads = (0..SERVERS).map(|n| {
        let server = client.server(ServerKey::new(format!("secret{n}-server{n}")));
        async move { server.get_raw("/v2/server", &[]).await }
    });
    let results = futures::future::join_all(reads).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let seen = stub.seen();
    assert_eq!(seen.len(), SERVERS, "one request per server, none repeated");
    let windows = per_window(&seen);
    assert!(
        windows.values().all(|n| *n <= LIMIT as usize),
        "a window was overrun: {windows:?}"
    );
    assert!(windows.len() >= SERVERS.div_ceil(LIMIT as usize));
    let stats = client.stats();
    assert_eq!(stats.rate_limited, 0);
    assert!(stats.rate_limit_waits > 0);

    let buckets = client.buckets();
    assert_eq!(buckets.len(), 1, "{buckets:?}");
    assert_eq!(
        (buckets[0].name.as_str(), buckets[0].limit),
        ("unauthenticated-global", LIMIT)
    );
    let fresh = client.server(ServerKey::new("never-used"));
    assert_eq!(
        fresh.read_headroom().map(|b| b.name),
        Some("unauthenticated-global".to_owned()),
        "a new key already knows the shared GET bucket"
    );
}

#[tokio::test]
async fn a_429_empties_the_bucket_for_every_key_until_retry_after() {
    // Another tenant of the IP has used the bucket up: the first answer is a 429.
    let stub = Stub::start(|seen| {
        let reset = seen.at_ms / 1000 + 1;
        match seen.index {
            0 => Reply::new(429, r#"{"code":4001,"retry_after":1.2}"#)
                .header("Retry-After", "1.2")
                .rate("unauthenticated-global", 35, 0, reset),
            _ => Reply::ok("{}").rate("unauthenticated-global", 35, 30, reset),
        }
    })
    .await;
    let client = client(&stub, (1, Duration::from_secs(5)));
    let first = client.server(ServerKey::new("a1-b1"));
    assert!(first.get_raw("/v2/server", &[]).await.is_err());
    let others: Vec<_> = (0..4)
        .map(|n| {
            let server = client.server(ServerKey::new(format!("k{n}-s{n}")));
            async move { server.get_raw("/v2/server", &[]).await }
        })
        .collect();
    let results = futures::future::join_all(others).await;
    assert!(results.iter().all(Result::is_ok));
    let seen = stub.seen();
    assert_eq!(seen.len(), 5);
    for later in &seen[1..] {
        assert!(
            later.at_ms - seen[0].at_ms >= 1190,
            "request {} sent {} ms after the 429 that asked for 1200",
            later.index,
            later.at_ms - seen[0].at_ms
        );
    }
}

#[tokio::test]
async fn commands_are_spaced_per_key_by_the_default_bucket() {
    let stub = Stub::start(|_| Reply::ok(r#"{"message":"Success"}"#)).await;
    let client = client(&stub, (1, Duration::from_secs(1)));
    let a = client.server(ServerKey::new("alpha1-one"));
    let b = client.server(ServerKey::new("bravo2-two"));
    let (a1, a2, b1) = tokio::join!(
        a.post_command("/v2/server/command", ":h 1"),
        a.post_command("/v2/server/command", ":h 2"),
        b.post_command("/v2/server/command", ":h 3"),
    );
    assert!(a1.is_ok() && a2.is_ok() && b1.is_ok());
    let seen = stub.seen();
    let keys: Vec<_> = seen.iter().map(|s| s.server_key.clone().unwrap()).collect();
    assert_eq!(
        keys[2], "alpha1-one",
        "the second command of a key waits; other keys do not"
    );
    assert!(keys[..2].contains(&"bravo2-two".to_owned()));
    assert!(
        seen[2].at_ms - seen[0].at_ms.min(seen[1].at_ms) >= 990,
        "second command of one key within the 1 s window"
    );
    let fp = ServerKey::new("alpha1-one").fingerprint();
    assert!(
        client
            .buckets()
            .iter()
            .any(|b| b.name == format!("command-{fp}"))
    );
}

#[tokio::test]
async fn learned_command_buckets_follow_the_headers_and_are_redacted() {
    let stub = Stub::start(|seen| {
        let key = seen.server_key.clone().unwrap_or_default();
        Reply::ok(r#"{"message":"Success"}"#).rate(
            &format!("command-{key}"),
            2,
            1,
            seen.at_ms / 1000 + 30,
        )
    })
    .await;
    let client = client(&stub, (1, Duration::from_secs(30)));
    let server = client.server(ServerKey::new("hidden9-id9"));
    server
        .post_command("/v2/server/command", ":h 1")
        .await
        .unwrap();
    // PRC said 2 per window with 1 left, so the second command goes at once (the default
    // guess of 1 per 30 s would otherwise hold it for 30 s).
    tokio::time::timeout(
        Duration::from_secs(10),
        server.post_command("/v2/server/command", ":h 2"),
    )
    .await
    .expect("learned limit replaces the default")
    .unwrap();
    let fp = server.fingerprint();
    let bucket = client
        .buckets()
        .into_iter()
        .find(|b| b.name == format!("command-{fp}"))
        .expect("bucket learned under its redacted name");
    assert_eq!((bucket.limit, bucket.remaining), (2, 0));
    let records = client.recent_requests();
    assert_eq!(records.len(), 2);
    assert!(
        records
            .iter()
            .all(|r| r.bucket.as_deref() == Some(bucket.name.as_str())
                && r.key_fingerprint == fp
                && r.status == Some(200))
    );
    assert!(!format!("{:?}{records:?}", client.buckets()).contains("hidden9"));
}
