//! Leaves of absence: a staff member (`shifts`) asks for leave over whole UTC days; a shift admin (not the
//! one away) approves or denies it on its card; approved leave excuses the member from
//! quotas for those days (see [`crate::reports::quota`]). Every step is audited.

use serde_json::json;

use crate::reports::dates::{DAY_MS, day_start, format_day, parse_day};
use crate::store::{AuditOutcome, Capability, Leave, LeaveError, NewLeave, Source};

use super::audit_trail::{AuditDraft, failure_outcome};
use super::{ActionError, AuditAction, Member, Services};

/// The longest leave one request may cover.
pub const MAX_LEAVE_DAYS: i64 = 366;

fn leave_error(error: LeaveError) -> ActionError {
    match error {
        LeaveError::Store(e) => e.into(),
        LeaveError::Overlaps(existing) => ActionError::InvalidInput(format!(
            "You already have leave #{} ({}) from {} to {}, which shares days with this one. \
             Ask for the days that are not covered.",
            existing.id,
            existing.status.as_str(),
            format_day(existing.from_ms),
            format_day(existing.until_ms - DAY_MS)
        )),
        other => ActionError::InvalidInput(format!("{}.", capitalised(&other.to_string()))),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The leaves one `/loa list` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveList {
    /// Whose leaves: a member, or `None` for everyone's (a shift admin's default).
    pub member: Option<u64>,
    /// Current and upcoming leaves, soonest first.
    pub leaves: Vec<Leave>,
}

impl Services {
    /// Ask for leave from the day `from` to the day `to` (both included, UTC; `YYYY-MM-DD`
    /// or relative such as `3d`). Refused when `to` is before `from`, the leave is over
    /// already, longer than [`MAX_LEAVE_DAYS`], or overlaps the member's pending or approved
    /// leave. Needs `shifts`; audited as `loa.request`.
    pub async fn loa_request(
        &self,
        guild: u64,
        actor: &Member,
        from: &str,
        to: &str,
        reason: &str,
    ) -> Result<Leave, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Shifts,
            AuditAction::LoaRequest,
            Source::SlashCommand,
        )
        .await?;
        let now = self.store().clock().now_ms();
        let bad = |e: crate::reports::dates::DateError| ActionError::InvalidInput(e.to_string());
        let from_ms = parse_day(from, now).map_err(bad)?;
        let until_ms = parse_day(to, now).map_err(bad)? + DAY_MS;
        if until_ms <= from_ms {
            return Err(ActionError::InvalidInput(format!(
                "The leave would end ({}) before it starts ({}): `to` is the last day away.",
                format_day(until_ms - DAY_MS),
                format_day(from_ms)
            )));
        }
        if until_ms <= day_start(now) {
            return Err(ActionError::InvalidInput(
                "That leave is over already; ask for days from today on.".into(),
            ));
        }
        if until_ms - from_ms > MAX_LEAVE_DAYS * DAY_MS {
            return Err(ActionError::InvalidInput(format!(
                "One request covers at most {MAX_LEAVE_DAYS} days; ask again for the rest later."
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ActionError::InvalidInput(
                "Say why you will be away.".into(),
            ));
        }
        let note = AuditDraft::new(
            AuditAction::LoaRequest,
            None,
            json!({
                "from": format_day(from_ms),
                "to": format_day(until_ms - DAY_MS),
                "reason": reason,
            }),
        );
        let leave = NewLeave {
            member: actor.discord_id,
            member_name: actor.name.clone(),
            from_ms,
            until_ms,
            reason: reason.to_owned(),
        };
        self.audited(guild, actor, note, async || {
            self.store()
                .leaves()
                .request(guild, leave, now)
                .map_err(leave_error)
        })
        .await
    }

    /// Approve or deny leave `id` (needs `shift_admin`; not one's own). Audited as
    /// `loa.approve` or `loa.deny`.
    pub async fn loa_decide(
        &self,
        guild: u64,
        actor: &Member,
        id: u64,
        approve: bool,
    ) -> Result<Leave, ActionError> {
        let action = if approve {
            AuditAction::LoaApprove
        } else {
            AuditAction::LoaDeny
        };
        let source = Source::Button;
        self.require(guild, actor, Capability::ShiftAdmin, action, source)
            .await?;
        let leaves = self.store().leaves();
        let leave = leaves
            .get(guild, id)?
            .ok_or_else(|| leave_error(LeaveError::NotFound(id)))?;
        if leave.member == actor.discord_id {
            return Err(ActionError::InvalidInput(
                "You cannot decide your own leave; another shift admin does.".into(),
            ));
        }
        let note = AuditDraft::new(
            action,
            Some(format!("#{id}")),
            json!({
                "member": leave.member.to_string(),
                "from": format_day(leave.from_ms),
                "to": format_day(leave.until_ms - DAY_MS),
            }),
        );
        let ticket = self.audit_begin(guild, actor, source, note).await?;
        let now = self.store().clock().now_ms();
        let decided = leaves
            .decide(guild, id, approve, actor.discord_id, now)
            .map_err(leave_error);
        let outcome = match &decided {
            Ok(_) => AuditOutcome::Ok,
            Err(e) => failure_outcome(e),
        };
        self.audit_complete(ticket, outcome).await;
        decided
    }

    /// Current and upcoming leaves: one's own; another member's, or everyone's (no member
    /// named), need `shift_admin`.
    pub async fn loa_list(
        &self,
        guild: u64,
        actor: &Member,
        member: Option<u64>,
    ) -> Result<LeaveList, ActionError> {
        let admin = self
            .capabilities(guild, actor)?
            .contains(&Capability::ShiftAdmin);
        let member = match member {
            Some(m) if m != actor.discord_id => {
                self.require(
                    guild,
                    actor,
                    Capability::ShiftAdmin,
                    AuditAction::LoaList,
                    Source::SlashCommand,
                )
                .await?;
                Some(m)
            }
            None if admin => None,
            _ => Some(actor.discord_id),
        };
        let today = day_start(self.store().clock().now_ms());
        let mut leaves: Vec<Leave> = self
            .store()
            .leaves()
            .all(guild)?
            .into_iter()
            .filter(|l| l.until_ms > today && member.is_none_or(|m| l.member == m))
            .collect();
        leaves.sort_by_key(|l| (l.from_ms, l.id));
        Ok(LeaveList { member, leaves })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::actions::ServicesOptions;
    use crate::clock::ManualClock;
    use crate::erlc::{ClientConfig, ErlcClient};
    use crate::store::{AuditQuery, MasterKeySource, Store, StoreConfig};

    async fn services_at(now_ms: i64) -> (Services, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = StoreConfig::new(dir.path(), MasterKeySource::Env("22".repeat(32)));
        config.clock = Arc::new(ManualClock::new(now_ms));
        let store = Store::open(config).unwrap();
        let erlc = ErlcClient::new(ClientConfig::with_base_url("http://127.0.0.1:9")).unwrap();
        (Services::new(store, erlc, ServicesOptions::default()), dir)
    }

    fn member(id: u64, roles: Vec<u64>) -> Member {
        Member {
            discord_id: id,
            name: format!("m{id}"),
            roles,
            is_admin: false,
        }
    }

    #[tokio::test]
    async fn request_decide_and_list() {
        // 2026-03-04 12:00 UTC.
        let (services, _dir) = services_at(1_772_625_600_000).await;
        let store = services.store();
        store
            .settings()
            .set_role_capabilities(1, 50, &[Capability::Shifts, Capability::ShiftAdmin].into())
            .unwrap();
        store
            .settings()
            .set_role_capabilities(1, 51, &[Capability::Shifts].into())
            .unwrap();
        let alice = member(7, vec![51]);
        let boss = member(8, vec![50]);
        let outsider = member(9, vec![]);
        let refused = services
            .loa_request(1, &outsider, "today", "today", "x")
            .await;
        assert!(matches!(refused, Err(ActionError::PermissionDenied { .. })));
        let leave = services
            .loa_request(1, &alice, "2026-03-05", "2026-03-07", " exams ")
            .await
            .unwrap();
        assert_eq!((leave.id, leave.reason.as_str()), (1, "exams"));
        assert_eq!(leave.until_ms - leave.from_ms, 3 * DAY_MS);
        // Clear refusals.
        for (from, to, says) in [
            ("2026-03-09", "2026-03-08", "before it starts"),
            ("2026-13-01", "2026-03-08", "not a day of the calendar"),
            ("-9d", "-5d", "over already"),
            ("2026-03-06", "2026-03-10", "shares days"),
            ("today", "400d", "at most"),
        ] {
            let refused = services.loa_request(1, &alice, from, to, "x").await;
            let text = refused.unwrap_err().user_message();
            assert!(text.contains(says), "{from}..{to}: {text}");
        }
        // Only a shift admin decides, and not their own leave.
        let refused = services.loa_decide(1, &alice, 1, true).await.unwrap_err();
        assert!(matches!(refused, ActionError::PermissionDenied { .. }));
        let own = services
            .loa_request(1, &boss, "today", "today", "dentist")
            .await
            .unwrap();
        assert!(services.loa_decide(1, &boss, own.id, true).await.is_err());
        let approved = services.loa_decide(1, &boss, 1, true).await.unwrap();
        assert_eq!(approved.decided_by, Some(8));
        let again = services.loa_decide(1, &boss, 1, false).await.unwrap_err();
        assert!(again.user_message().contains("already approved"), "{again}");
        // Lists: one's own; everyone's for the admin; another's only for the admin.
        let mine = services.loa_list(1, &alice, None).await.unwrap();
        assert_eq!((mine.member, mine.leaves.len()), (Some(7), 1));
        let all = services.loa_list(1, &boss, None).await.unwrap();
        assert_eq!(all.leaves.iter().map(|l| l.id).collect::<Vec<_>>(), [2, 1]);
        assert!(services.loa_list(1, &alice, Some(8)).await.is_err());
        let query = AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        };
        let audit = store.audit().search(1, &query).unwrap().entries;
        let names: Vec<&str> = audit.iter().map(|e| e.intent.action.as_str()).collect();
        for expected in ["loa.request", "loa.approve", "loa.list"] {
            assert!(names.contains(&expected), "{names:?}");
        }
    }
}
