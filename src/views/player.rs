//! The player panel (`/player <name>`): live details when the player is in game, a compact
//! timeline from the event store, the player's cases (for viewers with `cases`), and Kick / Ban / PM / Wanted / Refresh buttons whose ids
//! carry the server and the Roblox id, so they work after a restart.

use crate::erlc::models::{Include, Location, Player, PlayerRef};
use crate::events::Event;
use crate::events::catalog::EventPayload;
use crate::store::CasePage;
use crate::ui::colours;
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::ui::escape::{code_span, plain_line};
use crate::ui::message::{Button, ButtonStyle, Embed, MAX_FIELD_VALUE, Message};
use crate::ui::names::{display_name, profile_url};
use crate::ui::stars::stars;
use crate::ui::team::TeamStyle;
use crate::ui::time::relative_time;

use super::common::{pack_lines, permission_badge};
use super::lines::event_line;

/// Timeline lines shown on a panel.
const TIMELINE_LINES: usize = 12;
/// Stored events read for a panel's timeline and its activity counts.
pub const TIMELINE_EVENTS: usize = 15;

/// What [`player_panel`] reads from `GET /v2/server`: the player list, with the wanted stars
/// and location only v2 has.
pub const PANEL_SECTIONS: Include = Include::none().players();

/// The panel for `who` on server `label`. `live` is the player's entry in the live player
/// list (`None` when offline); `timeline` holds stored events involving the player (any
/// order); `now` is Unix seconds.
pub fn player_panel(
    label: &str,
    who: &PlayerRef,
    live: Option<&Player>,
    timeline: &[Event],
    now: i64,
) -> Message {
    let id = who.id.or_else(|| live.and_then(|p| p.player.id));
    let mut events: Vec<&Event> = timeline.iter().collect();
    events.sort_by(|a, b| {
        b.source_time
            .cmp(&a.source_time)
            .then_with(|| b.id.cmp(&a.id))
    });
    let mut embed = match live {
        Some(player) => online_embed(label, player),
        None => offline_embed(label, who, events.first().copied()),
    };
    if let Some(id) = id {
        embed = embed
            .url(&profile_url(id))
            .field("Roblox id", &format!("`{id}`"), true);
    }
    if !events.is_empty() {
        embed = embed.field("Activity stored", &activity_counts(&events, id), false);
    }
    let lines = events
        .iter()
        .take(TIMELINE_LINES)
        .map(|event| event_line(event, id));
    let timeline_text = if events.is_empty() {
        "Nothing stored for this player yet. Activity appears here once the bot sees it.".to_owned()
    } else {
        pack_lines(lines, MAX_FIELD_VALUE)
    };
    embed = embed
        .field("Recent activity", &timeline_text, false)
        .footer(&plain_line(&format!("{label} · player panel")))
        .timestamp(now);
    let buttons = id.map_or_else(Vec::new, |id| panel_buttons(label, id, live.is_some()));
    Message::single(embed, buttons)
}

/// The panel with its cases section (for a viewer who may read cases): the newest few, and
/// `/cases` for the rest.
pub fn with_cases(mut panel: Message, page: &CasePage) -> Message {
    if let Some(embed) = panel.embeds.pop() {
        panel
            .embeds
            .push(embed.field("Cases", &super::cases::panel_lines(page), false));
    }
    panel
}

fn online_embed(label: &str, player: &Player) -> Embed {
    let team = player.team.display_name();
    let mut embed = Embed::new()
        .title(&format!(
            "{} {}",
            player.team.swatch(),
            display_name(&player.player.name)
        ))
        .colour(player.team.colour().unwrap_or(colours::NEUTRAL))
        .description(&format!(
            "🟢 **In game** on {} as **{team}**",
            code_span(label)
        ))
        .field("Team", &team, true)
        .field(
            "Permission",
            permission_badge(&player.permission).unwrap_or("Player"),
            true,
        );
    if let Some(callsign) = player.callsign.as_deref().filter(|c| !c.trim().is_empty()) {
        embed = embed.field("Callsign", &code_span(callsign), true);
    }
    if let Some(wanted) = player.wanted_stars {
        let text = if wanted == 0 {
            "Not wanted".to_owned()
        } else {
            format!("{} ({wanted})", stars(wanted))
        };
        embed = embed.field("Wanted", &text, true);
    }
    if let Some(location) = &player.location {
        embed = embed.field("Location", &location_text(location), true);
    }
    embed
}

fn offline_embed(label: &str, who: &PlayerRef, newest: Option<&Event>) -> Embed {
    let seen = match newest {
        Some(event) => format!("last seen {}", relative_time(event.source_time)),
        None => "no activity stored".to_owned(),
    };
    Embed::new()
        .title(&format!("⚫ {}", display_name(&who.name)))
        .colour(colours::ENDED)
        .description(&format!("**Not in game** on {} · {seen}", code_span(label)))
}

/// `Postal 307 · 12 Harbor Road`, or the coordinates when PRC gave no names.
fn location_text(location: &Location) -> String {
    let named = |v: &Option<String>| {
        v.as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(display_name)
    };
    let street = match (
        named(&location.building_number),
        named(&location.street_name),
    ) {
        (Some(number), Some(street)) => Some(format!("{number} {street}")),
        (None, Some(street)) => Some(street),
        _ => None,
    };
    let parts: Vec<String> = named(&location.postal_code)
        .map(|p| format!("Postal {p}"))
        .into_iter()
        .chain(street)
        .collect();
    if parts.is_empty() {
        format!("{:.0}, {:.0}", location.location_x, location.location_z)
    } else {
        parts.join(" · ")
    }
}

/// `Joins 3 · Kills 2 · Deaths 1 · Commands 5 · Mod calls 1` over the stored timeline.
fn activity_counts(events: &[&Event], id: Option<u64>) -> String {
    let (mut joins, mut kills, mut deaths, mut commands, mut calls) = (0, 0, 0, 0, 0);
    for event in events {
        match EventPayload::from_json(&event.payload) {
            Some(EventPayload::PlayerJoin { .. }) => joins += 1,
            Some(EventPayload::Kill { killer, killed }) => {
                if id.is_some() && killer.id == id {
                    kills += 1;
                }
                if id.is_some() && killed.id == id {
                    deaths += 1;
                }
            }
            Some(EventPayload::Command { .. } | EventPayload::CustomCommand { .. }) => {
                commands += 1
            }
            Some(EventPayload::ModCallNew { caller, .. }) if id.is_some() && caller.id == id => {
                calls += 1
            }
            _ => {}
        }
    }
    format!(
        "Joins **{joins}** · Kills **{kills}** · Deaths **{deaths}** · Commands **{commands}** · \
         Mod calls **{calls}**"
    )
}

/// Kick, Ban, PM, Wanted and Refresh in game; Ban and Refresh when offline.
fn panel_buttons(label: &str, id: u64, online: bool) -> Vec<Button> {
    let wanted: &[(ButtonAction, &str, ButtonStyle)] = if online {
        &[
            (ButtonAction::PlayerKick, "Kick", ButtonStyle::Danger),
            (ButtonAction::PlayerBan, "Ban", ButtonStyle::Danger),
            (ButtonAction::PlayerPm, "PM", ButtonStyle::Primary),
            (ButtonAction::PlayerWanted, "Wanted", ButtonStyle::Secondary),
            (
                ButtonAction::PlayerRefresh,
                "Refresh",
                ButtonStyle::Secondary,
            ),
        ]
    } else {
        &[
            (ButtonAction::PlayerBan, "Ban", ButtonStyle::Danger),
            (
                ButtonAction::PlayerRefresh,
                "Refresh",
                ButtonStyle::Secondary,
            ),
        ]
    };
    wanted
        .iter()
        .filter_map(|(action, text, style)| {
            let custom_id = CustomId::player(*action, label, id).ok()?;
            Some(Button::new(&custom_id, text, *style))
        })
        .collect()
}
