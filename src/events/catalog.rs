//! The event vocabulary: every kind of event the tracker and webhooks produce, with its typed
//! payload. The type string is `<server label>/<kind>`; the payload is stored as JSON.
//! Producers build an [`EventPayload`]; consumers (feeds, commands) decode it back.

use serde::{Deserialize, Serialize};

use super::event::NewEvent;
use super::types::{EventType, EventTypeError};

/// A player as events describe them. Team and permission are the game's strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PlayerInfo {
    pub name: String,
    /// Roblox user id; `None` for `Remote Server` (commands sent through the API).
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
}

/// An active or ended 911 call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyCallInfo {
    pub call_number: i64,
    pub team: String,
    pub caller: Option<PlayerInfo>,
    pub responders: Vec<PlayerInfo>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub position: Option<[f64; 2]>,
    pub started_at: i64,
}

/// Someone an event concerns, as [`EventPayload::players`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Involved<'a> {
    /// A player as the game described them in the event.
    Player(&'a PlayerInfo),
    /// A Roblox user the event knows only by id (queue entries, bans).
    User(u64),
}

impl<'a> Involved<'a> {
    /// The Roblox user id, when known (`Remote Server` has none).
    pub fn id(self) -> Option<u64> {
        match self {
            Self::Player(player) => player.id,
            Self::User(id) => Some(id),
        }
    }

    /// The team the game reported for them, when it did.
    pub fn team(self) -> Option<&'a str> {
        match self {
            Self::Player(player) => player.team.as_deref(),
            Self::User(_) => None,
        }
    }
}

/// Every event kind with its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventPayload {
    /// `player/join`: a join-log entry.
    PlayerJoin { player: PlayerInfo },
    /// `player/leave`: a leave-log entry.
    PlayerLeave { player: PlayerInfo },
    /// `player/team`
    PlayerTeam {
        player: PlayerInfo,
        from: String,
        to: String,
    },
    /// `player/permission`
    PlayerPermission {
        player: PlayerInfo,
        from: String,
        to: String,
    },
    /// `player/wanted`: wanted stars changed.
    PlayerWanted {
        player: PlayerInfo,
        from: u32,
        to: u32,
    },
    /// `staff/join`: a player with a staff permission came online.
    StaffJoin { player: PlayerInfo },
    /// `staff/leave`
    StaffLeave { player: PlayerInfo },
    /// `queue/join`
    QueueJoin { user_id: u64, position: u32 },
    /// `queue/leave`
    QueueLeave { user_id: u64 },
    /// `vehicle/spawn`
    VehicleSpawn {
        owner: String,
        name: String,
        plate: Option<String>,
        colour: Option<String>,
    },
    /// `vehicle/despawn`
    VehicleDespawn {
        owner: String,
        name: String,
        plate: Option<String>,
    },
    /// `kill`: a kill-log entry.
    Kill {
        killer: PlayerInfo,
        killed: PlayerInfo,
    },
    /// `command`: a command-log entry (in game or through the API).
    Command { player: PlayerInfo, command: String },
    /// `modcall/new`
    ModCallNew {
        /// Stable identity of the call: caller id (or name) and call time.
        call_key: String,
        caller: PlayerInfo,
    },
    /// `modcall/answered`
    ModCallAnswered {
        call_key: String,
        caller: PlayerInfo,
        moderator: PlayerInfo,
    },
    /// `emergency/started`
    EmergencyStarted { call: EmergencyCallInfo },
    /// `emergency/responded`: responders changed.
    EmergencyResponded { call: EmergencyCallInfo },
    /// `emergency/ended`
    EmergencyEnded { call: EmergencyCallInfo },
    /// `server/online`
    ServerOnline { name: String, players: u32 },
    /// `server/offline`
    ServerOffline { name: String },
    /// `ban/added`
    BanAdded { user_id: u64, name: String },
    /// `ban/removed`
    BanRemoved { user_id: u64, name: String },
    /// `customcommand`: a `;` command typed in game (event webhook).
    CustomCommand {
        player: PlayerInfo,
        command: String,
        argument: String,
    },
    /// `feed/gap`: the bot was away longer than PRC's log window covers.
    FeedGap {
        /// Unix seconds of the last poll before the gap.
        since: i64,
        /// Unix seconds of the first poll after it.
        until: i64,
        /// Which logs may have lost entries.
        logs: Vec<String>,
    },
}

impl EventPayload {
    /// The kind part of the event type, e.g. `player/join`.
    pub fn kind(&self) -> &'static str {
        use EventPayload::*;
        match self {
            PlayerJoin { .. } => "player/join",
            PlayerLeave { .. } => "player/leave",
            PlayerTeam { .. } => "player/team",
            PlayerPermission { .. } => "player/permission",
            PlayerWanted { .. } => "player/wanted",
            StaffJoin { .. } => "staff/join",
            StaffLeave { .. } => "staff/leave",
            QueueJoin { .. } => "queue/join",
            QueueLeave { .. } => "queue/leave",
            VehicleSpawn { .. } => "vehicle/spawn",
            VehicleDespawn { .. } => "vehicle/despawn",
            Kill { .. } => "kill",
            Command { .. } => "command",
            ModCallNew { .. } => "modcall/new",
            ModCallAnswered { .. } => "modcall/answered",
            EmergencyStarted { .. } => "emergency/started",
            EmergencyResponded { .. } => "emergency/responded",
            EmergencyEnded { .. } => "emergency/ended",
            ServerOnline { .. } => "server/online",
            ServerOffline { .. } => "server/offline",
            BanAdded { .. } => "ban/added",
            BanRemoved { .. } => "ban/removed",
            CustomCommand { .. } => "customcommand",
            FeedGap { .. } => "feed/gap",
        }
    }

    /// Everyone the event concerns: the players it names (a kill's killer and victim, a
    /// 911 call's caller and responders, …) and the users it knows only by id (queue, bans).
    /// The one place that knows which fields of each kind name a player: timelines
    /// ([`player_ids`](Self::player_ids)) and the feeds' team and player filters derive from it.
    pub fn players(&self) -> impl Iterator<Item = Involved<'_>> {
        use EventPayload::*;
        use Involved::{Player, User};
        let (first, second, others): (Option<Involved<'_>>, Option<Involved<'_>>, &[PlayerInfo]) =
            match self {
                PlayerJoin { player }
                | PlayerLeave { player }
                | PlayerTeam { player, .. }
                | PlayerPermission { player, .. }
                | PlayerWanted { player, .. }
                | StaffJoin { player }
                | StaffLeave { player }
                | Command { player, .. }
                | CustomCommand { player, .. }
                | ModCallNew { caller: player, .. } => (Some(Player(player)), None, &[]),
                ModCallAnswered {
                    caller, moderator, ..
                } => (Some(Player(caller)), Some(Player(moderator)), &[]),
                Kill { killer, killed } => (Some(Player(killer)), Some(Player(killed)), &[]),
                QueueJoin { user_id, .. }
                | QueueLeave { user_id }
                | BanAdded { user_id, .. }
                | BanRemoved { user_id, .. } => (Some(User(*user_id)), None, &[]),
                EmergencyStarted { call }
                | EmergencyResponded { call }
                | EmergencyEnded { call } => {
                    (call.caller.as_ref().map(Player), None, &call.responders)
                }
                VehicleSpawn { .. }
                | VehicleDespawn { .. }
                | ServerOnline { .. }
                | ServerOffline { .. }
                | FeedGap { .. } => (None, None, &[]),
            };
        first
            .into_iter()
            .chain(second)
            .chain(others.iter().map(Player))
    }

    /// Roblox ids of the players involved, sorted and each once, for player timelines.
    pub fn player_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.players().filter_map(Involved::id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The full event type for a server label.
    pub fn event_type(&self, server_label: &str) -> Result<EventType, EventTypeError> {
        EventType::parse(&format!("{server_label}/{}", self.kind()))
    }

    /// Package as a [`NewEvent`] ready for the store.
    pub fn into_new_event(
        self,
        server_label: &str,
        source_time: i64,
        dedupe_key: Option<String>,
    ) -> Result<NewEvent, EventTypeError> {
        let event_type = self.event_type(server_label)?;
        let players = self.player_ids();
        let payload = serde_json::to_value(&self).unwrap_or(serde_json::Value::Null);
        Ok(NewEvent {
            event_type,
            source_time,
            players,
            payload,
            dedupe_key,
        })
    }

    /// Decode a stored payload. `None` if it is not one we know (e.g. written by a newer bot).
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(value.clone()).ok()
    }
}

/// Which moment of a 911 call an event records, for [`emergency_dedupe_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPhase {
    Started,
    Ended,
}

impl CallPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            CallPhase::Started => "started",
            CallPhase::Ended => "ended",
        }
    }
}

/// The store dedupe key of an `emergency/started` or `emergency/ended` event. The tracker
/// (polling `EmergencyCalls`) and the webhook receiver (`EmergencyCallStarted/Ended`) both use
/// it, so one call reported both ways is stored — and posted — once. The start time is part
/// of the key because call numbers restart when a server restarts; it is also the time feeds
/// use for the card's identity (`emergency:<call number>-<started at>`).
pub fn emergency_dedupe_key(call_number: i64, started_at: i64, phase: CallPhase) -> String {
    format!("emergency:{call_number}-{started_at}:{}", phase.as_str())
}

/// Every kind the bot can produce, for help texts, validation and the README.
pub const ALL_KINDS: &[&str] = &[
    "player/join",
    "player/leave",
    "player/team",
    "player/permission",
    "player/wanted",
    "staff/join",
    "staff/leave",
    "queue/join",
    "queue/leave",
    "vehicle/spawn",
    "vehicle/despawn",
    "kill",
    "command",
    "modcall/new",
    "modcall/answered",
    "emergency/started",
    "emergency/responded",
    "emergency/ended",
    "server/online",
    "server/offline",
    "ban/added",
    "ban/removed",
    "customcommand",
    "feed/gap",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::fixtures::{self, every_kind};

    fn p(name: &str, id: u64) -> PlayerInfo {
        PlayerInfo {
            name: name.into(),
            id: Some(id),
            ..Default::default()
        }
    }

    #[test]
    fn every_kind_is_listed_valid_and_round_trips() {
        let samples = every_kind();
        let kinds: Vec<&str> = samples.iter().map(EventPayload::kind).collect();
        assert_eq!(
            kinds, ALL_KINDS,
            "one sample per listed kind, in catalog order"
        );
        for payload in samples {
            let kind = payload.kind();
            let ev = payload.clone().into_new_event("main", 10, None).unwrap();
            assert_eq!(ev.event_type.as_str(), format!("main/{kind}"));
            assert_eq!(ev.players, payload.player_ids(), "{kind}");
            assert!(ev.players.windows(2).all(|w| w[0] < w[1]), "{kind}");
            assert_eq!(
                EventPayload::from_json(&ev.payload),
                Some(payload),
                "{kind}"
            );
        }
    }

    #[test]
    fn players_are_everyone_the_event_names() {
        let kill = EventPayload::Kill {
            killer: p("a", 5_873_310_294),
            killed: p("b", 2),
        };
        assert_eq!(kill.player_ids(), vec![2, 5_873_310_294]);
        let mut call = fixtures::call(4, vec![p("r1", 7), p("r2", 8), p("again", 7)]);
        call.caller = Some(PlayerInfo {
            name: "Remote Server".into(),
            ..Default::default()
        });
        let responded = EventPayload::EmergencyResponded { call };
        assert_eq!(responded.players().count(), 4, "caller and every responder");
        assert_eq!(
            responded.player_ids(),
            vec![7, 8],
            "no id for Remote Server"
        );
        let teams: Vec<Option<&str>> = responded.players().map(Involved::team).collect();
        assert_eq!(teams, [None, None, None, None]);
        let banned = EventPayload::BanAdded {
            user_id: 9,
            name: "x".into(),
        };
        assert_eq!(banned.players().collect::<Vec<_>>(), [Involved::User(9)]);
        let offline = EventPayload::ServerOffline { name: "x".into() };
        assert_eq!(offline.players().count(), 0);
    }

    #[test]
    fn emergency_keys_differ_by_call_start_and_phase() {
        let started = emergency_dedupe_key(18, 1_767_226_210, CallPhase::Started);
        assert_eq!(started, "emergency:18-1767226210:started");
        assert_ne!(
            started,
            emergency_dedupe_key(18, 1_767_226_210, CallPhase::Ended)
        );
        assert_ne!(
            started,
            emergency_dedupe_key(18, 1_767_226_211, CallPhase::Started)
        );
        assert_ne!(
            started,
            emergency_dedupe_key(1, 81_767_226_210, CallPhase::Started)
        );
    }

    #[test]
    fn unknown_payload_is_none_not_a_panic() {
        assert_eq!(
            EventPayload::from_json(&serde_json::json!({"kind": "future"})),
            None
        );
        assert_eq!(EventPayload::from_json(&serde_json::json!(7)), None);
    }
}
