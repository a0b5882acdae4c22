//! `/settings modcall|ingame|cases`: where in-game `;staff`/`;report` cards go, which role
//! they ping, whether `;` commands are answered at all, and where case cards go, which in-game
//! commands file cases and the guild's own case types.

use poise::serenity_prelude as serenity;

use super::common::{caller, show};
use crate::actions::CasesSettingsChange;
use crate::discord::{BotError, Context};
use crate::views;

/// Settings for in-game commands and cases
#[poise::command(
    slash_command,
    subcommands("modcall", "ingame", "cases"),
    subcommand_required
)]
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

/// Where case cards ("Add reason") go, which in-game commands file cases, the case types
#[poise::command(slash_command)]
async fn cases(
    ctx: Context<'_>,
    #[description = "Channel for case cards such as \"Add reason\""]
    #[channel_types("Text", "News")]
    channel: Option<serenity::GuildChannel>,
    #[description = "In-game commands that file cases, e.g. kick, ban, unban, jail (none: none)"]
    commands: Option<String>,
    #[description = "This server's own case types besides the built-in ones (none: none)"]
    types: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let change = CasesSettingsChange {
        channel: channel.map(|c| c.id.get()),
        commands: commands.as_deref(),
        types: types.as_deref(),
    };
    let saved = ctx
        .data()
        .services
        .settings_cases(guild, &actor, change)
        .await?;
    show(ctx, &views::admin::cases_settings_saved(&saved)).await
}
