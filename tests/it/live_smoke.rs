//! Smoke test of the live state stream through the real binary: `/dashboard token` mints a
//! token privately; `/live` refuses a browser from another site, says HELLO to a program,
//! takes the token (AUTH_OK names the member) and serves the tracked server's players key.
//! Frames are written and read here with rmp-serde directly, not with the bot's codec.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::bot_process::BotEnv;
use crate::support::e2e::{World, embed_text};
use crate::support::fake_discord::options::Opt;
use crate::support::fake_discord::state::ids;
use crate::support::wait::WAIT;

const SECRET: &str = "live-smoke-secret-0123456789abcdef";
const PUBLIC_URL: &str = "https://bot.example.test";
const CHANNEL: u64 = 900_000_000_000_000_101;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn frame(kind: u8, stream: u32, body: Value) -> Message {
    let bytes = rmp_serde::to_vec(&(kind, stream, 1u64, body)).expect("encode a frame");
    Message::Binary(bytes.into())
}

/// The next binary frame as (type, stream, body).
async fn next(socket: &mut Socket) -> (u8, u32, Value) {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a WebSocket message");
        if let Message::Binary(bytes) = message {
            let (kind, stream, _seq, body): (u8, u32, u64, Value) =
                rmp_serde::from_slice(&bytes).expect("a 4-element msgpack frame");
            return (kind, stream, body);
        }
    }
}

/// The JWT in `/dashboard token`'s reply (three base64url parts).
fn token_in(text: &str) -> String {
    text.split_whitespace()
        .find(|word| {
            word.split('.').count() == 3
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .unwrap_or_else(|| panic!("no token in:\n{text}"))
        .to_owned()
}

#[tokio::test]
async fn dashboard_token_then_hello_auth_and_a_players_key() {
    let world = World::start(2).await;
    world.seed_server_and_feed("main", CHANNEL, &["main/server/*"]);
    let mut env: BotEnv = world.env();
    env.extra.push(("LIVE_JWT_SECRET".into(), SECRET.into()));
    env.extra.push(("PUBLIC_URL".into(), PUBLIC_URL.into()));
    let bot = world.start_bot_with(&env).await;
    let url = bot.http_base(WAIT).await.replace("http://", "ws://") + "/live";

    let token = Opt::sub("token", vec![]);
    let reply = world.slash_as(ids::OWNER, "dashboard", vec![token]).await;
    assert!(reply.is_ephemeral(), "the token is shown privately");
    let text = embed_text(&reply);
    assert!(text.contains("wss://bot.example.test/live"), "{text}");
    let jwt = token_in(&text);

    let mut foreign = url.as_str().into_client_request().unwrap();
    foreign
        .headers_mut()
        .insert("Origin", "https://elsewhere.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(foreign).await;
    assert!(refused.is_err(), "a page from another site is refused");

    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("a program (no Origin) connects");
    let (kind, _, hello) = next(&mut socket).await;
    assert_eq!(kind, 0x01);
    assert_eq!(
        (hello["protocol"].clone(), hello["auth"].clone()),
        (json!("sodp"), json!(true))
    );

    socket
        .send(frame(0x0B, 0, json!({ "token": jwt })))
        .await
        .unwrap();
    let (kind, _, ok) = next(&mut socket).await;
    assert_eq!(kind, 0x0C, "{ok}");
    assert_eq!(ok["sub"], ids::OWNER.to_string());

    world.wait_for_polls(1).await;
    let key = format!("{}.main.players", world.fake.guild_id());
    socket
        .send(frame(0x02, 10, json!({ "state": key })))
        .await
        .unwrap();
    // The first poll may land just after the WATCH: then a root ADD follows the empty init.
    let mut players = Value::Null;
    while players.as_object().is_none_or(|p| p.len() < 2) {
        let (kind, stream, body) = next(&mut socket).await;
        assert_eq!(
            (stream, body["state"].as_str()),
            (10, Some(key.as_str())),
            "{body}"
        );
        players = match kind {
            0x03 => body["value"].clone(),
            0x04 if body["ops"][0]["path"] == "/" => body["ops"][0]["value"].clone(),
            _ => players,
        };
    }
    assert!(
        players
            .as_object()
            .unwrap()
            .values()
            .all(|p| p["name"].is_string())
    );
}

#[tokio::test]
async fn without_a_secret_there_is_no_token_and_no_stream() {
    let world = World::start(1).await;
    let bot = world.start_bot().await;
    bot.wait_for_log("live state off: LIVE_JWT_SECRET is not set", WAIT)
        .await;
    let url = bot.http_base(WAIT).await.replace("http://", "ws://") + "/live";
    let token = Opt::sub("token", vec![]);
    let reply = world.slash_as(ids::OWNER, "dashboard", vec![token]).await;
    assert!(reply.is_ephemeral());
    assert!(
        embed_text(&reply).contains("LIVE_JWT_SECRET"),
        "{}",
        embed_text(&reply)
    );
    assert!(
        tokio_tungstenite::connect_async(url.as_str())
            .await
            .is_err()
    );
}
