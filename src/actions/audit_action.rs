//! `AuditAction`: the name each audited action is recorded under. The names are stored in
//! every guild's audit log and in its exports, and people search by them (`/audit search
//! action:command.kick`), so a name never changes once released; add a variant instead.

/// Declares the enum and its stored names from one list, so a variant cannot lack a name.
macro_rules! audit_actions {
    ($($(#[$meta:meta])* $variant:ident => $name:literal,)+) => {
        /// What an audit record says was done (or refused).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$meta])* $variant,)+
        }

        impl AuditAction {
            /// Every action, for the tests that hold the names to their rules.
            #[cfg(test)]
            const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)+];

            /// The name as stored, e.g. `command.kick` or `server.add`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)+
                }
            }
        }
    };
}

audit_actions! {
    ViewPlayers => "view.players",
    ViewStaff => "view.staff",
    ViewQueue => "view.queue",
    ViewVehicles => "view.vehicles",
    ViewBans => "view.bans",
    ViewEmergency => "view.emergency",
    ViewHealth => "view.health",
    ViewLogs => "view.logs",
    /// The player panel (`/player` and its Refresh button).
    ViewPlayer => "view.player",
    /// A page button (Previous / Refresh / Next).
    ViewPage => "view.page",
    ServerAdd => "server.add",
    ServerRemove => "server.remove",
    ServerDefault => "server.default",
    ServerList => "server.list",
    ServerStatus => "server.status",
    ServerWebhook => "server.webhook",
    FeedAdd => "feed.add",
    FeedRemove => "feed.remove",
    FeedList => "feed.list",
    PermissionsSet => "permissions.set",
    PermissionsList => "permissions.list",
    SettingsModcall => "settings.modcall",
    SettingsIngameCommands => "settings.ingame_commands",
    AuditSearch => "audit.search",
    AuditVerify => "audit.verify",
    AuditExport => "audit.export",
    CommandKick => "command.kick",
    CommandBan => "command.ban",
    CommandUnban => "command.unban",
    CommandPm => "command.pm",
    CommandHint => "command.hint",
    CommandAnnounce => "command.announce",
    CommandWanted => "command.wanted",
    CommandUnwanted => "command.unwanted",
    CommandJail => "command.jail",
    CommandUnjail => "command.unjail",
    CommandRaw => "command.raw",
    ModcallClaim => "modcall.claim",
    ModcallResolve => "modcall.resolve",
    /// An in-game `;` command, by its canonical name.
    CustomCommandHelp => "custom_command.help",
    CustomCommandStaff => "custom_command.staff",
    CustomCommandReport => "custom_command.report",
    CustomCommandDiscord => "custom_command.discord",
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn names_are_distinct_and_shaped_like_group_dot_verb() {
        let names: BTreeSet<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            names.len(),
            AuditAction::ALL.len(),
            "two actions share a name"
        );
        let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        for name in names {
            let (group, verb) = name.split_once('.').unwrap_or((name, ""));
            assert!(word(group) && word(verb), "{name}");
        }
    }
}
