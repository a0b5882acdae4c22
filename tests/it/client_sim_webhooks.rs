//! The simulator's signed event webhooks, received by a tiny axum endpoint in the test that
//! uses the real client's `WebhookVerifier` and `decode_batch`: real batches verify and decode,
//! every deliberately broken delivery is refused with the matching `WebhookRejection`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use erlc_bot::clock::{Clock, ManualClock};
use erlc_bot::erlc::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use erlc_bot::erlc::{
    Team, WebhookBatch, WebhookEvent, WebhookEventData, WebhookRejection, WebhookVerifier,
    decode_batch,
};
use erlc_bot::sim::{PlayerSpec, SimHandle, WebhookSendOptions};
use serde_json::json;
use tokio::sync::mpsc;

use crate::support::START_MS;
use crate::support::client_sim::*;
use crate::support::wait::within;

type Verdict = Result<WebhookBatch, WebhookRejection>;

#[derive(Clone)]
struct Endpoint {
    verifier: WebhookVerifier,
    clock: Arc<ManualClock>,
    verdicts: mpsc::UnboundedSender<Verdict>,
}

/// What a bot's webhook route does: verify the raw body, then decode it; 401 on any refusal.
async fn receive(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verdict = endpoint
        .verifier
        .verify(
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
            &body,
            endpoint.clock.now_secs(),
        )
        .and_then(|_| decode_batch(&body));
    let status = if verdict.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let _ = endpoint.verdicts.send(verdict);
    status
}

struct Receiver {
    url: String,
    verdicts: mpsc::UnboundedReceiver<Verdict>,
}

impl Receiver {
    async fn start(verifier: WebhookVerifier, clock: &Arc<ManualClock>) -> Self {
        let (tx, verdicts) = mpsc::unbounded_channel();
        let endpoint = Endpoint {
            verifier,
            clock: clock.clone(),
            verdicts: tx,
        };
        let app = Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(endpoint);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, verdicts }
    }

    async fn verdict(&mut self) -> Verdict {
        within("a webhook delivery", self.verdicts.recv())
            .await
            .expect("the endpoint is running")
    }

    /// The next `n` events, whichever batches they came in.
    async fn events(&mut self, n: usize) -> Vec<WebhookEvent> {
        let mut events = Vec::new();
        while events.len() < n {
            let batch = self.verdict().await.expect("a valid delivery");
            assert!(batch.malformed.is_empty(), "{:?}", batch.malformed);
            events.extend(batch.events);
        }
        assert_eq!(events.len(), n, "no extra events: {events:?}");
        events
    }

    fn nothing_more(&mut self) {
        assert!(self.verdicts.try_recv().is_err(), "an unexpected delivery");
    }
}

async fn sim_and_receiver() -> (SimHandle, Arc<ManualClock>, Receiver) {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    let verifier = WebhookVerifier::from_spki_base64(&sim.webhook_public_key_spki_base64())
        .expect("the simulator publishes its key like PRC does");
    let receiver = Receiver::start(verifier, &clock).await;
    (sim, clock, receiver)
}

#[tokio::test]
async fn probe_custom_command_and_emergency_calls_verify_and_decode() {
    let (sim, clock, mut receiver) = sim_and_receiver().await;
    let game = sim.server(0).unwrap();
    let server_id = game.info().server_id;
    let owner = game.snapshot_json()["OwnerId"].as_u64().unwrap();

    within(
        "webhook URL accepted",
        game.set_webhook_url(Some(receiver.url.clone())),
    )
    .await
    .expect("the endpoint answers the probe with 2xx");
    let probe = receiver.verdict().await.expect("the probe verifies");
    assert_eq!(probe.server, server_id);
    assert_eq!(probe.events.len(), 1);
    assert_eq!(probe.events[0].kind, "WebhookProbe");
    assert_eq!(probe.events[0].data, WebhookEventData::Probe);
    assert_eq!(probe.events[0].origin_user_id(), Some(owner));

    let caller = game
        .add_player(PlayerSpec::named(CIVILIAN_NAME).with_id(5_873_310_294))
        .unwrap();
    let officer = game
        .add_player(PlayerSpec::named(POLICE_NAME).with_team("Police"))
        .unwrap();
    clock.advance_ms(7_000);
    game.player_chat(caller, "just chatting").unwrap();
    game.player_chat(caller, ";staff help me").unwrap();
    let number = game
        .start_emergency_call(caller, "Police", "car crash on the bridge")
        .unwrap();
    game.respond_emergency_call(number, officer).unwrap();
    game.end_emergency_call(number).unwrap();

    let events = receiver.events(3).await;
    let now = START_MS / 1000 + 7;
    assert!(events.iter().all(|e| e.timestamp == now));
    assert!(events.iter().all(|e| e.origin_user_id() == Some(caller)));
    assert_eq!(
        events[0].data,
        WebhookEventData::CustomCommand {
            command: "staff".into(),
            argument: "help me".into(),
        }
    );
    let (
        WebhookEventData::EmergencyCallStarted(started),
        WebhookEventData::EmergencyCallEnded(ended),
    ) = (&events[1].data, &events[2].data)
    else {
        panic!("expected a started and an ended call: {events:?}");
    };
    assert_eq!(started.call_number, Some(number as i64));
    assert_eq!(
        ended.call_number, started.call_number,
        "start and end match"
    );
    assert_eq!(started.team, Some(Team::Police));
    assert_eq!(started.caller, Some(caller));
    assert!(started.players.is_empty());
    assert_eq!(ended.players, vec![officer], "responders at the end");
    assert_eq!(
        started.description.as_deref(),
        Some("car crash on the bridge")
    );
    assert_eq!(started.started_at, Some(now));
    assert_eq!(started.position, Some([0.0, 0.0]));
    assert!(started.position_descriptor.is_some());
    receiver.nothing_more();
    sim.shutdown().await;
}

#[tokio::test]
async fn broken_deliveries_are_refused_with_the_matching_rejection() {
    let (sim, _clock, mut receiver) = sim_and_receiver().await;
    let body = json!({
        "server": "abc123",
        "events": [{"event": "CustomCommand", "origin": "5873310294", "timestamp": START_MS / 1000,
                    "data": {"command": "bolo", "argument": "red sedan"}}],
    })
    .to_string();
    let cases = [
        (WebhookSendOptions::default(), None),
        (
            WebhookSendOptions {
                skew_secs: -299,
                ..WebhookSendOptions::default()
            },
            None,
        ),
        (
            WebhookSendOptions {
                tamper_body: true,
                ..WebhookSendOptions::default()
            },
            Some(WebhookRejection::BadSignature),
        ),
        (
            WebhookSendOptions {
                wrong_key: true,
                ..WebhookSendOptions::default()
            },
            Some(WebhookRejection::BadSignature),
        ),
        (
            WebhookSendOptions {
                bad_hex: true,
                ..WebhookSendOptions::default()
            },
            Some(WebhookRejection::MalformedSignature),
        ),
        (
            WebhookSendOptions {
                skew_secs: -301,
                ..WebhookSendOptions::default()
            },
            Some(WebhookRejection::StaleTimestamp { skew_secs: 301 }),
        ),
        (
            WebhookSendOptions {
                skew_secs: 400,
                ..WebhookSendOptions::default()
            },
            Some(WebhookRejection::StaleTimestamp { skew_secs: -400 }),
        ),
        (
            WebhookSendOptions {
                omit_headers: true,
                ..WebhookSendOptions::default()
            },
            Some(WebhookRejection::MissingTimestamp),
        ),
    ];
    for (options, rejection) in cases {
        let statuses = within(
            "a raw delivery",
            sim.send_webhook_raw(&receiver.url, body.as_bytes(), options.clone()),
        )
        .await
        .unwrap();
        let verdict = receiver.verdict().await;
        match rejection {
            None => {
                assert_eq!(statuses, vec![200], "{options:?}");
                let batch = verdict.expect("accepted");
                assert_eq!(batch.server, "abc123");
                assert_eq!(
                    batch.events[0].data,
                    WebhookEventData::CustomCommand {
                        command: "bolo".into(),
                        argument: "red sedan".into(),
                    }
                );
            }
            Some(expected) => {
                assert_eq!(statuses, vec![401], "{options:?}");
                assert_eq!(verdict.unwrap_err(), expected, "{options:?}");
            }
        }
    }

    let twice = WebhookSendOptions {
        duplicate: true,
        ..WebhookSendOptions::default()
    };
    let statuses = sim
        .send_webhook_raw(&receiver.url, body.as_bytes(), twice)
        .await
        .unwrap();
    assert_eq!(
        statuses,
        vec![200, 200],
        "signatures alone do not stop replays"
    );
    let first = receiver.verdict().await.unwrap();
    assert_eq!(receiver.verdict().await.unwrap(), first);
    receiver.nothing_more();
    sim.shutdown().await;
}

/// PRC's own published key does not accept the simulator's signatures, and vice versa the
/// simulator's probe is refused by an endpoint that trusts only PRC, so the URL is not kept.
#[tokio::test]
async fn the_prc_default_key_refuses_simulator_signatures() {
    let clock = manual_clock();
    let sim = start_sim(sim_config(&clock)).await;
    let mut receiver = Receiver::start(WebhookVerifier::prc_default(), &clock).await;
    let game = sim.server(0).unwrap();
    let refused = within(
        "probe refused",
        game.set_webhook_url(Some(receiver.url.clone())),
    )
    .await;
    assert!(
        refused.is_err(),
        "the game keeps only URLs that accept its probe"
    );
    assert_eq!(game.webhook_url(), None);
    assert_eq!(
        receiver.verdict().await.unwrap_err(),
        WebhookRejection::BadSignature
    );
    sim.shutdown().await;
}
