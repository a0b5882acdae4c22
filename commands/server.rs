//! `/server …`: connect ER:LC private servers to the guild, list, inspect and remove them.

use crate::discord::render;
use crate::discord::{BotError, Context};
use crate::feeds::message::{Embed, FeedMessage};

/// Manage the ER:LC servers connected to this Discord server
#[poise::command(slash_command, subcommands("list"), subcommand_required)]
pub async fn server(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// List the ER:LC servers connected to this Discord server
#[poise::command(slash_command)]
async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let guild = super::guild_of(ctx)?;
    let servers = ctx.data().store.settings().list_servers(guild)?;
    let mut embed = Embed::new().title("ER:LC servers");
    if servers.is_empty() {
        embed = embed.description("No server is connected yet. Run `/server setup` to add one.");
    }
    for server in &servers {
        let default = if server.is_default { " (default)" } else { "" };
        embed = embed.field(
            &format!("{}{default}", server.label),
            &format!(
                "{}\nkey {}",
                server.status.describe(),
                server.key_fingerprint
            ),
            false,
        );
    }
    ctx.send(render::reply(
        &FeedMessage::single(embed, Vec::new()),
        false,
    ))
    .await?;
    Ok(())
}
