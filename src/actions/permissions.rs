//! Who may do what: the person acting and the check (admins have everything; others get the
//! union of their roles' capabilities); each action names the capability it needs. A refusal is
//! audited and explained with the command an admin runs to grant the capability.

use std::collections::BTreeSet;

use serde_json::json;

use crate::store::{AuditOutcome, Capability, Source};

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Services};

/// The Discord member asking for something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Discord user id.
    pub discord_id: u64,
    /// Display name at the time, for the audit log.
    pub name: String,
    /// The member's role ids in this guild.
    pub roles: Vec<u64>,
    /// Guild owner, or a member with ADMINISTRATOR or MANAGE_GUILD.
    pub is_admin: bool,
}

/// The refusal text: what is missing and how an admin grants it.
fn denial_hint(needed: Capability) -> String {
    format!(
        "You need the `{needed}` permission for this, and none of your roles has it. An admin \
         (or anyone with `manage`) can grant it to one of your roles with \
         `/permissions set role:@Role capabilities:{needed}`."
    )
}

impl Services {
    /// Everything `actor` may do in `guild`.
    pub fn capabilities(
        &self,
        guild: u64,
        actor: &Member,
    ) -> Result<BTreeSet<Capability>, ActionError> {
        if actor.is_admin {
            return Ok(Capability::ALL.into_iter().collect());
        }
        Ok(self
            .store()
            .settings()
            .capabilities_for_roles(guild, &actor.roles)?)
    }

    /// Check that `actor` has `needed`. A refusal is written to the audit log as `action` and
    /// returned as [`ActionError::PermissionDenied`].
    pub async fn require(
        &self,
        guild: u64,
        actor: &Member,
        needed: Capability,
        action: AuditAction,
        source: Source,
    ) -> Result<(), ActionError> {
        if self.capabilities(guild, actor)?.contains(&needed) {
            return Ok(());
        }
        let note = AuditDraft::new(action, None, json!({ "needed": needed.as_str() }));
        let outcome = AuditOutcome::PermissionDenied(format!("needs {needed}"));
        self.audit_refusal(guild, actor, source, note, outcome)
            .await?;
        Err(ActionError::PermissionDenied {
            needed,
            hint: denial_hint(needed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_names_the_grant_command() {
        let hint = denial_hint(Capability::Moderate);
        assert!(hint.contains("`moderate`"));
        assert!(hint.contains("/permissions set role:@Role capabilities:moderate"));
    }
}
