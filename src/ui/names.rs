//! Names from the game in our messages: escaped, never empty, and linked to the Roblox profile
//! when the id is known.

use crate::events::catalog::PlayerInfo;

use super::escape::escape_name;

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

/// A user known only by id: link to the profile, labelled with the id.
pub fn user_link(user_id: u64) -> String {
    name_link(&format!("User {user_id}"), Some(user_id))
}

/// A Discord member by id (`<@id>`): Discord shows their name. It never pings: messages
/// allow no mentions (see [`Message::ALLOWS_MENTIONS`](crate::ui::Message::ALLOWS_MENTIONS)).
pub fn member_mention(discord_id: u64) -> String {
    format!("<@{discord_id}>")
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
