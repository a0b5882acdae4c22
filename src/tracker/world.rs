//! The tracker's compact view of one server (players by id, queue, vehicles, 911 calls), built
//! from a `GET /v2/server` snapshot. It is what snapshot diffs compare, and it is persisted
//! with the events it produced so a restart resumes from exactly the state those events left.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::erlc::models::{EmergencyCall, Permission, V2Server};
use crate::events::catalog::{EmergencyCallInfo, PlayerInfo};

/// Two snapshots' 911 calls with one `CallNumber` are the same call when their start times are
/// this close (PRC may restart numbering when the game server restarts).
const SAME_CALL_TOLERANCE_SECS: i64 = 60;

/// One player in the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerState {
    /// Roblox username; untrusted text.
    pub name: String,
    /// Team as PRC names it, such as `Police` or `Civilian`.
    pub team: String,
    /// In-game permission as PRC names it, such as `Server Moderator` or `Normal`.
    pub permission: String,
    /// Callsign on a non-civilian team; `None` for civilians.
    pub callsign: Option<String>,
    /// Wanted stars; 0 when PRC sent none.
    pub wanted: u32,
}

impl PlayerState {
    /// Helper permission or above.
    pub fn is_staff(&self) -> bool {
        Permission::from(self.permission.as_str()).is_staff()
    }

    /// The player as events carry them, with their user id.
    pub fn info(&self, id: u64) -> PlayerInfo {
        PlayerInfo {
            name: self.name.clone(),
            id: Some(id),
            team: Some(self.team.clone()),
            permission: Some(self.permission.clone()),
            callsign: self.callsign.clone(),
        }
    }
}

/// A spawned vehicle. Identity is owner + name + plate; the colour only decorates events.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VehicleState {
    /// The owner's username (PRC gives no id).
    pub owner: String,
    /// `"<year> <model>"`.
    pub name: String,
    /// Licence plate, if PRC sent one.
    pub plate: Option<String>,
    /// Paint colour: its name, else its hex code; `None` if PRC sent neither.
    pub colour: Option<String>,
}

impl VehicleState {
    /// Owner, name and plate: what tells one spawned vehicle from another.
    pub fn identity(&self) -> (&str, &str, Option<&str>) {
        (&self.owner, &self.name, self.plate.as_deref())
    }
}

/// An active 911 call, with players as ids (names are looked up when an event is built).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallState {
    /// The service called, such as `Police` or `Fire`.
    pub team: String,
    /// Roblox user id of the caller; `None` when PRC sent `null`.
    pub caller: Option<u64>,
    /// Roblox user ids of the players responding; empty while nobody does.
    pub responders: Vec<u64>,
    /// What the caller typed, if anything; untrusted text.
    pub description: Option<String>,
    /// A readable place such as `Harbor Road, Postal 307`, if PRC sent one.
    pub location: Option<String>,
    /// `[x, z]` map position, in the same space as player locations.
    pub position: [f64; 2],
    /// Unix seconds; kept from the first sighting so cards keyed by it stay put.
    pub started_at: i64,
}

impl CallState {
    fn from_call(call: &EmergencyCall) -> Self {
        Self {
            team: call.team.as_str().to_owned(),
            caller: call.caller,
            responders: call.players.clone(),
            description: call.description.clone(),
            location: call.position_descriptor.clone(),
            position: call.position,
            started_at: call.started_at,
        }
    }

    /// Is `other` (same call number) the same call, seen again?
    pub fn same_call(&self, other: &CallState) -> bool {
        (self.started_at - other.started_at).abs() <= SAME_CALL_TOLERANCE_SECS
    }
}

/// What the tracker knows about a server after a poll. A section is `None` when it was not
/// requested, so a section the wiring starts asking for later is a baseline, not a flood.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WorldState {
    /// The server's name as set in game; untrusted text.
    pub name: String,
    /// `CurrentPlayers > 0`: an empty ER:LC server is shut down by the game.
    pub online: bool,
    /// Players in the server, as PRC counts them (0 once PRC says it is offline).
    pub current_players: u32,
    /// Players in the server by Roblox user id (players PRC sent without one are left out).
    pub players: Option<BTreeMap<u64, PlayerState>>,
    /// Roblox user ids of players waiting to join, in queue order.
    pub queue: Option<Vec<u64>>,
    /// Sorted, so equal sets compare equal.
    pub vehicles: Option<Vec<VehicleState>>,
    /// Active 911 calls by PRC call number.
    pub calls: Option<BTreeMap<i64, CallState>>,
}

impl WorldState {
    /// Project a snapshot. Players without a user id cannot be told apart and are left out.
    pub fn from_snapshot(snapshot: &V2Server) -> Self {
        let players = snapshot.players.as_ref().map(|players| {
            players
                .iter()
                .filter_map(|p| {
                    let id = p.player.id?;
                    let state = PlayerState {
                        name: p.player.name.clone(),
                        team: p.team.as_str().to_owned(),
                        permission: p.permission.as_str().to_owned(),
                        callsign: p.callsign.clone(),
                        wanted: p.wanted_stars.unwrap_or(0),
                    };
                    Some((id, state))
                })
                .collect()
        });
        let vehicles = snapshot.vehicles.as_ref().map(|vehicles| {
            let mut list: Vec<VehicleState> = vehicles
                .iter()
                .map(|v| VehicleState {
                    owner: v.owner.clone(),
                    name: v.name.clone(),
                    plate: v.plate.clone(),
                    colour: v.color_name.clone().or_else(|| v.color_hex.clone()),
                })
                .collect();
            list.sort();
            list
        });
        let calls = snapshot.emergency_calls.as_ref().map(|calls| {
            calls
                .iter()
                .map(|c| (c.call_number, CallState::from_call(c)))
                .collect()
        });
        Self {
            name: snapshot.info.name.clone(),
            online: snapshot.info.current_players > 0,
            current_players: snapshot.info.current_players,
            players,
            queue: snapshot.queue.clone(),
            vehicles,
            calls,
        }
    }

    /// The server after PRC said it is offline (3002): nobody in it, nothing spawned, no
    /// calls. Sections keep their known/unknown shape so the diff reports who left.
    pub fn offline_after(previous: Option<&WorldState>) -> Self {
        match previous {
            Some(prev) => Self {
                name: prev.name.clone(),
                online: false,
                current_players: 0,
                players: emptied(&prev.players),
                queue: emptied(&prev.queue),
                vehicles: emptied(&prev.vehicles),
                calls: emptied(&prev.calls),
            },
            None => Self::default(),
        }
    }

    /// Keep the first-seen start time of calls that continue from `previous`.
    pub fn carry_over(&mut self, previous: &WorldState) {
        let (Some(calls), Some(before)) = (self.calls.as_mut(), previous.calls.as_ref()) else {
            return;
        };
        for (number, call) in calls.iter_mut() {
            if let Some(old) = before.get(number).filter(|old| old.same_call(call)) {
                call.started_at = old.started_at;
            }
        }
    }

    /// The player with this id, if the snapshot had them.
    pub fn player(&self, id: u64) -> Option<&PlayerState> {
        self.players.as_ref()?.get(&id)
    }
}

/// An empty section where one was known, `None` where it was not.
fn emptied<T: Default>(section: &Option<T>) -> Option<T> {
    section.as_ref().map(|_| T::default())
}

/// Look players up in the newer view first, then the older one (someone who just left).
#[derive(Clone, Copy)]
pub struct Roster<'a> {
    /// The world just read.
    pub newer: &'a WorldState,
    /// The world of the previous poll; `None` on the first.
    pub older: Option<&'a WorldState>,
}

impl Roster<'_> {
    /// The player with this user id, in the newer world or else the older one.
    pub fn find(&self, id: u64) -> Option<&PlayerState> {
        self.newer
            .player(id)
            .or_else(|| self.older.and_then(|w| w.player(id)))
    }

    /// A player known only by id: enriched when the roster has them.
    pub fn info_by_id(&self, id: u64) -> PlayerInfo {
        match self.find(id) {
            Some(state) => state.info(id),
            None => PlayerInfo {
                name: id.to_string(),
                id: Some(id),
                ..PlayerInfo::default()
            },
        }
    }

    /// A player named by a log row: team, permission and callsign added when known.
    pub fn info(&self, name: &str, id: Option<u64>) -> PlayerInfo {
        match id.and_then(|id| self.find(id).map(|s| s.info(id))) {
            Some(mut info) => {
                info.name = name.to_owned();
                info
            }
            None => PlayerInfo {
                name: name.to_owned(),
                id,
                ..PlayerInfo::default()
            },
        }
    }

    /// A 911 call as events carry it, with caller and responders looked up by id.
    pub fn call_info(&self, number: i64, call: &CallState) -> EmergencyCallInfo {
        EmergencyCallInfo {
            call_number: number,
            team: call.team.clone(),
            caller: call.caller.map(|id| self.info_by_id(id)),
            responders: call
                .responders
                .iter()
                .map(|id| self.info_by_id(*id))
                .collect(),
            description: call.description.clone(),
            location: call.location.clone(),
            position: Some(call.position),
            started_at: call.started_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(json: serde_json::Value) -> V2Server {
        serde_json::from_value(json).unwrap()
    }

    fn base(extra: serde_json::Value) -> serde_json::Value {
        let mut value = serde_json::json!({
            "Name": "RP", "OwnerId": 1, "CoOwnerIds": [], "CurrentPlayers": 2, "MaxPlayers": 40,
            "JoinKey": "k", "AccVerifiedReq": "Disabled", "TeamBalance": false
        });
        if let (Some(map), serde_json::Value::Object(more)) = (value.as_object_mut(), extra) {
            map.extend(more);
        }
        value
    }

    #[test]
    fn projects_players_vehicles_and_calls() {
        let world = WorldState::from_snapshot(&snapshot(base(serde_json::json!({
            "Players": [
                {"Player": "Mod:10", "Permission": "Server Moderator", "Team": "Police", "Callsign": "P-1", "WantedStars": 0},
                {"Player": "NoId", "Permission": "Normal", "Team": "Civilian"}
            ],
            "Vehicles": [
                {"Name": "B", "Owner": "Mod", "Plate": "X1", "ColorName": "Navy"},
                {"Name": "A", "Owner": "Mod"}
            ],
            "EmergencyCalls": [{"Team": "Police", "Caller": 10, "Players": [], "Position": [1, 2],
                "StartedAt": 100, "CallNumber": 3}]
        }))));
        assert!(world.online);
        let players = world.players.as_ref().unwrap();
        assert_eq!(players.len(), 1, "players without ids are left out");
        assert!(players[&10].is_staff());
        let names: Vec<_> = world
            .vehicles
            .as_ref()
            .unwrap()
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(world.calls.as_ref().unwrap()[&3].started_at, 100);
        assert_eq!(world.queue, None, "not requested");
    }

    #[test]
    fn carry_over_keeps_start_time_of_the_same_call_only() {
        let call = |started_at| CallState {
            team: "Police".into(),
            caller: None,
            responders: vec![],
            description: None,
            location: None,
            position: [0.0, 0.0],
            started_at,
        };
        let before = WorldState {
            calls: Some(BTreeMap::from([(1, call(100)), (2, call(100))])),
            ..WorldState::default()
        };
        let mut after = WorldState {
            calls: Some(BTreeMap::from([(1, call(101)), (2, call(5_000))])),
            ..WorldState::default()
        };
        after.carry_over(&before);
        let calls = after.calls.unwrap();
        assert_eq!(calls[&1].started_at, 100);
        assert_eq!(calls[&2].started_at, 5_000, "a reused number is a new call");
    }

    #[test]
    fn offline_keeps_section_shape_and_empties_it() {
        let before = WorldState {
            name: "RP".into(),
            online: true,
            current_players: 3,
            players: Some(BTreeMap::new()),
            ..WorldState::default()
        };
        let after = WorldState::offline_after(Some(&before));
        assert_eq!(after.name, "RP");
        assert!(!after.online);
        assert_eq!(after.players, Some(BTreeMap::new()));
        assert_eq!(after.vehicles, None);
    }
}
