//! Replies about actions: what was sent and whether the command logs confirmed it, errors as a
//! red card with "How to fix", permission refusals, and the confirm prompt for destructive
//! commands (Confirm / Cancel buttons).

use crate::actions::ActionReport;
use crate::erlc::ErlcError;
use crate::erlc::api::Confirmation;
use crate::store::settings::Capability;
use crate::ui::colours;
use crate::ui::custom_id::{ButtonAction, CustomId, CustomIdError};
use crate::ui::escape::code_span;
use crate::ui::message::{Button, ButtonStyle, Embed, Message};
use crate::ui::names::display_name;
use crate::ui::time::relative_time;

use super::admin::capability_summary;
use super::common::defuse_mentions;

/// The reply to an action ER:LC accepted: the exact command, whether the command logs
/// confirmed it (or it is not seen there yet), whom it named, and the audit number.
pub fn action_report(report: &ActionReport) -> Message {
    let action = report.action.verb();
    let (title, colour, status) = match report.confirmation {
        Confirmation::Confirmed { logged_at } => (
            format!("✅ {action} done"),
            colours::ANSWERED,
            format!(
                "Confirmed in the server's command logs {}.",
                relative_time(logged_at)
            ),
        ),
        Confirmation::NotSeen => (
            format!("⚠️ {action} sent, not seen in the logs yet"),
            colours::WARNING,
            "ER:LC accepted the command, but it has not shown up in the server's command \
             logs yet. The game may still run it; check `/logs commands` in a minute."
                .to_owned(),
        ),
        Confirmation::NotRequested => (
            format!("✅ {action} sent"),
            colours::ANSWERED,
            "ER:LC accepted the command.".to_owned(),
        ),
    };
    let mut embed = Embed::new()
        .title(&title)
        .colour(colour)
        .description(&status)
        .field("Command", &code_span(&report.command_text), false);
    let target = report.player.as_ref().map(|p| p.name.as_str());
    if let Some(target) = target.filter(|t| !t.trim().is_empty()) {
        embed = embed.field("Target", &display_name(target), true);
    }
    embed = embed
        .field("Server", &code_span(&report.server_label), true)
        .field("Audit", &format!("#{}", report.audit_seq), true);
    if let Some(case) = report.case {
        embed = embed.field("Case", &format!("#{case}"), true);
    }
    Message::single(embed, Vec::new())
}

/// A red card: what went wrong and how to fix it. Both are our own words (markdown allowed);
/// mentions are defused anyway.
pub fn error(explanation: &str, fix: Option<&str>) -> Message {
    Message::single(error_embed(explanation, fix), Vec::new())
}

fn error_embed(explanation: &str, fix: Option<&str>) -> Embed {
    let mut embed = Embed::new()
        .title("❌ That did not work")
        .colour(colours::DANGER)
        .description(&defuse_mentions(explanation));
    if let Some(fix) = fix.filter(|f| !f.trim().is_empty()) {
        embed = embed.field("How to fix", &defuse_mentions(fix), false);
    }
    embed
}

/// [`error`] for a PRC client error, with its code when PRC sent one.
pub fn erlc_error(error: &ErlcError) -> Message {
    let mut embed = error_embed(&error.explanation(), error.fix());
    if let Some(code) = error.prc_code() {
        embed = embed.footer(&format!("ER:LC API error code {code}"));
    }
    Message::single(embed, Vec::new())
}

/// A refusal: the member lacks `needed`. `audit_seq` is the refusal's audit record.
pub fn permission_denied(needed: Capability, audit_seq: Option<u64>) -> Message {
    let mut embed = Embed::new()
        .title("🔒 Not allowed")
        .colour(colours::DANGER)
        .description(&format!(
            "This needs the `{}` capability, which none of your roles has.\n-# `{}`: {}",
            needed.as_str(),
            needed.as_str(),
            capability_summary(needed)
        ))
        .field(
            "How to fix",
            &format!(
                "Ask someone who manages the bot to run `/permissions set` and give one of \
                 your roles `{}`.",
                needed.as_str()
            ),
            false,
        );
    if let Some(seq) = audit_seq {
        embed = embed.footer(&format!("This refusal was recorded as audit #{seq}."));
    }
    Message::single(embed, Vec::new())
}

/// Ask before running a destructive command on `server`: shows the exact command and why it
/// needs confirmation, with Confirm / Cancel buttons carrying `token`. Fails only if the token
/// cannot be put in a button id (contains `:` or whitespace, or is too long).
pub fn confirm_prompt(
    server: &str,
    command_text: &str,
    why: &str,
    token: &str,
) -> Result<Message, CustomIdError> {
    let confirm = CustomId::new(ButtonAction::CommandConfirm, server, token)?;
    let cancel = CustomId::new(ButtonAction::CommandCancel, server, token)?;
    let embed = Embed::new()
        .title("⚠️ Confirm this command")
        .colour(colours::WARNING)
        .description(&defuse_mentions(why))
        .field("Command", &code_span(command_text), false)
        .field("Server", &code_span(server), true)
        .footer("Nothing is sent until you press Confirm.");
    Ok(Message::single(
        embed,
        vec![
            Button::new(&confirm, "Confirm", ButtonStyle::Danger),
            Button::new(&cancel, "Cancel", ButtonStyle::Secondary),
        ],
    ))
}

/// A ban request card: what would be sent, who asked, and Approve/Deny for members with
/// `ban` (anyone may see it; the buttons check).
pub fn ban_request_card(
    server: &str,
    command_text: &str,
    requested_by: u64,
    token: &str,
) -> Result<Message, CustomIdError> {
    let approve = CustomId::new(ButtonAction::BanApprove, server, token)?;
    let deny = CustomId::new(ButtonAction::BanDeny, server, token)?;
    let embed = Embed::new()
        .title("🔨 Ban request")
        .colour(colours::WARNING)
        .description(&format!(
            "{} asks for this ban. A member with the `ban` permission (not the one who asked) \
             approves or denies it.",
            crate::ui::names::member_mention(requested_by)
        ))
        .field("Command", &code_span(command_text), false)
        .field("Server", &code_span(server), true)
        .footer("Nothing is sent until someone approves.");
    Ok(Message::single(
        embed,
        vec![
            Button::new(&approve, "Approve", ButtonStyle::Danger),
            Button::new(&deny, "Deny", ButtonStyle::Secondary),
        ],
    ))
}

/// A ban request after Deny: nothing was sent.
pub fn ban_request_denied(command_text: &str, by: u64) -> Message {
    let embed = Embed::new()
        .title("Ban request denied")
        .colour(colours::NEUTRAL)
        .description(&format!(
            "Denied by {}; nothing was sent.",
            crate::ui::names::member_mention(by)
        ))
        .field("Command", &code_span(command_text), false);
    Message::single(embed, Vec::new())
}

/// The prompt after Cancel (or after it expired): nothing was sent.
pub fn cancelled(command_text: &str) -> Message {
    let embed = Embed::new()
        .title("Cancelled")
        .colour(colours::NEUTRAL)
        .description("Nothing was sent.")
        .field("Command", &code_span(command_text), false);
    Message::single(embed, Vec::new())
}
