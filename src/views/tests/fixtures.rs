//! Builders for live PRC data, store records, client and action results used by the view
//! tests.

use crate::actions::{ActionReport, ModAction, ResolvedPlayer, SetupReport, SetupWarning};
use crate::erlc::api::Confirmation;
use crate::erlc::models::Permission;
use crate::erlc::models::{
    AccVerifiedReq, Bans, EmergencyCall, Location, Player, PlayerRef, ServerInfo, StaffV2, Team,
    V2Server, Vehicle,
};
use crate::erlc::{ErlcError, PrcErrorInfo};
use crate::store::audit::{AuditActor, AuditEntry, AuditOutcome, AuditRecord, Source};
use crate::store::settings::{ServerRecord, ServerStatus};

pub const NOW: i64 = 1_700_000_000;

/// A one-embed message as text: title, description, then each field as `name: value`.
pub fn embed_text(message: &crate::ui::Message) -> String {
    let embed = &message.embeds[0];
    let mut out = format!(
        "{}\n{}",
        embed.title.as_deref().unwrap_or_default(),
        embed.description.as_deref().unwrap_or_default()
    );
    for field in &embed.fields {
        out.push_str(&format!("\n{}: {}", field.name, field.value));
    }
    out
}

pub fn info(name: &str, join_key: &str, players: u32) -> ServerInfo {
    ServerInfo {
        name: name.into(),
        owner_id: 1_842_760_391,
        co_owner_ids: vec![3_371_029_946],
        current_players: players,
        max_players: 40,
        join_key: join_key.into(),
        acc_verified_req: AccVerifiedReq::Email,
        team_balance: true,
        extra: Default::default(),
    }
}

pub fn player(name: &str, id: u64, team: Team, permission: Permission) -> Player {
    Player {
        player: PlayerRef::new(name, Some(id)),
        permission,
        callsign: None,
        team,
        wanted_stars: None,
        location: None,
        extra: Default::default(),
    }
}

pub fn location(postal: &str, street: &str) -> Location {
    Location {
        location_x: 1018.4,
        location_z: -60.2,
        postal_code: Some(postal.into()),
        street_name: Some(street.into()),
        building_number: Some("12".into()),
        extra: Default::default(),
    }
}

/// `n` players spread over every known team, every tenth one a moderator.
pub fn crowd(n: u64) -> Vec<Player> {
    (0..n)
        .map(|i| {
            let team = Team::KNOWN[(i % Team::KNOWN.len() as u64) as usize].clone();
            let permission = if i % 10 == 0 {
                Permission::Moderator
            } else {
                Permission::Normal
            };
            let mut p = player(&format!("player_{i:03}"), 1_000_000 + i, team, permission);
            p.callsign = (i % 3 == 0).then(|| format!("{i}A-12"));
            p.wanted_stars = Some((i % 5) as u32);
            p
        })
        .collect()
}

pub fn snapshot(players: Vec<Player>, queue: Vec<u64>) -> V2Server {
    let mut server_info = info("Riverside County RP", "RCRPx", players.len() as u32);
    server_info.current_players = players.len() as u32;
    V2Server {
        info: server_info,
        players: Some(players),
        staff: Some(StaffV2::default()),
        join_logs: None,
        queue: Some(queue),
        kill_logs: None,
        command_logs: None,
        mod_calls: None,
        emergency_calls: None,
        vehicles: None,
    }
}

pub fn vehicle(name: &str, owner: &str, plate: &str, hex: &str, colour: &str) -> Vehicle {
    Vehicle {
        name: name.into(),
        owner: owner.into(),
        texture: Some("Standard".into()),
        plate: Some(plate.into()),
        color_hex: Some(hex.into()),
        color_name: Some(colour.into()),
        extra: Default::default(),
    }
}

pub fn bans(entries: &[(u64, &str)]) -> Bans {
    entries.iter().map(|(id, n)| (*id, n.to_string())).collect()
}

pub fn emergency(number: i64, caller: u64, responders: Vec<u64>, text: &str) -> EmergencyCall {
    EmergencyCall {
        team: Team::Police,
        caller: Some(caller),
        players: responders,
        position: [1018.0, -60.0],
        started_at: NOW - 120,
        call_number: number,
        description: Some(text.into()),
        position_descriptor: Some("Harbor Road, Postal 307".into()),
        extra: Default::default(),
    }
}

pub fn record(label: &str, status: ServerStatus, is_default: bool, added_by: &str) -> ServerRecord {
    ServerRecord {
        label: label.into(),
        key_fingerprint: "fp:1a2b3c4d".into(),
        added_by: 42,
        added_by_name: added_by.into(),
        added_at_ms: NOW * 1000,
        status,
        is_default,
        webhook_token: None,
        sandbox: false,
    }
}

pub fn prc_error(code: i64) -> ErlcError {
    ErlcError::from_code(
        code,
        PrcErrorInfo {
            endpoint: "POST /v1/server/command".into(),
            http_status: 403,
            message: "nope".into(),
            command_id: None,
        },
    )
}

/// A `/server setup` that connected `main` (the default) to a server called `server_name`.
pub fn setup_report(server_name: Option<&str>, warnings: Vec<SetupWarning>) -> SetupReport {
    SetupReport {
        record: ServerRecord {
            webhook_token: Some("tok43".into()),
            ..record("main", ServerStatus::Ok, true, "Ann")
        },
        server_name: server_name.map(str::to_owned),
        webhook_token: "tok43".into(),
        warnings,
        audit_seq: 7,
    }
}

/// An action ER:LC accepted: `command_text` sent on `main`, naming `target`.
pub fn sent(
    action: ModAction,
    command_text: &str,
    target: Option<&str>,
    confirmation: Confirmation,
) -> ActionReport {
    ActionReport {
        action,
        server_label: "main".into(),
        command_text: command_text.into(),
        confirmation,
        audit_seq: 12,
        player: target.map(|name| ResolvedPlayer {
            name: name.into(),
            id: None,
        }),
        case: None,
    }
}

pub fn audit_entry(
    seq: u64,
    actor: AuditActor,
    action: &str,
    target: &str,
    outcome: AuditOutcome,
) -> AuditEntry {
    let base = AuditRecord {
        seq,
        time_ms: NOW * 1000,
        actor,
        source: Source::SlashCommand,
        action: action.into(),
        target: Some(target.into()),
        args: serde_json::json!({"reason": "RDM in the city", "n": 1}),
        outcome: AuditOutcome::Pending,
        completes: None,
        completed_at_ms: None,
        prev_hash: "00".into(),
        hash: "11".into(),
    };
    let completion = (outcome != AuditOutcome::Pending).then(|| AuditRecord {
        seq: seq + 1,
        outcome,
        completes: Some(seq),
        completed_at_ms: Some(NOW * 1000 + 500),
        ..base.clone()
    });
    AuditEntry {
        intent: base,
        completion,
    }
}
