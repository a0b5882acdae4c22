//! Backup and restore as JSON Lines: a header (format and schema version, creation time),
//! one line per record of every tree (tree name; key and value in base64), and an end line
//! with per-tree counts that proves the file is complete. Server keys are stored encrypted, so
//! they stay encrypted in the backup; restoring needs the same master key.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::StoreError;
use super::db;
use super::schema::{self, SCHEMA_VERSION};

/// Marks a file as an erlc-bot backup.
pub const BACKUP_FORMAT: &str = "erlc-bot-backup";
/// Version of the line format written here.
pub const BACKUP_FORMAT_VERSION: u32 = 1;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Header {
        format: String,
        format_version: u32,
        schema_version: u32,
        created_at_ms: i64,
    },
    Entry {
        tree: String,
        key: String,
        value: String,
    },
    End {
        counts: BTreeMap<String, u64>,
    },
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The backup file written.
    pub file: PathBuf,
    /// Schema version of the database backed up, as recorded in the file's header.
    pub schema_version: u32,
    /// Records per tree.
    pub counts: BTreeMap<String, u64>,
}

/// What a restore loaded (counts checked against the file and the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// Schema version the backup was taken at; the restore then migrates to this build's.
    pub schema_version: u32,
    /// Unix milliseconds when the backup was taken.
    pub created_at_ms: i64,
    /// Records loaded per tree, as the file's end line promised.
    pub counts: BTreeMap<String, u64>,
}

impl BackupReport {
    /// Records written across all trees.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

fn write_err(file: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::io(format!("write the backup {}", file.display()), e)
}

/// Write every tree of `db` to `file` (through a temporary file renamed at the end, so a
/// failed backup never leaves a file that looks complete).
pub(crate) fn write_backup(
    db: &sled::Db,
    file: &Path,
    now_ms: i64,
) -> Result<BackupReport, StoreError> {
    let schema_version = schema::stored_version(db)?.unwrap_or(SCHEMA_VERSION);
    let partial = super::master_key::pending_path(file);
    let handle = std::fs::File::create(&partial).map_err(write_err(file))?;
    let mut out = BufWriter::new(handle);
    let mut put = |line: &Line| -> Result<(), StoreError> {
        serde_json::to_writer(&mut out, line)
            .map_err(|e| StoreError::Invalid(format!("encode a backup line: {e}")))?;
        out.write_all(b"\n").map_err(write_err(file))
    };
    put(&Line::Header {
        format: BACKUP_FORMAT.into(),
        format_version: BACKUP_FORMAT_VERSION,
        schema_version,
        created_at_ms: now_ms,
    })?;
    let mut counts = BTreeMap::new();
    for name in db.tree_names() {
        let tree_name = String::from_utf8(name.to_vec())
            .map_err(|_| StoreError::corrupt("tree names", "a tree name is not UTF-8"))?;
        let tree = db.open_tree(&name)?;
        let mut count = 0;
        for entry in tree.iter() {
            let (key, value) = entry?;
            put(&Line::Entry {
                tree: tree_name.clone(),
                key: STANDARD.encode(&key),
                value: STANDARD.encode(&value),
            })?;
            count += 1;
        }
        counts.insert(tree_name, count);
    }
    put(&Line::End {
        counts: counts.clone(),
    })?;
    let handle = out
        .into_inner()
        .map_err(|e| write_err(file)(e.into_error()))?;
    handle.sync_all().map_err(write_err(file))?;
    std::fs::rename(&partial, file).map_err(write_err(file))?;
    Ok(BackupReport {
        file: file.to_owned(),
        schema_version,
        counts,
    })
}

/// Back up the database in `data_dir` without needing the master key.
pub fn backup(data_dir: &Path, file: &Path, now_ms: i64) -> Result<BackupReport, StoreError> {
    if !db::db_path(data_dir).exists() {
        return Err(StoreError::NotFound(format!(
            "no database in {}; check DATA_DIR",
            data_dir.display()
        )));
    }
    let db = db::open_sled(data_dir, crate::store::DEFAULT_CACHE_MIB)?;
    write_backup(&db, file, now_ms)
}

fn clear_all(db: &sled::Db) -> Result<(), StoreError> {
    for name in db.tree_names() {
        db.open_tree(name)?.clear()?;
    }
    db.flush()?;
    Ok(())
}

/// Restore `file` into the database in `data_dir`. Refuses a database that holds data unless
/// `force`, in which case that data is replaced. On any error the database is left empty.
pub fn restore(data_dir: &Path, file: &Path, force: bool) -> Result<RestoreReport, StoreError> {
    let handle = std::fs::File::open(file)
        .map_err(|e| StoreError::io(format!("open the backup {}", file.display()), e))?;
    let mut lines = BufReader::new(handle).lines();
    let (schema_version, created_at_ms) = read_header(lines.next())?;
    let db = db::open_sled(data_dir, crate::store::DEFAULT_CACHE_MIB)?;
    if !schema::is_empty(&db)? {
        if !force {
            return Err(StoreError::Invalid(format!(
                "{} already holds a database; restore into an empty DATA_DIR, or pass --force \
                 to replace its contents",
                data_dir.display()
            )));
        }
        clear_all(&db)?;
    }
    let loaded = load_entries(&db, lines).and_then(|counts| {
        check_counts(&db, &counts)?;
        schema::prepare(&db, false)?;
        db.flush()?;
        Ok(counts)
    });
    match loaded {
        Ok(counts) => Ok(RestoreReport {
            schema_version,
            created_at_ms,
            counts,
        }),
        Err(err) => {
            clear_all(&db)?;
            Err(err)
        }
    }
}

type Lines = std::io::Lines<BufReader<std::fs::File>>;

fn parse_line(line: usize, text: Option<std::io::Result<String>>) -> Result<Line, StoreError> {
    let bad = |detail: String| StoreError::Backup { line, detail };
    let text = text
        .ok_or_else(|| bad("the file ends early (no end line); it is truncated".into()))?
        .map_err(|e| bad(format!("could not read it: {e}")))?;
    serde_json::from_str(&text).map_err(|e| bad(format!("not a backup line: {e}")))
}

fn read_header(first: Option<std::io::Result<String>>) -> Result<(u32, i64), StoreError> {
    match parse_line(1, first)? {
        Line::Header {
            format,
            format_version,
            schema_version,
            created_at_ms,
        } if format == BACKUP_FORMAT => {
            if format_version > BACKUP_FORMAT_VERSION {
                return Err(StoreError::Backup {
                    line: 1,
                    detail: format!(
                        "backup format {format_version} is newer than this erlc-bot reads \
                         ({BACKUP_FORMAT_VERSION}); upgrade erlc-bot"
                    ),
                });
            }
            if schema_version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    found: schema_version,
                    supported: SCHEMA_VERSION,
                });
            }
            Ok((schema_version, created_at_ms))
        }
        _ => Err(StoreError::Backup {
            line: 1,
            detail: "this is not an erlc-bot backup (no header line)".into(),
        }),
    }
}

fn load_entries(db: &sled::Db, mut lines: Lines) -> Result<BTreeMap<String, u64>, StoreError> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut trees: BTreeMap<String, sled::Tree> = BTreeMap::new();
    let mut number = 1;
    loop {
        number += 1;
        let bad = |detail: String| StoreError::Backup {
            line: number,
            detail,
        };
        match parse_line(number, lines.next())? {
            Line::Entry { tree, key, value } => {
                let key = STANDARD.decode(key).map_err(|e| bad(format!("key: {e}")))?;
                let value = STANDARD
                    .decode(value)
                    .map_err(|e| bad(format!("value: {e}")))?;
                let handle = match trees.get(&tree) {
                    Some(handle) => handle,
                    None => trees.entry(tree.clone()).or_insert(db.open_tree(&tree)?),
                };
                handle.insert(key, value)?;
                *counts.entry(tree).or_default() += 1;
            }
            Line::End { counts: expected } => {
                for (tree, want) in &expected {
                    let got = counts.get(tree).copied().unwrap_or(0);
                    if got != *want {
                        return Err(bad(format!(
                            "the end line promises {want} records in `{tree}` but the file \
                             holds {got}"
                        )));
                    }
                }
                if let Some(extra) = counts.keys().find(|t| !expected.contains_key(*t)) {
                    return Err(bad(format!(
                        "records for `{extra}` are not in the end line"
                    )));
                }
                if lines.next().is_some() {
                    return Err(bad("there is more after the end line".into()));
                }
                return Ok(expected);
            }
            Line::Header { .. } => return Err(bad("a second header line".into())),
        }
    }
}

/// After loading, every tree must hold exactly what the file said.
fn check_counts(db: &sled::Db, counts: &BTreeMap<String, u64>) -> Result<(), StoreError> {
    for (tree, want) in counts {
        let got = db.open_tree(tree)?.len() as u64;
        if got != *want {
            return Err(StoreError::Invalid(format!(
                "after the restore `{tree}` holds {got} records instead of {want} (the file \
                 has duplicate keys?)"
            )));
        }
    }
    Ok(())
}
