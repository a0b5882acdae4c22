//! The store layer's error type.

use std::path::PathBuf;

/// What to tell an operator whose database cannot be read.
const RESTORE_ADVICE: &str = "restore from a backup with `erlc-bot restore <file>` \
     (into an empty DATA_DIR, or with --force)";

/// Everything that can go wrong reading or writing the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sled::Error),
    #[error("stored data is damaged ({what}): {detail}; {RESTORE_ADVICE}")]
    Corrupt { what: String, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// Another process (usually a running bot) holds the database lock.
    #[error(
        "the database at {} is in use by another erlc-bot process; only one process can open \
         it at a time, so stop the running bot first and try again",
        path.display()
    )]
    Locked { path: PathBuf },
    /// The database was written by a newer erlc-bot.
    #[error(
        "the database was written by a newer erlc-bot (schema version {found}; this build \
         understands up to {supported}); upgrade erlc-bot, or {RESTORE_ADVICE} taken with this \
         version"
    )]
    NewerSchema { found: u32, supported: u32 },
    /// The master key given does not decrypt this database.
    #[error(
        "the master key ({given}) does not match the one this database was created with \
         ({expected}); set ERLC_BOT_MASTER_KEY to the original key (or put it back in \
         DATA_DIR/master.key), or {RESTORE_ADVICE}"
    )]
    WrongMasterKey { expected: String, given: String },
    /// The master key could not be read, parsed or created.
    #[error("master key problem: {0}")]
    MasterKey(String),
    /// A file outside the database (key file, backup file) could not be read or written.
    #[error("could not {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A backup file is malformed or does not match what it claims to contain.
    #[error("backup file problem at line {line}: {detail}")]
    Backup { line: usize, detail: String },
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
