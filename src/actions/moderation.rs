//! In-game actions (kick, ban, messages, wanted, jail, raw commands): permission check, server
//! lookup, player resolution against the live list, safe command text, confirmation of
//! destructive raw commands, and the audit intent and outcome around the send.

use serde_json::{Value, json};

use crate::erlc::api::CommandOptions;
use crate::erlc::command::{CommandBuildError, normalize_text};
use crate::erlc::models::{Include, PlayerRef};
use crate::erlc::{ErlcError, GameCommand, ServerHandle, Target, Targets, is_destructive};
use crate::store::{AuditOutcome, ServerRecord, Source};

use super::audit_trail::{AuditDraft, erlc_outcome, failure_outcome};
use super::cases::ActionCase;
use super::players::{ResolvedPlayer, resolve_online};
use super::{ActionError, ActionReport, AuditAction, Member, ModAction, Services};

/// A command ready to send, with what its audit record and its report need.
pub(super) struct Prepared {
    pub action: ModAction,
    pub server_label: String,
    pub text: String,
    pub player: Option<ResolvedPlayer>,
    pub extra: Value,
    /// When a temp ban ends (Unix ms); `None` for everything else.
    pub expires_at_ms: Option<i64>,
}

/// The sections a player name is resolved against: who is online.
const RESOLVE_SECTIONS: Include = Include::none().players();

fn reason(reason: &Option<String>) -> Option<String> {
    reason
        .as_deref()
        .map(normalize_text)
        .filter(|r| !r.is_empty())
}

/// Who is in game now, read through the v2 snapshot like every other live read.
async fn online_refs(handle: &ServerHandle) -> Result<Vec<PlayerRef>, ActionError> {
    let snapshot = handle.snapshot(RESOLVE_SECTIONS).await?;
    let players = snapshot.players.unwrap_or_default();
    Ok(players.into_iter().map(|p| p.player).collect())
}

fn one(player: &ResolvedPlayer) -> Result<Targets, ActionError> {
    Ok(Targets::one(player.target().map_err(ErlcError::from)?))
}

impl Services {
    /// Check, resolve, build, audit and send one in-game action. Destructive raw commands
    /// come back as [`ActionError::NeedsConfirmation`]; run them with [`Services::confirm`].
    pub async fn run_action(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        server: Option<&str>,
        action: ModAction,
    ) -> Result<ActionReport, ActionError> {
        let (record, handle) = self
            .authorize_on_server(guild, actor, source, server, &action)
            .await?;
        let (command, player) = match &action {
            ModAction::Raw { text } => {
                return self
                    .prepare_raw(guild, actor, source, record.label, &handle, text)
                    .await;
            }
            typed => {
                self.build_checked(guild, actor, source, &record.label, &handle, typed)
                    .await?
            }
        };
        let text = command.to_checked_text().map_err(ErlcError::from)?;
        let prepared = Prepared {
            action,
            server_label: record.label,
            text,
            player,
            extra: json!({}),
            expires_at_ms: None,
        };
        self.execute(guild, actor, source, &handle, prepared).await
    }

    /// Run a command someone asked for earlier and that waits for confirmation, by its
    /// token, from its Confirm button: see [`Services::confirm_from`].
    pub async fn confirm(
        &self,
        guild: u64,
        actor: &Member,
        token: &str,
    ) -> Result<ActionReport, ActionError> {
        self.confirm_from(guild, actor, Source::Button, token).await
    }

    /// Run a command someone asked for earlier and that waits for confirmation, by its
    /// token: a destructive raw command, or a typed action held by
    /// [`Services::hold_for_confirmation`] (checked and audited as that action). The
    /// confirmer must be the person who asked, or an admin; `source` is where they confirm.
    pub async fn confirm_from(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        token: &str,
    ) -> Result<ActionReport, ActionError> {
        let pending = self.inner.pending.take(guild, token.trim(), actor)?;
        let (action, player) = match &pending.action {
            Some(held) => super::held::decode(held)?,
            None => {
                let text = pending.command_text.clone();
                (ModAction::Raw { text }, None)
            }
        };
        self.require(
            guild,
            actor,
            action.capability(),
            action.audit_name(),
            source,
        )
        .await?;
        let handle = self
            .directory()
            .handle(guild, &pending.server_label)
            .await?;
        let prepared = Prepared {
            action,
            server_label: pending.server_label,
            text: pending.command_text,
            player,
            extra: json!({
                "confirmed": true,
                "requested_by": pending.requested_by,
                "requested_via": pending.source,
            }),
            expires_at_ms: None,
        };
        self.execute(guild, actor, source, &handle, prepared).await
    }

    async fn prepare_raw(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        server_label: String,
        handle: &ServerHandle,
        text: &str,
    ) -> Result<ActionReport, ActionError> {
        let text = text.trim();
        if let Err(violation) = handle.command_policy().check(text) {
            let note = AuditDraft::new(
                AuditAction::CommandRaw,
                None,
                json!({ "server": server_label, "command": text }),
            );
            let outcome = AuditOutcome::RefusedByPolicy(violation.to_string());
            self.audit_refusal(guild, actor, source, note, outcome)
                .await?;
            return Err(ErlcError::Policy(violation).into());
        }
        if is_destructive(text) {
            let token = self
                .inner
                .pending
                .insert(guild, actor, source, &server_label, text, None)
                .await?;
            return Err(ActionError::NeedsConfirmation {
                token,
                command_text: text.to_owned(),
                expires_in: self.inner.pending.ttl(),
            });
        }
        let prepared = Prepared {
            action: ModAction::Raw {
                text: text.to_owned(),
            },
            server_label,
            text: text.to_owned(),
            player: None,
            extra: json!({}),
            expires_at_ms: None,
        };
        self.execute(guild, actor, source, handle, prepared).await
    }

    /// A player whose username the game reads as a group (`All`) cannot be named: the action
    /// is refused before anything is sent, and the refusal audited, since someone asked to
    /// act on that player. Other errors pass through unchanged.
    pub(super) async fn refuse_group_word(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        action: AuditAction,
        server_label: &str,
        error: ActionError,
    ) -> ActionError {
        let ActionError::Erlc(
            refused @ ErlcError::BadCommand(CommandBuildError::GroupWordName { name }),
        ) = &error
        else {
            return error;
        };
        let note = AuditDraft::new(
            action,
            Some(name.clone()),
            json!({ "server": server_label, "player": name }),
        );
        let outcome = erlc_outcome(refused);
        match self
            .audit_refusal(guild, actor, source, note, outcome)
            .await
        {
            Ok(_) => error,
            Err(audit_error) => audit_error,
        }
    }

    /// Check that `actor` may run `action`, then find its server: the first steps of running
    /// an action and of holding one for confirmation.
    pub(super) async fn authorize_on_server(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        server: Option<&str>,
        action: &ModAction,
    ) -> Result<(ServerRecord, ServerHandle), ActionError> {
        self.require(
            guild,
            actor,
            action.capability(),
            action.audit_name(),
            source,
        )
        .await?;
        self.directory().resolve(guild, server).await
    }

    /// [`Services::build`], with a group-word name refused and audited as the action's.
    pub(super) async fn build_checked(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        server_label: &str,
        handle: &ServerHandle,
        action: &ModAction,
    ) -> Result<(GameCommand, Option<ResolvedPlayer>), ActionError> {
        match self.build(handle, action).await {
            Ok(built) => Ok(built),
            Err(error) => {
                let name = action.audit_name();
                Err(self
                    .refuse_group_word(guild, actor, source, name, server_label, error)
                    .await)
            }
        }
    }

    /// Turn a typed action into a command, resolving its player against the live list.
    async fn build(
        &self,
        handle: &ServerHandle,
        action: &ModAction,
    ) -> Result<(GameCommand, Option<ResolvedPlayer>), ActionError> {
        let online = |query: &str| {
            let query = query.to_owned();
            async move {
                let refs = online_refs(handle).await?;
                let player = resolve_online(&query, &refs)?;
                let targets = one(&player)?;
                Ok::<_, ActionError>((player, targets))
            }
        };
        Ok(match action {
            ModAction::Kick { player, reason: r } => {
                let (player, targets) = online(player).await?;
                let reason = reason(r);
                (GameCommand::Kick { targets, reason }, Some(player))
            }
            ModAction::Ban { player, reason: r } => {
                let player = self.resolve_ban_target(handle, player).await?;
                let target = player.target_or_id().map_err(ErlcError::from)?;
                let reason = reason(r);
                (GameCommand::Ban { target, reason }, Some(player))
            }
            ModAction::Unban { player } => {
                let player = resolve_unban_target(handle, player).await?;
                let target = match player.id {
                    Some(id) => Target::Id(id),
                    None => player.target().map_err(ErlcError::from)?,
                };
                (GameCommand::Unban { target }, Some(player))
            }
            ModAction::Pm { player, text } => {
                let (player, targets) = online(player).await?;
                let text = normalize_text(text);
                (GameCommand::Pm { targets, text }, Some(player))
            }
            ModAction::Hint { text } => (GameCommand::Hint(normalize_text(text)), None),
            ModAction::Announce { text } => (GameCommand::Message(normalize_text(text)), None),
            ModAction::Wanted { player } => {
                let (player, targets) = online(player).await?;
                (GameCommand::Wanted(targets), Some(player))
            }
            ModAction::Unwanted { player } => {
                let (player, targets) = online(player).await?;
                (GameCommand::Unwanted(targets), Some(player))
            }
            ModAction::Jail { player } => {
                let (player, targets) = online(player).await?;
                (GameCommand::Jail(targets), Some(player))
            }
            ModAction::Unjail { player } => {
                let (player, targets) = online(player).await?;
                (GameCommand::Unjail(targets), Some(player))
            }
            ModAction::Raw { text } => (GameCommand::Raw(text.clone()), None),
        })
    }

    /// A ban names an online player (exact or unique prefix), or anyone by user id or full
    /// username even when offline.
    pub(super) async fn resolve_ban_target(
        &self,
        handle: &ServerHandle,
        query: &str,
    ) -> Result<ResolvedPlayer, ActionError> {
        let refs = online_refs(handle).await?;
        match resolve_online(query, &refs) {
            Err(ActionError::PlayerNotFound { .. }) => offline_player(query),
            other => other,
        }
    }

    /// Write the intent and the action's pending case, send, then complete both.
    pub(super) async fn execute(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        handle: &ServerHandle,
        prepared: Prepared,
    ) -> Result<ActionReport, ActionError> {
        let mut args = json!({
            "server": prepared.server_label,
            "command": prepared.text,
            "player_id": prepared.player.as_ref().and_then(|p| p.id),
        });
        if let (Some(args), Value::Object(extra)) = (args.as_object_mut(), prepared.extra) {
            args.extend(extra);
        }
        let target = prepared.player.as_ref().map(|p| p.name.clone());
        let note = AuditDraft::new(prepared.action.audit_name(), target, args);
        let ticket = self.audit_begin(guild, actor, source, note).await?;
        let audit_seq = ticket.seq();
        let context = ActionCase {
            server_label: &prepared.server_label,
            player: prepared.player.as_ref(),
            audit_seq,
            expires_at_ms: prepared.expires_at_ms,
        };
        let case = match self
            .open_action_case(guild, actor, source, &prepared.action, context)
            .await
        {
            Ok(case) => case,
            Err(error) => {
                self.audit_complete(ticket, failure_outcome(&error)).await;
                return Err(error);
            }
        };
        let options = CommandOptions {
            confirm_within: Some(self.options().command_confirm_within),
            ..CommandOptions::default()
        };
        match handle.send_command(&prepared.text, &options).await {
            Ok(receipt) => {
                self.audit_complete(ticket, AuditOutcome::Ok).await;
                if let Some(case) = &case {
                    self.close_action_case(case, None).await;
                }
                Ok(ActionReport {
                    action: prepared.action,
                    server_label: prepared.server_label,
                    command_text: receipt.text,
                    confirmation: receipt.confirmation,
                    audit_seq,
                    player: prepared.player,
                    case: case.map(|c| c.number),
                })
            }
            Err(error) => {
                self.audit_complete(ticket, erlc_outcome(&error)).await;
                let error = ActionError::from(error);
                if let Some(case) = &case {
                    self.close_action_case(case, Some(&error)).await;
                }
                Err(error)
            }
        }
    }
}

/// Someone not in the server, by user id or full username.
fn offline_player(query: &str) -> Result<ResolvedPlayer, ActionError> {
    let query = query.trim();
    match Target::parse(query).map_err(ErlcError::from)? {
        Target::Id(id) => Ok(ResolvedPlayer {
            name: id.to_string(),
            id: Some(id),
        }),
        Target::Name(name) => Ok(ResolvedPlayer {
            name: name.to_string(),
            id: None,
        }),
        Target::All | Target::Others => Err(ActionError::InvalidInput(
            "Name one player (a username or a Roblox user id), not `all` or `others`. For a \
             player whose username is `All` or `Others`, use their user id."
                .into(),
        )),
    }
}

/// An unban names a user id, or a username; a username on the ban list is sent as its id.
async fn resolve_unban_target(
    handle: &ServerHandle,
    query: &str,
) -> Result<ResolvedPlayer, ActionError> {
    let player = offline_player(query)?;
    if player.id.is_some() {
        return Ok(player);
    }
    // The ban list is a convenience (exact ids); without it the name still works.
    let banned = handle.bans().await.map(|b| b.0).unwrap_or_default();
    let by_name = banned
        .into_iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(&player.name));
    Ok(match by_name {
        Some((id, name)) => ResolvedPlayer { name, id: Some(id) },
        None => player,
    })
}
