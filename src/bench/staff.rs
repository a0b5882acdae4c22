//! `bench staff` (issue 15 §4b): one guild with 100,000 cases and 200,000 shifts spread
//! over a year of history, 100 staff with a role quota and some approved leave. Times what a
//! shift admin waits on: a `/cases player` page (the heavy player who has a tenth of all
//! cases, and typical ones), `/activity report` over the last 30 days, and its PNG chart. The
//! report and the pages go through the same actions as the bot's; roles come from memory
//! instead of Discord.

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;

use super::BenchError;
use super::store::{Quantiles, elapsed_us, new_histogram};
use crate::actions::{
    ActionError, CaseQuery, Member, MemberFuture, MemberLookup, Services, ServicesOptions,
};
use crate::app::local::ScratchDir;
use crate::clock::ManualClock;
use crate::erlc::{ClientConfig, ErlcClient};
use crate::reports::dates::{DAY_MS, format_day};
use crate::store::shifts::DEFAULT_TYPE;
use crate::store::{
    CaseModerator, CaseSource, CaseStatus, CaseTarget, MasterKeySource, NewCase, NewLeave,
    NewShift, RoleQuota, ShiftSource, Source, Store, StoreConfig,
};

const GUILD: u64 = 1;
/// The role every bench staff member has, with its quota.
const STAFF_ROLE: u64 = 77;
/// First Discord id of the bench staff (the rest follow).
const FIRST_STAFF: u64 = 10_000;
/// Every tenth case is about this player, as a heavy offender's page is the slow one.
const HEAVY_PLAYER: u64 = 1;
const HEAVY_EVERY: u64 = 10;
/// Other players, with a few cases each.
const PLAYERS: u64 = 5_000;
/// The year the records are spread over ends here (2026-03-02 00:00 UTC).
const END_MS: i64 = 1_772_409_600_000;

/// `erlc-bot bench staff`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct StaffBenchArgs {
    /// Cases in the guild.
    #[arg(long, default_value_t = 100_000)]
    pub cases: u64,
    /// Shift records in the guild.
    #[arg(long, default_value_t = 200_000)]
    pub shifts: u64,
    /// Staff members they belong to.
    #[arg(long, default_value_t = 100)]
    pub staff: u64,
    /// Days of history the records are spread over.
    #[arg(long, default_value_t = 365)]
    pub history_days: i64,
    /// Days the activity report covers (the last ones).
    #[arg(long, default_value_t = 30)]
    pub report_days: i64,
    /// Case pages to time.
    #[arg(long, default_value_t = 1_000)]
    pub pages: usize,
    /// Reports (and charts) to time.
    #[arg(long, default_value_t = 20)]
    pub reports: usize,
}

/// What `bench staff` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffBenchReport {
    /// Cases written.
    pub cases: u64,
    /// Shifts written.
    pub shifts: u64,
    /// Seconds the writes took.
    pub write_seconds: f64,
    /// `/cases player` first page of the heavy player, in microseconds.
    pub heavy_page_us: Quantiles,
    /// `/cases player` first page of a typical player, in microseconds.
    pub page_us: Quantiles,
    /// `/activity report`, in microseconds.
    pub report_us: Quantiles,
    /// Staff lines in the report.
    pub report_rows: usize,
    /// Shifts the report's period holds.
    pub report_shifts: u64,
    /// The report's PNG chart, in microseconds.
    pub chart_us: Quantiles,
    /// Size of the PNG, in bytes.
    pub png_bytes: usize,
    /// Size of the CSV, in bytes.
    pub csv_bytes: usize,
}

/// Roles of the bench staff, from memory: every member has the quota role.
struct BenchRoles;

impl MemberLookup for BenchRoles {
    fn member(&self, _guild: u64, user: u64) -> MemberFuture<'_> {
        Box::pin(async move {
            Ok(Some(Member {
                discord_id: user,
                name: format!("staff{user}"),
                roles: vec![STAFF_ROLE],
                is_admin: false,
            }))
        })
    }
}

fn write_cases(
    store: &Store,
    clock: &ManualClock,
    args: &StaffBenchArgs,
) -> Result<(), BenchError> {
    let history = args.history_days * DAY_MS;
    let start = END_MS - history;
    let step = history / i64::try_from(args.cases.max(1)).unwrap_or(i64::MAX);
    for n in 0..args.cases {
        clock.set_ms(start + i64::try_from(n).unwrap_or(i64::MAX) * step);
        let player = if n % HEAVY_EVERY == 0 {
            HEAVY_PLAYER
        } else {
            1_000 + n % PLAYERS
        };
        let moderator = FIRST_STAFF + n % args.staff;
        let case = NewCase {
            kind: ["warning", "kick", "ban", "note"][(n % 4) as usize].into(),
            target: CaseTarget {
                id: Some(player),
                name: format!("player{player}"),
            },
            moderator: CaseModerator::discord(moderator, &format!("staff{moderator}")),
            reason: Some(format!("bench case {n}")),
            server: Some("main".into()),
            source: if n % 3 == 0 {
                CaseSource::InGame
            } else {
                CaseSource::Discord
            },
            status: CaseStatus::Active,
            expires_at_ms: None,
            audit_seq: None,
        };
        store.cases().create(GUILD, case)?;
    }
    Ok(())
}

/// Each member's shifts back to back over the history: equal slots, the first two thirds
/// worked, with a break in the middle of every other one.
fn write_shifts(store: &Store, args: &StaffBenchArgs) -> Result<(), BenchError> {
    let per_member = args.shifts / args.staff;
    let slot = args.history_days * DAY_MS / i64::try_from(per_member.max(1)).unwrap_or(1);
    let start = END_MS - args.history_days * DAY_MS;
    let shifts = store.shifts();
    let refused = |e: crate::store::ShiftError| BenchError::Read(e.to_string());
    for i in 0..per_member {
        for s in 0..args.staff {
            let member = FIRST_STAFF + s;
            let begin =
                start + i64::try_from(i).unwrap_or(0) * slot + (slot / 100) * (s as i64 % 10);
            let new = NewShift {
                member,
                roblox: None,
                kind: DEFAULT_TYPE.into(),
                server: Some("main".into()),
                source: ShiftSource::Discord,
                started_at_ms: begin,
            };
            shifts.start(GUILD, new, None).map_err(refused)?;
            if i % 2 == 0 {
                shifts
                    .take_break(GUILD, member, begin + slot / 4, None)
                    .map_err(refused)?;
                shifts
                    .resume(GUILD, member, begin + slot / 3, None)
                    .map_err(refused)?;
            }
            shifts
                .end(GUILD, member, begin + slot * 2 / 3, None)
                .map_err(refused)?;
        }
    }
    Ok(())
}

/// A week of approved leave for every tenth member, inside the report's period.
fn write_leaves(store: &Store, args: &StaffBenchArgs) -> Result<(), BenchError> {
    for s in (0..args.staff).step_by(10) {
        let leave = NewLeave {
            member: FIRST_STAFF + s,
            member_name: format!("staff{}", FIRST_STAFF + s),
            from_ms: END_MS - 10 * DAY_MS,
            until_ms: END_MS - 3 * DAY_MS,
            reason: "bench".into(),
        };
        let leave = store
            .leaves()
            .request(GUILD, leave, END_MS)
            .map_err(|e| BenchError::Read(e.to_string()))?;
        store
            .leaves()
            .decide(GUILD, leave.id, true, 1, END_MS)
            .map_err(|e| BenchError::Read(e.to_string()))?;
    }
    store.settings().update_guild_settings(GUILD, |g| {
        g.quotas = vec![RoleQuota {
            role: STAFF_ROLE,
            minutes: 600,
            actions: Some(10),
        }]
    })?;
    Ok(())
}

async fn time_page(
    services: &Services,
    admin: &Member,
    query: &CaseQuery,
    histogram: &mut Histogram<u64>,
) -> Result<(), BenchError> {
    let started = Instant::now();
    let page = services
        .list_cases(GUILD, admin, query, None, 0, Source::SlashCommand)
        .await
        .map_err(|e: ActionError| BenchError::Read(e.to_string()))?;
    histogram.saturating_record(elapsed_us(started));
    if page.cases.is_empty() {
        return Err(BenchError::Read("a case page came back empty".into()));
    }
    Ok(())
}

/// The first `/cases player` page of the heavy player and of typical ones, in turn.
async fn time_pages(
    services: &Services,
    admin: &Member,
    args: &StaffBenchArgs,
) -> Result<(Quantiles, Quantiles), BenchError> {
    let (mut heavy, mut typical) = (new_histogram(), new_histogram());
    let heavy_query = CaseQuery::Player(HEAVY_PLAYER.to_string());
    for i in 0..args.pages {
        time_page(services, admin, &heavy_query, &mut heavy).await?;
        // A player with cases: every tenth case is the heavy player's, so players
        // 1000 + k with k a multiple of ten
        // have none; and case n is about 1000 + n % PLAYERS, so k stays below the cases.
        let span = args.cases.clamp(10, PLAYERS) / 10 * 10;
        let k = (i as u64 * 10) % span + 1 + i as u64 % 9;
        let player = 1_000 + k;
        let query = CaseQuery::Player(player.to_string());
        time_page(services, admin, &query, &mut typical).await?;
    }
    Ok((Quantiles::of(&heavy), Quantiles::of(&typical)))
}

/// Run `bench staff` in a scratch directory (removed afterwards).
pub async fn bench_staff(args: &StaffBenchArgs) -> Result<StaffBenchReport, BenchError> {
    if args.staff == 0 || args.cases == 0 || args.shifts < args.staff || args.reports == 0 {
        return Err(BenchError::Arguments);
    }
    let scratch = ScratchDir::create("erlc-bot-bench-staff")?;
    let clock = Arc::new(ManualClock::new(END_MS));
    let mut config = StoreConfig::new(
        scratch.path().join("data"),
        MasterKeySource::Env(hex::encode(rand::random::<[u8; 32]>())),
    );
    config.clock = clock.clone();
    let store = Store::open(config)?;
    let started = Instant::now();
    write_cases(&store, &clock, args)?;
    write_shifts(&store, args)?;
    write_leaves(&store, args)?;
    store.flush_async().await?;
    let write_seconds = started.elapsed().as_secs_f64();
    clock.set_ms(END_MS);
    let client =
        ErlcClient::new(ClientConfig::default()).map_err(|e| BenchError::Read(e.to_string()))?;
    let services = Services::new(store.clone(), client, ServicesOptions::default());
    let admin = Member {
        discord_id: 1,
        name: "admin".into(),
        roles: Vec::new(),
        is_admin: true,
    };
    let (heavy_page_us, page_us) = time_pages(&services, &admin, args).await?;
    let from = format_day(END_MS - args.report_days * DAY_MS);
    let to = format_day(END_MS - DAY_MS);
    let (mut reports, mut charts) = (new_histogram(), new_histogram());
    let mut last = None;
    for _ in 0..args.reports {
        let started = Instant::now();
        let report = services
            .activity_report(GUILD, &admin, Some(&from), Some(&to), &BenchRoles)
            .await
            .map_err(|e| BenchError::Read(e.to_string()))?;
        reports.saturating_record(elapsed_us(started));
        let started = Instant::now();
        let png = report
            .chart_png()
            .map_err(|e| BenchError::Read(e.to_string()))?;
        charts.saturating_record(elapsed_us(started));
        last = Some((report, png));
    }
    let (report, png) = last.ok_or(BenchError::Arguments)?;
    let report_shifts = report.rows.iter().map(|r| u64::from(r.shifts)).sum();
    Ok(StaffBenchReport {
        cases: args.cases,
        shifts: args.shifts / args.staff * args.staff,
        write_seconds,
        heavy_page_us,
        page_us,
        report_us: Quantiles::of(&reports),
        report_rows: report.rows.len(),
        report_shifts,
        chart_us: Quantiles::of(&charts),
        png_bytes: png.len(),
        csv_bytes: report.csv().len(),
    })
}

/// The report as a Markdown table, with the targets beside the figures.
pub fn staff_table(r: &StaffBenchReport) -> String {
    let ms = |q: &Quantiles| {
        format!(
            "{:.2} / {:.2} / {:.2}",
            q.p50 as f64 / 1000.0,
            q.p99 as f64 / 1000.0,
            q.max as f64 / 1000.0
        )
    };
    format!(
        "| cases | shifts | write s | /cases player page, heavy player (10% of cases) p50 / p99 / max ms (target p99 < 20) \
         | /cases player page, typical player p50 / p99 / max ms | /activity report p50 / p99 / max ms (target < 500) \
         | staff lines | shifts in period | PNG chart p50 / p99 / max ms (target < 200) | PNG bytes | CSV bytes |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n\
         | {} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        r.cases,
        r.shifts,
        r.write_seconds,
        ms(&r.heavy_page_us),
        ms(&r.page_us),
        ms(&r.report_us),
        r.report_rows,
        r.report_shifts,
        ms(&r.chart_us),
        r.png_bytes,
        r.csv_bytes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_small_run_reports_every_staff_member() {
        let args = StaffBenchArgs {
            cases: 300,
            shifts: 400,
            staff: 10,
            history_days: 60,
            report_days: 30,
            pages: 40,
            reports: 2,
        };
        let report = bench_staff(&args).await.unwrap();
        assert_eq!(
            (report.cases, report.shifts, report.report_rows),
            (300, 400, 10)
        );
        // Half the history is in the period: about half of each member's 40 shifts.
        assert!((190..=215).contains(&report.report_shifts), "{report:?}");
        assert!(report.png_bytes > 0 && report.csv_bytes > 0);
        assert!(staff_table(&report).contains("| 300 | 400 |"));
        assert!(matches!(
            bench_staff(&StaffBenchArgs { staff: 0, ..args }).await,
            Err(BenchError::Arguments)
        ));
    }
}
