//! Authentication codes and rate limiting of the simulator, over HTTP.

use erlc_bot::sim::{BucketLimit, PlayerSpec, SimConfig};
use reqwest::Response;
use serde_json::json;

use crate::support::START_MS;
use crate::support::sim::{config, start, start_with, status_and_body};

fn rate_headers(r: &Response) -> (String, u32, u32, i64) {
    let h = |name: &str| {
        r.headers()
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing on {}", r.status()))
            .to_str()
            .unwrap()
            .to_owned()
    };
    (
        h("x-ratelimit-bucket"),
        h("x-ratelimit-limit").parse().unwrap(),
        h("x-ratelimit-remaining").parse().unwrap(),
        h("x-ratelimit-reset").parse().unwrap(),
    )
}

#[tokio::test]
async fn auth_failures_answer_403_with_prc_codes() {
    let (base, clock) = config();
    let sim = start_with(
        SimConfig {
            global_keys: vec!["GLOBALKEY1".into()],
            ..base
        },
        clock,
    )
    .await;
    let url = sim.url("/v1/server");
    let code = |r: reqwest::RequestBuilder| async move {
        let (status, body) = status_and_body(r.send().await.unwrap()).await;
        (status, body["code"].as_u64().unwrap_or(0))
    };
    assert_eq!(code(sim.client.get(&url)).await, (403, 2000));
    assert_eq!(
        code(sim.client.get(&url).header("Server-Key", "")).await,
        (403, 2000)
    );
    assert_eq!(
        code(sim.client.get(&url).header("server-key", "nohyphen")).await,
        (403, 2001)
    );
    assert_eq!(
        code(sim.client.get(&url).header("SERVER-KEY", "a-b-c")).await,
        (403, 2001)
    );
    assert_eq!(
        code(sim.client.get(&url).header("server-key", "wrong-abc")).await,
        (403, 2002)
    );
    assert_eq!(
        code(sim.get("/v1/server").header("Authorization", "nope")).await,
        (403, 2003)
    );
    assert_eq!(
        code(sim.get("/v1/server").header("authorization", "GLOBALKEY1")).await,
        (200, 0)
    );

    let server = sim.handle.server(0).unwrap();
    let new_key = server.rotate_key();
    assert_ne!(new_key, sim.key);
    assert_eq!(
        new_key.split_once('-').unwrap().1,
        sim.key.split_once('-').unwrap().1,
        "rotation keeps the server id"
    );
    assert_eq!(
        code(sim.get("/v1/server")).await,
        (403, 2002),
        "old key after rotation"
    );
    assert_eq!(
        code(sim.client.get(&url).header("Server-Key", &new_key)).await,
        (200, 0)
    );
    server.ban_key();
    assert_eq!(
        code(sim.client.get(&url).header("Server-Key", &new_key)).await,
        (403, 2004)
    );
    assert_eq!(sim.handle.servers()[0].key, new_key);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn every_response_carries_rate_limit_headers_and_429_follows_the_limit() {
    let (base, clock) = config();
    let sim = start_with(
        SimConfig {
            read_limit: BucketLimit::new(3, 10),
            ..base
        },
        clock,
    )
    .await;
    let ok = sim.get("/v1/server").send().await.unwrap();
    assert_eq!(
        rate_headers(&ok),
        ("unauthenticated-global".into(), 3, 2, START_MS / 1000 + 10)
    );
    let forbidden = sim.client.get(sim.url("/v1/server")).send().await.unwrap();
    assert_eq!(forbidden.status(), 403);
    assert_eq!(rate_headers(&forbidden).2, 1);
    let missing = sim.get("/v1/server/nothing").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(rate_headers(&missing).2, 0);

    sim.clock.advance_ms(2_500);
    let limited = sim.get("/v1/server").send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let (bucket, limit, remaining, reset) = rate_headers(&limited);
    assert_eq!(
        (bucket.as_str(), limit, remaining, reset),
        ("unauthenticated-global", 3, 0, START_MS / 1000 + 10)
    );
    assert_eq!(limited.headers()["retry-after"], "8");
    let (_, body) = status_and_body(limited).await;
    assert_eq!(
        body,
        json!({"code": 4001, "message": "You are being rate limited!", "retry_after": 7.5,
               "bucket": "unauthenticated-global"})
    );

    sim.clock.set_ms(reset * 1000);
    let again = sim.get("/v1/server").send().await.unwrap();
    assert_eq!(again.status(), 200, "waiting until Reset is enough");

    let requests = sim.handle.requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 403, 404, 429, 200]);
    assert_eq!(requests[3].prc_code, Some(4001));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn command_bucket_is_per_key_and_named_after_it() {
    let (base, clock) = config();
    let sim = start_with(
        SimConfig {
            command_limit: BucketLimit::new(1, 5),
            global_keys: vec!["GLOBALKEY1".into()],
            ..base
        },
        clock,
    )
    .await;
    sim.handle
        .server(0)
        .unwrap()
        .add_player(PlayerSpec::named("p"))
        .unwrap();
    let first = sim.command(":h one").await;
    assert_eq!(first.status(), 200);
    let (bucket, limit, remaining, _) = rate_headers(&first);
    assert_eq!(
        (bucket, limit, remaining),
        (format!("command-{}", sim.key), 1, 0)
    );
    let second = sim.command(":h two").await;
    assert_eq!(second.status(), 429);
    let (_, body) = status_and_body(second).await;
    assert_eq!(body["bucket"], format!("command-{}", sim.key));
    assert_eq!(
        sim.get("/v1/server").send().await.unwrap().status(),
        200,
        "reads unaffected"
    );

    let with_app = sim
        .client
        .post(sim.url("/v1/server/command"))
        .header("Server-Key", &sim.key)
        .header("Authorization", "GLOBALKEY1")
        .json(&json!({"command": ":h three"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_app.status(), 200);
    assert_eq!(
        rate_headers(&with_app).0,
        format!("command-GLOBALKEY1-{}", sim.key)
    );
    let app_read = sim
        .get("/v1/server")
        .header("Authorization", "GLOBALKEY1")
        .send()
        .await
        .unwrap();
    assert_eq!(rate_headers(&app_read).0, "public-app-get");

    for r in sim.handle.requests() {
        let bucket = r.bucket.unwrap();
        assert!(
            !bucket.contains(&sim.key) && !bucket.contains("GLOBALKEY1"),
            "{bucket}"
        );
    }
    sim.clock.advance_ms(5_000);
    assert_eq!(sim.command(":h four").await.status(), 200);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn repeat_offenders_are_blocked_and_set_rate_limits_applies() {
    let (base, clock) = config();
    let sim = start_with(
        SimConfig {
            read_limit: BucketLimit::new(1, 10),
            repeat_offender: Some(erlc_bot::sim::RepeatOffender {
                strikes: 2,
                first_block_secs: 60,
            }),
            ..base
        },
        clock,
    )
    .await;
    assert_eq!(sim.get("/v1/server").send().await.unwrap().status(), 200);
    assert_eq!(sim.get("/v1/server").send().await.unwrap().status(), 429);
    let blocked = sim.get("/v1/server").send().await.unwrap();
    assert_eq!(rate_headers(&blocked).3, START_MS / 1000 + 60);
    sim.clock.advance_ms(20_000);
    assert_eq!(
        sim.get("/v1/server").send().await.unwrap().status(),
        429,
        "still blocked"
    );
    sim.clock.advance_ms(40_000);
    assert_eq!(sim.get("/v1/server").send().await.unwrap().status(), 200);

    sim.handle
        .set_rate_limits(BucketLimit::new(50, 10), BucketLimit::new(1, 5));
    let r = sim.get("/v1/server").send().await.unwrap();
    assert_eq!(rate_headers(&r).1, 50);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn start_gives_a_loopback_url_and_keys_ending_in_the_server_id() {
    let defaults = SimConfig::default();
    assert_eq!(defaults.read_limit, BucketLimit::new(35, 10));
    assert_eq!(defaults.command_limit, BucketLimit::new(1, 5));
    let sim = start().await;
    assert!(sim.handle.base_url().starts_with("http://127.0.0.1:"));
    let info = &sim.handle.servers()[0];
    assert!(info.key.ends_with(&format!("-{}", info.server_id)));
    assert!(
        !format!("{info:?}").contains(&info.key),
        "Debug hides the key"
    );
    assert!(sim.handle.server(1).is_err());
    sim.handle.shutdown().await;
}
