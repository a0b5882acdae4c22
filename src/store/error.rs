//! The store layer's error type.

use std::path::PathBuf;

/// What to tell an operator whose database cannot be read.
const RESTORE_ADVICE: &str = "restore from a backup with `erlc-bot restore <file>` \
     (into an empty DATA_DIR, or with --force)";

/// Everything that can go wrong reading or writing the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed to read or write (disk full, I/O error, …).
    #[error("database error: {0}")]
    Db(#[from] sled::Error),
    /// Stored bytes do not decode as what they should be; restoring a backup is the cure.
    #[error("stored data is damaged ({what}): {detail}; {RESTORE_ADVICE}")]
    Corrupt {
        /// Which record or file, such as `arguments of audit record 5`.
        what: String,
        /// What the decoder said about it.
        detail: String,
    },
    /// The caller asked for something the store refuses (a bad label, completing an intent
    /// twice, an existing database to restore over); holds the reason in plain words.
    #[error("{0}")]
    Invalid(String),
    /// What was asked for does not exist (a server label, an audit intent); holds what.
    #[error("not found: {0}")]
    NotFound(String),
    /// Another process (usually a running bot) holds the database lock.
    #[error(
        "the database at {} is in use by another erlc-bot process; only one process can open \
         it at a time, so stop the running bot first and try again",
        path.display()
    )]
    Locked {
        /// The database directory.
        path: PathBuf,
    },
    /// The database was written by a newer erlc-bot.
    #[error(
        "the database was written by a newer erlc-bot (schema version {found}; this build \
         understands up to {supported}); upgrade erlc-bot, or {RESTORE_ADVICE} taken with this \
         version"
    )]
    NewerSchema {
        /// The version stored in the database (or the backup).
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The master key given does not decrypt this database.
    #[error(
        "the master key ({given}) does not match the one this database was created with \
         ({expected}); set ERLC_BOT_MASTER_KEY to the original key (or put it back in \
         DATA_DIR/master.key), or {RESTORE_ADVICE}"
    )]
    WrongMasterKey {
        /// Fingerprint of the key the database was created with.
        expected: String,
        /// Fingerprint of the key given.
        given: String,
    },
    /// The master key could not be read, parsed or created.
    #[error("master key problem: {0}")]
    MasterKey(String),
    /// A file outside the database (key file, backup file) could not be read or written.
    #[error("could not {what}: {source}")]
    Io {
        /// What was being done, such as `write the backup <file>`.
        what: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A backup file is malformed or does not match what it claims to contain.
    #[error("backup file problem at line {line}: {detail}")]
    Backup {
        /// Line number in the file, from 1.
        line: usize,
        /// What is wrong with that line.
        detail: String,
    },
}

impl StoreError {
    pub(crate) fn corrupt(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            what: what.into(),
            detail: detail.to_string(),
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// Unwrap a sled transaction error: our own abort reason, or the storage failure.
impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(err: sled::transaction::TransactionError<StoreError>) -> Self {
        match err {
            sled::transaction::TransactionError::Abort(inner) => inner,
            sled::transaction::TransactionError::Storage(inner) => Self::Db(inner),
        }
    }
}
