//! Services behind buttons that are not in-game commands: cancelling a destructive command
//! that waits for confirmation, and claiming or resolving a mod-call card (checked and audited
//! like every other action).

use serde_json::json;

use crate::store::{Capability, Source};

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Member, Services};

/// What a moderator did to a mod call from its card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModCallStep {
    /// Took the call: the card shows who is on it, and the caller is told in game.
    Claim,
    /// Closed the call: the card loses its buttons.
    Resolve,
}

impl ModCallStep {
    fn audit_name(self) -> AuditAction {
        match self {
            Self::Claim => AuditAction::ModcallClaim,
            Self::Resolve => AuditAction::ModcallResolve,
        }
    }
}

impl Services {
    /// Drop a pending destructive command (its Cancel button). Returns the command text.
    /// Only the person who asked, or an admin, may cancel it.
    pub fn cancel_confirmation(
        &self,
        guild: u64,
        actor: &Member,
        token: &str,
    ) -> Result<String, ActionError> {
        Ok(self
            .inner
            .pending
            .take(guild, token.trim(), actor)?
            .command_text)
    }

    /// Record that `actor` claimed or resolved the mod call `call_key` on server `label`
    /// (they need `moderate`). Returns the audit intent's seq.
    pub async fn mod_call_step(
        &self,
        guild: u64,
        actor: &Member,
        label: &str,
        call_key: &str,
        step: ModCallStep,
    ) -> Result<u64, ActionError> {
        let name = step.audit_name();
        self.require(guild, actor, Capability::Moderate, name, Source::Button)
            .await?;
        let note = AuditDraft::new(
            name,
            Some(call_key.to_owned()),
            json!({ "server": label, "call_key": call_key }),
        );
        let ticket = self.audit_begin(guild, actor, Source::Button, note).await?;
        let seq = ticket.seq();
        self.audit_complete(ticket, crate::store::AuditOutcome::Ok)
            .await;
        Ok(seq)
    }
}
