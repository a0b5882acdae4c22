//! `/audit search` and `/audit verify`: audit entries as compact lines (who, what, target,
//! outcome, when), and the chain check in plain words.

use crate::store::audit::{AuditActor, AuditEntry, AuditOutcome, VerifyReport};
use crate::ui::colours;
use crate::ui::escape::{code_span, escape_name, plain_line};
use crate::ui::message::{Embed, MAX_DESCRIPTION, Message, truncate};
use crate::ui::names::{display_name, name_link};
use crate::ui::time::relative_time;

use super::common::pack_lines;
use super::paging::{GUILD_WIDE, PageInfo, PagedView, page_buttons};

/// Argument names worth showing on a line (what a moderator wrote).
const SHOWN_ARGS: [&str; 4] = ["reason", "text", "message", "command"];
const MAX_ARG: usize = 100;

/// Entries per `/audit search` page.
pub const AUDIT_PER_PAGE: usize = 15;

/// What an `/audit search` looks for: who did it and which action, as typed. Its
/// [`token`](Self::token) is the filter of the page's buttons, so a click redoes the search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Who acted: a Discord user id or name (any case); `None` for anyone.
    pub by: Option<String>,
    /// The audit action name, such as `command.kick`; `None` for every action.
    pub action: Option<String>,
}

impl AuditFilter {
    /// Blank parts filter nothing; `~` is dropped, as it separates the parts of the token.
    pub fn new(by: Option<&str>, action: Option<&str>) -> Self {
        let clean = |part: Option<&str>| {
            let text = part.unwrap_or_default().replace('~', "");
            Some(text.trim().to_owned()).filter(|t| !t.is_empty())
        };
        Self {
            by: clean(by),
            action: clean(action),
        }
    }

    /// `<actor>~<action>`, each part empty when not filtered.
    pub fn token(&self) -> String {
        format!(
            "{}~{}",
            self.by.as_deref().unwrap_or_default(),
            self.action.as_deref().unwrap_or_default()
        )
    }

    /// Read a [`token`](Self::token). Any text is a filter: what follows the first `~` is
    /// the action.
    pub fn from_token(token: &str) -> Self {
        let (by, action) = token.split_once('~').unwrap_or((token, ""));
        Self::new(Some(by), Some(action))
    }

    /// The filters in words, e.g. "by Ann, action command.kick" (escaped when shown).
    fn words(&self) -> Option<String> {
        match (self.by.as_deref(), self.action.as_deref()) {
            (None, None) => None,
            (Some(a), None) => Some(format!("by {a}")),
            (None, Some(x)) => Some(format!("action {x}")),
            (Some(a), Some(x)) => Some(format!("by {a}, action {x}")),
        }
    }
}

/// A page of `/audit search`. `page` counts from 0; `has_next` comes from the store's page
/// (`next_after_seq.is_some()`). The page buttons carry the filter's token; their server part
/// is [`GUILD_WIDE`].
pub fn audit_page(
    entries: &[AuditEntry],
    page: usize,
    has_next: bool,
    filter: &AuditFilter,
) -> (Message, PageInfo) {
    let info = PageInfo::of_query(page, has_next);
    let scope = filter
        .words()
        .map_or_else(|| "all actions".to_owned(), |words| escape_name(&words));
    let description = if entries.is_empty() {
        format!(
            "No audit records match {scope}.\n\nWiden the time range or drop a filter; actions \
             are recorded from the moment the bot handles them."
        )
    } else {
        let lines = entries.iter().map(entry_line);
        format!("-# {scope}\n{}", pack_lines(lines, MAX_DESCRIPTION - 200))
    };
    let embed = Embed::new()
        .title("📜 Audit log")
        .colour(colours::STAFF)
        .description(&description)
        .footer(&format!(
            "{} · ✅ done · ⏳ pending · ❌ failed · 🚫 refused",
            info.label()
        ));
    let buttons = page_buttons(GUILD_WIDE, PagedView::Audit, &filter.token(), &info);
    (Message::single(embed, buttons), info)
}

/// `` `#12` <t:…:R> ✅ **command.kick** → bob · by Ann `` and, when given, the reason.
fn entry_line(entry: &AuditEntry) -> String {
    let intent = &entry.intent;
    let mut line = format!(
        "`#{}` {} {} **{}**",
        intent.seq,
        relative_time(intent.time_ms.div_euclid(1000)),
        outcome_icon(entry.outcome()),
        escape_name(&intent.action)
    );
    if let Some(target) = intent.target.as_deref().filter(|t| !t.trim().is_empty()) {
        line.push_str(&format!(" → {}", display_name(target)));
    }
    line.push_str(&format!(" · by {}", actor_text(&intent.actor)));
    if let Some(detail) = outcome_detail(entry.outcome()) {
        line.push_str(&format!("\n   {detail}"));
    }
    if let Some(object) = intent.args.as_object() {
        for key in SHOWN_ARGS {
            if let Some(value) = object.get(key).and_then(|v| v.as_str()) {
                line.push_str(&format!(
                    "\n   {key}: {}",
                    code_span(&truncate(value, MAX_ARG))
                ));
            }
        }
    }
    line
}

fn outcome_icon(outcome: &AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Pending => "⏳",
        AuditOutcome::Ok => "✅",
        AuditOutcome::PrcError { .. } | AuditOutcome::Failed(_) => "❌",
        AuditOutcome::RefusedByPolicy(_) | AuditOutcome::PermissionDenied(_) => "🚫",
    }
}

fn outcome_detail(outcome: &AuditOutcome) -> Option<String> {
    let (what, text) = match outcome {
        AuditOutcome::Pending | AuditOutcome::Ok => return None,
        AuditOutcome::PrcError { code, message } => (format!("PRC error {code}"), message),
        AuditOutcome::RefusedByPolicy(why) => ("refused by policy".to_owned(), why),
        AuditOutcome::PermissionDenied(why) => ("permission denied".to_owned(), why),
        AuditOutcome::Failed(why) => ("failed".to_owned(), why),
    };
    Some(format!("{what}: {}", escape_name(&truncate(text, MAX_ARG))))
}

fn actor_text(actor: &AuditActor) -> String {
    match actor {
        AuditActor::Discord { name, .. } => format!("**{}**", display_name(name)),
        AuditActor::Player { id, name } => format!("{} (in game)", name_link(name, *id)),
        AuditActor::System(name) => format!("⚙️ {}", display_name(name)),
    }
}

/// `/audit verify`.
pub fn audit_verify(report: &VerifyReport) -> Message {
    let embed = match &report.first_broken {
        None => Embed::new()
            .title("✅ Audit log intact")
            .colour(colours::JOIN)
            .description(&format!(
                "Checked **{}** records: each one still carries the hash of the one before it, \
                 so none was changed, removed or inserted since it was written.",
                report.records
            )),
        Some((seq, why)) => Embed::new()
            .title("⛔ Audit log damaged")
            .colour(colours::DANGER)
            .description(&format!(
                "Record **#{seq}** does not match the chain: {}.\n\nRecords before #{seq} are \
                 intact ({} checked). Everything from #{seq} on may have been changed, removed \
                 or inserted outside the bot.",
                escape_name(why),
                report.records
            ))
            .field(
                "How to fix",
                "Stop the bot, keep a copy of the data directory for investigation, and restore \
                 the newest backup taken before the damage with `erlc-bot restore <file>`. \
                 Check who has access to the bot's host.",
                false,
            ),
    };
    Message::single(
        embed.footer(&plain_line("audit · hash chain check")),
        Vec::new(),
    )
}
