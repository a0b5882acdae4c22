//! Cases: `/warn`, `/note`, `/case view|edit|void` and `/cases`. The services check the
//! `cases` and `case_admin` capabilities, audit, and store the case events; these functions
//! collect the options and show the case.

use poise::serenity_prelude as serenity;

use super::common::{caller, page_index, player_names, server_labels, show};
use crate::actions::{CaseQuery, CaseRequest};
use crate::discord::{BotError, Context};
use crate::store::{Capability, Source};
use crate::ui::escape::escape_name;
use crate::ui::names::member_mention;
use crate::views;

/// Check `cases` while the answer can still be private, then defer: filing resolves the
/// player on the game server, which can take longer than Discord's 3 s.
async fn check_then_defer(
    ctx: Context<'_>,
    action: crate::actions::AuditAction,
) -> Result<(u64, crate::actions::Member), BotError> {
    let (guild, actor) = caller(ctx).await?;
    ctx.data()
        .services
        .require(
            guild,
            &actor,
            Capability::Cases,
            action,
            Source::SlashCommand,
        )
        .await?;
    ctx.defer().await?;
    Ok((guild, actor))
}

/// Warn a player: files a case and (by default) tells them in game with its number
#[poise::command(slash_command)]
pub async fn warn(
    ctx: Context<'_>,
    #[description = "Player (username, the start of one, or a Roblox user id)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "Why; shown to the player"]
    #[max_length = 200]
    reason: String,
    #[description = "Tell the player in game (default: yes)"] notify: Option<bool>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = check_then_defer(ctx, crate::actions::AuditAction::CaseWarn).await?;
    let request = CaseRequest {
        server: server.as_deref(),
        player: &player,
        text: &reason,
    };
    let report = ctx
        .data()
        .services
        .warn(
            guild,
            &actor,
            Source::SlashCommand,
            request,
            notify.unwrap_or(true),
        )
        .await?;
    show(ctx, &views::cases::warn_report(&report)).await
}

/// Write a note about a player (a case that records without punishing)
#[poise::command(slash_command)]
pub async fn note(
    ctx: Context<'_>,
    #[description = "Player (username, the start of one, or a Roblox user id)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "The note"]
    #[max_length = 500]
    text: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = check_then_defer(ctx, crate::actions::AuditAction::CaseNote).await?;
    let request = CaseRequest {
        server: server.as_deref(),
        player: &player,
        text: &text,
    };
    let case = ctx
        .data()
        .services
        .note(guild, &actor, Source::SlashCommand, request)
        .await?;
    show(ctx, &views::cases::case_saved(&case, "Note filed: case")).await
}

/// See, edit or void a numbered case
#[poise::command(
    slash_command,
    subcommands("view", "edit", "void"),
    subcommand_required
)]
pub async fn case(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Show a case with its history
#[poise::command(slash_command)]
async fn view(
    ctx: Context<'_>,
    #[description = "Case number"]
    #[min = 1]
    number: u64,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let case = ctx
        .data()
        .services
        .view_case(guild, &actor, number, Source::SlashCommand)
        .await?;
    show(ctx, &views::cases::case_view(&case)).await
}

/// Rewrite a case's reason (your own cases, or any with case_admin)
#[poise::command(slash_command)]
async fn edit(
    ctx: Context<'_>,
    #[description = "Case number"]
    #[min = 1]
    number: u64,
    #[description = "The new reason"]
    #[max_length = 500]
    reason: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let case = ctx
        .data()
        .services
        .edit_case(guild, &actor, number, &reason)
        .await?;
    show(ctx, &views::cases::case_saved(&case, "Case updated:")).await
}

/// Void a case (case_admin), saying why
#[poise::command(slash_command)]
async fn void(
    ctx: Context<'_>,
    #[description = "Case number"]
    #[min = 1]
    number: u64,
    #[description = "Why it is voided"]
    #[max_length = 500]
    reason: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let case = ctx
        .data()
        .services
        .void_case(guild, &actor, number, &reason)
        .await?;
    show(ctx, &views::cases::case_saved(&case, "Case voided:")).await
}

/// List a player's cases, or those a moderator filed, newest first
#[poise::command(slash_command)]
pub async fn cases(
    ctx: Context<'_>,
    #[description = "Player (username or Roblox user id)"]
    #[autocomplete = "player_names"]
    player: Option<String>,
    #[description = "Or: the moderator who filed them"] moderator: Option<serenity::User>,
    #[description = "Only this type (warning, note, kick, ban, temp_ban, unban, jail …)"]
    #[rename = "type"]
    kind: Option<String>,
    #[description = "Page (default 1)"]
    #[min = 1]
    page: Option<u32>,
) -> Result<(), BotError> {
    let (query, subject) = match (player, moderator) {
        (Some(player), None) => {
            let subject = escape_name(&player);
            (CaseQuery::Player(player), subject)
        }
        (None, Some(user)) => (
            CaseQuery::Moderator(user.id.get()),
            member_mention(user.id.get()),
        ),
        _ => {
            return Err(BotError::user(
                "Name either a player or a moderator (one of the two).",
            ));
        }
    };
    let (guild, actor) = caller(ctx).await?;
    let index = page_index(page);
    let found = ctx
        .data()
        .services
        .list_cases(
            guild,
            &actor,
            &query,
            kind.as_deref(),
            index,
            Source::SlashCommand,
        )
        .await?;
    show(ctx, &views::cases::case_list(&subject, &found, index)).await
}
