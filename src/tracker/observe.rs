//! What the tracker tells observers after each committed poll: the server's new world plus the
//! few snapshot facts the world does not keep (player locations, the player cap, the join code,
//! the mod calls in PRC's window). They ride beside the world instead of inside it because the
//! world is persisted with every checkpoint and diffed for events: locations change on nearly
//! every poll and would only grow the checkpoint and the diff's work.
//!
//! Observers get a `tokio::sync::broadcast` receiver: the tracker never waits on them. One that
//! falls behind sees `Lagged` and re-reads [`super::Tracker::latest_polled`].

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::erlc::models::{Location, V2Server};
use crate::events::catalog::{EventPayload, PlayerInfo};

use super::logs::{LogRead, LogSection};
use super::world::WorldState;

/// Changes buffered per observer before a slow one starts lagging (it then re-syncs).
pub(super) const OBSERVER_BUFFER: usize = 1024;

/// One mod call in PRC's window, under the key its events and cards use.
#[derive(Debug, Clone, PartialEq)]
pub struct ModCallSeen {
    /// The call's key, as in `modcall/new` (see `tracker::logs::call_key`).
    pub call_key: String,
    /// The player who asked for a moderator.
    pub caller: PlayerInfo,
    /// The moderator PRC says answered, once one did.
    pub answered_by: Option<PlayerInfo>,
    /// Unix seconds of the call.
    pub at: i64,
}

/// Snapshot facts beside the world (not persisted, not diffed for events).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotExtras {
    /// Player cap; `None` when PRC answered "offline" instead of a snapshot.
    pub max_players: Option<u32>,
    /// The code players type to join; `None` when offline.
    pub join_key: Option<String>,
    /// Where each player is, by Roblox user id (players PRC sent a location for).
    pub locations: BTreeMap<u64, Location>,
    /// The mod calls in PRC's window, oldest first.
    pub mod_calls: Vec<ModCallSeen>,
}

impl SnapshotExtras {
    /// Read from a snapshot and the log rows the poll derived from it.
    pub(super) fn from_snapshot(snapshot: &V2Server, logs: &LogRead) -> Self {
        let locations = snapshot
            .players
            .iter()
            .flatten()
            .filter_map(|p| Some((p.player.id?, p.location.clone()?)))
            .collect();
        Self {
            max_players: Some(snapshot.info.max_players),
            join_key: Some(snapshot.info.join_key.clone()),
            locations,
            mod_calls: mod_calls(logs),
        }
    }
}

/// The window's mod calls, from the rows the poll derived (so keys match the stored events).
fn mod_calls(logs: &LogRead) -> Vec<ModCallSeen> {
    let mut calls: Vec<ModCallSeen> = Vec::new();
    for row in logs.rows.iter().filter(|r| r.log == LogSection::ModCalls) {
        match &row.payload {
            EventPayload::ModCallNew { call_key, caller } => calls.push(ModCallSeen {
                call_key: call_key.clone(),
                caller: caller.clone(),
                answered_by: None,
                at: row.timestamp,
            }),
            EventPayload::ModCallAnswered {
                call_key,
                moderator,
                ..
            } => {
                if let Some(call) = calls.iter_mut().rev().find(|c| &c.call_key == call_key) {
                    call.answered_by = Some(moderator.clone());
                }
            }
            _ => {}
        }
    }
    calls.sort_by_key(|c| c.at);
    calls
}

/// A server as one successful poll left it.
#[derive(Debug, Clone)]
pub struct PolledServer {
    /// Discord guild id that owns the server.
    pub guild: u64,
    /// The guild's label for the server.
    pub label: String,
    /// The world the poll committed.
    pub world: Arc<WorldState>,
    /// What the snapshot said beside the world.
    pub extras: Arc<SnapshotExtras>,
    /// Unix seconds of the poll.
    pub polled_at: i64,
    /// PRC answered "offline" (3002) instead of a snapshot.
    pub prc_offline: bool,
}

/// What observers hear.
#[derive(Debug, Clone)]
pub enum ServerChange {
    /// A poll was committed.
    Polled(Arc<PolledServer>),
    /// The server is no longer tracked.
    Removed {
        /// Discord guild id.
        guild: u64,
        /// The guild's label for the server.
        label: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::logs::read_logs;
    use crate::tracker::world::Roster;

    #[test]
    fn extras_carry_locations_cap_code_and_the_windows_mod_calls() {
        let snapshot: V2Server = serde_json::from_value(serde_json::json!({
            "Name": "RP", "OwnerId": 1, "CoOwnerIds": [], "CurrentPlayers": 2, "MaxPlayers": 40,
            "JoinKey": "code", "AccVerifiedReq": "Disabled", "TeamBalance": false,
            "Players": [
                {"Player": "Mod:10", "Permission": "Server Moderator", "Team": "Police",
                 "Location": {"LocationX": 1.5, "LocationZ": -2, "PostalCode": "307"}},
                {"Player": "Civ:11", "Permission": "Normal", "Team": "Civilian"}
            ],
            "ModCalls": [
                {"Caller": "Civ:11", "Timestamp": 100},
                {"Caller": "Civ:11", "Moderator": "Mod:10", "Timestamp": 90}
            ]
        }))
        .unwrap();
        let world = WorldState::from_snapshot(&snapshot);
        let roster = Roster {
            newer: &world,
            older: None,
        };
        let logs = read_logs(&snapshot, roster, 200);
        let extras = SnapshotExtras::from_snapshot(&snapshot, &logs);
        assert_eq!(extras.max_players, Some(40));
        assert_eq!(extras.join_key.as_deref(), Some("code"));
        assert_eq!(extras.locations.keys().copied().collect::<Vec<_>>(), [10]);
        assert_eq!(extras.locations[&10].postal_code.as_deref(), Some("307"));
        let calls: Vec<(&str, i64, Option<&str>)> = extras
            .mod_calls
            .iter()
            .map(|c| {
                let by = c.answered_by.as_ref().map(|m| m.name.as_str());
                (c.call_key.as_str(), c.at, by)
            })
            .collect();
        assert_eq!(calls, [("11-90", 90, Some("Mod")), ("11-100", 100, None)]);
    }
}
