//! `/loa request|list`: leaves of absence. The request card (Approve/Deny) is the reply, in
//! the channel where it was asked; the decision comes back through the card's buttons.

use poise::serenity_prelude as serenity;

use super::common::{caller, show, show_private};
use crate::discord::{BotError, Context};
use crate::views;

/// Leave of absence: ask for leave, see who is away
#[poise::command(slash_command, subcommands("request", "list"), subcommand_required)]
pub async fn loa(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Ask for leave (whole UTC days); a shift admin approves or denies it
#[poise::command(slash_command)]
async fn request(
    ctx: Context<'_>,
    #[description = "First day away: YYYY-MM-DD (UTC), today, tomorrow, or 3d for in 3 days"]
    #[max_length = 20]
    from: String,
    #[description = "Last day away (included): YYYY-MM-DD (UTC), or 10d for in 10 days"]
    #[max_length = 20]
    to: String,
    #[description = "Why you will be away"]
    #[max_length = 300]
    reason: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let leave = ctx
        .data()
        .services
        .loa_request(guild, &actor, &from, &to, &reason)
        .await?;
    let card = views::leaves::leave_card(&leave)
        .map_err(|e| BotError::user(format!("Could not build the decision buttons: {e}.")))?;
    show(ctx, &card).await
}

/// Current and upcoming leave: yours, or a member's (everyone's for shift admins)
#[poise::command(slash_command)]
async fn list(
    ctx: Context<'_>,
    #[description = "Whose leave (shift admins; default: yours, or everyone's for them)"]
    member: Option<serenity::User>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let list = ctx
        .data()
        .services
        .loa_list(guild, &actor, member.map(|m| m.id.get()))
        .await?;
    show_private(ctx, &views::leaves::leave_list(&list)).await
}
