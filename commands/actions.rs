//! In-game actions: `/kick`, `/ban`, `/unban`, `/pm`, `/hint`, `/announce`, `/wanted`,
//! `/jail` and `/command` (raw; destructive commands wait for a Confirm press). The services
//! check permissions, build safe command text, audit before sending and confirm the command
//! in the server's logs; these functions only collect the options and show the outcome.

use super::common::{caller, player_names, server_labels, show, show_private};
use crate::actions::{ActionError, Member, ModAction, parse_duration};
use crate::discord::{BotError, Context};
use crate::store::Source;
use crate::views;

/// Check the permission `action` needs (audited when refused) while the answer can still be
/// private, then defer: commands are confirmed in the logs, which takes seconds.
async fn allowed_then_defer(
    ctx: Context<'_>,
    action: &ModAction,
) -> Result<(u64, Member), BotError> {
    let (guild, actor) = caller(ctx).await?;
    ctx.data()
        .services
        .require(
            guild,
            &actor,
            action.capability(),
            action.audit_name(),
            Source::SlashCommand,
        )
        .await?;
    ctx.defer().await?;
    Ok((guild, actor))
}

/// Check and defer ([`allowed_then_defer`]), run and report.
async fn act(ctx: Context<'_>, server: Option<String>, action: ModAction) -> Result<(), BotError> {
    let (guild, actor) = allowed_then_defer(ctx, &action).await?;
    let report = ctx
        .data()
        .services
        .run_action(
            guild,
            &actor,
            Source::SlashCommand,
            server.as_deref(),
            action,
        )
        .await?;
    show(ctx, &views::outcome::action_report(&report)).await
}

/// Kick a player from the game server
#[poise::command(slash_command)]
pub async fn kick(
    ctx: Context<'_>,
    #[description = "Player (username or the start of one)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "Reason, shown to the player"]
    #[max_length = 120]
    reason: Option<String>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    act(ctx, server, ModAction::Kick { player, reason }).await
}

/// Ban a player (online by name, or by username or Roblox id); without `ban`, ask for one
#[poise::command(slash_command)]
pub async fn ban(
    ctx: Context<'_>,
    #[description = "Player (username or Roblox user id)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "Reason, shown to the player"]
    #[max_length = 120]
    reason: Option<String>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let services = &ctx.data().services;
    if !services.ban_needs_request(guild, &actor)? {
        return act(ctx, server, ModAction::Ban { player, reason }).await;
    }
    // Two-person rule: a moderator without `ban` gets a request card for those who have it.
    ctx.defer().await?;
    let held = services
        .request_ban(guild, &actor, server.as_deref(), &player, reason)
        .await?;
    let card = views::outcome::ban_request_card(
        &held.server_label,
        &held.command_text,
        actor.discord_id,
        &held.token,
    )
    .map_err(|e| BotError::user(format!("Could not build the request buttons: {e}.")))?;
    show(ctx, &card).await
}

/// Ban a player for a while (30m, 12h, 7d …); the bot lifts the ban when it ends
#[poise::command(slash_command)]
pub async fn tempban(
    ctx: Context<'_>,
    #[description = "Player (username or Roblox user id)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "How long: 30m, 12h, 7d, 2w, 1d12h"]
    #[max_length = 20]
    duration: String,
    #[description = "Reason, shown to the player"]
    #[max_length = 120]
    reason: Option<String>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let length = parse_duration(&duration)?;
    // A temp ban needs what a ban needs.
    let probe = ModAction::Ban {
        player: player.clone(),
        reason: None,
    };
    let (guild, actor) = allowed_then_defer(ctx, &probe).await?;
    let report = ctx
        .data()
        .services
        .tempban(guild, &actor, server.as_deref(), &player, length, reason)
        .await?;
    show(ctx, &views::outcome::action_report(&report)).await
}

/// Lift a ban
#[poise::command(slash_command)]
pub async fn unban(
    ctx: Context<'_>,
    #[description = "Player (username or Roblox user id)"] player: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    act(ctx, server, ModAction::Unban { player }).await
}

/// Send a player a private message in game
#[poise::command(slash_command)]
pub async fn pm(
    ctx: Context<'_>,
    #[description = "Player (username or the start of one)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "The message"]
    #[max_length = 150]
    message: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let action = ModAction::Pm {
        player,
        text: message,
    };
    act(ctx, server, action).await
}

/// Show a hint at the top of everyone's screen in game
#[poise::command(slash_command)]
pub async fn hint(
    ctx: Context<'_>,
    #[description = "The hint"]
    #[max_length = 150]
    message: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    act(ctx, server, ModAction::Hint { text: message }).await
}

/// Announce a message to the whole server (:m)
#[poise::command(slash_command)]
pub async fn announce(
    ctx: Context<'_>,
    #[description = "The announcement"]
    #[max_length = 150]
    message: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    act(ctx, server, ModAction::Announce { text: message }).await
}

/// Mark a player as wanted (or clear it)
#[poise::command(slash_command)]
pub async fn wanted(
    ctx: Context<'_>,
    #[description = "Player (username or the start of one)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "Clear the wanted status instead"] clear: Option<bool>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let action = if clear.unwrap_or(false) {
        ModAction::Unwanted { player }
    } else {
        ModAction::Wanted { player }
    };
    act(ctx, server, action).await
}

/// Send a player to jail (or release them)
#[poise::command(slash_command)]
pub async fn jail(
    ctx: Context<'_>,
    #[description = "Player (username or the start of one)"]
    #[autocomplete = "player_names"]
    player: String,
    #[description = "Release from jail instead"] release: Option<bool>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let action = if release.unwrap_or(false) {
        ModAction::Unjail { player }
    } else {
        ModAction::Jail { player }
    };
    act(ctx, server, action).await
}

/// Run any in-game command (admins; destructive ones ask for confirmation)
#[poise::command(slash_command, rename = "command")]
pub async fn raw_command(
    ctx: Context<'_>,
    #[description = "The command as typed in game, e.g. :weather rain"]
    #[max_length = 200]
    command: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let services = &ctx.data().services;
    let action = ModAction::Raw { text: command };
    services
        .require(
            guild,
            &actor,
            action.capability(),
            action.audit_name(),
            Source::SlashCommand,
        )
        .await?;
    let (record, _) = services
        .directory()
        .resolve(guild, server.as_deref())
        .await?;
    ctx.defer_ephemeral().await?;
    let ran = services
        .run_action(
            guild,
            &actor,
            Source::SlashCommand,
            Some(&record.label),
            action,
        )
        .await;
    match ran {
        Ok(report) => show_private(ctx, &views::outcome::action_report(&report)).await,
        Err(ActionError::NeedsConfirmation {
            token,
            command_text,
            expires_in,
        }) => {
            let why = format!(
                "It can disrupt the whole server. Press Confirm within {} minutes to run it.",
                expires_in.as_secs().div_ceil(60).max(1)
            );
            let prompt = views::outcome::confirm_prompt(&record.label, &command_text, &why, &token)
                .map_err(|e| BotError::user(format!("Could not build the Confirm button: {e}.")))?;
            show_private(ctx, &prompt).await
        }
        Err(other) => Err(other.into()),
    }
}
