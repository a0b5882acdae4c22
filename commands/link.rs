//! `/link`, `/unlink`, `/whois player|member` and the admin's `/links set|remove`: Roblox
//! accounts linked to Discord members.

use poise::serenity_prelude as serenity;

use super::common::{caller, show_private};
use crate::actions::WhoisQuery;
use crate::discord::{BotError, Context};
use crate::views;

/// Link your Roblox account: get a one-time code to type in game
#[poise::command(slash_command)]
pub async fn link(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let services = &ctx.data().services;
    let asked_at = services.store().clock().now_ms();
    let started = services.link_start(guild, &actor).await?;
    let expires_at = started.expires_at_ms.div_euclid(1000);
    show_private(ctx, &views::links::link_code(&started.code, expires_at)).await?;
    // The private confirmation is a follow-up to this reply: Discord allows those for 15
    // minutes, longer than a code works. A restart meanwhile drops it, not the link.
    let linked = services
        .link_wait(guild, actor.discord_id, asked_at, started.expires_at_ms)
        .await;
    if let Some(link) = linked {
        show_private(ctx, &views::links::linked(&link)).await?;
    }
    Ok(())
}

/// Unlink your Roblox account from your Discord account here
#[poise::command(slash_command)]
pub async fn unlink(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let removed = ctx.data().services.unlink_self(guild, &actor).await?;
    show_private(ctx, &views::links::unlinked(&removed)).await
}

/// Who is behind a Roblox account, or which Roblox account a member has
#[poise::command(
    slash_command,
    subcommands("whois_player", "whois_member"),
    subcommand_required
)]
pub async fn whois(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// The Discord member linked to a Roblox account
#[poise::command(slash_command, rename = "player")]
async fn whois_player(
    ctx: Context<'_>,
    #[description = "Roblox username or user id"]
    #[max_length = 50]
    player: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let query = WhoisQuery::Player(player.clone());
    let found = ctx.data().services.whois(guild, &actor, &query).await?;
    let asked = crate::ui::escape::code_span(player.trim());
    show_private(ctx, &views::links::whois(&asked, &found)).await
}

/// The Roblox account linked to a Discord member
#[poise::command(slash_command, rename = "member")]
async fn whois_member(
    ctx: Context<'_>,
    #[description = "The member"] member: serenity::User,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let query = WhoisQuery::Member(member.id.get());
    let found = ctx.data().services.whois(guild, &actor, &query).await?;
    let asked = format!("<@{}>", member.id.get());
    show_private(ctx, &views::links::whois(&asked, &found)).await
}

/// Link or unlink members' Roblox accounts by hand
#[poise::command(
    slash_command,
    subcommands("links_set", "links_remove"),
    subcommand_required
)]
pub async fn links(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Link a Roblox account to a member (replaces the member's link)
#[poise::command(slash_command, rename = "set")]
async fn links_set(
    ctx: Context<'_>,
    #[description = "The member"] member: serenity::User,
    #[description = "Roblox user id"] roblox_id: u64,
    #[description = "Roblox username"]
    #[max_length = 50]
    roblox_name: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let linked = ctx
        .data()
        .services
        .link_set(guild, &actor, member.id.get(), roblox_id, &roblox_name)
        .await?;
    show_private(ctx, &views::links::link_set(&linked)).await
}

/// Remove a link, named by the member or by the Roblox account
#[poise::command(slash_command, rename = "remove")]
async fn links_remove(
    ctx: Context<'_>,
    #[description = "The member"] member: Option<serenity::User>,
    #[description = "Roblox username or user id"]
    #[max_length = 50]
    player: Option<String>,
) -> Result<(), BotError> {
    let query = match (member, player) {
        (Some(member), None) => WhoisQuery::Member(member.id.get()),
        (None, Some(player)) => WhoisQuery::Player(player),
        _ => {
            return Err(BotError::user(
                "Name either the member or the Roblox account (one of the two).",
            ));
        }
    };
    let (guild, actor) = caller(ctx).await?;
    let removed = ctx
        .data()
        .services
        .link_remove(guild, &actor, &query)
        .await?;
    show_private(ctx, &views::links::unlinked(&removed)).await
}
