//! Rendering: one card (an embed, plus buttons where a card is acted on) per stored event,
//! readable at a glance — linked player names, team colours, Discord relative times — with
//! every piece of game text escaped. Unknown (newer) payloads get a generic card.

mod activity;
mod calls;
mod notices;

pub use activity::{stars, user_link};
pub use calls::{ModCallProgress, mod_call_progress};

use crate::events::Event;
use crate::events::catalog::{EventPayload, PlayerInfo};

use super::escape::{escape_name, plain_line};
use super::message::{Button, Embed};

/// What one event looks like in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub embed: Embed,
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

/// `<t:UNIX:R>`.
pub fn relative_time(unix_secs: i64) -> String {
    format!("<t:{unix_secs}:R>")
}

/// `<t:UNIX:f>`: full date and time in the reader's zone.
pub fn full_time(unix_secs: i64) -> String {
    format!("<t:{unix_secs}:f>")
}

/// A Roblox profile address.
pub fn profile_url(roblox_id: u64) -> String {
    format!("https://www.roblox.com/users/{roblox_id}/profile")
}

/// A player's name, escaped, linked to their Roblox profile when the id is known
/// (plain text for `Remote Server` and other id-less names).
pub fn player_link(player: &PlayerInfo) -> String {
    name_link(&player.name, player.id)
}

/// Like [`player_link`] for a bare name and optional id.
pub fn name_link(name: &str, id: Option<u64>) -> String {
    let shown = display_name(name);
    match id {
        Some(id) => format!("[{shown}]({})", profile_url(id)),
        None => shown,
    }
}

/// An escaped name, or a stand-in when nothing printable is left.
pub fn display_name(name: &str) -> String {
    let escaped = escape_name(name);
    if escaped.is_empty() {
        "(no name)".to_owned()
    } else {
        escaped
    }
}

/// ER:LC team colours, so a glance tells which team was involved.
pub mod colours {
    pub const POLICE: u32 = 0x1F5FD1;
    pub const SHERIFF: u32 = 0x6B8E23;
    pub const FIRE: u32 = 0xD7263D;
    pub const DOT: u32 = 0xF28C28;
    pub const CIVILIAN: u32 = 0x95A5A6;
    /// Near-black: Discord treats exactly 0 as "no colour".
    pub const JAIL: u32 = 0x1B1B1B;
    pub const JOIN: u32 = 0x2ECC71;
    pub const LEAVE: u32 = 0x7F8C8D;
    pub const KILL: u32 = 0x8B0000;
    pub const COMMAND: u32 = 0x9B59B6;
    pub const STAFF: u32 = 0x5865F2;
    pub const PENDING: u32 = 0xF1C40F;
    pub const ANSWERED: u32 = 0x2ECC71;
    pub const ENDED: u32 = 0x4F545C;
    pub const WARNING: u32 = 0xE67E22;
    pub const DANGER: u32 = 0xC0392B;
    pub const NEUTRAL: u32 = 0x99AAB5;
}

/// The colour of a team by its in-game name; `None` for teams we do not know.
pub fn team_colour(team: &str) -> Option<u32> {
    let team = team.trim().to_ascii_lowercase();
    let colour = match team.as_str() {
        "police" => colours::POLICE,
        "sheriff" => colours::SHERIFF,
        "fire" | "ems" | "fire department" => colours::FIRE,
        "dot" | "department of transportation" => colours::DOT,
        "civilian" => colours::CIVILIAN,
        "jail" | "prisoner" => colours::JAIL,
        _ => return None,
    };
    Some(colour)
}

/// The player's team colour, or `fallback`.
fn colour_of(player: &PlayerInfo, fallback: u32) -> u32 {
    player
        .team
        .as_deref()
        .and_then(team_colour)
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests;
