//! The simulator's command endpoint: refusals with PRC codes, success, logging and effects.

use std::net::{IpAddr, Ipv4Addr};

use erlc_bot::sim::{MessageKind, PlayerSpec, SimConfig};
use serde_json::{Value, json};

use crate::support::START_MS;
use crate::support::sim::{Sim, config, start, start_with, status_and_body};

async fn code_of(sim: &Sim, text: &str) -> (u16, u64) {
    let (status, body) = status_and_body(sim.command(text).await).await;
    (status, body["code"].as_u64().unwrap_or(0))
}

#[tokio::test]
async fn bad_commands_get_3001_4002_4003() {
    let sim = start().await;
    sim.handle
        .server(0)
        .unwrap()
        .add_player(PlayerSpec::named("p"))
        .unwrap();
    for text in [
        "",
        "   ",
        "h hello",
        ":",
        ":fly away",
        ":h one\ntwo",
        ":h one\rtwo",
    ] {
        assert_eq!(code_of(&sim, text).await, (400, 3001), "{text:?}");
    }
    assert_eq!(code_of(&sim, ":view p").await, (400, 4002));
    assert_eq!(code_of(&sim, ":CMDS").await, (400, 4002));
    assert_eq!(code_of(&sim, ":h you badword").await, (400, 4003));

    let post = |body: &'static str, json_type: bool| {
        let mut r = sim
            .client
            .post(sim.url("/v1/server/command"))
            .header("Server-Key", &sim.key)
            .body(body);
        if json_type {
            r = r.header("Content-Type", "application/json");
        }
        async move { status_and_body(r.send().await.unwrap()).await }
    };
    let capital = post(r#"{"Command":":h hi"}"#, true).await;
    assert_eq!((capital.0, capital.1["code"].clone()), (400, json!(3001)));
    assert_eq!(post(r#"{"command":":h hi"}"#, false).await.1["code"], 3001);
    assert_eq!(post("not json", true).await.1["code"], 3001);
    assert_eq!(post(r#"{"command":5}"#, true).await.1["code"], 3001);
    assert_eq!(post(r#"{"command":":h hi"}"#, true).await.0, 200);

    let logs = sim.get_json("/v1/server/commandlogs").await;
    assert_eq!(
        logs.as_array().unwrap().len(),
        1,
        "refused commands are not logged"
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn empty_server_gets_422_3002_with_command_id() {
    let sim = start().await;
    let (status, body) = status_and_body(sim.command(":h hello").await).await;
    assert_eq!((status, body["code"].as_u64()), (422, Some(3002)));
    assert!(body["commandId"].as_str().is_some_and(|id| !id.is_empty()));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn untrusted_ip_and_unauthorized_app_get_4000() {
    let (base, clock) = config();
    let sim = start_with(
        SimConfig {
            trusted_ips: vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))],
            global_keys: vec!["APPKEY".into()],
            ..base
        },
        clock,
    )
    .await;
    let server = sim.handle.server(0).unwrap();
    server.add_player(PlayerSpec::named("p")).unwrap();
    assert_eq!(code_of(&sim, ":h hi").await, (403, 4000));
    assert_eq!(
        sim.get("/v1/server").send().await.unwrap().status(),
        200,
        "reads still work"
    );

    let app_command = || async {
        let r = sim
            .client
            .post(sim.url("/v2/server/command"))
            .header("Server-Key", &sim.key)
            .header("Authorization", "APPKEY")
            .json(&json!({"command": ":h hi"}))
            .send()
            .await
            .unwrap();
        status_and_body(r).await
    };
    assert_eq!(app_command().await.0, 200, "apps are authorized by default");
    server.set_app_authorized("APPKEY", false);
    assert_eq!(app_command().await.1["code"], 4000);
    server.set_trusted_ips(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    assert_eq!(code_of(&sim, ":h hi").await.0, 200);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn success_logs_the_command_as_remote_server() {
    let sim = start().await;
    sim.handle
        .server(0)
        .unwrap()
        .add_player(PlayerSpec::named("p"))
        .unwrap();
    let (status, body) = status_and_body(sim.command(":h Session starting").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Success");
    assert!(body["commandId"].is_string());
    let logs = sim.get_json("/v2/server?CommandLogs=true").await;
    let row = &logs["CommandLogs"][0];
    assert_eq!(row["Player"], "Remote Server");
    assert_eq!(row["Command"], ":h Session starting");
    let messages = sim.handle.server(0).unwrap().messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].kind, MessageKind::Hint);
    assert_eq!(messages[0].text, "Session starting");
    sim.handle.shutdown().await;
}

fn player_names(players: &Value) -> Vec<String> {
    players
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["Player"]
                .as_str()
                .unwrap()
                .rsplit_once(':')
                .unwrap()
                .0
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn kick_ban_and_targeting_change_the_world() {
    let sim = start().await;
    let server = sim.handle.server(0).unwrap();
    let avery = server.add_player(PlayerSpec::named("Avery_Cole")).unwrap();
    let minty = server
        .add_player(PlayerSpec::named("minty_pretzel"))
        .unwrap();
    let tim = server
        .add_player(PlayerSpec::named("tow_truck_tim"))
        .unwrap();
    let spare = server.add_player(PlayerSpec::named("spare")).unwrap();

    assert_eq!(sim.command(":kick MINT rule 3").await.status(), 200);
    assert_eq!(
        player_names(&sim.get_json("/v1/server/players").await),
        vec!["Avery_Cole", "tow_truck_tim", "spare"]
    );
    let joins = sim.get_json("/v1/server/joinlogs").await;
    let last = joins.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({"Join": false, "Timestamp": START_MS / 1000,
                            "Player": format!("minty_pretzel:{minty}")})
    );

    assert_eq!(sim.command(&format!(":ban {tim}")).await.status(), 200);
    assert_eq!(
        sim.get_json("/v1/server/bans").await,
        json!({ tim.to_string(): "tow_truck_tim" })
    );
    assert!(
        !player_names(&sim.get_json("/v1/server/players").await).contains(&"tow_truck_tim".into())
    );
    assert_eq!(sim.command(":unban tow").await.status(), 200);
    assert_eq!(sim.get_json("/v1/server/bans").await, json!([]));

    assert_eq!(sim.command(":wanted avery,spare").await.status(), 200);
    let v2 = sim.get_json("/v2/server?Players=true").await;
    let stars: Vec<u64> = v2["Players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["WantedStars"].as_u64().unwrap())
        .collect();
    assert_eq!(stars, vec![1, 1]);
    assert_eq!(sim.command(":jail all").await.status(), 200);
    let v2 = sim.get_json("/v2/server?Players=true").await;
    assert!(
        v2["Players"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["Team"] == "Jail" && p["WantedStars"] == 0)
    );

    assert_eq!(sim.command(":admin avery").await.status(), 200);
    let staff = sim.get_json("/v2/server?Staff=true").await;
    assert_eq!(
        staff["Staff"]["Admins"],
        json!({ avery.to_string(): "Avery_Cole" })
    );
    assert_eq!(sim.command(":pm spare hi there").await.status(), 200);
    let pm = server.messages().pop().unwrap();
    assert_eq!(
        (pm.kind, pm.targets, pm.text.as_str()),
        (MessageKind::PrivateMessage, vec![spare], "hi there")
    );

    assert_eq!(sim.command(":shutdown").await.status(), 200);
    assert_eq!(sim.get_json("/v1/server").await["CurrentPlayers"], 0);
    let applied: Vec<String> = server
        .applied_commands()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        applied,
        vec![
            "kick", "ban", "unban", "wanted", "jail", "admin", "pm", "shutdown"
        ]
    );
    sim.handle.shutdown().await;
}
