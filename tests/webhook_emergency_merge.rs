//! A 911 call reported both by webhook and by polling is stored once, with the same start
//! time and card identity, whichever arrives first: both sides use the shared dedupe key.

mod webhook_common;

use erlc_bot::erlc::models::{EmergencyCall, Include};
use erlc_bot::erlc::{ClientConfig, ErlcClient, ServerHandle, ServerKey};
use erlc_bot::events::catalog::{
    CallPhase, EmergencyCallInfo, EventPayload, PlayerInfo, emergency_dedupe_key,
};
use erlc_bot::events::{EventType, NewEvent};
use erlc_bot::feeds::render_event;
use erlc_bot::sim::{PlayerSpec, WebhookSendOptions};
use serde_json::json;
use webhook_common::{Bot, GUILD, LABEL, wait_for};

fn handle(bot: &Bot) -> ServerHandle {
    let client = ErlcClient::new(ClientConfig {
        base_url: bot.sim.base_url(),
        clock: bot.clock.clone(),
        ..ClientConfig::default()
    })
    .unwrap();
    client.server(ServerKey::new(bot.server.info().key))
}

async fn polled_calls(bot: &Bot) -> Vec<EmergencyCall> {
    handle(bot)
        .snapshot(Include::none().emergency_calls())
        .await
        .unwrap()
        .emergency_calls
        .unwrap_or_default()
}

/// What the tracker stores for a call it sees in `EmergencyCalls`.
fn polled_event(call: &EmergencyCall, phase: CallPhase, time: i64) -> NewEvent {
    let info = EmergencyCallInfo {
        call_number: call.call_number,
        team: call.team.as_str().to_owned(),
        caller: call.caller.map(|id| PlayerInfo {
            name: format!("polled {id}"),
            id: Some(id),
            ..PlayerInfo::default()
        }),
        responders: Vec::new(),
        description: call.description.clone(),
        location: call.position_descriptor.clone(),
        position: Some(call.position),
        started_at: call.started_at,
    };
    let payload = match phase {
        CallPhase::Started => EventPayload::EmergencyStarted { call: info },
        CallPhase::Ended => EventPayload::EmergencyEnded { call: info },
    };
    let key = emergency_dedupe_key(call.call_number, call.started_at, phase);
    payload.into_new_event(LABEL, time, Some(key)).unwrap()
}

fn event_type(kind: &str) -> EventType {
    EventType::parse(&format!("{LABEL}/{kind}")).unwrap()
}

#[tokio::test]
async fn webhook_first_then_poll_gives_one_started_and_one_ended_event() {
    let bot = Bot::start().await;
    bot.register_webhook().await;
    let caller = bot
        .server
        .add_player(PlayerSpec::named("Caller_911").with_id(5_000_000_010))
        .unwrap();
    let number = bot
        .server
        .start_emergency_call(caller, "Police", "shots fired")
        .unwrap();
    wait_for("the webhook 911 call", || async {
        bot.events_of("emergency/started") == 1
    })
    .await;

    let calls = polled_calls(&bot).await;
    assert_eq!(calls.len(), 1);
    let polled = &calls[0];
    assert_eq!(polled.call_number as u64, number);
    let again = bot
        .store
        .events()
        .append(
            GUILD,
            vec![polled_event(polled, CallPhase::Started, polled.started_at)],
        )
        .unwrap();
    assert!(again.is_empty(), "the polled copy is dropped");
    assert_eq!(bot.events_of("emergency/started"), 1);

    let stored = bot
        .store
        .events()
        .latest(GUILD, &event_type("emergency/started"))
        .unwrap()
        .unwrap();
    assert_eq!(stored.source_time, polled.started_at);
    let EventPayload::EmergencyStarted { call } = EventPayload::from_json(&stored.payload).unwrap()
    else {
        panic!("not a started call");
    };
    assert_eq!(call.started_at, polled.started_at);
    assert_eq!(
        call.caller.map(|c| c.name),
        Some("Caller_911".to_owned()),
        "named from the live player list"
    );
    let subject = render_event(&stored).live.unwrap().subject;
    assert_eq!(
        subject,
        format!("emergency:{}-{}", polled.call_number, polled.started_at),
        "the feed card identity is the one polling would give"
    );

    bot.server.end_emergency_call(number).unwrap();
    wait_for("the webhook end of the call", || async {
        bot.events_of("emergency/ended") == 1
    })
    .await;
    let again = bot
        .store
        .events()
        .append(
            GUILD,
            vec![polled_event(
                polled,
                CallPhase::Ended,
                polled.started_at + 60,
            )],
        )
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(bot.events_of("emergency/ended"), 1);
    bot.shutdown().await;
}

#[tokio::test]
async fn poll_first_then_webhook_gives_one_event() {
    let bot = Bot::start().await;
    let caller = bot
        .server
        .add_player(PlayerSpec::named("Caller_Two").with_id(5_000_000_011))
        .unwrap();
    // No webhook URL yet: the call is only seen by polling.
    bot.server
        .start_emergency_call(caller, "Fire", "kitchen fire")
        .unwrap();
    let polled = polled_calls(&bot).await.remove(0);
    let stored = bot
        .store
        .events()
        .append(
            GUILD,
            vec![polled_event(&polled, CallPhase::Started, polled.started_at)],
        )
        .unwrap();
    assert_eq!(stored.len(), 1);

    // The webhook arrives late, in a batch with another, new call; once that one is stored
    // the whole batch has been handled.
    let event = |number: i64| {
        json!({"event": "EmergencyCallStarted", "origin": caller.to_string(),
               "timestamp": polled.started_at,
               "data": {"team": "Fire", "caller": caller, "players": [], "position": polled.position,
                        "startedAt": polled.started_at, "callNumber": number,
                        "description": "kitchen fire"}})
    };
    let body = json!({"server": "x", "events": [event(polled.call_number), event(999)]});
    let statuses = bot
        .sim
        .send_webhook_raw(
            &bot.webhook_url(),
            body.to_string().as_bytes(),
            WebhookSendOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(statuses, [200]);
    wait_for("the new call from the same batch", || async {
        bot.events_of("emergency/started") == 2
    })
    .await;
    assert_eq!(
        bot.state.counters.stored_events(),
        1,
        "only call 999 was new"
    );
    bot.shutdown().await;
}
