//! Leaves of absence on screen: the request card with Approve/Deny, the card after the
//! decision, the note the member gets privately, and `/loa list`. Reasons and names are
//! member text: escaped, never pinging.

use crate::actions::LeaveList;
use crate::reports::dates::{DAY_MS, format_day};
use crate::store::{Leave, LeaveStatus};
use crate::ui::colours;
use crate::ui::custom_id::{ButtonAction, CustomId, CustomIdError};
use crate::ui::escape::escape_text;
use crate::ui::message::{Button, ButtonStyle, MAX_DESCRIPTION};
use crate::ui::names::member_mention;
use crate::ui::{Embed, Message};

use super::GUILD_WIDE;
use super::common::{count, pack_lines};

fn days(leave: &Leave) -> String {
    let n = usize::try_from((leave.until_ms - leave.from_ms) / DAY_MS).unwrap_or(0);
    format!(
        "{} to {} ({}, UTC)",
        format_day(leave.from_ms),
        format_day(leave.until_ms - DAY_MS),
        count(n, "day", "days")
    )
}

fn colour(status: LeaveStatus) -> u32 {
    match status {
        LeaveStatus::Pending => colours::PENDING,
        LeaveStatus::Approved => colours::JOIN,
        LeaveStatus::Denied => colours::NEUTRAL,
    }
}

fn leave_embed(leave: &Leave, title: &str) -> Embed {
    Embed::new()
        .title(title)
        .colour(colour(leave.status))
        .field("Member", &member_mention(leave.member), true)
        .field("Days", &days(leave), true)
        .field("Reason", &escape_text(&leave.reason), false)
}

/// The card of a new request: Approve/Deny for shift admins (the buttons check).
pub fn leave_card(leave: &Leave) -> Result<Message, CustomIdError> {
    let id = leave.id.to_string();
    let approve = CustomId::new(ButtonAction::LoaApprove, GUILD_WIDE, &id)?;
    let deny = CustomId::new(ButtonAction::LoaDeny, GUILD_WIDE, &id)?;
    let embed = leave_embed(leave, &format!("🌴 Leave request #{}", leave.id)).footer(
        "A shift admin (not the one away) approves or denies it. Approved leave excuses the \
         member from quotas for these days.",
    );
    Ok(Message::single(
        embed,
        vec![
            Button::new(&approve, "Approve", ButtonStyle::Success),
            Button::new(&deny, "Deny", ButtonStyle::Secondary),
        ],
    ))
}

/// The card once decided: who decided, no buttons.
pub fn leave_decided(leave: &Leave) -> Message {
    let by = leave.decided_by.map_or_else(String::new, member_mention);
    let embed = leave_embed(
        leave,
        &format!("🌴 Leave #{} {}", leave.id, leave.status.as_str()),
    )
    .description(&format!("{} by {by}.", capital(leave.status.as_str())));
    Message::single(embed, Vec::new())
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What the member is told privately once their leave is decided.
pub fn leave_decision_note(leave: &Leave, guild_name: &str) -> Message {
    let verdict = match leave.status {
        LeaveStatus::Approved => "was approved: you are excused from quotas for these days",
        LeaveStatus::Denied => "was denied",
        LeaveStatus::Pending => "is still waiting for a decision",
    };
    let embed = leave_embed(leave, &format!("Your leave #{}", leave.id)).description(&format!(
        "Your leave in {} {verdict}.",
        escape_text(guild_name)
    ));
    Message::single(embed, Vec::new())
}

/// For the shift admin, when the member's DMs are closed.
pub fn leave_note_undelivered(leave: &Leave) -> Message {
    let embed = Embed::new().colour(colours::WARNING).description(&format!(
        "Leave #{} is {}, but {} could not be told by direct message (their DMs may be \
         closed); please tell them.",
        leave.id,
        leave.status.as_str(),
        member_mention(leave.member)
    ));
    Message::single(embed, Vec::new())
}

/// `/loa list`: current and upcoming leaves, with their state.
pub fn leave_list(list: &LeaveList) -> Message {
    let whose = match list.member {
        Some(member) => format!("Leave of {}", member_mention(member)),
        None => "Leave of every member".to_owned(),
    };
    let lines = list.leaves.iter().map(|leave| {
        format!(
            "**#{}** {} · {} · {} · {}",
            leave.id,
            member_mention(leave.member),
            days(leave),
            leave.status.as_str(),
            escape_text(&crate::ui::message::truncate(&leave.reason, 80))
        )
    });
    let body = pack_lines(lines, MAX_DESCRIPTION);
    let body = if body.is_empty() {
        "No current or upcoming leave.".to_owned()
    } else {
        body
    };
    let embed = Embed::new()
        .title(&format!("🌴 {whose}"))
        .colour(colours::STAFF)
        .description(&body)
        .footer("Current and upcoming leave; days are UTC.");
    Message::single(embed, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leave(status: LeaveStatus) -> Leave {
        Leave {
            guild: 1,
            id: 4,
            member: 7,
            member_name: "x".into(),
            from_ms: 1_772_409_600_000,
            until_ms: 1_772_409_600_000 + 3 * DAY_MS,
            reason: "@everyone *exams*".into(),
            status,
            requested_at_ms: 0,
            decided_by: Some(8),
            decided_at_ms: Some(1),
        }
    }

    #[test]
    fn cards_escape_the_reason_and_carry_the_number() {
        let card = leave_card(&leave(LeaveStatus::Pending)).unwrap();
        let text = format!("{card:?}");
        assert!(text.contains("erlc:loa_ok:_:4") && text.contains("erlc:loa_no:_:4"));
        assert!(
            text.contains("2026-03-02 to 2026-03-04 (3 days, UTC)"),
            "{text}"
        );
        assert!(
            !text.contains("@everyone") && !text.contains(" *exams*"),
            "{text}"
        );
        let decided = format!("{:?}", leave_decided(&leave(LeaveStatus::Approved)));
        assert!(decided.contains("Approved by <@8>") && !decided.contains("loa_ok"));
        let note = format!(
            "{:?}",
            leave_decision_note(&leave(LeaveStatus::Denied), "G")
        );
        assert!(note.contains("was denied"));
    }
}
