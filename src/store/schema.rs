//! The schema version record and the migration hook: at open, a database from an older
//! version is brought up to date step by step; one from a newer version is refused.

use super::StoreError;
use super::db::trees;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Key of the version record in the `meta` tree.
const VERSION_KEY: &[u8] = b"schema_version";

/// One upgrade step, from version N to N + 1.
pub type Migration = fn(&sled::Db) -> Result<(), StoreError>;

/// `MIGRATIONS[i]` upgrades a database from version `i + 1` to `i + 2`. Append a step here
/// (and bump [`SCHEMA_VERSION`]) whenever the stored layout changes.
pub const MIGRATIONS: &[Migration] = &[];

/// Read the stored schema version; `None` for a database that has never been stamped.
pub fn stored_version(db: &sled::Db) -> Result<Option<u32>, StoreError> {
    let meta = db.open_tree(trees::META)?;
    let Some(raw) = meta.get(VERSION_KEY)? else {
        return Ok(None);
    };
    let bytes: [u8; 4] = raw.as_ref().try_into().map_err(|_| {
        StoreError::corrupt(
            "schema version record",
            format!("expected 4 bytes, found {}", raw.len()),
        )
    })?;
    Ok(Some(u32::from_be_bytes(bytes)))
}

fn write_version(db: &sled::Db, version: u32) -> Result<(), StoreError> {
    db.open_tree(trees::META)?
        .insert(VERSION_KEY, &version.to_be_bytes())?;
    Ok(())
}

/// True when no tree holds any record (a database sled just created).
pub fn is_empty(db: &sled::Db) -> Result<bool, StoreError> {
    for name in db.tree_names() {
        if !db.open_tree(name)?.is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Stamp a fresh database, or bring an existing one up to [`SCHEMA_VERSION`].
/// `had_files` says whether sled files existed before this open: if they did, an empty
/// database means sled could not read them (it drops damaged data while recovering).
pub fn prepare(db: &sled::Db, had_files: bool) -> Result<(), StoreError> {
    match stored_version(db)? {
        Some(found) => migrate(db, found, SCHEMA_VERSION, MIGRATIONS),
        None if is_empty(db)? && had_files => Err(StoreError::corrupt(
            "sled files",
            "the database files exist but sled recovered no data from them (if this database \
             never held data, delete DATA_DIR/db instead)",
        )),
        None if is_empty(db)? => write_version(db, SCHEMA_VERSION),
        None => Err(StoreError::corrupt(
            "schema version record",
            "the database holds data but no schema version",
        )),
    }
}

/// Run `steps` to take the database from `found` to `target`, recording each step so an
/// interrupted upgrade resumes where it stopped.
pub fn migrate(
    db: &sled::Db,
    found: u32,
    target: u32,
    steps: &[Migration],
) -> Result<(), StoreError> {
    if found > target {
        return Err(StoreError::NewerSchema {
            found,
            supported: target,
        });
    }
    if found == 0 {
        return Err(StoreError::corrupt(
            "schema version record",
            "version 0 was never written by erlc-bot",
        ));
    }
    for version in found..target {
        let step = steps
            .get((version - 1) as usize)
            .ok_or_else(|| StoreError::Invalid(format!("no migration from schema {version}")))?;
        tracing::info!(from = version, to = version + 1, "migrating the database");
        step(db)?;
        write_version(db, version + 1)?;
        db.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db() -> sled::Db {
        sled::Config::new().temporary(true).open().unwrap()
    }

    fn add_marker(db: &sled::Db) -> Result<(), StoreError> {
        let meta = db.open_tree(trees::META)?;
        let count = meta.get("steps")?.map_or(0, |v| v.len());
        meta.insert("steps", vec![1u8; count + 1])?;
        Ok(())
    }

    fn failing(_: &sled::Db) -> Result<(), StoreError> {
        Err(StoreError::Invalid("step failed".into()))
    }

    #[test]
    fn fresh_database_is_stamped() {
        let db = temp_db();
        assert!(
            prepare(&db, true).is_err(),
            "files that held nothing readable"
        );
        prepare(&db, false).unwrap();
        assert_eq!(stored_version(&db).unwrap(), Some(SCHEMA_VERSION));
        prepare(&db, true).unwrap();
    }

    #[test]
    fn migrations_run_in_order_and_record_progress() {
        let db = temp_db();
        write_version(&db, 1).unwrap();
        migrate(&db, 1, 3, &[add_marker, add_marker]).unwrap();
        assert_eq!(stored_version(&db).unwrap(), Some(3));
        let meta = db.open_tree(trees::META).unwrap();
        assert_eq!(meta.get("steps").unwrap().unwrap().len(), 2);

        write_version(&db, 1).unwrap();
        assert!(migrate(&db, 1, 3, &[add_marker, failing]).is_err());
        assert_eq!(stored_version(&db).unwrap(), Some(2), "first step kept");
    }

    #[test]
    fn newer_schema_is_refused_with_advice() {
        let db = temp_db();
        write_version(&db, SCHEMA_VERSION + 1).unwrap();
        let err = prepare(&db, true).unwrap_err();
        assert!(matches!(err, StoreError::NewerSchema { .. }));
        assert!(err.to_string().contains("upgrade erlc-bot"), "{err}");
    }

    #[test]
    fn damaged_or_missing_version_is_corrupt() {
        let db = temp_db();
        db.open_tree(trees::META)
            .unwrap()
            .insert(VERSION_KEY, &[1u8, 2][..])
            .unwrap();
        assert!(matches!(
            prepare(&db, true),
            Err(StoreError::Corrupt { .. })
        ));

        let db = temp_db();
        db.open_tree(trees::AUDIT)
            .unwrap()
            .insert("x", "y")
            .unwrap();
        let err = prepare(&db, true).unwrap_err();
        assert!(err.to_string().contains("erlc-bot restore"), "{err}");
    }
}
