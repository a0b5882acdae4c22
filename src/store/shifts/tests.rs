use std::collections::BTreeSet;

use super::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// 2026-12-07T00:00:00Z, a UTC midnight.
const MIDNIGHT: i64 = 1_796_601_600_000;

fn shifts() -> (sled::Db, Shifts) {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let shifts = Shifts::open(&db).unwrap();
    (db, shifts)
}

fn new_shift(member: u64, at: i64) -> NewShift {
    NewShift {
        member,
        roblox: Some(ShiftRoblox {
            id: member + 1000,
            name: format!("R{member}"),
        }),
        kind: "general".into(),
        server: Some("main".into()),
        source: ShiftSource::Discord,
        started_at_ms: at,
    }
}

fn mark(id: u64) -> EventMark {
    EventMark {
        server: "main".into(),
        id,
    }
}

fn refusal(result: Result<ShiftChange, ShiftError>) -> ShiftRefusal {
    match result {
        Err(ShiftError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn applied(result: Result<ShiftChange, ShiftError>) -> Shift {
    match result.unwrap() {
        ShiftChange::Applied(s) => s,
        ShiftChange::Replayed(s) => panic!("expected a change, got a replay of #{}", s.id),
    }
}

/// A closed shift built by hand, for the arithmetic.
fn shift(start: i64, end: Option<i64>, breaks: &[(i64, Option<i64>)]) -> Shift {
    let mut s = Shift::from_new(1, 1, new_shift(5, start));
    s.breaks = breaks
        .iter()
        .map(|&(start_ms, end_ms)| ShiftBreak { start_ms, end_ms })
        .collect();
    if let Some(end) = end {
        s.ended_at_ms = Some(end);
        s.status = ShiftStatus::Ended;
    }
    s
}

#[test]
fn one_open_shift_per_member_and_ids_per_guild() {
    let (_db, store) = shifts();
    let a = applied(store.start(1, new_shift(5, 1_000), None));
    assert_eq!((a.id, a.status), (1, ShiftStatus::Open));
    assert_eq!(
        refusal(store.start(1, new_shift(5, 2_000), None)),
        ShiftRefusal::AlreadyOpen(1)
    );
    let b = applied(store.start(1, new_shift(6, 2_000), None));
    let other_guild = applied(store.start(2, new_shift(5, 2_000), None));
    assert_eq!((b.id, other_guild.id), (2, 1));
    assert_eq!(store.open_shift(1, 5).unwrap().unwrap().id, 1);
    assert_eq!(store.open_shifts(1).unwrap().len(), 2);
    let ended = applied(store.end(1, 5, 5_000, None));
    assert_eq!(
        (ended.status, ended.ended_at_ms),
        (ShiftStatus::Ended, Some(5_000))
    );
    assert_eq!(store.open_shift(1, 5).unwrap(), None);
    assert_eq!(applied(store.start(1, new_shift(5, 6_000), None)).id, 3);
    let mut bad = new_shift(7, 0);
    bad.kind = "Not A Type".into();
    assert!(matches!(
        refusal(store.start(1, bad, None)),
        ShiftRefusal::BadType(_)
    ));
}

#[test]
fn concurrent_starts_give_one_open_shift() {
    let (_db, store) = shifts();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mine = store.start(3, new_shift(5, t), None);
                let other = store.start(3, new_shift(100 + t as u64, t), None);
                (mine.is_ok(), other.unwrap().shift().id)
            })
        })
        .collect();
    let results: Vec<(bool, u64)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|(won, _)| *won).count(), 1);
    assert_eq!(store.open_shifts(3).unwrap().len(), 9);
    let ids: BTreeSet<u64> = store.open_shifts(3).unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, (1..=9).collect(), "ids distinct and none skipped");
}

#[test]
fn breaks_resume_and_their_refusals() {
    let (_db, store) = shifts();
    assert_eq!(
        refusal(store.take_break(1, 5, 0, None)),
        ShiftRefusal::NoOpenShift
    );
    store.start(1, new_shift(5, 0), None).unwrap();
    assert_eq!(
        refusal(store.resume(1, 5, HOUR, None)),
        ShiftRefusal::NotOnBreak
    );
    assert!(applied(store.take_break(1, 5, HOUR, None)).on_break());
    assert_eq!(
        refusal(store.take_break(1, 5, HOUR, None)),
        ShiftRefusal::AlreadyOnBreak
    );
    // A resume stamped before the break began (clock skew) cannot make negative time.
    let resumed = applied(store.resume(1, 5, HOUR - 5, None));
    assert_eq!(resumed.breaks[0].end_ms, Some(HOUR));
    store.take_break(1, 5, 2 * HOUR, None).unwrap();
    // Ending while on a break ends the break too.
    let ended = applied(store.end(1, 5, 3 * HOUR, None));
    assert_eq!(ended.breaks[1].end_ms, Some(3 * HOUR));
    assert_eq!(ended.worked_ms(0, DAY, 10 * HOUR), 2 * HOUR);
    assert_eq!(ended.break_ms(0, DAY, 10 * HOUR), HOUR);
}

#[test]
fn worked_time_excludes_breaks_and_counts_open_shifts_to_now() {
    let s = shift(0, Some(4 * HOUR), &[(HOUR, Some(HOUR + 30 * MIN))]);
    assert_eq!(s.worked_ms(0, DAY, DAY), 3 * HOUR + 30 * MIN);
    // Still open and on a break: counts up to the break's start.
    let open = shift(0, None, &[(HOUR, None)]);
    assert_eq!(open.worked_ms(0, DAY, 2 * HOUR), HOUR);
    assert_eq!(open.break_ms(0, DAY, 2 * HOUR), HOUR);
    // Open, no break: up to now, and nothing before it started.
    let running = shift(HOUR, None, &[]);
    assert_eq!(running.worked_ms(0, DAY, 3 * HOUR), 2 * HOUR);
    assert_eq!(running.worked_ms(0, DAY, 0), 0);
}

#[test]
fn overlapping_breaks_are_counted_once() {
    // Two edits left breaks that overlap (and one inside another): the time off is their union.
    let s = shift(
        0,
        Some(10 * HOUR),
        &[
            (HOUR, Some(3 * HOUR)),
            (2 * HOUR, Some(4 * HOUR)),
            (2 * HOUR + MIN, Some(2 * HOUR + 2 * MIN)),
            (9 * HOUR, Some(11 * HOUR)),
        ],
    );
    assert_eq!(s.break_ms(0, DAY, DAY), 4 * HOUR);
    assert_eq!(s.worked_ms(0, DAY, DAY), 6 * HOUR);
}

#[test]
fn utc_period_edges_clip_and_split_exactly() {
    // 22:00 to 03:00 across a UTC midnight, a break 23:30–00:30.
    let start = MIDNIGHT - 2 * HOUR;
    let s = shift(
        start,
        Some(MIDNIGHT + 3 * HOUR),
        &[(MIDNIGHT - 30 * MIN, Some(MIDNIGHT + 30 * MIN))],
    );
    let day_before = s.worked_ms(MIDNIGHT - DAY, MIDNIGHT, MIDNIGHT + DAY);
    let day_of = s.worked_ms(MIDNIGHT, MIDNIGHT + DAY, MIDNIGHT + DAY);
    assert_eq!(day_before, HOUR + 30 * MIN);
    assert_eq!(day_of, 2 * HOUR + 30 * MIN);
    assert_eq!(day_before + day_of, s.worked_ms(i64::MIN, i64::MAX, 0));
    // The end is exclusive: a shift ending exactly at midnight adds nothing to the next day.
    let evening = shift(MIDNIGHT - HOUR, Some(MIDNIGHT), &[]);
    assert_eq!(
        evening.worked_ms(MIDNIGHT, MIDNIGHT + DAY, MIDNIGHT + DAY),
        0
    );
    assert!(!evening.overlaps(MIDNIGHT, MIDNIGHT + DAY, MIDNIGHT + DAY));
}

#[test]
fn adjustments_count_in_the_period_of_the_start_and_voided_counts_zero() {
    let mut s = shift(MIDNIGHT - HOUR, Some(MIDNIGHT + HOUR), &[]);
    s.adjustments.push(ShiftAdjustment {
        minutes: -30,
        reason: "left early".into(),
        by: 9,
        at_ms: MIDNIGHT + DAY,
    });
    assert_eq!(s.worked_ms(MIDNIGHT - DAY, MIDNIGHT, 0), 30 * MIN);
    assert_eq!(s.worked_ms(MIDNIGHT, MIDNIGHT + DAY, 0), HOUR);
    s.status = ShiftStatus::Voided;
    assert_eq!(s.worked_ms(i64::MIN, i64::MAX, 0), 0);
    assert_eq!(s.break_ms(i64::MIN, i64::MAX, 0), 0);
}

#[test]
fn a_restart_in_the_middle_replays_nothing_twice() {
    let (_db, store) = shifts();
    // join (event 1), break (2), resume (3), leave (4), join again (5); the consumer crashed
    // before saving its cursor and replays everything.
    let apply = |store: &Shifts| {
        let mut new = new_shift(5, HOUR);
        new.source = ShiftSource::Automatic;
        let first = store.start(1, new.clone(), Some(&mark(1))).unwrap();
        store.take_break(1, 5, 2 * HOUR, Some(&mark(2))).unwrap();
        store.resume(1, 5, 3 * HOUR, Some(&mark(3))).unwrap();
        store.end(1, 5, 5 * HOUR, Some(&mark(4))).unwrap();
        new.started_at_ms = 6 * HOUR;
        store.start(1, new, Some(&mark(5))).unwrap();
        first.is_applied()
    };
    assert!(apply(&store));
    assert!(!apply(&store), "the replay changed nothing");
    let page = store.member_page(1, 5, None, 0, 10).unwrap();
    assert_eq!(page.shifts.len(), 2, "no duplicate shift");
    let second = &page.shifts[0];
    assert_eq!((second.id, second.status), (2, ShiftStatus::Open));
    let first = &page.shifts[1];
    assert_eq!(first.ended_at_ms, Some(5 * HOUR));
    assert_eq!(first.worked_ms(0, DAY, DAY), 3 * HOUR);
    // The same event on another server is a different event.
    let other = EventMark {
        server: "second".into(),
        id: 4,
    };
    assert!(applied(store.end(1, 5, 7 * HOUR, Some(&other))).ended_at_ms == Some(7 * HOUR));
}

#[test]
fn member_history_pages_newest_first() {
    let (_db, store) = shifts();
    for i in 0..7 {
        store.start(1, new_shift(5, i * HOUR), None).unwrap();
        store.end(1, 5, i * HOUR + MIN, None).unwrap();
        store.start(1, new_shift(6, i * HOUR), None).unwrap();
        store.end(1, 6, i * HOUR + MIN, None).unwrap();
    }
    let starts = |page: &ShiftPage| -> Vec<i64> {
        page.shifts.iter().map(|s| s.started_at_ms / HOUR).collect()
    };
    let first = store.member_page(1, 5, None, 0, 3).unwrap();
    assert_eq!((starts(&first), first.has_more), (vec![6, 5, 4], true));
    let last = store.member_page(1, 5, None, 2, 3).unwrap();
    assert_eq!((starts(&last), last.has_more), (vec![0], false));
    let since = store.member_page(1, 5, Some(4 * HOUR), 0, 10).unwrap();
    assert_eq!((starts(&since), since.has_more), (vec![6, 5, 4], false));
    assert!(since.shifts.iter().all(|s| s.member == 5));
}

#[test]
fn a_period_finds_every_overlapping_shift() {
    let (_db, store) = shifts();
    let from = MIDNIGHT;
    let to = MIDNIGHT + DAY;
    // Ended the day before: out.
    store.start(1, new_shift(1, from - 5 * HOUR), None).unwrap();
    store.end(1, 1, from - 4 * HOUR, None).unwrap();
    // Began three days before and spans the whole period: in.
    store.start(1, new_shift(2, from - 3 * DAY), None).unwrap();
    store.end(1, 2, to + HOUR, None).unwrap();
    // Inside: in.
    store.start(1, new_shift(3, from + HOUR), None).unwrap();
    store.end(1, 3, from + 2 * HOUR, None).unwrap();
    // Open since a week ago: in.
    store.start(1, new_shift(4, from - 7 * DAY), None).unwrap();
    // Starts at the period's end: out. Another guild: out.
    store.start(1, new_shift(5, to), None).unwrap();
    store.start(2, new_shift(3, from + HOUR), None).unwrap();
    let found: Vec<u64> = store
        .in_period(1, from, to, to + DAY)
        .unwrap()
        .iter()
        .map(|s| s.member)
        .collect();
    assert_eq!(found, vec![4, 2, 3]);
    assert!(store.in_period(1, to, from, to).unwrap().is_empty());
}

#[test]
fn adjustments_and_voids_are_kept_on_the_shift() {
    let (_db, store) = shifts();
    store.start(1, new_shift(5, 0), None).unwrap();
    let adjustment = ShiftAdjustment {
        minutes: 15,
        reason: "forgot to start".into(),
        by: 9,
        at_ms: HOUR,
    };
    let adjusted = store.adjust(1, 1, adjustment.clone()).unwrap();
    assert_eq!(adjusted.adjustments, vec![adjustment.clone()]);
    assert_eq!(adjusted.worked_ms(0, DAY, HOUR), HOUR + 15 * MIN);
    let record = store.adjust_member(1, 6, "general", adjustment).unwrap();
    assert_eq!(
        (record.source, record.status, record.member),
        (ShiftSource::Admin, ShiftStatus::Ended, 6)
    );
    assert_eq!(record.worked_ms(0, DAY, DAY), 15 * MIN);
    let void = ShiftVoid {
        by: 9,
        at_ms: 2 * HOUR,
    };
    let voided = store.void(1, 1, void).unwrap();
    assert_eq!(
        (voided.status, voided.ended_at_ms),
        (ShiftStatus::Voided, Some(2 * HOUR))
    );
    assert_eq!(
        store.open_shift(1, 5).unwrap(),
        None,
        "a voided shift is not open"
    );
    assert!(matches!(
        store.void(1, 1, void),
        Err(ShiftError::Refused(ShiftRefusal::AlreadyVoided(1)))
    ));
    assert!(matches!(
        store.void(1, 99, void),
        Err(ShiftError::Refused(ShiftRefusal::Unknown(99)))
    ));
}

#[test]
fn purging_a_guild_removes_its_shifts_only() {
    let (_db, store) = shifts();
    store.start(1, new_shift(5, 0), Some(&mark(1))).unwrap();
    store.start(1, new_shift(6, 0), None).unwrap();
    store.end(1, 6, HOUR, None).unwrap();
    store.start(2, new_shift(5, 0), None).unwrap();
    assert_eq!(store.purge_guild(1).unwrap(), 2);
    assert_eq!(store.open_shift(1, 5).unwrap(), None);
    assert!(store.in_period(1, 0, DAY, DAY).unwrap().is_empty());
    assert!(
        store
            .member_page(1, 6, None, 0, 5)
            .unwrap()
            .shifts
            .is_empty()
    );
    assert_eq!(store.open_shift(2, 5).unwrap().unwrap().id, 1);
    // Ids start over and the event mark is gone with the guild.
    assert!(
        store
            .start(1, new_shift(5, 0), Some(&mark(1)))
            .unwrap()
            .is_applied()
    );
}
