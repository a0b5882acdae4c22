//! Shifts on screen: what `/shift start|break|resume|end|void` did, a member's status, a
//! page of their history, the leaderboard, an adjustment and the shift settings. Members
//! are shown as mentions (which never ping); reasons and names are escaped.

use crate::actions::ShiftUpdate;
use crate::store::{Shift, ShiftPage, ShiftSettings, ShiftSource, ShiftStatus};
use crate::ui::colours;
use crate::ui::escape::{code_span, escape_text};
use crate::ui::message::{MAX_DESCRIPTION, truncate};
use crate::ui::names::{display_name, member_mention, name_link};
use crate::ui::time::{full_time, hours_minutes, relative_time};
use crate::ui::{Embed, Message};

use super::common::pack_lines;

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn worked(shift: &Shift, now_ms: i64) -> String {
    hours_minutes(secs(shift.worked_ms(i64::MIN, i64::MAX, now_ms)))
}

fn source_text(source: ShiftSource) -> &'static str {
    match source {
        ShiftSource::Discord => "Discord",
        ShiftSource::InGame => "in game",
        ShiftSource::Automatic => "automatic (joined as staff)",
        ShiftSource::Admin => "admin adjustment",
    }
}

fn state_text(shift: &Shift) -> &'static str {
    match shift.status {
        ShiftStatus::Open if shift.on_break() => "on a break",
        ShiftStatus::Open => "on shift",
        ShiftStatus::Ended => "ended",
        ShiftStatus::Voided => "voided",
    }
}

fn shift_embed(shift: &Shift, title: &str, now_ms: i64) -> Embed {
    let colour = match shift.status {
        ShiftStatus::Open if shift.on_break() => colours::PENDING,
        ShiftStatus::Open => colours::JOIN,
        ShiftStatus::Ended => colours::STAFF,
        ShiftStatus::Voided => colours::NEUTRAL,
    };
    let mut embed = Embed::new()
        .title(title)
        .colour(colour)
        .field("Member", &member_mention(shift.member), true)
        .field("Type", &display_name(&shift.kind), true)
        .field("State", state_text(shift), true)
        .field("Worked", &worked(shift, now_ms), true)
        .field("Started", &full_time(secs(shift.started_at_ms)), true)
        .field("From", source_text(shift.source), true);
    if let Some(roblox) = &shift.roblox {
        embed = embed.field("Roblox", &name_link(&roblox.name, Some(roblox.id)), true);
    }
    if let Some(server) = &shift.server {
        embed = embed.field("Server", &code_span(server), true);
    }
    if !shift.breaks.is_empty() {
        let off = shift.break_ms(i64::MIN, i64::MAX, now_ms);
        let text = format!("{} ({})", shift.breaks.len(), hours_minutes(secs(off)));
        embed = embed.field("Breaks", &text, true);
    }
    if let Some(end) = shift.ended_at_ms {
        embed = embed.field("Ended", &full_time(secs(end)), true);
    }
    for adjustment in &shift.adjustments {
        let text = format!(
            "{} by {} — {}",
            hours_minutes(adjustment.minutes.saturating_mul(60)),
            member_mention(adjustment.by),
            escape_text(&truncate(&adjustment.reason, 200))
        );
        embed = embed.field("Adjustment", &text, false);
    }
    embed
}

/// What a start, break, resume, end or void did; says when the on-shift role could not be
/// given or taken.
pub fn shift_update(update: &ShiftUpdate, heading: &str, now_ms: i64) -> Message {
    let title = format!("{heading}: shift #{}", update.shift.id);
    let mut embed = shift_embed(&update.shift, &title, now_ms);
    if let Some(why) = &update.role_problem {
        let text = format!(
            "The on-shift role was not changed: {}. The bot needs **Manage Roles**, and its \
             highest role must be above the on-shift role.",
            escape_text(why)
        );
        embed = embed.field("Role", &text, false);
    }
    Message::single(embed, Vec::new())
}

/// `/shift status`: the member's open shift, or that they are off shift.
pub fn shift_status(member: u64, open: Option<&Shift>, now_ms: i64) -> Message {
    match open {
        Some(shift) => Message::single(
            shift_embed(shift, &format!("On shift: #{}", shift.id), now_ms),
            Vec::new(),
        ),
        None => Message::single(
            Embed::new()
                .title("Off shift")
                .colour(colours::NEUTRAL)
                .description(&format!("{} is not on shift.", member_mention(member))),
            Vec::new(),
        ),
    }
}

/// `` `#12` · patrol · 2 days ago · 1h 20m (ended) ``
fn history_line(shift: &Shift, now_ms: i64) -> String {
    let head = format!("`#{}` · **{}**", shift.id, display_name(&shift.kind));
    let head = if shift.status == ShiftStatus::Voided {
        format!("~~{head}~~")
    } else {
        head
    };
    format!(
        "{head} · {} · {} ({})",
        relative_time(secs(shift.started_at_ms)),
        worked(shift, now_ms),
        match shift.source {
            ShiftSource::Admin => "adjustment",
            _ => state_text(shift),
        }
    )
}

/// `/shift history`: a page (counted from 0) of a member's shifts.
pub fn shift_history(member: u64, page: &ShiftPage, index: usize, now_ms: i64) -> Message {
    let description = if page.shifts.is_empty() {
        "No shifts.".to_owned()
    } else {
        let lines = page.shifts.iter().map(|s| history_line(s, now_ms));
        format!(
            "{}\n{}",
            member_mention(member),
            pack_lines(lines, MAX_DESCRIPTION - 40)
        )
    };
    let more = if page.has_more {
        format!(" · more on page {}", index + 2)
    } else {
        String::new()
    };
    let embed = Embed::new()
        .title("Shift history")
        .colour(colours::STAFF)
        .description(&description)
        .footer(&format!("Page {}{more}", index + 1));
    Message::single(embed, Vec::new())
}

/// `/shift leaderboard`: members by time worked in the period (`period` as typed, escaped).
pub fn leaderboard(board: &[(u64, i64)], period: &str) -> Message {
    let description = if board.is_empty() {
        "Nobody worked a shift in this period.".to_owned()
    } else {
        let lines = board.iter().enumerate().map(|(i, (member, ms))| {
            format!(
                "**{}.** {} — {}",
                i + 1,
                member_mention(*member),
                hours_minutes(secs(*ms))
            )
        });
        pack_lines(lines, MAX_DESCRIPTION)
    };
    let embed = Embed::new()
        .title(&format!("Shift leaderboard: last {}", code_span(period)))
        .colour(colours::STAFF)
        .description(&description);
    Message::single(embed, Vec::new())
}

/// `/shift adjust`: the adjustment record.
pub fn adjusted(shift: &Shift, now_ms: i64) -> Message {
    let title = format!("Shift time adjusted (#{})", shift.id);
    Message::single(shift_embed(shift, &title, now_ms), Vec::new())
}

/// `/settings shifts`: the settings as saved.
pub fn shift_settings_saved(settings: &ShiftSettings) -> Message {
    let role = settings
        .on_shift_role
        .map_or("none".to_owned(), |r| format!("<@&{r}>"));
    let yes_no = |on: bool| if on { "yes" } else { "no" };
    let embed = Embed::new()
        .title("Shift settings saved")
        .colour(colours::STAFF)
        .field("Types", &settings.types().join(", "), false)
        .field("On-shift role", &role, true)
        .field("Must be in game", yes_no(settings.require_in_game), true)
        .field("Automatic shifts", yes_no(settings.automatic), true);
    Message::single(embed, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ShiftAdjustment;
    use crate::store::shifts::ShiftBreak;
    use crate::views::tests::fixtures::embed_text as text;

    fn shift() -> Shift {
        Shift {
            guild: 1,
            id: 7,
            member: 99,
            roblox: None,
            kind: "patrol".into(),
            server: Some("main".into()),
            source: ShiftSource::Discord,
            started_at_ms: 0,
            breaks: vec![ShiftBreak {
                start_ms: 600_000,
                end_ms: Some(1_200_000),
            }],
            ended_at_ms: Some(3_600_000),
            status: ShiftStatus::Ended,
            adjustments: vec![ShiftAdjustment {
                minutes: 5,
                reason: "@everyone *late*".into(),
                by: 4,
                at_ms: 0,
            }],
            voided: None,
        }
    }

    #[test]
    fn a_shift_shows_time_breaks_and_escaped_adjustments() {
        let update = ShiftUpdate {
            shift: shift(),
            applied: true,
            role_problem: Some("Missing Permissions".into()),
        };
        let shown = text(&shift_update(&update, "Off shift", 0));
        for fact in [
            "#7",
            "<@99>",
            "patrol",
            "55m",
            "Breaks: 1 (10m)",
            "Manage Roles",
        ] {
            assert!(shown.contains(fact), "{fact} in {shown}");
        }
        assert!(!shown.contains("@everyone"), "{shown}");
    }

    #[test]
    fn history_marks_voided_and_the_board_ranks() {
        let mut voided = shift();
        voided.status = ShiftStatus::Voided;
        let page = ShiftPage {
            shifts: vec![shift(), voided],
            has_more: true,
        };
        let shown = text(&shift_history(99, &page, 0, 0));
        assert!(shown.contains("~~`#7`"), "{shown}");
        let board = text(&leaderboard(&[(5, 7_200_000), (6, 60_000)], "7d"));
        assert!(board.contains("**1.** <@5> — 2h 00m"), "{board}");
        assert!(board.contains("**2.** <@6> — 1m"), "{board}");
        assert!(text(&shift_status(5, None, 0)).contains("not on shift"));
    }
}
