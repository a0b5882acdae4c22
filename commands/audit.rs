//! `/audit search|verify|export`: the tamper-evident record of everything done through the bot.

use poise::serenity_prelude as serenity;

use super::common::{caller, page_index, show};
use crate::discord::{BotError, Context, reads, render};
use crate::views;
use crate::views::audit::AuditFilter;
use crate::views::{PageTarget, PagedView};

/// The audit log of actions taken through the bot
#[poise::command(
    slash_command,
    subcommands("search", "verify", "export"),
    subcommand_required
)]
pub async fn audit(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Search the audit log (newest first)
#[poise::command(slash_command)]
async fn search(
    ctx: Context<'_>,
    #[description = "Who did it (Discord name or id)"] by: Option<String>,
    #[description = "The action, e.g. command.kick or server.add"] action: Option<String>,
    #[description = "Page number"]
    #[min = 1]
    page: Option<u32>,
) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let filter = AuditFilter::new(by.as_deref(), action.as_deref());
    let target = PageTarget::new(PagedView::Audit, page_index(page), &filter.token());
    let services = &ctx.data().services;
    let message = reads::page(services, guild, &actor, None, &target).await?;
    show(ctx, &message).await
}

/// Check that no audit record was changed or removed
#[poise::command(slash_command)]
async fn verify(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let report = ctx.data().services.audit_verify(guild, &actor).await?;
    show(ctx, &views::audit::audit_verify(&report)).await
}

/// Download the whole audit log as a JSON Lines file (only you see it)
#[poise::command(slash_command)]
async fn export(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let bytes = ctx.data().services.audit_export(guild, &actor).await?;
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let file = serenity::CreateAttachment::bytes(bytes, format!("audit-{guild}.jsonl"));
    let reply = poise::CreateReply::default()
        .content(format!("Audit log export: {lines} records (JSON Lines)."))
        .attachment(file)
        .ephemeral(true)
        .allowed_mentions(render::no_mentions());
    ctx.send(reply).await?;
    Ok(())
}
