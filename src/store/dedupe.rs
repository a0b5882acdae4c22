//! The restart-safe dedupe set: "have we already handled this?" for keys that expire after
//! a time to live (log rows seen across polls, webhook deliveries), plus per-scope watermarks
//! (the last log time or event id a consumer handled). Kept in the `dedupe` sled tree.

use std::time::Duration;

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::StoreError;
use super::keys::{KeyReader, decode_i64, from_tx, prefix_end, time_key};
use crate::clock::SharedClock;

/// Name of the sled tree holding dedupe keys and watermarks.
pub const DEDUPE_TREE: &str = "dedupe";

/// scope, 0, key → expiry (Unix ms, big-endian i64).
const ENTRY: u8 = 1;
/// expiry time key, scope, 0, key → empty: lets sweeps find expired keys without a scan.
const EXPIRY: u8 = 2;
/// scope, 0, name → watermark (big-endian i64).
const WATERMARK: u8 = 3;

/// Restart-safe set of recently seen keys, grouped in scopes such as `guild:1/main/kills`.
#[derive(Clone)]
pub struct DedupeSet {
    tree: sled::Tree,
    clock: SharedClock,
}

impl std::fmt::Debug for DedupeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DedupeSet")
            .field("tree", &DEDUPE_TREE)
            .finish_non_exhaustive()
    }
}

/// The scope the tracker keeps one server's handled rows and watermark of one log in:
/// `<guild>/<label>/<log>`. Built only here, so forgetting a server or a guild
/// (`server_scope_prefix`, `guild_scope_prefix`) removes exactly what the tracker wrote.
pub fn tracker_scope(guild: u64, label: &str, log: &str) -> String {
    format!("{}{log}", server_scope_prefix(guild, label))
}

/// The start of every tracker scope of one server.
pub(super) fn server_scope_prefix(guild: u64, label: &str) -> String {
    format!("{}{label}/", guild_scope_prefix(guild))
}

/// The start of every tracker scope of one guild.
pub(super) fn guild_scope_prefix(guild: u64) -> String {
    format!("{guild}/")
}

/// `tag, scope, 0, rest`. A NUL in the scope would make two scopes share keys.
fn scoped_key(tag: u8, scope: &str, rest: &[u8]) -> Result<Vec<u8>, StoreError> {
    if scope.is_empty() || scope.contains('\0') {
        return Err(StoreError::Invalid(format!(
            "dedupe scope `{}` must be non-empty and contain no NUL character",
            scope.escape_debug()
        )));
    }
    let mut key = Vec::with_capacity(2 + scope.len() + rest.len());
    key.push(tag);
    key.extend_from_slice(scope.as_bytes());
    key.push(0);
    key.extend_from_slice(rest);
    Ok(key)
}

fn expiry_key(expires_at_ms: i64, entry_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(9 + entry_key.len());
    key.push(EXPIRY);
    key.extend_from_slice(&time_key(expires_at_ms));
    key.extend_from_slice(entry_key.get(1..).unwrap_or_default());
    key
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

impl DedupeSet {
    /// Open the `dedupe` tree; `clock` decides when keys expire.
    pub fn open(db: &sled::Db, clock: SharedClock) -> Result<Self, StoreError> {
        Ok(Self {
            tree: db.open_tree(DEDUPE_TREE)?,
            clock,
        })
    }

    /// Record `key` in `scope` for `ttl`. True if it was not there (or had expired): the
    /// caller should handle the item. Atomic, so two callers never both get true.
    pub fn insert_if_new(
        &self,
        scope: &str,
        key: &[u8],
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let entry = scoped_key(ENTRY, scope, key)?;
        let now = self.clock.now_ms();
        let expires_at = now.saturating_add(ttl_ms(ttl));
        self.tree
            .transaction(|tx| {
                if let Some(current) = tx.get(&entry)? {
                    // A damaged entry is overwritten: repairing it beats refusing the key forever.
                    if decode_i64(&current, "dedupe entry").is_ok_and(|until| until > now) {
                        return Ok(false);
                    }
                }
                tx.insert(entry.as_slice(), &expires_at.to_be_bytes())?;
                tx.insert(expiry_key(expires_at, &entry), &[])?;
                Ok(true)
            })
            .map_err(from_tx)
    }

    /// Writes to gather and apply together (one atomic batch instead of one transaction per
    /// key): see [`DedupeWrites`].
    pub fn writes(&self) -> DedupeWrites {
        DedupeWrites {
            batch: sled::Batch::default(),
            now: self.clock.now_ms(),
            len: 0,
        }
    }

    /// Apply gathered writes atomically: after a crash all or none of them are there.
    pub fn apply(&self, writes: DedupeWrites) -> Result<(), StoreError> {
        if writes.len > 0 {
            self.tree.apply_batch(writes.batch)?;
        }
        Ok(())
    }

    /// Is `key` recorded in `scope` and not expired?
    pub fn contains(&self, scope: &str, key: &[u8]) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        match self.tree.get(scoped_key(ENTRY, scope, key)?)? {
            Some(bytes) => Ok(decode_i64(&bytes, "dedupe entry")? > now),
            None => Ok(false),
        }
    }

    /// Remove up to `batch` expired keys (and index leftovers of re-inserted or purged
    /// keys). Returns how many it removed; call again until it returns 0.
    pub fn sweep_expired(&self, batch: usize) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let end = prefix_end(&[&[EXPIRY][..], &time_key(now)].concat());
        let mut due = Vec::new();
        for key in self.tree.range(vec![EXPIRY]..end).keys().take(batch) {
            let key = key?;
            let mut reader = KeyReader::new(&key, "dedupe expiry entry");
            reader.skip(1)?;
            let expires_at = reader.time()?;
            let mut entry = vec![ENTRY];
            entry.extend_from_slice(reader.rest());
            due.push((key.to_vec(), entry, expires_at));
        }
        if due.is_empty() {
            return Ok(0);
        }
        self.tree
            .transaction(|tx| {
                for (index_key, entry, expires_at) in &due {
                    tx.remove(index_key.as_slice())?;
                    remove_if_expiring_at(tx, entry, *expires_at)?;
                }
                Ok(())
            })
            .map_err(from_tx)?;
        Ok(due.len())
    }

    /// Set a named watermark of `scope` (e.g. the newest kill-log time handled).
    pub fn set_watermark(&self, scope: &str, name: &str, value: i64) -> Result<(), StoreError> {
        let key = scoped_key(WATERMARK, scope, name.as_bytes())?;
        self.tree.insert(key, &value.to_be_bytes())?;
        Ok(())
    }

    /// The watermark last set for `name` in `scope`; `None` if never set.
    pub fn watermark(&self, scope: &str, name: &str) -> Result<Option<i64>, StoreError> {
        let key = scoped_key(WATERMARK, scope, name.as_bytes())?;
        self.tree
            .get(key)?
            .map(|bytes| decode_i64(&bytes, "dedupe watermark"))
            .transpose()
    }

    /// Forget every key and watermark of every scope starting with `prefix` (a guild that
    /// was left, a server that was removed). The prefix is raw text: end it with a separator
    /// (`guild:1/`) so it does not also catch `guild:10/`. Returns how many records went.
    pub fn purge_scope_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        let mut removed = 0;
        for tag in [ENTRY, WATERMARK] {
            let start = [&[tag][..], prefix.as_bytes()].concat();
            let mut batch = sled::Batch::default();
            for key in self.tree.scan_prefix(&start).keys() {
                batch.remove(key?);
                removed += 1;
            }
            self.tree.apply_batch(batch)?;
        }
        Ok(removed)
    }
}

/// Keys and watermarks to write in one batch ([`DedupeSet::writes`], [`DedupeSet::apply`]).
/// For a writer that already knows which keys are new (the tracker decides that while planning a
/// poll, and one poll of a server runs at a time): unlike [`DedupeSet::insert_if_new`] a key is
/// written without looking, so a key still recorded gets a later expiry.
pub struct DedupeWrites {
    batch: sled::Batch,
    now: i64,
    len: usize,
}

impl DedupeWrites {
    /// Record `key` in `scope` for `ttl` from when the writes were started.
    pub fn insert(&mut self, scope: &str, key: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let entry = scoped_key(ENTRY, scope, key)?;
        let expires_at = self.now.saturating_add(ttl_ms(ttl));
        // An older expiry entry of the same key stays behind; sweeps skip it (see
        // `remove_if_expiring_at`).
        self.batch.insert(expiry_key(expires_at, &entry), &[]);
        self.batch.insert(entry, &expires_at.to_be_bytes());
        self.len += 1;
        Ok(())
    }

    /// Set a named watermark of `scope`, as [`DedupeSet::set_watermark`].
    pub fn watermark(&mut self, scope: &str, name: &str, value: i64) -> Result<(), StoreError> {
        let key = scoped_key(WATERMARK, scope, name.as_bytes())?;
        self.batch.insert(key, &value.to_be_bytes());
        self.len += 1;
        Ok(())
    }
}

impl std::fmt::Debug for DedupeWrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DedupeWrites")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// Remove `entry` only if it still expires at `expires_at` (it may have been re-inserted).
fn remove_if_expiring_at(
    tx: &TransactionalTree,
    entry: &[u8],
    expires_at: i64,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    if let Some(current) = tx.get(entry)? {
        let stale = decode_i64(&current, "dedupe entry").map_or(true, |at| at == expires_at);
        if stale {
            tx.remove(entry)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn new_duplicate_expired_and_swept() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let db = sled::Config::new().temporary(true).open().unwrap();
        let set = DedupeSet::open(&db, clock.clone()).unwrap();
        assert!(set.insert_if_new("g1/main", b"row-1", MINUTE).unwrap());
        assert!(!set.insert_if_new("g1/main", b"row-1", MINUTE).unwrap());
        assert!(set.insert_if_new("g1/side", b"row-1", MINUTE).unwrap());
        assert!(set.contains("g1/main", b"row-1").unwrap());
        assert!(!set.contains("g1/main", b"row-2").unwrap());
        assert!(set.insert_if_new("g1/main", b"row-2", 2 * MINUTE).unwrap());
        clock.advance_ms(61_000);
        assert!(!set.contains("g1/main", b"row-1").unwrap());
        assert!(set.contains("g1/main", b"row-2").unwrap());
        assert_eq!(set.sweep_expired(1).unwrap(), 1);
        assert_eq!(set.sweep_expired(10).unwrap(), 1);
        assert_eq!(set.sweep_expired(10).unwrap(), 0);
        assert!(
            set.contains("g1/main", b"row-2").unwrap(),
            "unexpired key survives"
        );
        assert!(
            set.insert_if_new("g1/main", b"row-1", MINUTE).unwrap(),
            "expired is new"
        );
        assert!(matches!(
            set.insert_if_new("", b"x", MINUTE),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn reinserted_key_survives_sweep_of_its_old_expiry() {
        let clock = Arc::new(ManualClock::new(0));
        let db = sled::Config::new().temporary(true).open().unwrap();
        let set = DedupeSet::open(&db, clock.clone()).unwrap();
        assert!(set.insert_if_new("s", b"k", MINUTE).unwrap());
        clock.advance_ms(60_000);
        assert!(set.insert_if_new("s", b"k", MINUTE).unwrap());
        assert_eq!(
            set.sweep_expired(10).unwrap(),
            1,
            "only the stale index entry"
        );
        assert!(set.contains("s", b"k").unwrap());
    }

    #[test]
    fn batched_writes_record_keys_and_watermarks_that_expire_and_sweep_as_usual() {
        let clock = Arc::new(ManualClock::new(1_000));
        let db = sled::Config::new().temporary(true).open().unwrap();
        let set = DedupeSet::open(&db, clock.clone()).unwrap();
        let ttl = Duration::from_secs(10);
        assert!(set.insert_if_new("s", b"old", ttl).unwrap());
        let mut writes = set.writes();
        writes.insert("s", b"a", ttl).unwrap();
        writes.insert("s", b"old", ttl).unwrap();
        writes.insert("t", b"a", ttl).unwrap();
        writes.watermark("s", "newest", 77).unwrap();
        assert!(writes.insert("", b"a", ttl).is_err());
        set.apply(writes).unwrap();
        assert!(set.contains("s", b"a").unwrap());
        assert!(set.contains("t", b"a").unwrap());
        assert!(!set.contains("u", b"a").unwrap());
        assert!(!set.insert_if_new("s", b"a", ttl).unwrap());
        assert_eq!(set.watermark("s", "newest").unwrap(), Some(77));
        set.apply(set.writes()).unwrap();
        clock.advance_ms(11_000);
        assert!(!set.contains("s", b"a").unwrap());
        while set.sweep_expired(100).unwrap() > 0 {}
        assert!(set.insert_if_new("s", b"a", ttl).unwrap());
        assert_eq!(set.watermark("s", "newest").unwrap(), Some(77));
    }

    #[test]
    fn tracker_scopes_sit_under_their_server_and_guild_only() {
        let scope = tracker_scope(1, "main", "kills");
        assert!(scope.starts_with(&server_scope_prefix(1, "main")));
        assert!(scope.starts_with(&guild_scope_prefix(1)));
        assert!(!scope.starts_with(&server_scope_prefix(1, "mai")));
        assert!(!tracker_scope(10, "main", "kills").starts_with(&guild_scope_prefix(1)));
    }

    #[test]
    fn survives_reopen_and_purges_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(5_000));
        {
            let db = crate::store::db::open_test_db(dir.path());
            let set = DedupeSet::open(&db, clock.clone()).unwrap();
            assert!(set.insert_if_new("guild:1/", b"a", MINUTE).unwrap());
            assert!(set.insert_if_new("guild:10/", b"a", MINUTE).unwrap());
            set.set_watermark("guild:1/", "kills", -42).unwrap();
            db.flush().unwrap();
        }
        let db = crate::store::db::open_test_db(dir.path());
        let set = DedupeSet::open(&db, clock).unwrap();
        assert!(!set.insert_if_new("guild:1/", b"a", MINUTE).unwrap());
        assert_eq!(set.watermark("guild:1/", "kills").unwrap(), Some(-42));
        assert_eq!(set.watermark("guild:1/", "joins").unwrap(), None);
        assert_eq!(set.purge_scope_prefix("guild:1/").unwrap(), 2);
        assert!(!set.contains("guild:1/", b"a").unwrap());
        assert_eq!(set.watermark("guild:1/", "kills").unwrap(), None);
        assert!(set.contains("guild:10/", b"a").unwrap());
    }

    #[test]
    fn damaged_entry_reads_as_corrupt_and_is_repaired_on_insert() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let set = DedupeSet::open(&db, Arc::new(ManualClock::new(0))).unwrap();
        set.tree
            .insert(scoped_key(ENTRY, "s", b"k").unwrap(), &[1u8][..])
            .unwrap();
        assert!(matches!(
            set.contains("s", b"k"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(set.insert_if_new("s", b"k", MINUTE).unwrap());
        assert!(set.contains("s", b"k").unwrap());
    }
}
