//! Crash test: a child process (this test binary, re-run) appends audit records and events in a
//! loop and prints each one only after it is flushed; the parent kills it with SIGKILL at random
//! moments, reopens the database and checks that every acknowledged record is there, whole,
//! and that the hash chain verifies.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use rand::{Rng, SeedableRng};

use erlc_bot::events::catalog::{EventPayload, PlayerInfo};
use erlc_bot::store::{
    AuditActor, AuditIntent, AuditOutcome, AuditQuery, MasterKeySource, Source, Store, StoreConfig,
    StoreError,
};

use crate::support::child::rerun_test;

/// Set (to the data directory) when this binary runs as the writer child.
const CHILD_DIR_ENV: &str = "ERLC_STORE_CRASH_CHILD_DIR";
const CHILD_TEST: &str = "crash_child_writer";
const ROUNDS: usize = 24;
const GUILD: u64 = 1;
/// The child stops by itself after this many iterations, in case nobody kills it.
const CHILD_MAX_ITERATIONS: u64 = 100_000;
/// Longest wait for the child's next line before the test gives up.
const LINE_TIMEOUT: Duration = Duration::from_secs(60);

fn open_store(dir: &Path) -> Result<Store, StoreError> {
    let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    Store::open(StoreConfig::new(dir, MasterKeySource::Env(key.into())))
}

/// One unit of acknowledged work; the child runs this in a loop. Each `ACK` line is printed
/// only after the write it reports has been flushed.
fn write_one(
    store: &Store,
    n: u64,
    out: &mut impl Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let intent = AuditIntent {
        actor: AuditActor::System("crash-test".into()),
        source: Source::Cli,
        action: "crash.write".into(),
        target: Some(format!("item-{n}")),
        args: serde_json::json!({ "n": n, "padding": "x".repeat((n % 50) as usize) }),
    };
    let ticket = store.audit().begin(GUILD, intent)?;
    let intent_seq = ticket.seq();
    writeln!(out, "ACK intent {intent_seq}")?;
    let done_seq = store.audit().complete(ticket, AuditOutcome::Ok)?;
    writeln!(out, "ACK done {intent_seq} {done_seq}")?;
    let events: Vec<_> = (0..1 + n % 3)
        .map(|i| {
            EventPayload::Kill {
                killer: player(n),
                killed: player(i),
            }
            .into_new_event("main", n as i64, None)
        })
        .collect::<Result<_, _>>()?;
    let stored = store.events().append(GUILD, events)?;
    store.flush()?;
    for event in stored {
        writeln!(out, "ACK event {} {n}", event.id)?;
    }
    out.flush()?;
    Ok(())
}

fn player(id: u64) -> PlayerInfo {
    PlayerInfo {
        name: format!("player_{id}"),
        id: Some(id + 1),
        ..Default::default()
    }
}

#[test]
#[ignore = "the writer half of store_survives_sigkill, run by it as a child process"]
fn crash_child_writer() {
    let dir = std::env::var_os(CHILD_DIR_ENV).expect("run by store_survives_sigkill");
    // Store::open waits out the lock the parent's check is still letting go of.
    let store = open_store(Path::new(&dir)).expect("the child opens the store");
    let mut out = std::io::stdout().lock();
    for n in 0..CHILD_MAX_ITERATIONS {
        if write_one(&store, n, &mut out).is_err() {
            break; // the parent has gone away
        }
    }
}

/// What the child acknowledged, across all rounds.
#[derive(Default)]
struct Acked {
    intents: BTreeSet<u64>,
    /// intent seq → completion seq
    done: BTreeMap<u64, u64>,
    /// event id → the loop iteration (its source time) that wrote it
    events: BTreeMap<u64, u64>,
}

impl Acked {
    /// Record an `ACK` line; returns whether it was one.
    fn record(&mut self, line: &str) -> bool {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["ACK", "intent", seq] => {
                self.intents.insert(seq.parse().unwrap());
                true
            }
            ["ACK", "done", intent, done] => {
                self.done
                    .insert(intent.parse().unwrap(), done.parse().unwrap());
                true
            }
            ["ACK", "event", id, n] => {
                // An id acknowledged twice would mean the store reused it after a crash.
                let id: u64 = id.parse().unwrap();
                let previous = self.events.insert(id, n.parse().unwrap());
                assert!(previous.is_none(), "event id {id} acknowledged twice");
                true
            }
            _ => false,
        }
    }
}

/// Run the child until it has acknowledged `kill_after` writes, SIGKILL it, and collect every
/// line it managed to print.
fn run_child_round(dir: &Path, kill_after: usize, acked: &mut Acked) {
    let mut child = rerun_test(module_path!(), CHILD_TEST)
        .env(CHILD_DIR_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if line.is_err() || tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let mut seen = 0;
    while seen < kill_after {
        let line = rx
            .recv_timeout(LINE_TIMEOUT)
            .expect("the child stopped writing");
        seen += usize::from(acked.record(&line));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    loop {
        match rx.recv_timeout(LINE_TIMEOUT) {
            Ok(line) => {
                acked.record(&line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("the child's output never closed"),
        }
    }
}

/// Everything acknowledged is present and whole, and the chain verifies.
fn check_after_crash(store: &Store, acked: &Acked) {
    let report = store.audit().verify(GUILD).unwrap();
    assert!(report.is_intact(), "{report:?}");
    let acked_records = (acked.intents.len() + acked.done.len()) as u64;
    assert!(
        report.records >= acked_records,
        "{} < {acked_records}",
        report.records
    );

    let mut entries = BTreeMap::new();
    let mut after_seq = None;
    loop {
        let query = AuditQuery {
            after_seq,
            limit: 1000,
            ..Default::default()
        };
        let page = store.audit().search(GUILD, &query).unwrap();
        for entry in page.entries {
            entries.insert(entry.intent.seq, entry);
        }
        match page.next_after_seq {
            Some(next) => after_seq = Some(next),
            None => break,
        }
    }
    for seq in &acked.intents {
        let entry = entries
            .get(seq)
            .unwrap_or_else(|| panic!("acknowledged intent {seq} lost"));
        assert_eq!(entry.intent.action, "crash.write");
        assert!(entry.intent.args["n"].is_u64(), "{entry:?}");
    }
    for (intent, done) in &acked.done {
        let entry = &entries[intent];
        let completion = entry
            .completion
            .as_ref()
            .expect("acknowledged completion lost");
        assert_eq!(completion.seq, *done);
        assert_eq!(entry.outcome(), &AuditOutcome::Ok);
    }
    for (id, n) in &acked.events {
        let event = store
            .events()
            .get(GUILD, "main", *id)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged event {id} lost"));
        assert_eq!(event.source_time, *n as i64, "event {id} is not whole");
        assert_eq!(event.event_type.as_str(), "main/kill");
        assert!(
            matches!(
                EventPayload::from_json(&event.payload),
                Some(EventPayload::Kill { .. })
            ),
            "event {id} payload damaged: {}",
            event.payload
        );
    }
}

#[test]
fn store_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut acked = Acked::default();
    for round in 0..ROUNDS {
        run_child_round(dir.path(), rng.gen_range(1..=40), &mut acked);
        let store = open_store(dir.path()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        check_after_crash(&store, &acked);
    }
    assert!(acked.intents.len() >= ROUNDS);
}
