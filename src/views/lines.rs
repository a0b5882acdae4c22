//! One compact line per stored event (for logs and player timelines), from the event catalog:
//! a relative time, an icon and who did what. In a timeline the subject's own name is left
//! out ("joined", "killed by X"), so a dozen lines read at a glance.

use crate::events::Event;
use crate::events::catalog::{EmergencyCallInfo, EventPayload, PlayerInfo};
use crate::ui::escape::{code_span, escape_name};
use crate::ui::message::truncate;
use crate::ui::names::{display_name, player_link, user_link};
use crate::ui::time::{full_time, relative_time};

/// Longest command or text quoted in one line, so a flood cannot fill a page alone.
const MAX_QUOTED: usize = 120;

/// `<t:…:R> · 📥 Name joined`. `subject` is the timeline's player: their name is left out.
pub(crate) fn event_line(event: &Event, subject: Option<u64>) -> String {
    let text = match EventPayload::from_json(&event.payload) {
        Some(payload) => payload_text(&payload, subject),
        None => format!("• {}", code_span(event.event_type.kind())),
    };
    format!("{} · {text}", relative_time(event.source_time))
}

/// The player's link, or nothing when they are the timeline's subject.
fn actor(player: &PlayerInfo, subject: Option<u64>) -> String {
    if subject.is_some() && player.id == subject {
        String::new()
    } else {
        format!("{} ", player_link(player))
    }
}

fn quoted(text: &str) -> String {
    code_span(&truncate(text, MAX_QUOTED))
}

fn payload_text(payload: &EventPayload, subject: Option<u64>) -> String {
    use EventPayload::*;
    match payload {
        PlayerJoin { player } => format!("📥 {}joined", actor(player, subject)),
        PlayerLeave { player } => format!("📤 {}left", actor(player, subject)),
        PlayerTeam { player, from, to } => format!(
            "🔁 {}team **{}** → **{}**",
            actor(player, subject),
            display_name(from),
            display_name(to)
        ),
        PlayerPermission { player, from, to } => format!(
            "🛡 {}permission **{}** → **{}**",
            actor(player, subject),
            display_name(from),
            display_name(to)
        ),
        PlayerWanted { player, from, to } => {
            format!("⭐ {}wanted {from} → **{to}**", actor(player, subject))
        }
        StaffJoin { player } => format!("🛡 {}came online as staff", actor(player, subject)),
        StaffLeave { player } => format!("🛡 {}went offline", actor(player, subject)),
        QueueJoin { user_id, position } => {
            format!(
                "⏳ {}joined the queue at #{position}",
                user_actor(*user_id, subject)
            )
        }
        QueueLeave { user_id } => format!("⏳ {}left the queue", user_actor(*user_id, subject)),
        VehicleSpawn { owner, name, .. } => format!(
            "🚗 {} spawned **{}**",
            display_name(owner),
            display_name(name)
        ),
        VehicleDespawn { owner, name, .. } => format!(
            "🚗 **{}** of {} despawned",
            display_name(name),
            display_name(owner)
        ),
        Kill { killer, killed } => kill_text(killer, killed, subject),
        Command { player, command } => {
            format!("⌨️ {}ran {}", actor(player, subject), quoted(command))
        }
        CustomCommand {
            player,
            command,
            argument,
        } => format!(
            "⌨️ {}typed {}",
            actor(player, subject),
            quoted(&format!(";{command} {argument}"))
        ),
        ModCallNew { caller, .. } => format!("📣 {}called a moderator", actor(caller, subject)),
        ModCallAnswered {
            caller, moderator, ..
        } => {
            if subject.is_some() && moderator.id == subject {
                format!("✅ answered a mod call from {}", player_link(caller))
            } else if subject.is_some() && caller.id == subject {
                format!("✅ mod call answered by {}", player_link(moderator))
            } else {
                format!(
                    "✅ {} answered {}'s mod call",
                    player_link(moderator),
                    player_link(caller)
                )
            }
        }
        EmergencyStarted { call } => format!("🚨 {} started", call_name(call)),
        EmergencyResponded { call } => format!(
            "🚨 {}: {} responding",
            call_name(call),
            call.responders.len()
        ),
        EmergencyEnded { call } => format!("🚨 {} ended", call_name(call)),
        ServerOnline { name, players } => format!(
            "🟢 **{}** online with {players} players",
            display_name(name)
        ),
        ServerOffline { name } => format!("⚫ **{}** went offline", display_name(name)),
        BanAdded { user_id, name } => format!(
            "🔨 {} was banned",
            crate::ui::names::name_link(name, Some(*user_id))
        ),
        BanRemoved { user_id, name } => format!(
            "🔓 {} was unbanned",
            crate::ui::names::name_link(name, Some(*user_id))
        ),
        CaseCreated { case } => format!("📁 case #{} filed: {}", case.number, case_text(case)),
        CaseUpdated { case } => format!("📁 case #{} updated: {}", case.number, case_text(case)),
        CaseVoided { case } => format!("📁 case #{} voided", case.number),
        ShiftStarted { shift } => format!(
            "🕒 shift #{} started ({})",
            shift.id,
            display_name(&shift.kind)
        ),
        ShiftBreak { shift } => format!("🕒 shift #{}: on a break", shift.id),
        ShiftResumed { shift } => format!("🕒 shift #{}: back from a break", shift.id),
        ShiftEnded { shift } => format!(
            "🕒 shift #{} ended after {}",
            shift.id,
            crate::ui::time::hours_minutes(shift.worked_secs)
        ),
        ShiftVoided { shift } => format!("🕒 shift #{} voided", shift.id),
        FeedGap { since, until, .. } => format!(
            "⚠️ entries between {} and {} may be missing (the bot could not read the server)",
            full_time(*since),
            full_time(*until)
        ),
    }
}

/// `warning by Mod: reason`, the reason shortened.
fn case_text(case: &crate::events::catalog::CaseInfo) -> String {
    let reason = case
        .reason
        .as_deref()
        .map(|r| format!(": {}", quoted(r)))
        .unwrap_or_default();
    format!(
        "{} by {}{reason}",
        display_name(&case.kind),
        escape_name(&case.moderator)
    )
}

fn user_actor(user_id: u64, subject: Option<u64>) -> String {
    if subject == Some(user_id) {
        String::new()
    } else {
        format!("{} ", user_link(user_id))
    }
}

fn kill_text(killer: &PlayerInfo, killed: &PlayerInfo, subject: Option<u64>) -> String {
    match subject {
        Some(id) if killer.id == Some(id) && killed.id == Some(id) => {
            "💀 died by their own hand".into()
        }
        Some(id) if killer.id == Some(id) => format!("🔫 killed {}", player_link(killed)),
        Some(id) if killed.id == Some(id) => format!("💀 killed by {}", player_link(killer)),
        _ => format!("🔫 {} killed {}", player_link(killer), player_link(killed)),
    }
}

/// `911 #17 (Police) from Caller`
fn call_name(call: &EmergencyCallInfo) -> String {
    let mut text = format!("911 #{} ({})", call.call_number, escape_name(&call.team));
    if let Some(caller) = &call.caller {
        text.push_str(&format!(" from {}", player_link(caller)));
    }
    if let Some(description) = call.description.as_deref().filter(|d| !d.trim().is_empty()) {
        text.push_str(&format!(
            ": {}",
            escape_name(&truncate(description, MAX_QUOTED))
        ));
    }
    text
}
