//! Unit tests for the rate limiter, driven by a manual clock.

use std::sync::Arc;

use futures::FutureExt;
use reqwest::header::HeaderValue;

use super::*;
use crate::clock::ManualClock;

const NOW: i64 = 1_767_000_000_000;

fn limiter() -> (Arc<ManualClock>, RateLimiter) {
    let clock = Arc::new(ManualClock::new(NOW));
    let limiter = RateLimiter::new(clock.clone(), (1, Duration::from_secs(5)), Duration::ZERO);
    (clock, limiter)
}

fn get(path: &str, fp: &str) -> Route {
    Route::new(HttpMethod::Get, path, fp)
}

fn command(fp: &str) -> Route {
    Route::new(HttpMethod::Post, "/v2/server/command", fp)
}

fn headers(bucket: &str, limit: u32, remaining: u32, reset_ms: i64) -> RateHeaders {
    RateHeaders {
        bucket: Some(LearnedName {
            name: bucket.into(),
            key_specific: bucket.contains("fp:"),
        }),
        limit: Some(limit),
        remaining,
        reset_ms,
    }
}

fn answer(h: &RateHeaders) -> Answer<'_> {
    Answer::Http {
        headers: Some(h),
        throttled_for: None,
    }
}

/// Acquire without waiting; `None` means the caller would have to wait.
fn try_now<'a>(limiter: &'a RateLimiter, route: &Route) -> Option<RatePermit<'a>> {
    limiter
        .acquire(route)
        .now_or_never()
        .map(|(permit, _)| permit)
}

#[tokio::test]
async fn reservations_never_oversubscribe_a_learned_bucket() {
    let (clock, limiter) = limiter();
    let route = get("/v2/server", "fp:a");
    let first = try_now(&limiter, &route).expect("discovery goes");
    let learned = headers("unauthenticated-global", 3, 2, NOW + 1_000);
    assert_eq!(
        first.complete(answer(&learned)).as_deref(),
        Some("unauthenticated-global")
    );

    let a = try_now(&limiter, &route).expect("slot 2");
    let b = try_now(&limiter, &route).expect("slot 3");
    assert!(
        try_now(&limiter, &route).is_none(),
        "bucket is empty until reset"
    );
    // An answer saying more is left cannot hand out slots still in flight.
    a.complete(answer(&headers(
        "unauthenticated-global",
        3,
        1,
        NOW + 1_000,
    )));
    assert!(try_now(&limiter, &route).is_none());
    b.complete(answer(&headers(
        "unauthenticated-global",
        3,
        0,
        NOW + 1_000,
    )));
    assert!(try_now(&limiter, &route).is_none());

    clock.set_ms(NOW + 1_000);
    let permits: Vec<_> = (0..3).map_while(|_| try_now(&limiter, &route)).collect();
    assert_eq!(permits.len(), 3, "a new window refills to the limit");
    assert!(
        try_now(&limiter, &route).is_none(),
        "the refilled window is not overrun either"
    );
}

#[tokio::test]
async fn a_new_key_uses_the_shared_get_bucket_and_waits_for_discovery() {
    let (_, limiter) = limiter();
    let discovery = try_now(&limiter, &get("/v2/server", "fp:a")).unwrap();
    assert!(
        try_now(&limiter, &get("/v2/server", "fp:b")).is_none(),
        "other keys wait while the bucket is being learned"
    );
    discovery.complete(answer(&headers(
        "unauthenticated-global",
        5,
        1,
        NOW + 2_000,
    )));
    let b = try_now(&limiter, &get("/v2/server", "fp:b")).expect("learned bucket has a slot");
    assert!(
        try_now(&limiter, &get("/v2/server", "fp:c")).is_none(),
        "shared by every key"
    );
    drop(b);
    let headroom = limiter
        .read_headroom("fp:z")
        .expect("shared GET bucket applies to all");
    assert_eq!(
        (headroom.name.as_str(), headroom.limit),
        ("unauthenticated-global", 5)
    );
}

#[tokio::test]
async fn unseen_get_routes_count_in_the_learned_get_bucket() {
    let (_, limiter) = limiter();
    let discovery = try_now(&limiter, &get("/v1/server", "fp:a")).unwrap();
    assert!(
        try_now(&limiter, &get("/v1/server/players", "fp:b")).is_none(),
        "one GET at a time learns the bucket, whatever its route"
    );
    discovery.complete(answer(&headers(
        "unauthenticated-global",
        3,
        1,
        NOW + 1_000,
    )));
    let unseen = try_now(&limiter, &get("/v1/server/killlogs", "fp:b"))
        .expect("an unseen route takes the shared bucket's last slot");
    assert!(
        try_now(&limiter, &get("/v1/server/staff", "fp:c")).is_none(),
        "an unseen route never overruns the known GET bucket"
    );
    unseen.complete(answer(&headers(
        "unauthenticated-global",
        3,
        0,
        NOW + 1_000,
    )));
    assert_eq!(
        limiter
            .bucket_for(&get("/v1/server/killlogs", "fp:z"))
            .as_deref(),
        Some("unauthenticated-global"),
        "the route learned its own bucket from the answer"
    );
}

#[tokio::test]
async fn a_bare_429_on_an_unseen_route_limits_only_that_route() {
    let (clock, limiter) = limiter();
    let known = get("/v1/server", "fp:a");
    try_now(&limiter, &known).unwrap().complete(answer(&headers(
        "unauthenticated-global",
        10,
        9,
        NOW + 30_000,
    )));
    let unseen = get("/v1/server/players", "fp:a");
    try_now(&limiter, &unseen).unwrap().complete(Answer::Http {
        headers: None,
        throttled_for: Some(Duration::from_millis(10)),
    });
    assert!(
        try_now(&limiter, &known).is_some(),
        "the presumed shared bucket is not blamed for a 429 that named no bucket"
    );
    assert!(try_now(&limiter, &unseen).is_none());
    clock.advance_ms(10);
    assert!(try_now(&limiter, &unseen).is_some());
}

#[tokio::test]
async fn command_buckets_are_per_key_with_a_default_until_learned() {
    let (clock, limiter) = limiter();
    assert_eq!(
        limiter.bucket_for(&command("fp:a")).as_deref(),
        Some("command-fp:a")
    );
    let first = try_now(&limiter, &command("fp:a")).expect("one command per window");
    assert!(try_now(&limiter, &command("fp:a")).is_none());
    assert!(
        try_now(&limiter, &command("fp:b")).is_some(),
        "other keys are separate"
    );
    first.complete(Answer::Http {
        headers: None,
        throttled_for: None,
    });
    assert!(try_now(&limiter, &command("fp:a")).is_none());
    let snapshot = limiter
        .snapshots()
        .into_iter()
        .find(|b| b.name == "command-fp:a")
        .unwrap();
    assert_eq!(snapshot.resets_in, Some(Duration::from_secs(5)));
    clock.advance_ms(5_000);
    let second = try_now(&limiter, &command("fp:a")).expect("next window");
    // A key-specific learned bucket is never lent to another key.
    second.complete(answer(&headers("command-fp:a", 2, 1, NOW + 10_000)));
    assert!(try_now(&limiter, &command("fp:a")).is_some());
    assert_eq!(
        limiter.bucket_for(&command("fp:c")).as_deref(),
        Some("command-fp:c")
    );
}

#[tokio::test]
async fn a_429_empties_the_bucket_until_retry_after() {
    let (clock, limiter) = limiter();
    let route = get("/v1/server/players", "fp:a");
    let permit = try_now(&limiter, &route).unwrap();
    permit.complete(Answer::Http {
        headers: Some(&headers("global", 10, 9, NOW + 1_000)),
        throttled_for: Some(Duration::from_secs(3)),
    });
    clock.advance_ms(2_999);
    assert!(try_now(&limiter, &route).is_none());
    clock.advance_ms(1);
    assert!(try_now(&limiter, &route).is_some());
}

#[tokio::test]
async fn a_429_without_headers_still_limits_the_route() {
    let (clock, limiter) = limiter();
    let route = get("/v1/server", "fp:a");
    try_now(&limiter, &route).unwrap().complete(Answer::Http {
        headers: None,
        throttled_for: Some(Duration::from_secs(2)),
    });
    assert!(try_now(&limiter, &route).is_none());
    clock.advance_ms(2_000);
    assert!(try_now(&limiter, &route).is_some());
}

#[tokio::test]
async fn headerless_routes_are_not_limited_but_abandoned_discovery_is_retried() {
    let (_, limiter) = limiter();
    let route = get("/plain", "fp:a");
    drop(try_now(&limiter, &route).unwrap());
    let discovery = try_now(&limiter, &route).expect("an abandoned discovery frees the route");
    assert!(try_now(&limiter, &route).is_none());
    discovery.complete(Answer::Http {
        headers: None,
        throttled_for: None,
    });
    let many: Vec<_> = (0..10).map_while(|_| try_now(&limiter, &route)).collect();
    assert_eq!(many.len(), 10);
}

#[test]
fn reconcile_keeps_the_stricter_view_and_ignores_stale_windows() {
    let mut bucket = Bucket::new(10, UNKNOWN_WINDOW_FALLBACK);
    bucket.reconcile(&headers("b", 10, 7, 2_000));
    assert_eq!((bucket.remaining, bucket.reset_at_ms), (7, Some(2_000)));
    bucket.remaining = 5; // two local reservations
    bucket.in_flight = 2;
    bucket.reconcile(&headers("b", 10, 6, 2_000));
    assert_eq!(bucket.remaining, 4, "server's 6 minus 2 in flight");
    bucket.reconcile(&headers("b", 10, 9, 1_000));
    assert_eq!(bucket.remaining, 4, "stale window ignored");
    bucket.reconcile(&headers("b", 12, 11, 3_000));
    assert_eq!(
        (bucket.remaining, bucket.limit, bucket.reset_at_ms),
        (9, 12, Some(3_000)),
        "a new window replaces the state"
    );
}

#[test]
fn parses_and_redacts_headers() {
    let mut map = HeaderMap::new();
    for (name, value) in [
        ("x-ratelimit-bucket", "command-Secret-Srv"),
        ("x-ratelimit-limit", "1"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "1767226125"),
    ] {
        map.insert(name, HeaderValue::from_static(value));
    }
    let redact = |s: &str| s.replace("Secret-Srv", "fp:abcd");
    let parsed = RateHeaders::parse(&map, &redact).unwrap();
    assert_eq!(
        parsed.bucket,
        Some(LearnedName {
            name: "command-fp:abcd".into(),
            key_specific: true
        })
    );
    assert_eq!(
        (parsed.limit, parsed.remaining, parsed.reset_ms),
        (Some(1), 0, 1_767_226_125_000)
    );
    map.insert("x-ratelimit-reset", HeaderValue::from_static("soon"));
    assert!(RateHeaders::parse(&map, &redact).is_none());
    assert!(RateHeaders::parse(&HeaderMap::new(), &redact).is_none());
}
