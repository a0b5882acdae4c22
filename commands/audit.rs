//! `/audit search|verify|export`: the tamper-evident record of everything done through the bot.

use poise::serenity_prelude as serenity;

use super::common::{caller, show};
use crate::discord::{BotError, Context, render};
use crate::store::AuditQuery;
use crate::views;

/// Entries per `/audit search` page.
pub const AUDIT_PER_PAGE: usize = 15;

/// The audit log of actions taken through the bot
#[poise::command(
    slash_command,
    subcommands("search", "verify", "export"),
    subcommand_required
)]
pub async fn audit(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// What an audit search asks for, also carried in its page buttons as `<actor>~<action>`.
pub fn audit_query(filter: &str, after_seq: Option<u64>) -> AuditQuery {
    let mut parts = filter.splitn(2, '~');
    let text = |part: Option<&str>| {
        part.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    AuditQuery {
        actor: text(parts.next()),
        action: text(parts.next()),
        limit: AUDIT_PER_PAGE,
        after_seq,
        ..AuditQuery::default()
    }
}

/// The filter text for [`audit_query`] and the page buttons.
pub fn audit_filter(actor: Option<&str>, action: Option<&str>) -> String {
    let clean = |t: Option<&str>| t.unwrap_or_default().replace('~', "").trim().to_owned();
    format!("{}~{}", clean(actor), clean(action))
}

fn describe(actor: Option<&str>, action: Option<&str>) -> Option<String> {
    match (actor, action) {
        (None, None) => None,
        (Some(a), None) => Some(format!("by {a}")),
        (None, Some(x)) => Some(format!("action {x}")),
        (Some(a), Some(x)) => Some(format!("by {a}, action {x}")),
    }
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
    let filter = audit_filter(by.as_deref(), action.as_deref());
    let page = page.map_or(0, |p| p.saturating_sub(1) as usize);
    let services = &ctx.data().services;
    let mut found = services
        .audit_search(guild, &actor, &audit_query(&filter, None))
        .await?;
    for _ in 0..page {
        let Some(after) = found.next_after_seq else {
            break;
        };
        found = services
            .audit_search(guild, &actor, &audit_query(&filter, Some(after)))
            .await?;
    }
    let words = describe(by.as_deref(), action.as_deref());
    let (message, _) = views::audit::audit_page(
        &found.entries,
        page,
        found.next_after_seq.is_some(),
        words.as_deref(),
        &filter,
    );
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
