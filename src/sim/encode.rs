//! PRC's JSON, written by hand from the world (never through the client's models), with the
//! quirks the configuration asks for.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::config::{EmptyMapStyle, LogOrder, MissingField, Quirks};
use super::world::{EmergencyCall, Player, SimActor, World};

/// The v2 include flags, in the order sections are written.
pub const V2_SECTIONS: [&str; 9] = [
    "Players",
    "Staff",
    "JoinLogs",
    "Queue",
    "KillLogs",
    "CommandLogs",
    "ModCalls",
    "EmergencyCalls",
    "Vehicles",
];

fn player_string(name: &str, id: u64) -> String {
    format!("{name}:{id}")
}

fn ordered<'a, T: 'a>(items: impl DoubleEndedIterator<Item = &'a T>, q: &Quirks) -> Vec<&'a T> {
    match q.log_order {
        LogOrder::OldestFirst => items.collect(),
        LogOrder::NewestFirst => items.rev().collect(),
    }
}

fn id_map(map: &BTreeMap<u64, String>, q: &Quirks) -> Value {
    if map.is_empty() && q.empty_maps == EmptyMapStyle::Array {
        return json!([]);
    }
    let object: Map<String, Value> = map
        .iter()
        .map(|(id, name)| (id.to_string(), Value::String(name.clone())))
        .collect();
    Value::Object(object)
}

fn put_optional(
    obj: &mut Map<String, Value>,
    key: &str,
    value: Option<Value>,
    style: MissingField,
) {
    match (value, style) {
        (Some(v), _) => {
            obj.insert(key.to_owned(), v);
        }
        (None, MissingField::Null) => {
            obj.insert(key.to_owned(), Value::Null);
        }
        (None, MissingField::Omit) => {}
    }
}

/// The 8 base fields shared by `GET /v1/server` and `GET /v2/server`.
pub fn server_base(w: &World) -> Map<String, Value> {
    let value = json!({
        "Name": w.info.name,
        "OwnerId": w.info.owner_id,
        "CoOwnerIds": w.info.co_owner_ids,
        "CurrentPlayers": w.players.len(),
        "MaxPlayers": w.info.max_players,
        "JoinKey": w.info.join_key,
        "AccVerifiedReq": w.info.acc_verified_req,
        "TeamBalance": w.info.team_balance,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn player_v1(p: &Player, q: &Quirks) -> Value {
    let mut obj = Map::new();
    obj.insert("Player".into(), json!(player_string(&p.name, p.id)));
    obj.insert("Permission".into(), json!(p.permission));
    put_optional(
        &mut obj,
        "Callsign",
        p.callsign.as_ref().map(|c| json!(c)),
        q.v1_missing_callsign,
    );
    obj.insert("Team".into(), json!(p.team));
    Value::Object(obj)
}

fn player_v2(p: &Player, q: &Quirks) -> Value {
    let mut obj = Map::new();
    obj.insert("Player".into(), json!(player_string(&p.name, p.id)));
    obj.insert("Permission".into(), json!(p.permission));
    put_optional(
        &mut obj,
        "Callsign",
        p.callsign.as_ref().map(|c| json!(c)),
        q.v2_missing_callsign,
    );
    obj.insert("Team".into(), json!(p.team));
    obj.insert("WantedStars".into(), json!(p.wanted_stars));
    obj.insert(
        "Location".into(),
        json!({
            "LocationX": p.location.x,
            "LocationZ": p.location.z,
            "PostalCode": p.location.postal,
            "StreetName": p.location.street,
            "BuildingNumber": p.location.building,
        }),
    );
    Value::Object(obj)
}

/// `Players`: the v2 shape (wanted stars, location) when `v2`, else the v1 list.
pub fn players(w: &World, q: &Quirks, v2: bool) -> Value {
    let list = w
        .players
        .iter()
        .map(|p| if v2 { player_v2(p, q) } else { player_v1(p, q) });
    Value::Array(list.collect())
}

/// `JoinLogs` in the configured order.
pub fn join_logs(w: &World, q: &Quirks) -> Value {
    let list = ordered(w.join_logs.iter(), q).into_iter().map(|j| {
        json!({"Join": j.join, "Timestamp": j.timestamp, "Player": player_string(&j.name, j.id)})
    });
    Value::Array(list.collect())
}

/// `Queue`: user ids, first in line first.
pub fn queue(w: &World) -> Value {
    json!(w.queue)
}

/// `KillLogs` in the configured order.
pub fn kill_logs(w: &World, q: &Quirks) -> Value {
    let list = ordered(w.kill_logs.iter(), q).into_iter().map(|k| {
        json!({
            "Killed": player_string(&k.killed.0, k.killed.1),
            "Timestamp": k.timestamp,
            "Killer": player_string(&k.killer.0, k.killer.1),
        })
    });
    Value::Array(list.collect())
}

/// `CommandLogs` in the configured order; API commands show `Remote Server` with no id.
pub fn command_logs(w: &World, q: &Quirks) -> Value {
    let list = ordered(w.command_logs.iter(), q).into_iter().map(|c| {
        let player = match &c.actor {
            SimActor::RemoteServer => "Remote Server".to_owned(),
            SimActor::Player { name, id } => player_string(name, *id),
        };
        json!({"Player": player, "Timestamp": c.timestamp, "Command": c.command})
    });
    Value::Array(list.collect())
}

/// `ModCalls`; an unanswered call's `Moderator` is left out in v1 and follows the quirk in v2.
pub fn mod_calls(w: &World, q: &Quirks, v2: bool) -> Value {
    let style = if v2 {
        q.v2_unanswered_moderator
    } else {
        MissingField::Omit
    };
    let list = ordered(w.mod_calls.iter(), q).into_iter().map(|c| {
        let mut obj = Map::new();
        obj.insert(
            "Caller".into(),
            json!(player_string(&c.caller.0, c.caller.1)),
        );
        put_optional(
            &mut obj,
            "Moderator",
            c.moderator
                .as_ref()
                .map(|(n, id)| json!(player_string(n, *id))),
            style,
        );
        obj.insert("Timestamp".into(), json!(c.timestamp));
        Value::Object(obj)
    });
    Value::Array(list.collect())
}

/// `GET /v1/server/bans`: user id → username, `[]` or `{}` when empty per the quirk.
pub fn bans(w: &World, q: &Quirks) -> Value {
    id_map(&w.bans, q)
}

/// `Vehicles`: with plate and colour when `v2`, else the v1 shape without them.
pub fn vehicles(w: &World, v2: bool) -> Value {
    let list = w.vehicles.iter().map(|v| {
        if v2 {
            json!({
                "Name": v.name, "Owner": v.owner, "Plate": v.plate, "Texture": v.texture,
                "ColorHex": v.color_hex, "ColorName": v.color_name,
            })
        } else {
            json!({"Texture": v.texture, "Name": v.name, "Owner": v.owner})
        }
    });
    Value::Array(list.collect())
}

/// `GET /v1/server/staff`: co-owner ids plus admin and mod maps.
pub fn staff_v1(w: &World, q: &Quirks) -> Value {
    json!({
        "CoOwners": w.info.co_owner_ids,
        "Admins": id_map(&w.staff.admins, q),
        "Mods": id_map(&w.staff.mods, q),
    })
}

/// v2 `Staff`: admin, mod and helper maps (co-owners are in `CoOwnerIds`).
pub fn staff_v2(w: &World, q: &Quirks) -> Value {
    json!({
        "Admins": id_map(&w.staff.admins, q),
        "Mods": id_map(&w.staff.mods, q),
        "Helpers": id_map(&w.staff.helpers, q),
    })
}

fn emergency_call_rest(c: &EmergencyCall) -> Value {
    json!({
        "Team": c.team, "Caller": c.caller, "Players": c.players, "Position": c.position,
        "StartedAt": c.started_at, "CallNumber": c.call_number, "Description": c.description,
        "PositionDescriptor": c.position_descriptor,
    })
}

/// Webhook event data for a call (camelCase, unlike the REST shape).
pub fn emergency_call_webhook(c: &EmergencyCall) -> Value {
    json!({
        "team": c.team, "caller": c.caller, "players": c.players, "position": c.position,
        "startedAt": c.started_at, "callNumber": c.call_number, "description": c.description,
        "positionDescriptor": c.position_descriptor,
    })
}

/// `GET /v2/server` with the sections named in `sections` (members of [`V2_SECTIONS`]).
pub fn v2_server(w: &World, q: &Quirks, sections: &[&str]) -> Value {
    let mut obj = server_base(w);
    for section in V2_SECTIONS {
        if !sections.contains(&section) {
            continue;
        }
        let value = match section {
            "Players" => players(w, q, true),
            "Staff" => staff_v2(w, q),
            "JoinLogs" => join_logs(w, q),
            "Queue" => queue(w),
            "KillLogs" => kill_logs(w, q),
            "CommandLogs" => command_logs(w, q),
            "ModCalls" => mod_calls(w, q, true),
            "EmergencyCalls" => {
                Value::Array(w.emergency_calls.iter().map(emergency_call_rest).collect())
            }
            _ => vehicles(w, true),
        };
        obj.insert(section.to_owned(), value);
    }
    Value::Object(obj)
}

/// Which v2 sections a raw query string asks for: only the literal `true` (any case) counts.
pub fn requested_sections(query: Option<&str>) -> Vec<&'static str> {
    let Some(query) = query else {
        return Vec::new();
    };
    let mut wanted = Vec::new();
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !value.eq_ignore_ascii_case("true") {
            continue;
        }
        if let Some(section) = V2_SECTIONS.iter().find(|s| **s == name) {
            if !wanted.contains(section) {
                wanted.push(*section);
            }
        }
    }
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literal_true_enables_a_section() {
        let got = requested_sections(Some(
            "Players=TRUE&Staff=1&Queue=false&KillLogs=true&players=true&Vehicles",
        ));
        assert_eq!(got, vec!["Players", "KillLogs"]);
        assert!(requested_sections(None).is_empty());
    }

    #[test]
    fn empty_maps_follow_the_quirk() {
        let mut q = Quirks::default();
        assert_eq!(id_map(&BTreeMap::new(), &q), json!([]));
        q.empty_maps = EmptyMapStyle::Object;
        assert_eq!(id_map(&BTreeMap::new(), &q), json!({}));
        let filled = BTreeMap::from([(5_000_000_000u64, "x".to_owned())]);
        assert_eq!(id_map(&filled, &q), json!({"5000000000": "x"}));
    }
}
