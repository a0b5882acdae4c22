//! `/settings modcall|ingame|quota`: where in-game `;staff`/`;report` cards go, which role
//! they ping, whether `;` commands are answered at all, and weekly quotas per role.

use poise::serenity_prelude as serenity;

use super::common::{caller, show};
use crate::discord::{BotError, Context};
use crate::store::RoleQuota;
use crate::views;

/// Settings for in-game `;` commands
#[poise::command(
    slash_command,
    subcommands("modcall", "ingame", "quota"),
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

/// Weekly activity quotas per role
#[poise::command(
    slash_command,
    subcommands("quota_set", "quota_remove"),
    subcommand_required
)]
async fn quota(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Set a role's weekly quota (weeks start Monday 00:00 UTC)
#[poise::command(slash_command, rename = "set")]
async fn quota_set(
    ctx: Context<'_>,
    #[description = "The staff role"] role: serenity::Role,
    #[description = "Minutes on shift per week (breaks not counted)"]
    #[max = 10080]
    minutes: u32,
    #[description = "Moderation actions per week (optional)"]
    #[max = 10000]
    actions: Option<u32>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let quota = RoleQuota {
        role: role.id.get(),
        minutes,
        actions,
    };
    let saved = ctx
        .data()
        .services
        .settings_quota_set(guild, &actor, quota)
        .await?;
    show(ctx, &views::activity::quotas_saved(&saved)).await
}

/// Remove a role's weekly quota
#[poise::command(slash_command, rename = "remove")]
async fn quota_remove(
    ctx: Context<'_>,
    #[description = "The role"] role: serenity::Role,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let saved = ctx
        .data()
        .services
        .settings_quota_remove(guild, &actor, role.id.get())
        .await?;
    show(ctx, &views::activity::quotas_saved(&saved)).await
}
