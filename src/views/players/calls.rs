//! `/emergency`: active 911 calls, with callers and responders named from the player list.

use crate::erlc::models::{EmergencyCall, Player};
use crate::feeds::message::FeedMessage;

/// `/emergency`: one embed per call (newest first, up to ten), `now` in Unix seconds.
pub fn emergency_calls(
    label: &str,
    calls: &[EmergencyCall],
    players: &[Player],
    now: i64,
) -> FeedMessage {
    let _ = (label, calls, players, now);
    todo!()
}
