//! Store benchmarks: audit append rate (flushed per record, as confirmed actions are, and
//! deferred, as bulk writers do) and opening a populated database.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use erlc_bot::erlc::ServerKey;
use erlc_bot::store::{AuditActor, AuditIntent, MasterKeySource, Source, Store, StoreConfig};

const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
/// Audit records in the database the open benchmark opens.
const OPEN_DB_RECORDS: u64 = 10_000;
const OPEN_DB_SERVERS: u64 = 50;

fn open(dir: &Path) -> Store {
    Store::open(StoreConfig::new(dir, MasterKeySource::Env(KEY_HEX.into()))).unwrap()
}

fn intent(n: u64) -> AuditIntent {
    AuditIntent {
        actor: AuditActor::Discord {
            id: 42,
            name: "moderator".into(),
        },
        source: Source::SlashCommand,
        action: "command.kick".into(),
        target: Some(format!("player{n}")),
        args: serde_json::json!({ "reason": "benchmark", "n": n }),
    }
}

fn audit_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .settings()
        .add_server(1, "main", &ServerKey::new("BenchKey123-abc"), 1, "n")
        .unwrap();
    let mut group = c.benchmark_group("audit_append");
    let mut n = 0;
    group.bench_function("flush_each", |b| {
        b.iter(|| {
            n += 1;
            store.audit().begin(1, intent(n)).unwrap()
        })
    });
    group.bench_function("no_flush", |b| {
        b.iter(|| {
            n += 1;
            store.audit().begin_deferred(1, intent(n)).unwrap()
        })
    });
    group.finish();
}

fn open_database(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        for s in 0..OPEN_DB_SERVERS {
            let key = ServerKey::new(format!("BenchKey{s}-srv{s}"));
            store
                .settings()
                .add_server(s, "main", &key, 1, "n")
                .unwrap();
        }
        for n in 0..OPEN_DB_RECORDS {
            let _ = store.audit().begin_deferred(n % 10, intent(n)).unwrap();
        }
        store.flush().unwrap();
    }
    c.bench_function("open_database_10k_audit_records", |b| {
        b.iter(|| drop(open(dir.path())))
    });
}

criterion_group!(benches, audit_append, open_database);
criterion_main!(benches);
