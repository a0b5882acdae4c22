//! `/health`: how polling of each of the guild's servers is going, and what to fix.

use super::common::{caller, show};
use crate::actions::AuditAction;
use crate::discord::{BotError, Context};
use crate::store::{Capability, Source};
use crate::tracker::ServerHealth;
use crate::views::{self, ServerHealthView};

/// The tracker's facts about a server as the view shows them. `None`: not tracked.
pub fn health_view(label: &str, health: Option<&ServerHealth>) -> ServerHealthView {
    let Some(h) = health else {
        return ServerHealthView {
            label: label.to_owned(),
            polling: false,
            status: "not tracked".to_owned(),
            ..ServerHealthView::default()
        };
    };
    let status = if !h.polling {
        "stopped"
    } else if h.consecutive_errors > 0 {
        "backing off"
    } else if h.last_poll_ms.is_none() {
        "starting"
    } else {
        "ok"
    };
    ServerHealthView {
        label: h.label.clone(),
        polling: h.polling,
        status: status.to_owned(),
        last_poll_ms: h.last_poll_ms,
        lag_ms: h.lag_ms,
        consecutive_errors: h.consecutive_errors,
        last_error: h
            .last_error
            .as_ref()
            .map(|e| (e.code, e.message.clone(), e.fix.clone())),
        headroom: h
            .headroom
            .as_ref()
            .map(|b| (b.remaining, b.limit, b.resets_in.map(|d| d.as_secs()))),
        next_poll_ms: h.next_poll_ms,
    }
}

/// Is the bot keeping up with each server? Last poll, lag, rate limits, last error and its fix
#[poise::command(slash_command)]
pub async fn health(ctx: Context<'_>) -> Result<(), BotError> {
    let (guild, actor) = caller(ctx).await?;
    let data = ctx.data();
    data.services
        .require(
            guild,
            &actor,
            Capability::View,
            AuditAction::ViewHealth,
            Source::SlashCommand,
        )
        .await?;
    let tracked: Vec<ServerHealth> = data
        .tracker
        .health()
        .into_iter()
        .filter(|h| h.guild == guild)
        .collect();
    let views: Vec<ServerHealthView> = data
        .store()
        .settings()
        .list_servers(guild)?
        .iter()
        .map(|record| {
            let found = tracked.iter().find(|h| h.label == record.label);
            health_view(&record.label, found)
        })
        .collect();
    let now_ms = data.store().clock().now_ms();
    show(ctx, &views::health::health(&views, now_ms)).await
}
