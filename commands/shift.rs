//! `/shift start|break|resume|end|status|history|leaderboard|adjust|void`. The services check
//! `shifts` and `shift_admin`, store the shift and its event, and give or take the on-shift
//! role; these functions collect the options and show the result. Changes answer privately
//! (a refusal, such as "you are not on shift", concerns only the member); reads publicly.

use poise::serenity_prelude as serenity;

use super::common::{caller, page_index, show};
use crate::actions::{ShiftStep, parse_duration};
use crate::discord::members::DiscordMembers;
use crate::discord::{BotError, Context, render};
use crate::store::Source;
use crate::views;

/// The leaderboard's period unless one is given.
const DEFAULT_PERIOD: &str = "7d";

fn now_ms(ctx: Context<'_>) -> i64 {
    ctx.data().store().clock().now_ms()
}

/// Go on or off shift, take breaks, and see shifts
#[poise::command(
    slash_command,
    subcommands(
        "start",
        "take_break",
        "resume",
        "end",
        "status",
        "history",
        "leaderboard",
        "adjust",
        "void"
    ),
    subcommand_required
)]
pub async fn shift(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Run a change to the caller's own shift and show it privately. Deferred first: giving or
/// taking the on-shift role asks Discord, which may take longer than the 3 s allowed.
async fn step(ctx: Context<'_>, step: ShiftStep, heading: &str) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let update = data
        .services
        .shift_step(guild, &actor, step, &data.tracker)
        .await?;
    show(
        ctx,
        &views::shifts::shift_update(&update, heading, now_ms(ctx)),
    )
    .await
}

/// Go on shift
#[poise::command(slash_command)]
async fn start(
    ctx: Context<'_>,
    #[description = "Shift type (default: this server's first type)"]
    #[rename = "type"]
    #[max_length = 24]
    kind: Option<String>,
) -> Result<(), BotError> {
    step(ctx, ShiftStep::Start(kind), "On shift").await
}

/// Take a break (the time does not count until you resume)
#[poise::command(slash_command, rename = "break")]
async fn take_break(ctx: Context<'_>) -> Result<(), BotError> {
    step(ctx, ShiftStep::Break, "On a break").await
}

/// Come back from a break
#[poise::command(slash_command)]
async fn resume(ctx: Context<'_>) -> Result<(), BotError> {
    step(ctx, ShiftStep::Resume, "Back on shift").await
}

/// Go off shift
#[poise::command(slash_command)]
async fn end(ctx: Context<'_>) -> Result<(), BotError> {
    step(ctx, ShiftStep::End, "Off shift").await
}

/// Whether a member (default: you) is on shift, and for how long
#[poise::command(slash_command)]
async fn status(
    ctx: Context<'_>,
    #[description = "Member (default: you)"] member: Option<serenity::User>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let member = member.map_or(actor.discord_id, |u| u.id.get());
    let open = ctx
        .data()
        .services
        .shift_status(guild, &actor, member, Source::SlashCommand)
        .await?;
    let view = views::shifts::shift_status(member, open.as_ref(), now_ms(ctx));
    show(ctx, &view).await
}

/// A member's shifts, newest first
#[poise::command(slash_command)]
async fn history(
    ctx: Context<'_>,
    #[description = "Member (default: you)"] member: Option<serenity::User>,
    #[description = "Only the last … (such as 7d, 12h, 2w)"]
    #[max_length = 16]
    since: Option<String>,
    #[description = "Page (default 1)"]
    #[min = 1]
    page: Option<u32>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let member = member.map_or(actor.discord_id, |u| u.id.get());
    let now = now_ms(ctx);
    let since_ms = match since.as_deref() {
        Some(text) => Some(now.saturating_sub(millis(parse_duration(text)?))),
        None => None,
    };
    let index = page_index(page);
    let found = ctx
        .data()
        .services
        .shift_history(guild, &actor, member, since_ms, index, Source::SlashCommand)
        .await?;
    show(
        ctx,
        &views::shifts::shift_history(member, &found, index, now),
    )
    .await
}

/// Who worked the most shift time
#[poise::command(slash_command)]
async fn leaderboard(
    ctx: Context<'_>,
    #[description = "Over the last … (default 7d; such as 24h, 30d)"]
    #[max_length = 16]
    period: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let period = period.unwrap_or_else(|| DEFAULT_PERIOD.to_owned());
    let period_ms = millis(parse_duration(&period)?);
    let services = &ctx.data().services;
    let board = services.shift_leaderboard(guild, &actor, period_ms).await?;
    // The chart names members, which may need Discord lookups: longer than 3 s at worst.
    ctx.defer().await?;
    let serenity_ctx = ctx.serenity_context();
    let members = DiscordMembers::new(serenity_ctx.http.clone(), serenity_ctx.cache.clone());
    let title = format!("Shift leaderboard: last {period}");
    let mut reply = render::reply(&views::shifts::leaderboard(&board, &period), false);
    // A chart that cannot be drawn costs the picture, not the leaderboard.
    match services
        .leaderboard_png(guild, &board, &title, &members)
        .await
    {
        Ok(png) if !board.is_empty() => {
            reply = reply.attachment(serenity::CreateAttachment::bytes(png, "leaderboard.png"));
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("leaderboard chart: {e}"),
    }
    ctx.send(reply).await?;
    Ok(())
}

/// Add or take away a member's shift minutes (shift_admin)
#[poise::command(slash_command)]
async fn adjust(
    ctx: Context<'_>,
    #[description = "The member"] member: serenity::User,
    #[description = "Minutes to add (negative takes away)"] minutes: i64,
    #[description = "Why"]
    #[max_length = 300]
    reason: String,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let shift = ctx
        .data()
        .services
        .shift_adjust(guild, &actor, member.id.get(), minutes, &reason)
        .await?;
    show(ctx, &views::shifts::adjusted(&shift, now_ms(ctx))).await
}

/// Void a shift: its time no longer counts (shift_admin)
#[poise::command(slash_command)]
async fn void(
    ctx: Context<'_>,
    #[description = "Shift number"]
    #[min = 1]
    id: u64,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    ctx.defer_ephemeral().await?;
    let update = ctx.data().services.shift_void(guild, &actor, id).await?;
    let view = views::shifts::shift_update(&update, "Voided", now_ms(ctx));
    show(ctx, &view).await
}

fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
