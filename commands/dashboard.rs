//! `/dashboard token`: a private token for the live state stream, so a dashboard can watch
//! the guild's servers and act as the member who asked.

use super::common::{caller, show_private};
use crate::discord::{BotError, Context};
use crate::live::dashboard::mint_dashboard_token;
use crate::live::token::TokenKeys;
use crate::views;

/// Live dashboards (the SODP state stream)
#[poise::command(slash_command, subcommands("token"), subcommand_required)]
pub async fn dashboard(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Get a private token for a live dashboard (it acts as you)
#[poise::command(slash_command)]
async fn token(
    ctx: Context<'_>,
    #[description = "How many hours it works (1 to 24; default 1)"]
    #[min = 1]
    #[max = 24]
    hours: Option<u32>,
) -> Result<(), BotError> {
    let config = &ctx.data().config;
    let Some(secret) = &config.live_jwt_secret else {
        return Err(BotError::user(
            "The live dashboard API is off on this bot: its operator has not set \
             LIVE_JWT_SECRET.",
        ));
    };
    let (guild, actor) = caller(ctx).await?;
    // The audit record is written before the token is shown, which may take a moment.
    ctx.defer_ephemeral().await?;
    let keys = TokenKeys::new(secret.expose());
    let public_url = config.public_url.as_deref();
    let services = &ctx.data().services;
    let minted = mint_dashboard_token(services, &keys, guild, &actor, hours, public_url).await?;
    let reply =
        views::dashboard::dashboard_token(&minted.token, minted.expires_at, minted.url.as_deref());
    show_private(ctx, &reply).await
}
