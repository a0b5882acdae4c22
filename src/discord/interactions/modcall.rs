//! Mod-call cards: Claim (recorded, the caller is told in game that a moderator is coming,
//! the card shows who took it) and Resolve (recorded, the card is closed).

use super::{Clicker, Reply};
use crate::actions::{ActionError, ModAction, ModCallStep};
use crate::discord::{BotError, Data};
use crate::events::{Event, Pattern, catalog::EventPayload};
use crate::feeds::{ModCallProgress, mod_call_progress};
use crate::store::{EventQuery, Source, Store};
use crate::ui::Message;
use crate::ui::custom_id::{ButtonAction, CustomId};

/// Pages of stored mod calls searched for the clicked one (newest first).
const SEARCH_PAGES: usize = 5;
const SEARCH_PAGE_SIZE: usize = 200;

/// The stored `modcall/new` event of a call.
fn find_call(store: &Store, guild: u64, label: &str, call_key: &str) -> Result<Event, BotError> {
    let pattern = Pattern::parse(&format!("{label}/modcall/new"))
        .map_err(|e| BotError::user(format!("This card's server label is not valid: {e}.")))?;
    let mut query = EventQuery {
        patterns: vec![pattern],
        server: Some(label.to_owned()),
        max_results: SEARCH_PAGE_SIZE,
        ..EventQuery::default()
    };
    for _ in 0..SEARCH_PAGES {
        let page = store.events().query(guild, &query)?;
        let found = page.events.into_iter().find(|event| {
            matches!(
                EventPayload::from_json(&event.payload),
                Some(EventPayload::ModCallNew { call_key: key, .. }) if key == call_key
            )
        });
        if let Some(event) = found {
            return Ok(event);
        }
        let Some(next) = page.next else { break };
        query.after = Some(next);
    }
    Err(BotError::user(
        "This mod call is no longer in the bot's history, so the card cannot be updated.",
    ))
}

pub(super) async fn on_click(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    id: &CustomId,
) -> Result<(), BotError> {
    let (step, progress) = match id.action() {
        ButtonAction::ModCallClaim => (ModCallStep::Claim, ModCallProgress::Claimed),
        _ => (ModCallStep::Resolve, ModCallProgress::Resolved),
    };
    let services = &data.services;
    let (guild, label) = (clicker.guild, id.server());
    let event = find_call(data.store(), guild, label, id.target())?;
    services
        .mod_call_step(guild, &clicker.actor, label, id.target(), step)
        .await?;
    reply.defer_update().await?;
    let now = data.store().clock().now_secs();
    let card = mod_call_progress(&event, progress, &clicker.actor.name, now)
        .ok_or_else(|| BotError::user("This card is not a mod call."))?;
    reply
        .edit_message(&Message::single(card.embed, card.buttons))
        .await?;
    if step == ModCallStep::Claim {
        tell_caller(reply, data, clicker, label, &event).await;
    }
    Ok(())
}

/// PM the caller in game that a moderator is on the way. The card is already claimed, so a
/// failure (the caller left, PMs not allowed) is only reported to the moderator.
async fn tell_caller(
    reply: &Reply<'_>,
    data: &Data,
    clicker: &Clicker,
    label: &str,
    event: &Event,
) {
    let Some(EventPayload::ModCallNew { caller, .. }) = EventPayload::from_json(&event.payload)
    else {
        return;
    };
    let player = caller.id.map_or(caller.name.clone(), |id| id.to_string());
    let sent = data
        .services
        .run_action(
            clicker.guild,
            &clicker.actor,
            Source::Button,
            Some(label),
            ModAction::claim_notice(player, &clicker.actor.name),
        )
        .await;
    if let Err(error) = sent {
        let note = match &error {
            ActionError::PlayerNotFound { .. } => BotError::user(
                "Claimed, but the caller has left the server, so they were not told in game.",
            ),
            _ => BotError::from(error),
        };
        reply.error(&note).await;
    }
}
