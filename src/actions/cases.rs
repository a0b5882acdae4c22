//! Cases (punishment records): `/warn` and `/note`, reading, editing and voiding cases with
//! their capability checks and audit, and the case events feeds route. The case that every
//! in-game moderation action files is opened and closed by [`Services::execute`] through
//! [`Services::open_action_case`] and [`Services::close_action_case`].

use serde_json::json;

use crate::events::catalog::{CaseInfo, EventPayload, PlayerInfo};
use crate::store::{
    AuditOutcome, Capability, Case, CaseFilter, CaseModerator, CasePage, CaseSource, CaseStatus,
    CaseTarget, NewCase, Source, StoreError,
};

use super::audit_trail::{AuditDraft, failure_outcome};
use super::{ActionError, ActionReport, AuditAction, Member, ModAction, ResolvedPlayer, Services};

/// Cases on one page of `/cases`.
pub const CASES_PER_PAGE: usize = 10;

/// Cases shown on a player's panel (the rest with `/cases`).
const PANEL_CASES: usize = 5;

/// Longest reason or note kept on a case.
pub const MAX_REASON_CHARS: usize = 500;

/// Whose cases `/cases` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseQuery {
    /// Cases about a player: a Roblox user id, or a username.
    Player(String),
    /// Cases filed by a Discord member.
    Moderator(u64),
}

/// A warning or note as asked for.
#[derive(Debug, Clone, Copy)]
pub struct CaseRequest<'a> {
    /// Which server (the guild's default when `None`); the case is filed under it.
    pub server: Option<&'a str>,
    /// Who: an online player, or anyone by user id or full username.
    pub player: &'a str,
    /// The reason (a warning) or the text (a note).
    pub text: &'a str,
}

/// What `/warn` did: the case, and whether the in-game message reached the player.
#[derive(Debug)]
pub struct WarnReport {
    /// The warning's case.
    pub case: Case,
    /// The `:pm` naming the case: `None` when not asked for, else how it went.
    pub notice: Option<Result<ActionReport, ActionError>>,
}

/// Which case event a change produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CaseEvent {
    Created,
    Updated,
    Voided,
}

impl From<Source> for CaseSource {
    fn from(source: Source) -> Self {
        match source {
            Source::Webhook | Source::Tracker => CaseSource::InGame,
            Source::Cli | Source::Scheduler => CaseSource::Automation,
            Source::SlashCommand | Source::Button | Source::Modal | Source::Live | Source::Ipc => {
                CaseSource::Discord
            }
        }
    }
}

/// The case type an in-game action files, if it files one.
fn action_case_kind(action: &ModAction, temp: bool) -> Option<&'static str> {
    match action {
        ModAction::Kick { .. } => Some("kick"),
        ModAction::Ban { .. } if temp => Some("temp_ban"),
        ModAction::Ban { .. } => Some("ban"),
        ModAction::Unban { .. } => Some("unban"),
        ModAction::Jail { .. } => Some("jail"),
        _ => None,
    }
}

fn action_reason(action: &ModAction) -> Option<String> {
    match action {
        ModAction::Kick { reason, .. } | ModAction::Ban { reason, .. } => clean_reason(reason),
        _ => None,
    }
}

/// A reason as kept: trimmed, at most [`MAX_REASON_CHARS`], `None` when empty.
fn clean_reason(reason: &Option<String>) -> Option<String> {
    let text = reason.as_deref()?.trim();
    (!text.is_empty()).then(|| text.chars().take(MAX_REASON_CHARS).collect())
}

fn required_text(text: &str, what: &str) -> Result<String, ActionError> {
    clean_reason(&Some(text.to_owned()))
        .ok_or_else(|| ActionError::InvalidInput(format!("Give a {what}; it cannot be empty.")))
}

fn target_of(player: &ResolvedPlayer) -> CaseTarget {
    CaseTarget {
        id: player.id,
        name: player.name.clone(),
    }
}

fn moderator_of(actor: &Member) -> CaseModerator {
    CaseModerator::discord(actor.discord_id, &actor.name)
}

/// What a case event says about the case.
pub(super) fn case_info(case: &Case) -> CaseInfo {
    CaseInfo {
        number: case.number,
        kind: case.kind.clone(),
        player: PlayerInfo {
            name: case.target.name.clone(),
            id: case.target.id,
            ..PlayerInfo::default()
        },
        moderator: case.moderator.display_name().to_owned(),
        reason: case.reason.clone(),
        status: case.status.as_str().to_owned(),
        expires_at: case.expires_at_ms.map(|ms| ms.div_euclid(1000)),
    }
}

fn unknown_case(number: u64) -> ActionError {
    ActionError::InvalidInput(format!(
        "There is no case #{number} in this server. `/cases` lists a player's cases."
    ))
}

fn refused_move(number: u64, from: CaseStatus) -> ActionError {
    ActionError::InvalidInput(format!(
        "Case #{number} is {} and cannot change that way.",
        from.as_str()
    ))
}

impl Services {
    /// File a warning against `player` (online, or anyone by user id or full username) and,
    /// when `notify`, tell them in game with a `:pm` naming the case number. The case is
    /// filed (and on disk) whether or not the message gets through.
    pub async fn warn(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        request: CaseRequest<'_>,
        notify: bool,
    ) -> Result<WarnReport, ActionError> {
        let case = self
            .file_case(guild, actor, source, request, "warning")
            .await?;
        let notice = if notify {
            let reason = case.reason.as_deref().unwrap_or_default();
            let text = format!("You have been warned (case #{}): {reason}", case.number);
            let action = ModAction::Pm {
                player: case.target.name.clone(),
                text,
            };
            Some(
                self.run_action(guild, actor, source, case.server.as_deref(), action)
                    .await,
            )
        } else {
            None
        };
        Ok(WarnReport { case, notice })
    }

    /// File a note about `player`: a case that records something without punishing.
    pub async fn note(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        request: CaseRequest<'_>,
    ) -> Result<Case, ActionError> {
        self.file_case(guild, actor, source, request, "note").await
    }

    /// Check `cases`, resolve the player on the server, audit, file the case and store its
    /// `case/created` event.
    async fn file_case(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        request: CaseRequest<'_>,
        kind: &str,
    ) -> Result<Case, ActionError> {
        let (audit_name, what) = match kind {
            "warning" => (AuditAction::CaseWarn, "reason"),
            _ => (AuditAction::CaseNote, "note"),
        };
        let reason = required_text(request.text, what)?;
        self.require(guild, actor, Capability::Cases, audit_name, source)
            .await?;
        let (record, handle) = self.directory().resolve(guild, request.server).await?;
        let resolved = self.resolve_ban_target(&handle, request.player).await?;
        let note = AuditDraft::new(
            audit_name,
            Some(resolved.name.clone()),
            json!({ "server": record.label, "player_id": resolved.id, "reason": reason }),
        );
        let ticket = self.audit_begin(guild, actor, source, note).await?;
        let new = NewCase {
            kind: kind.to_owned(),
            target: target_of(&resolved),
            moderator: moderator_of(actor),
            reason: Some(reason),
            server: Some(record.label),
            source: source.into(),
            status: CaseStatus::Active,
            expires_at_ms: None,
            audit_seq: Some(ticket.seq()),
        };
        let filed = self.store().cases().create(guild, new);
        let filed = match filed {
            Ok(case) => self
                .publish_case(&case, CaseEvent::Created)
                .await
                .map(|_| case),
            Err(error) => Err(error.into()),
        };
        let outcome = match &filed {
            Ok(_) => AuditOutcome::Ok,
            Err(error) => failure_outcome(error),
        };
        self.audit_complete(ticket, outcome).await;
        filed
    }

    /// A case by number, for a member with `cases`.
    pub async fn view_case(
        &self,
        guild: u64,
        actor: &Member,
        number: u64,
        source: Source,
    ) -> Result<Case, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Cases,
            AuditAction::CaseView,
            source,
        )
        .await?;
        self.store()
            .cases()
            .get(guild, number)?
            .ok_or_else(|| unknown_case(number))
    }

    /// One page (0-based) of cases about a player or by a moderator, newest first, optionally
    /// of one type.
    pub async fn list_cases(
        &self,
        guild: u64,
        actor: &Member,
        query: &CaseQuery,
        kind: Option<&str>,
        page: usize,
        source: Source,
    ) -> Result<CasePage, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Cases,
            AuditAction::CaseList,
            source,
        )
        .await?;
        let filter = match query {
            CaseQuery::Player(text) => CaseFilter::Player(self.case_player(guild, text)?),
            CaseQuery::Moderator(id) => CaseFilter::DiscordModerator(*id),
        };
        let kind = kind.map(|k| k.trim().to_lowercase());
        Ok(self
            .store()
            .cases()
            .page(guild, &filter, kind.as_deref(), page, CASES_PER_PAGE)?)
    }

    /// A typed player as a case search: digits are a Roblox id, searched with the name its
    /// newest case has (so the cases filed under that name alone are found too); anything
    /// else a username.
    fn case_player(&self, guild: u64, text: &str) -> Result<CaseTarget, ActionError> {
        let mut target = player_key(text);
        if target.id.is_some() {
            let by_id = CaseFilter::Player(CaseTarget {
                id: target.id,
                name: String::new(),
            });
            let newest = self.store().cases().page(guild, &by_id, None, 0, 1)?;
            target.name = newest
                .cases
                .first()
                .map(|c| c.target.name.clone())
                .unwrap_or_default();
        }
        Ok(target)
    }

    /// The newest cases about a player for their panel, when `actor` may read cases (`None`
    /// otherwise: the panel leaves the section out rather than refuse the whole panel).
    pub fn panel_cases(
        &self,
        guild: u64,
        actor: &Member,
        player: &CaseTarget,
    ) -> Result<Option<CasePage>, ActionError> {
        if !self
            .capabilities(guild, actor)?
            .contains(&Capability::Cases)
        {
            return Ok(None);
        }
        let filter = CaseFilter::Player(player.clone());
        Ok(Some(self.store().cases().page(
            guild,
            &filter,
            None,
            0,
            PANEL_CASES,
        )?))
    }

    /// Rewrite a case's reason: its filer (with `cases`) or a case admin.
    pub async fn edit_case(
        &self,
        guild: u64,
        actor: &Member,
        number: u64,
        reason: &str,
    ) -> Result<Case, ActionError> {
        let source = Source::SlashCommand;
        let reason = required_text(reason, "reason")?;
        let capabilities = self.capabilities(guild, actor)?;
        let case = self
            .store()
            .cases()
            .get(guild, number)?
            .ok_or_else(|| unknown_case(number))?;
        let own = case.moderator.discord_id == Some(actor.discord_id);
        let needed = if own && capabilities.contains(&Capability::Cases) {
            Capability::Cases
        } else {
            Capability::CaseAdmin
        };
        self.require(guild, actor, needed, AuditAction::CaseEdit, source)
            .await?;
        self.rewrite_reason(guild, actor, number, reason, AuditAction::CaseEdit)
            .await
    }

    /// The "Add reason" form of a card for a case filed without one: its moderator (the
    /// Discord member linked to who ran it in game) or a case admin sets the reason, through
    /// the same edit as `/case edit` (history, `case/updated`). Anyone else is refused, and
    /// the refusal audited.
    pub async fn add_case_reason(
        &self,
        guild: u64,
        actor: &Member,
        number: u64,
        reason: &str,
    ) -> Result<Case, ActionError> {
        let reason = required_text(reason, "reason")?;
        self.may_add_case_reason(guild, actor, number, Source::Modal)
            .await?;
        self.rewrite_reason(guild, actor, number, reason, AuditAction::CaseAddReason)
            .await
    }

    /// Whether `actor` may use a case's "Add reason" form: its moderator (through the link) or
    /// a case admin. Checked before the form opens (the refusal audited) and again on submit.
    pub async fn may_add_case_reason(
        &self,
        guild: u64,
        actor: &Member,
        number: u64,
        source: Source,
    ) -> Result<Case, ActionError> {
        let case = self
            .store()
            .cases()
            .get(guild, number)?
            .ok_or_else(|| unknown_case(number))?;
        if case.moderator.discord_id != Some(actor.discord_id) {
            self.require(
                guild,
                actor,
                Capability::CaseAdmin,
                AuditAction::CaseAddReason,
                source,
            )
            .await?;
        }
        Ok(case)
    }

    /// Set a case's reason (after the caller's checks): audited, in its history, and a
    /// `case/updated` event.
    async fn rewrite_reason(
        &self,
        guild: u64,
        actor: &Member,
        number: u64,
        reason: String,
        audit_name: AuditAction,
    ) -> Result<Case, ActionError> {
        let note = AuditDraft::new(
            audit_name,
            Some(format!("case #{number}")),
            json!({ "case": number, "reason": reason }),
        );
        let now = self.store().clock().now_ms();
        let by = moderator_of(actor);
        self.audited(guild, actor, note, async || {
            let edited = self.store().cases().update(guild, number, |case| {
                case.set_reason(reason.clone(), by.clone(), now);
                Ok::<_, ActionError>(())
            })?;
            let edited = edited.ok_or_else(|| unknown_case(number))?;
            self.publish_case(&edited, CaseEvent::Updated).await?;
            Ok(edited)
        })
        .await
    }

    /// Withdraw a case (a case admin), saying why. A voided temp ban is no longer lifted by
    /// the bot; lift it with `/unban` if it should end now.
    pub async fn void_case(
        &self,
        guild: u64,
        actor: &Member,
        number: u64,
        reason: &str,
    ) -> Result<Case, ActionError> {
        let source = Source::SlashCommand;
        let reason = required_text(reason, "reason")?;
        self.require(
            guild,
            actor,
            Capability::CaseAdmin,
            AuditAction::CaseVoid,
            source,
        )
        .await?;
        let note = AuditDraft::new(
            AuditAction::CaseVoid,
            Some(format!("case #{number}")),
            json!({ "case": number, "reason": reason }),
        );
        let now = self.store().clock().now_ms();
        let by = moderator_of(actor);
        self.audited(guild, actor, note, async || {
            let voided = self.store().cases().update(guild, number, |case| {
                case.set_status(
                    CaseStatus::Voided,
                    Some(by.clone()),
                    Some(reason.clone()),
                    now,
                )
                .map_err(|from| refused_move(number, from))
            })?;
            let voided = voided.ok_or_else(|| unknown_case(number))?;
            self.publish_case(&voided, CaseEvent::Voided).await?;
            Ok(voided)
        })
        .await
    }

    /// File the pending case of an in-game action before it is sent (after its audit intent),
    /// and wait until it is on disk. `None` for actions that file no case.
    pub(super) async fn open_action_case(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
        action: &ModAction,
        context: ActionCase<'_>,
    ) -> Result<Option<Case>, ActionError> {
        let temp = context.expires_at_ms.is_some();
        let (Some(kind), Some(player)) = (action_case_kind(action, temp), context.player) else {
            return Ok(None);
        };
        let new = NewCase {
            kind: kind.to_owned(),
            target: target_of(player),
            moderator: moderator_of(actor),
            reason: action_reason(action),
            server: Some(context.server_label.to_owned()),
            source: source.into(),
            status: CaseStatus::Pending,
            expires_at_ms: context.expires_at_ms,
            audit_seq: Some(context.audit_seq),
        };
        let case = self.store().cases().create(guild, new)?;
        self.store().flush_async().await?;
        Ok(Some(case))
    }

    /// End an action's pending case: active once the game took the command (and its
    /// `case/created` event stored), failed with the error otherwise. The action already
    /// happened, so a failure here is logged, not returned.
    pub(super) async fn close_action_case(&self, case: &Case, failure: Option<&ActionError>) {
        let now = self.store().clock().now_ms();
        let (next, note) = match failure {
            None => (CaseStatus::Active, None),
            Some(error) => (CaseStatus::Failed, Some(error.user_message())),
        };
        let closed = self.store().cases().update(case.guild, case.number, |c| {
            c.set_status(next, None, note.clone(), now)
                .map_err(|from| StoreError::Invalid(format!("case is {}", from.as_str())))
        });
        let result = match closed {
            Ok(Some(closed)) if next == CaseStatus::Active => {
                self.publish_case(&closed, CaseEvent::Created).await
            }
            Ok(_) => Ok(()),
            Err(error) => Err(error.into()),
        };
        if let Err(error) = result {
            tracing::error!(
                guild = case.guild,
                case = case.number,
                %error,
                "could not complete an action's case"
            );
        }
    }

    /// Store a case event (routed by feeds like any other) and flush it. Cases without a
    /// server have no event: events are kept per server.
    pub(super) async fn publish_case(
        &self,
        case: &Case,
        event: CaseEvent,
    ) -> Result<(), ActionError> {
        let Some(server) = case.server.as_deref() else {
            return Ok(());
        };
        let info = case_info(case);
        let payload = match event {
            CaseEvent::Created => EventPayload::CaseCreated { case: info },
            CaseEvent::Updated => EventPayload::CaseUpdated { case: info },
            CaseEvent::Voided => EventPayload::CaseVoided { case: info },
        };
        let now = self.store().clock().now_ms().div_euclid(1000);
        let new = payload
            .into_new_event(server, now, None)
            .map_err(|e| ActionError::InvalidInput(format!("server label `{server}`: {e}")))?;
        self.store().events().append(case.guild, vec![new])?;
        self.store().flush_async().await?;
        Ok(())
    }
}

/// What [`Services::open_action_case`] needs to know about the action being run.
#[derive(Debug, Clone, Copy)]
pub(super) struct ActionCase<'a> {
    pub server_label: &'a str,
    pub player: Option<&'a ResolvedPlayer>,
    pub audit_seq: u64,
    pub expires_at_ms: Option<i64>,
}

/// A typed player as a case filter: digits are a Roblox user id, anything else a username.
fn player_key(text: &str) -> CaseTarget {
    let text = text.trim();
    CaseTarget {
        id: text.parse().ok(),
        name: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_file_the_case_types_they_are() {
        let ban = ModAction::Ban {
            player: "a".into(),
            reason: Some("  x ".into()),
        };
        assert_eq!(action_case_kind(&ban, false), Some("ban"));
        assert_eq!(action_case_kind(&ban, true), Some("temp_ban"));
        assert_eq!(action_reason(&ban).as_deref(), Some("x"));
        let pm = ModAction::Pm {
            player: "a".into(),
            text: "hi".into(),
        };
        assert_eq!(action_case_kind(&pm, false), None);
        for kind in ["kick", "ban", "temp_ban", "unban", "jail"] {
            assert!(crate::store::cases::BUILT_IN_TYPES.contains(&kind));
        }
    }

    #[test]
    fn reasons_are_trimmed_bounded_and_required() {
        assert!(required_text("   ", "reason").is_err());
        let long = "x".repeat(MAX_REASON_CHARS + 10);
        assert_eq!(
            required_text(&long, "reason").unwrap().chars().count(),
            MAX_REASON_CHARS
        );
        assert_eq!(player_key(" 42 ").id, Some(42));
        assert_eq!(player_key("Guest").id, None);
    }
}
