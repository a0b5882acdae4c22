//! Cases on screen: one case in full (with its history), a page of a player's or a
//! moderator's cases, what `/warn` did, and the cases section of the player panel. Reasons
//! and names are game or member text: escaped, never pinging.

use crate::actions::WarnReport;
use crate::store::cases::{CaseChange, CaseEdit};
use crate::store::{Case, CasePage, CaseSource, CaseStatus};
use crate::ui::colours;
use crate::ui::escape::{code_span, escape_name, escape_text};
use crate::ui::message::{MAX_DESCRIPTION, MAX_FIELD_VALUE, truncate};
use crate::ui::names::{display_name, member_mention, name_link};
use crate::ui::time::{full_time, relative_time};
use crate::ui::{Embed, Message};

use super::common::pack_lines;

/// Edits listed under a case, newest last.
const MAX_HISTORY: usize = 5;
/// Longest reason in a list line.
const MAX_LINE_REASON: usize = 80;

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn status_colour(status: CaseStatus) -> u32 {
    match status {
        CaseStatus::Pending => colours::PENDING,
        CaseStatus::Active => colours::WARNING,
        CaseStatus::Failed => colours::DANGER,
        CaseStatus::Voided | CaseStatus::Expired => colours::NEUTRAL,
    }
}

fn source_text(source: CaseSource) -> &'static str {
    match source {
        CaseSource::Discord => "Discord",
        CaseSource::InGame => "in game",
        CaseSource::Automation => "the bot",
    }
}

fn moderator_text(case: &Case) -> String {
    match case.moderator.discord_id {
        Some(id) => member_mention(id),
        None => escape_name(case.moderator.display_name()),
    }
}

fn reason_text(reason: Option<&str>, max: usize) -> String {
    reason
        .map(|r| escape_text(&truncate(r, max)))
        .unwrap_or_else(|| "_no reason given_".to_owned())
}

fn history_line(edit: &CaseEdit) -> String {
    let by = edit
        .by
        .as_ref()
        .map(|m| escape_name(m.display_name()))
        .unwrap_or_else(|| "the bot".to_owned());
    let what = match &edit.change {
        CaseChange::Reason { to, .. } => {
            format!("reason → {}", code_span(&truncate(to, MAX_LINE_REASON)))
        }
        CaseChange::Status { to, note, .. } => match note.as_deref() {
            Some(note) => format!(
                "{} ({})",
                to.as_str(),
                escape_text(&truncate(note, MAX_LINE_REASON))
            ),
            None => to.as_str().to_owned(),
        },
    };
    format!("{} · {by}: {what}", relative_time(secs(edit.at_ms)))
}

/// One case in full.
pub fn case_view(case: &Case) -> Message {
    Message::single(case_embed(case, "Case"), Vec::new())
}

fn case_embed(case: &Case, heading: &str) -> Embed {
    let title = format!(
        "{heading} #{} · {}",
        case.number,
        display_name(&case.kind.replace('_', " "))
    );
    let mut embed = Embed::new()
        .title(&title)
        .colour(status_colour(case.status))
        .field(
            "Player",
            &name_link(&case.target.name, case.target.id),
            true,
        )
        .field("Moderator", &moderator_text(case), true)
        .field("Status", case.status.as_str(), true)
        .field("Reason", &reason_text(case.reason.as_deref(), 1000), false)
        .field("Filed", &full_time(secs(case.created_at_ms)), true)
        .field("From", source_text(case.source), true);
    if let Some(server) = &case.server {
        embed = embed.field("Server", &code_span(server), true);
    }
    if let Some(until) = case.expires_at_ms {
        let label = match case.status {
            CaseStatus::Expired => "Ended",
            _ => "Ends",
        };
        embed = embed.field(label, &full_time(secs(until)), true);
    }
    if !case.history.is_empty() {
        let skip = case.history.len().saturating_sub(MAX_HISTORY);
        let lines = case.history.iter().skip(skip).map(history_line);
        embed = embed.field("History", &pack_lines(lines, MAX_FIELD_VALUE), false);
    }
    embed
}

/// `` `#12` · warning · 3 days ago · by @Mod — reason ``
fn list_line(case: &Case) -> String {
    let struck = matches!(case.status, CaseStatus::Voided | CaseStatus::Failed);
    let head = format!(
        "`#{}` · **{}**{}",
        case.number,
        display_name(&case.kind.replace('_', " ")),
        if case.status == CaseStatus::Active {
            String::new()
        } else {
            format!(" ({})", case.status.as_str())
        }
    );
    let head = if struck { format!("~~{head}~~") } else { head };
    format!(
        "{head} · {} · {} · by {} — {}",
        name_link(&case.target.name, case.target.id),
        relative_time(secs(case.created_at_ms)),
        moderator_text(case),
        reason_text(case.reason.as_deref(), MAX_LINE_REASON)
    )
}

/// A page of cases. `subject` says whose (already escaped); `page` counts from 0.
pub fn case_list(subject: &str, page: &CasePage, index: usize) -> Message {
    let description = if page.cases.is_empty() {
        if index == 0 {
            "No cases.".to_owned()
        } else {
            "No cases on this page.".to_owned()
        }
    } else {
        pack_lines(page.cases.iter().map(list_line), MAX_DESCRIPTION)
    };
    let more = if page.has_more {
        format!(" · more on page {}", index + 2)
    } else {
        String::new()
    };
    let embed = Embed::new()
        .title(&format!("Cases: {subject}"))
        .colour(colours::STAFF)
        .description(&description)
        .footer(&format!("Page {}{more}", index + 1));
    Message::single(embed, Vec::new())
}

/// What `/warn` did, including whether the player was told.
pub fn warn_report(report: &WarnReport) -> Message {
    let told = match &report.notice {
        None => "Not told in game (notify was off).".to_owned(),
        Some(Ok(_)) => "Told in game with a private message naming the case.".to_owned(),
        Some(Err(error)) => format!(
            "The warning is filed, but the in-game message did not get through: {}",
            error.user_message()
        ),
    };
    let embed = case_embed(&report.case, "Warning filed: case").field("In game", &told, false);
    Message::single(embed, Vec::new())
}

/// A case just filed, changed or voided: `heading` says which (`Note filed: case`).
pub fn case_saved(case: &Case, heading: &str) -> Message {
    Message::single(case_embed(case, heading), Vec::new())
}

/// The lines of the player panel's cases section: the newest few, and a pointer to `/cases`.
pub fn panel_lines(page: &CasePage) -> String {
    if page.cases.is_empty() {
        return "No cases.".to_owned();
    }
    let mut text = pack_lines(page.cases.iter().map(list_line), MAX_FIELD_VALUE - 40);
    if page.has_more {
        text.push_str("\n-# more with `/cases`");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CaseModerator, CaseTarget};
    use crate::views::tests::fixtures::embed_text as text;

    fn case(reason: &str) -> Case {
        Case {
            guild: 1,
            number: 42,
            kind: "temp_ban".into(),
            target: CaseTarget {
                id: Some(7),
                name: "Bad_Guy".into(),
            },
            moderator: CaseModerator::discord(99, "Mod"),
            reason: Some(reason.into()),
            server: Some("main".into()),
            created_at_ms: 1_700_000_000_000,
            source: CaseSource::Discord,
            status: CaseStatus::Active,
            expires_at_ms: Some(1_700_003_600_000),
            audit_seq: Some(3),
            history: Vec::new(),
        }
    }

    #[test]
    fn a_case_shows_its_facts_and_escapes_the_reason() {
        let shown = text(&case_view(&case("@everyone *spam*")));
        for fact in ["#42", "temp ban", "<@99>", "active", "Ends", "main"] {
            assert!(shown.contains(fact), "{fact} in {shown}");
        }
        assert!(!shown.contains("@everyone"), "{shown}");
        assert!(shown.contains("\\*spam\\*"), "{shown}");
    }

    #[test]
    fn lists_mark_voided_cases_and_say_when_more_follow() {
        let mut voided = case("x");
        voided.status = CaseStatus::Voided;
        let page = CasePage {
            cases: vec![case("y"), voided],
            has_more: true,
        };
        let shown = text(&case_list("Bad\\_Guy", &page, 0));
        assert!(shown.contains("~~`#42`"), "{shown}");
        let footer = case_list("x", &page, 0).embeds[0].footer.clone();
        assert!(footer.is_some_and(|f| f.contains("more on page 2")));
        assert!(panel_lines(&page).contains("/cases"));
        let empty = CasePage {
            cases: vec![],
            has_more: false,
        };
        assert_eq!(panel_lines(&empty), "No cases.");
    }
}
