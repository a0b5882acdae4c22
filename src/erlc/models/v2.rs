//! `GET /v2/server` (base server fields plus requested sections) and the command response.

use serde::{Deserialize, Serialize};

use super::{
    CommandLog, EmergencyCall, Extra, JoinLog, KillLog, ModCall, Player, ServerInfo, StaffV2,
    Vehicle,
};

/// The answer to `GET /v2/server`. Each section is `None` when it was not requested (PRC omits
/// it). Unknown top-level fields are kept in `info.extra` (see [`V2Server::extra`]); this
/// struct deliberately has no `extra` of its own so nothing is stored or written twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V2Server {
    /// The base server fields, plus any unknown top-level fields.
    #[serde(flatten)]
    pub info: ServerInfo,
    /// Everyone online (`Players`).
    #[serde(rename = "Players", default, skip_serializing_if = "Option::is_none")]
    pub players: Option<Vec<Player>>,
    /// Admin, mod and helper lists (`Staff`).
    #[serde(rename = "Staff", default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<StaffV2>,
    /// Recent joins and leaves (`JoinLogs`).
    #[serde(rename = "JoinLogs", default, skip_serializing_if = "Option::is_none")]
    pub join_logs: Option<Vec<JoinLog>>,
    /// User ids waiting to join, first in line first (`Queue`).
    #[serde(rename = "Queue", default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Vec<u64>>,
    /// Recent kills (`KillLogs`).
    #[serde(rename = "KillLogs", default, skip_serializing_if = "Option::is_none")]
    pub kill_logs: Option<Vec<KillLog>>,
    /// Recent commands (`CommandLogs`).
    #[serde(
        rename = "CommandLogs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub command_logs: Option<Vec<CommandLog>>,
    /// Recent mod calls (`ModCalls`).
    #[serde(rename = "ModCalls", default, skip_serializing_if = "Option::is_none")]
    pub mod_calls: Option<Vec<ModCall>>,
    /// Active 911 calls (`EmergencyCalls`).
    #[serde(
        rename = "EmergencyCalls",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub emergency_calls: Option<Vec<EmergencyCall>>,
    /// Spawned vehicles (`Vehicles`).
    #[serde(rename = "Vehicles", default, skip_serializing_if = "Option::is_none")]
    pub vehicles: Option<Vec<Vehicle>>,
}

impl V2Server {
    /// Top-level fields this client does not know.
    pub fn extra(&self) -> &Extra {
        &self.info.extra
    }
}

/// Success body of `POST /v1|v2/server/command`: `{"message":"Success"}`, maybe with a
/// `commandId`. (An empty body is also a success; the transport handles that.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandResponse {
    /// PRC's `message`, normally `Success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// An id PRC may give the command (`commandId`).
    #[serde(rename = "commandId", default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}
