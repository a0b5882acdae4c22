//! Replies about actions: what was sent and whether the command logs confirmed it, errors as a
//! red card with "How to fix", permission refusals, and the confirm prompt for destructive
//! commands (Confirm / Cancel buttons).

use crate::erlc::ErlcError;
use crate::erlc::api::CommandReceipt;
use crate::feeds::custom_id::CustomIdError;
use crate::feeds::message::FeedMessage;
use crate::store::settings::Capability;

/// An action that ran (or was dry-run), for [`action_report`].
#[derive(Debug, Clone, Copy)]
pub struct ActionReport<'a> {
    pub server: &'a str,
    /// Our verb, e.g. `Kick`, `Ban`, `PM`, `Announcement`.
    pub action: &'a str,
    /// The target as typed or resolved (game text; escaped here).
    pub target: Option<&'a str>,
    pub receipt: &'a CommandReceipt,
    /// The audit record's sequence number.
    pub audit_seq: Option<u64>,
}

/// The outcome of an action: the exact command, PRC's acceptance, confirmation in the
/// command logs (or not yet seen), and the audit number.
pub fn action_report(report: &ActionReport<'_>) -> FeedMessage {
    let _ = report;
    todo!()
}

/// A red card: what went wrong and how to fix it. Both are our own words (markdown allowed);
/// mentions are defused anyway.
pub fn error(explanation: &str, fix: Option<&str>) -> FeedMessage {
    let _ = (explanation, fix);
    todo!()
}

/// [`error`] for a PRC client error, with its code when PRC sent one.
pub fn erlc_error(error: &ErlcError) -> FeedMessage {
    let _ = error;
    todo!()
}

/// A refusal: the member lacks `needed`. `audit_seq` is the refusal's audit record.
pub fn permission_denied(needed: Capability, audit_seq: Option<u64>) -> FeedMessage {
    let _ = (needed, audit_seq);
    todo!()
}

/// Ask before running a destructive command on `server`: shows the exact command and why it
/// needs confirmation, with Confirm / Cancel buttons carrying `token`. Fails only if the token
/// cannot be put in a button id (contains `:` or whitespace, or is too long).
pub fn confirm_prompt(
    server: &str,
    command_text: &str,
    why: &str,
    token: &str,
) -> Result<FeedMessage, CustomIdError> {
    let _ = (server, command_text, why, token);
    todo!()
}

/// The prompt after Cancel (or after it expired): nothing was sent.
pub fn cancelled(command_text: &str) -> FeedMessage {
    let _ = command_text;
    todo!()
}
