//! `/server setup|list|status|default|remove`: connect ER:LC private servers to the guild and
//! look after them. The key is pasted into a modal, so it never appears in the chat.

use super::common::{self, caller, server_labels, show, show_private};
use crate::actions::SetupReport;
use crate::actions::tracking;
use crate::discord::{AppContext, BotError, Context};
use crate::erlc::models::Include;
use crate::feeds::escape::escape_name;
use crate::feeds::message::{Embed, FeedMessage};
use crate::feeds::render::colours;
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
    let public_url = ctx.data().config.public_url.as_deref();
    show_private(any, &setup_card(&report, public_url)).await
}

/// The answer to `/server setup`: what was connected, the webhook URL when the bot has a
/// public address, and every warning with its fix (e.g. the trusted-IP steps).
fn setup_card(report: &SetupReport, public_url: Option<&str>) -> FeedMessage {
    let record = &report.record;
    let name = report
        .server_name
        .as_deref()
        .map_or_else(|| "the server".to_owned(), escape_name);
    let what = if record.sandbox {
        format!(
            "Connected **{}** to the built-in sandbox server: every command works on a \
             simulated server, so you can try the bot before buying the API pack.",
            record.label
        )
    } else {
        format!("Connected **{}** to {name}.", record.label)
    };
    let colour = if report.warnings.is_empty() {
        colours::ANSWERED
    } else {
        colours::WARNING
    };
    let mut embed = Embed::new()
        .title("ER:LC server connected")
        .description(&what)
        .colour(colour)
        .field("Key", &format!("`{}`", record.key_fingerprint), true)
        .field(
            "Default",
            if record.is_default { "yes" } else { "no" },
            true,
        );
    if let Some(base) = public_url {
        let url = crate::http::webhook_url(base, &report.webhook_token);
        embed = embed.field(
            "Webhook URL (optional, faster events)",
            &format!(
                "Paste in game under Private Server Settings → search \"Event Webhook\":\n`{url}`"
            ),
            false,
        );
    }
    for warning in &report.warnings {
        embed = embed.field("To finish", warning, false);
    }
    embed = embed.footer(&format!("Audit record #{}", report.audit_seq));
    FeedMessage::single(embed, Vec::new())
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
    let read = common::server_read(ctx, server.as_deref(), "server.status").await?;
    let include = Include::none().players().queue().staff();
    let snapshot = read.handle.snapshot(include).await?;
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
    let services = &ctx.data().services;
    services
        .require(
            guild,
            &actor,
            crate::store::Capability::Manage,
            "server.webhook",
            crate::store::Source::SlashCommand,
        )
        .await?;
    let (record, _) = services
        .directory()
        .resolve(guild, server.as_deref())
        .await?;
    let token = crate::http::ensure_webhook_token(services.store(), guild, &record.label)
        .map_err(crate::actions::ActionError::Store)?;
    let url = ctx
        .data()
        .config
        .public_url
        .as_deref()
        .map(|base| crate::http::webhook_url(base, &token));
    show_private(
        ctx,
        &views::servers::webhook_instructions(&record.label, url.as_deref()),
    )
    .await
}
