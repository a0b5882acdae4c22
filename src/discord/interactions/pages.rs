//! Page buttons (Previous / Refresh / Next) redraw their page from the token in the id, through
//! the same [`reads::page`] as the command that drew the first one; and the Confirm / Cancel
//! buttons of a destructive `/command`.

use super::{Clicker, Reply};
use crate::actions::AuditAction;
use crate::discord::reads::{self, OpenServer};
use crate::discord::{BotError, Data};
use crate::store::{Capability, Source};
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::views::{self, GUILD_WIDE, PageTarget, PagedView};

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
    // Guild-wide pages (audit) name no server; every other page names the one it shows.
    let opened = match id.server() {
        GUILD_WIDE => None,
        label => Some(
            services
                .directory()
                .resolve(clicker.guild, Some(label))
                .await?,
        ),
    };
    let server = opened.as_ref().map(|(record, handle)| OpenServer {
        label: &record.label,
        handle,
    });
    let message = reads::page(services, clicker.guild, &clicker.actor, server, &target).await?;
    reply.edit_message(&message).await
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

/// Approve or Deny on a ban request card: the services check `ban` and the two-person rule;
/// the card is redrawn with what happened.
pub(super) async fn on_ban_request(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    id: &CustomId,
) -> Result<(), BotError> {
    let services = &data.services;
    reply.defer_update().await?;
    if id.action() == ButtonAction::BanDeny {
        let text = services
            .deny_ban_request(clicker.guild, &clicker.actor, id.target())
            .await?;
        let denied = views::outcome::ban_request_denied(&text, clicker.actor.discord_id);
        return reply.edit_message(&denied).await;
    }
    let report = services
        .approve_ban_request(clicker.guild, &clicker.actor, id.target())
        .await?;
    reply
        .edit_message(&views::outcome::action_report(&report))
        .await
}
