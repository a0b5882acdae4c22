//! Typed models of PRC API responses, decoded tolerantly: unknown enum strings and unknown
//! fields are kept (and written back), PRC's quirks (`[]` for empty id maps, `"Remote Server"`
//! players, absent-or-null optionals, integer coordinates) decode cleanly, and malformed input
//! is a serde error, never a panic.

mod emergency;
mod enums;
mod id_map;
mod include;
mod logs;
mod player_ref;
mod server;
mod staff;
mod v2;
mod vehicles;

#[cfg(test)]
mod tests;

pub use emergency::EmergencyCall;
pub use enums::{AccVerifiedReq, Permission, Team};
pub use id_map::IdMap;
pub use include::Include;
pub use logs::{CommandLog, JoinLog, KillLog, ModCall};
pub use player_ref::{PlayerRef, REMOTE_SERVER_NAME};
pub use server::{Location, Player, ServerInfo};
pub use staff::{Bans, StaffV1, StaffV2};
pub use v2::{CommandResponse, V2Server};
pub use vehicles::Vehicle;

/// Unknown JSON fields kept on every model so they survive a decode/encode round trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;
