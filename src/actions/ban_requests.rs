//! Ban requests (two-person rule): a member with `moderate` but not `ban` asks for a ban; the
//! ban is held (in the store, surviving restarts) until another member with `ban` approves it,
//! which runs it as theirs and files its case, or denies it. Every step is audited.

use std::time::Duration;

use serde_json::json;

use crate::erlc::ErlcError;
use crate::store::{AuditOutcome, Capability, Source};

use super::audit_trail::AuditDraft;
use super::confirm::Held;
use super::moderation::Prepared;
use super::{
    ActionError, ActionReport, AuditAction, HeldForConfirmation, Member, ModAction, Services,
};

/// How long a ban request waits for a decision.
pub const BAN_REQUEST_TTL: Duration = Duration::from_secs(24 * 3600);

impl Services {
    /// Whether a ban by `actor` becomes a request (two-person rule): they may `moderate` but
    /// not `ban`. Without either, the ban itself is refused as usual.
    pub fn ban_needs_request(&self, guild: u64, actor: &Member) -> Result<bool, ActionError> {
        let capabilities = self.capabilities(guild, actor)?;
        Ok(
            !capabilities.contains(&Capability::Ban)
                && capabilities.contains(&Capability::Moderate),
        )
    }

    /// Hold a ban of `player` for another member's approval. Needs `moderate`; audited as
    /// `ban_request.create`.
    pub async fn request_ban(
        &self,
        guild: u64,
        actor: &Member,
        server: Option<&str>,
        player: &str,
        reason: Option<String>,
    ) -> Result<HeldForConfirmation, ActionError> {
        let source = Source::SlashCommand;
        self.require(
            guild,
            actor,
            Capability::Moderate,
            AuditAction::BanRequestCreate,
            source,
        )
        .await?;
        let action = ModAction::Ban {
            player: player.to_owned(),
            reason,
        };
        let (record, handle) = self.directory().resolve(guild, server).await?;
        let (command, player) = self
            .build_checked(guild, actor, source, &record.label, &handle, &action)
            .await?;
        let command_text = command.to_checked_text().map_err(ErlcError::from)?;
        let held = json!({ "action": action, "player": player, "request": true });
        let note = AuditDraft::new(
            AuditAction::BanRequestCreate,
            player.as_ref().map(|p| p.name.clone()),
            json!({ "server": record.label, "command": command_text }),
        );
        let ticket = self.audit_begin(guild, actor, source, note).await?;
        let hold = Held {
            server_label: &record.label,
            text: &command_text,
            action: Some(held),
        };
        let token = self
            .inner
            .pending
            .insert_for(guild, actor, source, hold, BAN_REQUEST_TTL)
            .await;
        let outcome = match &token {
            Ok(_) => AuditOutcome::Ok,
            Err(error) => super::audit_trail::failure_outcome(error),
        };
        self.audit_complete(ticket, outcome).await;
        Ok(HeldForConfirmation {
            token: token?,
            command_text,
            server_label: record.label,
            player,
            expires_in: BAN_REQUEST_TTL,
        })
    }

    /// Approve a ban request (a member with `ban`, not the one who asked): the ban runs as
    /// the approver's, with its case, and the audit record names who asked.
    pub async fn approve_ban_request(
        &self,
        guild: u64,
        approver: &Member,
        token: &str,
    ) -> Result<ActionReport, ActionError> {
        let source = Source::Button;
        self.require(
            guild,
            approver,
            Capability::Ban,
            AuditAction::CommandBan,
            source,
        )
        .await?;
        let pending = self
            .inner
            .pending
            .take_request(guild, token.trim(), approver)?;
        let (action, player) = match &pending.action {
            Some(held) => super::held::decode(held)?,
            None => return Err(ActionError::ConfirmationExpired),
        };
        let handle = self
            .directory()
            .handle(guild, &pending.server_label)
            .await?;
        let prepared = Prepared {
            action,
            server_label: pending.server_label,
            text: pending.command_text,
            player,
            extra: json!({ "ban_request": true, "requested_by": pending.requested_by }),
            expires_at_ms: None,
        };
        self.execute(guild, approver, source, &handle, prepared)
            .await
    }

    /// Deny a ban request (a member with `ban`, not the one who asked). Returns the command
    /// that will not be sent.
    pub async fn deny_ban_request(
        &self,
        guild: u64,
        approver: &Member,
        token: &str,
    ) -> Result<String, ActionError> {
        let source = Source::Button;
        self.require(
            guild,
            approver,
            Capability::Ban,
            AuditAction::BanRequestDeny,
            source,
        )
        .await?;
        let pending = self
            .inner
            .pending
            .take_request(guild, token.trim(), approver)?;
        let note = AuditDraft::new(
            AuditAction::BanRequestDeny,
            None,
            json!({
                "server": pending.server_label,
                "command": pending.command_text,
                "requested_by": pending.requested_by,
            }),
        );
        let ticket = self.audit_begin(guild, approver, source, note).await?;
        self.audit_complete(ticket, AuditOutcome::Ok).await;
        Ok(pending.command_text)
    }
}
