//! `/settings modcall|ingame|shifts|quota`: where in-game `;staff`/`;report` cards go, which
//! role they ping, whether `;` commands are answered at all, how shifts run, and weekly
//! quotas per role.

use poise::serenity_prelude as serenity;

use super::common::{caller, show};
use crate::actions::ShiftsChange;
use crate::discord::{BotError, Context};
use crate::store::RoleQuota;
use crate::views;

/// Settings for in-game `;` commands
#[poise::command(
    slash_command,
    subcommands("modcall", "ingame", "shifts", "quota"),
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

/// Shift types, the on-shift role, the in-game rule and automatic shifts (unset: unchanged)
#[poise::command(slash_command)]
async fn shifts(
    ctx: Context<'_>,
    #[description = "Shift types, comma-separated (such as patrol, training)"]
    #[max_length = 400]
    types: Option<String>,
    #[description = "Role given while on shift (the bot needs Manage Roles)"] role: Option<
        serenity::Role,
    >,
    #[description = "Remove the on-shift role"] no_role: Option<bool>,
    #[description = "Starting a shift needs the member in game (linked account online)"]
    require_in_game: Option<bool>,
    #[description = "Joining a server as staff starts a shift; leaving ends it"] automatic: Option<
        bool,
    >,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let role = match (role, no_role) {
        (Some(_), Some(true)) => {
            return Err(BotError::user("Give a role or `no_role`, not both."));
        }
        (Some(role), _) => Some(Some(role.id.get())),
        (None, Some(true)) => Some(None),
        (None, _) => None,
    };
    let change = ShiftsChange {
        types,
        role,
        require_in_game,
        automatic,
    };
    let replan = change.automatic.is_some();
    let data = ctx.data();
    let saved = data.services.settings_shifts(guild, &actor, change).await?;
    show(ctx, &views::shifts::shift_settings_saved(&saved.shifts)).await?;
    if replan {
        // Automatic shifts need staff joins and leaves polled; after the reply, as opening
        // the servers may take longer than Discord waits.
        crate::actions::tracking::retrack_guild(&data.tracker, &data.services, guild).await;
    }
    Ok(())
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
