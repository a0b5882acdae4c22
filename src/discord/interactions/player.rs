//! The player panel's buttons: Kick, Ban and PM open a form for the reason or text (handled
//! on submit below), Wanted acts at once, Refresh redraws the panel.

use poise::serenity_prelude as serenity;

use super::{Clicker, Reply, our_id};
use crate::actions::{AuditAction, ModAction};
use crate::discord::reads::{self, OpenServer};
use crate::discord::{BotError, Data, render};
use crate::store::Source;
use crate::ui::custom_id::{ButtonAction, CustomId};
use crate::views;

/// The one text input of a panel form.
pub(super) const INPUT_ID: &str = "text";

/// The action a panel button (or its form) asks for, with the form's text.
fn action_for(id: &CustomId, roblox_id: u64, text: Option<String>) -> Option<ModAction> {
    let player = roblox_id.to_string();
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    Some(match id.action() {
        ButtonAction::PlayerKick => ModAction::Kick {
            player,
            reason: text,
        },
        ButtonAction::PlayerBan => ModAction::Ban {
            player,
            reason: text,
        },
        ButtonAction::PlayerPm => ModAction::Pm {
            player,
            text: text?,
        },
        ButtonAction::PlayerWanted => ModAction::Wanted { player },
        _ => return None,
    })
}

/// The form a Kick, Ban or PM button opens; its custom id is the button's, so the submit
/// carries the server and the player too.
fn form(id: &CustomId, roblox_id: u64) -> Option<serenity::CreateModal> {
    let (title, label, required) = match id.action() {
        ButtonAction::PlayerKick => ("Kick player", "Reason (shown to the player)", false),
        ButtonAction::PlayerBan => ("Ban player", "Reason (shown to the player)", false),
        ButtonAction::PlayerPm => ("Message player", "Message", true),
        _ => return None,
    };
    let input =
        serenity::CreateInputText::new(serenity::InputTextStyle::Paragraph, label, INPUT_ID)
            .required(required)
            .max_length(150)
            .placeholder(format!("Roblox user {roblox_id} on {}", id.server()));
    Some(
        serenity::CreateModal::new(id.to_string(), title)
            .components(vec![serenity::CreateActionRow::InputText(input)]),
    )
}

pub(super) async fn on_click(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    id: &CustomId,
) -> Result<(), BotError> {
    let roblox_id = id
        .roblox_id()
        .ok_or_else(|| BotError::user("This button does not name a player."))?;
    let services = &data.services;
    match id.action() {
        ButtonAction::PlayerRefresh => {
            return show_panel(reply, data, clicker, id.server(), roblox_id, Shown::InPlace).await;
        }
        ButtonAction::PlayerOpen => {
            return show_panel(
                reply,
                data,
                clicker,
                id.server(),
                roblox_id,
                Shown::Privately,
            )
            .await;
        }
        _ => {}
    }
    if let Some(modal) = form(id, roblox_id) {
        // Check before showing the form, so nobody fills it in for nothing. A ban by a member
        // who may only ask for one (two-person rule) becomes a request on submit.
        let probe = action_for(id, roblox_id, Some("-".into()));
        let requests = id.action() == ButtonAction::PlayerBan
            && services.ban_needs_request(clicker.guild, &clicker.actor)?;
        if let Some(action) = probe.filter(|_| !requests) {
            services
                .require(
                    clicker.guild,
                    &clicker.actor,
                    action.capability(),
                    action.audit_name(),
                    Source::Button,
                )
                .await?;
        }
        return reply.modal(modal).await;
    }
    let action = action_for(id, roblox_id, None)
        .ok_or_else(|| BotError::user("This button does nothing in this bot version."))?;
    reply.defer_private().await?;
    let report = services
        .run_action(
            clicker.guild,
            &clicker.actor,
            Source::Button,
            Some(id.server()),
            action,
        )
        .await?;
    reply.private(&views::outcome::action_report(&report)).await
}

/// Where a player's panel is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Over the panel that was clicked (its Refresh button).
    InPlace,
    /// In a private reply, so a shared card stays as it is.
    Privately,
}

/// The player's panel, drawn from the server's current state.
async fn show_panel(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    label: &str,
    roblox_id: u64,
    shown: Shown,
) -> Result<(), BotError> {
    let services = &data.services;
    services
        .require(
            clicker.guild,
            &clicker.actor,
            crate::store::Capability::View,
            AuditAction::ViewPlayer,
            Source::Button,
        )
        .await?;
    match shown {
        Shown::InPlace => reply.defer_update().await?,
        Shown::Privately => reply.defer_private().await?,
    }
    let (record, handle) = services
        .directory()
        .resolve(clicker.guild, Some(label))
        .await?;
    let server = OpenServer {
        label: &record.label,
        handle: &handle,
    };
    let typed = roblox_id.to_string();
    let panel =
        reads::player_panel(services, clicker.guild, &clicker.actor, server, &typed).await?;
    match shown {
        Shown::InPlace => reply.edit_message(&panel).await,
        Shown::Privately => reply.private(&panel).await,
    }
}

/// The text typed into a panel form.
pub(super) fn submitted_text(submit: &serenity::ModalInteraction) -> Option<String> {
    submit
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|component| match component {
            serenity::ActionRowComponent::InputText(input) if input.custom_id == INPUT_ID => {
                input.value.clone()
            }
            _ => None,
        })
}

/// A submitted panel form: run the action and tell the moderator how it went. Errors from
/// before the acknowledgement come back here; later ones are reported in the follow-up.
pub(super) async fn on_submit(
    ctx: &serenity::Context,
    data: &Data,
    submit: &serenity::ModalInteraction,
) {
    let Some(parsed) = our_id(&submit.data.custom_id) else {
        return;
    };
    let outcome = match parsed {
        Ok(id) if id.action() == ButtonAction::CaseReason => {
            super::cases::on_submit(ctx, data, submit, &id).await
        }
        parsed => run_submit(ctx, data, submit, parsed).await,
    };
    if let Err(error) = outcome {
        error_to_submitter(ctx, submit, &error).await;
    }
}

async fn run_submit(
    ctx: &serenity::Context,
    data: &Data,
    submit: &serenity::ModalInteraction,
    parsed: Result<CustomId, crate::ui::CustomIdError>,
) -> Result<(), BotError> {
    let id = parsed.map_err(|e| BotError::user(format!("This form cannot be used: {e}.")))?;
    let clicker = Clicker::of(submit.guild_id, submit.member.as_ref())
        .ok_or_else(|| BotError::user("These forms only work inside a Discord server."))?;
    let roblox_id = id
        .roblox_id()
        .ok_or_else(|| BotError::user("This form does not name a player."))?;
    let action = action_for(&id, roblox_id, submitted_text(submit))
        .ok_or_else(|| BotError::user("Write the message to send, then submit again."))?;
    if let ModAction::Ban { player, reason } = &action
        && data
            .services
            .ban_needs_request(clicker.guild, &clicker.actor)?
    {
        return request_ban(ctx, data, submit, &clicker, &id, player, reason.clone()).await;
    }
    submit.defer_ephemeral(ctx).await?;
    let ran = data
        .services
        .run_action(
            clicker.guild,
            &clicker.actor,
            Source::Modal,
            Some(id.server()),
            action,
        )
        .await;
    let message = match ran {
        Ok(report) => views::outcome::action_report(&report),
        Err(error) => {
            let error = BotError::from(error);
            tracing::info!(custom_id = %submit.data.custom_id, "form action refused: {error}");
            error.card()
        }
    };
    if let Err(e) = submit
        .create_followup(ctx, render::followup(&message, true))
        .await
    {
        tracing::warn!("could not report a form's outcome: {e}");
    }
    Ok(())
}

/// The panel's Ban form from a member who may only ask for a ban: the request card goes to
/// the channel, where members with `ban` can approve or deny it, as `/ban`'s does.
async fn request_ban(
    ctx: &serenity::Context,
    data: &Data,
    submit: &serenity::ModalInteraction,
    clicker: &Clicker,
    id: &CustomId,
    player: &str,
    reason: Option<String>,
) -> Result<(), BotError> {
    // A public "thinking" reply: the request card fills it for everyone to see.
    let thinking = serenity::CreateInteractionResponse::Defer(
        serenity::CreateInteractionResponseMessage::new(),
    );
    submit.create_response(ctx, thinking).await?;
    let requested = data
        .services
        .request_ban(
            clicker.guild,
            &clicker.actor,
            Some(id.server()),
            player,
            reason,
        )
        .await;
    let message = match requested {
        Ok(held) => views::outcome::ban_request_card(
            &held.server_label,
            &held.command_text,
            clicker.actor.discord_id,
            &held.token,
        )
        .unwrap_or_else(|e| {
            BotError::user(format!("Could not build the request buttons: {e}.")).card()
        }),
        Err(error) => BotError::from(error).card(),
    };
    if let Err(e) = submit
        .create_followup(ctx, render::followup(&message, false))
        .await
    {
        tracing::warn!("could not post a ban request from the panel: {e}");
    }
    Ok(())
}

/// Show the error card to whoever submitted (nothing was sent to them yet).
async fn error_to_submitter(
    ctx: &serenity::Context,
    submit: &serenity::ModalInteraction,
    error: &BotError,
) {
    tracing::info!(custom_id = %submit.data.custom_id, "form refused: {error}");
    let answer = serenity::CreateInteractionResponse::Message(render::interaction_message(
        &error.card(),
        true,
    ));
    if let Err(e) = submit.create_response(ctx, answer).await {
        tracing::warn!("could not tell the submitter about an error: {e}");
    }
}
