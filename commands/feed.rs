//! `/feed add|remove|list`: which channels receive which game events.

use poise::serenity_prelude as serenity;

use super::common::{caller, show};
use super::info::TeamChoice;
use crate::discord::{BotError, Context};
use crate::erlc::models::Team;
use crate::feeds::presets;
use crate::store::FeedFilters;
use crate::views;

/// Discord's limit on autocomplete choices.
const MAX_CHOICES: usize = 25;

/// Send game events to channels
#[poise::command(
    slash_command,
    subcommands("add", "remove", "list"),
    subcommand_required
)]
pub async fn feed(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Autocomplete: presets whose name or description matches, then the text as typed (a
/// pattern such as `main/player/*`).
async fn preset_choices(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let typed = partial.trim().to_lowercase();
    let mut choices: Vec<serenity::AutocompleteChoice> = presets()
        .iter()
        .filter(|p| {
            typed.is_empty()
                || p.name.contains(&typed)
                || p.description.to_lowercase().contains(&typed)
        })
        .map(|p| {
            serenity::AutocompleteChoice::new(format!("{} — {}", p.name, p.description), p.name)
        })
        .collect();
    if !typed.is_empty() && !presets().iter().any(|p| p.name == typed) {
        let text = partial.trim().to_owned();
        choices.insert(0, serenity::AutocompleteChoice::new(text.clone(), text));
    }
    choices.truncate(MAX_CHOICES);
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Send events to a channel: a preset (joins, kills, modcalls, …) or patterns
#[poise::command(slash_command)]
async fn add(
    ctx: Context<'_>,
    #[description = "The channel to post in"]
    #[channel_types("Text", "News")]
    channel: serenity::GuildChannel,
    #[description = "A preset (joins, kills, modcalls…) or patterns like main/player/*"]
    #[autocomplete = "preset_choices"]
    events: String,
    #[description = "Only events involving this team"] team: Option<TeamChoice>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let filters = FeedFilters {
        teams: team
            .map(|t| vec![Team::from(t).to_string()])
            .unwrap_or_default(),
        players: Vec::new(),
    };
    let saved = ctx
        .data()
        .services
        .feeds_add(guild, &actor, channel.id.get(), &events, filters)
        .await?;
    ctx.data().feeds_changed(guild).await;
    show(ctx, &views::admin::feed_saved(&saved)).await
}

/// Stop posting events in a channel
#[poise::command(slash_command)]
async fn remove(
    ctx: Context<'_>,
    #[description = "The channel"]
    #[channel_types("Text", "News")]
    channel: serenity::GuildChannel,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let existed = ctx
        .data()
        .services
        .feeds_remove(guild, &actor, channel.id.get())
        .await?;
    ctx.data().feeds_changed(guild).await;
    show(ctx, &views::admin::feed_removed(channel.id.get(), existed)).await
}

/// Every channel's feed
#[poise::command(slash_command)]
async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let feeds = ctx.data().services.feeds_list(guild, &actor).await?;
    show(ctx, &views::admin::feed_list(&feeds)).await
}
