//! The staff activity report (`/activity report`, `shift_admin`): per staff member over a
//! period of whole UTC days, time on shift and on break, in-game moderation actions, cases
//! filed, mod calls answered, and whether they met their quota, with a CSV and a PNG chart.
//!
//! Where each figure comes from:
//! - shift and break time: the shift store (clipped to the period; adjustments included);
//! - in-game actions: moderation commands (`:kick`, `:ban`, `:unban`, `:jail`, `:unjail`,
//!   `:log warn`, `:log note`) in the stored command logs, typed by the member's linked
//!   Roblox account. A case filed from one of those commands is the same action and is not
//!   counted again;
//! - cases filed: the member's cases (any source, not voided or failed) created in the period;
//! - mod calls answered: `modcall/answered` events naming their linked Roblox account;
//! - quota: the highest weekly quota of the member's roles, pro rata over the period less
//!   approved leave (see [`crate::reports::quota`]); its actions count in-game actions plus
//!   cases filed from Discord.
//!
//! Staff are the members with any of the above, or with approved leave, in the period.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;

use crate::events::Pattern;
use crate::events::catalog::EventPayload;
use crate::reports::chart::{self, Bar, ChartError};
use crate::reports::csv::push_row;
use crate::reports::dates::{DAY_MS, day_start, format_day, parse_day, week_start};
use crate::reports::quota::{self, Quota, Requirement, Verdict};
use crate::store::{
    Capability, CaseSource, CaseStatus, EventQuery, Order, RoleQuota, Source, StoreError,
};

use super::leaves::MAX_LEAVE_DAYS;
use super::{ActionError, AuditAction, MemberLookup, Services};

/// Member lookups in flight at once while a report gathers roles.
const LOOKUPS_IN_FLIGHT: usize = 8;
/// Events read per page while counting commands and answered mod calls.
const EVENT_PAGE: usize = 1000;

/// One staff member's line.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    /// Discord user id.
    pub member: u64,
    /// Display name (untrusted text).
    pub name: String,
    /// Shifts that overlap the period.
    pub shifts: u32,
    /// Time on shift inside the period, breaks excluded, adjustments included (never below 0).
    pub worked_ms: i64,
    /// Time on break inside the period.
    pub break_ms: i64,
    /// Moderation commands typed in game.
    pub game_actions: u64,
    /// Cases they filed (any source).
    pub cases_filed: u64,
    /// Cases they filed from Discord (these count as actions beside the in-game ones).
    pub discord_cases: u64,
    /// Mod calls they answered in game.
    pub modcalls: u64,
    /// The quota that applies (their highest role quota), if any.
    pub quota: Option<RoleQuota>,
    /// What that quota asks of them over this period.
    pub required: Option<Requirement>,
    /// Approved leave inside the period.
    pub leave_ms: i64,
    /// Met, missed, in progress, excused, or no quota.
    pub verdict: Verdict,
    /// Whether the member's roles could be read (a member who left has none).
    pub roles_known: bool,
}

impl ActivityRow {
    /// Minutes on shift, rounded down.
    pub fn minutes(&self) -> u64 {
        u64::try_from(self.worked_ms / 60_000).unwrap_or(0)
    }

    /// Actions that count towards an actions quota.
    pub fn quota_actions(&self) -> u64 {
        self.game_actions + self.discord_cases
    }
}

/// The report over `[from_ms, until_ms)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityReport {
    /// First moment of the period (a UTC midnight).
    pub from_ms: i64,
    /// End of the period, exclusive (a UTC midnight).
    pub until_ms: i64,
    /// When the report was made; open shifts count up to here.
    pub now_ms: i64,
    /// One line per staff member, most time on shift first.
    pub rows: Vec<ActivityRow>,
}

impl ActivityReport {
    /// `YYYY-MM-DD to YYYY-MM-DD` (both included).
    pub fn period_text(&self) -> String {
        format!(
            "{} to {}",
            format_day(self.from_ms),
            format_day(self.until_ms - DAY_MS)
        )
    }

    /// The whole table as CSV, names neutralised against spreadsheet formulas.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        push_row(
            &mut out,
            &[
                "member_id",
                "member",
                "shift_minutes",
                "break_minutes",
                "shifts",
                "in_game_actions",
                "cases_filed",
                "modcalls_answered",
                "quota_role_id",
                "weekly_quota_minutes",
                "weekly_quota_actions",
                "required_minutes",
                "required_actions",
                "leave_days",
                "quota",
            ],
        );
        let opt = |n: Option<u64>| n.map_or_else(String::new, |n| n.to_string());
        for row in &self.rows {
            let required = row.required.as_ref();
            push_row(
                &mut out,
                &[
                    row.member.to_string(),
                    row.name.clone(),
                    row.minutes().to_string(),
                    (row.break_ms / 60_000).to_string(),
                    row.shifts.to_string(),
                    row.game_actions.to_string(),
                    row.cases_filed.to_string(),
                    row.modcalls.to_string(),
                    opt(row.quota.map(|q| q.role)),
                    opt(row.quota.map(|q| u64::from(q.minutes))),
                    opt(row.quota.and_then(|q| q.actions).map(u64::from)),
                    opt(required.map(|r| r.minutes)),
                    opt(required.and_then(|r| r.actions)),
                    format!("{:.1}", row.leave_ms as f64 / DAY_MS as f64),
                    row.verdict.as_str().to_owned(),
                ],
            );
        }
        out
    }

    /// The chart: minutes on shift per member, each member's required minutes marked.
    pub fn chart_png(&self) -> Result<Vec<u8>, ChartError> {
        let bars: Vec<Bar> = self
            .rows
            .iter()
            .map(|row| Bar {
                label: row.name.clone(),
                minutes: row.worked_ms as f64 / 60_000.0,
                quota: row.required.map(|r| r.minutes as f64),
            })
            .collect();
        chart::minutes_png(
            &format!("Staff activity, {} (UTC)", self.period_text()),
            &bars,
        )
    }
}

/// Whether a command-log line is a moderation command (see the module notes).
fn is_moderation_command(command: &str) -> bool {
    let mut words = command
        .trim_start()
        .trim_start_matches(':')
        .split_whitespace()
        .map(str::to_ascii_lowercase);
    match words.next().as_deref() {
        Some("kick" | "ban" | "unban" | "jail" | "unjail") => true,
        Some("log") => matches!(words.next().as_deref(), Some("warn" | "note")),
        _ => false,
    }
}

#[derive(Default)]
struct Tally {
    name: Option<String>,
    shifts: u32,
    worked_ms: i64,
    break_ms: i64,
    game_actions: u64,
    cases_filed: u64,
    discord_cases: u64,
    modcalls: u64,
    leaves: Vec<(i64, i64)>,
}

impl Services {
    /// The activity report from the day `from` to the day `to` (both included, UTC;
    /// `YYYY-MM-DD` or relative such as `-7d`); by default from this week's Monday to today.
    /// Needs `shift_admin`. Roles (for quotas) are read through `members`.
    pub async fn activity_report(
        &self,
        guild: u64,
        actor: &super::Member,
        from: Option<&str>,
        to: Option<&str>,
        members: &dyn MemberLookup,
    ) -> Result<ActivityReport, ActionError> {
        self.require(
            guild,
            actor,
            Capability::ShiftAdmin,
            AuditAction::ActivityReport,
            Source::SlashCommand,
        )
        .await?;
        let now = self.store().clock().now_ms();
        let bad = |e: crate::reports::dates::DateError| ActionError::InvalidInput(e.to_string());
        let from_ms = match from {
            Some(text) => parse_day(text, now).map_err(bad)?,
            None => week_start(now),
        };
        let until_ms = match to {
            Some(text) => parse_day(text, now).map_err(bad)? + DAY_MS,
            None => day_start(now) + DAY_MS,
        };
        if until_ms <= from_ms {
            return Err(ActionError::InvalidInput(format!(
                "The period would end ({}) before it starts ({}).",
                format_day(until_ms - DAY_MS),
                format_day(from_ms)
            )));
        }
        if until_ms - from_ms > MAX_LEAVE_DAYS * DAY_MS {
            return Err(ActionError::InvalidInput(format!(
                "A report covers at most {MAX_LEAVE_DAYS} days."
            )));
        }
        let tallies = self.tally(guild, from_ms, until_ms, now)?;
        let quotas: Vec<RoleQuota> = self.store().settings().guild_settings(guild)?.quotas;
        let table: Vec<(u64, Quota)> = quotas
            .iter()
            .map(|q| {
                let quota = Quota {
                    minutes: q.minutes,
                    actions: q.actions,
                };
                (q.role, quota)
            })
            .collect();
        let looked_up: HashMap<u64, Option<super::Member>> =
            futures::stream::iter(tallies.keys().copied())
                .map(|member| async move {
                    let found = members.member(guild, member).await.unwrap_or_else(|e| {
                        tracing::info!(member, "roles unknown for the activity report: {e}");
                        None
                    });
                    (member, found)
                })
                .buffer_unordered(LOOKUPS_IN_FLIGHT)
                .collect()
                .await;
        let period_over = now >= until_ms;
        let mut rows: Vec<ActivityRow> = tallies
            .into_iter()
            .map(|(member, tally)| {
                let found = looked_up.get(&member).and_then(Option::as_ref);
                let chosen = found.and_then(|m| quota::effective(&m.roles, &table));
                let quota = chosen.and_then(|(role, _)| quotas.iter().find(|q| q.role == role));
                let required =
                    chosen.map(|(_, q)| quota::requirement(q, from_ms, until_ms, &tally.leaves));
                let worked_ms = tally.worked_ms.max(0);
                let actions = tally.game_actions + tally.discord_cases;
                let minutes = u64::try_from(worked_ms / 60_000).unwrap_or(0);
                ActivityRow {
                    member,
                    name: found
                        .map(|m| m.name.clone())
                        .or(tally.name)
                        .unwrap_or_else(|| member.to_string()),
                    shifts: tally.shifts,
                    worked_ms,
                    break_ms: tally.break_ms,
                    game_actions: tally.game_actions,
                    cases_filed: tally.cases_filed,
                    discord_cases: tally.discord_cases,
                    modcalls: tally.modcalls,
                    quota: quota.copied(),
                    required,
                    leave_ms: quota::covered_ms(from_ms, until_ms, &tally.leaves),
                    verdict: quota::verdict(required.as_ref(), minutes, actions, period_over),
                    roles_known: found.is_some(),
                }
            })
            .collect();
        rows.sort_by(|a, b| b.worked_ms.cmp(&a.worked_ms).then(a.name.cmp(&b.name)));
        Ok(ActivityReport {
            from_ms,
            until_ms,
            now_ms: now,
            rows,
        })
    }

    /// The shift leaderboard (`(member, ms on shift)`, best first) as a PNG bar chart, names
    /// read through `members` (an id stands in for a member who cannot be found).
    pub async fn leaderboard_png(
        &self,
        guild: u64,
        board: &[(u64, i64)],
        title: &str,
        members: &dyn MemberLookup,
    ) -> Result<Vec<u8>, ChartError> {
        let ids: Vec<u64> = board.iter().map(|(member, _)| *member).collect();
        let names: HashMap<u64, String> = futures::stream::iter(ids)
            .map(|member| async move {
                let name = match members.member(guild, member).await {
                    Ok(Some(found)) => found.name,
                    _ => member.to_string(),
                };
                (member, name)
            })
            .buffer_unordered(LOOKUPS_IN_FLIGHT)
            .collect()
            .await;
        let bars: Vec<Bar> = board
            .iter()
            .map(|(member, ms)| Bar {
                label: names.get(member).cloned().unwrap_or_default(),
                minutes: *ms as f64 / 60_000.0,
                quota: None,
            })
            .collect();
        let title = title.to_owned();
        tokio::task::spawn_blocking(move || chart::minutes_png(&title, &bars))
            .await
            .map_err(|e| ChartError::new(format!("the chart task failed: {e}")))?
    }

    /// Everything the store knows about each member's activity in the period.
    fn tally(
        &self,
        guild: u64,
        from_ms: i64,
        until_ms: i64,
        now: i64,
    ) -> Result<BTreeMap<u64, Tally>, ActionError> {
        let store = self.store();
        let mut tallies: BTreeMap<u64, Tally> = BTreeMap::new();
        for shift in store.shifts().in_period(guild, from_ms, until_ms, now)? {
            let tally = tallies.entry(shift.member).or_default();
            tally.shifts += 1;
            tally.worked_ms += shift.worked_ms(from_ms, until_ms, now);
            tally.break_ms += shift.break_ms(from_ms, until_ms, now);
        }
        for case in store.cases().created_between(guild, from_ms, until_ms)? {
            if matches!(case.status, CaseStatus::Voided | CaseStatus::Failed) {
                continue;
            }
            let member = match (case.moderator.discord_id, case.moderator.roblox_id) {
                (Some(member), _) => Some(member),
                (None, Some(roblox)) => store
                    .links()
                    .by_roblox(guild, roblox)?
                    .map(|l| l.discord_id),
                (None, None) => None,
            };
            if let Some(member) = member {
                let tally = tallies.entry(member).or_default();
                tally.cases_filed += 1;
                tally.discord_cases += u64::from(case.source == CaseSource::Discord);
                if tally.name.is_none() {
                    tally.name = case.moderator.discord_name.clone();
                }
            }
        }
        self.tally_events(guild, from_ms, until_ms, &mut tallies)?;
        for leave in store.leaves().approved_between(guild, from_ms, until_ms)? {
            let tally = tallies.entry(leave.member).or_default();
            tally.leaves.push((leave.from_ms, leave.until_ms));
            tally.name.get_or_insert(leave.member_name);
        }
        Ok(tallies)
    }

    /// Moderation commands and answered mod calls in the stored events, by linked member.
    fn tally_events(
        &self,
        guild: u64,
        from_ms: i64,
        until_ms: i64,
        tallies: &mut BTreeMap<u64, Tally>,
    ) -> Result<(), ActionError> {
        let store = self.store();
        let patterns = ["?/command", "?/modcall/answered"]
            .into_iter()
            .map(Pattern::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut query = EventQuery {
            patterns,
            from: Some(from_ms.div_euclid(1000)),
            to: Some((until_ms - 1).div_euclid(1000)),
            order: Order::Ascending,
            max_results: EVENT_PAGE,
            ..EventQuery::default()
        };
        let mut linked: HashMap<u64, Option<u64>> = HashMap::new();
        let mut member_of = |roblox: Option<u64>| -> Result<Option<u64>, StoreError> {
            let Some(roblox) = roblox else {
                return Ok(None);
            };
            if let Some(known) = linked.get(&roblox) {
                return Ok(*known);
            }
            let member = store
                .links()
                .by_roblox(guild, roblox)?
                .map(|l| l.discord_id);
            linked.insert(roblox, member);
            Ok(member)
        };
        loop {
            let page = store.events().query(guild, &query)?;
            for event in &page.events {
                match EventPayload::from_json(&event.payload) {
                    Some(EventPayload::Command { player, command })
                        if is_moderation_command(&command) =>
                    {
                        if let Some(member) = member_of(player.id)? {
                            tallies.entry(member).or_default().game_actions += 1;
                        }
                    }
                    Some(EventPayload::ModCallAnswered { moderator, .. }) => {
                        if let Some(member) = member_of(moderator.id)? {
                            tallies.entry(member).or_default().modcalls += 1;
                        }
                    }
                    _ => {}
                }
            }
            match page.next {
                Some(next) if page.more_follows => query.after = Some(next),
                _ => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::actions::{Member, MemberFuture, ServicesOptions};
    use crate::clock::ManualClock;
    use crate::erlc::{ClientConfig, ErlcClient};
    use crate::store::shifts::DEFAULT_TYPE;
    use crate::store::{
        CaseModerator, CaseTarget, MasterKeySource, NewCase, NewLeave, NewShift, ShiftSource,
        Store, StoreConfig,
    };

    const MONDAY: i64 = 1_772_409_600_000; // 2026-03-02 00:00 UTC
    const HOUR: i64 = 3_600_000;

    struct Roles(HashMap<u64, Member>);

    impl MemberLookup for Roles {
        fn member(&self, _guild: u64, user: u64) -> MemberFuture<'_> {
            let found = self.0.get(&user).cloned();
            Box::pin(async move { Ok(found) })
        }
    }

    fn member(id: u64, roles: Vec<u64>) -> Member {
        Member {
            discord_id: id,
            name: format!("=m{id}"),
            roles,
            is_admin: false,
        }
    }

    #[tokio::test]
    async fn shifts_cases_leave_and_quotas_make_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = StoreConfig::new(dir.path(), MasterKeySource::Env("22".repeat(32)));
        // Wednesday 12:00.
        config.clock = Arc::new(ManualClock::new(MONDAY + 2 * DAY_MS + 12 * HOUR));
        let store = Store::open(config).unwrap();
        let erlc = ErlcClient::new(ClientConfig::with_base_url("http://127.0.0.1:9")).unwrap();
        let services = Services::new(store.clone(), erlc, ServicesOptions::default());
        let quota = RoleQuota {
            role: 60,
            minutes: 140,
            actions: Some(2),
        };
        store
            .settings()
            .update_guild_settings(1, |g| g.quotas = vec![quota])
            .unwrap();
        // Member 7: Monday 10:00-12:00 with a 30-minute break, and a case from Discord today.
        let shifts = store.shifts();
        let new = NewShift {
            member: 7,
            roblox: None,
            kind: DEFAULT_TYPE.into(),
            server: None,
            source: ShiftSource::Discord,
            started_at_ms: MONDAY + 10 * HOUR,
        };
        shifts.start(1, new, None).unwrap();
        shifts.take_break(1, 7, MONDAY + 11 * HOUR, None).unwrap();
        shifts
            .resume(1, 7, MONDAY + 11 * HOUR + HOUR / 2, None)
            .unwrap();
        shifts.end(1, 7, MONDAY + 12 * HOUR, None).unwrap();
        let case = NewCase {
            kind: "warning".into(),
            target: CaseTarget {
                id: Some(5),
                name: "P".into(),
            },
            moderator: CaseModerator::discord(7, "m7"),
            reason: None,
            server: None,
            source: CaseSource::Discord,
            status: CaseStatus::Active,
            expires_at_ms: None,
            audit_seq: None,
        };
        store.cases().create(1, case).unwrap();
        // Member 8: approved leave on Monday and Tuesday.
        let leave = NewLeave {
            member: 8,
            member_name: "m8".into(),
            from_ms: MONDAY,
            until_ms: MONDAY + 2 * DAY_MS,
            reason: "away".into(),
        };
        let leave = store.leaves().request(1, leave, MONDAY).unwrap();
        store.leaves().decide(1, leave.id, true, 9, MONDAY).unwrap();
        let roles = Roles(HashMap::from([
            (7, member(7, vec![60])),
            (8, member(8, vec![60])),
        ]));
        let admin = Member {
            is_admin: true,
            ..member(1, vec![])
        };

        // This week so far (Monday to Wednesday): 3/7 of the quota.
        let week = services
            .activity_report(1, &admin, None, None, &roles)
            .await
            .unwrap();
        assert_eq!(week.period_text(), "2026-03-02 to 2026-03-04");
        let [first, second] = week.rows.as_slice() else {
            panic!("{:?}", week.rows);
        };
        assert_eq!(
            (first.member, first.minutes(), first.break_ms),
            (7, 90, HOUR / 2)
        );
        assert_eq!((first.cases_filed, first.quota_actions()), (1, 1));
        let required = first.required.unwrap();
        assert_eq!((required.minutes, required.actions), (60, Some(1)));
        assert_eq!(first.verdict, Verdict::Met);
        // On leave two of the three days: 1/7 of the quota, not done yet this week.
        assert_eq!(second.member, 8);
        assert_eq!(second.required.unwrap().minutes, 20);
        assert_eq!(second.verdict, Verdict::InProgress);

        // Monday and Tuesday only (over): 8 is excused; 7 did the minutes but no action.
        let past = services
            .activity_report(1, &admin, Some("2026-03-02"), Some("2026-03-03"), &roles)
            .await
            .unwrap();
        let verdicts: Vec<(u64, Verdict)> =
            past.rows.iter().map(|r| (r.member, r.verdict)).collect();
        assert_eq!(verdicts, [(7, Verdict::Missed), (8, Verdict::Excused)]);

        // The CSV neutralises the names; the chart is a PNG.
        let csv = past.csv();
        assert!(csv.starts_with("member_id,member,shift_minutes,"), "{csv}");
        assert!(
            csv.contains("\r\n7,'=m7,90,30,1,0,0,0,60,140,2,40,1,0.0,missed\r\n"),
            "{csv}"
        );
        assert!(past.chart_png().unwrap().starts_with(b"\x89PNG"));

        // Refusals: no shift_admin; a period that ends before it starts.
        let refused = services
            .activity_report(1, &member(7, vec![60]), None, None, &roles)
            .await;
        assert!(matches!(refused, Err(ActionError::PermissionDenied { .. })));
        let backwards = services
            .activity_report(1, &admin, Some("2026-03-04"), Some("2026-03-02"), &roles)
            .await
            .unwrap_err();
        assert!(backwards.user_message().contains("before it starts"));
    }

    #[test]
    fn moderation_commands_are_told_from_the_rest() {
        for yes in [
            ":kick Bob rdm",
            ":BAN 123",
            "  :jail A",
            ":log warn Bob spam",
            ":log NOTE x",
        ] {
            assert!(is_moderation_command(yes), "{yes}");
        }
        for no in [
            ":pm Bob hi",
            ":log verify ABC",
            ":log",
            ":h hello",
            "",
            ":kickme",
            ":tp a b",
        ] {
            assert!(!is_moderation_command(no), "{no}");
        }
    }
}
