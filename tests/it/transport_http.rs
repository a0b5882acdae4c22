//! The ER:LC transport over loopback: headers, bodies, error mapping, decoding, retries of
//! reads (and never of commands), and that keys never leak into logs or Debug output.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use erlc_bot::erlc::{ClientConfig, ErlcClient, ErlcError, GlobalKey, RetryPolicy, ServerKey};
use serde::Deserialize;

use crate::support::transport_stub::{Reply, Stub, now_ms};

const KEY: &str = "SeCrEtPaRt123-Srv456";
const GLOBAL: &str = "GlObAlSeCrEt789";

fn config(stub: &Stub) -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            jitter: true,
        },
        ..ClientConfig::with_base_url(&stub.base_url)
    }
}

fn client(stub: &Stub) -> ErlcClient {
    ErlcClient::new(config(stub)).unwrap()
}

#[tokio::test]
async fn sends_keys_raw_and_commands_as_lowercase_json() {
    let stub = Stub::start(|_| Reply::ok(r#"{"message":"Success"}"#)).await;
    let with_global = ErlcClient::new(ClientConfig {
        base_url: format!("{}/", stub.base_url),
        global_key: Some(GlobalKey::new(GLOBAL)),
        ..config(&stub)
    })
    .unwrap();
    let server = with_global.server(ServerKey::new(KEY));
    server
        .get_raw("v2/server", &[("Players", "true"), ("Queue", "true")])
        .await
        .unwrap();
    server
        .post_command("/v2/server/command", ":h \"hello\"")
        .await
        .unwrap();
    client(&stub)
        .server(ServerKey::new(KEY))
        .get_raw("/v1/server", &[])
        .await
        .unwrap();

    let seen = stub.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/v2/server")
    );
    assert_eq!(seen[0].query.as_deref(), Some("Players=true&Queue=true"));
    assert_eq!(seen[0].server_key.as_deref(), Some(KEY));
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(GLOBAL),
        "raw, no Bearer"
    );
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("POST", "/v2/server/command")
    );
    assert_eq!(seen[1].content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(body, serde_json::json!({ "command": ":h \"hello\"" }));
    assert_eq!(seen[2].authorization, None, "no global key configured");
    assert_eq!(seen[2].query, None);
}

#[tokio::test]
async fn error_bodies_and_statuses_map_to_errors() {
    let stub = Stub::start(|seen| match seen.path.as_str() {
        "/v1/server" => Reply::new(
            403,
            r#"{"code":"2002","message":"Invalid server key","extra":[1]}"#,
        ),
        "/v2/server/command" => Reply::new(422, ""),
        "/v1/server/command" => Reply::new(
            400,
            r#"{"code":4002,"error":"restricted","commandId":"c-9"}"#,
        ),
        _ => Reply::new(404, "not here"),
    })
    .await;
    let server = client(&stub).server(ServerKey::new(KEY));
    match server.get_raw("/v1/server", &[]).await {
        Err(ErlcError::InvalidServerKey(info)) => {
            assert_eq!(info.endpoint, "GET /v1/server");
            assert_eq!(info.http_status, 403);
            assert_eq!(info.message, "Invalid server key");
        }
        other => panic!("expected InvalidServerKey, got {other:?}"),
    }
    assert!(matches!(
        server.post_command("/v2/server/command", ":h hi").await,
        Err(ErlcError::ServerOffline(info)) if info.endpoint == "POST /v2/server/command"
    ));
    assert!(matches!(
        server.post_command("/v1/server/command", ":jail x").await,
        Err(ErlcError::RestrictedCommand(info)) if info.command_id.as_deref() == Some("c-9")
    ));
    assert!(matches!(
        server.get_raw("/v1/missing", &[]).await,
        Err(ErlcError::Http { status: 404, body_snippet, .. }) if body_snippet == "not here"
    ));
    assert_eq!(stub.count(), 4, "non-retryable errors are not retried");
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Server {
    players: Vec<Player>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Player {
    player: String,
    team: String,
}

#[tokio::test]
async fn get_json_decodes_and_names_the_bad_field() {
    let stub = Stub::start(|seen| match seen.query.as_deref() {
        Some("bad=1") => {
            Reply::ok(r#"{"Players":[{"Player":"a:1","Team":"Police"},{"Player":"b:2","Team":7}]}"#)
        }
        _ => Reply::ok(r#"{"Players":[{"Player":"a:1","Team":"Police","Callsign":null}],"New":1}"#),
    })
    .await;
    let server = client(&stub).server(ServerKey::new(KEY));
    let good: Server = server.get_json("/v2/server", &[]).await.unwrap();
    assert_eq!(good.players[0].player, "a:1");
    assert_eq!(good.players[0].team, "Police");
    match server
        .get_json::<Server>("/v2/server", &[("bad", "1")])
        .await
    {
        Err(ErlcError::Decode {
            endpoint, field, ..
        }) => {
            assert_eq!(endpoint, "GET /v2/server");
            assert_eq!(field, "Players[1].Team");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn reads_retry_transient_failures_then_succeed() {
    let stub = Stub::start(|seen| match seen.index {
        0 => Reply::new(500, r#"{"code":1001,"message":"roblox"}"#),
        1 => Reply::new(503, "upstream down"),
        _ => Reply::ok("{}"),
    })
    .await;
    let client = client(&stub);
    let response = client
        .server(ServerKey::new(KEY))
        .get_raw("/v2/server", &[])
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(stub.count(), 3);
    let stats = client.stats();
    assert_eq!((stats.retries, stats.requests_sent), (2, 3));
}

#[tokio::test]
async fn reads_give_up_after_max_retries() {
    let stub = Stub::start(|_| Reply::new(500, r#"{"code":1002}"#)).await;
    let client = ErlcClient::new(ClientConfig {
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            jitter: false,
        },
        ..config(&stub)
    })
    .unwrap();
    let result = client
        .server(ServerKey::new(KEY))
        .get_raw("/v2/server", &[])
        .await;
    assert!(matches!(result, Err(ErlcError::InternalError(_))));
    assert_eq!(stub.count(), 3, "first attempt plus two retries");
}

#[tokio::test]
async fn a_429_read_is_retried_no_sooner_than_retry_after() {
    let stub = Stub::start(|seen| match seen.index {
        0 => Reply::new(
            429,
            r#"{"code":4001,"message":"slow down","retry_after":1,"bucket":"global"}"#,
        )
        .header("Retry-After", "1"),
        _ => Reply::ok("{}"),
    })
    .await;
    let client = client(&stub);
    client
        .server(ServerKey::new(KEY))
        .get_raw("/v2/server", &[])
        .await
        .unwrap();
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].at_ms - seen[0].at_ms >= 990,
        "retried {} ms after the 429, asked for 1000",
        seen[1].at_ms - seen[0].at_ms
    );
    assert_eq!(client.stats().rate_limited, 1);
}

#[tokio::test]
async fn commands_are_never_retried() {
    let stub = Stub::start(|seen| match seen.index {
        0 => Reply::new(500, r#"{"code":1001,"message":"roblox","commandId":"abc"}"#),
        1 => Reply::new(429, r#"{"code":4001,"retry_after":0.01}"#),
        _ => Reply::new(502, "bad gateway"),
    })
    .await;
    let client = client(&stub);
    let server = client.server(ServerKey::new(KEY));
    assert!(matches!(
        server.post_command("/v2/server/command", ":h hi").await,
        Err(ErlcError::RobloxCommunication(info)) if info.command_id.as_deref() == Some("abc")
    ));
    assert_eq!(stub.count(), 1, "exactly one POST after a 500");
    let second = ErlcClient::new(ClientConfig {
        command_bucket_default: (5, Duration::from_secs(1)),
        ..config(&stub)
    })
    .unwrap()
    .server(ServerKey::new(KEY));
    assert!(matches!(
        second.post_command("/v2/server/command", ":h hi").await,
        Err(ErlcError::RateLimited { .. })
    ));
    assert!(matches!(
        second.post_command("/v2/server/command", ":h hi").await,
        Err(ErlcError::Http { status: 502, .. })
    ));
    assert_eq!(stub.count(), 3, "one POST per call, whatever the failure");
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn network_failures_are_network_errors_without_the_key() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = ErlcClient::new(ClientConfig {
        retry: RetryPolicy::none(),
        ..ClientConfig::with_base_url(format!("http://127.0.0.1:{port}"))
    })
    .unwrap();
    let err = client
        .server(ServerKey::new(KEY))
        .get_raw("/v2/server", &[])
        .await
        .unwrap_err();
    match &err {
        ErlcError::Network { endpoint, detail } => {
            assert_eq!(endpoint, "GET /v2/server");
            assert!(!detail.is_empty());
        }
        other => panic!("expected a network error, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("SeCrEtPaRt123"));
    assert_eq!(client.stats().network_errors, 1);
}

/// Collects everything tracing writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn keys_never_appear_in_logs_errors_records_or_debug() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let command_bucket = format!("command-{GLOBAL}-{KEY}");
    let reset = now_ms() / 1000 + 30;
    let stub = Stub::start(
        move |seen| match (seen.method.as_str(), seen.path.as_str()) {
            ("POST", _) => Reply::ok(r#"{"message":"Success"}"#).rate(&command_bucket, 5, 4, reset),
            (_, "/v1/server") => Reply::new(
                403,
                format!(r#"{{"code":2002,"message":"key {KEY} is invalid"}}"#),
            ),
            (_, "/v1/server/players") => Reply::new(
                429,
                format!(r#"{{"code":4001,"retry_after":0.01,"bucket":"x-{KEY}"}}"#),
            ),
            (_, "/v1/server/queue") => Reply::new(502, format!("proxy saw {KEY} and {GLOBAL}")),
            _ => Reply::ok("{}").rate("public-app-get", 100, 99, reset),
        },
    )
    .await;
    let config = ClientConfig {
        global_key: Some(GlobalKey::new(GLOBAL)),
        retry: RetryPolicy::none(),
        ..config(&stub)
    };
    let mut shown = format!("{config:?}\n");
    let client = ErlcClient::new(config).unwrap();
    let server = client.server(ServerKey::new(KEY));
    server.get_raw("/v2/server", &[]).await.unwrap();
    server
        .post_command("/v2/server/command", ":h hi")
        .await
        .unwrap();
    for path in ["/v1/server", "/v1/server/players", "/v1/server/queue"] {
        let err = server.get_raw(path, &[]).await.unwrap_err();
        shown.push_str(&format!("{err}\n{err:?}\n{}\n", err.user_message()));
    }
    let offline = ErlcClient::new(ClientConfig {
        retry: RetryPolicy::none(),
        ..ClientConfig::with_base_url("http://127.0.0.1:9")
    })
    .unwrap();
    if let Err(err) = offline.server(ServerKey::new(KEY)).get_raw("/x", &[]).await {
        shown.push_str(&format!("{err:?}\n"));
    }
    shown.push_str(&format!(
        "{client:?}\n{server:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
        client.buckets(),
        client.recent_requests(),
        client.stats(),
        server.read_headroom()
    ));
    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    let everything = format!("{logs}\n{shown}");
    for secret in [KEY, "SeCrEtPaRt123", GLOBAL] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
    // The test would be meaningless if nothing had been logged or recorded.
    let fp = ServerKey::new(KEY).fingerprint();
    assert!(logs.contains("PRC request") && logs.contains(&fp), "{logs}");
    let global_fp = GlobalKey::new(GLOBAL).fingerprint();
    assert!(
        client
            .buckets()
            .iter()
            .any(|b| b.name == format!("command-{global_fp}-{fp}")),
        "{:?}",
        client.buckets()
    );
    assert_eq!(client.recent_requests().len(), 5);
}
