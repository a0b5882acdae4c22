//! The player panel (`/player <name>`): live details when the player is in game, a compact
//! timeline from the event store, and Kick / Ban / PM / Wanted / Refresh buttons whose ids
//! carry the server and the Roblox id, so they work after a restart.

use crate::erlc::models::{Player, PlayerRef};
use crate::events::Event;
use crate::feeds::message::FeedMessage;

/// The panel for `who` on server `label`. `live` is the player's entry in the live player
/// list (`None` when offline); `timeline` holds stored events involving the player (any
/// order); `now` is Unix seconds.
pub fn player_panel(
    label: &str,
    who: &PlayerRef,
    live: Option<&Player>,
    timeline: &[Event],
    now: i64,
) -> FeedMessage {
    let _ = (label, who, live, timeline, now);
    todo!()
}
