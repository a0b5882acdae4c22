//! Fault injection, the request log and the `/_sim/` control API of the simulator.

use erlc_bot::sim::{FaultKind, FaultPlan, PlayerSpec};
use serde_json::{Value, json};

use crate::support::START_MS;
use crate::support::sim::{start, status_and_body};

#[tokio::test]
async fn faults_fire_as_planned_and_are_logged() {
    let sim = start().await;
    sim.handle
        .server(0)
        .unwrap()
        .add_player(PlayerSpec::named("p"))
        .unwrap();

    sim.handle
        .set_faults(FaultPlan::next(1, FaultKind::Status { status: 502 }));
    let r = sim.get("/v1/server").send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.headers().contains_key("x-ratelimit-bucket"));
    assert_eq!(
        sim.get("/v1/server").send().await.unwrap().status(),
        200,
        "only once"
    );

    for code in [0u64, 1002, 9998, 9999] {
        sim.handle
            .set_faults(FaultPlan::next(1, FaultKind::Prc { code: code as u16 }));
        let (status, body) = status_and_body(sim.get("/v1/server").send().await.unwrap()).await;
        assert_eq!(body["code"], code);
        assert_eq!(status, if code == 9998 { 403 } else { 500 });
    }

    sim.handle.set_faults(
        FaultPlan::next(1, FaultKind::Prc { code: 1001 }).on_path("/v2/server/command"),
    );
    assert_eq!(
        sim.get("/v2/server").send().await.unwrap().status(),
        200,
        "scoped to path"
    );
    let (status, body) = status_and_body(sim.command(":h hi").await).await;
    assert_eq!((status, body["code"].clone()), (500, json!(1001)));
    assert!(body["commandId"].is_string());
    assert_eq!(
        sim.get_json("/v1/server/commandlogs").await,
        json!([]),
        "not executed"
    );

    sim.handle
        .set_faults(FaultPlan::next(1, FaultKind::MalformedJson));
    let r = sim.get("/v1/server").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.is_err());

    sim.handle.set_faults(FaultPlan::next(1, FaultKind::Drop));
    let dropped = sim.get("/v1/server").send().await;
    assert!(dropped.is_err(), "connection closed without a response");
    assert_eq!(sim.get("/v1/server").send().await.unwrap().status(), 200);

    sim.handle
        .set_faults(FaultPlan::next(1, FaultKind::Latency { ms: 20 }));
    assert_eq!(sim.get("/v1/server").send().await.unwrap().status(), 200);

    sim.handle
        .set_faults(FaultPlan::next(5, FaultKind::Status { status: 503 }));
    sim.handle.clear_faults();
    assert_eq!(sim.get("/v1/server").send().await.unwrap().status(), 200);

    let faults: Vec<Option<String>> = sim.handle.requests().into_iter().map(|r| r.fault).collect();
    let labelled: Vec<String> = faults.into_iter().flatten().collect();
    assert_eq!(
        labelled,
        vec![
            "status 502",
            "prc 0",
            "prc 1002",
            "prc 9998",
            "prc 9999",
            "prc 1001",
            "malformed json",
            "drop",
            "latency 20ms"
        ]
    );
    let drop_row = sim
        .handle
        .requests()
        .into_iter()
        .find(|r| r.fault.as_deref() == Some("drop"))
        .unwrap();
    assert_eq!(drop_row.status, 0);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn probabilistic_faults_are_seeded() {
    let outcomes = async || {
        let sim = start().await;
        sim.handle.set_faults(FaultPlan::probability(
            0.5,
            FaultKind::Status { status: 500 },
        ));
        let mut statuses = Vec::new();
        for _ in 0..16 {
            statuses.push(
                sim.get("/v1/server")
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        sim.handle.shutdown().await;
        statuses
    };
    let a = outcomes().await;
    assert_eq!(a, outcomes().await);
    assert!(a.contains(&500) && a.contains(&200));
}

#[tokio::test]
async fn request_log_records_without_keys() {
    let sim = start().await;
    sim.handle
        .server(0)
        .unwrap()
        .add_player(PlayerSpec::named("p"))
        .unwrap();
    sim.get("/v2/server?Players=true").send().await.unwrap();
    sim.command(":h hello").await;
    let log = sim.handle.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", "/v2/server")
    );
    assert_eq!(log[0].query.as_deref(), Some("Players=true"));
    assert_eq!(log[0].at_ms, START_MS);
    assert_eq!(log[1].command.as_deref(), Some(":h hello"));
    assert_eq!(
        log[1].key_fingerprint,
        Some(erlc_bot::fingerprint::fingerprint(&sim.key))
    );
    let dump = format!("{log:?}");
    assert!(!dump.contains(&sim.key), "request log never holds the key");
    sim.handle.clear_requests();
    assert!(sim.handle.requests().is_empty());
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn control_api_mirrors_the_handles() {
    let sim = start().await;
    let c = &sim.client;
    let url = |p: &str| sim.url(&format!("/_sim{p}"));
    let post = |p: &str, body: Value| c.post(url(p)).json(&body).send();

    let servers: Value = c
        .get(url("/servers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(servers[0]["key"], sim.key);
    let added: Value = post(
        "/servers/0/players",
        json!({"name": "Avery_Cole", "team": "Police"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let avery = added["id"].as_u64().unwrap();
    let minty = post("/servers/0/players", json!({"name": "minty"}))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_u64()
        .unwrap();

    let event = |body: Value| async move {
        let r = post("/servers/0/events", body).await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap())
    };
    assert_eq!(
        event(json!({"type": "kill", "killer": avery, "killed": minty}))
            .await
            .0,
        200
    );
    let call = event(json!({"type": "mod_call", "caller": minty})).await.1["number"]
        .as_u64()
        .unwrap();
    assert_eq!(
        event(json!({"type": "answer_mod_call", "number": call, "moderator": avery}))
            .await
            .0,
        200
    );
    let ec = event(json!({"type": "emergency_call_start", "caller": minty, "team": "Fire", "description": "fire"}))
        .await.1["call_number"].as_u64().unwrap();
    assert_eq!(
        event(json!({"type": "emergency_call_respond", "call_number": ec, "responder": avery}))
            .await
            .0,
        200
    );
    let vehicle =
        event(json!({"type": "spawn_vehicle", "owner": avery, "vehicle": {"plate": "ABC 123"}}))
            .await
            .1["vehicle"]
            .as_u64()
            .unwrap();
    assert_eq!(
        event(json!({"type": "queue_push", "id": 9_000_000_001u64}))
            .await
            .0,
        200
    );
    let (status, body) = event(json!({"type": "kill", "killer": 1, "killed": minty})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no player with id 1")
    );

    let snapshot = sim
        .get_json(
            "/v2/server?KillLogs=true&ModCalls=true&EmergencyCalls=true&Vehicles=true&Queue=true",
        )
        .await;
    assert_eq!(snapshot["KillLogs"].as_array().unwrap().len(), 1);
    assert_eq!(
        snapshot["ModCalls"][0]["Moderator"],
        format!("Avery_Cole:{avery}")
    );
    assert_eq!(snapshot["EmergencyCalls"][0]["Players"], json!([avery]));
    assert_eq!(snapshot["Vehicles"][0]["Plate"], "ABC 123");
    assert_eq!(snapshot["Queue"], json!([9_000_000_001u64]));

    assert_eq!(
        event(json!({"type": "despawn_vehicle", "vehicle": vehicle}))
            .await
            .0,
        200
    );
    assert_eq!(
        event(json!({"type": "emergency_call_end", "call_number": ec}))
            .await
            .0,
        200
    );
    assert_eq!(
        c.delete(url(&format!("/servers/0/players/{minty}")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    assert_eq!(sim.command(":h via api").await.status(), 200);
    let messages: Value = c
        .get(url("/servers/0/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages[0]["text"], "via api");

    let fault = json!({"rules": [{"fault": {"kind": "prc", "code": 1002},
                                  "trigger": {"when": "next", "count": 1}}]});
    assert_eq!(
        c.put(url("/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(sim.get("/v1/server").send().await.unwrap().status(), 500);
    let limits =
        json!({"read": {"limit": 1, "window_secs": 10}, "command": {"limit": 1, "window_secs": 5}});
    assert_eq!(
        c.put(url("/rate-limits"))
            .json(&limits)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let log: Value = c
        .get(url("/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().all(|p| !p.starts_with("/_sim")), "{paths:?}");
    for _ in 0..3 {
        assert_eq!(
            c.get(url("/servers")).send().await.unwrap().status(),
            200,
            "control is not limited"
        );
    }

    let new_key: Value = post("/servers/0/rotate-key", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(new_key["key"], sim.key);
    assert_eq!(
        post("/servers/0/ban-key", json!({}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(c.get(url("/servers/7")).send().await.unwrap().status(), 404);
    assert_eq!(
        c.delete(url("/requests")).send().await.unwrap().status(),
        200
    );
    assert!(sim.handle.requests().is_empty());
    sim.handle.shutdown().await;
}
