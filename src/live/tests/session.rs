//! The session's state machine, driven through its channels: auth first, ACL, limits, RESUME,
//! presence and CALLs. Tokio's clock is paused, so timers fire as soon as nothing else runs.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Fixture, GUILD, Reader, calm_limits, fixture, ops, polled, text, token};
use crate::live::calls::NO_CLIENT_WRITES;
use crate::live::frame::{Frame, FrameType, encode};
use crate::live::outbound::Outbound;
use crate::live::session::{Inbound, Session, SessionEnd, SessionLimits};

const PLAYERS: &str = "7.main.players";

struct Client {
    tx: mpsc::Sender<Inbound>,
    out: Reader,
    task: JoinHandle<SessionEnd>,
}

impl Client {
    /// Connected, HELLO read.
    async fn connect(f: &Fixture) -> Self {
        let (session, outbound) = Session::start(f.shared.clone()).unwrap();
        let (tx, rx) = mpsc::channel(64);
        let task = tokio::spawn(session.run(rx));
        let mut out = Reader::new(outbound);
        let hello = out.frame().await;
        assert_eq!(hello.kind, FrameType::Hello);
        assert_eq!(hello.body["protocol"], "sodp");
        assert_eq!(hello.body["auth"], true);
        assert_eq!(hello.body["capabilities"]["resume"], true);
        Self { tx, out, task }
    }

    /// Connected and authenticated with `token`.
    async fn authed(f: &Fixture, token: &str) -> Self {
        let mut client = Self::connect(f).await;
        client
            .send(FrameType::Auth, 0, json!({ "token": token }))
            .await;
        let ok = client.out.frame().await;
        assert_eq!(ok.kind, FrameType::AuthOk, "{:?}", ok.body);
        client
    }

    async fn send(&self, kind: FrameType, stream: u32, body: Value) {
        let frame = Frame {
            kind,
            stream,
            seq: 1,
            body,
        };
        self.tx
            .send(Inbound::Binary(encode(&frame).into()))
            .await
            .unwrap();
    }

    async fn call(&self, id: &str, method: &str, args: Value) {
        let body = json!({ "call_id": id, "method": method, "args": args });
        self.send(FrameType::Call, 0, body).await;
    }

    /// The next frame must be ERROR `code`; returns its message.
    async fn error(&mut self, code: u64) -> String {
        let frame = self.out.frame().await;
        assert_eq!(frame.kind, FrameType::Error, "{:?}", frame.body);
        assert_eq!(frame.body["code"], code, "{:?}", frame.body);
        text(&frame, "message").to_owned()
    }

    /// Then a close, and the session ended for `why`.
    async fn closed(mut self, why: SessionEnd) {
        assert!(matches!(
            self.out.item().await,
            Some(Outbound::Close { .. })
        ));
        assert_eq!(self.task.await.unwrap(), why);
    }
}

#[tokio::test(start_paused = true)]
async fn nothing_but_heartbeat_before_auth() {
    let f = fixture(64, calm_limits());
    let mut client = Client::connect(&f).await;
    client.send(FrameType::Heartbeat, 0, Value::Null).await;
    let echo = client.out.frame().await;
    assert_eq!(
        (echo.kind, echo.body.clone()),
        (FrameType::Heartbeat, Value::Null)
    );
    client
        .send(FrameType::Watch, 10, json!({ "state": PLAYERS }))
        .await;
    client.error(401).await;
    client.closed(SessionEnd::Unauthorized).await;
    assert_eq!(f.hub.counts().auth_failures, 1);
}

#[tokio::test(start_paused = true)]
async fn a_bad_token_is_refused_and_closed() {
    let f = fixture(64, calm_limits());
    let mut client = Client::connect(&f).await;
    let forged = token(42, true, 60).replace('.', ".x");
    client
        .send(FrameType::Auth, 0, json!({ "token": forged }))
        .await;
    let message = client.error(401).await;
    assert!(!message.contains(&forged), "{message}");
    client.closed(SessionEnd::Unauthorized).await;

    let mut late = Client::connect(&f).await;
    late.send(FrameType::Auth, 0, json!({ "token": token(42, true, 0) }))
        .await;
    assert!(late.error(401).await.contains("expired"));
}

#[tokio::test(start_paused = true)]
async fn no_auth_in_time_closes() {
    let limits = SessionLimits {
        auth_timeout: Duration::from_secs(5),
        ..calm_limits()
    };
    let f = fixture(64, limits);
    let mut client = Client::connect(&f).await;
    client.error(401).await;
    client.closed(SessionEnd::Unauthorized).await;
}

#[tokio::test(start_paused = true)]
async fn the_token_expires_live() {
    let f = fixture(64, calm_limits());
    let mut client = Client::authed(&f, &token(42, true, 5)).await;
    let message = client.error(401).await;
    assert_eq!(message, "token expired");
    client.closed(SessionEnd::TokenExpired).await;
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_ping_closes() {
    let limits = SessionLimits {
        ping_interval: Duration::from_secs(1),
        ..calm_limits()
    };
    let f = fixture(64, limits);
    let mut client = Client::authed(&f, &token(42, true, 3600)).await;
    assert!(matches!(client.out.item().await, Some(Outbound::Ping)));
    client.tx.send(Inbound::Pong).await.unwrap();
    assert!(matches!(client.out.item().await, Some(Outbound::Ping)));
    client.closed(SessionEnd::PingTimeout).await;
}

#[tokio::test(start_paused = true)]
async fn denials_do_not_say_whether_a_key_exists() {
    let f = fixture(64, calm_limits());
    f.hub.apply_polled(polled(&[(10, "Ann", "Normal")]));
    let mut client = Client::authed(&f, &token(42, false, 3600)).await;
    let mut answers = Vec::new();
    for key in [PLAYERS, "7.nothing.players", "8.main.players", "not a key"] {
        client
            .send(FrameType::Watch, 10, json!({ "state": key }))
            .await;
        answers.push(client.error(403).await);
    }
    assert!(answers.iter().all(|a| a == "not allowed"), "{answers:?}");

    let mut admin = Client::authed(&f, &token(43, true, 3600)).await;
    admin
        .send(FrameType::Watch, 10, json!({ "state": "8.main.players" }))
        .await;
    admin.error(403).await;
    admin
        .send(
            FrameType::Watch,
            12,
            json!({ "state": PLAYERS, "params": {"a": 1} }),
        )
        .await;
    let init = admin.out.frame().await;
    assert_eq!((init.kind, init.stream), (FrameType::StateInit, 12));
    assert_eq!(init.body["params"], json!({"a": 1}));
    assert_eq!(text(&init, "state"), PLAYERS);
}

#[tokio::test(start_paused = true)]
async fn a_text_or_garbled_frame_gets_400_and_the_session_lives_on() {
    let f = fixture(64, calm_limits());
    let mut client = Client::authed(&f, &token(42, true, 3600)).await;
    client.tx.send(Inbound::Text).await.unwrap();
    client.error(400).await;
    client
        .tx
        .send(Inbound::Binary(vec![0x93, 1, 2].into()))
        .await
        .unwrap();
    client.error(400).await;
    client.send(FrameType::Heartbeat, 0, Value::Null).await;
    assert_eq!(client.out.frame().await.kind, FrameType::Heartbeat);
    client.tx.send(Inbound::TooLarge(2 << 20)).await.unwrap();
    client.error(413).await;
    client.closed(SessionEnd::TooLarge).await;
}

#[tokio::test(start_paused = true)]
async fn too_many_calls_or_watches_get_429_and_the_socket_stays() {
    let limits = SessionLimits {
        calls_per_sec: 2,
        watches_per_sec: 1,
        ..calm_limits()
    };
    let f = fixture(64, limits);
    let mut client = Client::authed(&f, &token(42, true, 3600)).await;
    for n in 0..3 {
        client.call(&format!("c{n}"), "state.set", json!({})).await;
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        let frame = client.out.frame().await;
        seen.push((frame.kind, frame.body.get("code").cloned()));
    }
    assert_eq!(
        seen.iter().filter(|(k, _)| *k == FrameType::Result).count(),
        2,
        "{seen:?}"
    );
    assert!(
        seen.contains(&(FrameType::Error, Some(json!(429)))),
        "{seen:?}"
    );
    client
        .send(FrameType::Watch, 10, json!({ "state": PLAYERS }))
        .await;
    assert_eq!(client.out.frame().await.kind, FrameType::StateInit);
    client
        .send(FrameType::Watch, 11, json!({ "state": PLAYERS }))
        .await;
    client.error(429).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    client.call("later", "nope", json!({})).await;
    assert_eq!(client.out.frame().await.body["code"], 404);
    assert_eq!(f.hub.counts().rate_limited, 2);
}

#[tokio::test(start_paused = true)]
async fn a_session_watches_a_bounded_number_of_keys() {
    let limits = SessionLimits {
        max_watched_keys: 2,
        ..calm_limits()
    };
    let f = fixture(64, limits);
    let mut client = Client::authed(&f, &token(42, true, 3600)).await;
    let keys = ["7.a.players", "7.b.players", "7.c.players"];
    client
        .send(FrameType::Watch, 10, json!({ "states": keys }))
        .await;
    for stream in [10, 11] {
        let init = client.out.frame().await;
        assert_eq!((init.kind, init.stream), (FrameType::StateInit, stream));
    }
    assert!(client.error(400).await.contains("at most 2"));
    client
        .send(FrameType::Unwatch, 0, json!({ "state": "7.a.players" }))
        .await;
    client
        .send(FrameType::Watch, 12, json!({ "state": "7.c.players" }))
        .await;
    let init = client.out.frame().await;
    assert_eq!(
        (init.kind, text(&init, "state")),
        (FrameType::StateInit, "7.c.players")
    );
}

#[tokio::test(start_paused = true)]
async fn resume_replays_newer_deltas_or_sends_only_the_state() {
    let f = fixture(64, calm_limits());
    f.hub.apply_polled(polled(&[]));
    let mut client = Client::authed(&f, &token(42, true, 3600)).await;
    client
        .send(FrameType::Watch, 10, json!({ "state": PLAYERS }))
        .await;
    let since = client.out.frame().await.body["version"].as_u64().unwrap();
    f.hub.apply_polled(polled(&[(1, "A", "Normal")]));
    f.hub
        .apply_polled(polled(&[(1, "A", "Normal"), (2, "B", "Normal")]));
    let fresh = Client::authed(&f, &token(43, true, 3600)).await;
    let mut fresh = fresh;
    fresh
        .send(
            FrameType::Resume,
            20,
            json!({ "state": PLAYERS, "since_version": since }),
        )
        .await;
    let first = fresh.out.frame().await;
    let second = fresh.out.frame().await;
    let live = fresh.out.frame().await;
    assert_eq!(
        (first.kind, second.kind),
        (FrameType::Delta, FrameType::Delta)
    );
    assert_eq!(ops(&first)[0].path, "/1");
    assert_eq!(ops(&second)[0].path, "/2");
    assert_eq!((live.kind, live.stream), (FrameType::StateInit, 20));
    assert_eq!(live.body["value"].as_object().unwrap().len(), 2);

    // Push the first deltas out of the ring: only the state comes back.
    for n in 0..crate::live::states::RING_CAPACITY as u64 {
        let name = format!("p{n}");
        f.hub
            .apply_polled(polled(&[(n + 100, name.as_str(), "Normal")]));
    }
    let mut late = Client::authed(&f, &token(44, true, 3600)).await;
    late.send(
        FrameType::Resume,
        10,
        json!({ "state": PLAYERS, "since_version": since }),
    )
    .await;
    assert_eq!(late.out.frame().await.kind, FrameType::StateInit);
    assert!(late.out.is_idle());
}

#[tokio::test(start_paused = true)]
async fn clients_cannot_write_state_and_presence_is_their_own_path_only() {
    let f = fixture(64, calm_limits());
    let mut client = Client::authed(&f, &token(42, true, 3600)).await;
    for method in ["state.set", "state.patch", "state.set_in", "state.delete"] {
        client
            .call(method, method, json!({ "state": PLAYERS, "value": 1 }))
            .await;
        let result = client.out.frame().await;
        assert_eq!(result.kind, FrameType::Result);
        assert_eq!(result.body["call_id"], method);
        assert_eq!(result.body["success"], false);
        assert_eq!(result.body["code"], 403);
        assert_eq!(result.body["data"], NO_CLIENT_WRITES);
    }
    let viewers = format!("{GUILD}.main.viewers");
    for (path, key) in [("/43", viewers.as_str()), ("/42", PLAYERS)] {
        let args = json!({ "state": key, "path": path, "value": {"name": "x"} });
        client.call("p", "state.presence", args).await;
        let refused = client.out.frame().await;
        assert_eq!(
            (
                refused.body["success"].clone(),
                refused.body["code"].clone()
            ),
            (json!(false), json!(403))
        );
    }
    client
        .call(
            "own",
            "state.presence",
            json!({ "state": viewers, "path": "/42", "value": {"name": "me"} }),
        )
        .await;
    let ok = client.out.frame().await;
    assert_eq!(ok.body["success"], true, "{:?}", ok.body);

    let mut watcher = Client::authed(&f, &token(43, true, 3600)).await;
    watcher
        .send(FrameType::Watch, 10, json!({ "state": viewers }))
        .await;
    let init = watcher.out.frame().await;
    assert_eq!(init.body["value"], json!({"42": {"name": "me"}}));
    drop(client.tx);
    assert_eq!(client.task.await.unwrap(), SessionEnd::Closed);
    let gone = watcher.out.frame().await;
    assert_eq!(ops(&gone)[0].path, "/42");
}
