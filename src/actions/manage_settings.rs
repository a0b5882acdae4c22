//! Guild settings for in-game `;` commands: where mod calls go, which role they ping, and
//! whether the commands are answered at all. Manage capability; every change is audited.

use serde_json::json;

use crate::store::settings::quotas;
use crate::store::{Capability, GuildSettings, RoleQuota, Source};

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Member, Services};

impl Services {
    /// Post `;staff`/`;modcall` and `;report` cards in `channel`, pinging `ping_role` (none
    /// when `None`). Returns the guild's new settings.
    pub async fn settings_modcall(
        &self,
        guild: u64,
        actor: &Member,
        channel: u64,
        ping_role: Option<u64>,
    ) -> Result<GuildSettings, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::SettingsModcall,
            Source::SlashCommand,
        )
        .await?;
        let note = AuditDraft::new(
            AuditAction::SettingsModcall,
            Some(channel.to_string()),
            json!({ "channel": channel, "ping_role": ping_role }),
        );
        self.audited(guild, actor, note, async || {
            Ok(self.store().settings().update_guild_settings(guild, |g| {
                g.modcall_channel = Some(channel);
                g.modcall_ping_role = ping_role;
            })?)
        })
        .await
    }

    /// Switch the in-game `;` commands on or off for the guild.
    pub async fn settings_ingame_commands(
        &self,
        guild: u64,
        actor: &Member,
        enabled: bool,
    ) -> Result<GuildSettings, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::SettingsIngameCommands,
            Source::SlashCommand,
        )
        .await?;
        let note = AuditDraft::new(
            AuditAction::SettingsIngameCommands,
            None,
            json!({ "enabled": enabled }),
        );
        self.audited(guild, actor, note, async || {
            Ok(self
                .store()
                .settings()
                .update_guild_settings(guild, |g| g.custom_commands_enabled = enabled)?)
        })
        .await
    }

    /// Set `role`'s weekly quota (minutes on shift, and optionally moderation actions),
    /// replacing its old one. Needs `manage`; audited as `settings.quota`. Returns every
    /// quota of the guild.
    pub async fn settings_quota_set(
        &self,
        guild: u64,
        actor: &Member,
        quota: RoleQuota,
    ) -> Result<Vec<RoleQuota>, ActionError> {
        if quota.minutes > MAX_QUOTA_MINUTES {
            return Err(ActionError::InvalidInput(format!(
                "A week has {MAX_QUOTA_MINUTES} minutes; a quota cannot ask for more."
            )));
        }
        self.change_quotas(guild, actor, quota.role, Some(quota))
            .await
    }

    /// Remove `role`'s quota. Needs `manage`; audited as `settings.quota`.
    pub async fn settings_quota_remove(
        &self,
        guild: u64,
        actor: &Member,
        role: u64,
    ) -> Result<Vec<RoleQuota>, ActionError> {
        self.change_quotas(guild, actor, role, None).await
    }

    async fn change_quotas(
        &self,
        guild: u64,
        actor: &Member,
        role: u64,
        quota: Option<RoleQuota>,
    ) -> Result<Vec<RoleQuota>, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::SettingsQuota,
            Source::SlashCommand,
        )
        .await?;
        let note = AuditDraft::new(
            AuditAction::SettingsQuota,
            Some(role.to_string()),
            json!({
                "minutes": quota.map(|q| q.minutes),
                "actions": quota.and_then(|q| q.actions),
                "removed": quota.is_none(),
            }),
        );
        self.audited(guild, actor, note, async || {
            let saved = self
                .store()
                .settings()
                .update_guild_settings(guild, |g| match quota {
                    Some(quota) => quotas::upsert(&mut g.quotas, quota),
                    None => g.quotas.retain(|q| q.role != role),
                })?;
            Ok(saved.quotas)
        })
        .await
    }
}

/// Minutes in a week: the most a weekly quota can ask.
pub const MAX_QUOTA_MINUTES: u32 = 7 * 24 * 60;
