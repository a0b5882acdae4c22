//! Cards for shift events: a staff member going on shift, on a break, back, off shift (with
//! the time worked) or a shift voided.

use crate::events::catalog::ShiftInfo;
use crate::ui::colours;
use crate::ui::escape::escape_name;
use crate::ui::names::{display_name, player_link};
use crate::ui::time::hours_minutes;

use super::{Card, CardContext};

pub(super) fn shift_card(kind: &str, shift: &ShiftInfo, cx: &CardContext<'_>) -> Card {
    let (title, colour) = match kind {
        "shift/started" => ("On shift", colours::JOIN),
        "shift/break" => ("On a break", colours::PENDING),
        "shift/resumed" => ("Back from a break", colours::STAFF),
        "shift/ended" => ("Off shift", colours::LEAVE),
        _ => ("Shift voided", colours::NEUTRAL),
    };
    // Names, not mentions: a card is drawn from stored text, and game text never pings.
    let who = match (&shift.member_name, &shift.player) {
        (Some(name), Some(player)) => format!("{} ({})", escape_name(name), player_link(player)),
        (Some(name), None) => escape_name(name),
        (None, Some(player)) => player_link(player),
        (None, None) => format!("member {}", shift.member),
    };
    let embed = cx
        .embed(&format!("{title}: shift #{}", shift.id), colour)
        .description(&format!("{who} · {}", cx.ago()))
        .field("Type", &display_name(&shift.kind), true)
        .field("Worked", &hours_minutes(shift.worked_secs), true)
        .field("Started from", &display_name(&shift.source), true);
    Card::plain(embed)
}
