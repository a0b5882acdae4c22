//! Tests of the audit log over a temporary database.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::clock::ManualClock;
use crate::erlc::ServerKey;
use crate::store::settings::test_support;

struct Fixture {
    _db: sled::Db,
    clock: Arc<ManualClock>,
    settings: Settings,
    log: AuditLog,
}

fn fixture() -> Fixture {
    let (db, settings) = test_support::settings();
    let clock = Arc::new(ManualClock::new(10_000));
    let log = AuditLog::open(&db, settings.clone(), clock.clone()).unwrap();
    Fixture {
        _db: db,
        clock,
        settings,
        log,
    }
}

fn intent(actor: &str, action: &str, target: &str) -> AuditIntent {
    AuditIntent {
        actor: AuditActor::Discord {
            id: 7,
            name: actor.into(),
        },
        source: Source::SlashCommand,
        action: action.into(),
        target: Some(target.into()),
        args: json!({"reason": "testing"}),
    }
}

#[test]
fn intents_join_their_outcomes_and_pending_stays_visible() {
    let f = fixture();
    let t1 = f
        .log
        .begin(1, intent("ann", "command.kick", "bob"))
        .unwrap();
    let t2 = f.log.begin(1, intent("ann", "command.ban", "eve")).unwrap();
    f.clock.advance_ms(5);
    let done = f
        .log
        .complete(
            t1.clone(),
            AuditOutcome::PrcError {
                code: 3002,
                message: "offline".into(),
            },
        )
        .unwrap();
    assert_eq!((t1.seq(), t2.seq(), done), (1, 2, 3));
    assert!(
        f.log.complete(t1, AuditOutcome::Ok).is_err(),
        "completed twice"
    );
    assert!(f.log.complete(t2.clone(), AuditOutcome::Pending).is_err());

    let page = f.log.search(1, &AuditQuery::default()).unwrap();
    assert_eq!(page.entries.len(), 2, "completions are joined, not listed");
    assert_eq!(
        page.entries[0].outcome(),
        &AuditOutcome::PrcError {
            code: 3002,
            message: "offline".into()
        }
    );
    assert_eq!(page.entries[0].completed_at_ms(), Some(10_005));
    assert_eq!(page.entries[1].outcome(), &AuditOutcome::Pending);
    assert_eq!(page.entries[1].intent.args["reason"], "testing");
    assert!(
        f.log
            .search(2, &AuditQuery::default())
            .unwrap()
            .entries
            .is_empty()
    );
    assert_eq!(
        f.log.verify(1).unwrap(),
        VerifyReport {
            records: 3,
            first_broken: None
        }
    );
}

#[test]
fn filters_and_paging() {
    let f = fixture();
    for i in 0..7 {
        f.clock.set_ms(1_000 * i);
        let actor = if i % 2 == 0 { "ann" } else { "bob" };
        let t = f
            .log
            .begin(1, intent(actor, "command.kick", &format!("p{i}")))
            .unwrap();
        f.log.complete(t, AuditOutcome::Ok).unwrap();
    }
    let q = |query: AuditQuery| {
        f.log
            .search(1, &query)
            .unwrap()
            .entries
            .iter()
            .map(|e| e.intent.target.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        q(AuditQuery {
            actor: Some("BOB".into()),
            ..Default::default()
        }),
        ["p1", "p3", "p5"]
    );
    assert_eq!(
        q(AuditQuery {
            actor: Some("7".into()),
            limit: 2,
            ..Default::default()
        }),
        ["p0", "p1"]
    );
    assert_eq!(
        q(AuditQuery {
            from_ms: Some(2_000),
            to_ms: Some(4_000),
            ..Default::default()
        }),
        ["p2", "p3"]
    );
    assert_eq!(
        q(AuditQuery {
            target: Some("P4".into()),
            ..Default::default()
        }),
        ["p4"]
    );
    assert!(
        q(AuditQuery {
            action: Some("command.ban".into()),
            ..Default::default()
        })
        .is_empty()
    );

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = f
            .log
            .search(
                1,
                &AuditQuery {
                    limit: 3,
                    after_seq: after,
                    ..Default::default()
                },
            )
            .unwrap();
        seen.extend(page.entries.iter().map(|e| e.intent.seq));
        match page.next_after_seq {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, [1, 3, 5, 7, 9, 11, 13]);
}

#[test]
fn editing_one_records_bytes_is_found_at_that_seq() {
    let f = fixture();
    for _ in 0..5 {
        let _ = f
            .log
            .begin(1, intent("ann", "command.kick", "bob"))
            .unwrap();
    }
    let key = db::guild_u64_key(1, 3);
    let raw = f.log.records.get(key).unwrap().unwrap();
    let edited = String::from_utf8(raw.to_vec())
        .unwrap()
        .replace("command.kick", "command.kicK");
    f.log.records.insert(key, edited.as_bytes()).unwrap();
    let report = f.log.verify(1).unwrap();
    assert_eq!(report.records, 2);
    let (seq, why) = report.first_broken.unwrap();
    assert_eq!(seq, 3);
    assert!(why.contains("hash"), "{why}");

    f.log.records.insert(key, &b"{not json"[..]).unwrap();
    assert_eq!(f.log.verify(1).unwrap().first_broken.unwrap().0, 3);
    f.log.records.remove(key).unwrap();
    let (seq, why) = f.log.verify(1).unwrap().first_broken.unwrap();
    assert_eq!((seq, why.contains("missing")), (3, true));
}

#[test]
fn known_server_keys_never_reach_the_log() {
    let f = fixture();
    let key = ServerKey::new("TopSecretValue99-srv1");
    f.settings.add_server(1, "main", &key, 7, "ann").unwrap();
    let t = f
        .log
        .begin(1, AuditIntent {
            args: json!({"command": ":pm bob TopSecretValue99-srv1", "new_key": "Other-key", "n": 1}),
            target: Some("TopSecretValue99".into()),
            ..intent("ann", "command.raw", "x")
        })
        .unwrap();
    f.log.complete(t, AuditOutcome::Ok).unwrap();
    let mut exported = Vec::new();
    assert_eq!(f.log.export_jsonl(1, &mut exported).unwrap(), 2);
    let text = String::from_utf8(exported).unwrap();
    assert!(
        !text.contains("TopSecretValue99") && !text.contains("Other-key"),
        "{text}"
    );
    let entry = &f.log.search(1, &AuditQuery::default()).unwrap().entries[0];
    assert_eq!(
        entry.intent.args["command"],
        format!(":pm bob {}", key.fingerprint())
    );
    assert_eq!(
        entry.intent.args["new_key"],
        crate::fingerprint::fingerprint("Other-key")
    );
    assert_eq!(
        entry.intent.target.as_deref(),
        Some(key.fingerprint().as_str())
    );
    for line in text.lines() {
        let record: StoredRecord = serde_json::from_str(line).unwrap();
        assert_eq!(record.compute_hash().unwrap(), record.hash);
    }
}

#[test]
fn retention_prunes_with_an_anchor_and_drops_whole_logs() {
    let f = fixture();
    let day = 24 * 60 * 60 * 1000;
    for i in 0..6 {
        f.clock.set_ms(i * day);
        let t = f.log.begin(1, intent("ann", "a", "t")).unwrap();
        f.log.complete(t, AuditOutcome::Ok).unwrap();
        let _ = f.log.begin(2, intent("ann", "a", "t")).unwrap();
    }
    f.clock.set_ms(6 * day);
    assert_eq!(
        f.log.apply_retention(1, AuditRetention::KeepAll).unwrap(),
        0
    );
    assert_eq!(
        f.log
            .apply_retention(1, AuditRetention::KeepDays(3))
            .unwrap(),
        6
    );
    let page = f.log.search(1, &AuditQuery::default()).unwrap();
    assert_eq!(
        page.entries
            .iter()
            .map(|e| e.intent.seq)
            .collect::<Vec<_>>(),
        [7, 9, 11]
    );
    assert_eq!(
        f.log.verify(1).unwrap(),
        VerifyReport {
            records: 6,
            first_broken: None
        }
    );
    let t = f.log.begin(1, intent("ann", "a", "t")).unwrap();
    assert_eq!(t.seq(), 13);
    assert!(f.log.verify(1).unwrap().is_intact());

    assert_eq!(f.log.apply_retention(1, AuditRetention::Drop).unwrap(), 7);
    assert_eq!(
        f.log.verify(1).unwrap(),
        VerifyReport {
            records: 0,
            first_broken: None
        }
    );
    assert_eq!(
        f.log.begin(1, intent("ann", "a", "t")).unwrap().seq(),
        1,
        "fresh chain"
    );
    assert_eq!(
        f.log.verify(2).unwrap().records,
        6,
        "other guilds untouched"
    );
}

#[tokio::test]
async fn async_variants_run_on_the_runtime() {
    let f = fixture();
    let log = f.log.clone();
    let seqs = tokio::spawn(async move {
        let ticket = log
            .begin_async(3, intent("ann", "command.kick", "bob"))
            .await?;
        let intent_seq = ticket.seq();
        let done = log.complete_async(ticket, AuditOutcome::Ok).await?;
        Ok::<_, StoreError>((intent_seq, done))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(seqs, (1, 2));
    let entries = f.log.search(3, &AuditQuery::default()).unwrap().entries;
    assert_eq!(entries[0].outcome(), &AuditOutcome::Ok);
}
