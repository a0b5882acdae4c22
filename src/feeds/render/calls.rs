//! Cards that live on after they are posted: a mod call (with Claim and Resolve buttons,
//! turned green when answered) and a 911 call (responders filled in, greyed out when ended).
//! Each carries a [`LiveCard`] subject so the batcher can plan an edit of the first card.

use crate::events::Event;
use crate::events::catalog::{EmergencyCallInfo, EventPayload, PlayerInfo};

use crate::ui::colours;
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::ui::escape::escape_text;
use crate::ui::message::{Button, ButtonStyle, MAX_FIELD_VALUE, truncate};
use crate::ui::names::{display_name, player_link};
use crate::ui::time::relative_time;

use super::{Card, CardContext, LiveCard, team_colour_or};

const CLAIM: &str = "Claim";
const RESOLVE: &str = "Resolve";

/// Where a 911 call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallStage {
    Started,
    Responded,
    Ended,
}

fn mod_call_subject(call_key: &str) -> String {
    format!("modcall:{call_key}")
}

pub(super) fn mod_call_new(call_key: &str, caller: &PlayerInfo, cx: &CardContext<'_>) -> Card {
    let embed = cx
        .embed("Mod call", colours::PENDING)
        .description(&format!(
            "{} needs a moderator {}",
            player_link(caller),
            cx.ago()
        ))
        .field("Caller", &player_link(caller), true)
        .field("Status", "Waiting for a moderator", true);
    Card {
        embed,
        buttons: mod_call_buttons(cx.server, call_key),
        live: Some(LiveCard {
            subject: mod_call_subject(call_key),
            update: false,
        }),
    }
}

/// Claim and Resolve. A call key that cannot be put in a button id (it contains `:` or is
/// too long) leaves the card without buttons rather than with buttons that cannot work.
fn mod_call_buttons(server: &str, call_key: &str) -> Vec<Button> {
    let claim = CustomId::new(ButtonAction::ModCallClaim, server, call_key);
    let resolve = CustomId::new(ButtonAction::ModCallResolve, server, call_key);
    match (claim, resolve) {
        (Ok(claim), Ok(resolve)) => vec![
            Button::new(&claim, CLAIM, ButtonStyle::Primary),
            Button::new(&resolve, RESOLVE, ButtonStyle::Success),
        ],
        _ => Vec::new(),
    }
}

/// What a moderator did to a mod-call card from Discord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModCallProgress {
    /// Someone took the call; Resolve stays available.
    Claimed,
    /// The call is handled; no buttons left.
    Resolved,
}

/// The card of a mod call after a Discord moderator claimed or resolved it, rendered from the
/// stored `modcall/new` event. `by` is the moderator's Discord display name (escaped here),
/// `at` when they clicked, in Unix seconds. `None` if the event is not a `modcall/new`.
pub fn mod_call_progress(
    event: &Event,
    progress: ModCallProgress,
    by: &str,
    at: i64,
) -> Option<Card> {
    let Some(EventPayload::ModCallNew { call_key, caller }) =
        EventPayload::from_json(&event.payload)
    else {
        return None;
    };
    let cx = CardContext {
        server: &event.server,
        kind: event.event_type.kind(),
        time: event.source_time,
    };
    let by = display_name(by);
    let (title, colour, status, buttons) = match progress {
        ModCallProgress::Claimed => (
            "Mod call · claimed",
            colours::STAFF,
            format!("Claimed by **{by}** {}", relative_time(at)),
            mod_call_buttons(cx.server, &call_key)
                .into_iter()
                .filter(|b| b.label == RESOLVE)
                .collect(),
        ),
        ModCallProgress::Resolved => (
            "Mod call · resolved",
            colours::ANSWERED,
            format!("Resolved by **{by}** {}", relative_time(at)),
            Vec::new(),
        ),
    };
    let embed = cx
        .embed(title, colour)
        .description(&format!(
            "{} called for a moderator {}",
            player_link(&caller),
            cx.ago()
        ))
        .field("Caller", &player_link(&caller), true)
        .field("Status", &status, true);
    Some(Card {
        embed,
        buttons,
        live: Some(LiveCard {
            subject: mod_call_subject(&call_key),
            update: true,
        }),
    })
}

pub(super) fn mod_call_answered(
    call_key: &str,
    caller: &PlayerInfo,
    moderator: &PlayerInfo,
    cx: &CardContext<'_>,
) -> Card {
    let embed = cx
        .embed("Mod call · answered", colours::ANSWERED)
        .description(&format!(
            "{} called for a moderator\nAnswered by {} {}",
            player_link(caller),
            player_link(moderator),
            cx.ago()
        ))
        .field("Caller", &player_link(caller), true)
        .field(
            "Status",
            &format!("Answered by {}", player_link(moderator)),
            true,
        );
    Card {
        embed,
        buttons: Vec::new(),
        live: Some(LiveCard {
            subject: mod_call_subject(call_key),
            update: true,
        }),
    }
}

pub(super) fn emergency(call: &EmergencyCallInfo, stage: CallStage, cx: &CardContext<'_>) -> Card {
    let service = display_name(&call.team);
    let (title, colour, status) = match stage {
        CallStage::Started => (
            format!("911 · {service}"),
            team_colour_or(&call.team, colours::DANGER),
            "Waiting for responders".to_owned(),
        ),
        CallStage::Responded => (
            format!("911 · {service}"),
            team_colour_or(&call.team, colours::DANGER),
            format!("{} responding", call.responders.len()),
        ),
        CallStage::Ended => (
            format!("911 · {service} · ended"),
            colours::ENDED,
            format!("Ended {}", cx.ago()),
        ),
    };
    let description = call
        .description
        .as_deref()
        .map(escape_text)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "*No description given.*".to_owned());
    let caller = call
        .caller
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), player_link);
    let embed = cx
        .embed(&title, colour)
        .description(&description)
        .field("Caller", &caller, true)
        .field("Location", &location(call), true)
        .field("Call", &format!("#{}", call.call_number), true)
        .field("Started", &relative_time(call.started_at), true)
        .field("Status", &status, true)
        .field("Responders", &responders(&call.responders), false);
    Card {
        embed,
        buttons: Vec::new(),
        live: Some(LiveCard {
            subject: format!("emergency:{}-{}", call.call_number, call.started_at),
            update: stage != CallStage::Started,
        }),
    }
}

fn location(call: &EmergencyCallInfo) -> String {
    match (&call.location, call.position) {
        (Some(place), _) if !place.trim().is_empty() => display_name(place),
        (_, Some([x, z])) => format!("{x:.0}, {z:.0}"),
        _ => "unknown".to_owned(),
    }
}

/// Responders as links, as many as fit whole in a field, then "and N more".
fn responders(list: &[PlayerInfo]) -> String {
    if list.is_empty() {
        return "none yet".to_owned();
    }
    let budget = MAX_FIELD_VALUE - 20;
    let mut text = String::new();
    for (shown, player) in list.iter().enumerate() {
        let link = player_link(player);
        let team = player
            .team
            .as_deref()
            .map(|t| format!(" ({})", display_name(t)))
            .unwrap_or_default();
        let line = format!("{link}{team}");
        if text.is_empty() {
            text = truncate(&line, budget);
            continue;
        }
        if text.chars().count() + line.chars().count() + 1 > budget {
            text.push_str(&format!("\nand {} more", list.len() - shown));
            break;
        }
        text.push('\n');
        text.push_str(&line);
    }
    text
}
