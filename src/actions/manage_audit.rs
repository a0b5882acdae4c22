//! Reading the guild's audit log: search, chain verification and JSON Lines export.

use crate::store::{AuditPage, AuditQuery, Capability, Source, VerifyReport};

use super::{ActionError, AuditAction, Member, Services};

impl Services {
    /// One page of the guild's audit entries matching `query`.
    pub async fn audit_search(
        &self,
        guild: u64,
        actor: &Member,
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

    /// Page `page` (from 0) of the guild's audit entries by `by` (a Discord name or id) and
    /// of `action`, newest first, `per_page` at a time. Pages are reached by cursor, so the
    /// earlier pages are walked to get there.
    pub async fn audit_page(
        &self,
        guild: u64,
        actor: &Member,
        by: Option<&str>,
        action: Option<&str>,
        per_page: usize,
        page: usize,
    ) -> Result<AuditPage, ActionError> {
        let mut query = AuditQuery {
            actor: by.map(str::to_owned),
            action: action.map(str::to_owned),
            limit: per_page,
            ..AuditQuery::default()
        };
        let mut found = self.audit_search(guild, actor, &query).await?;
        for _ in 0..page {
            let Some(after) = found.next_after_seq else {
                break;
            };
            query.after_seq = Some(after);
            found = self.audit_search(guild, actor, &query).await?;
        }
        Ok(found)
    }

    /// Walk the guild's hash chain and report the first broken link, if any.
    pub async fn audit_verify(
        &self,
        guild: u64,
        actor: &Member,
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
    pub async fn audit_export(&self, guild: u64, actor: &Member) -> Result<Vec<u8>, ActionError> {
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
