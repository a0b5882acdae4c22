//! The webhook endpoint as PRC meets it: the simulator signs and posts batches to the running
//! HTTP server; valid ones are accepted, broken ones refused with the right status and
//! counted by reason, repeats acknowledged once, oversized bodies and unknown tokens refused.

use erlc_bot::sim::WebhookSendOptions;
use serde_json::json;

use crate::support::START_MS;
use crate::support::wait::{wait_for, wait_for_async};
use crate::support::webhook::Bot;

fn emergency_batch(call_number: i64) -> Vec<u8> {
    let started = START_MS / 1000;
    json!({"server": "abc", "events": [{
        "event": "EmergencyCallStarted", "origin": "5873310294", "timestamp": started,
        "data": {"team": "Police", "caller": 5873310294u64, "players": [], "position": [1, 2],
                 "startedAt": started, "callNumber": call_number, "description": "crash"}
    }]})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn probe_and_valid_batches_are_accepted_and_stored() {
    let bot = Bot::start().await;
    bot.register_webhook().await;
    assert_eq!(bot.state.counters.accepted(), 1, "the probe");
    let statuses = bot
        .sim
        .send_webhook_raw(
            &bot.webhook_url(),
            &emergency_batch(7),
            WebhookSendOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(statuses, [200]);
    wait_for_async("the 911 call to be stored", || async {
        bot.events_of("emergency/started") == 1
    })
    .await;
    // Stored first, then the pipeline is woken: the event can be seen before the wake.
    wait_for("the pipeline to be woken", || *bot.wake.borrow() >= 1).await;
    assert!(bot.state.counters.rejected().is_empty());
    bot.shutdown().await;
}

#[tokio::test]
async fn broken_deliveries_are_refused_with_the_right_status() {
    let bot = Bot::start().await;
    let url = bot.webhook_url();
    let body = emergency_batch(8);
    let cases = [
        (
            WebhookSendOptions {
                tamper_body: true,
                ..Default::default()
            },
            401,
        ),
        (
            WebhookSendOptions {
                wrong_key: true,
                ..Default::default()
            },
            401,
        ),
        (
            WebhookSendOptions {
                bad_hex: true,
                ..Default::default()
            },
            401,
        ),
        (
            WebhookSendOptions {
                skew_secs: -3600,
                ..Default::default()
            },
            401,
        ),
        (
            WebhookSendOptions {
                skew_secs: 3600,
                ..Default::default()
            },
            401,
        ),
        (
            WebhookSendOptions {
                omit_headers: true,
                ..Default::default()
            },
            401,
        ),
    ];
    for (options, status) in cases {
        let got = bot
            .sim
            .send_webhook_raw(&url, &body, options.clone())
            .await
            .unwrap();
        assert_eq!(got, [status], "{options:?}");
    }
    let rejected = bot.state.counters.rejected();
    assert_eq!(rejected.get("bad_signature"), Some(&2), "{rejected:?}");
    assert_eq!(rejected.get("malformed_signature"), Some(&1));
    assert_eq!(rejected.get("stale_timestamp"), Some(&2));
    assert_eq!(rejected.get("missing_timestamp"), Some(&1));

    let unknown = format!("{}/prc/webhook/not-a-token", bot.base);
    let got = bot
        .sim
        .send_webhook_raw(&unknown, &body, WebhookSendOptions::default())
        .await
        .unwrap();
    assert_eq!(got, [404]);

    let huge = vec![b' '; 1024 * 1024];
    let response = bot
        .client
        .post(&url)
        .header("X-Signature-Timestamp", "1")
        .header("X-Signature-Ed25519", "00")
        .body(huge)
        .send()
        .await
        .expect("the server answers instead of dropping the connection");
    assert_eq!(response.status(), 413);

    let not_json = b"this is not json";
    let got = bot
        .sim
        .send_webhook_raw(&url, not_json, WebhookSendOptions::default())
        .await
        .unwrap();
    assert_eq!(got, [400], "signed but not a batch");

    let rejected = bot.state.counters.rejected();
    assert_eq!(rejected.get("unknown_token"), Some(&1));
    assert_eq!(rejected.get("body_too_large"), Some(&1));
    assert_eq!(rejected.get("malformed_body"), Some(&1));
    assert_eq!(bot.state.counters.accepted(), 0);
    assert_eq!(
        bot.events_of("emergency/started"),
        0,
        "nothing refused was stored"
    );

    let (status, metrics) = bot.get_text("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("# TYPE erlc_bot_webhook_rejected_total counter"));
    assert!(metrics.contains("erlc_bot_webhook_rejected_total{reason=\"bad_signature\"} 2"));
    assert!(metrics.contains("erlc_bot_webhook_rejected_total{reason=\"body_too_large\"} 1"));
    assert!(metrics.contains("erlc_bot_outbox_depth 0"));
    assert!(!metrics.contains(&bot.token), "the token never appears");
    bot.shutdown().await;
}

#[tokio::test]
async fn a_replayed_delivery_is_acknowledged_and_ignored() {
    let bot = Bot::start().await;
    let statuses = bot
        .sim
        .send_webhook_raw(
            &bot.webhook_url(),
            &emergency_batch(9),
            WebhookSendOptions {
                duplicate: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(statuses, [200, 200], "both deliveries are acknowledged");
    // The event becomes readable just before the ingest task bumps its counter.
    wait_for_async("the first delivery to be stored and counted", || async {
        bot.events_of("emergency/started") == 1 && bot.state.counters.stored_events() == 1
    })
    .await;
    assert_eq!(bot.state.counters.accepted(), 1);
    assert_eq!(bot.state.counters.duplicates(), 1);
    assert_eq!(bot.state.counters.stored_events(), 1);
    assert_eq!(bot.events_of("emergency/started"), 1, "no second event");
    bot.shutdown().await;
}

#[tokio::test]
async fn healthz_reports_the_store_and_servers() {
    let bot = Bot::start().await;
    let (status, body) = bot.get_text("/healthz").await;
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["store"], "ok");
    assert_eq!(health["servers"], 1);
    assert_eq!(health["servers_with_webhook"], 1);
    assert_eq!(
        health["last_poll_age_secs"],
        "not tracked (no tracker attached)"
    );
    bot.shutdown().await;
}
