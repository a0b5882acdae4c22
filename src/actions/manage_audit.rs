//! Reading the guild's audit log: search, chain verification and JSON Lines export.

use crate::store::{AuditPage, AuditQuery, Capability, Source, VerifyReport};

use super::{ActionError, Actor, AuditAction, Services};

impl Services {
    /// One page of the guild's audit entries matching `query`.
    pub async fn audit_search(
        &self,
        guild: u64,
        actor: &Actor,
        query: &AuditQuery,
    ) -> Result<AuditPage, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::AuditSearch,
            Source::SlashCommand,
        )
        .await?;
        Ok(self.store().audit().search(guild, query)?)
    }

    /// Walk the guild's hash chain and report the first broken link, if any.
    pub async fn audit_verify(
        &self,
        guild: u64,
        actor: &Actor,
    ) -> Result<VerifyReport, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::AuditVerify,
            Source::SlashCommand,
        )
        .await?;
        Ok(self.store().audit().verify(guild)?)
    }

    /// Every stored audit record of the guild, one JSON object per line (for an attachment).
    pub async fn audit_export(&self, guild: u64, actor: &Actor) -> Result<Vec<u8>, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::AuditExport,
            Source::SlashCommand,
        )
        .await?;
        let mut out = Vec::new();
        self.store().audit().export_jsonl(guild, &mut out)?;
        Ok(out)
    }
}
