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
    /// `/players`: who is in the server.
    ViewPlayers => "view.players",
    /// `/staff`: staff in game, and the staff roster.
    ViewStaff => "view.staff",
    /// `/queue`: who waits to join.
    ViewQueue => "view.queue",
    /// `/vehicles`: spawned vehicles.
    ViewVehicles => "view.vehicles",
    /// `/bans`: the server's ban list.
    ViewBans => "view.bans",
    /// `/emergency`: active 911 calls.
    ViewEmergency => "view.emergency",
    /// `/health`: how polling of each server goes.
    ViewHealth => "view.health",
    /// `/logs`: a page of stored events.
    ViewLogs => "view.logs",
    /// The player panel (`/player` and its Refresh button).
    ViewPlayer => "view.player",
    /// A page button (Previous / Refresh / Next).
    ViewPage => "view.page",
    /// `/server setup`: a server key checked and saved.
    ServerAdd => "server.add",
    /// `/server remove`: a server and its key deleted.
    ServerRemove => "server.remove",
    /// `/server default`: the server commands use when none is named.
    ServerDefault => "server.default",
    /// `/server list`: the guild's servers.
    ServerList => "server.list",
    /// `/server status`: players, queue, staff online, join code.
    ServerStatus => "server.status",
    /// `/server webhook`: the webhook URL and its token shown.
    ServerWebhook => "server.webhook",
    /// `/feed add`: a channel follows more events.
    FeedAdd => "feed.add",
    /// `/feed remove`: a channel's feed stopped.
    FeedRemove => "feed.remove",
    /// `/feed list`: every channel's feed.
    FeedList => "feed.list",
    /// `/permissions set`: what a role may do.
    PermissionsSet => "permissions.set",
    /// `/permissions list`: every role's capabilities.
    PermissionsList => "permissions.list",
    /// `/settings modcall`: where `;staff` and `;report` cards go, and whom they ping.
    SettingsModcall => "settings.modcall",
    /// `/settings ingame`: in-game `;` commands on or off.
    SettingsIngameCommands => "settings.ingame_commands",
    /// `/settings cases`: the cases channel, the in-game commands that file cases, the
    /// guild's own case types.
    SettingsCases => "settings.cases",
    /// `/audit search` and its page buttons.
    AuditSearch => "audit.search",
    /// `/audit verify`: the audit log's hash chain checked.
    AuditVerify => "audit.verify",
    /// `/audit export`: the whole audit log downloaded.
    AuditExport => "audit.export",
    /// Kicking a player (`:kick`), from `/kick` or a player panel.
    CommandKick => "command.kick",
    /// Banning a player (`:ban`), from `/ban` or a player panel.
    CommandBan => "command.ban",
    /// Lifting a ban (`:unban`), from `/unban`.
    CommandUnban => "command.unban",
    /// A private message to a player (`:pm`), from `/pm`, a player panel or a mod call.
    CommandPm => "command.pm",
    /// A hint banner for everyone (`:h`), from `/hint`.
    CommandHint => "command.hint",
    /// A server-wide announcement (`:m`), from `/announce`.
    CommandAnnounce => "command.announce",
    /// Marking a player wanted (`:wanted`), from `/wanted` or a player panel.
    CommandWanted => "command.wanted",
    /// Clearing a player's wanted status (`:unwanted`), from `/wanted`.
    CommandUnwanted => "command.unwanted",
    /// Jailing a player (`:jail`), from `/jail`.
    CommandJail => "command.jail",
    /// Releasing a player from jail (`:unjail`), from `/jail`.
    CommandUnjail => "command.unjail",
    /// `/command`: command text sent as typed, and the Confirm of a destructive one.
    CommandRaw => "command.raw",
    /// A mod call card's Claim button.
    ModcallClaim => "modcall.claim",
    /// A mod call card's Resolve button.
    ModcallResolve => "modcall.resolve",
    /// `/dashboard token`: a live-state token minted for the caller (never the token itself).
    DashboardToken => "dashboard.token",
    /// An in-game `;` command, by its canonical name: `;help` (or an alias).
    CustomCommandHelp => "custom_command.help",
    /// `;staff` (or an alias).
    CustomCommandStaff => "custom_command.staff",
    /// `;report`.
    CustomCommandReport => "custom_command.report",
    /// `;discord`.
    CustomCommandDiscord => "custom_command.discord",
    /// `/whois`: who is behind a Roblox account, or a member's Roblox account.
    ViewWhois => "view.whois",
    /// `/link`: a one-time code made for the member (never the code itself).
    LinkStart => "link.start",
    /// `/unlink`: a member removed their own link.
    LinkUnlink => "link.unlink",
    /// `/links set`: an admin linked a Roblox account to a member by hand.
    LinkSet => "link.set",
    /// `/links remove`: an admin removed a link.
    LinkRemove => "link.remove",
    /// `;verify <code>`: a player linked their account with a `/link` code.
    CustomCommandVerify => "custom_command.verify",
    /// `:log verify <code>` seen in a server's command logs: a staff member linked their
    /// account with a `/link` code.
    StaffCommandVerify => "staff_command.verify",
    /// `/shift start|break|resume|end` (recorded when refused).
    ShiftChange => "shift.change",
    /// `/shift status|history|leaderboard` (recorded when refused).
    ShiftView => "shift.view",
    /// `/shift adjust`: minutes added to or taken from a member's shift time.
    ShiftAdjust => "shift.adjust",
    /// `/shift void`: a shift's time withdrawn.
    ShiftVoid => "shift.void",
    /// `/settings shifts`: shift types, on-shift role, in-game rule, automatic shifts.
    SettingsShifts => "settings.shifts",
    /// `:log shift start|break|resume|end` typed in game by a linked staff member.
    StaffCommandShift => "staff_command.shift",
    /// A request to the dashboard IPC, by its route (the target); its outcome says how it
    /// was answered. Actions it runs are also recorded under their own names.
    IpcRequest => "ipc.request",
    /// `/warn`: a warning case filed (its `:pm` is recorded as `command.pm`).
    CaseWarn => "case.warn",
    /// `/note`: a note case filed.
    CaseNote => "case.note",
    /// `/case view` (recorded when refused).
    CaseView => "case.view",
    /// `/cases` (recorded when refused).
    CaseList => "case.list",
    /// `/case edit`: a case's reason rewritten.
    CaseEdit => "case.edit",
    /// `/case void`: a case withdrawn.
    CaseVoid => "case.void",
    /// An in-game moderation command (`:kick` …) seen in the command logs filed its cases
    /// (the actor is the staff member in game; the target is the server).
    CaseInGame => "case.in_game",
    /// The "Add reason" card's form: a reason set on a case filed without one.
    CaseAddReason => "case.add_reason",
    /// A temp ban lifted by the bot when it was due (target: the case).
    CaseExpire => "case.expire",
    /// `/ban` by a member without `ban`: a ban request held for approval.
    BanRequestCreate => "ban_request.create",
    /// A ban request denied (an approval is recorded as `command.ban`).
    BanRequestDeny => "ban_request.deny",
    /// `/loa request`: a leave of absence asked for (target: the leave's number).
    LoaRequest => "loa.request",
    /// A leave approved on its card.
    LoaApprove => "loa.approve",
    /// A leave denied on its card.
    LoaDeny => "loa.deny",
    /// `/loa list` of someone else's leaves (recorded when refused).
    LoaList => "loa.list",
    /// `/settings quota`: a role's weekly quota set or removed.
    SettingsQuota => "settings.quota",
    /// `/activity report`: the staff activity report (with its CSV and chart).
    ActivityReport => "activity.report",
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
