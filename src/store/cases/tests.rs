use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;

fn cases() -> (sled::Db, Cases) {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let cases = Cases::open(&db, Arc::new(ManualClock::new(1_000))).unwrap();
    (db, cases)
}

fn new_case(kind: &str, player: Option<u64>, name: &str, moderator: u64) -> NewCase {
    NewCase {
        kind: kind.into(),
        target: CaseTarget {
            id: player,
            name: name.into(),
        },
        moderator: CaseModerator::discord(moderator, "Mod"),
        reason: Some("because".into()),
        server: Some("main".into()),
        source: CaseSource::Discord,
        status: CaseStatus::Active,
        expires_at_ms: None,
        audit_seq: None,
    }
}

fn numbers(page: &CasePage) -> Vec<u64> {
    page.cases.iter().map(|c| c.number).collect()
}

#[test]
fn numbers_are_per_guild_and_consecutive() {
    let (_db, store) = cases();
    let a = store
        .create(1, new_case("warning", Some(5), "A", 9))
        .unwrap();
    let b = store.create(1, new_case("note", Some(5), "A", 9)).unwrap();
    let other = store.create(2, new_case("note", Some(5), "A", 9)).unwrap();
    assert_eq!((a.number, b.number, other.number), (1, 2, 1));
    assert_eq!(store.get(1, 2).unwrap().unwrap().kind, "note");
    assert_eq!(store.get(1, 3).unwrap(), None);
    assert_eq!(a.created_at_ms, 1_000);
    assert!(store.create(1, new_case("Bad Type", None, "A", 9)).is_err());
    assert_eq!(
        store
            .create(1, new_case("kick", None, "A", 9))
            .unwrap()
            .number,
        3
    );
}

#[test]
fn concurrent_creation_never_shares_or_skips_a_number() {
    let (_db, store) = cases();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| {
                        let case = new_case("warning", Some(t), "P", i);
                        store.create(7, case).unwrap().number
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let distinct: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), 400, "no number handed out twice");
    assert_eq!(distinct, (1..=400).collect(), "none skipped");
    for number in [1, 200, 400] {
        assert_eq!(store.get(7, number).unwrap().unwrap().number, number);
    }
}

#[test]
fn pages_by_player_moderator_and_type_newest_first() {
    let (_db, store) = cases();
    for i in 0..25u64 {
        let kind = if i % 2 == 0 { "warning" } else { "kick" };
        store
            .create(1, new_case(kind, Some(5 + i % 2), "A", 100 + i % 3))
            .unwrap();
    }
    let by_player = |id, kind, page| {
        let target = CaseTarget {
            id: Some(id),
            name: String::new(),
        };
        store
            .page(1, &CaseFilter::Player(target), kind, page, 5)
            .unwrap()
    };
    let first = by_player(5, None, 0);
    assert_eq!(numbers(&first), [25, 23, 21, 19, 17]);
    assert!(first.has_more);
    let last = by_player(5, None, 2);
    assert_eq!(numbers(&last), [5, 3, 1]);
    assert!(!last.has_more);
    assert!(by_player(5, Some("kick"), 0).cases.is_empty());
    assert_eq!(
        numbers(&by_player(6, Some("kick"), 0)),
        [24, 22, 20, 18, 16]
    );

    let moderator = store
        .page(1, &CaseFilter::DiscordModerator(100), None, 0, 50)
        .unwrap();
    assert_eq!(numbers(&moderator), [25, 22, 19, 16, 13, 10, 7, 4, 1]);
    let kicks = store
        .page(1, &CaseFilter::Type("kick".into()), None, 0, 50)
        .unwrap();
    assert_eq!(kicks.cases.len(), 12);
    assert!(
        store
            .page(2, &CaseFilter::Type("kick".into()), None, 0, 50)
            .unwrap()
            .cases
            .is_empty()
    );
}

#[test]
fn a_player_without_an_id_is_found_by_name_in_any_case() {
    let (_db, store) = cases();
    store.create(1, new_case("ban", None, "Guest", 9)).unwrap();
    let target = CaseTarget {
        id: None,
        name: "gUEST".into(),
    };
    let page = store
        .page(1, &CaseFilter::Player(target), None, 0, 5)
        .unwrap();
    assert_eq!(numbers(&page), [1]);
}

#[test]
fn updates_keep_history_and_refusals_write_nothing() {
    let (_db, store) = cases();
    store
        .create(1, new_case("warning", Some(5), "A", 9))
        .unwrap();
    let by = CaseModerator::discord(3, "Admin");
    let edited = store
        .update(1, 1, |c| {
            c.set_reason("new".into(), by.clone(), 2_000);
            Ok::<_, StoreError>(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(edited.reason.as_deref(), Some("new"));
    assert_eq!(edited.history.len(), 1);
    let refused = store.update(1, 1, |c| {
        c.set_reason("lost".into(), by.clone(), 3_000);
        Err(StoreError::Invalid("no".into()))
    });
    assert!(refused.is_err());
    assert_eq!(store.get(1, 1).unwrap().unwrap(), edited);
    let retargeted = store.update(1, 1, |c| {
        c.kind = "kick".into();
        Ok::<_, StoreError>(())
    });
    assert!(retargeted.is_err(), "indexed fields stay");
    let missing = store.update(1, 99, |_| Ok::<_, StoreError>(())).unwrap();
    assert_eq!(missing, None);
}

#[test]
fn temp_bans_are_due_in_expiry_order_until_they_end() {
    let (_db, store) = cases();
    let temp = |expires| NewCase {
        expires_at_ms: Some(expires),
        status: CaseStatus::Pending,
        ..new_case("temp_ban", Some(5), "A", 9)
    };
    store.create(1, temp(5_000)).unwrap();
    store.create(2, temp(3_000)).unwrap();
    store.create(1, temp(9_000)).unwrap();
    assert_eq!(store.next_expiry().unwrap(), Some(3_000));
    let due = store.due_expiries(5_000, 10).unwrap();
    let found: Vec<(u64, u64)> = due.iter().map(|d| (d.guild, d.number)).collect();
    assert_eq!(found, [(2, 1), (1, 1)]);
    assert_eq!(store.due_expiries(5_000, 1).unwrap().len(), 1);

    let end = |status| {
        move |c: &mut Case| {
            c.set_status(status, None, None, 6_000)
                .map_err(|from| StoreError::Invalid(format!("from {from:?}")))
        }
    };
    store.update(2, 1, end(CaseStatus::Failed)).unwrap();
    store.update(1, 1, end(CaseStatus::Active)).unwrap();
    assert_eq!(
        store.due_expiries(5_000, 10).unwrap().len(),
        1,
        "still active"
    );
    store.update(1, 1, end(CaseStatus::Expired)).unwrap();
    assert!(store.due_expiries(5_000, 10).unwrap().is_empty());
    assert_eq!(store.next_expiry().unwrap(), Some(9_000));
    assert!(store.update(1, 1, end(CaseStatus::Active)).is_err());
}

#[test]
fn a_removed_guild_takes_its_cases_along() {
    let (_db, store) = cases();
    let temp = NewCase {
        expires_at_ms: Some(5_000),
        ..new_case("temp_ban", Some(5), "A", 9)
    };
    store.create(1, temp.clone()).unwrap();
    store.create(1, new_case("note", Some(5), "A", 9)).unwrap();
    store.create(2, temp).unwrap();
    assert_eq!(store.purge_guild(1).unwrap(), 2);
    assert_eq!(store.get(1, 1).unwrap(), None);
    assert_eq!(store.due_expiries(i64::MAX - 1, 10).unwrap().len(), 1);
    let again = store.create(1, new_case("note", Some(5), "A", 9)).unwrap();
    assert_eq!(again.number, 1, "a guild that comes back starts over");
    assert!(store.get(2, 1).unwrap().is_some());
}

#[test]
fn a_damaged_case_is_an_error_not_a_panic() {
    let (db, store) = cases();
    db.open_tree(CASES)
        .unwrap()
        .insert(db::guild_u64_key(1, 1), &b"{"[..])
        .unwrap();
    assert!(matches!(store.get(1, 1), Err(StoreError::Corrupt { .. })));
    let result = store.update(1, 1, |_| Ok::<_, StoreError>(()));
    assert!(matches!(result, Err(StoreError::Corrupt { .. })));
}

#[test]
fn cases_of_a_period_are_found_by_creation_time() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let clock = Arc::new(ManualClock::new(1_000));
    let store = Cases::open(&db, clock.clone()).unwrap();
    assert!(store.created_between(1, 0, 10_000).unwrap().is_empty());
    for _ in 0..9 {
        store
            .create(1, new_case("warning", Some(5), "A", 9))
            .unwrap();
        store
            .create(2, new_case("warning", Some(5), "A", 9))
            .unwrap();
        clock.advance_ms(1_000);
    }
    // Cases at 1000, 2000, …, 9000: [3000, 6000) holds cases 3, 4 and 5.
    let period = store.created_between(1, 3_000, 6_000).unwrap();
    assert_eq!(
        period.iter().map(|c| c.number).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert!(period.iter().all(|c| c.guild == 1));
    assert_eq!(store.created_between(1, 0, 100_000).unwrap().len(), 9);
    assert!(store.created_between(1, 50_000, 60_000).unwrap().is_empty());
    assert!(store.created_between(3, 0, 100_000).unwrap().is_empty());
}

#[test]
fn an_event_files_each_of_its_cases_once() {
    let (_db, store) = cases();
    let mark = EventMark {
        server: "main".into(),
        id: 40,
    };
    let (first, fresh) = store
        .create_for_event(1, &mark, 0, 7_000, new_case("kick", Some(5), "A", 9))
        .unwrap();
    assert!(fresh);
    let (second, fresh) = store
        .create_for_event(1, &mark, 1, 7_000, new_case("kick", Some(6), "B", 9))
        .unwrap();
    assert!(fresh);
    assert_eq!((first.number, second.number), (1, 2));
    assert_eq!(first.created_at_ms, 7_000, "dated when it happened");
    // The event again (a replay after a crash): the same cases, nothing new.
    let (again, fresh) = store
        .create_for_event(1, &mark, 0, 7_000, new_case("kick", Some(5), "A", 9))
        .unwrap();
    assert!(!fresh);
    assert_eq!(again, first);
    let other = EventMark {
        server: "side".into(),
        id: 40,
    };
    let (elsewhere, fresh) = store
        .create_for_event(1, &other, 0, 7_000, new_case("kick", Some(5), "A", 9))
        .unwrap();
    assert!(fresh && elsewhere.number == 3, "another server's event 40");
    assert_eq!(store.purge_guild(1).unwrap(), 3);
    let (after, fresh) = store
        .create_for_event(1, &mark, 0, 7_000, new_case("kick", Some(5), "A", 9))
        .unwrap();
    assert!(fresh && after.number == 1, "purged with the guild");
}

#[test]
fn a_search_by_id_also_finds_the_cases_filed_by_name_alone() {
    let (_db, store) = cases();
    store.create(1, new_case("ban", None, "Guest", 9)).unwrap();
    store
        .create(1, new_case("note", Some(7), "Other", 9))
        .unwrap();
    store
        .create(1, new_case("kick", Some(5), "Guest", 9))
        .unwrap();
    store
        .create(1, new_case("warning", None, "guest", 9))
        .unwrap();
    let both = CaseTarget {
        id: Some(5),
        name: "Guest".into(),
    };
    let page = |kind, index, per_page| {
        store
            .page(1, &CaseFilter::Player(both.clone()), kind, index, per_page)
            .unwrap()
    };
    assert_eq!(
        numbers(&page(None, 0, 10)),
        [4, 3, 1],
        "merged, newest first"
    );
    let first = page(None, 0, 2);
    assert_eq!(numbers(&first), [4, 3]);
    assert!(first.has_more);
    assert_eq!(numbers(&page(None, 1, 2)), [1]);
    assert_eq!(numbers(&page(Some("ban"), 0, 10)), [1]);
    let by_id_only = CaseTarget {
        id: Some(5),
        name: String::new(),
    };
    let page = store
        .page(1, &CaseFilter::Player(by_id_only), None, 0, 10)
        .unwrap();
    assert_eq!(numbers(&page), [3], "no name known: the id's cases");
    let by_name = CaseTarget {
        id: None,
        name: "GUEST".into(),
    };
    let page = store
        .page(1, &CaseFilter::Player(by_name), None, 0, 10)
        .unwrap();
    assert_eq!(
        numbers(&page),
        [4, 3, 1],
        "a name finds the cases filed with an id too"
    );
}
