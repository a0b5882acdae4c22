//! General per-guild settings (mod-call routing, invite link, feature switches).

use super::{Settings, ShiftSettings};
use crate::store::StoreError;
use crate::store::db;

/// A guild's general settings. Missing fields read as their defaults, so adding a field
/// needs no migration.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GuildSettings {
    /// Role pinged when a mod call comes in.
    pub modcall_ping_role: Option<u64>,
    /// Channel mod calls are posted to.
    pub modcall_channel: Option<u64>,
    /// Invite link the bot can hand out in game.
    pub discord_invite: Option<String>,
    /// Whether in-game `;` custom commands are answered.
    pub custom_commands_enabled: bool,
    /// Built-in `;` commands switched off one by one (canonical names such as `report`),
    /// while the others stay on.
    pub disabled_custom_commands: Vec<String>,
    /// Channel that receives a copy of every audit record.
    pub audit_channel: Option<u64>,
    /// How the guild runs staff shifts.
    pub shifts: ShiftSettings,
    /// Weekly activity quotas per role (`/settings quota`).
    pub quotas: Vec<super::RoleQuota>,
    /// Channel for case cards, such as "Add reason" for an in-game action filed without one.
    /// Unset: those cases are still filed, and `/case edit` sets their reason.
    pub cases_channel: Option<u64>,
    /// In-game commands (canonical names, such as `kick`) whose command-log lines file a
    /// case; `None` means the built-in list.
    pub ingame_case_commands: Option<Vec<String>>,
    /// The guild's own case types, besides the built-in ones (which always exist). Removing
    /// one leaves the cases filed under it as they are.
    pub case_types: Vec<String>,
}

impl Settings {
    /// The guild's settings (defaults if never set).
    pub fn guild_settings(&self, guild: u64) -> Result<GuildSettings, StoreError> {
        match self.guilds.get(db::guild_prefix(guild))? {
            Some(raw) => db::decode("guild settings", &raw),
            None => Ok(GuildSettings::default()),
        }
    }

    /// Change the guild's settings and return the result.
    pub fn update_guild_settings(
        &self,
        guild: u64,
        change: impl FnOnce(&mut GuildSettings),
    ) -> Result<GuildSettings, StoreError> {
        let _guard = self.lock();
        let mut settings = self.guild_settings(guild)?;
        change(&mut settings);
        self.guilds
            .insert(db::guild_prefix(guild), db::encode(&settings)?)?;
        self.flush()?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::settings;
    use super::*;

    #[test]
    fn defaults_update_and_old_records_read() {
        let (_db, s) = settings();
        assert_eq!(s.guild_settings(1).unwrap(), GuildSettings::default());
        let updated = s
            .update_guild_settings(1, |g| {
                g.modcall_channel = Some(5);
                g.discord_invite = Some("https://discord.gg/x".into());
            })
            .unwrap();
        assert_eq!(s.guild_settings(1).unwrap(), updated);
        assert_eq!(s.guild_settings(2).unwrap(), GuildSettings::default());
        let old: GuildSettings = serde_json::from_str(r#"{"modcall_channel":7}"#).unwrap();
        assert_eq!(old.modcall_channel, Some(7));
    }
}
