//! Command-line glue for the store's operator commands: `backup`, `restore` and
//! `rotate-master-key`. Each returns the text to print; `main.rs` only dispatches.

use std::path::PathBuf;

use super::backup;
use super::crypto::{MASTER_KEY_ENV, MasterKeySource};
use super::master_key::NewMasterKey;
use super::{Store, StoreConfig, StoreError};
use crate::clock::{Clock, SystemClock};

/// Where the data lives.
#[derive(Debug, Clone, clap::Args)]
pub struct DataDirArg {
    /// Data directory (holds `db/` and, unless ERLC_BOT_MASTER_KEY is set, `master.key`).
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// `erlc-bot backup <file>`
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// File to write (JSON Lines; server keys stay encrypted).
    pub file: PathBuf,
    /// The database to back up.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// `erlc-bot restore <file>`
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// Backup file written by `erlc-bot backup`.
    pub file: PathBuf,
    /// Replace the contents of a database that already holds data.
    #[arg(long)]
    pub force: bool,
    /// The database to restore into.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// `erlc-bot rotate-master-key`
#[derive(Debug, Clone, clap::Args)]
pub struct RotateMasterKeyArgs {
    /// Read the new key from this file (base64 or hex of 32 bytes) instead of generating one.
    #[arg(long)]
    pub new_key_file: Option<PathBuf>,
    /// The database whose server keys are re-encrypted.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// `erlc-bot backup`: write the backup while the bot is stopped; needs no master key.
pub fn run_backup(args: &BackupArgs) -> Result<String, StoreError> {
    let report = backup::backup(&args.data.data_dir, &args.file, SystemClock.now_ms())?;
    Ok(format!(
        "wrote {} records from {} trees to {} (schema version {})",
        report.total(),
        report.counts.len(),
        report.file.display(),
        report.schema_version
    ))
}

/// `erlc-bot restore`: load a backup; the bot needs the master key of the time it was taken.
pub fn run_restore(args: &RestoreArgs) -> Result<String, StoreError> {
    let report = backup::restore(&args.data.data_dir, &args.file, args.force)?;
    let total: u64 = report.counts.values().sum();
    Ok(format!(
        "restored {total} records into {} (schema version {}); start the bot with the master \
         key that was in use when the backup was taken",
        args.data.data_dir.display(),
        report.schema_version
    ))
}

/// `erlc-bot rotate-master-key`: re-encrypt every server key under a new master key (generated,
/// or read from `--new-key-file`) and say where the new key is.
pub fn run_rotate_master_key(args: &RotateMasterKeyArgs) -> Result<String, StoreError> {
    let store = Store::open(StoreConfig::new(&args.data.data_dir, MasterKeySource::Auto))?;
    let new = match &args.new_key_file {
        Some(path) => NewMasterKey::FromFile(path.clone()),
        None => NewMasterKey::Generate,
    };
    let report = store.rotate_master_key(new)?;
    store.flush_on_shutdown()?;
    let mut text = format!(
        "re-encrypted {} server keys; master key {} replaced by {}",
        report.servers, report.old_fingerprint, report.new_fingerprint
    );
    match (&report.key_file, &args.new_key_file) {
        (Some(path), _) => text.push_str(&format!("; the new key is in {}", path.display())),
        (None, Some(path)) => {
            text.push_str(&format!("; the new key is the one in {}", path.display()))
        }
        (None, None) => {}
    }
    if std::env::var_os(MASTER_KEY_ENV).is_some() {
        text.push_str(&format!(
            "\n{MASTER_KEY_ENV} is set: change it to the new key before starting the bot"
        ));
    }
    Ok(text)
}
