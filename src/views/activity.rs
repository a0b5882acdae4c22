//! The activity report's reply (a summary beside its CSV and PNG) and the quota settings.
//! Member names are member text: escaped, never pinging.

use crate::actions::ActivityReport;
use crate::reports::quota::Verdict;
use crate::store::RoleQuota;
use crate::ui::colours;
use crate::ui::escape::escape_name;
use crate::ui::message::MAX_DESCRIPTION;
use crate::ui::{Embed, Message};

use super::common::{count, pack_lines};

/// Lines of the summary; the CSV holds every member.
const SUMMARY_LINES: usize = 20;

fn required_text(row: &crate::actions::ActivityRow) -> String {
    match row.required {
        Some(required) => format!("{}/{} min", row.minutes(), required.minutes),
        None => format!("{} min", row.minutes()),
    }
}

/// The summary: how many met, missed or are on their way, and the top lines.
pub fn activity_summary(
    report: &ActivityReport,
    csv_name: &str,
    png_name: Option<&str>,
) -> Message {
    let tally = |verdict: Verdict| report.rows.iter().filter(|r| r.verdict == verdict).count();
    let lines = report.rows.iter().take(SUMMARY_LINES).map(|row| {
        format!(
            "**{}** · {} · {} actions · {} · {}",
            escape_name(&row.name),
            required_text(row),
            row.quota_actions(),
            count(
                usize::try_from(row.modcalls).unwrap_or(usize::MAX),
                "call",
                "calls"
            ),
            row.verdict.as_str()
        )
    });
    let mut body = pack_lines(lines, MAX_DESCRIPTION - 200);
    if body.is_empty() {
        body = "Nobody was on shift, filed a case or answered a call in this period.".into();
    } else if report.rows.len() > SUMMARY_LINES {
        body.push_str(&format!(
            "\n… and {} more in the CSV.",
            report.rows.len() - SUMMARY_LINES
        ));
    }
    let embed = Embed::new()
        .title(&format!(
            "📊 Staff activity, {} (UTC)",
            report.period_text()
        ))
        .colour(colours::STAFF)
        .description(&body)
        .field("Staff", &report.rows.len().to_string(), true)
        .field("Met", &tally(Verdict::Met).to_string(), true)
        .field("Missed", &tally(Verdict::Missed).to_string(), true)
        .field("In progress", &tally(Verdict::InProgress).to_string(), true)
        .field("On leave", &tally(Verdict::Excused).to_string(), true)
        .footer(&format!(
            "Every member in {csv_name}; {} Quotas are weekly, pro rata over the period less \
             approved leave.",
            png_name.map_or_else(
                || "the chart could not be drawn.".to_owned(),
                |png| format!("minutes per member in {png}.")
            )
        ));
    Message::single(embed, Vec::new())
}

/// The guild's quotas after `/settings quota`.
pub fn quotas_saved(quotas: &[RoleQuota]) -> Message {
    let lines = quotas.iter().map(|q| {
        let actions = q
            .actions
            .map_or_else(String::new, |a| format!(" and {a} moderation actions"));
        format!(
            "<@&{}>: {} minutes on shift{actions} a week",
            q.role, q.minutes
        )
    });
    let body = pack_lines(lines, MAX_DESCRIPTION);
    let body = if body.is_empty() {
        "No role has a quota.".to_owned()
    } else {
        body
    };
    let embed = Embed::new()
        .title("✅ Quotas saved")
        .colour(colours::JOIN)
        .description(&body)
        .footer(
            "Weeks start Monday 00:00 UTC. A member with several quota roles gets the highest \
             (most minutes, then most actions).",
        );
    Message::single(embed, Vec::new())
}
