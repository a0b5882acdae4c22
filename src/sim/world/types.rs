//! The data a simulated server holds: players, logs, calls, vehicles, staff and the records
//! tests read back (messages, applied commands).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Team of everyone not on a service team.
pub const CIVILIAN: &str = "Civilian";
/// Team of jailed players.
pub const JAIL: &str = "Jail";
/// Permission of players without a staff rank.
pub const NORMAL: &str = "Normal";
/// Lowest staff permission.
pub const HELPER: &str = "Server Helper";
/// Staff permission above helper.
pub const MODERATOR: &str = "Server Moderator";
/// Staff permission above moderator.
pub const ADMINISTRATOR: &str = "Server Administrator";
/// Permission of the server's co-owners.
pub const CO_OWNER: &str = "Server Co-Owner";
/// Permission of the server's owner.
pub const OWNER: &str = "Server Owner";

/// The 8 base fields of `GET /v1/server` (CurrentPlayers is derived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The server's in-game name.
    pub name: String,
    /// Roblox user id of the owner.
    pub owner_id: u64,
    /// Roblox user ids of the co-owners.
    pub co_owner_ids: Vec<u64>,
    /// Player cap.
    pub max_players: u32,
    /// Code players type to join.
    pub join_key: String,
    /// Account verification needed to join: `Disabled`, `Email` or `Phone/ID`.
    pub acc_verified_req: String,
    /// Whether team balance is on.
    pub team_balance: bool,
}

/// Where a player stands (v2 `Location`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// East–west coordinate in world units.
    pub x: f64,
    /// North–south coordinate in world units.
    pub z: f64,
    /// Postal code of the area.
    pub postal: String,
    /// Nearest street.
    pub street: String,
    /// Building number; empty when there is none.
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

/// A player in the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Player {
    /// Roblox username.
    pub name: String,
    /// Roblox user id.
    pub id: u64,
    /// Team, e.g. `Police`; see [`CIVILIAN`] and [`JAIL`].
    pub team: String,
    /// Permission string, e.g. [`MODERATOR`].
    pub permission: String,
    /// Callsign; generated ones are `None` for civilians and jailed players.
    pub callsign: Option<String>,
    /// Where they stand.
    pub location: Location,
    /// Wanted level, 0 = not wanted.
    pub wanted_stars: u32,
    /// Team to return to on `:unjail`.
    pub team_before_jail: Option<String>,
}

/// What a test asks for when it adds a player; unset fields are generated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlayerSpec {
    /// Username; a generated Roblox-like name when `None`.
    pub name: Option<String>,
    /// User id; a fresh id above 2^32 when `None`.
    pub id: Option<u64>,
    /// Team; [`CIVILIAN`] when `None`.
    pub team: Option<String>,
    /// Permission; from ownership and the staff lists when `None`.
    pub permission: Option<String>,
    /// Callsign; derived from team and id when `None`.
    pub callsign: Option<String>,
    /// Where they appear; [`Location::default`] when `None`.
    pub location: Option<Location>,
    /// Wanted stars at join.
    pub wanted_stars: u32,
}

impl PlayerSpec {
    /// A player with this username and everything else generated.
    pub fn named(name: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            ..Self::default()
        }
    }

    /// Use this user id.
    pub fn with_id(mut self, id: u64) -> Self {
        self.id = Some(id);
        self
    }

    /// Start on this team.
    pub fn with_team(mut self, team: &str) -> Self {
        self.team = Some(team.to_owned());
        self
    }

    /// Start with this permission string.
    pub fn with_permission(mut self, permission: &str) -> Self {
        self.permission = Some(permission.to_owned());
        self
    }
}

/// A join-log row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinLog {
    /// True for a join, false for a leave.
    pub join: bool,
    /// Unix seconds.
    pub timestamp: i64,
    /// Username at the time.
    pub name: String,
    /// User id.
    pub id: u64,
}

/// A kill-log row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillLog {
    /// Username and user id of who died.
    pub killed: (String, u64),
    /// Username and user id of who killed.
    pub killer: (String, u64),
    /// Unix seconds.
    pub timestamp: i64,
}

/// Who ran a command: a player, or the API (`Remote Server`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SimActor {
    /// Sent through the API; logged as `Remote Server` with no id.
    RemoteServer,
    /// Typed in game by a player.
    Player {
        /// Their username.
        name: String,
        /// Their user id.
        id: u64,
    },
}

/// A command-log row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandLog {
    /// Who ran it.
    pub actor: SimActor,
    /// Full command text, leading `:` included.
    pub command: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// A mod-call row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModCall {
    /// Stable number used to answer it later (survives the retention window moving).
    pub seq: u64,
    /// Username and user id of the caller.
    pub caller: (String, u64),
    /// Username and user id of the moderator who answered; `None` until one does.
    pub moderator: Option<(String, u64)>,
    /// Unix seconds of the call.
    pub timestamp: i64,
}

/// An active 911 call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyCall {
    /// PRC's `CallNumber`, counting up from 1 per server.
    pub call_number: u64,
    /// Service called, e.g. `Police`.
    pub team: String,
    /// User id of the caller.
    pub caller: Option<u64>,
    /// User ids of the responders.
    pub players: Vec<u64>,
    /// `[x, z]` where the call was placed, rounded to whole units as PRC often sends it.
    pub position: [f64; 2],
    /// Unix seconds.
    pub started_at: i64,
    /// What the caller typed; `None` when empty.
    pub description: Option<String>,
    /// Readable place, e.g. `Main Street, Postal 100`.
    pub position_descriptor: Option<String>,
}

/// A spawned vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    /// Simulator-only number used to despawn it; never sent.
    pub seq: u64,
    /// Model, `<year> <model>`.
    pub name: String,
    /// Owner's username (all PRC sends).
    pub owner: String,
    /// Owner's user id, so the vehicle despawns when they leave.
    pub owner_id: u64,
    /// Licence plate (v2 only).
    pub plate: String,
    /// Livery; `None` is sent as `null`.
    pub texture: Option<String>,
    /// Paint colour as `#RRGGBB` (v2 only).
    pub color_hex: String,
    /// Paint colour's name (v2 only).
    pub color_name: String,
}

/// What a test asks for when it spawns a vehicle; unset fields get defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VehicleSpec {
    /// Model; a 2019 Falcon Interceptor Utility when `None`.
    pub name: Option<String>,
    /// Plate; a random `SIM nnn` when `None`.
    pub plate: Option<String>,
    /// Livery; none when `None`.
    pub texture: Option<String>,
    /// Colour code; `#1F2A44` when `None`.
    pub color_hex: Option<String>,
    /// Colour name; `Navy` when `None`.
    pub color_name: Option<String>,
}

/// Staff lists by rank, user id → username (co-owners live in [`ServerInfo`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffMaps {
    /// Server administrators.
    pub admins: BTreeMap<u64, String>,
    /// Server moderators.
    pub mods: BTreeMap<u64, String>,
    /// Server helpers.
    pub helpers: BTreeMap<u64, String>,
}

/// Server-wide settings changed by commands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerFlags {
    /// Hour of day from `:time` (0 to 24); `None` until set.
    pub time: Option<f64>,
    /// Weather word from `:weather`; `None` until set.
    pub weather: Option<String>,
    /// Priority countdown in seconds from `:prty`; `None` when off.
    pub priority_secs: Option<u64>,
    /// Peace timer in seconds from `:pt`; `None` when off.
    pub peace_timer_secs: Option<u64>,
    /// Fire kind from `:startfire`; `None` when no fire burns.
    pub fire: Option<String>,
    /// Map layout from `:loadlayout`; `None` when none is loaded.
    pub layout: Option<String>,
}

/// Kind of a broadcast recorded for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    /// `:h`, the banner at the top of the screen.
    Hint,
    /// `:m`, the announcement popup.
    Message,
    /// `:pm`, a popup to some players.
    PrivateMessage,
}

/// An `:h`, `:m` or `:pm` that reached the game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// Which command sent it.
    pub kind: MessageKind,
    /// Resolved recipients (player ids); empty for server-wide kinds.
    pub targets: Vec<u64>,
    /// The text shown.
    pub text: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// A command after parsing and target resolution, as applied to the world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedCommand {
    /// Canonical command name (aliases resolved), without `:`.
    pub name: String,
    /// User ids the command acted on after resolving names, `all` and `others`.
    pub targets: Vec<u64>,
    /// Everything after the command name, unchanged.
    pub argument: String,
    /// Unix seconds.
    pub timestamp: i64,
}
