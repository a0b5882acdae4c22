//! What every command does the same way: who is asking, which server, autocomplete of server
//! labels and player names, and sending a view.

use poise::serenity_prelude as serenity;

use crate::actions::{AuditAction, Member};
use crate::discord::reads::{self, OpenServer};
use crate::discord::{BotError, Context, actor, render};
use crate::erlc::ServerHandle;
use crate::store::{Capability, ServerRecord, Source};
use crate::ui::Message;
use crate::views::PageTarget;

/// The guild and the member running the command.
pub async fn caller(ctx: Context<'_>) -> Result<(u64, Member), BotError> {
    let guild = ctx
        .guild_id()
        .map(|g| g.get())
        .ok_or_else(|| BotError::user("Use this command in a Discord server, not in a DM."))?;
    let member = ctx.author_member().await.ok_or_else(|| {
        BotError::user("Discord did not say who you are in this server; try again.")
    })?;
    Ok((guild, actor::from_member(&member)))
}

/// A server-scoped read: the caller must have `view`; the server named (or the guild's
/// default) is opened; the reply is deferred, as PRC may take longer than Discord's 3 s.
pub struct ServerRead {
    pub guild: u64,
    pub actor: Member,
    pub record: ServerRecord,
    pub handle: ServerHandle,
}

impl ServerRead {
    /// The server, for the reads drawn in [`reads`].
    pub fn server(&self) -> OpenServer<'_> {
        OpenServer {
            label: &self.record.label,
            handle: &self.handle,
        }
    }
}

pub async fn server_read(
    ctx: Context<'_>,
    server: Option<&str>,
    action: AuditAction,
) -> Result<ServerRead, BotError> {
    let (guild, actor) = caller(ctx).await?;
    let services = &ctx.data().services;
    services
        .require(
            guild,
            &actor,
            Capability::View,
            action,
            Source::SlashCommand,
        )
        .await?;
    let (record, handle) = services.directory().resolve(guild, server).await?;
    ctx.defer().await?;
    Ok(ServerRead {
        guild,
        actor,
        record,
        handle,
    })
}

/// Send a view as the reply (public).
pub async fn show(ctx: Context<'_>, message: &Message) -> Result<(), BotError> {
    ctx.send(render::reply(message, false)).await?;
    Ok(())
}

/// Draw the page `target` asks for of the server read and send it as the reply: the page
/// buttons redraw later pages through the same [`reads::page`].
pub async fn show_page(
    ctx: Context<'_>,
    read: &ServerRead,
    target: &PageTarget,
) -> Result<(), BotError> {
    let services = &ctx.data().services;
    let message = reads::page(
        services,
        read.guild,
        &read.actor,
        Some(read.server()),
        target,
    )
    .await?;
    show(ctx, &message).await
}

/// Pages count from 1 for people and from 0 in the views.
pub fn page_index(page: Option<u32>) -> usize {
    page.map_or(0, |p| p.saturating_sub(1) as usize)
}

/// Send a view only the invoker sees.
pub async fn show_private(ctx: Context<'_>, message: &Message) -> Result<(), BotError> {
    ctx.send(render::reply(message, true)).await?;
    Ok(())
}

/// Now, in Unix seconds, from the store's clock.
pub fn now_secs(ctx: Context<'_>) -> i64 {
    ctx.data().store().clock().now_secs()
}

fn choices(names: Vec<String>) -> serenity::CreateAutocompleteResponse {
    let choices = names
        .into_iter()
        .map(serenity::AutocompleteChoice::from)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Autocomplete: the guild's server labels.
pub async fn server_labels(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let Some(guild) = ctx.guild_id() else {
        return choices(Vec::new());
    };
    let labels = ctx
        .data()
        .services
        .server_suggestions(guild.get(), partial)
        .unwrap_or_default();
    choices(labels)
}

/// The value typed so far into another option of the same command (autocomplete sees only
/// the focused one), e.g. `server` while completing `player`.
fn typed_option(ctx: Context<'_>, name: &str) -> Option<String> {
    let poise::Context::Application(app) = ctx else {
        return None;
    };
    fn find(options: &[serenity::CommandDataOption], name: &str) -> Option<String> {
        options.iter().find_map(|option| match &option.value {
            serenity::CommandDataOptionValue::String(value) if option.name == name => {
                Some(value.clone())
            }
            serenity::CommandDataOptionValue::Autocomplete { value, .. } if option.name == name => {
                Some(value.clone())
            }
            serenity::CommandDataOptionValue::SubCommand(inner)
            | serenity::CommandDataOptionValue::SubCommandGroup(inner) => find(inner, name),
            _ => None,
        })
    }
    find(&app.interaction.data.options, name)
}

/// Autocomplete: names of the players in game on the chosen (or default) server, as the
/// tracker last saw them (see `Services::player_suggestions`).
pub async fn player_names(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let names = online_names(ctx, partial).await.unwrap_or_else(|e| {
        tracing::debug!("no player names to suggest: {e}");
        Vec::new()
    });
    choices(names)
}

async fn online_names(ctx: Context<'_>, partial: &str) -> Result<Vec<String>, BotError> {
    let (guild, actor) = caller(ctx).await?;
    let data = ctx.data();
    let server = typed_option(ctx, "server");
    let names = data.services.player_suggestions(
        &data.tracker,
        guild,
        &actor,
        server.as_deref(),
        partial,
    )?;
    Ok(names)
}
