//! The simulator's read endpoints: v1 shapes, v2 include flags and PRC's JSON quirks.

use erlc_bot::sim::{LogOrder, MissingField, PlayerSpec, Quirks, SimConfig, VehicleSpec};
use serde_json::{Value, json};

use crate::support::START_MS;
use crate::support::sim::{config, start, start_with, status_and_body};

const BASE_FIELDS: [&str; 8] = [
    "Name",
    "OwnerId",
    "CoOwnerIds",
    "CurrentPlayers",
    "MaxPlayers",
    "JoinKey",
    "AccVerifiedReq",
    "TeamBalance",
];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn v1_endpoints_have_prc_shapes() {
    let sim = start().await;
    let server = sim.handle.server(0).unwrap();
    let cop = server
        .add_player(
            PlayerSpec::named("Avery_Cole")
                .with_team("Police")
                .with_permission("Server Moderator"),
        )
        .unwrap();
    let civ = server
        .add_player(PlayerSpec::named("minty_pretzel"))
        .unwrap();
    server.add_kill(cop, civ).unwrap();
    server.queue_push(5_873_310_294);
    server.add_ban(4_412_093_357, "rdm_enjoyer");
    server.spawn_vehicle(cop, VehicleSpec::default()).unwrap();
    server.player_command(cop, ":wanted minty").unwrap();

    let info = sim.get_json("/v1/server").await;
    let mut expected: Vec<String> = BASE_FIELDS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(keys(&info), expected);
    assert_eq!(info["CurrentPlayers"], 2);

    let players = sim.get_json("/v1/server/players").await;
    assert_eq!(players[0]["Player"], format!("Avery_Cole:{cop}"));
    assert_eq!(players[0]["Permission"], "Server Moderator");
    assert!(players[0]["Callsign"].is_string());
    assert!(
        players[1].get("Callsign").is_none(),
        "civilian callsign omitted in v1"
    );
    assert!(
        players[0].get("WantedStars").is_none(),
        "v1 has no WantedStars"
    );

    let joins = sim.get_json("/v1/server/joinlogs").await;
    assert_eq!(joins[0]["Join"], true);
    assert_eq!(joins[0]["Timestamp"], START_MS / 1000);

    assert_eq!(
        sim.get_json("/v1/server/queue").await,
        json!([5_873_310_294u64])
    );
    let kills = sim.get_json("/v1/server/killlogs").await;
    assert_eq!(kills[0]["Killer"], format!("Avery_Cole:{cop}"));
    assert_eq!(kills[0]["Killed"], format!("minty_pretzel:{civ}"));

    let cmds = sim.get_json("/v1/server/commandlogs").await;
    assert_eq!(cmds[0]["Command"], ":wanted minty");
    assert_eq!(cmds[0]["Player"], format!("Avery_Cole:{cop}"));

    assert_eq!(
        sim.get_json("/v1/server/bans").await,
        json!({"4412093357": "rdm_enjoyer"})
    );
    let vehicles = sim.get_json("/v1/server/vehicles").await;
    assert_eq!(keys(&vehicles[0]), vec!["Name", "Owner", "Texture"]);
    assert_eq!(vehicles[0]["Owner"], "Avery_Cole");

    let staff = sim.get_json("/v1/server/staff").await;
    assert_eq!(keys(&staff), vec!["Admins", "CoOwners", "Mods"]);
    assert_eq!(staff["Mods"], json!({ cop.to_string(): "Avery_Cole" }));
    assert_eq!(staff["Admins"], json!([]), "empty map sent as []");
    assert!(staff["CoOwners"][0].as_u64().unwrap() > u64::from(u32::MAX));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn v2_sends_base_fields_plus_each_requested_section_only() {
    let sim = start().await;
    let server = sim.handle.server(0).unwrap();
    let id = server
        .add_player(PlayerSpec::named("minty_pretzel"))
        .unwrap();
    let call = server
        .start_emergency_call(id, "Police", "car crash")
        .unwrap();

    let base = sim.get_json("/v2/server").await;
    assert_eq!(keys(&base).len(), 8);
    for section in [
        "Players",
        "Staff",
        "JoinLogs",
        "Queue",
        "KillLogs",
        "CommandLogs",
        "ModCalls",
        "EmergencyCalls",
        "Vehicles",
    ] {
        let body = sim.get_json(&format!("/v2/server?{section}=true")).await;
        assert_eq!(keys(&body).len(), 9, "{section}");
        assert!(body.get(section).is_some(), "{section} present");
        let upper = sim.get_json(&format!("/v2/server?{section}=TRUE")).await;
        assert!(upper.get(section).is_some(), "TRUE enables {section}");
        let off = sim.get_json(&format!("/v2/server?{section}=false")).await;
        assert!(off.get(section).is_none(), "false omits {section}");
        let one = sim.get_json(&format!("/v2/server?{section}=1")).await;
        assert!(one.get(section).is_none(), "1 is not true for {section}");
    }

    let all = sim
        .get_json("/v2/server?Players=true&Staff=true&EmergencyCalls=true")
        .await;
    let player = &all["Players"][0];
    assert_eq!(
        player["Callsign"],
        Value::Null,
        "v2 civilian callsign is null"
    );
    assert_eq!(player["WantedStars"], 0);
    assert!(player["Location"]["LocationX"].is_number());
    assert!(player["Location"]["PostalCode"].is_string());
    assert_eq!(keys(&all["Staff"]), vec!["Admins", "Helpers", "Mods"]);
    assert_eq!(all["Staff"]["Helpers"], json!([]));
    let ec = &all["EmergencyCalls"][0];
    assert_eq!(ec["CallNumber"], call);
    assert_eq!(ec["Caller"], id);
    assert_eq!(ec["Players"], json!([]));
    assert_eq!(ec["Description"], "car crash");
    assert!(ec["Position"].as_array().unwrap().len() == 2);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn mod_call_moderator_is_absent_until_answered() {
    let sim = start().await;
    let server = sim.handle.server(0).unwrap();
    let caller = server.add_player(PlayerSpec::named("caller")).unwrap();
    let moderator = server.add_player(PlayerSpec::named("mod")).unwrap();
    let number = server.add_mod_call(caller).unwrap();

    let v1 = sim.get_json("/v1/server/modcalls").await;
    assert!(v1[0].get("Moderator").is_none());
    let v2 = sim.get_json("/v2/server?ModCalls=true").await;
    assert_eq!(v2["ModCalls"][0]["Moderator"], Value::Null);

    server.answer_mod_call(number, moderator).unwrap();
    let v1 = sim.get_json("/v1/server/modcalls").await;
    assert_eq!(v1[0]["Moderator"], format!("mod:{moderator}"));
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn quirks_are_configurable() {
    let (base, clock) = config();
    let config = SimConfig {
        quirks: Quirks {
            empty_maps: erlc_bot::sim::EmptyMapStyle::Object,
            v2_missing_callsign: MissingField::Omit,
            v2_unanswered_moderator: MissingField::Omit,
            log_order: LogOrder::NewestFirst,
            log_retention: 2,
            offline_gets_422: true,
            ..Quirks::default()
        },
        ..base
    };
    let sim = start_with(config, clock).await;
    let (status, body) = status_and_body(sim.get("/v1/server").send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_u64()), (422, Some(3002)));

    let server = sim.handle.server(0).unwrap();
    let a = server.add_player(PlayerSpec::named("a")).unwrap();
    sim.clock.advance_ms(1000);
    server.add_player(PlayerSpec::named("b")).unwrap();
    sim.clock.advance_ms(1000);
    server.remove_player(a).unwrap();

    let joins = sim.get_json("/v1/server/joinlogs").await;
    let players: Vec<_> = joins
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["Player"].clone())
        .collect();
    assert_eq!(joins.as_array().unwrap().len(), 2, "retention cap");
    assert_eq!(joins[0]["Join"], false, "newest first");
    assert!(players[1].as_str().unwrap().starts_with("b:"));
    assert_eq!(sim.get_json("/v1/server/bans").await, json!({}));
    let v2 = sim.get_json("/v2/server?Players=true").await;
    assert!(v2["Players"][0].get("Callsign").is_none());
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn generated_players_have_ids_above_u32() {
    let (base, clock) = config();
    let sim = start_with(
        SimConfig {
            initial_players: 5,
            ..base
        },
        clock,
    )
    .await;
    let players = sim.get_json("/v1/server/players").await;
    let players = players.as_array().unwrap();
    assert_eq!(players.len(), 5);
    for p in players {
        let text = p["Player"].as_str().unwrap();
        let (_, id) = text.rsplit_once(':').unwrap();
        assert!(id.parse::<u64>().unwrap() > u64::from(u32::MAX), "{text}");
    }
    sim.handle.shutdown().await;
}
