//! Approve / Deny on a leave-of-absence card: the services check `shift_admin` and that the
//! clicker is not the one away; the card is redrawn with the decision, and the member is told
//! privately by direct message (if their DMs are closed, the clicker is told so instead).

use poise::serenity_prelude as serenity;

use super::{Clicker, Reply};
use crate::discord::{BotError, Data, render};
use crate::store::Leave;
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::views;

pub(super) async fn on_click(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    id: &CustomId,
) -> Result<(), BotError> {
    let number = id
        .number()
        .ok_or_else(|| BotError::user("This leave button names no leave."))?;
    let approve = id.action() == ButtonAction::LoaApprove;
    reply.defer_update().await?;
    let leave = data
        .services
        .loa_decide(clicker.guild, &clicker.actor, number, approve)
        .await?;
    reply
        .edit_message(&views::leaves::leave_decided(&leave))
        .await?;
    if let Err(e) = tell_member(reply.ctx, &leave).await {
        tracing::info!(
            leave = leave.id,
            "could not DM the member about their leave: {e}"
        );
        reply
            .private(&views::leaves::leave_note_undelivered(&leave))
            .await?;
    }
    Ok(())
}

async fn tell_member(ctx: &serenity::Context, leave: &Leave) -> Result<(), BotError> {
    let guild_name = std::num::NonZeroU64::new(leave.guild)
        .and_then(|g| {
            ctx.cache
                .guild(serenity::GuildId::from(g))
                .map(|g| g.name.clone())
        })
        .unwrap_or_else(|| "this server".to_owned());
    let user = std::num::NonZeroU64::new(leave.member)
        .map(serenity::UserId::from)
        .ok_or_else(|| BotError::user("the leave names no member"))?;
    let channel = user.create_dm_channel(ctx).await?;
    let note = views::leaves::leave_decision_note(leave, &guild_name);
    channel
        .send_message(ctx, render::create_message(&note))
        .await?;
    Ok(())
}
