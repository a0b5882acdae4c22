//! Shifts at scale (issue 15 §4b): one guild with 200,000 shifts by 100 staff over about a
//! year, each with a break. The shift half of `/activity report` for 100 staff over 30 days
//! (every shift of the period read through the start index, each member's time summed) and a
//! member's `/shift history` page. Criterion times them; the setup also prints the report's
//! p50 and p99 over 200 runs, the figure the issue bounds (500 ms).

use std::collections::BTreeMap;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use erlc_bot::store::{MasterKeySource, NewShift, ShiftSource, Store, StoreConfig};

const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const SHIFTS: i64 = 200_000;
const STAFF: i64 = 100;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// Shifts start every `SPACING` ms across the guild: 200,000 of them span about 370 days.
const SPACING: i64 = 160_000;
const START: i64 = 1_700_000_000_000;

fn fill(store: &Store) -> i64 {
    let shifts = store.shifts();
    for n in 0..SHIFTS {
        let member = 1_000 + (n % STAFF) as u64;
        let at = START + n * SPACING;
        let new = NewShift {
            member,
            roblox: None,
            kind: "general".into(),
            server: Some("main".into()),
            source: ShiftSource::Automatic,
            started_at_ms: at,
        };
        shifts.start(1, new, None).unwrap();
        shifts.take_break(1, member, at + HOUR, None).unwrap();
        shifts.resume(1, member, at + HOUR + 600_000, None).unwrap();
        // Two to three hours: each member's shifts never overlap (100 × 160 s apart).
        shifts
            .end(1, member, at + 2 * HOUR + (n % 60) * 60_000, None)
            .unwrap();
    }
    START + SHIFTS * SPACING
}

/// The shift half of an activity report: every member's time in `[from, to)`.
fn report(store: &Store, from: i64, to: i64) -> BTreeMap<u64, i64> {
    let mut totals = BTreeMap::new();
    for shift in store.shifts().in_period(1, from, to, to).unwrap() {
        *totals.entry(shift.member).or_insert(0) += shift.worked_ms(from, to, to);
    }
    totals
}

fn percentiles_ms(runs: usize, mut run: impl FnMut()) -> (f64, f64) {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1_000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[runs / 2], times[runs * 99 / 100 - 1])
}

fn shift_queries(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(
        dir.path(),
        MasterKeySource::Env(KEY_HEX.into()),
    ))
    .unwrap();
    let filling = Instant::now();
    let end = fill(&store);
    store.flush().unwrap();
    eprintln!("stored {SHIFTS} shifts in {:.1?}", filling.elapsed());
    let (from, to) = (end - 30 * DAY, end);
    let totals = report(&store, from, to);
    assert_eq!(
        totals.len(),
        STAFF as usize,
        "every member worked in the period"
    );
    let (p50, p99) = percentiles_ms(200, || {
        report(&store, from, to);
    });
    eprintln!("30-day report for {STAFF} staff: p50 {p50:.1} ms, p99 {p99:.1} ms");
    let (p50, p99) = percentiles_ms(1_000, || {
        store.shifts().member_page(1, 1_000, None, 0, 10).unwrap();
    });
    eprintln!("a member's history page: p50 {p50:.2} ms, p99 {p99:.2} ms");

    c.bench_function("report_30_days_100_staff", |b| {
        b.iter(|| report(&store, from, to))
    });
    c.bench_function("member_history_page_1", |b| {
        b.iter(|| store.shifts().member_page(1, 1_000, None, 0, 10).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = shift_queries
}
criterion_main!(benches);
