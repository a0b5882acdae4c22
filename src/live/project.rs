//! A tracked server's poll, as the values of its live state keys: one JSON value per part,
//! shaped so the delta diff gives small, meaningful ops (players, staff, vehicles, mod calls and
//! 911 calls are objects keyed by a stable id, so a join is one ADD and a leave one REMOVE).
//! Game text stays as the game sent it; clients escape it for their own display.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::actions::{Claim, ModCallStep};
use crate::events::catalog::PlayerInfo;
use crate::tracker::world::{VehicleState, WorldState};
use crate::tracker::{ModCallSeen, PolledServer};

use super::key::Part;

/// Every part the tracker's polls fill (`viewers` is presence, filled by the sessions).
pub const POLLED_PARTS: [Part; 7] = [
    Part::Server,
    Part::Players,
    Part::Staff,
    Part::Queue,
    Part::Vehicles,
    Part::Modcalls,
    Part::Emergency,
];

/// The value of `part` for a server as `polled` left it, with the mod calls' `claims`.
pub fn project(polled: &PolledServer, claims: &BTreeMap<String, Claim>, part: Part) -> Value {
    let world = &polled.world;
    match part {
        Part::Server => server(polled),
        Part::Players => players(polled, false),
        Part::Staff => players(polled, true),
        Part::Queue => world.queue.as_ref().map_or(Value::Null, |ids| json!(ids)),
        Part::Vehicles => world.vehicles.as_ref().map_or(Value::Null, |v| vehicles(v)),
        Part::Modcalls => mod_calls(&polled.extras.mod_calls, claims),
        Part::Emergency => emergency(world),
        Part::Viewers => Value::Null,
    }
}

fn server(polled: &PolledServer) -> Value {
    let (world, extras) = (&polled.world, &polled.extras);
    json!({
        "name": world.name,
        "players": world.current_players,
        "max_players": extras.max_players,
        "join_code": extras.join_key,
        "queue_length": world.queue.as_ref().map(Vec::len),
        "last_poll": polled.polled_at,
        "health": if polled.prc_offline { "offline" } else { "ok" },
    })
}

/// Everyone in game (or only staff), keyed by Roblox user id.
fn players(polled: &PolledServer, staff_only: bool) -> Value {
    let Some(players) = &polled.world.players else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (id, player) in players {
        if staff_only && !player.is_staff() {
            continue;
        }
        let mut entry = json!({
            "name": player.name,
            "team": player.team,
            "permission": player.permission,
            "callsign": player.callsign,
        });
        if !staff_only {
            let location = polled.extras.locations.get(id).map(|l| {
                json!({
                    "x": l.location_x,
                    "z": l.location_z,
                    "postal": l.postal_code,
                    "street": l.street_name,
                })
            });
            entry["wanted"] = json!(player.wanted);
            entry["location"] = json!(location);
        }
        out.insert(id.to_string(), entry);
    }
    Value::Object(out)
}

/// A vehicle's key: a hash of owner, name and plate (which may hold any characters), with a
/// counter for identical ones.
fn vehicle_id(vehicle: &VehicleState) -> String {
    let mut hash = Sha256::new();
    for part in [
        vehicle.owner.as_str(),
        vehicle.name.as_str(),
        vehicle.plate.as_deref().unwrap_or(""),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex::encode(&hash.finalize()[..8])
}

fn vehicles(list: &[VehicleState]) -> Value {
    let mut out = Map::new();
    for vehicle in list {
        let base = vehicle_id(vehicle);
        let mut id = base.clone();
        let mut n = 1;
        while out.contains_key(&id) {
            n += 1;
            id = format!("{base}_{n}");
        }
        out.insert(
            id,
            json!({
                "owner": vehicle.owner,
                "name": vehicle.name,
                "plate": vehicle.plate,
                "colour": vehicle.colour,
            }),
        );
    }
    Value::Object(out)
}

fn person(info: &PlayerInfo) -> Value {
    json!({ "name": info.name, "id": info.id })
}

/// The calls in PRC's window by call key, with who claimed or resolved them in Discord or a
/// dashboard. A call is open until a moderator resolves it.
fn mod_calls(calls: &[ModCallSeen], claims: &BTreeMap<String, Claim>) -> Value {
    let mut out = Map::new();
    for call in calls {
        let claim = claims.get(&call.call_key);
        let claim_value = claim.map(|c| {
            json!({
                "step": match c.step {
                    ModCallStep::Claim => "claimed",
                    ModCallStep::Resolve => "resolved",
                },
                "by_id": c.by_id.to_string(),
                "by_name": c.by_name,
                "at_ms": c.at_ms,
            })
        });
        let open = claim.is_none_or(|c| c.step != ModCallStep::Resolve);
        out.insert(
            call.call_key.clone(),
            json!({
                "caller": person(&call.caller),
                "at": call.at,
                "answered_by": call.answered_by.as_ref().map(person),
                "claim": claim_value,
                "open": open,
            }),
        );
    }
    Value::Object(out)
}

/// Active 911 calls by call number, players named from the player list when known.
fn emergency(world: &WorldState) -> Value {
    let Some(calls) = &world.calls else {
        return Value::Null;
    };
    let who = |id: u64| {
        json!({
            "id": id,
            "name": world.player(id).map(|p| p.name.clone()),
        })
    };
    let mut out = Map::new();
    for (number, call) in calls {
        out.insert(
            number.to_string(),
            json!({
                "team": call.team,
                "caller": call.caller.map(who),
                "responders": call.responders.iter().map(|id| who(*id)).collect::<Vec<_>>(),
                "description": call.description,
                "location": call.location,
                "position": call.position,
                "started_at": call.started_at,
            }),
        );
    }
    Value::Object(out)
}
