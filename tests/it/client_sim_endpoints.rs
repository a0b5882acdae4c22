//! Every endpoint of the real client decoded from the real simulator, in v1 and v2, from a
//! populated world and an empty one, with every JSON quirk of the simulator both ways.

use std::collections::BTreeMap;
use std::sync::Arc;

use erlc_bot::clock::ManualClock;
use erlc_bot::erlc::api::CommandOptions;
use erlc_bot::erlc::{
    AccVerifiedReq, Include, Permission, Player, PlayerRef, ServerHandle, Team, V2Server,
};
use erlc_bot::sim::{EmptyMapStyle, LogOrder, MissingField, Quirks, SimHandle};
use serde_json::{Value, json};

use crate::support::START_MS;
use crate::support::client_sim::*;

/// Every quirk the other way round from the defaults.
fn flipped_quirks() -> Quirks {
    Quirks {
        empty_maps: EmptyMapStyle::Object,
        v1_missing_callsign: MissingField::Null,
        v2_missing_callsign: MissingField::Omit,
        v2_unanswered_moderator: MissingField::Omit,
        log_order: LogOrder::NewestFirst,
        ..Quirks::default()
    }
}

struct Rig {
    sim: SimHandle,
    clock: Arc<ManualClock>,
    server: ServerHandle,
}

async fn rig(quirks: Quirks) -> Rig {
    let clock = manual_clock();
    let sim = start_sim(erlc_bot::sim::SimConfig {
        quirks,
        ..sim_config(&clock)
    })
    .await;
    let client = client(client_config(&sim, &clock));
    let server = handle(&client, &sim, 0);
    Rig { sim, clock, server }
}

const REMOTE_COMMAND: &str = ":h Session starting in 5 minutes";

/// A populated world plus one command sent through the API (a `Remote Server` log row).
async fn populated(quirks: Quirks) -> (Rig, Fixture) {
    let rig = rig(quirks).await;
    let fixture = populate(&rig.sim.server(0).unwrap(), &rig.clock);
    rig.clock.advance_ms(1_000);
    rig.server
        .send_command(REMOTE_COMMAND, &CommandOptions::default())
        .await
        .expect("command accepted");
    (rig, fixture)
}

/// `items` as they should arrive under the log order quirk, given them oldest first.
fn in_log_order<T>(mut items: Vec<T>, order: LogOrder) -> Vec<T> {
    if order == LogOrder::NewestFirst {
        items.reverse();
    }
    items
}

fn name_of(id: u64) -> &'static str {
    match id {
        9_100_000_001 => OWNER_NAME,
        9_100_000_002 => "CoOwner_Cam",
        9_100_000_003 => "Admin_Ada",
        9_100_000_004 => "Mod_Max",
        9_100_000_005 => "Helper_Hal",
        2_419_834_401 => POLICE_NAME,
        5_873_310_294 => CIVILIAN_NAME,
        9_100_000_008 => "Swat_Sam",
        other => panic!("no fixture player {other}"),
    }
}

fn player_ref(id: u64) -> PlayerRef {
    PlayerRef::new(name_of(id), Some(id))
}

fn check_players(players: &[Player], fx: &Fixture, v2: bool) {
    let refs: Vec<_> = players.iter().map(|p| p.player.clone()).collect();
    let expected: Vec<_> = fx.players.iter().map(|id| player_ref(*id)).collect();
    assert_eq!(refs, expected, "every player, in join order, ids intact");
    let by_id: BTreeMap<u64, &Player> = players.iter().map(|p| (p.player.id.unwrap(), p)).collect();
    let expect = |id: u64, permission: Permission, team: Team| {
        let p = by_id[&id];
        assert_eq!((&p.permission, &p.team), (&permission, &team), "{id}");
        let civilian_like = matches!(team, Team::Civilian | Team::Jail);
        assert_eq!(p.callsign.is_none(), civilian_like, "callsign of {id}");
    };
    expect(fx.owner, Permission::Owner, Team::Sheriff);
    expect(fx.co_owner, Permission::CoOwner, Team::Fire);
    expect(fx.admin, Permission::Administrator, Team::Dot);
    expect(fx.moderator, Permission::Moderator, Team::Police);
    expect(fx.helper, Permission::Helper, Team::Civilian);
    expect(fx.police, Permission::Normal, Team::Police);
    expect(fx.civilian, Permission::Normal, Team::Civilian);
    expect(fx.swat, Permission::Normal, Team::Other("SWAT".into()));
    let above_u32 = players
        .iter()
        .filter(|p| p.player.id.is_some_and(|id| id > 1 << 32))
        .count();
    assert_eq!(above_u32, 7, "64-bit ids survive");
    let police = by_id[&fx.police];
    let civilian = by_id[&fx.civilian];
    if v2 {
        assert_eq!(civilian.wanted_stars, Some(3));
        assert_eq!(police.wanted_stars, Some(0));
        let at = police
            .location
            .as_ref()
            .expect("v2 players have a location");
        assert_eq!((at.location_x, at.location_z), (-412.7, 288.1));
        assert_eq!(at.postal_code.as_deref(), Some("214"));
        assert_eq!(at.street_name.as_deref(), Some("Elm Street"));
        assert_eq!(at.building_number.as_deref(), Some("1180"));
    } else {
        assert!(
            players
                .iter()
                .all(|p| p.wanted_stars.is_none() && p.location.is_none())
        );
    }
    assert!(
        players.iter().all(|p| p.extra.is_empty()),
        "no unknown fields"
    );
}

/// v1 players carry neither stars nor location; otherwise they equal the v2 ones.
fn as_v1(players: &[Player]) -> Vec<Player> {
    players
        .iter()
        .cloned()
        .map(|mut p| {
            p.wanted_stars = None;
            p.location = None;
            p
        })
        .collect()
}

fn check_logs(all: &V2Server, fx: &Fixture, order: LogOrder) {
    let joins = all.join_logs.as_ref().unwrap();
    let joined: Vec<_> = joins.iter().map(|j| (j.join, j.player.clone())).collect();
    let expected: Vec<_> = fx
        .players
        .iter()
        .map(|id| (true, player_ref(*id)))
        .collect();
    assert_eq!(joined, in_log_order(expected, order));
    let stamps: Vec<i64> = joins.iter().map(|j| j.timestamp).collect();
    let mut sorted = stamps.clone();
    sorted.sort_unstable();
    assert_eq!(stamps, in_log_order(sorted, order), "log order quirk");
    assert!(stamps.iter().all(|t| *t >= START_MS / 1000), "unix seconds");

    let kills: Vec<_> = all
        .kill_logs
        .as_ref()
        .unwrap()
        .iter()
        .map(|k| (k.killer.clone(), k.killed.clone()))
        .collect();
    let expected = vec![
        (player_ref(fx.police), player_ref(fx.civilian)),
        (player_ref(fx.civilian), player_ref(fx.swat)),
    ];
    assert_eq!(kills, in_log_order(expected, order));

    let commands = all.command_logs.as_ref().unwrap();
    let rows: Vec<_> = commands
        .iter()
        .map(|c| (c.player.clone(), c.command.clone()))
        .collect();
    let expected = vec![
        (player_ref(fx.moderator), fx.player_command.clone()),
        (PlayerRef::remote_server(), REMOTE_COMMAND.to_owned()),
    ];
    assert_eq!(rows, in_log_order(expected, order));
    let remote = commands.iter().find(|c| c.player.id.is_none()).unwrap();
    assert!(remote.player.is_remote_server());

    let calls: Vec<_> = all
        .mod_calls
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.caller.clone(), m.moderator.clone()))
        .collect();
    let expected = vec![
        (player_ref(fx.unanswered_call_by), None),
        (
            player_ref(fx.answered_call.0),
            Some(player_ref(fx.answered_call.1)),
        ),
    ];
    assert_eq!(calls, in_log_order(expected, order));
}

fn check_v2_only(all: &V2Server, fx: &Fixture) {
    let calls = all.emergency_calls.as_ref().unwrap();
    assert_eq!(calls.len(), 2);
    let call = calls
        .iter()
        .find(|c| c.call_number == fx.emergency_call as i64)
        .unwrap();
    assert_eq!(call.team, Team::Police);
    assert_eq!(call.caller, Some(fx.civilian));
    assert_eq!(call.players, vec![fx.police]);
    assert_eq!(call.position, [0.0, 0.0]);
    assert_eq!(
        call.description.as_deref(),
        Some("shots fired near the docks")
    );
    assert_eq!(
        call.position_descriptor.as_deref(),
        Some("Main Street, Postal 100")
    );
    let silent = calls
        .iter()
        .find(|c| c.call_number == fx.silent_emergency_call as i64)
        .unwrap();
    assert_eq!(
        (silent.team.clone(), silent.caller),
        (Team::Fire, Some(fx.swat))
    );
    assert!(silent.players.is_empty() && silent.description.is_none());

    let vehicles = all.vehicles.as_ref().unwrap();
    assert_eq!(vehicles.len(), 2);
    let cruiser = &vehicles[0];
    assert_eq!(cruiser.owner, POLICE_NAME);
    assert_eq!(cruiser.name, "2019 Falcon Interceptor Utility");
    assert_eq!(cruiser.plate.as_deref(), Some("RCP 118"));
    assert_eq!(cruiser.texture.as_deref(), Some("Standard"));
    assert_eq!(cruiser.color_hex.as_deref(), Some("#1F2A44"));
    assert_eq!(cruiser.color_name.as_deref(), Some("Navy"));
    let car = &vehicles[1];
    assert_eq!(
        (car.owner.as_str(), car.name.as_str()),
        (CIVILIAN_NAME, "2015 Bullhorn Prancer")
    );
    assert!(car.texture.is_none(), "null texture");
    assert_eq!(car.color_name.as_deref(), Some("Red"));

    let staff = all.staff.as_ref().unwrap();
    assert_eq!(
        staff.helpers.0,
        BTreeMap::from([(fx.helper, "Helper_Hal".to_owned())])
    );
}

async fn check_populated(quirks: Quirks) {
    let order = quirks.log_order;
    let (rig, fx) = populated(quirks).await;
    let s = &rig.server;
    let sim_view = rig.sim.server(0).unwrap().snapshot_json();
    let sim_info = rig.sim.server(0).unwrap().info();

    let info = s.server_info().await.unwrap();
    assert_eq!(info.name, sim_info.name);
    assert_eq!(info.join_key, sim_info.join_key);
    assert_eq!(info.owner_id, sim_view["OwnerId"].as_u64().unwrap());
    assert_eq!(info.co_owner_ids.len(), 1);
    assert!(info.co_owner_ids[0] > 1 << 32);
    assert_eq!((info.current_players, info.max_players), (8, 40));
    assert_eq!(info.acc_verified_req, AccVerifiedReq::Disabled);
    assert!(info.team_balance);
    assert!(info.extra.is_empty());

    let all = s.snapshot(Include::all()).await.unwrap();
    assert_eq!(all.info, info, "v2 base fields equal v1 /server");
    let v2_players = all.players.clone().unwrap();
    check_players(&v2_players, &fx, true);
    check_logs(&all, &fx, order);
    check_v2_only(&all, &fx);

    let v1_players = s.players().await.unwrap();
    check_players(&v1_players, &fx, false);
    assert_eq!(v1_players, as_v1(&v2_players));
    assert_eq!(Some(s.join_logs().await.unwrap()), all.join_logs);
    assert_eq!(Some(s.kill_logs().await.unwrap()), all.kill_logs);
    assert_eq!(Some(s.command_logs().await.unwrap()), all.command_logs);
    assert_eq!(Some(s.mod_calls().await.unwrap()), all.mod_calls);
    assert_eq!(s.queue().await.unwrap(), fx.queued);
    assert_eq!(all.queue.as_ref(), Some(&fx.queued));

    let bans = s.bans().await.unwrap();
    assert_eq!(bans.0, BTreeMap::from([fx.banned.clone()]));
    let staff = s.staff().await.unwrap();
    assert_eq!(staff.co_owners, info.co_owner_ids);
    assert_eq!(
        staff.admins.0,
        BTreeMap::from([(fx.admin, "Admin_Ada".to_owned())])
    );
    assert_eq!(
        staff.mods.0,
        BTreeMap::from([(fx.moderator, "Mod_Max".to_owned())])
    );
    let v2_staff = all.staff.as_ref().unwrap();
    assert_eq!(
        (&v2_staff.admins, &v2_staff.mods),
        (&staff.admins, &staff.mods)
    );

    let v1_vehicles = s.vehicles().await.unwrap();
    let v2_vehicles = all.vehicles.as_ref().unwrap();
    assert_eq!(v1_vehicles.len(), v2_vehicles.len());
    for (v1, v2) in v1_vehicles.iter().zip(v2_vehicles) {
        assert_eq!(
            (&v1.name, &v1.owner, &v1.texture),
            (&v2.name, &v2.owner, &v2.texture)
        );
        assert!(v1.plate.is_none() && v1.color_hex.is_none() && v1.color_name.is_none());
    }

    check_single_includes(s, &all).await;
    rig.sim.shutdown().await;
}

/// Which optional sections a v2 answer carries.
fn sections(server: &V2Server) -> Vec<&'static str> {
    let present = [
        ("Players", server.players.is_some()),
        ("Staff", server.staff.is_some()),
        ("JoinLogs", server.join_logs.is_some()),
        ("Queue", server.queue.is_some()),
        ("KillLogs", server.kill_logs.is_some()),
        ("CommandLogs", server.command_logs.is_some()),
        ("ModCalls", server.mod_calls.is_some()),
        ("EmergencyCalls", server.emergency_calls.is_some()),
        ("Vehicles", server.vehicles.is_some()),
    ];
    present
        .into_iter()
        .filter_map(|(name, there)| there.then_some(name))
        .collect()
}

/// Each include alone brings exactly its own section, equal to the one in `all`.
async fn check_single_includes(s: &ServerHandle, all: &V2Server) {
    let base = s.snapshot(Include::none()).await.unwrap();
    assert!(sections(&base).is_empty());
    assert_eq!(base.info, all.info);
    let singles = [
        (Include::none().players(), "Players"),
        (Include::none().staff(), "Staff"),
        (Include::none().join_logs(), "JoinLogs"),
        (Include::none().queue(), "Queue"),
        (Include::none().kill_logs(), "KillLogs"),
        (Include::none().command_logs(), "CommandLogs"),
        (Include::none().mod_calls(), "ModCalls"),
        (Include::none().emergency_calls(), "EmergencyCalls"),
        (Include::none().vehicles(), "Vehicles"),
    ];
    for (include, name) in singles {
        let one = s.snapshot(include).await.unwrap();
        assert_eq!(sections(&one), vec![name]);
        let same = match name {
            "Players" => one.players == all.players,
            "Staff" => one.staff == all.staff,
            "JoinLogs" => one.join_logs == all.join_logs,
            "Queue" => one.queue == all.queue,
            "KillLogs" => one.kill_logs == all.kill_logs,
            "CommandLogs" => one.command_logs == all.command_logs,
            "ModCalls" => one.mod_calls == all.mod_calls,
            "EmergencyCalls" => one.emergency_calls == all.emergency_calls,
            _ => one.vehicles == all.vehicles,
        };
        assert!(same, "{name} alone equals {name} in Include::all()");
    }
    assert_eq!(sections(all).len(), 9);
}

#[tokio::test]
async fn populated_world_decodes_in_v1_and_v2_with_default_quirks() {
    check_populated(Quirks::default()).await;
}

#[tokio::test]
async fn populated_world_decodes_with_every_quirk_flipped() {
    check_populated(flipped_quirks()).await;
}

/// The raw JSON really has the quirk shapes the typed decode has to cope with.
#[tokio::test]
async fn raw_json_shows_the_quirks_the_models_absorb() {
    for quirks in [Quirks::default(), flipped_quirks()] {
        let (rig, fx) = populated(quirks.clone()).await;
        let s = &rig.server;
        let civilian_entry = |players: &Value| {
            players
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["Player"] == format!("{CIVILIAN_NAME}:{}", fx.civilian))
                .cloned()
                .unwrap()
        };
        let v1 = s.raw_json("/v1/server/players", &[]).await.unwrap();
        let v1_civilian = civilian_entry(&v1);
        let v2 = s
            .raw_json("/v2/server", &[("Players", "true"), ("ModCalls", "true")])
            .await
            .unwrap();
        let v2_civilian = civilian_entry(&v2["Players"]);
        let unanswered = v2["ModCalls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["Caller"] == format!("{CIVILIAN_NAME}:{}", fx.civilian))
            .cloned()
            .unwrap();
        let shape = |style: MissingField, obj: &Value, field: &str| match style {
            MissingField::Omit => assert!(obj.get(field).is_none(), "{field} absent: {obj}"),
            MissingField::Null => assert_eq!(obj.get(field), Some(&Value::Null), "{field}"),
        };
        shape(quirks.v1_missing_callsign, &v1_civilian, "Callsign");
        shape(quirks.v2_missing_callsign, &v2_civilian, "Callsign");
        shape(quirks.v2_unanswered_moderator, &unanswered, "Moderator");
        assert_eq!(v2_civilian["WantedStars"], json!(3));
        let queue = s.raw_json("/v1/server/queue", &[]).await.unwrap();
        assert_eq!(queue, json!(fx.queued), "ids above 2^32 as plain numbers");
        rig.sim.shutdown().await;
    }
}

/// An empty server: empty id maps arrive as `[]` or `{}` and both decode to empty maps.
#[tokio::test]
async fn empty_world_decodes_with_both_empty_map_styles() {
    for (style, empty) in [
        (EmptyMapStyle::Array, json!([])),
        (EmptyMapStyle::Object, json!({})),
    ] {
        let rig = rig(Quirks {
            empty_maps: style,
            ..Quirks::default()
        })
        .await;
        let s = &rig.server;
        let raw = s.raw_json("/v1/server/staff", &[]).await.unwrap();
        assert_eq!((&raw["Admins"], &raw["Mods"]), (&empty, &empty));
        assert_eq!(s.raw_json("/v1/server/bans", &[]).await.unwrap(), empty);

        let staff = s.staff().await.unwrap();
        assert!(staff.admins.is_empty() && staff.mods.is_empty());
        assert_eq!(staff.co_owners.len(), 1, "co-owners are plain ids");
        assert!(s.bans().await.unwrap().is_empty());
        assert!(s.players().await.unwrap().is_empty());
        assert!(s.queue().await.unwrap().is_empty());
        assert!(s.join_logs().await.unwrap().is_empty());
        assert!(s.kill_logs().await.unwrap().is_empty());
        assert!(s.command_logs().await.unwrap().is_empty());
        assert!(s.mod_calls().await.unwrap().is_empty());
        assert!(s.vehicles().await.unwrap().is_empty());
        let all = s.snapshot(Include::all()).await.unwrap();
        assert_eq!(all.info.current_players, 0);
        let v2_staff = all.staff.unwrap();
        assert!(v2_staff.admins.is_empty() && v2_staff.mods.is_empty());
        assert!(v2_staff.helpers.is_empty());
        assert_eq!(all.players, Some(Vec::new()));
        assert_eq!(all.emergency_calls, Some(Vec::new()));
        assert_eq!(all.vehicles, Some(Vec::new()));
        rig.sim.shutdown().await;
    }
}
