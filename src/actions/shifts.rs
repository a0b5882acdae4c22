//! Staff shifts: going on and off shift and breaks (from `/shift`, from `:log shift` in game
//! and automatically from staff joining and leaving servers), reading shifts, the
//! leaderboard, admin adjustments and voids, and the shift settings. Every change stores its
//! `shift/…` event (routed by feeds) and gives or takes the guild's on-shift role; a role
//! Discord refuses is reported, never a reason to fail the shift.

use std::collections::BTreeMap;

use serde_json::json;

use crate::events::catalog::{EventPayload, PlayerInfo, ShiftInfo};
use crate::store::shifts::{ShiftRoblox, ShiftVoid};
use crate::store::{
    Capability, EventMark, GuildSettings, NewShift, Shift, ShiftAdjustment, ShiftChange,
    ShiftError, ShiftPage, ShiftRefusal, ShiftSettings, ShiftSource, ShiftStatus, Source,
};
use crate::tracker::Tracker;

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Member, Services};

/// Shifts on one page of `/shift history`.
pub const SHIFTS_PER_PAGE: usize = 10;

/// Members listed by `/shift leaderboard`.
pub const LEADERBOARD_SIZE: usize = 15;

/// Longest reason kept on an adjustment.
const MAX_REASON_CHARS: usize = 300;

/// Most minutes one adjustment may add or take (a week).
const MAX_ADJUST_MINUTES: i64 = 7 * 24 * 60;

/// A change to a member's shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftStep {
    /// Go on shift, of this type (the guild's first type when `None`).
    Start(Option<String>),
    /// Take a break.
    Break,
    /// Come back from a break.
    Resume,
    /// Go off shift.
    End,
}

/// Where a shift change comes from.
#[derive(Debug, Clone)]
pub struct ShiftOrigin<'a> {
    /// Discord, in game, or automatic.
    pub source: ShiftSource,
    /// When it happened, Unix ms (an event's time for in-game and automatic changes).
    pub at_ms: i64,
    /// The server it happened on, if any.
    pub server: Option<String>,
    /// The member's linked Roblox account, when known.
    pub roblox: Option<ShiftRoblox>,
    /// The member's Discord display name, when the change came from Discord.
    pub member_name: Option<String>,
    /// The stored event that asks for it, making the change idempotent per event.
    pub mark: Option<&'a EventMark>,
}

/// What a shift change did.
#[derive(Debug, Clone)]
pub struct ShiftUpdate {
    /// The shift after the change.
    pub shift: Shift,
    /// `false` when a replayed event had already made this change.
    pub applied: bool,
    /// Why the on-shift role could not be given or taken, when it could not.
    pub role_problem: Option<String>,
}

/// A change to the guild's shift settings; `None` keeps what is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShiftsChange {
    /// Comma-separated shift types, replacing the list.
    pub types: Option<String>,
    /// The on-shift role: `Some(None)` removes it.
    pub role: Option<Option<u64>>,
    /// Whether starting needs the member in game.
    pub require_in_game: Option<bool>,
    /// Whether staff joining and leaving servers start and end shifts.
    pub automatic: Option<bool>,
}

/// The words a refusal is explained with, to the member.
pub fn refusal_text(refusal: &ShiftRefusal) -> String {
    match refusal {
        ShiftRefusal::AlreadyOpen(id) => {
            format!("You are already on shift (#{id}); `/shift end` ends it.")
        }
        ShiftRefusal::NoOpenShift => "You are not on shift; `/shift start` starts one.".into(),
        ShiftRefusal::AlreadyOnBreak => {
            "You are already on a break; `/shift resume` ends it.".into()
        }
        ShiftRefusal::NotOnBreak => "You are not on a break.".into(),
        ShiftRefusal::Unknown(id) => format!("There is no shift #{id} in this server."),
        ShiftRefusal::AlreadyVoided(id) => format!("Shift #{id} is already voided."),
        ShiftRefusal::BadType(kind) => format!("`{kind}` is not a shift type name."),
    }
}

fn shift_error(error: ShiftError) -> ActionError {
    match error {
        ShiftError::Refused(refusal) => ActionError::InvalidInput(refusal_text(&refusal)),
        ShiftError::Store(error) => error.into(),
    }
}

/// What a shift event says about the shift, its time counted up to `now_ms`.
pub fn shift_info(shift: &Shift, member_name: Option<&str>, now_ms: i64) -> ShiftInfo {
    ShiftInfo {
        id: shift.id,
        member: shift.member,
        member_name: member_name.map(str::to_owned),
        player: shift.roblox.as_ref().map(|r| PlayerInfo {
            name: r.name.clone(),
            id: Some(r.id),
            ..PlayerInfo::default()
        }),
        kind: shift.kind.clone(),
        source: shift.source.as_str().to_owned(),
        worked_secs: shift.worked_ms(i64::MIN, i64::MAX, now_ms).div_euclid(1000),
    }
}

/// The type a start asks for, checked against the guild's list.
fn start_type(settings: &ShiftSettings, kind: Option<&str>) -> Result<String, ActionError> {
    let Some(kind) = kind.map(|k| k.trim().to_lowercase()) else {
        return Ok(settings.default_type().to_owned());
    };
    if settings.has_type(&kind) {
        return Ok(kind);
    }
    Err(ActionError::InvalidInput(format!(
        "`{kind}` is not one of this server's shift types: {}.",
        settings.types().join(", ")
    )))
}

/// Parse `/settings shifts types:`: lowercase names, commas or spaces between, each valid.
fn parse_types(text: &str) -> Result<Vec<String>, ActionError> {
    let mut types: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let name = word.to_lowercase();
        if !crate::store::shifts::valid_type(&name) {
            return Err(ActionError::InvalidInput(format!(
                "`{word}` is not a shift type name: use 1–{} letters, digits or `_`.",
                crate::store::shifts::MAX_TYPE_LEN
            )));
        }
        if !types.contains(&name) {
            types.push(name);
        }
    }
    if types.len() > crate::store::settings::MAX_SHIFT_TYPES {
        return Err(ActionError::InvalidInput(format!(
            "At most {} shift types.",
            crate::store::settings::MAX_SHIFT_TYPES
        )));
    }
    Ok(types)
}

/// Each member's worked time in `[from_ms, to_ms)`, largest first; a member whose
/// adjustments take away more than they worked counts zero.
pub fn totals(shifts: &[Shift], from_ms: i64, to_ms: i64, now_ms: i64) -> Vec<(u64, i64)> {
    let mut per_member: BTreeMap<u64, i64> = BTreeMap::new();
    for shift in shifts {
        *per_member.entry(shift.member).or_default() += shift.worked_ms(from_ms, to_ms, now_ms);
    }
    let mut out: Vec<(u64, i64)> = per_member
        .into_iter()
        .map(|(member, ms)| (member, ms.max(0)))
        .filter(|(_, ms)| *ms > 0)
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

impl Services {
    fn shift_settings(&self, guild: u64) -> Result<ShiftSettings, ActionError> {
        Ok(self.store().settings().guild_settings(guild)?.shifts)
    }

    /// Apply `step` to `member`'s shift: the one path for slash commands, `:log shift` and
    /// automatic shifts. Stores the change, its event (flushed before returning) and, the
    /// first time only, gives or takes the on-shift role.
    pub async fn apply_shift_step(
        &self,
        guild: u64,
        member: u64,
        step: &ShiftStep,
        origin: ShiftOrigin<'_>,
    ) -> Result<ShiftUpdate, ActionError> {
        let settings = self.shift_settings(guild)?;
        let shifts = self.store().shifts();
        let (at, mark) = (origin.at_ms, origin.mark);
        let change = match step {
            ShiftStep::Start(kind) => {
                let new = NewShift {
                    member,
                    roblox: origin.roblox.clone(),
                    kind: start_type(&settings, kind.as_deref())?,
                    server: origin.server.clone(),
                    source: origin.source,
                    started_at_ms: at,
                };
                shifts.start(guild, new, mark)
            }
            ShiftStep::Break => shifts.take_break(guild, member, at, mark),
            ShiftStep::Resume => shifts.resume(guild, member, at, mark),
            ShiftStep::End => shifts.end(guild, member, at, mark),
        }
        .map_err(shift_error)?;
        let applied = change.is_applied();
        let shift = match change {
            ShiftChange::Applied(s) | ShiftChange::Replayed(s) => s,
        };
        let mut role_problem = None;
        if applied {
            let name = origin.member_name.as_deref();
            let payload = match step {
                ShiftStep::Start(_) => EventPayload::ShiftStarted {
                    shift: shift_info(&shift, name, at),
                },
                ShiftStep::Break => EventPayload::ShiftBreak {
                    shift: shift_info(&shift, name, at),
                },
                ShiftStep::Resume => EventPayload::ShiftResumed {
                    shift: shift_info(&shift, name, at),
                },
                ShiftStep::End => EventPayload::ShiftEnded {
                    shift: shift_info(&shift, name, at),
                },
            };
            self.publish_shift(guild, &shift, payload, at).await?;
            role_problem = match step {
                ShiftStep::Start(_) => self.on_shift_role(guild, member, &settings, true).await,
                ShiftStep::End => self.on_shift_role(guild, member, &settings, false).await,
                ShiftStep::Break | ShiftStep::Resume => None,
            };
        }
        Ok(ShiftUpdate {
            shift,
            applied,
            role_problem,
        })
    }

    /// Store a shift event under the shift's server or, for a shift started in Discord, the
    /// guild's default server (events are kept per server; `?/shift/*` routes them from any).
    /// A guild without servers stores none. Flushes either way: the shift is on disk after.
    async fn publish_shift(
        &self,
        guild: u64,
        shift: &Shift,
        payload: EventPayload,
        at_ms: i64,
    ) -> Result<(), ActionError> {
        let label = match &shift.server {
            Some(label) => Some(label.clone()),
            None => self
                .store()
                .settings()
                .default_server(guild)?
                .map(|r| r.label),
        };
        if let Some(label) = label {
            let new = payload
                .into_new_event(&label, at_ms.div_euclid(1000), None)
                .map_err(|e| ActionError::InvalidInput(format!("server label `{label}`: {e}")))?;
            self.store().events().append(guild, vec![new])?;
        }
        self.store().flush_async().await?;
        Ok(())
    }

    /// Give (or take) the on-shift role, when the guild has one. `Some(why)` when Discord
    /// refused: the shift stands, and the member is told.
    async fn on_shift_role(
        &self,
        guild: u64,
        member: u64,
        settings: &ShiftSettings,
        give: bool,
    ) -> Option<String> {
        let role = settings.on_shift_role?;
        match self
            .member_roles()
            .set_role(guild, member, role, give)
            .await
        {
            Ok(()) => None,
            Err(why) => {
                tracing::info!(guild, member, role, give, %why, "on-shift role not changed");
                Some(why)
            }
        }
    }

    /// Where `roblox_id` is in game: the first of the guild's servers whose latest poll has
    /// them.
    fn online_server(&self, guild: u64, roblox_id: u64, tracker: &Tracker) -> Option<String> {
        let servers = self.store().settings().list_servers(guild).ok()?;
        servers.into_iter().map(|r| r.label).find(|label| {
            tracker
                .latest_world(guild, label)
                .is_some_and(|world| world.player(roblox_id).is_some())
        })
    }

    /// `/shift start|break|resume|end` by the member themselves (`shifts`). A start notes the
    /// member's linked account and the server they are on, and, when the guild asks for it,
    /// refuses unless they are in game.
    pub async fn shift_step(
        &self,
        guild: u64,
        actor: &Member,
        step: ShiftStep,
        tracker: &Tracker,
    ) -> Result<ShiftUpdate, ActionError> {
        let source = Source::SlashCommand;
        self.require(
            guild,
            actor,
            Capability::Shifts,
            AuditAction::ShiftChange,
            source,
        )
        .await?;
        let now = self.store().clock().now_ms();
        let mut origin = ShiftOrigin {
            source: ShiftSource::Discord,
            at_ms: now,
            server: None,
            roblox: None,
            member_name: Some(actor.name.clone()),
            mark: None,
        };
        if matches!(step, ShiftStep::Start(_)) {
            let settings = self.shift_settings(guild)?;
            let link = self.store().links().by_member(guild, actor.discord_id)?;
            if let Some(link) = &link {
                origin.roblox = Some(ShiftRoblox {
                    id: link.roblox_id,
                    name: link.roblox_name.clone(),
                });
                origin.server = self.online_server(guild, link.roblox_id, tracker);
            }
            if settings.require_in_game {
                if link.is_none() {
                    return Err(ActionError::InvalidInput(
                        "This server requires you to be in game to start a shift, and your \
                         Roblox account is not linked: use `/link` first."
                            .into(),
                    ));
                }
                if origin.server.is_none() {
                    return Err(ActionError::InvalidInput(
                        "This server requires you to be in game to start a shift: join one of \
                         its ER:LC servers first (the bot sees you at its next poll)."
                            .into(),
                    ));
                }
            }
        }
        self.apply_shift_step(guild, actor.discord_id, &step, origin)
            .await
    }

    async fn require_view(
        &self,
        guild: u64,
        actor: &Member,
        source: Source,
    ) -> Result<(), ActionError> {
        self.require(
            guild,
            actor,
            Capability::Shifts,
            AuditAction::ShiftView,
            source,
        )
        .await
    }

    /// `/shift status`: `member`'s open shift, if any.
    pub async fn shift_status(
        &self,
        guild: u64,
        actor: &Member,
        member: u64,
        source: Source,
    ) -> Result<Option<Shift>, ActionError> {
        self.require_view(guild, actor, source).await?;
        Ok(self.store().shifts().open_shift(guild, member)?)
    }

    /// `/shift history`: a page (0-based) of `member`'s shifts, newest first, optionally only
    /// those started at or after `since_ms`.
    pub async fn shift_history(
        &self,
        guild: u64,
        actor: &Member,
        member: u64,
        since_ms: Option<i64>,
        page: usize,
        source: Source,
    ) -> Result<ShiftPage, ActionError> {
        self.require_view(guild, actor, source).await?;
        Ok(self
            .store()
            .shifts()
            .member_page(guild, member, since_ms, page, SHIFTS_PER_PAGE)?)
    }

    /// `/shift leaderboard`: the members who worked most in the last `period_ms`, with their
    /// time, at most [`LEADERBOARD_SIZE`].
    pub async fn shift_leaderboard(
        &self,
        guild: u64,
        actor: &Member,
        period_ms: i64,
    ) -> Result<Vec<(u64, i64)>, ActionError> {
        self.require_view(guild, actor, Source::SlashCommand)
            .await?;
        let now = self.store().clock().now_ms();
        let from = now.saturating_sub(period_ms);
        let to = now.saturating_add(1);
        let shifts = self.store().shifts().in_period(guild, from, to, now)?;
        let mut board = totals(&shifts, from, to, now);
        board.truncate(LEADERBOARD_SIZE);
        Ok(board)
    }

    /// `/shift adjust`: add (or, negative, take) minutes of `member`'s shift time now, with a
    /// reason (`shift_admin`, audited).
    pub async fn shift_adjust(
        &self,
        guild: u64,
        actor: &Member,
        member: u64,
        minutes: i64,
        reason: &str,
    ) -> Result<Shift, ActionError> {
        self.require(
            guild,
            actor,
            Capability::ShiftAdmin,
            AuditAction::ShiftAdjust,
            Source::SlashCommand,
        )
        .await?;
        let reason: String = reason.trim().chars().take(MAX_REASON_CHARS).collect();
        if reason.is_empty() {
            return Err(ActionError::InvalidInput(
                "Give a reason; it cannot be empty.".into(),
            ));
        }
        if minutes == 0 || minutes.abs() > MAX_ADJUST_MINUTES {
            return Err(ActionError::InvalidInput(format!(
                "Adjust by 1 to {MAX_ADJUST_MINUTES} minutes, or take away with a negative number."
            )));
        }
        let kind = self.shift_settings(guild)?.default_type().to_owned();
        let note = AuditDraft::new(
            AuditAction::ShiftAdjust,
            Some(member.to_string()),
            json!({ "member": member.to_string(), "minutes": minutes, "reason": reason }),
        );
        let adjustment = ShiftAdjustment {
            minutes,
            reason: reason.clone(),
            by: actor.discord_id,
            at_ms: self.store().clock().now_ms(),
        };
        self.audited(guild, actor, note, async || {
            let shift = self
                .store()
                .shifts()
                .adjust_member(guild, member, &kind, adjustment.clone())
                .map_err(shift_error)?;
            self.store().flush_async().await?;
            Ok(shift)
        })
        .await
    }

    /// `/shift void`: withdraw shift `id` (`shift_admin`, audited); an open one ends, and
    /// its member loses the on-shift role.
    pub async fn shift_void(
        &self,
        guild: u64,
        actor: &Member,
        id: u64,
    ) -> Result<ShiftUpdate, ActionError> {
        self.require(
            guild,
            actor,
            Capability::ShiftAdmin,
            AuditAction::ShiftVoid,
            Source::SlashCommand,
        )
        .await?;
        let note = AuditDraft::new(
            AuditAction::ShiftVoid,
            Some(format!("shift #{id}")),
            json!({ "shift": id }),
        );
        let now = self.store().clock().now_ms();
        let void = ShiftVoid {
            by: actor.discord_id,
            at_ms: now,
        };
        let before = self.store().shifts().get(guild, id)?;
        let voided = self
            .audited(guild, actor, note, async || {
                let voided = self
                    .store()
                    .shifts()
                    .void(guild, id, void)
                    .map_err(shift_error)?;
                let payload = EventPayload::ShiftVoided {
                    shift: shift_info(&voided, Some(&actor.name), now),
                };
                self.publish_shift(guild, &voided, payload, now).await?;
                Ok(voided)
            })
            .await?;
        let was_open = before.is_some_and(|s| s.status == ShiftStatus::Open);
        let role_problem = if was_open {
            let settings = self.shift_settings(guild)?;
            self.on_shift_role(guild, voided.member, &settings, false)
                .await
        } else {
            None
        };
        Ok(ShiftUpdate {
            shift: voided,
            applied: true,
            role_problem,
        })
    }

    /// `/settings shifts`: change what is given, keep the rest (`manage`, audited).
    pub async fn settings_shifts(
        &self,
        guild: u64,
        actor: &Member,
        change: ShiftsChange,
    ) -> Result<GuildSettings, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::SettingsShifts,
            Source::SlashCommand,
        )
        .await?;
        let types = change.types.as_deref().map(parse_types).transpose()?;
        let note = AuditDraft::new(
            AuditAction::SettingsShifts,
            None,
            json!({
                "types": types,
                "role": change.role.map(|r| r.map(|id| id.to_string())),
                "require_in_game": change.require_in_game,
                "automatic": change.automatic,
            }),
        );
        self.audited(guild, actor, note, async || {
            let saved = self.store().settings().update_guild_settings(guild, |g| {
                let s = &mut g.shifts;
                if let Some(types) = types.clone() {
                    s.types = types;
                }
                if let Some(role) = change.role {
                    s.on_shift_role = role;
                }
                if let Some(on) = change.require_in_game {
                    s.require_in_game = on;
                }
                if let Some(on) = change.automatic {
                    s.automatic = on;
                }
            });
            Ok::<_, ActionError>(saved?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(member: u64, start: i64, end: i64) -> Shift {
        Shift {
            guild: 1,
            id: 1,
            member,
            roblox: None,
            kind: "general".into(),
            server: None,
            source: ShiftSource::Discord,
            started_at_ms: start,
            breaks: Vec::new(),
            ended_at_ms: Some(end),
            status: ShiftStatus::Ended,
            adjustments: Vec::new(),
            voided: None,
        }
    }

    #[test]
    fn totals_rank_members_and_clamp_negative_adjustments() {
        let mut taken = closed(3, 0, 0);
        taken.adjustments.push(ShiftAdjustment {
            minutes: -60,
            reason: "x".into(),
            by: 9,
            at_ms: 0,
        });
        let shifts = vec![
            closed(1, 0, 1_000),
            closed(2, 0, 5_000),
            closed(1, 2_000, 6_000),
            closed(3, 0, 500),
            taken,
        ];
        assert_eq!(
            totals(&shifts, 0, 10_000, 10_000),
            vec![(1, 5_000), (2, 5_000)]
        );
    }

    #[test]
    fn types_are_checked_and_chosen() {
        assert_eq!(
            parse_types("Patrol, training patrol").unwrap(),
            ["patrol", "training"]
        );
        assert!(parse_types("not-ok").is_err());
        let settings = ShiftSettings {
            types: vec!["patrol".into()],
            ..ShiftSettings::default()
        };
        assert_eq!(start_type(&settings, None).unwrap(), "patrol");
        assert_eq!(start_type(&settings, Some(" Patrol ")).unwrap(), "patrol");
        let unknown = start_type(&settings, Some("general")).unwrap_err();
        assert!(
            unknown.user_message().contains("patrol"),
            "{}",
            unknown.user_message()
        );
    }
}
