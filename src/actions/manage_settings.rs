//! Guild settings for in-game `;` commands: where mod calls go, which role they ping, and
//! whether the commands are answered at all; and for cases: where their cards go, which
//! in-game commands file them, and the guild's own case types. Manage capability; every
//! change is audited. Weekly activity quotas per role live here too.

use serde_json::json;

use crate::store::cases::{BUILT_IN_TYPES, valid_type};
use crate::store::settings::quotas;
use crate::store::{Capability, GuildSettings, RoleQuota, Source};

use super::audit_trail::AuditDraft;
use super::case_commands::{CASEABLE_COMMANDS, canonical_command};
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

    /// `/settings cases`: what is given changes, the rest stays. `commands` lists the in-game
    /// commands whose command-log lines file a case (each files the case type of its name,
    /// which must be built in or one of the guild's `types`); `types` replaces the guild's own
    /// case types (the built-in ones always stay; old cases keep a removed type's name).
    pub async fn settings_cases(
        &self,
        guild: u64,
        actor: &Member,
        change: CasesSettingsChange<'_>,
    ) -> Result<GuildSettings, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::SettingsCases,
            Source::SlashCommand,
        )
        .await?;
        let current = self.store().settings().guild_settings(guild)?;
        let types = match change.types {
            Some(text) => parse_case_types(text)?,
            None => current.case_types.clone(),
        };
        let commands = match change.commands {
            Some(text) => Some(parse_case_command_list(text)?),
            None => current.ingame_case_commands.clone(),
        };
        if let Some(commands) = &commands {
            check_command_types(commands, &types)?;
        }
        let note = AuditDraft::new(
            AuditAction::SettingsCases,
            change.channel.map(|c| c.to_string()),
            json!({ "channel": change.channel, "commands": commands, "types": types }),
        );
        self.audited(guild, actor, note, async || {
            Ok(self.store().settings().update_guild_settings(guild, |g| {
                if let Some(channel) = change.channel {
                    g.cases_channel = Some(channel);
                }
                g.ingame_case_commands = commands.clone();
                g.case_types = types.clone();
            })?)
        })
        .await
    }
}

/// Minutes in a week: the most a weekly quota can ask.
pub const MAX_QUOTA_MINUTES: u32 = 7 * 24 * 60;

/// What `/settings cases` changes; `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct CasesSettingsChange<'a> {
    /// The channel for case cards ("Add reason").
    pub channel: Option<u64>,
    /// In-game commands that file cases, comma separated (`kick, ban, jail`); `none` for none.
    pub commands: Option<&'a str>,
    /// The guild's own case types, comma separated; `none` for none.
    pub types: Option<&'a str>,
}

fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text
        .split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        if word != "none" && !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// The guild's own case types from a comma list (built-in ones are dropped: they always
/// exist).
fn parse_case_types(text: &str) -> Result<Vec<String>, ActionError> {
    let mut types = Vec::new();
    for word in words(text) {
        if !valid_type(&word) {
            return Err(ActionError::InvalidInput(format!(
                "`{word}` cannot be a case type: use 1-24 lowercase letters, digits or `_`."
            )));
        }
        if !BUILT_IN_TYPES.contains(&word.as_str()) {
            types.push(word);
        }
    }
    Ok(types)
}

/// In-game commands from a comma list, by canonical name (`:arrest` is `jail`).
fn parse_case_command_list(text: &str) -> Result<Vec<String>, ActionError> {
    let mut commands: Vec<String> = Vec::new();
    for word in words(text) {
        let name = canonical_command(&word);
        if !CASEABLE_COMMANDS.contains(&name.as_str()) {
            return Err(ActionError::InvalidInput(format!(
                "`{word}` is not an in-game command that acts on players; choose from {}.",
                CASEABLE_COMMANDS.join(", ")
            )));
        }
        if !commands.contains(&name) {
            commands.push(name);
        }
    }
    Ok(commands)
}

/// Each command files the case type of its name: it must be one the guild has.
fn check_command_types(commands: &[String], types: &[String]) -> Result<(), ActionError> {
    let missing: Vec<&str> = commands
        .iter()
        .map(String::as_str)
        .filter(|c| !BUILT_IN_TYPES.contains(c) && !types.iter().any(|t| t == c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ActionError::InvalidInput(format!(
        "These commands would file case types this server does not have: {}. Add them with \
         `types:` first.",
        missing.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_types_and_commands_are_checked() {
        assert_eq!(
            parse_case_types("Wanted, ban,  wanted, none").unwrap(),
            ["wanted"]
        );
        assert!(parse_case_types("two words-x").is_err());
        assert_eq!(
            parse_case_command_list(":kick, ARREST, ban").unwrap(),
            ["kick", "jail", "ban"]
        );
        assert!(parse_case_command_list("h").is_err());
        assert!(parse_case_command_list("none").unwrap().is_empty());
        let own = vec!["wanted".to_string()];
        assert!(check_command_types(&["kick".into(), "wanted".into()], &own).is_ok());
        let refused = check_command_types(&["wanted".into()], &[]).unwrap_err();
        assert!(refused.user_message().contains("wanted"));
    }
}
