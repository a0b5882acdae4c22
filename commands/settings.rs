//! `/settings modcall|ingame`: where in-game `;staff`/`;report` cards go, which role they
//! ping, and whether `;` commands are answered at all.

use poise::serenity_prelude as serenity;

use super::common::{caller, show};
use crate::discord::{BotError, Context};
use crate::views;

/// Settings for in-game `;` commands
#[poise::command(slash_command, subcommands("modcall", "ingame"), subcommand_required)]
pub async fn settings(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Where `;staff` and `;report` cards are posted, and which role they ping
#[poise::command(slash_command)]
async fn modcall(
    ctx: Context<'_>,
    #[description = "Channel for mod-call and report cards"]
    #[channel_types("Text", "News")]
    channel: serenity::GuildChannel,
    #[description = "Role pinged by `;staff` (none: no ping)"] role: Option<serenity::Role>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let saved = ctx
        .data()
        .services
        .settings_modcall(guild, &actor, channel.id.get(), role.map(|r| r.id.get()))
        .await?;
    show(ctx, &views::admin::ingame_settings_saved(&saved)).await
}

/// Turn the in-game `;` commands (`;help`, `;staff`, `;report`, `;discord`) on or off
#[poise::command(slash_command)]
async fn ingame(
    ctx: Context<'_>,
    #[description = "Answer `;` commands typed in game"] enabled: bool,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let saved = ctx
        .data()
        .services
        .settings_ingame_commands(guild, &actor, enabled)
        .await?;
    show(ctx, &views::admin::ingame_settings_saved(&saved)).await
}
