//! Opening the sled database safely (a damaged file or a held lock becomes a clear
//! [`StoreError`], never a panic), the names of our trees, and the key/value encodings every
//! tree shares: big-endian integers (so byte order is numeric order) and JSON values.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// Tree names. Each holds one kind of record; see the module that owns it.
pub(crate) mod trees {
    /// Schema version, master-key check, audit anchors.
    pub const META: &str = "meta";
    /// `guild ++ label` → server record with its sealed key.
    pub const SERVERS: &str = "servers";
    /// `sha256(webhook token)` → `guild ++ label`.
    pub const WEBHOOK_INDEX: &str = "webhook_index";
    /// `guild ++ channel` → feed subscription.
    pub const FEED_SUBSCRIPTIONS: &str = "feed_subscriptions";
    /// `guild ++ role` → capabilities.
    pub const ROLE_CAPABILITIES: &str = "role_capabilities";
    /// `guild` → guild settings.
    pub const GUILD_SETTINGS: &str = "guild_settings";
    /// `guild ++ seq` → audit record (intents and completions, one hash chain per guild).
    pub const AUDIT: &str = "audit";
    /// `guild ++ intent seq` → seq of the completion record, to join outcomes without scans.
    pub const AUDIT_OUTCOMES: &str = "audit_outcomes";
}

/// Where the sled files live inside the data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("db")
}

/// Whether sled files already exist in `data_dir` (a database was created there before).
pub fn has_files(data_dir: &Path) -> bool {
    std::fs::read_dir(db_path(data_dir)).is_ok_and(|mut entries| entries.next().is_some())
}

/// Open (or create) the sled database at `<data_dir>/db`.
///
/// sled 0.34 can panic instead of returning an error on some damaged files, so the open runs
/// under `catch_unwind` and a panic becomes [`StoreError::Corrupt`].
pub fn open_sled(data_dir: &Path, cache_mib: u64) -> Result<sled::Db, StoreError> {
    let path = db_path(data_dir);
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::io(
            format!("create the data directory {}", data_dir.display()),
            e,
        )
    })?;
    let config = sled::Config::new()
        .path(&path)
        .cache_capacity(cache_mib.saturating_mul(1024 * 1024));
    let opened = catch_unwind(AssertUnwindSafe(|| open_waiting_for_lock(&config)));
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(err)) => Err(classify_open_error(&path, err)),
        Err(panic) => Err(StoreError::corrupt(
            format!("sled files in {}", path.display()),
            format!("opening the database crashed: {}", panic_text(&panic)),
        )),
    }
}

/// How long opening waits for a lock that a closing instance is about to release.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Open sled at `path`. sled lets go of its file lock a moment after the last handle is
/// dropped (its flusher thread finishes first), so a restart in the same process, or one
/// right after the previous process exited, can find it still held: wait up to
/// [`LOCK_GRACE`] for it before giving up.
fn open_waiting_for_lock(config: &sled::Config) -> sled::Result<sled::Db> {
    let started = std::time::Instant::now();
    loop {
        match config.open() {
            Err(sled::Error::Io(io)) if is_lock_error(&io) && started.elapsed() < LOCK_GRACE => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

fn is_lock_error(io: &std::io::Error) -> bool {
    io.to_string().contains("could not acquire lock")
}

/// Open a sled database at `path` for tests that reopen one they just dropped.
#[cfg(test)]
pub(crate) fn open_test_db(path: &Path) -> sled::Db {
    open_waiting_for_lock(&sled::Config::new().path(path)).expect("the test database reopens")
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Turn sled's open errors into ones that say what to do.
fn classify_open_error(path: &Path, err: sled::Error) -> StoreError {
    match err {
        sled::Error::Io(io) if is_lock_error(&io) => StoreError::Locked {
            path: path.to_owned(),
        },
        sled::Error::Corruption { at, .. } => StoreError::corrupt(
            format!("sled files in {}", path.display()),
            match at {
                Some(at) => format!("sled found damaged data at {at:?}"),
                None => "sled found damaged data".to_owned(),
            },
        ),
        sled::Error::Unsupported(why) => {
            StoreError::corrupt(format!("sled configuration in {}", path.display()), why)
        }
        other => StoreError::Db(other),
    }
}

/// Key prefix for one guild: its id, big-endian.
pub fn guild_prefix(guild: u64) -> [u8; 8] {
    guild.to_be_bytes()
}

/// `guild ++ n`, both big-endian, so a guild's records sort by `n`.
pub fn guild_u64_key(guild: u64, n: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&guild.to_be_bytes());
    key[8..].copy_from_slice(&n.to_be_bytes());
    key
}

/// `guild ++ text`.
pub fn guild_str_key(guild: u64, text: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + text.len());
    key.extend_from_slice(&guild.to_be_bytes());
    key.extend_from_slice(text.as_bytes());
    key
}

/// Read a big-endian u64 from `bytes[at..at + 8]`, if present.
pub fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(chunk))
}

/// Encode a record as JSON bytes.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value)
        .map_err(|e| StoreError::Invalid(format!("could not encode a record: {e}")))
}

/// Decode a stored JSON record; a failure means the database is damaged.
pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::corrupt(what, e))
}

/// One write in an atomic group: put `value` (or remove, if `None`) at `key` in `trees[tree]`.
#[derive(Debug, Clone)]
pub struct Write {
    pub tree: usize,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

impl Write {
    pub fn put(tree: usize, key: impl Into<Vec<u8>>, value: Vec<u8>) -> Self {
        Self {
            tree,
            key: key.into(),
            value: Some(value),
        }
    }

    pub fn remove(tree: usize, key: impl Into<Vec<u8>>) -> Self {
        Self {
            tree,
            key: key.into(),
            value: None,
        }
    }
}

/// Apply `writes` across `trees` in one sled transaction: after a crash, all or none of them
/// are visible.
pub fn apply_atomically(trees: &[&sled::Tree], writes: &[Write]) -> Result<(), StoreError> {
    use sled::Transactional;
    use sled::transaction::ConflictableTransactionError as Abort;
    trees.transaction(|views| {
        for write in writes {
            let view = views.get(write.tree).ok_or_else(|| {
                Abort::Abort(StoreError::Invalid(format!(
                    "write to tree #{} of {}",
                    write.tree,
                    views.len()
                )))
            })?;
            match &write.value {
                Some(value) => view.insert(write.key.as_slice(), value.as_slice())?,
                None => view.remove(write.key.as_slice())?,
            };
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically() {
        assert!(guild_u64_key(1, 255) < guild_u64_key(1, 256));
        assert!(guild_u64_key(1, u64::MAX) < guild_u64_key(2, 0));
        assert_eq!(read_u64(&guild_u64_key(7, 42), 8), Some(42));
        assert_eq!(read_u64(&[1, 2, 3], 0), None);
        assert_eq!(read_u64(&[0; 8], usize::MAX), None);
        assert!(guild_str_key(1, "a").starts_with(&guild_prefix(1)));
    }

    #[test]
    fn a_second_open_reports_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let _first = open_sled(dir.path(), 16).unwrap();
        let err = open_sled(dir.path(), 16).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("stop the running bot"), "{err}");
    }
}
