//! `/server setup|list|status|default|remove`: connect ER:LC private servers to the guild and
//! look after them. The key is pasted into a modal, so it never appears in the chat.

use super::common::{self, caller, server_labels, show, show_private};
use crate::actions::{AuditAction, tracking};
use crate::discord::{AppContext, BotError, Context};
use crate::views;

/// How long the key form stays open.
const KEY_FORM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Manage the ER:LC servers connected to this Discord server
#[poise::command(
    slash_command,
    subcommands("setup", "list", "status", "default", "remove", "webhook"),
    subcommand_required
)]
pub async fn server(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// The form that takes the server key.
#[derive(Debug, poise::Modal)]
#[name = "Connect an ER:LC server"]
struct KeyForm {
    #[name = "Server key (or \"sandbox\" to try the bot)"]
    #[placeholder = "In game: Private Server Settings → ER:LC API → API Key"]
    #[min_length = 3]
    #[max_length = 200]
    key: String,
}

/// Connect an ER:LC private server (you paste its API key in a private form)
#[poise::command(slash_command)]
async fn setup(
    ctx: AppContext<'_>,
    #[description = "A short name for this server, e.g. main"]
    #[max_length = 32]
    label: String,
) -> Result<(), BotError> {
    let any = poise::Context::Application(ctx);
    let (guild, actor) = caller(any).await?;
    let Some(form) =
        poise::execute_modal::<_, _, KeyForm>(ctx, None, Some(KEY_FORM_TIMEOUT)).await?
    else {
        return Ok(());
    };
    let data = ctx.data();
    let report = data
        .services
        .setup_server(guild, &actor, &label, &form.key)
        .await?;
    let handle = data
        .services
        .directory()
        .open(guild, &report.record)
        .await?;
    tracking::track(&data.tracker, data.store(), guild, &report.record, handle);
    let url = any.data().config.webhook_url(&report.webhook_token);
    show_private(any, &views::servers::setup_result(&report, url.as_deref())).await
}

/// List the ER:LC servers connected to this Discord server
#[poise::command(slash_command)]
async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let servers = ctx.data().services.list_servers(guild, &actor).await?;
    show(ctx, &views::servers::server_list(&servers)).await
}

/// Show a server's status: players, queue, staff online, join code
#[poise::command(slash_command)]
async fn status(
    ctx: Context<'_>,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ServerStatus).await?;
    let snapshot = read
        .handle
        .snapshot(views::servers::STATUS_SECTIONS)
        .await?;
    let now = common::now_secs(ctx);
    show(
        ctx,
        &views::servers::server_status(&read.record.label, &snapshot, now),
    )
    .await
}

/// Make a server the one commands use when none is named
#[poise::command(slash_command)]
async fn default(
    ctx: Context<'_>,
    #[description = "The server's label"]
    #[autocomplete = "server_labels"]
    server: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let services = &ctx.data().services;
    services.set_default_server(guild, &actor, &server).await?;
    let servers = services.list_servers(guild, &actor).await?;
    show(ctx, &views::servers::server_list(&servers)).await
}

/// Disconnect a server and delete its key
#[poise::command(slash_command)]
async fn remove(
    ctx: Context<'_>,
    #[description = "The server's label"]
    #[autocomplete = "server_labels"]
    server: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let services = &ctx.data().services;
    let removed = services.remove_server(guild, &actor, &server).await?;
    ctx.data().tracker.remove_server(guild, &removed.label);
    let new_default = services.store().settings().default_server(guild)?;
    show(
        ctx,
        &views::servers::removed(
            &removed.label,
            new_default.as_ref().map(|r| r.label.as_str()),
        ),
    )
    .await
}

/// Show the URL to paste in game for event webhooks (`;` commands, 911 calls)
#[poise::command(slash_command)]
async fn webhook(
    ctx: Context<'_>,
    #[description = "Which server (default: the guild's default server)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let (record, token) = ctx
        .data()
        .services
        .webhook_token(guild, &actor, server.as_deref())
        .await?;
    let url = ctx.data().config.webhook_url(&token);
    show_private(
        ctx,
        &views::servers::webhook_instructions(&record.label, url.as_deref()),
    )
    .await
}
