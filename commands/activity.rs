//! `/activity report [from] [to]`: the staff activity report, with the whole table as a CSV
//! file and a PNG chart attached.

use poise::serenity_prelude as serenity;

use super::common::caller;
use crate::discord::members::DiscordMembers;
use crate::discord::{BotError, Context, render};
use crate::views;

/// Staff activity: shift time, actions, mod calls and quotas
#[poise::command(slash_command, subcommands("report"), subcommand_required)]
pub async fn activity(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Activity per staff member with a CSV and a chart (default: this week so far)
#[poise::command(slash_command)]
async fn report(
    ctx: Context<'_>,
    #[description = "First day: YYYY-MM-DD (UTC), or -7d for a week ago (default: this Monday)"]
    #[max_length = 20]
    from: Option<String>,
    #[description = "Last day, included: YYYY-MM-DD (UTC) or today (default: today)"]
    #[max_length = 20]
    to: Option<String>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    // Roles are looked up per member, which may take longer than Discord's 3 s.
    ctx.defer().await?;
    let serenity_ctx = ctx.serenity_context();
    let members = DiscordMembers::new(serenity_ctx.http.clone(), serenity_ctx.cache.clone());
    let report = ctx
        .data()
        .services
        .activity_report(guild, &actor, from.as_deref(), to.as_deref(), &members)
        .await?;
    let csv = report.csv();
    let drawn = report.clone();
    // A chart that cannot be drawn costs the picture, not the report.
    let png = match tokio::task::spawn_blocking(move || drawn.chart_png()).await {
        Ok(Ok(png)) => Some(png),
        Ok(Err(e)) => {
            tracing::warn!("activity chart: {e}");
            None
        }
        Err(e) => {
            tracing::warn!("activity chart task: {e}");
            None
        }
    };
    let day = crate::reports::dates::format_day(report.from_ms);
    let csv_name = format!("activity-{day}.csv");
    let png_name = png.as_ref().map(|_| format!("activity-{day}.png"));
    let summary = views::activity::activity_summary(&report, &csv_name, png_name.as_deref());
    let mut reply = render::reply(&summary, false).attachment(serenity::CreateAttachment::bytes(
        csv.into_bytes(),
        csv_name,
    ));
    if let (Some(png), Some(name)) = (png, png_name) {
        reply = reply.attachment(serenity::CreateAttachment::bytes(png, name));
    }
    ctx.send(reply).await?;
    Ok(())
}
