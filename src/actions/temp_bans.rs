//! Temp bans: `/tempban player duration reason` bans now and files a `temp_ban` case with its
//! expiry; [`Services::lift_due_temp_bans`] (run by the scheduler in `app`) unbans every
//! case whose time has come, including those that fell due while the bot was down, and marks
//! them expired. The schedule is the store's expiry index, so it survives restarts.

use std::time::Duration;

use serde_json::json;

use crate::erlc::api::CommandOptions;
use crate::erlc::{ErlcError, GameCommand, Target};
use crate::store::{AuditActor, AuditOutcome, Case, CaseStatus, Source};

use super::audit_trail::{AuditDraft, begin_audit, complete_audit, erlc_outcome};
use super::cases::CaseEvent;
use super::moderation::Prepared;
use super::{ActionError, ActionReport, AuditAction, Member, ModAction, Services};

/// Longest temp ban: a year (longer is a ban).
pub const MAX_TEMP_BAN: Duration = Duration::from_secs(365 * 24 * 3600);

/// Due temp bans lifted per round.
const LIFT_BATCH: usize = 50;

fn bad_duration(text: &str) -> ActionError {
    ActionError::InvalidInput(format!(
        "`{text}` is not a duration. Use a number and a unit (s, m, h, d or w), such as `30m`, \
         `12h`, `7d` or `1d12h`."
    ))
}

/// Parse `30m`, `12h`, `7d`, `2w`, `1d12h` (units s, m, h, d, w; no spaces needed) into a
/// duration between one second and [`MAX_TEMP_BAN`].
pub fn parse_duration(text: &str) -> Result<Duration, ActionError> {
    let typed = text.trim().to_lowercase();
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut parts = 0;
    for c in typed.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad_duration(text)),
        };
        let amount: u64 = digits.parse().map_err(|_| bad_duration(text))?;
        digits.clear();
        parts += 1;
        total = amount
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| bad_duration(text))?;
    }
    if parts == 0 || !digits.is_empty() {
        return Err(bad_duration(text));
    }
    let duration = Duration::from_secs(total);
    if duration.is_zero() || duration > MAX_TEMP_BAN {
        return Err(ActionError::InvalidInput(format!(
            "A temp ban lasts from one second to a year; `{text}` does not. For longer, use \
             `/ban`."
        )));
    }
    Ok(duration)
}

impl Services {
    /// Ban `player` now and file a `temp_ban` case that ends after `length` (see
    /// [`parse_duration`]). Needs `ban`; audited as a ban.
    pub async fn tempban(
        &self,
        guild: u64,
        actor: &Member,
        server: Option<&str>,
        player: &str,
        length: Duration,
        reason: Option<String>,
    ) -> Result<ActionReport, ActionError> {
        let source = Source::SlashCommand;
        let action = ModAction::Ban {
            player: player.to_owned(),
            reason,
        };
        let (record, handle) = self
            .authorize_on_server(guild, actor, source, server, &action)
            .await?;
        let (command, player) = self
            .build_checked(guild, actor, source, &record.label, &handle, &action)
            .await?;
        let text = command.to_checked_text().map_err(ErlcError::from)?;
        let length_ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
        let expires_at_ms = self.store().clock().now_ms().saturating_add(length_ms);
        let prepared = Prepared {
            action,
            server_label: record.label,
            text,
            player,
            extra: json!({ "temp_ban_until_ms": expires_at_ms }),
            expires_at_ms: Some(expires_at_ms),
        };
        self.execute(guild, actor, source, &handle, prepared).await
    }

    /// Unban every temp ban that is due (at most a batch per call) and mark its case
    /// expired. A ban whose server cannot be reached stays due and is tried next round.
    /// Returns how many were lifted.
    pub async fn lift_due_temp_bans(&self) -> Result<usize, ActionError> {
        let now = self.store().clock().now_ms();
        let due = self.store().cases().due_expiries(now, LIFT_BATCH)?;
        let mut lifted = 0;
        for entry in due {
            let Some(case) = self.store().cases().get(entry.guild, entry.number)? else {
                continue;
            };
            match self.lift(&case).await {
                Ok(()) => lifted += 1,
                Err(error) => tracing::warn!(
                    guild = case.guild,
                    case = case.number,
                    %error,
                    "could not lift a temp ban; trying again later"
                ),
            }
        }
        Ok(lifted)
    }

    /// Unban one temp ban's player (audited as the bot), then mark the case expired.
    async fn lift(&self, case: &Case) -> Result<(), ActionError> {
        let label = case.server.as_deref().ok_or(ActionError::NoServer)?;
        let handle = self.directory().handle(case.guild, label).await?;
        let target = match case.target.id {
            Some(id) => Target::Id(id),
            None => match Target::parse(&case.target.name).map_err(ErlcError::from)? {
                name @ Target::Name(_) => name,
                Target::Id(id) => Target::Id(id),
                // Never `:unban all`: a case names one player.
                Target::All | Target::Others => {
                    return Err(ActionError::InvalidInput(format!(
                        "case #{} names no single player to unban",
                        case.number
                    )));
                }
            },
        };
        let text = GameCommand::Unban { target }
            .to_checked_text()
            .map_err(ErlcError::from)?;
        let note = AuditDraft::new(
            AuditAction::CaseExpire,
            Some(case.target.name.clone()),
            json!({ "case": case.number, "server": label, "command": text }),
        );
        let actor = AuditActor::System("temp bans".into());
        let ticket = begin_audit(self.store(), case.guild, actor, Source::Scheduler, note).await?;
        let sent = handle.send_command(&text, &CommandOptions::default()).await;
        if let Err(error) = sent {
            complete_audit(self.store(), ticket, erlc_outcome(&error)).await;
            return Err(error.into());
        }
        complete_audit(self.store(), ticket, AuditOutcome::Ok).await;
        let now = self.store().clock().now_ms();
        let expired = self.store().cases().update(case.guild, case.number, |c| {
            c.set_status(
                CaseStatus::Expired,
                None,
                Some("lifted when due".into()),
                now,
            )
            .map_err(|from| ActionError::InvalidInput(format!("case is {}", from.as_str())))
        })?;
        if let Some(expired) = expired {
            self.publish_case(&expired, CaseEvent::Updated).await?;
        }
        Ok(())
    }

    /// When the next temp ban falls due (Unix ms), for the scheduler's sleep.
    pub fn next_temp_ban_expiry(&self) -> Result<Option<i64>, ActionError> {
        Ok(self.store().cases().next_expiry()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let secs = |text: &str| parse_duration(text).map(|d| d.as_secs()).ok();
        assert_eq!(secs("30m"), Some(1800));
        assert_eq!(secs("12h"), Some(43_200));
        assert_eq!(secs("7d"), Some(604_800));
        assert_eq!(secs(" 1d 12H "), Some(129_600));
        assert_eq!(secs("2w"), Some(1_209_600));
        assert_eq!(secs("45s"), Some(45));
        for bad in [
            "3x",
            "",
            "d",
            "12",
            "1.5h",
            "-1d",
            "0m",
            "400d",
            "99999999999999999999w",
        ] {
            let error = parse_duration(bad).unwrap_err().user_message();
            assert!(!error.is_empty(), "{bad}");
        }
        assert!(
            parse_duration("3x")
                .unwrap_err()
                .user_message()
                .contains("`3x`")
        );
    }
}
