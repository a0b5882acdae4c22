//! `/permissions set|list`: which Discord roles may use which of the bot's abilities.

use poise::serenity_prelude as serenity;

use super::common::{caller, show};
use crate::discord::{BotError, Context};
use crate::views;

/// Decide which roles may use the bot's abilities
#[poise::command(slash_command, subcommands("set", "list"), subcommand_required)]
pub async fn permissions(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Give a role capabilities, replacing what it had (view, message, moderate, ban, cases …)
#[poise::command(slash_command)]
async fn set(
    ctx: Context<'_>,
    #[description = "The role"] role: serenity::Role,
    #[description = "Comma-separated (view, moderate, ban, cases, case_admin, shifts, shift_admin …), all or none"]
    capabilities: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let saved = ctx
        .data()
        .services
        .permissions_set(guild, &actor, role.id.get(), &capabilities)
        .await?;
    show(ctx, &views::admin::permissions_saved(role.id.get(), &saved)).await
}

/// Every role's capabilities, and what each capability allows
#[poise::command(slash_command)]
async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let roles = ctx.data().services.permissions_list(guild, &actor).await?;
    let mut message = views::admin::permissions_list(&roles);
    message
        .embeds
        .extend(views::admin::capabilities_help().embeds);
    message.clamp();
    show(ctx, &message).await
}
