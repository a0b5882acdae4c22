//! Case pages at scale (issue 15 §4b): one guild with 100,000 cases, most players with a
//! few and one with 10,000; a `/cases player` page (first and fiftieth), a moderator's page
//! and a type-filtered page. Criterion times them; the setup also prints each query's p99
//! over 1,000 runs, the figure the issue sets a bound on (20 ms).

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use erlc_bot::store::{
    CaseFilter, CaseModerator, CaseSource, CaseStatus, CaseTarget, MasterKeySource, NewCase, Store,
    StoreConfig,
};

const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const CASES: u64 = 100_000;
/// Every `HEAVY_EVERY`th case is about the one heavy player (10,000 cases).
const HEAVY_EVERY: u64 = 10;
const HEAVY: u64 = 1;
const KINDS: [&str; 4] = ["warning", "kick", "ban", "note"];

fn new_case(n: u64) -> NewCase {
    let player = if n % HEAVY_EVERY == 0 {
        HEAVY
    } else {
        1_000 + n % 5_000
    };
    NewCase {
        kind: KINDS[(n % 4) as usize].into(),
        target: CaseTarget {
            id: Some(player),
            name: format!("player{player}"),
        },
        moderator: CaseModerator::discord(100 + n % 50, "moderator"),
        reason: Some(format!("benchmark case {n}")),
        server: Some("main".into()),
        source: CaseSource::Discord,
        status: CaseStatus::Active,
        expires_at_ms: None,
        audit_seq: None,
    }
}

fn p99_ms(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..1_000)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1_000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[989]
}

fn case_pages(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(
        dir.path(),
        MasterKeySource::Env(KEY_HEX.into()),
    ))
    .unwrap();
    let filling = Instant::now();
    for n in 1..=CASES {
        store.cases().create(1, new_case(n)).unwrap();
    }
    store.flush().unwrap();
    eprintln!("filed {CASES} cases in {:.1?}", filling.elapsed());
    let heavy = CaseFilter::Player(CaseTarget {
        id: Some(HEAVY),
        name: String::new(),
    });
    // A player searched both ways: by id with their name (the id's cases merged with those
    // filed under the name alone), and by name (merged with the cases filed with an id).
    let both = CaseFilter::Player(CaseTarget {
        id: Some(HEAVY),
        name: format!("player{HEAVY}"),
    });
    let by_name = CaseFilter::Player(CaseTarget {
        id: None,
        name: format!("player{HEAVY}"),
    });
    let queries: [(&str, CaseFilter, Option<&str>, usize); 6] = [
        ("heavy_player_page_1", heavy.clone(), None, 0),
        ("heavy_player_id_and_name_page_50", both, None, 49),
        ("heavy_player_by_name_page_50", by_name, None, 49),
        ("heavy_player_page_50", heavy.clone(), None, 49),
        ("heavy_player_bans_page_1", heavy, Some("ban"), 0),
        (
            "moderator_page_1",
            CaseFilter::DiscordModerator(100),
            None,
            0,
        ),
    ];
    let mut group = c.benchmark_group("case_page");
    for (name, filter, kind, page) in &queries {
        let read = || store.cases().page(1, filter, *kind, *page, 10).unwrap();
        assert_eq!(read().cases.len(), 10, "{name}");
        eprintln!(
            "{name}: p99 {:.3} ms over 1,000 reads",
            p99_ms(|| {
                read();
            })
        );
        group.bench_function(*name, |b| b.iter(read));
    }
    group.finish();
}

criterion_group!(benches, case_pages);
criterion_main!(benches);
