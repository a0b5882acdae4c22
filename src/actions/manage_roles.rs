//! Role permissions: which capabilities each Discord role grants in a guild.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::store::{Capability, Source};

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Member, Services};

/// Parse `view,moderate` (commas or spaces). `all` means every capability; `none` (or
/// nothing) means none, which removes the role's entry.
pub fn parse_capabilities(text: &str) -> Result<BTreeSet<Capability>, ActionError> {
    let mut out = BTreeSet::new();
    for word in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        match word.to_lowercase().as_str() {
            "none" => {}
            "all" => out.extend(Capability::ALL),
            _ => {
                let capability = word.parse::<Capability>().map_err(|e| {
                    ActionError::InvalidInput(format!("{e} (or `all`, or `none`)."))
                })?;
                out.insert(capability);
            }
        }
    }
    Ok(out)
}

impl Services {
    /// Set what a role may do (replacing what it had). Returns the role's new capabilities.
    pub async fn permissions_set(
        &self,
        guild: u64,
        actor: &Member,
        role_id: u64,
        capabilities: &str,
    ) -> Result<BTreeSet<Capability>, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::PermissionsSet,
            Source::SlashCommand,
        )
        .await?;
        let capabilities = parse_capabilities(capabilities)?;
        let names: Vec<&str> = capabilities.iter().map(|c| c.as_str()).collect();
        let note = AuditDraft::new(
            AuditAction::PermissionsSet,
            Some(role_id.to_string()),
            json!({ "role": role_id, "capabilities": names }),
        );
        self.audited(guild, actor, note, async || {
            self.store()
                .settings()
                .set_role_capabilities(guild, role_id, &capabilities)?;
            Ok(capabilities.clone())
        })
        .await
    }

    /// Every role with capabilities in the guild.
    pub async fn permissions_list(
        &self,
        guild: u64,
        actor: &Member,
    ) -> Result<BTreeMap<u64, BTreeSet<Capability>>, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::PermissionsList,
            Source::SlashCommand,
        )
        .await?;
        Ok(self.store().settings().role_capabilities(guild)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_all_and_none() {
        assert_eq!(
            parse_capabilities("view, Moderate raw-command").unwrap(),
            BTreeSet::from([
                Capability::View,
                Capability::Moderate,
                Capability::RawCommand
            ])
        );
        assert_eq!(
            parse_capabilities("all").unwrap().len(),
            Capability::ALL.len()
        );
        assert!(parse_capabilities("none").unwrap().is_empty());
        let err = parse_capabilities("view,root").unwrap_err().user_message();
        assert!(err.contains("`root`") && err.contains("moderate"), "{err}");
    }
}
