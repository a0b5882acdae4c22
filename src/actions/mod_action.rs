//! `ModAction`: an in-game action a moderator asks for, with everything that is known about
//! each kind in one place (the capability it needs, the name it is audited under, the verb
//! its reply uses), and [`ActionReport`], what a finished action tells the view.

use serde::{Deserialize, Serialize};

use crate::erlc::api::Confirmation;
use crate::store::Capability;

use super::{AuditAction, ResolvedPlayer};

/// An in-game action a moderator asked for. Player fields hold what was typed: a username,
/// the start of one, or a Roblox user id.
///
/// Serialised (tagged by `kind`) only inside a held action's confirmation record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModAction {
    /// `:kick` an online player out of the server; they may rejoin.
    Kick {
        /// Who: an online player.
        player: String,
        /// Shown to the kicked player; `None` for none.
        reason: Option<String>,
    },
    /// `:ban`: kick the player and keep them out. The player may be offline if given by user
    /// id or full username.
    Ban {
        /// Who: an online player, or anyone by user id or full username.
        player: String,
        /// Recorded with the ban; `None` for none.
        reason: Option<String>,
    },
    /// `:unban`: take a user off the server's ban list. A user id or a full username (banned
    /// players are offline).
    Unban {
        /// Who: a user id or a full username.
        player: String,
    },
    /// `:pm`: a private popup to one online player.
    Pm {
        /// Who: an online player.
        player: String,
        /// The message; sent as one line.
        text: String,
    },
    /// `:h`: a hint banner at the top of every player's screen.
    Hint {
        /// The hint; sent as one line.
        text: String,
    },
    /// A server-wide message (`:m`).
    Announce {
        /// The announcement; sent as one line.
        text: String,
    },
    /// `:wanted`: mark an online player wanted.
    Wanted {
        /// Who: an online player.
        player: String,
    },
    /// `:unwanted`: clear an online player's wanted status.
    Unwanted {
        /// Who: an online player.
        player: String,
    },
    /// `:jail`: send an online player to jail.
    Jail {
        /// Who: an online player.
        player: String,
    },
    /// `:unjail`: release an online player from jail.
    Unjail {
        /// Who: an online player.
        player: String,
    },
    /// Command text sent as typed (after the policy check; destructive ones need confirming).
    Raw {
        /// The whole command, such as `:tp Ann Ben`.
        text: String,
    },
}

impl ModAction {
    /// The private message that tells a mod call's caller (`player`: their user id or name)
    /// that `moderator` took the call, whichever front end claimed it.
    pub fn claim_notice(player: String, moderator: &str) -> Self {
        Self::Pm {
            player,
            text: format!("A moderator ({moderator}) has taken your call and is on the way."),
        }
    }

    /// The capability a member needs for this action.
    pub fn capability(&self) -> Capability {
        match self {
            Self::Pm { .. } | Self::Hint { .. } | Self::Announce { .. } => Capability::Message,
            Self::Kick { .. }
            | Self::Wanted { .. }
            | Self::Unwanted { .. }
            | Self::Jail { .. }
            | Self::Unjail { .. } => Capability::Moderate,
            Self::Ban { .. } | Self::Unban { .. } => Capability::Ban,
            Self::Raw { .. } => Capability::RawCommand,
        }
    }

    /// What the audit log records the action (and a refusal of it) as.
    pub fn audit_name(&self) -> AuditAction {
        match self {
            Self::Kick { .. } => AuditAction::CommandKick,
            Self::Ban { .. } => AuditAction::CommandBan,
            Self::Unban { .. } => AuditAction::CommandUnban,
            Self::Pm { .. } => AuditAction::CommandPm,
            Self::Hint { .. } => AuditAction::CommandHint,
            Self::Announce { .. } => AuditAction::CommandAnnounce,
            Self::Wanted { .. } => AuditAction::CommandWanted,
            Self::Unwanted { .. } => AuditAction::CommandUnwanted,
            Self::Jail { .. } => AuditAction::CommandJail,
            Self::Unjail { .. } => AuditAction::CommandUnjail,
            Self::Raw { .. } => AuditAction::CommandRaw,
        }
    }

    /// The word a reply names the action by, e.g. `Kick done`.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Kick { .. } => "Kick",
            Self::Ban { .. } => "Ban",
            Self::Unban { .. } => "Unban",
            Self::Pm { .. } => "PM",
            Self::Hint { .. } => "Hint",
            Self::Announce { .. } => "Announcement",
            Self::Wanted { .. } => "Wanted",
            Self::Unwanted { .. } => "Wanted cleared",
            Self::Jail { .. } => "Jail",
            Self::Unjail { .. } => "Release from jail",
            Self::Raw { .. } => "Command",
        }
    }
}

/// What an action PRC accepted did, for its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    /// The action as asked for (a confirmed raw command is [`ModAction::Raw`]).
    pub action: ModAction,
    /// The guild's label for the server it ran on.
    pub server_label: String,
    /// The exact text sent.
    pub command_text: String,
    /// Whether the command showed up in the server's command logs.
    pub confirmation: Confirmation,
    /// Seq of the audit intent.
    pub audit_seq: u64,
    /// The player the command named, resolved from what was typed.
    pub player: Option<ResolvedPlayer>,
    /// Number of the case the action filed (kick, ban, unban, jail).
    pub case: Option<u64>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// One action of every kind. The match has no wildcard, so a new kind does not compile
    /// until it is added here too.
    fn every_kind() -> Vec<ModAction> {
        let player = || "a".to_owned();
        let text = || "x".to_owned();
        let all = vec![
            ModAction::Kick {
                player: player(),
                reason: None,
            },
            ModAction::Ban {
                player: player(),
                reason: None,
            },
            ModAction::Unban { player: player() },
            ModAction::Pm {
                player: player(),
                text: text(),
            },
            ModAction::Hint { text: text() },
            ModAction::Announce { text: text() },
            ModAction::Wanted { player: player() },
            ModAction::Unwanted { player: player() },
            ModAction::Jail { player: player() },
            ModAction::Unjail { player: player() },
            ModAction::Raw { text: text() },
        ];
        let position = |action: &ModAction| match action {
            ModAction::Kick { .. } => 0,
            ModAction::Ban { .. } => 1,
            ModAction::Unban { .. } => 2,
            ModAction::Pm { .. } => 3,
            ModAction::Hint { .. } => 4,
            ModAction::Announce { .. } => 5,
            ModAction::Wanted { .. } => 6,
            ModAction::Unwanted { .. } => 7,
            ModAction::Jail { .. } => 8,
            ModAction::Unjail { .. } => 9,
            ModAction::Raw { .. } => 10,
        };
        let positions: Vec<usize> = all.iter().map(position).collect();
        assert_eq!(positions, (0..11).collect::<Vec<_>>(), "one of each kind");
        all
    }

    /// What each capability grants in game, as `/permissions` explains it to admins, by the
    /// audited command name.
    const GRANTS: &[(Capability, &[&str])] = &[
        (Capability::Message, &["pm", "hint", "announce"]),
        (
            Capability::Moderate,
            &["kick", "wanted", "unwanted", "jail", "unjail"],
        ),
        (Capability::Ban, &["ban", "unban"]),
        (Capability::RawCommand, &["raw"]),
    ];

    #[test]
    fn every_action_needs_the_capability_that_grants_it() {
        for action in every_kind() {
            let name = action.audit_name().as_str();
            let command = name.strip_prefix("command.").unwrap_or(name);
            let granted_by: Vec<Capability> = GRANTS
                .iter()
                .filter(|(_, commands)| commands.contains(&command))
                .map(|(capability, _)| *capability)
                .collect();
            assert_eq!(granted_by, [action.capability()], "{name}");
        }
    }

    #[test]
    fn every_action_has_its_own_audit_name_and_verb() {
        let all = every_kind();
        let names: BTreeSet<&str> = all.iter().map(|a| a.audit_name().as_str()).collect();
        let verbs: BTreeSet<&str> = all.iter().map(ModAction::verb).collect();
        assert_eq!((names.len(), verbs.len()), (all.len(), all.len()));
        assert!(names.iter().all(|n| n.starts_with("command.")), "{names:?}");
    }
}
