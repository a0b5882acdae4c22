//! Page buttons (Previous / Refresh / Next) redraw their page from the token in the id, and
//! the Confirm / Cancel buttons of a destructive `/command`.

use super::{Clicker, Reply};
use crate::actions::AuditAction;
use crate::commands::audit::audit_query;
use crate::commands::logs::{LogFilter, log_view};
use crate::discord::{BotError, Data};
use crate::store::{Capability, Source};
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::ui::{Message, team};
use crate::views::{self, PageTarget, PagedView};

pub(super) async fn on_page(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    id: &CustomId,
) -> Result<(), BotError> {
    let target = PageTarget::from_custom_id(id)
        .map_err(|e| BotError::user(format!("This page button cannot be used: {e}.")))?;
    let needed = match target.view {
        PagedView::Audit => Capability::Manage,
        _ => Capability::View,
    };
    let services = &data.services;
    services
        .require(
            clicker.guild,
            &clicker.actor,
            needed,
            AuditAction::ViewPage,
            Source::Button,
        )
        .await?;
    reply.defer_update().await?;
    let message = match target.view {
        PagedView::Audit => audit_page(data, clicker, &target).await?,
        _ => server_page(data, clicker, id.server(), &target).await?,
    };
    reply.edit_message(&message).await
}

async fn server_page(
    data: &Data,
    clicker: &Clicker,
    label: &str,
    target: &PageTarget,
) -> Result<Message, BotError> {
    use views::players::{BANS_PER_PAGE, PLAYERS_PER_PAGE, VEHICLES_PER_PAGE};
    let (record, handle) = data
        .services
        .directory()
        .resolve(clicker.guild, Some(label))
        .await?;
    let label = record.label.as_str();
    let filter = Some(target.filter.as_str()).filter(|f| !f.is_empty());
    Ok(match target.view {
        PagedView::Players => {
            let list = handle.players().await?;
            let team = filter.map(team::parse);
            views::players::players_page(label, &list, team.as_ref(), target.page, PLAYERS_PER_PAGE)
                .0
        }
        PagedView::Vehicles => {
            let list = handle.vehicles().await?;
            views::players::vehicles_page(label, &list, target.page, VEHICLES_PER_PAGE).0
        }
        PagedView::Bans => {
            let list = handle.bans().await?;
            views::players::bans_page(label, &list, target.page, BANS_PER_PAGE).0
        }
        PagedView::Logs | PagedView::Audit => {
            let filter = LogFilter::from_token(&target.filter)
                .ok_or_else(|| BotError::user("This page button's filter is not readable."))?;
            let player = filter.player.map(|id| id.to_string());
            let now = data.store().clock().now_secs();
            log_view(
                data.store(),
                clicker.guild,
                label,
                &filter,
                player.as_deref(),
                target.page,
                now,
            )?
        }
    })
}

async fn audit_page(
    data: &Data,
    clicker: &Clicker,
    target: &PageTarget,
) -> Result<Message, BotError> {
    let services = &data.services;
    let (guild, actor) = (clicker.guild, &clicker.actor);
    let mut found = services
        .audit_search(guild, actor, &audit_query(&target.filter, None))
        .await?;
    for _ in 0..target.page {
        let Some(after) = found.next_after_seq else {
            break;
        };
        found = services
            .audit_search(guild, actor, &audit_query(&target.filter, Some(after)))
            .await?;
    }
    let (message, _) = views::audit::audit_page(
        &found.entries,
        target.page,
        found.next_after_seq.is_some(),
        None,
        &target.filter,
    );
    Ok(message)
}

pub(super) async fn on_confirm(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    id: &CustomId,
) -> Result<(), BotError> {
    let services = &data.services;
    if id.action() == ButtonAction::CommandCancel {
        let text = services.cancel_confirmation(clicker.guild, &clicker.actor, id.target())?;
        reply.defer_update().await?;
        return reply.edit_message(&views::outcome::cancelled(&text)).await;
    }
    reply.defer_update().await?;
    let report = services
        .confirm(clicker.guild, &clicker.actor, id.target())
        .await?;
    reply
        .edit_message(&views::outcome::action_report(&report))
        .await
}
