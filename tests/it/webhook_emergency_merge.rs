//! A 911 call reported both by webhook and by the tracker's polling is stored once, with the
//! same start time and card identity, whichever arrives first: both use the shared key.

use std::time::Duration;

use erlc_bot::erlc::models::Include;
use erlc_bot::erlc::{ClientConfig, ErlcClient, ServerKey};
use erlc_bot::events::EventType;
use erlc_bot::events::catalog::EventPayload;
use erlc_bot::feeds::render_event;
use erlc_bot::http::HttpState;
use erlc_bot::sim::{PlayerSpec, WebhookSendOptions};
use erlc_bot::tracker::{TrackedServer, Tracker, TrackerConfig};
use serde_json::json;

use crate::support::stored_of_type;
use crate::support::wait::wait_for_async;
use crate::support::webhook::{Bot, GUILD, LABEL};

/// A tracker polling the bot's server (first poll is its silent baseline).
async fn tracker(bot: &Bot) -> Tracker {
    let client = ErlcClient::new(ClientConfig {
        base_url: bot.sim.base_url(),
        clock: bot.clock.clone(),
        ..ClientConfig::default()
    })
    .unwrap();
    let tracker = Tracker::new(
        bot.store.clone(),
        TrackerConfig {
            seed: Some(3),
            ..TrackerConfig::default()
        },
    );
    tracker
        .add_server(TrackedServer {
            guild: GUILD,
            label: LABEL.into(),
            handle: client.server(ServerKey::new(bot.server.info().key)),
            include: Include::all(),
            want_bans: false,
        })
        .unwrap();
    let baseline = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert!(baseline.events.is_empty());
    tracker
}

fn event_type(kind: &str) -> EventType {
    EventType::parse(&format!("{LABEL}/{kind}")).unwrap()
}

#[tokio::test]
async fn webhook_first_then_poll_gives_one_started_and_one_ended_event() {
    let bot = Bot::start().await;
    let tracker = tracker(&bot).await;
    bot.register_webhook().await;
    let caller = bot
        .server
        .add_player(PlayerSpec::named("Caller_911").with_id(5_000_000_010))
        .unwrap();
    let number = bot
        .server
        .start_emergency_call(caller, "Police", "shots fired")
        .unwrap();
    wait_for_async("the webhook 911 call", || async {
        bot.events_of("emergency/started") == 1
    })
    .await;
    let webhook_event = stored_of_type(&bot.store, GUILD, &event_type("emergency/started"))
        .into_iter()
        .next()
        .expect("a stored 911 call");

    bot.clock.advance_ms(15_000);
    let report = tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert!(
        !report
            .events
            .iter()
            .any(|e| e.event_type == event_type("emergency/started")),
        "the tracker's copy was dropped: {:?}",
        report.events
    );
    assert_eq!(bot.events_of("emergency/started"), 1);

    let EventPayload::EmergencyStarted { call } =
        EventPayload::from_json(&webhook_event.payload).unwrap()
    else {
        panic!("not a started call");
    };
    assert_eq!(call.call_number as u64, number);
    assert_eq!(webhook_event.source_time, call.started_at);
    assert_eq!(
        call.caller.map(|c| c.name),
        Some("Caller_911".to_owned()),
        "named from the live player list"
    );
    let subject = render_event(&webhook_event).live.unwrap().subject;
    assert_eq!(subject, format!("emergency:{number}-{}", call.started_at));

    bot.server.end_emergency_call(number).unwrap();
    wait_for_async("the webhook end of the call", || async {
        bot.events_of("emergency/ended") == 1
    })
    .await;
    bot.clock.advance_ms(15_000);
    tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert_eq!(bot.events_of("emergency/ended"), 1);
    bot.shutdown().await;
}

#[tokio::test]
async fn poll_first_then_webhook_gives_one_event() {
    let bot = Bot::start().await;
    let tracker = tracker(&bot).await;
    let caller = bot
        .server
        .add_player(PlayerSpec::named("Caller_Two").with_id(5_000_000_011))
        .unwrap();
    // No webhook URL yet: the call is only seen by polling.
    let number = bot
        .server
        .start_emergency_call(caller, "Fire", "kitchen fire")
        .unwrap();
    bot.clock.advance_ms(15_000);
    tracker.poll_once(GUILD, LABEL).await.unwrap();
    assert_eq!(bot.events_of("emergency/started"), 1);
    let polled = stored_of_type(&bot.store, GUILD, &event_type("emergency/started"))
        .into_iter()
        .next()
        .expect("a stored 911 call");
    let Some(EventPayload::EmergencyStarted { call }) = EventPayload::from_json(&polled.payload)
    else {
        panic!("not a started call");
    };

    // The webhook arrives late, in a batch with another, new call; once that one is stored
    // the whole batch has been handled.
    let event = |number: i64| {
        json!({"event": "EmergencyCallStarted", "origin": caller.to_string(),
               "timestamp": call.started_at,
               "data": {"team": "Fire", "caller": caller, "players": [], "position": call.position,
                        "startedAt": call.started_at, "callNumber": number,
                        "description": "kitchen fire"}})
    };
    let body = json!({"server": "x", "events": [event(number as i64), event(999)]});
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
    wait_for_async("the new call from the same batch", || async {
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

#[tokio::test]
async fn metrics_and_health_include_the_tracker() {
    let bot = Bot::start().await;
    let tracker = tracker(&bot).await;
    let state: HttpState = bot
        .state
        .clone()
        .with_tracker(tracker.clone(), Duration::from_secs(15));
    let listener = erlc_bot::http::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(erlc_bot::http::serve(
        state,
        listener,
        std::future::pending(),
    ));
    let get = |path: &'static str| {
        let url = format!("{base}{path}");
        let client = bot.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let metrics = get("/metrics").await;
    assert!(
        metrics.contains("# TYPE erlc_bot_polls_total counter\nerlc_bot_polls_total 1\n"),
        "{metrics}"
    );
    let health: serde_json::Value = serde_json::from_str(&get("/healthz").await).unwrap();
    assert_eq!(
        (
            health["status"].as_str(),
            health["last_poll_age_secs"].as_i64()
        ),
        (Some("ok"), Some(0))
    );

    bot.clock.advance_ms(10 * 60 * 1000);
    let health: serde_json::Value = serde_json::from_str(&get("/healthz").await).unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["last_poll_age_secs"], 600);
    bot.shutdown().await;
}
