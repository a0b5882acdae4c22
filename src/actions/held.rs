//! Typed actions held until someone confirms them, for front ends that confirm kicks and bans
//! before they run (the dashboard IPC). The command is built (its player resolved) when it is
//! asked for, so the confirmation runs exactly what was shown; it waits in the same
//! confirmation store as a destructive raw command, and [`Services::confirm_from`] runs it,
//! checked and audited as the action it is.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::erlc::ErlcError;
use crate::store::Source;

use super::{ActionError, Member, ModAction, ResolvedPlayer, Services};

/// What a held action's confirmation record carries besides the command text.
#[derive(Debug, Serialize, Deserialize)]
struct HeldAction {
    action: ModAction,
    player: Option<ResolvedPlayer>,
    /// A ban request (two-person rule): only another member with `ban` may run it.
    #[serde(default)]
    request: bool,
}

/// Whether a held action is a ban request (see [`Services::request_ban`]).
pub(super) fn is_request(held: Option<&Value>) -> bool {
    held.and_then(|h| h.get("request"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The typed action and its player from a confirmation record's `action`.
pub(super) fn decode(held: &Value) -> Result<(ModAction, Option<ResolvedPlayer>), ActionError> {
    let held = HeldAction::deserialize(held).map_err(|_| {
        ActionError::InvalidInput(
            "That confirmation was saved in a form this version of the bot cannot run; ask \
             for the action again."
                .into(),
        )
    })?;
    Ok((held.action, held.player))
}

/// An action waiting for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldForConfirmation {
    /// Confirms (or cancels) it; a bearer secret for the asker and the guild's admins.
    pub token: String,
    /// The exact command that runs once confirmed.
    pub command_text: String,
    /// The guild's label for the server it runs on.
    pub server_label: String,
    /// The player it names, as resolved now.
    pub player: Option<ResolvedPlayer>,
    /// How long the confirmation is accepted.
    pub expires_in: Duration,
}

impl Services {
    /// Check that `actor` may do `action` (a refusal is audited), resolve its server and
    /// player and build its command now, then hold it until [`Services::confirm_from`] runs it
    /// or it is cancelled or expires. Nothing is sent to the game here. Raw commands are not
    /// held this way: [`Services::run_action`] asks to confirm the destructive ones.
    pub async fn hold_for_confirmation(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        server: Option<&str>,
        action: ModAction,
    ) -> Result<HeldForConfirmation, ActionError> {
        if matches!(action, ModAction::Raw { .. }) {
            return Err(ActionError::InvalidInput(
                "Raw commands are not held for confirmation; send them as a command.".into(),
            ));
        }
        let (record, handle) = self
            .authorize_on_server(guild, actor, source, server, &action)
            .await?;
        let (command, player) = self
            .build_checked(guild, actor, source, &record.label, &handle, &action)
            .await?;
        let command_text = command.to_checked_text().map_err(ErlcError::from)?;
        let held = HeldAction {
            action,
            player: player.clone(),
            request: false,
        };
        let held = serde_json::to_value(&held)
            .map_err(|e| ActionError::InvalidInput(format!("That action cannot be held: {e}.")))?;
        let token = self
            .inner
            .pending
            .insert(
                guild,
                actor,
                source,
                &record.label,
                &command_text,
                Some(held),
            )
            .await?;
        Ok(HeldForConfirmation {
            token,
            command_text,
            server_label: record.label,
            player,
            expires_in: self.inner.pending.ttl(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_action_round_trips_and_a_foreign_one_is_refused_in_words() {
        let held = HeldAction {
            action: ModAction::Kick {
                player: "min".into(),
                reason: Some("RDM".into()),
            },
            player: Some(ResolvedPlayer {
                name: "minty".into(),
                id: Some(42),
            }),
            request: false,
        };
        let json = serde_json::to_value(&held).unwrap();
        let (action, player) = decode(&json).unwrap();
        assert_eq!(action, held.action);
        assert_eq!(player, held.player);
        let foreign = serde_json::json!({"action": {"kind": "teleport"}, "player": null});
        let refused = decode(&foreign).unwrap_err();
        assert!(refused.user_message().contains("ask for the action again"));
    }
}
