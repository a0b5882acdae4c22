//! The seeded activity generator and the signed event webhooks of the simulator.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use erlc_bot::sim::{PlayerSpec, SimConfig, SimError, WebhookSendOptions};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::START_MS;
use crate::support::sim::{config, start, start_with};

async fn ticked_snapshots(seed: u64, ticks: usize) -> Vec<Value> {
    let (base, clock) = config();
    let sim = start_with(
        SimConfig {
            seed,
            servers: 2,
            initial_players: 4,
            ..base
        },
        clock,
    )
    .await;
    for _ in 0..ticks {
        sim.handle.tick_activity();
    }
    let snapshots = (0..2)
        .map(|i| sim.handle.server(i).unwrap().snapshot_json())
        .collect();
    sim.handle.shutdown().await;
    snapshots
}

#[tokio::test]
async fn activity_is_deterministic_under_a_seed_and_busy() {
    let a = ticked_snapshots(7, 100).await;
    assert_eq!(a, ticked_snapshots(7, 100).await);
    assert_ne!(a, ticked_snapshots(8, 100).await);
    assert_ne!(a[0], a[1], "servers differ");
    let s = &a[0];
    for section in ["JoinLogs", "KillLogs", "CommandLogs", "ModCalls"] {
        assert!(
            !s[section].as_array().unwrap().is_empty(),
            "{section} has entries"
        );
    }
    let joins = s["JoinLogs"].as_array().unwrap();
    assert!(joins.iter().any(|j| j["Join"] == false), "someone left");
    let answered = s["ModCalls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["Moderator"].is_string());
    assert!(answered, "some mod call was answered");
    for p in s["Players"].as_array().unwrap() {
        let id: u64 = p["Player"]
            .as_str()
            .unwrap()
            .rsplit_once(':')
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert!(id > u64::from(u32::MAX));
    }
}

#[tokio::test]
async fn control_api_ticks_activity() {
    let sim = start().await;
    let before = sim.handle.server(0).unwrap().snapshot_json();
    let r = sim
        .client
        .post(sim.url("/_sim/activity/tick"))
        .json(&json!({"count": 20}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(sim.handle.server(0).unwrap().snapshot_json(), before);
    sim.handle.shutdown().await;
}

struct Received {
    headers: HeaderMap,
    body: Bytes,
}

struct Receiver {
    url: String,
    rx: mpsc::UnboundedReceiver<Received>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a webhook arrives in time")
            .expect("receiver open")
    }
}

async fn receiver() -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let status = Arc::new(AtomicU16::new(200));
    let state = (tx, status.clone());
    type St = (mpsc::UnboundedSender<Received>, Arc<AtomicU16>);
    let app = Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |State((tx, status)): State<St>, headers: HeaderMap, body: Bytes| async move {
                    let _ = tx.send(Received { headers, body });
                    StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, rx, status }
}

fn verifying_key(spki_base64: &str) -> VerifyingKey {
    let der = base64::engine::general_purpose::STANDARD
        .decode(spki_base64)
        .unwrap();
    assert_eq!(hex::encode(&der[..12]), "302a300506032b6570032100");
    VerifyingKey::from_bytes(der[12..].try_into().unwrap()).unwrap()
}

fn header<'a>(r: &'a Received, name: &str) -> Option<&'a str> {
    r.headers.get(name).map(|v| v.to_str().unwrap())
}

fn verifies(key: &VerifyingKey, r: &Received) -> bool {
    let (Some(ts), Some(sig)) = (
        header(r, "x-signature-timestamp"),
        header(r, "x-signature-ed25519"),
    ) else {
        return false;
    };
    let Ok(bytes) = hex::decode(sig) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(&bytes) else {
        return false;
    };
    let mut message = ts.as_bytes().to_vec();
    message.extend_from_slice(&r.body);
    key.verify_strict(&message, &signature).is_ok()
}

#[tokio::test]
async fn webhooks_are_signed_batches_of_prc_events() {
    let sim = start().await;
    let key = verifying_key(&sim.handle.webhook_public_key_spki_base64());
    let server = sim.handle.server(0).unwrap();
    let info = server.info();
    let mut hook = receiver().await;

    hook.status.store(401, Ordering::SeqCst);
    let rejected = server.set_webhook_url(Some(hook.url.clone())).await;
    assert!(matches!(
        rejected,
        Err(SimError::WebhookRejected { status: 401, .. })
    ));
    assert_eq!(server.webhook_url(), None);
    hook.next().await;

    hook.status.store(200, Ordering::SeqCst);
    server
        .set_webhook_url(Some(hook.url.clone()))
        .await
        .unwrap();
    let probe = hook.next().await;
    assert!(verifies(&key, &probe));
    assert_eq!(
        header(&probe, "x-signature-timestamp"),
        Some((START_MS / 1000).to_string().as_str())
    );
    let sig = header(&probe, "x-signature-ed25519").unwrap();
    assert_eq!(sig.len(), 128);
    assert_eq!(sig, sig.to_lowercase());
    let body: Value = serde_json::from_slice(&probe.body).unwrap();
    assert_eq!(body["server"], info.server_id);
    assert_eq!(body["events"][0]["event"], "WebhookProbe");
    assert_eq!(body["events"][0]["data"], json!({}));

    let player = server.add_player(PlayerSpec::named("Avery_Cole")).unwrap();
    server.player_chat(player, "hello everyone").unwrap();
    server.player_chat(player, ";bolo red sedan north").unwrap();
    let chat = hook.next().await;
    assert!(verifies(&key, &chat));
    let body: Value = serde_json::from_slice(&chat.body).unwrap();
    let event = &body["events"][0];
    assert_eq!(event["event"], "CustomCommand");
    assert_eq!(event["origin"], player.to_string());
    assert_eq!(
        event["data"],
        json!({"command": "bolo", "argument": "red sedan north"})
    );

    let number = server
        .start_emergency_call(player, "Police", "shots fired")
        .unwrap();
    server.end_emergency_call(number).unwrap();
    let mut events = Vec::new();
    while events.len() < 2 {
        let delivery = hook.next().await;
        assert!(verifies(&key, &delivery));
        let body: Value = serde_json::from_slice(&delivery.body).unwrap();
        events.extend(body["events"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(events[0]["event"], "EmergencyCallStarted");
    assert_eq!(events[1]["event"], "EmergencyCallEnded");
    let data = &events[0]["data"];
    assert_eq!(data["callNumber"], number);
    assert_eq!(data["caller"], player);
    assert_eq!(data["description"], "shots fired");
    assert!(data["startedAt"].is_i64() && data["positionDescriptor"].is_string());

    server.set_webhook_url(None).await.unwrap();
    assert_eq!(server.webhook_url(), None);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn raw_webhook_knobs_break_deliveries_on_purpose() {
    let sim = start().await;
    let key = verifying_key(&sim.handle.webhook_public_key_spki_base64());
    let mut hook = receiver().await;
    let body = br#"{"server":"x","events":[]}"#;
    let url = hook.url.clone();
    let send = |options: WebhookSendOptions| sim.handle.send_webhook_raw(&url, body, options);

    assert_eq!(
        send(WebhookSendOptions::default()).await.unwrap(),
        vec![200]
    );
    assert!(verifies(&key, &hook.next().await));

    send(WebhookSendOptions {
        tamper_body: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let tampered = hook.next().await;
    assert_ne!(&tampered.body[..], &body[..]);
    assert!(!verifies(&key, &tampered));

    send(WebhookSendOptions {
        wrong_key: true,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(!verifies(&key, &hook.next().await));

    send(WebhookSendOptions {
        bad_hex: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let bad = hook.next().await;
    assert!(hex::decode(header(&bad, "x-signature-ed25519").unwrap()).is_err());

    send(WebhookSendOptions {
        omit_headers: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let bare = hook.next().await;
    assert!(
        header(&bare, "x-signature-timestamp").is_none()
            && header(&bare, "x-signature-ed25519").is_none()
    );

    send(WebhookSendOptions {
        skew_secs: -600,
        ..Default::default()
    })
    .await
    .unwrap();
    let old = hook.next().await;
    assert!(verifies(&key, &old));
    assert_eq!(
        header(&old, "x-signature-timestamp").unwrap(),
        (START_MS / 1000 - 600).to_string()
    );

    assert_eq!(
        send(WebhookSendOptions {
            duplicate: true,
            ..Default::default()
        })
        .await
        .unwrap(),
        vec![200, 200]
    );
    let first = hook.next().await;
    let second = hook.next().await;
    assert_eq!(first.body, second.body);
    assert_eq!(
        first.headers.get("x-signature-ed25519"),
        second.headers.get("x-signature-ed25519")
    );
    sim.handle.shutdown().await;
}
