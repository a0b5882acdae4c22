//! The data a simulated server holds: players, logs, calls, vehicles, staff and the records
//! tests read back (messages, applied commands).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const CIVILIAN: &str = "Civilian";
pub const JAIL: &str = "Jail";
pub const NORMAL: &str = "Normal";
pub const HELPER: &str = "Server Helper";
pub const MODERATOR: &str = "Server Moderator";
pub const ADMINISTRATOR: &str = "Server Administrator";
pub const CO_OWNER: &str = "Server Co-Owner";
pub const OWNER: &str = "Server Owner";

/// The 8 base fields of `GET /v1/server` (CurrentPlayers is derived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub name: String,
    pub owner_id: u64,
    pub co_owner_ids: Vec<u64>,
    pub max_players: u32,
    pub join_key: String,
    pub acc_verified_req: String,
    pub team_balance: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub x: f64,
    pub z: f64,
    pub postal: String,
    pub street: String,
    pub building: String,
}

impl Default for Location {
    fn default() -> Self {
        Self {
            x: 0.0,
            z: 0.0,
            postal: "100".to_owned(),
            street: "Main Street".to_owned(),
            building: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Player {
    pub name: String,
    pub id: u64,
    pub team: String,
    pub permission: String,
    pub callsign: Option<String>,
    pub location: Location,
    pub wanted_stars: u32,
    /// Team to return to on `:unjail`.
    pub team_before_jail: Option<String>,
}

/// What a test asks for when it adds a player; unset fields are generated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlayerSpec {
    pub name: Option<String>,
    pub id: Option<u64>,
    pub team: Option<String>,
    pub permission: Option<String>,
    pub callsign: Option<String>,
    pub location: Option<Location>,
    pub wanted_stars: u32,
}

impl PlayerSpec {
    pub fn named(name: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            ..Self::default()
        }
    }

    pub fn with_id(mut self, id: u64) -> Self {
        self.id = Some(id);
        self
    }

    pub fn with_team(mut self, team: &str) -> Self {
        self.team = Some(team.to_owned());
        self
    }

    pub fn with_permission(mut self, permission: &str) -> Self {
        self.permission = Some(permission.to_owned());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinLog {
    pub join: bool,
    pub timestamp: i64,
    pub name: String,
    pub id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillLog {
    pub killed: (String, u64),
    pub killer: (String, u64),
    pub timestamp: i64,
}

/// Who ran a command: a player, or the API (`Remote Server`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Actor {
    RemoteServer,
    Player { name: String, id: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandLog {
    pub actor: Actor,
    pub command: String,
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModCall {
    /// Stable number used to answer it later (survives the retention window moving).
    pub seq: u64,
    pub caller: (String, u64),
    pub moderator: Option<(String, u64)>,
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyCall {
    pub call_number: u64,
    pub team: String,
    pub caller: Option<u64>,
    pub players: Vec<u64>,
    pub position: [f64; 2],
    pub started_at: i64,
    pub description: Option<String>,
    pub position_descriptor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    pub seq: u64,
    pub name: String,
    pub owner: String,
    pub owner_id: u64,
    pub plate: String,
    pub texture: Option<String>,
    pub color_hex: String,
    pub color_name: String,
}

/// What a test asks for when it spawns a vehicle; unset fields get defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VehicleSpec {
    pub name: Option<String>,
    pub plate: Option<String>,
    pub texture: Option<String>,
    pub color_hex: Option<String>,
    pub color_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffMaps {
    pub admins: BTreeMap<u64, String>,
    pub mods: BTreeMap<u64, String>,
    pub helpers: BTreeMap<u64, String>,
}

/// Server-wide settings changed by commands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerFlags {
    pub time: Option<f64>,
    pub weather: Option<String>,
    pub priority_secs: Option<u64>,
    pub peace_timer_secs: Option<u64>,
    pub fire: Option<String>,
    pub layout: Option<String>,
}

/// Kind of a broadcast recorded for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    Hint,
    Message,
    PrivateMessage,
}

/// An `:h`, `:m` or `:pm` that reached the game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub kind: MessageKind,
    /// Resolved recipients (player ids); empty for server-wide kinds.
    pub targets: Vec<u64>,
    pub text: String,
    pub timestamp: i64,
}

/// A command after parsing and target resolution, as applied to the world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedCommand {
    /// Canonical command name (aliases resolved), without `:`.
    pub name: String,
    pub targets: Vec<u64>,
    pub argument: String,
    pub timestamp: i64,
}
