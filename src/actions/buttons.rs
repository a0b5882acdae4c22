//! Services behind buttons that are not in-game commands: cancelling a destructive command
//! that waits for confirmation, and claiming or resolving a mod-call card (checked and audited
//! like every other action, and recorded where every front end reads claims).

use std::collections::BTreeMap;

use serde_json::json;
use tokio::sync::broadcast;

use crate::store::{Capability, Source};

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Claim, Member, Services};

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
    /// from a card's button (they need `moderate`). Returns the audit intent's seq.
    pub async fn mod_call_step(
        &self,
        guild: u64,
        actor: &Member,
        label: &str,
        call_key: &str,
        step: ModCallStep,
    ) -> Result<u64, ActionError> {
        self.mod_call_step_from(guild, actor, Source::Button, label, call_key, step)
            .await
    }

    /// [`Services::mod_call_step`] from any front end (`source` is audited).
    pub async fn mod_call_step_from(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        label: &str,
        call_key: &str,
        step: ModCallStep,
    ) -> Result<u64, ActionError> {
        let name = step.audit_name();
        self.require(guild, actor, Capability::Moderate, name, source)
            .await?;
        let note = AuditDraft::new(
            name,
            Some(call_key.to_owned()),
            json!({ "server": label, "call_key": call_key }),
        );
        let ticket = self.audit_begin(guild, actor, source, note).await?;
        let seq = ticket.seq();
        self.audit_complete(ticket, crate::store::AuditOutcome::Ok)
            .await;
        let claim = Claim {
            step,
            by_id: actor.discord_id,
            by_name: actor.name.clone(),
            at_ms: self.store().clock().now_ms(),
        };
        self.inner.claims.record(guild, label, call_key, claim);
        Ok(seq)
    }

    /// The latest claim or resolve of each mod call of server `label`, by call key.
    pub fn mod_call_claims(&self, guild: u64, label: &str) -> BTreeMap<String, Claim> {
        self.inner.claims.of_server(guild, label)
    }

    /// Hears `(guild, label)` whenever a mod call of that server is claimed or resolved.
    pub fn subscribe_claims(&self) -> broadcast::Receiver<(u64, String)> {
        self.inner.claims.subscribe()
    }
}
