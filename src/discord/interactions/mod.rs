//! Buttons and modals that survive restarts: handled in the framework's event handler (not
//! with collectors) by decoding the custom id, which carries the server and the target.
//! Every click re-checks the clicker's permissions in the services, which audit it.

mod cases;
mod leave;
mod modcall;
mod pages;
mod player;

use poise::serenity_prelude as serenity;

use super::{BotError, Data, actor, render};
use crate::actions::Member;
use crate::ui::Message;
use crate::ui::custom_id::{ButtonAction, CustomId, CustomIdError};

/// poise's event hook: dispatch clicks and modal submits that carry our custom ids.
pub fn on_event<'a>(
    framework: poise::FrameworkContext<'a, Data, BotError>,
    event: &'a serenity::FullEvent,
) -> poise::BoxFuture<'a, Result<(), BotError>> {
    Box::pin(async move {
        let data = framework.user_data;
        if let serenity::FullEvent::GuildDelete { incomplete, .. } = event {
            // `unavailable` means a Discord outage, not a removal: keep the data then.
            if !incomplete.unavailable {
                data.guild_removed(incomplete.id.get()).await;
            }
            return Ok(());
        }
        let serenity::FullEvent::InteractionCreate { interaction } = event else {
            return Ok(());
        };
        let ctx = framework.serenity_context;
        match interaction {
            serenity::Interaction::Component(click) => on_click(ctx, data, click).await,
            serenity::Interaction::Modal(submit) => player::on_submit(ctx, data, submit).await,
            _ => {}
        }
        Ok(())
    })
}

/// Who clicked, where.
pub(crate) struct Clicker {
    pub guild: u64,
    pub actor: Member,
}

impl Clicker {
    fn of(guild: Option<serenity::GuildId>, member: Option<&serenity::Member>) -> Option<Self> {
        Some(Self {
            guild: guild?.get(),
            actor: actor::from_interaction_member(member)?,
        })
    }
}

/// Read a custom id; `None` for ids that are not ours (e.g. poise's own modals).
fn our_id(text: &str) -> Option<Result<CustomId, CustomIdError>> {
    match CustomId::parse(text) {
        Err(CustomIdError::Foreign) => None,
        other => Some(other),
    }
}

async fn on_click(ctx: &serenity::Context, data: &Data, click: &serenity::ComponentInteraction) {
    let Some(parsed) = our_id(&click.data.custom_id) else {
        return;
    };
    let reply = Reply::new(ctx, click);
    let id = match parsed {
        Ok(id) => id,
        Err(e) => {
            let error = BotError::user(format!(
                "This button cannot be used: {e}. Run the command again for a fresh one."
            ));
            return reply.error(&error).await;
        }
    };
    let Some(clicker) = Clicker::of(click.guild_id, click.member.as_ref()) else {
        let error = BotError::user("These buttons only work inside a Discord server.");
        return reply.error(&error).await;
    };
    let outcome = match id.action() {
        ButtonAction::PlayerKick
        | ButtonAction::PlayerBan
        | ButtonAction::PlayerPm
        | ButtonAction::PlayerWanted
        | ButtonAction::PlayerRefresh
        | ButtonAction::PlayerOpen => player::on_click(&reply, data, &clicker, &id).await,
        ButtonAction::ModCallClaim | ButtonAction::ModCallResolve => {
            modcall::on_click(&reply, data, &clicker, &id).await
        }
        ButtonAction::CommandConfirm | ButtonAction::CommandCancel => {
            pages::on_confirm(&reply, data, &clicker, &id).await
        }
        ButtonAction::BanApprove | ButtonAction::BanDeny => {
            pages::on_ban_request(&reply, data, &clicker, &id).await
        }
        ButtonAction::LoaApprove | ButtonAction::LoaDeny => {
            leave::on_click(&reply, data, &clicker, &id).await
        }
        ButtonAction::CaseReason => cases::on_click(&reply, data, &clicker, &id).await,
        ButtonAction::Page => pages::on_page(&reply, data, &clicker, &id).await,
    };
    if let Err(error) = outcome {
        reply.error(&error).await;
    }
}

/// Answers to one click, remembering whether it was acknowledged yet.
pub(crate) struct Reply<'a> {
    ctx: &'a serenity::Context,
    click: &'a serenity::ComponentInteraction,
    acknowledged: std::sync::atomic::AtomicBool,
}

impl<'a> Reply<'a> {
    fn new(ctx: &'a serenity::Context, click: &'a serenity::ComponentInteraction) -> Self {
        Self {
            ctx,
            click,
            acknowledged: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn mark(&self) {
        self.acknowledged
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn was_acknowledged(&self) -> bool {
        self.acknowledged.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// "Working on it" without changing the message (the message is edited later).
    pub async fn defer_update(&self) -> Result<(), BotError> {
        self.click
            .create_response(self.ctx, serenity::CreateInteractionResponse::Acknowledge)
            .await?;
        self.mark();
        Ok(())
    }

    /// "Working on it", with the answer to come only to the clicker.
    pub async fn defer_private(&self) -> Result<(), BotError> {
        self.click.defer_ephemeral(self.ctx).await?;
        self.mark();
        Ok(())
    }

    /// Open a form.
    pub async fn modal(&self, modal: serenity::CreateModal) -> Result<(), BotError> {
        self.click
            .create_response(self.ctx, serenity::CreateInteractionResponse::Modal(modal))
            .await?;
        self.mark();
        Ok(())
    }

    /// Replace the message the button sits on (after [`Reply::defer_update`]).
    pub async fn edit_message(&self, message: &Message) -> Result<(), BotError> {
        self.click
            .edit_response(self.ctx, render::edit_response(message))
            .await?;
        Ok(())
    }

    /// A message only the clicker sees (after [`Reply::defer_private`] it fills the
    /// placeholder).
    pub async fn private(&self, message: &Message) -> Result<(), BotError> {
        if self.was_acknowledged() {
            self.click
                .create_followup(self.ctx, render::followup(message, true))
                .await?;
        } else {
            let body = serenity::CreateInteractionResponse::Message(render::interaction_message(
                message, true,
            ));
            self.click.create_response(self.ctx, body).await?;
            self.mark();
        }
        Ok(())
    }

    /// Tell the clicker what went wrong; failures to do so are only logged.
    pub async fn error(&self, error: &BotError) {
        if error.is_user_error() {
            tracing::info!(custom_id = %self.click.data.custom_id, "click refused: {error}");
        } else {
            tracing::warn!(custom_id = %self.click.data.custom_id, "click failed: {error}");
        }
        if let Err(e) = self.private(&error.card()).await {
            tracing::warn!("could not tell the clicker about an error: {e}");
        }
    }
}
