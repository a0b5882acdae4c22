//! `/emergency`: active 911 calls, with callers and responders named from the player list.

use crate::erlc::models::{EmergencyCall, Include, Player};
use crate::ui::colours;
use crate::ui::escape::{escape_text, plain_line};
use crate::ui::message::{Embed, MAX_FIELD_VALUE, MAX_FIELDS, Message, truncate};
use crate::ui::names::{display_name, user_link};
use crate::ui::team::TeamStyle;
use crate::ui::time::relative_time;

use super::super::common::{count, pack_lines, ref_link};

/// Characters shared by the call fields, leaving room for the title and description.
const FIELDS_BUDGET: usize = 5400;
/// Calls listed before the rest are counted.
const MAX_CALLS: usize = 20;

/// What [`emergency_calls`] reads from `GET /v2/server`: the calls, and the player list to name
/// callers and responders.
pub const EMERGENCY_SECTIONS: Include = Include::none().players().emergency_calls();

/// `/emergency`: one field per call, newest first, `now` in Unix seconds.
pub fn emergency_calls(
    label: &str,
    calls: &[EmergencyCall],
    players: &[Player],
    now: i64,
) -> Message {
    let mut sorted: Vec<&EmergencyCall> = calls.iter().collect();
    sorted.sort_by(|a, b| {
        b.started_at
            .cmp(&a.started_at)
            .then(b.call_number.cmp(&a.call_number))
    });
    let mut embed = Embed::new()
        .title(&format!(
            "🚨 911 calls · {}",
            count(calls.len(), "active", "active")
        ))
        .colour(if calls.is_empty() {
            colours::ANSWERED
        } else {
            colours::DANGER
        })
        .footer(&plain_line(&format!("{label} · emergency calls")))
        .timestamp(now);
    if sorted.is_empty() {
        embed = embed.description("No active 911 calls.");
        return Message::single(embed, Vec::new());
    }
    let waiting = sorted.iter().filter(|c| c.players.is_empty()).count();
    embed = embed.description(&format!(
        "{} waiting for responders",
        count(waiting, "call", "calls")
    ));
    let shown = sorted.len().min(MAX_CALLS).min(MAX_FIELDS - 1);
    let per_field = (FIELDS_BUDGET / shown.max(1)).min(MAX_FIELD_VALUE);
    let name_of = |id: u64| -> String {
        players
            .iter()
            .find(|p| p.player.id == Some(id))
            .map_or_else(|| user_link(id), |p| ref_link(&p.player))
    };
    for call in &sorted[..shown] {
        let heading = format!(
            "{} #{} · {}",
            call.team.swatch(),
            call.call_number,
            call.team.display_name()
        );
        embed = embed.field(&heading, &call_text(call, &name_of, per_field), false);
    }
    if sorted.len() > shown {
        embed = embed.field(
            &format!("…and {} more", sorted.len() - shown),
            "Older calls are not listed; they are still active in game.",
            false,
        );
    }
    if let Some(colour) = sorted.first().and_then(|c| c.team.colour()) {
        embed = embed.colour(colour);
    }
    Message::single(embed, Vec::new())
}

fn call_text(call: &EmergencyCall, name_of: &dyn Fn(u64) -> String, budget: usize) -> String {
    let caller = call.caller.map_or_else(|| "unknown".to_owned(), name_of);
    let place = call
        .position_descriptor
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map_or_else(
            || format!("{:.0}, {:.0}", call.position[0], call.position[1]),
            display_name,
        );
    let responders = if call.players.is_empty() {
        "none yet".to_owned()
    } else {
        let names: Vec<String> = call.players.iter().map(|id| name_of(*id)).collect();
        pack_lines(names, budget / 2).replace('\n', ", ")
    };
    let mut text = format!(
        "Caller: {caller} · {}\nWhere: {place}\nResponders: {responders}",
        relative_time(call.started_at)
    );
    if let Some(description) = call
        .description
        .as_deref()
        .map(escape_text)
        .filter(|d| !d.is_empty())
    {
        let room = budget.saturating_sub(text.chars().count() + 3);
        if room > 10 {
            let quoted = truncate(&description.replace('\n', " "), room);
            text.push_str(&format!("\n> {quoted}"));
        }
    }
    if text.chars().count() > budget {
        // Names were too long to fit whole; keep the start, which names the caller.
        text = truncate(&text, budget);
    }
    text
}
