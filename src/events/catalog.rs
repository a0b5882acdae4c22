//! The event vocabulary: every kind of event the tracker and webhooks produce, with its typed
//! payload. The type string is `<server label>/<kind>`; the payload is stored as JSON.
//! Producers build an [`EventPayload`]; consumers (feeds, commands) decode it back.

use serde::{Deserialize, Serialize};

use super::event::NewEvent;
use super::types::{EventType, EventTypeError};

/// A player as events describe them. Team and permission are the game's strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PlayerInfo {
    /// Roblox username as the game reported it (`Remote Server` for API commands); untrusted text.
    pub name: String,
    /// Roblox user id; `None` for `Remote Server` (commands sent through the API).
    pub id: Option<u64>,
    /// In-game team (`Police`, `Civilian`, `Jail`, …); `None` when the player was not in the
    /// latest snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// PRC permission (`Normal`, `Server Moderator`, …); `None` when the player was not in the
    /// latest snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// Callsign on a non-civilian team; `None` for civilians or when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
}

/// An active or ended 911 call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyCallInfo {
    /// PRC's `CallNumber`; restarts when the game server restarts, so pair it with `started_at`.
    pub call_number: i64,
    /// Service called (`Police`, `Fire`, `DOT`); `unknown` when a webhook left it out.
    pub team: String,
    /// Who dialled 911; `None` when PRC sent no caller id.
    pub caller: Option<PlayerInfo>,
    /// Players responding to the call; empty while nobody has taken it.
    pub responders: Vec<PlayerInfo>,
    /// What the caller typed, if anything; untrusted text.
    pub description: Option<String>,
    /// PRC's readable place (`PositionDescriptor`, e.g. street and postal), if given.
    pub location: Option<String>,
    /// Map coordinates `[x, z]` in game world units; `None` when a webhook sent none.
    pub position: Option<[f64; 2]>,
    /// When the call was placed, in Unix seconds.
    pub started_at: i64,
}

/// A numbered case (punishment record) as its events describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInfo {
    /// The guild's case number.
    pub number: u64,
    /// Case type, such as `warning` or `temp_ban`.
    pub kind: String,
    /// The player it is about; untrusted text.
    pub player: PlayerInfo,
    /// Who filed it (Discord or in-game name); untrusted text.
    pub moderator: String,
    /// Why; untrusted text.
    pub reason: Option<String>,
    /// `pending`, `active`, `failed`, `voided` or `expired`.
    pub status: String,
    /// When a temp ban is lifted, Unix seconds.
    pub expires_at: Option<i64>,
}

/// A staff shift as its events describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftInfo {
    /// The guild's shift number.
    pub id: u64,
    /// Discord user id of the member on shift.
    pub member: u64,
    /// Their Discord display name, when the change came from Discord; untrusted text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_name: Option<String>,
    /// Their linked Roblox account, when known; untrusted text.
    pub player: Option<PlayerInfo>,
    /// Shift type, such as `general`.
    pub kind: String,
    /// How it was started: `discord`, `in_game`, `automatic` or `admin`.
    pub source: String,
    /// Seconds worked so far (breaks excluded, adjustments included).
    pub worked_secs: i64,
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
    PlayerJoin {
        /// The player who joined.
        player: PlayerInfo,
    },
    /// `player/leave`: a leave-log entry.
    PlayerLeave {
        /// The player who left.
        player: PlayerInfo,
    },
    /// `player/team`: a player changed team (for example was jailed, or went on duty).
    PlayerTeam {
        /// The player, with their new team.
        player: PlayerInfo,
        /// Team before the change.
        from: String,
        /// Team after the change.
        to: String,
    },
    /// `player/permission`: a player's PRC permission changed (a staff rank granted or taken).
    PlayerPermission {
        /// The player, with their new permission.
        player: PlayerInfo,
        /// Permission before the change.
        from: String,
        /// Permission after the change.
        to: String,
    },
    /// `player/wanted`: wanted stars changed.
    PlayerWanted {
        /// The player whose wanted level changed.
        player: PlayerInfo,
        /// Wanted stars before (0 = not wanted).
        from: u32,
        /// Wanted stars after (0 = not wanted).
        to: u32,
    },
    /// `staff/join`: a player with a staff permission came online.
    StaffJoin {
        /// The staff member who joined.
        player: PlayerInfo,
    },
    /// `staff/leave`: a player with a staff permission went offline.
    StaffLeave {
        /// The staff member who left.
        player: PlayerInfo,
    },
    /// `queue/join`: someone started waiting to get into a full server.
    QueueJoin {
        /// Roblox user id of the one waiting (the queue gives no names).
        user_id: u64,
        /// Place in the queue when first seen, 1 = next in.
        position: u32,
    },
    /// `queue/leave`: someone left the join queue (got in, or gave up).
    QueueLeave {
        /// Roblox user id of the one who left the queue.
        user_id: u64,
    },
    /// `vehicle/spawn`: a vehicle appeared in the server.
    VehicleSpawn {
        /// Owner's Roblox username (PRC gives vehicles no owner id).
        owner: String,
        /// Model, as `<year> <model>`.
        name: String,
        /// Licence plate; `None` when PRC sent none.
        plate: Option<String>,
        /// Colour name, else its hex code; `None` when PRC sent neither.
        colour: Option<String>,
    },
    /// `vehicle/despawn`: a vehicle left the server (despawned, or its owner left).
    VehicleDespawn {
        /// Owner's Roblox username.
        owner: String,
        /// Model, as `<year> <model>`.
        name: String,
        /// Licence plate; `None` when PRC sent none.
        plate: Option<String>,
    },
    /// `kill`: a kill-log entry.
    Kill {
        /// Who killed.
        killer: PlayerInfo,
        /// Who died.
        killed: PlayerInfo,
    },
    /// `command`: a command-log entry (in game or through the API).
    Command {
        /// Who ran it: `Remote Server` (no id) for commands sent through the API.
        player: PlayerInfo,
        /// The full command text, leading `:` included; untrusted text.
        command: String,
    },
    /// `modcall/new`: a player called for a moderator.
    ModCallNew {
        /// Stable identity of the call: caller id (or name) and call time.
        call_key: String,
        /// The player asking for help.
        caller: PlayerInfo,
    },
    /// `modcall/answered`: a moderator responded to a mod call.
    ModCallAnswered {
        /// Same key as the call's `modcall/new`, so its card can be updated.
        call_key: String,
        /// The player who asked for help.
        caller: PlayerInfo,
        /// The moderator who responded.
        moderator: PlayerInfo,
    },
    /// `emergency/started`: a 911 call was placed.
    EmergencyStarted {
        /// The call as first seen.
        call: EmergencyCallInfo,
    },
    /// `emergency/responded`: responders changed.
    EmergencyResponded {
        /// The call with its new responders.
        call: EmergencyCallInfo,
    },
    /// `emergency/ended`: a 911 call closed.
    EmergencyEnded {
        /// The call as last seen.
        call: EmergencyCallInfo,
    },
    /// `server/online`: the server went from empty to having players.
    ServerOnline {
        /// The server's in-game name.
        name: String,
        /// How many players it had at that poll.
        players: u32,
    },
    /// `server/offline`: the last player left, so the game shut the server down.
    ServerOffline {
        /// The server's in-game name.
        name: String,
    },
    /// `ban/added`: a Roblox user was added to the server's ban list.
    BanAdded {
        /// Roblox user id of the banned user.
        user_id: u64,
        /// Their username as the ban list has it.
        name: String,
    },
    /// `ban/removed`: a Roblox user was taken off the server's ban list.
    BanRemoved {
        /// Roblox user id of the unbanned user.
        user_id: u64,
        /// Their username as the ban list had it.
        name: String,
    },
    /// `customcommand`: a `;` command typed in game (event webhook).
    CustomCommand {
        /// Who typed it.
        player: PlayerInfo,
        /// The command word, without the `;`.
        command: String,
        /// Everything after the command word; may be empty. Untrusted text.
        argument: String,
    },
    /// `case/created`: a case was filed.
    CaseCreated {
        /// The case as filed.
        case: CaseInfo,
    },
    /// `case/updated`: a case's reason or status changed (not voided).
    CaseUpdated {
        /// The case after the change.
        case: CaseInfo,
    },
    /// `case/voided`: a case admin withdrew a case.
    CaseVoided {
        /// The case after the void.
        case: CaseInfo,
    },
    /// `shift/started`: a staff member went on shift.
    ShiftStarted {
        /// The shift as started.
        shift: ShiftInfo,
    },
    /// `shift/break`: a staff member on shift took a break.
    ShiftBreak {
        /// The shift, on its break.
        shift: ShiftInfo,
    },
    /// `shift/resumed`: a staff member came back from a break.
    ShiftResumed {
        /// The shift, running again.
        shift: ShiftInfo,
    },
    /// `shift/ended`: a shift ended.
    ShiftEnded {
        /// The shift as ended, with the time worked.
        shift: ShiftInfo,
    },
    /// `shift/voided`: a shift admin voided a shift (its time no longer counts).
    ShiftVoided {
        /// The shift after the void.
        shift: ShiftInfo,
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
            CaseCreated { .. } => "case/created",
            CaseUpdated { .. } => "case/updated",
            CaseVoided { .. } => "case/voided",
            ShiftStarted { .. } => "shift/started",
            ShiftBreak { .. } => "shift/break",
            ShiftResumed { .. } => "shift/resumed",
            ShiftEnded { .. } => "shift/ended",
            ShiftVoided { .. } => "shift/voided",
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
                CaseCreated { case } | CaseUpdated { case } | CaseVoided { case } => {
                    (Some(Player(&case.player)), None, &[])
                }
                ShiftStarted { shift }
                | ShiftBreak { shift }
                | ShiftResumed { shift }
                | ShiftEnded { shift }
                | ShiftVoided { shift } => (shift.player.as_ref().map(Player), None, &[]),
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
    /// The call was placed.
    Started,
    /// The call closed.
    Ended,
}

impl CallPhase {
    /// The phase as it appears in dedupe keys.
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
    "case/created",
    "case/updated",
    "case/voided",
    "shift/started",
    "shift/break",
    "shift/resumed",
    "shift/ended",
    "shift/voided",
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
