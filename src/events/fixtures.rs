//! Test fixtures for everything that reads events (catalog, feeds, views): stored events built
//! from catalog payloads, and one sample payload of every kind.

use crate::events::catalog::{EmergencyCallInfo, EventPayload, PlayerInfo};
use crate::events::{Event, EventType};

pub const TIME: i64 = 1_700_000_000;

pub fn player(name: &str, id: u64, team: &str) -> PlayerInfo {
    PlayerInfo {
        name: name.into(),
        id: Some(id),
        team: Some(team.into()),
        ..PlayerInfo::default()
    }
}

/// A stored event of guild 1, server `main`, with the given id.
pub fn event(id: u64, payload: EventPayload) -> Event {
    event_on(1, "main", id, payload)
}

pub fn event_on(guild: u64, server: &str, id: u64, payload: EventPayload) -> Event {
    let new = payload
        .into_new_event(server, TIME, None)
        .expect("fixture labels are valid");
    Event {
        guild,
        server: server.into(),
        id,
        event_type: new.event_type,
        source_time: new.source_time,
        recorded_at_ms: TIME * 1000,
        players: new.players,
        payload: new.payload,
    }
}

/// An event whose payload this version does not know.
pub fn unknown_event(id: u64, kind: &str, payload: serde_json::Value) -> Event {
    Event {
        guild: 1,
        server: "main".into(),
        id,
        event_type: EventType::parse(&format!("main/{kind}")).expect("valid kind"),
        source_time: TIME,
        recorded_at_ms: TIME * 1000,
        players: Vec::new(),
        payload,
    }
}

pub fn call(number: i64, responders: Vec<PlayerInfo>) -> EmergencyCallInfo {
    EmergencyCallInfo {
        call_number: number,
        team: "Police".into(),
        caller: Some(player("Caller", 10, "Civilian")),
        responders,
        description: Some("Shots fired near the bank".into()),
        location: Some("Springfield Bank".into()),
        position: Some([120.4, -33.9]),
        started_at: TIME - 60,
    }
}

/// One payload of every kind, in catalog order, with ordinary values.
///
/// Built by walking [`sample_after`], one exhaustive match: a new kind does not compile until
/// it has a sample here, and the catalog test checks that the walk covers [`ALL_KINDS`].
///
/// [`ALL_KINDS`]: crate::events::catalog::ALL_KINDS
pub fn every_kind() -> Vec<EventPayload> {
    std::iter::successors(sample_after(None), |previous| sample_after(Some(previous))).collect()
}

/// The sample of the kind that follows `previous` in catalog order (`None`: the first kind);
/// `None` after the last.
fn sample_after(previous: Option<&EventPayload>) -> Option<EventPayload> {
    use EventPayload::*;
    let p = || player("Roblox", 1, "Police");
    Some(match previous {
        None => PlayerJoin { player: p() },
        Some(PlayerJoin { .. }) => PlayerLeave { player: p() },
        Some(PlayerLeave { .. }) => PlayerTeam {
            player: p(),
            from: "Civilian".into(),
            to: "Police".into(),
        },
        Some(PlayerTeam { .. }) => PlayerPermission {
            player: p(),
            from: "Normal".into(),
            to: "Server Moderator".into(),
        },
        Some(PlayerPermission { .. }) => PlayerWanted {
            player: p(),
            from: 0,
            to: 3,
        },
        Some(PlayerWanted { .. }) => StaffJoin { player: p() },
        Some(StaffJoin { .. }) => StaffLeave { player: p() },
        Some(StaffLeave { .. }) => QueueJoin {
            user_id: 5,
            position: 2,
        },
        Some(QueueJoin { .. }) => QueueLeave { user_id: 5 },
        Some(QueueLeave { .. }) => VehicleSpawn {
            owner: "Roblox".into(),
            name: "Falcon Stallion 350".into(),
            plate: Some("ABC123".into()),
            colour: Some("Red".into()),
        },
        Some(VehicleSpawn { .. }) => VehicleDespawn {
            owner: "Roblox".into(),
            name: "Falcon Stallion 350".into(),
            plate: None,
        },
        Some(VehicleDespawn { .. }) => Kill {
            killer: p(),
            killed: player("Victim", 2, "Civilian"),
        },
        Some(Kill { .. }) => Command {
            player: p(),
            command: ":pm Victim hello".into(),
        },
        Some(Command { .. }) => ModCallNew {
            call_key: "1-1700000000".into(),
            caller: p(),
        },
        Some(ModCallNew { .. }) => ModCallAnswered {
            call_key: "1-1700000000".into(),
            caller: p(),
            moderator: player("Mod", 3, "Police"),
        },
        Some(ModCallAnswered { .. }) => EmergencyStarted {
            call: call(4, Vec::new()),
        },
        Some(EmergencyStarted { .. }) => EmergencyResponded {
            call: call(4, vec![p()]),
        },
        Some(EmergencyResponded { .. }) => EmergencyEnded {
            call: call(4, vec![p()]),
        },
        Some(EmergencyEnded { .. }) => ServerOnline {
            name: "Liberty RP".into(),
            players: 12,
        },
        Some(ServerOnline { .. }) => ServerOffline {
            name: "Liberty RP".into(),
        },
        Some(ServerOffline { .. }) => BanAdded {
            user_id: 9,
            name: "Cheater".into(),
        },
        Some(BanAdded { .. }) => BanRemoved {
            user_id: 9,
            name: "Cheater".into(),
        },
        Some(BanRemoved { .. }) => CustomCommand {
            player: p(),
            command: "help".into(),
            argument: "me".into(),
        },
        Some(CustomCommand { .. }) => CaseCreated {
            case: case("active"),
        },
        Some(CaseCreated { .. }) => CaseUpdated {
            case: case("expired"),
        },
        Some(CaseUpdated { .. }) => CaseVoided {
            case: case("voided"),
        },
        Some(CaseVoided { .. }) => ShiftStarted { shift: shift() },
        Some(ShiftStarted { .. }) => ShiftBreak { shift: shift() },
        Some(ShiftBreak { .. }) => ShiftResumed { shift: shift() },
        Some(ShiftResumed { .. }) => ShiftEnded { shift: shift() },
        Some(ShiftEnded { .. }) => ShiftVoided { shift: shift() },
        Some(ShiftVoided { .. }) => FeedGap {
            since: TIME - 3600,
            until: TIME,
            logs: vec!["joins".into(), "kills".into()],
        },
        Some(FeedGap { .. }) => return None,
    })
}

/// A temp ban case in `status`.
fn case(status: &str) -> crate::events::catalog::CaseInfo {
    crate::events::catalog::CaseInfo {
        number: 12,
        kind: "temp_ban".into(),
        player: player("Cheater", 9, "Civilian"),
        moderator: "Mod".into(),
        reason: Some("exploiting".into()),
        status: status.into(),
        expires_at: Some(TIME + 3600),
    }
}

/// A linked staff member's patrol shift, 90 minutes in.
fn shift() -> crate::events::catalog::ShiftInfo {
    crate::events::catalog::ShiftInfo {
        id: 3,
        member: 4_242,
        member_name: Some("Officer Dave".into()),
        player: Some(player("Officer", 11, "Police")),
        kind: "patrol".into(),
        source: "automatic".into(),
        worked_secs: 5_400,
    }
}
