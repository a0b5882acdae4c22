//! Every slash command, one file per group. Commands are thin: parse the options, call the
//! services, render a view. [`all_commands`] attaches the Discord-side rules (guild only,
//! default member permissions) in one place, so no command can forget them.

pub mod server;

use poise::serenity_prelude as serenity;

use crate::discord::{BotError, Command, Context};

/// Who Discord shows a command to by default. Server admins can change this per command in
/// Server Settings → Integrations; our own role → capability check still runs on every use.
#[derive(Debug, Clone, Copy)]
enum Visibility {
    /// Members with Manage Server (admins).
    Admins,
}

impl Visibility {
    fn permissions(self) -> serenity::Permissions {
        match self {
            Self::Admins => serenity::Permissions::MANAGE_GUILD,
        }
    }
}

/// Every command, guild-only, with its default visibility.
pub fn all_commands() -> Vec<Command> {
    let table: Vec<(Command, Visibility)> = vec![(server::server(), Visibility::Admins)];
    table
        .into_iter()
        .map(|(mut command, visibility)| {
            command.guild_only = true;
            command.default_member_permissions = visibility.permissions();
            command
        })
        .collect()
}

/// The guild the command runs in (every command is guild-only, so this only fails if
/// Discord sends a command from a DM anyway).
fn guild_of(ctx: Context<'_>) -> Result<u64, BotError> {
    ctx.guild_id()
        .map(|g| g.get())
        .ok_or_else(|| BotError::user("Use this command in a Discord server, not in a DM."))
}
