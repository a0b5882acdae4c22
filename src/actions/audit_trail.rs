//! Writing the audit trail around an action: the intent (flushed before the action runs) and
//! the outcome after it, with PRC errors recorded as their code and plain explanation. Slash
//! commands and buttons reach it through [`Services`]; the in-game `;` command router, whose
//! actor is a player rather than a member, through [`begin_audit`] and [`complete_audit`].

use serde_json::Value;

use crate::erlc::ErlcError;
use crate::store::{self, AuditIntent, AuditOutcome, AuditTicket, Source, Store, StoreError};

use super::{ActionError, AuditAction, Member, Services};

/// The outcome to record for a failed command.
pub(super) fn erlc_outcome(error: &ErlcError) -> AuditOutcome {
    match error {
        ErlcError::Policy(_) | ErlcError::BadCommand(_) => {
            AuditOutcome::RefusedByPolicy(error.explanation())
        }
        other => match other.prc_code().and_then(|code| u32::try_from(code).ok()) {
            Some(code) => AuditOutcome::PrcError {
                code,
                message: other.explanation(),
            },
            None => AuditOutcome::Failed(other.explanation()),
        },
    }
}

/// The outcome to record for any failed action.
pub(super) fn failure_outcome(error: &ActionError) -> AuditOutcome {
    match error {
        ActionError::Erlc(e) => erlc_outcome(e),
        ActionError::PermissionDenied { needed, .. } => {
            AuditOutcome::PermissionDenied(format!("needs {needed}"))
        }
        other => AuditOutcome::Failed(other.to_string()),
    }
}

impl Member {
    /// How this actor appears in the audit log.
    pub fn audit_actor(&self) -> store::AuditActor {
        store::AuditActor::Discord {
            id: self.discord_id,
            name: self.name.clone(),
        }
    }
}

/// What an action is about, for its audit record.
#[derive(Debug)]
pub struct AuditDraft {
    /// What was done (or asked for).
    pub action: AuditAction,
    /// What it acts on (a player, a server label, a channel), if anything.
    pub target: Option<String>,
    /// Arguments. Never put a key here (only its fingerprint); the store redacts known keys,
    /// but a key being set up is not known yet.
    pub args: Value,
}

impl AuditDraft {
    /// A note of `action` on `target`, with its arguments.
    pub fn new(action: AuditAction, target: Option<String>, args: Value) -> Self {
        Self {
            action,
            target,
            args,
        }
    }
}

/// Record an intent by `actor` and wait until it is on disk.
pub async fn begin_audit(
    store: &Store,
    guild: u64,
    actor: store::AuditActor,
    source: Source,
    note: AuditDraft,
) -> Result<AuditTicket, StoreError> {
    let intent = AuditIntent {
        actor,
        source,
        action: note.action.as_str().to_owned(),
        target: note.target,
        args: note.args,
    };
    store.audit().begin_async(guild, intent).await
}

/// Record how an intent ended. The action has already happened, so a failure to write is
/// logged rather than returned (the intent stays visible as pending).
pub async fn complete_audit(store: &Store, ticket: AuditTicket, outcome: AuditOutcome) {
    let seq = ticket.seq();
    if let Err(e) = store.audit().complete_async(ticket, outcome).await {
        tracing::error!(intent = seq, error = %e, "could not record an audit outcome");
    }
}

impl Services {
    /// Record an intent by a member and wait until it is on disk.
    pub(super) async fn audit_begin(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        note: AuditDraft,
    ) -> Result<AuditTicket, ActionError> {
        let actor = actor.audit_actor();
        Ok(begin_audit(self.store(), guild, actor, source, note).await?)
    }

    /// See [`complete_audit`].
    pub(super) async fn audit_complete(&self, ticket: AuditTicket, outcome: AuditOutcome) {
        complete_audit(self.store(), ticket, outcome).await;
    }

    /// Record an action that was refused before it ran: intent and outcome together.
    pub(super) async fn audit_refusal(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        note: AuditDraft,
        outcome: AuditOutcome,
    ) -> Result<u64, ActionError> {
        let ticket = self.audit_begin(guild, actor, source, note).await?;
        let seq = ticket.seq();
        self.audit_complete(ticket, outcome).await;
        Ok(seq)
    }

    /// Run a management change between its intent and its outcome.
    pub(super) async fn audited<T>(
        &self,
        guild: u64,
        actor: &Member,
        note: AuditDraft,
        change: impl AsyncFnOnce() -> Result<T, ActionError>,
    ) -> Result<T, ActionError> {
        let ticket = self
            .audit_begin(guild, actor, Source::SlashCommand, note)
            .await?;
        let result = change().await;
        let outcome = match &result {
            Ok(_) => AuditOutcome::Ok,
            Err(e) => failure_outcome(e),
        };
        self.audit_complete(ticket, outcome).await;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlc::{PolicyViolation, PrcErrorInfo};

    #[test]
    fn prc_codes_and_policy_refusals_are_kept_apart() {
        let info = PrcErrorInfo {
            endpoint: "POST /v2/server/command".into(),
            http_status: 403,
            message: String::new(),
            command_id: None,
        };
        match erlc_outcome(&ErlcError::from_code(4000, info)) {
            AuditOutcome::PrcError { code, message } => {
                assert_eq!(code, 4000);
                assert!(message.contains("not allowed"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            erlc_outcome(&ErlcError::Policy(PolicyViolation::MultiLine)),
            AuditOutcome::RefusedByPolicy(_)
        ));
        assert!(matches!(
            erlc_outcome(&ErlcError::Network {
                endpoint: "GET /v1/server".into(),
                detail: "reset".into()
            }),
            AuditOutcome::Failed(_)
        ));
    }
}
