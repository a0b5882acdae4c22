//! Shifts from the game, through the durable consumer of stored events ([`super::staff_log`]):
//! `:log shift start|break|resume|end [type]` typed by a linked staff member (answered with
//! a `:pm`), and automatic shifts, started by a linked staff member's `staff/join` on a
//! connected server and ended by their `staff/leave` there, when the guild turned them on.
//!
//! Both act at the event's time, not when the consumer reads it, and mark the change with
//! the event ([`StaffCommand::mark`]): after a restart the consumer reads on from its cursor,
//! so a shift open when the bot stopped is closed by the leave stored meanwhile, and an event
//! handled twice changes nothing twice.

use serde_json::json;

use crate::actions::{
    ActionError, AuditAction, AuditDraft, Services, ShiftOrigin, ShiftStep, ShiftUpdate,
    begin_audit, complete_audit,
};
use crate::events::Event;
use crate::events::catalog::EventPayload;
use crate::store::shifts::ShiftRoblox;
use crate::store::{AuditOutcome, EventMark, ShiftSource, ShiftStatus, Source, StoreError};
use crate::ui::time::hours_minutes;

use super::staff_log::{
    HandlerFuture, Replies, StaffCommand, StaffCommandHandler, StoredEventHandler,
};

/// What `:log shift` answers when the words after it are not a step.
const USAGE: &str = "Usage: :log shift start [type] | break | resume | end";

/// `:log shift start [type]` → the step; `None` for anything else.
fn parse_step(rest: &str) -> Option<ShiftStep> {
    let mut words = rest.split_whitespace();
    let step = match words.next()?.to_lowercase().as_str() {
        "start" | "on" => ShiftStep::Start(words.next().map(str::to_lowercase)),
        "break" | "pause" => ShiftStep::Break,
        "resume" | "back" => ShiftStep::Resume,
        "end" | "off" | "stop" => ShiftStep::End,
        _ => return None,
    };
    Some(step)
}

/// The in-game answer to a step that went through.
fn done_text(step: &ShiftStep, update: &ShiftUpdate, now_ms: i64) -> String {
    let shift = &update.shift;
    match step {
        ShiftStep::Start(_) => format!("Shift #{} started ({}).", shift.id, shift.kind),
        ShiftStep::Break => format!("Shift #{}: on a break.", shift.id),
        ShiftStep::Resume => format!("Shift #{}: back on shift.", shift.id),
        ShiftStep::End => {
            let worked = shift.worked_ms(i64::MIN, i64::MAX, now_ms).div_euclid(1000);
            format!(
                "Shift #{} ended: {} worked.",
                shift.id,
                hours_minutes(worked)
            )
        }
    }
}

/// A failure worth retrying (the store) stops the consumer at this event; anything else is
/// an answer for the staff member.
fn retry_or_text(error: ActionError) -> Result<String, StoreError> {
    match error {
        ActionError::Store(error) => Err(error),
        other => Ok(other.user_message()),
    }
}

fn with_reply(detail: &str, sent: Result<(), String>) -> String {
    match sent {
        Ok(()) => format!("{detail}; replied in game"),
        Err(e) => format!("{detail}; no reply in game ({e})"),
    }
}

/// `:log shift …` from a linked staff member: the same as `/shift …` in Discord.
pub struct ShiftCommandHandler {
    services: Services,
}

impl ShiftCommandHandler {
    /// The handler, acting through `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
    }

    async fn run(&self, command: &StaffCommand, reply: &Replies) -> Result<(), StoreError> {
        let store = reply.store();
        let rest = command
            .log_entry()
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_default();
        let note = AuditDraft::new(
            AuditAction::StaffCommandShift,
            Some(command.server.clone()),
            json!({ "command": format!(":log shift {rest}"), "event": command.event_id }),
        );
        let actor = command.audit_actor();
        let ticket = begin_audit(store, command.guild, actor, Source::Tracker, note).await?;
        let answer: Result<String, String> = match parse_step(&rest) {
            None => Err(USAGE.to_owned()),
            Some(step) => match store.links().by_roblox(command.guild, command.player_id)? {
                None => Err("Link your Discord account first: /link in Discord, then \
                             :log verify CODE here."
                    .to_owned()),
                Some(link) => {
                    let at_ms = command.time.saturating_mul(1000);
                    let mark = command.mark();
                    let origin = ShiftOrigin {
                        source: ShiftSource::InGame,
                        at_ms,
                        server: Some(command.server.clone()),
                        roblox: Some(ShiftRoblox {
                            id: command.player_id,
                            name: command.player_name.clone(),
                        }),
                        member_name: None,
                        mark: Some(&mark),
                    };
                    let applied = self
                        .services
                        .apply_shift_step(command.guild, link.discord_id, &step, origin)
                        .await;
                    match applied {
                        // Answered when it was first handled, before a restart.
                        Ok(update) if !update.applied => {
                            complete_audit(store, ticket, AuditOutcome::Ok).await;
                            return Ok(());
                        }
                        Ok(update) => Ok(done_text(&step, &update, at_ms)),
                        Err(error) => Err(retry_or_text(error)?),
                    }
                }
            },
        };
        let outcome = match answer {
            Ok(text) => {
                if let Err(e) = reply.pm(command, &text).await {
                    tracing::info!(guild = command.guild, server = %command.server, error = %e, ":log shift done; no reply in game");
                }
                AuditOutcome::Ok
            }
            Err(text) => {
                let sent = reply.pm(command, &text).await;
                AuditOutcome::Failed(with_reply(&text, sent))
            }
        };
        complete_audit(store, ticket, outcome).await;
        Ok(())
    }
}

impl StaffCommandHandler for ShiftCommandHandler {
    fn wants(&self, command: &StaffCommand) -> bool {
        command.log_entry().is_some_and(|(verb, _)| verb == "shift")
    }

    fn handle<'a>(&'a self, command: &'a StaffCommand, reply: &'a Replies) -> HandlerFuture<'a> {
        Box::pin(self.run(command, reply))
    }
}

/// Automatic shifts: a linked staff member's `staff/join` starts one (when the guild turned
/// them on), their `staff/leave` on the same server ends the automatic shift it started.
/// Shifts started by hand are left to their member.
pub struct AutomaticShifts {
    services: Services,
}

impl AutomaticShifts {
    /// The handler, acting through `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
    }

    async fn run(&self, event: &Event) -> Result<(), StoreError> {
        let store = self.services.store();
        let (joined, player) = match EventPayload::from_json(&event.payload) {
            Some(EventPayload::StaffJoin { player }) => (true, player),
            Some(EventPayload::StaffLeave { player }) => (false, player),
            _ => return Ok(()),
        };
        let Some(roblox_id) = player.id else {
            return Ok(());
        };
        if !store
            .settings()
            .guild_settings(event.guild)?
            .shifts
            .automatic
        {
            return Ok(());
        }
        let Some(link) = store.links().by_roblox(event.guild, roblox_id)? else {
            return Ok(());
        };
        let member = link.discord_id;
        let step = if joined {
            ShiftStep::Start(None)
        } else {
            let open = store.shifts().open_shift(event.guild, member)?;
            let ours = open.is_some_and(|s| {
                s.source == ShiftSource::Automatic
                    && s.status == ShiftStatus::Open
                    && s.server.as_deref() == Some(event.server.as_str())
            });
            if !ours {
                return Ok(());
            }
            ShiftStep::End
        };
        let mark = EventMark {
            server: event.server.clone(),
            id: event.id,
        };
        let origin = ShiftOrigin {
            source: ShiftSource::Automatic,
            at_ms: event.source_time.saturating_mul(1000),
            server: Some(event.server.clone()),
            roblox: Some(ShiftRoblox {
                id: roblox_id,
                name: player.name.clone(),
            }),
            member_name: None,
            mark: Some(&mark),
        };
        match self
            .services
            .apply_shift_step(event.guild, member, &step, origin)
            .await
        {
            Ok(_) => Ok(()),
            Err(ActionError::Store(error)) => Err(error),
            // Already on a shift started by hand, or none to end: nothing to do.
            Err(refused) => {
                tracing::debug!(guild = event.guild, member, error = %refused.user_message(), "automatic shift: nothing changed");
                Ok(())
            }
        }
    }
}

impl StoredEventHandler for AutomaticShifts {
    fn wants(&self, event: &Event) -> bool {
        matches!(event.event_type.kind(), "staff/join" | "staff/leave")
    }

    fn handle<'a>(&'a self, event: &'a Event, _reply: &'a Replies) -> HandlerFuture<'a> {
        Box::pin(self.run(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_steps_are_read_from_log_lines() {
        assert_eq!(
            parse_step("START Patrol extra"),
            Some(ShiftStep::Start(Some("patrol".into())))
        );
        assert_eq!(parse_step("start"), Some(ShiftStep::Start(None)));
        assert_eq!(parse_step("break"), Some(ShiftStep::Break));
        assert_eq!(parse_step("resume"), Some(ShiftStep::Resume));
        assert_eq!(parse_step("end"), Some(ShiftStep::End));
        assert_eq!(parse_step(""), None);
        assert_eq!(parse_step("dance"), None);
    }
}
