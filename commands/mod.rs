//! Every slash command, one file per group. Commands are thin: parse the options, call the
//! services, render a view. [`all_commands`](crate::commands::all_commands) attaches the
//! Discord-side rules (guild only, default member permissions) in one place, so no command can
//! forget them.

mod actions;
mod activity;
mod audit;
mod cases;
mod common;
mod dashboard;
mod feed;
mod health;
mod info;
mod link;
mod loa;
mod logs;
mod permissions;
mod server;
mod settings;
mod shift;

use poise::serenity_prelude as serenity;

use crate::discord::Command;

/// Who Discord shows a command to by default. Server admins can change this per command in
/// Server Settings → Integrations; the bot's own role → capability check still runs on every
/// use, so this is visibility, not security.
#[derive(Debug, Clone, Copy)]
enum Visibility {
    /// Everyone who may use application commands (reads; `view` is still required).
    Members,
    /// Members with Kick Members (moderators).
    Moderators,
    /// Members with Manage Server (admins).
    Admins,
}

impl Visibility {
    fn permissions(self) -> serenity::Permissions {
        match self {
            Self::Members => serenity::Permissions::USE_APPLICATION_COMMANDS,
            Self::Moderators => serenity::Permissions::KICK_MEMBERS,
            Self::Admins => serenity::Permissions::MANAGE_GUILD,
        }
    }
}

/// Every command, guild-only, with its default visibility.
pub fn all_commands() -> Vec<Command> {
    use Visibility::{Admins, Members, Moderators};
    let table: Vec<(Command, Visibility)> = vec![
        (server::server(), Admins),
        (info::players(), Members),
        (info::staff(), Members),
        (info::queue(), Members),
        (info::vehicles(), Members),
        (info::bans(), Moderators),
        (info::emergency(), Members),
        (logs::logs(), Moderators),
        (logs::player(), Moderators),
        (actions::kick(), Moderators),
        (actions::ban(), Moderators),
        (actions::tempban(), Moderators),
        (actions::unban(), Moderators),
        (actions::pm(), Moderators),
        (actions::hint(), Moderators),
        (actions::announce(), Moderators),
        (actions::wanted(), Moderators),
        (actions::jail(), Moderators),
        (actions::raw_command(), Admins),
        (cases::warn(), Moderators),
        (cases::note(), Moderators),
        (cases::case(), Moderators),
        (cases::cases(), Moderators),
        (shift::shift(), Members),
        (feed::feed(), Admins),
        (permissions::permissions(), Admins),
        (settings::settings(), Admins),
        (audit::audit(), Admins),
        (health::health(), Members),
        (dashboard::dashboard(), Members),
        (link::link(), Members),
        (link::unlink(), Members),
        (link::whois(), Moderators),
        (link::links(), Admins),
        (loa::loa(), Members),
        (activity::activity(), Moderators),
    ];
    table
        .into_iter()
        .map(|(mut command, visibility)| {
            command.guild_only = true;
            command.default_member_permissions = visibility.permissions();
            command
        })
        .collect()
}
