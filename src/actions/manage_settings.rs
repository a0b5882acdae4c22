//! Guild settings for in-game `;` commands: where mod calls go, which role they ping, and
//! whether the commands are answered at all. Manage capability; every change is audited.

use serde_json::json;

use crate::store::{Capability, GuildSettings, Source};

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
}
