//! From what the services did to the view that reports it, shared by slash commands and
//! buttons.

use crate::actions::{ActionReport, ModAction};
use crate::erlc::CommandResponse;
use crate::erlc::api::CommandReceipt;
use crate::ui::Message;
use crate::views;

/// The verb a report names the action by.
pub fn verb(action: &ModAction) -> &'static str {
    match action {
        ModAction::Kick { .. } => "Kick",
        ModAction::Ban { .. } => "Ban",
        ModAction::Unban { .. } => "Unban",
        ModAction::Pm { .. } => "PM",
        ModAction::Hint { .. } => "Hint",
        ModAction::Announce { .. } => "Announcement",
        ModAction::Wanted { .. } => "Wanted",
        ModAction::Unwanted { .. } => "Wanted cleared",
        ModAction::Jail { .. } => "Jail",
        ModAction::Unjail { .. } => "Release from jail",
        ModAction::Raw { .. } => "Command",
    }
}

/// The report of an action PRC accepted (the services return only accepted commands).
pub fn report(report: &ActionReport, verb: &str) -> Message {
    let receipt = CommandReceipt {
        text: report.command_text.clone(),
        dry_run: false,
        response: Some(CommandResponse::default()),
        confirmation: report.confirmation.clone(),
    };
    views::outcome::action_report(&views::ActionReport {
        server: &report.server_label,
        action: verb,
        target: report.player.as_ref().map(|p| p.name.as_str()),
        receipt: &receipt,
        audit_seq: Some(report.audit_seq),
    })
}
