//! Test fixtures shared by the feeds tests: stored events built from catalog payloads.

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

/// One payload of every kind the catalog lists, with ordinary values.
pub fn every_kind() -> Vec<EventPayload> {
    use EventPayload::*;
    let p = || player("Roblox", 1, "Police");
    vec![
        PlayerJoin { player: p() },
        PlayerLeave { player: p() },
        PlayerTeam {
            player: p(),
            from: "Civilian".into(),
            to: "Police".into(),
        },
        PlayerPermission {
            player: p(),
            from: "Normal".into(),
            to: "Server Moderator".into(),
        },
        PlayerWanted {
            player: p(),
            from: 0,
            to: 3,
        },
        StaffJoin { player: p() },
        StaffLeave { player: p() },
        QueueJoin {
            user_id: 5,
            position: 2,
        },
        QueueLeave { user_id: 5 },
        VehicleSpawn {
            owner: "Roblox".into(),
            name: "Falcon Stallion 350".into(),
            plate: Some("ABC123".into()),
            colour: Some("Red".into()),
        },
        VehicleDespawn {
            owner: "Roblox".into(),
            name: "Falcon Stallion 350".into(),
            plate: None,
        },
        Kill {
            killer: p(),
            killed: player("Victim", 2, "Civilian"),
        },
        Command {
            player: p(),
            command: ":pm Victim hello".into(),
        },
        ModCallNew {
            call_key: "1-1700000000".into(),
            caller: p(),
        },
        ModCallAnswered {
            call_key: "1-1700000000".into(),
            caller: p(),
            moderator: player("Mod", 3, "Police"),
        },
        EmergencyStarted {
            call: call(4, Vec::new()),
        },
        EmergencyResponded {
            call: call(4, vec![p()]),
        },
        EmergencyEnded {
            call: call(4, vec![p()]),
        },
        ServerOnline {
            name: "Liberty RP".into(),
            players: 12,
        },
        ServerOffline {
            name: "Liberty RP".into(),
        },
        BanAdded {
            user_id: 9,
            name: "Cheater".into(),
        },
        BanRemoved {
            user_id: 9,
            name: "Cheater".into(),
        },
        CustomCommand {
            player: p(),
            command: "help".into(),
            argument: "me".into(),
        },
        FeedGap {
            since: TIME - 3600,
            until: TIME,
            logs: vec!["joins".into(), "kills".into()],
        },
    ]
}
