//! `/logs joins|kills|commands|modcalls|emergency` from the event store (time range, player
//! filter, pages) and `/player`, a player's live details, timeline and moderation buttons.

use super::common::{self, page_index, player_names, server_labels, show};
use crate::actions::AuditAction;
use crate::discord::reads;
use crate::discord::{BotError, Context};
use crate::views::{LogFilter, LogKind, PageTarget, PagedView, parse_span};

async fn logs_of(
    ctx: Context<'_>,
    kind: LogKind,
    since: Option<String>,
    player: Option<String>,
    page: Option<u32>,
    server: Option<String>,
) -> Result<(), BotError> {
    let span_secs = since
        .as_deref()
        .map(parse_span)
        .transpose()
        .map_err(BotError::User)?;
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewLogs).await?;
    let player = match &player {
        Some(typed) => reads::find_player(&read.handle, typed).await?.0.id,
        None => None,
    };
    let filter = LogFilter {
        kind,
        span_secs,
        player,
    };
    let target = PageTarget::new(PagedView::Logs, page_index(page), &filter.token());
    common::show_page(ctx, &read, &target).await
}

macro_rules! log_subcommand {
    ($name:ident, $kind:expr, $doc:literal) => {
        #[doc = $doc]
        #[poise::command(slash_command)]
        async fn $name(
            ctx: Context<'_>,
            #[description = "How far back, e.g. 30m, 2h, 1d (default: everything kept)"]
            since: Option<String>,
            #[description = "Only this player (name in game, or Roblox user id)"]
            #[autocomplete = "player_names"]
            player: Option<String>,
            #[description = "Page number"]
            #[min = 1]
            page: Option<u32>,
            #[description = "Which server (default: this Discord server's default)"]
            #[autocomplete = "server_labels"]
            server: Option<String>,
        ) -> Result<(), BotError> {
            logs_of(ctx, $kind, since, player, page, server).await
        }
    };
}

log_subcommand!(joins, LogKind::Joins, "Joins and leaves");
log_subcommand!(kills, LogKind::Kills, "Kills");
log_subcommand!(commands, LogKind::Commands, "Commands run in game");
log_subcommand!(
    modcalls,
    LogKind::ModCalls,
    "Mod calls and who answered them"
);
log_subcommand!(emergency, LogKind::Emergency, "911 calls");

/// Read the server's history from the bot's event store
#[poise::command(
    slash_command,
    subcommands("joins", "kills", "commands", "modcalls", "emergency"),
    subcommand_required
)]
pub async fn logs(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// A player's live details, recent history and moderation buttons
#[poise::command(slash_command)]
pub async fn player(
    ctx: Context<'_>,
    #[description = "Player (name in game, or Roblox user id)"]
    #[autocomplete = "player_names"]
    name: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewPlayer).await?;
    let services = &ctx.data().services;
    let message =
        reads::player_panel(services, read.guild, &read.actor, read.server(), &name).await?;
    show(ctx, &message).await
}
