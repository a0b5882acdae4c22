//! The "Add reason" card of a case filed in game without a reason: its button opens a form
//! (for the case's moderator or a case admin only), and the submitted reason is set the way
//! `/case edit` sets one, then the card is redrawn as the completed case.

use poise::serenity_prelude as serenity;

use super::player::{INPUT_ID, submitted_text};
use super::{Clicker, Reply};
use crate::discord::{BotError, Data, render};
use crate::store::Source;
use crate::ui::custom_id::CustomId;
use crate::views;

fn case_number(id: &CustomId) -> Result<u64, BotError> {
    id.target()
        .parse()
        .map_err(|_| BotError::user("This button does not name a case."))
}

/// The reason form; its custom id is the button's, so the submit names the case.
fn form(id: &CustomId, number: u64) -> serenity::CreateModal {
    let input =
        serenity::CreateInputText::new(serenity::InputTextStyle::Paragraph, "Reason", INPUT_ID)
            .required(true)
            .max_length(500)
            .placeholder(format!("Why case #{number} was filed"));
    serenity::CreateModal::new(id.to_string(), format!("Add a reason to case #{number}"))
        .components(vec![serenity::CreateActionRow::InputText(input)])
}

/// "Add reason" pressed: open the form for those who may use it; anyone else gets a private
/// refusal (audited by the check).
pub(super) async fn on_click(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    id: &CustomId,
) -> Result<(), BotError> {
    let number = case_number(id)?;
    data.services
        .may_add_case_reason(clicker.guild, &clicker.actor, number, Source::Button)
        .await?;
    reply.modal(form(id, number)).await
}

/// The form submitted: set the reason, redraw the card, and say so privately.
pub(super) async fn on_submit(
    ctx: &serenity::Context,
    data: &Data,
    submit: &serenity::ModalInteraction,
    id: &CustomId,
) -> Result<(), BotError> {
    let clicker = Clicker::of(submit.guild_id, submit.member.as_ref())
        .ok_or_else(|| BotError::user("These forms only work inside a Discord server."))?;
    let number = case_number(id)?;
    let reason = submitted_text(submit).unwrap_or_default();
    submit
        .create_response(ctx, serenity::CreateInteractionResponse::Acknowledge)
        .await?;
    let saved = data
        .services
        .add_case_reason(clicker.guild, &clicker.actor, number, &reason)
        .await;
    let message = match saved {
        Ok(case) => {
            let card = views::cases::case_saved(&case, "Reason added: case");
            if let Err(e) = submit
                .edit_response(ctx, render::edit_response(&card))
                .await
            {
                tracing::warn!("could not redraw a reason card: {e}");
            }
            views::cases::case_saved(&case, "Reason saved on case")
        }
        Err(error) => {
            let error = BotError::from(error);
            tracing::info!(custom_id = %submit.data.custom_id, "reason form refused: {error}");
            error.card()
        }
    };
    if let Err(e) = submit
        .create_followup(ctx, render::followup(&message, true))
        .await
    {
        tracing::warn!("could not report a reason form's outcome: {e}");
    }
    Ok(())
}
