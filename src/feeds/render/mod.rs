//! Rendering: one card (an embed, plus buttons where a card is acted on) per stored event,
//! readable at a glance — linked player names, team colours, Discord relative times — with
//! every piece of game text escaped. Unknown (newer) payloads get a generic card.

mod activity;
mod calls;
mod cases;
mod notices;
mod shifts;

pub use calls::{ModCallProgress, mod_call_progress};

use crate::events::Event;
use crate::events::catalog::{EventPayload, PlayerInfo};
use crate::ui::escape::plain_line;
use crate::ui::team::{self, TeamStyle};
use crate::ui::time::relative_time;
use crate::ui::{Button, Embed};

/// What one event looks like in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The event drawn for a channel, with game text escaped.
    pub embed: Embed,
    /// Buttons under the embed (Claim and Resolve on an open mod call); a card with any is
    /// posted alone.
    pub buttons: Vec<Button>,
    /// Set for cards that are edited in place later (mod calls, 911 calls).
    pub live: Option<LiveCard>,
}

/// Identity of a card that later events update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCard {
    /// What the card tracks within its server, e.g. `modcall:<call key>`,
    /// `emergency:<call number>-<start time>`.
    pub subject: String,
    /// False for the event that creates the card; true for events that edit it.
    pub update: bool,
}

impl Card {
    fn plain(embed: Embed) -> Self {
        Self {
            embed,
            buttons: Vec::new(),
            live: None,
        }
    }
}

/// Where and when an event happened, shared by every card renderer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CardContext<'a> {
    /// The guild's label for the server.
    pub server: &'a str,
    /// The kind part of the type, e.g. `player/join`.
    pub kind: &'a str,
    /// Unix seconds.
    pub time: i64,
}

impl CardContext<'_> {
    /// An embed with the shared parts set: colour, timestamp and the footer
    /// `<server> · <kind>`.
    pub fn embed(&self, title: &str, colour: u32) -> Embed {
        let embed = Embed::new()
            .title(title)
            .colour(colour)
            .footer(&plain_line(&format!("{} · {}", self.server, self.kind)));
        if self.time > 0 {
            embed.timestamp(self.time)
        } else {
            embed
        }
    }

    /// `<t:UNIX:R>`: Discord shows "2 minutes ago" in the reader's language.
    pub fn ago(&self) -> String {
        relative_time(self.time)
    }
}

/// Render a stored event. Never fails: payloads this version does not know get a generic card.
pub fn render_event(event: &Event) -> Card {
    let context = CardContext {
        server: &event.server,
        kind: event.event_type.kind(),
        time: event.source_time,
    };
    match EventPayload::from_json(&event.payload) {
        Some(payload) => activity::render(&payload, &context),
        None => notices::unknown(&event.payload, &context),
    }
}

/// The colour of a team an event names, or `fallback` for teams we do not know.
fn team_colour_or(team: &str, fallback: u32) -> u32 {
    team::parse(team).colour().unwrap_or(fallback)
}

/// The player's team colour, or `fallback`.
fn colour_of(player: &PlayerInfo, fallback: u32) -> u32 {
    player
        .team
        .as_deref()
        .map_or(fallback, |team| team_colour_or(team, fallback))
}

#[cfg(test)]
mod tests;
