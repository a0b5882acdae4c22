//! Store integration tests over temporary data directories, through the public API only:
//! opening errors, encryption at rest, master-key rotation, backup/restore, guild removal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use erlc_bot::clock::ManualClock;
use erlc_bot::erlc::ServerKey;
use erlc_bot::store::backup;
use erlc_bot::store::{
    AuditActor, AuditIntent, AuditOutcome, AuditQuery, AuditRetention, Capability, FeedFilters,
    FeedSubscription, MasterKey, MasterKeySource, NewMasterKey, Source, Store, StoreConfig,
    StoreError,
};

const KEYS: [&str; 3] = [
    "vQ3nX8pLk2RtY7wZ-1111aaaa",
    "Hh5JkL9mNbVc4XzQ-2222bbbb",
    "Pp0OoI9iUu8YyTt7-3333cccc",
];

fn key_text(key: &MasterKey) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    key.write_key_file(&path).unwrap();
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

fn config(dir: &Path, key: &MasterKey) -> StoreConfig {
    config_with(dir, MasterKeySource::Env(key_text(key)))
}

fn config_with(dir: &Path, source: MasterKeySource) -> StoreConfig {
    StoreConfig {
        clock: Arc::new(ManualClock::new(1_700_000_000_000)),
        ..StoreConfig::new(dir, source)
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A store with three servers, a feed, a role and a few audit records in guild 1.
fn populate(store: &Store) {
    let s = store.settings();
    for (i, key) in KEYS.iter().enumerate() {
        s.add_server(1, &format!("srv{i}"), &ServerKey::new(*key), 7, "ann")
            .unwrap();
    }
    s.set_feed_subscription(
        1,
        FeedSubscription {
            channel_id: 99,
            patterns: vec![erlc_bot::events::Pattern::parse("?/player/*").unwrap()],
            filters: FeedFilters::default(),
            added_at_ms: Default::default(),
        },
    )
    .unwrap();
    s.set_role_capabilities(1, 5, &[Capability::Ban].into())
        .unwrap();
    for key in KEYS {
        let ticket = store
            .audit()
            .begin(
                1,
                AuditIntent {
                    actor: AuditActor::Discord {
                        id: 7,
                        name: "ann".into(),
                    },
                    source: Source::SlashCommand,
                    action: "server.add".into(),
                    target: None,
                    args: serde_json::json!({ "label": "x", "pasted": key }),
                },
            )
            .unwrap();
        store.audit().complete(ticket, AuditOutcome::Ok).unwrap();
    }
}

#[test]
fn plaintext_keys_appear_nowhere_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    {
        let store = Store::open(config(dir.path(), &master)).unwrap();
        populate(&store);
        store.flush().unwrap();
    }
    let files = files_under(dir.path());
    assert!(!files.is_empty());
    let master_text = key_text(&master);
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for key in KEYS {
            let secret_half = key.split_once('-').unwrap().0;
            assert!(
                !contains(&bytes, key.as_bytes()),
                "{key} in {}",
                file.display()
            );
            assert!(
                !contains(&bytes, secret_half.as_bytes()),
                "half in {}",
                file.display()
            );
        }
        assert!(
            !contains(&bytes, master_text.as_bytes()),
            "master key in {}",
            file.display()
        );
    }
    let store = Store::open(config(dir.path(), &master)).unwrap();
    assert_eq!(
        store.settings().server_key(1, "srv1").unwrap().expose(),
        KEYS[1]
    );
}

#[test]
fn a_wrong_master_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    drop(Store::open(config(dir.path(), &master)).unwrap());
    let err = Store::open(config(dir.path(), &MasterKey::generate())).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("does not match") && text.contains("ERLC_BOT_MASTER_KEY"),
        "{text}"
    );
    assert!(text.contains(&master.fingerprint()), "{text}");
    assert!(!text.contains(&key_text(&master)));
    let bad = Store::open(config_with(dir.path(), MasterKeySource::Env("nope".into())));
    assert!(matches!(bad, Err(StoreError::MasterKey(_))));
}

#[test]
fn a_second_process_gets_a_lock_message() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    let _first = Store::open(config(dir.path(), &master)).unwrap();
    let err = Store::open(config(dir.path(), &master)).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
}

#[test]
fn damaged_files_give_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    populate(&Store::open(config(dir.path(), &master)).unwrap());
    for (target, damage) in [("db", 0x5Au8), ("conf", 0xFF)] {
        let copy = tempfile::tempdir().unwrap();
        for file in files_under(dir.path()) {
            let to = copy.path().join(file.strip_prefix(dir.path()).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            let mut bytes = std::fs::read(&file).unwrap();
            if file.file_name().unwrap() == target {
                bytes.iter_mut().step_by(7).for_each(|b| *b ^= damage);
            }
            std::fs::write(&to, bytes).unwrap();
        }
        let err = Store::open(config(copy.path(), &master)).unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { .. }),
            "{target}: {err:?}"
        );
        assert!(err.to_string().contains("erlc-bot restore"), "{err}");
    }
}

#[test]
fn auto_creates_a_key_file_once_and_never_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(config_with(dir.path(), MasterKeySource::Auto)).unwrap();
    store
        .settings()
        .add_server(1, "main", &ServerKey::new(KEYS[0]), 1, "n")
        .unwrap();
    let fingerprint = store.master_key_fingerprint();
    drop(store);
    let key_file = dir.path().join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let store = Store::open(config_with(dir.path(), MasterKeySource::Auto)).unwrap();
    assert_eq!(store.master_key_fingerprint(), fingerprint);
    drop(store);
    std::fs::remove_file(&key_file).unwrap();
    let err = Store::open(config_with(dir.path(), MasterKeySource::Auto)).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(!key_file.exists(), "no new key for a database that has one");
}

#[test]
fn rotation_re_encrypts_and_only_the_new_key_opens() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys").join("master.key");
    std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
    let old = MasterKey::generate();
    old.write_key_file(&key_file).unwrap();
    let source = MasterKeySource::File(key_file.clone());
    let store = Store::open(config_with(dir.path(), source.clone())).unwrap();
    populate(&store);
    let report = store.rotate_master_key(NewMasterKey::Generate).unwrap();
    assert_eq!(report.servers, 3);
    assert_eq!(report.old_fingerprint, old.fingerprint());
    assert_eq!(report.key_file.as_deref(), Some(key_file.as_path()));
    assert_eq!(
        store.settings().server_key(1, "srv0").unwrap().expose(),
        KEYS[0]
    );
    drop(store);

    let new = MasterKey::from_file(&key_file).unwrap();
    assert_eq!(new.fingerprint(), report.new_fingerprint);
    let store = Store::open(config_with(dir.path(), source)).unwrap();
    assert_eq!(
        store.settings().server_key(1, "srv2").unwrap().expose(),
        KEYS[2]
    );
    drop(store);
    let err = Store::open(config(dir.path(), &old)).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");

    let next_file = dir.path().join("next.key");
    let next = MasterKey::generate();
    next.write_key_file(&next_file).unwrap();
    let store = Store::open(config(dir.path(), &new)).unwrap();
    let report = store
        .rotate_master_key(NewMasterKey::FromFile(next_file))
        .unwrap();
    assert_eq!(report.key_file, None, "an env key is not written anywhere");
    drop(store);
    assert!(Store::open(config(dir.path(), &next)).is_ok());
}

#[test]
fn an_interrupted_rotation_is_finished_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let source = MasterKeySource::File(dir.path().join("master.key"));
    let key_file = dir.path().join("master.key");
    MasterKey::generate().write_key_file(&key_file).unwrap();
    let old_text = std::fs::read(&key_file).unwrap();
    let store = Store::open(config_with(dir.path(), source.clone())).unwrap();
    populate(&store);
    let report = store.rotate_master_key(NewMasterKey::Generate).unwrap();
    drop(store);
    // As if the process died after the re-encryption but before the key file was renamed.
    std::fs::rename(&key_file, dir.path().join("master.key.new")).unwrap();
    std::fs::write(&key_file, old_text).unwrap();

    let store = Store::open(config_with(dir.path(), source)).unwrap();
    assert_eq!(store.master_key_fingerprint(), report.new_fingerprint);
    assert_eq!(
        store.settings().server_key(1, "srv1").unwrap().expose(),
        KEYS[1]
    );
    assert!(!dir.path().join("master.key.new").exists());
}

#[test]
fn backup_restore_round_trip_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    let file = dir.path().join("backup.jsonl");
    let data = dir.path().join("data");
    let store = Store::open(config(&data, &master)).unwrap();
    populate(&store);
    let report = store.backup(&file).unwrap();
    drop(store);
    assert_eq!(report.counts["servers"], 3);
    assert_eq!(report.counts["audit"], 6);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        KEYS.iter().all(|k| !text.contains(k)),
        "secrets stay encrypted"
    );
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("\"schema_version\":1")
    );

    let restored = dir.path().join("restored");
    let loaded = backup::restore(&restored, &file, false).unwrap();
    assert_eq!(loaded.counts, report.counts);
    let store = Store::open(config(&restored, &master)).unwrap();
    assert_eq!(
        store.settings().server_key(1, "srv0").unwrap().expose(),
        KEYS[0]
    );
    assert_eq!(store.settings().feed_subscriptions(1).unwrap().len(), 1);
    assert!(store.audit().verify(1).unwrap().is_intact());
    assert_eq!(
        store
            .audit()
            .search(1, &AuditQuery::default())
            .unwrap()
            .entries
            .len(),
        3
    );
    drop(store);

    let err = backup::restore(&restored, &file, false).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(
        backup::restore(&restored, &file, true).unwrap().counts,
        report.counts
    );

    let truncated = dir.path().join("truncated.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&truncated, lines[..lines.len() - 2].join("\n")).unwrap();
    let err = backup::restore(&restored, &truncated, true).unwrap_err();
    assert!(matches!(err, StoreError::Backup { .. }), "{err:?}");
    assert!(err.to_string().contains("truncated"), "{err}");
    let err = Store::open(config(&restored, &master)).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { .. }),
        "a failed restore leaves no half data"
    );

    let doctored = dir.path().join("doctored.jsonl");
    std::fs::write(&doctored, text.replace("\"servers\":3", "\"servers\":4")).unwrap();
    assert!(backup::restore(&dir.path().join("d2"), &doctored, false).is_err());
    let newer = dir.path().join("newer.jsonl");
    std::fs::write(
        &newer,
        text.replace("\"schema_version\":1", "\"schema_version\":99"),
    )
    .unwrap();
    let err = backup::restore(&dir.path().join("d3"), &newer, false).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err:?}"
    );
}

#[test]
fn removing_a_guild_follows_the_audit_retention() {
    for (retention, audit_left) in [(AuditRetention::KeepAll, 3), (AuditRetention::Drop, 0)] {
        let dir = tempfile::tempdir().unwrap();
        let master = MasterKey::generate();
        let store = Store::open(StoreConfig {
            audit_retention: retention,
            ..config(dir.path(), &master)
        })
        .unwrap();
        populate(&store);
        let removal = store.remove_guild(1).unwrap();
        assert_eq!(removal.settings.servers, 3);
        assert_eq!(removal.settings.feed_subscriptions, 1);
        assert_eq!(removal.audit_records, 6 - 2 * audit_left as u64);
        assert!(store.settings().list_servers(1).unwrap().is_empty());
        let left = store
            .audit()
            .search(1, &AuditQuery::default())
            .unwrap()
            .entries
            .len();
        assert_eq!(left, audit_left, "{retention}");
        assert!(store.audit().verify(1).unwrap().is_intact());
    }
}

#[test]
fn cases_are_backed_up_numbered_on_after_a_restore_and_removed_with_their_guild() {
    use erlc_bot::store::{CaseModerator, CaseSource, CaseStatus, CaseTarget, NewCase};
    let case = |name: &str| NewCase {
        kind: "warning".into(),
        target: CaseTarget {
            id: None,
            name: name.into(),
        },
        moderator: CaseModerator::discord(9, "Mod"),
        reason: Some("r".into()),
        server: Some("main".into()),
        source: CaseSource::Discord,
        status: CaseStatus::Active,
        expires_at_ms: Some(5_000),
        audit_seq: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    let store = Store::open(config(&dir.path().join("data"), &master)).unwrap();
    store.cases().create(1, case("a")).unwrap();
    store.cases().create(1, case("b")).unwrap();
    store.cases().create(2, case("c")).unwrap();
    let file = dir.path().join("backup.jsonl");
    let report = store.backup(&file).unwrap();
    drop(store);
    assert_eq!(report.counts["cases"], 3);

    let restored = dir.path().join("restored");
    backup::restore(&restored, &file, false).unwrap();
    let store = Store::open(config(&restored, &master)).unwrap();
    assert_eq!(store.cases().get(1, 2).unwrap().unwrap().target.name, "b");
    assert_eq!(store.cases().create(1, case("d")).unwrap().number, 3);
    assert_eq!(store.cases().due_expiries(5_000, 10).unwrap().len(), 4);

    let removal = store.remove_guild(1).unwrap();
    assert_eq!(removal.cases, 3);
    assert_eq!(store.cases().get(1, 1).unwrap(), None);
    assert_eq!(store.cases().due_expiries(5_000, 10).unwrap().len(), 1);
    assert!(store.cases().get(2, 1).unwrap().is_some());
}
