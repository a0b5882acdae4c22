//! The master key's lifecycle: unlocking the database at open (and finishing a rotation that
//! was interrupted by a crash), and rotating to a new key.
//!
//! A rotation writes the new key to `<key file>.new` first, then re-encrypts every server key
//! and the key-check record in one transaction, then renames the file into place. A crash
//! before the transaction leaves the old key valid; a crash after it leaves the new key in
//! the `.new` file, which the next open adopts.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::crypto::{
    self, KEY_CHECK_KEY, KEY_FILE_NAME, KeyCheck, KeyOrigin, MasterKey, MasterKeySource,
};
use super::db::trees;
use super::{Store, StoreError};

/// Where a rotation gets its new key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewMasterKey {
    /// Read it from this key file (base64 or hex of 32 bytes).
    FromFile(PathBuf),
    /// Generate a random key.
    Generate,
}

/// What a rotation did. Holds fingerprints only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Fingerprint of the key that was replaced.
    pub old_fingerprint: String,
    /// Fingerprint of the key now in use.
    pub new_fingerprint: String,
    /// Server keys re-encrypted.
    pub servers: usize,
    /// The key file now holding the new key, if the rotation wrote one.
    pub key_file: Option<PathBuf>,
}

/// `<path>.new`: where a rotation parks the new key until the database uses it.
pub fn pending_path(key_file: &Path) -> PathBuf {
    let mut name = OsString::from(key_file.as_os_str());
    name.push(".new");
    PathBuf::from(name)
}

/// Load the master key and check it against the database (stamping a fresh database).
pub(super) fn unlock(
    db: &sled::Db,
    source: &MasterKeySource,
    data_dir: &Path,
) -> Result<MasterKey, StoreError> {
    let meta = db.open_tree(trees::META)?;
    let stored = meta.get(KEY_CHECK_KEY)?;
    if stored.is_none() && !db.open_tree(trees::SERVERS)?.is_empty() {
        return Err(StoreError::corrupt(
            "master key check record",
            "it is missing although encrypted server keys exist",
        ));
    }
    let key = source.load(data_dir, stored.is_none())?;
    match crypto::check_key(stored.as_deref(), &key)? {
        KeyCheck::Matches => Ok(key),
        KeyCheck::Absent => {
            meta.insert(KEY_CHECK_KEY, crypto::key_check_record(&key)?)?;
            Ok(key)
        }
        KeyCheck::Mismatch { expected } => {
            match finish_interrupted_rotation(source, data_dir, stored.as_deref())? {
                Some(new_key) => Ok(new_key),
                None => Err(StoreError::WrongMasterKey {
                    expected,
                    given: key.fingerprint(),
                }),
            }
        }
    }
}

/// If an interrupted rotation left a `.new` key file that matches the database, adopt it.
fn finish_interrupted_rotation(
    source: &MasterKeySource,
    data_dir: &Path,
    stored: Option<&[u8]>,
) -> Result<Option<MasterKey>, StoreError> {
    let origin = source.origin(data_dir);
    let key_file = match &origin {
        KeyOrigin::File(path) => path.clone(),
        KeyOrigin::Env => data_dir.join(KEY_FILE_NAME),
    };
    let pending = pending_path(&key_file);
    if !pending.exists() {
        return Ok(None);
    }
    let new_key = MasterKey::from_file(&pending)?;
    if crypto::check_key(stored, &new_key)? != KeyCheck::Matches {
        return Ok(None);
    }
    match origin {
        KeyOrigin::File(_) => {
            install_key_file(&pending, &key_file)?;
            tracing::warn!(
                path = %key_file.display(),
                fingerprint = %new_key.fingerprint(),
                "finished an interrupted master key rotation"
            );
            Ok(Some(new_key))
        }
        KeyOrigin::Env => Err(StoreError::MasterKey(format!(
            "an interrupted `erlc-bot rotate-master-key` already re-encrypted the database \
             under the key saved in {} ({}); set {} to that key",
            pending.display(),
            new_key.fingerprint(),
            crypto::MASTER_KEY_ENV
        ))),
    }
}

/// Atomically move `from` over `to` and make the rename durable.
fn install_key_file(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::rename(from, to)
        .map_err(|e| StoreError::io(format!("rename {} to {}", from.display(), to.display()), e))?;
    if let Some(dir) = to.parent() {
        let synced = std::fs::File::open(dir).and_then(|d| d.sync_all());
        synced.map_err(|e| StoreError::io(format!("sync the directory {}", dir.display()), e))?;
    }
    Ok(())
}

impl Store {
    /// Re-encrypt every server key under a new master key. Run it with the bot stopped.
    pub fn rotate_master_key(&self, new: NewMasterKey) -> Result<RotationReport, StoreError> {
        let new_key = match &new {
            NewMasterKey::FromFile(path) => MasterKey::from_file(path)?,
            NewMasterKey::Generate => MasterKey::generate(),
        };
        let old_fingerprint = self.master_key_fingerprint();
        if *self.inner.keys.current() == new_key {
            return Err(StoreError::Invalid(
                "the new master key is the same as the current one".into(),
            ));
        }
        let key_file = match (self.inner.key_source.origin(&self.inner.data_dir), &new) {
            (KeyOrigin::File(path), _) => Some(path),
            (KeyOrigin::Env, NewMasterKey::Generate) => {
                Some(self.inner.data_dir.join(KEY_FILE_NAME))
            }
            (KeyOrigin::Env, NewMasterKey::FromFile(_)) => None,
        };
        if let Some(path) = &key_file {
            new_key.write_key_file(&pending_path(path))?;
        }
        let new_fingerprint = new_key.fingerprint();
        let meta = self.inner.db.open_tree(trees::META)?;
        let servers = self.settings().rekey(new_key, &meta)?;
        if let Some(path) = &key_file {
            install_key_file(&pending_path(path), path)?;
        }
        tracing::info!(%old_fingerprint, %new_fingerprint, servers, "rotated the master key");
        Ok(RotationReport {
            old_fingerprint,
            new_fingerprint,
            servers,
            key_file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StoreConfig, db};

    fn source(key: &MasterKey) -> MasterKeySource {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        key.write_key_file(&path).unwrap();
        MasterKeySource::Env(std::fs::read_to_string(path).unwrap())
    }

    #[test]
    fn damaged_or_missing_key_check_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::generate();
        let sled = db::open_sled(dir.path(), crate::store::DEFAULT_CACHE_MIB).unwrap();
        let meta = sled.open_tree(trees::META).unwrap();
        meta.insert(KEY_CHECK_KEY, &b"{\"garbage\":1}"[..]).unwrap();
        let err = unlock(&sled, &source(&key), dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

        meta.remove(KEY_CHECK_KEY).unwrap();
        sled.open_tree(trees::SERVERS)
            .unwrap()
            .insert("x", "y")
            .unwrap();
        let err = unlock(&sled, &source(&key), dir.path()).unwrap_err();
        assert!(err.to_string().contains("missing although"), "{err}");
    }

    #[test]
    fn open_refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::generate();
        drop(Store::open(StoreConfig::new(dir.path(), source(&key))).unwrap());
        {
            let sled = db::open_sled(dir.path(), crate::store::DEFAULT_CACHE_MIB).unwrap();
            let meta = sled.open_tree(trees::META).unwrap();
            let newer = crate::store::schema::SCHEMA_VERSION + 1;
            meta.insert("schema_version", &newer.to_be_bytes()).unwrap();
            sled.flush().unwrap();
        }
        let err = Store::open(StoreConfig::new(dir.path(), source(&key))).unwrap_err();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err:?}");
        assert!(err.to_string().contains("upgrade erlc-bot"), "{err}");
    }

    #[test]
    fn pending_path_appends_new() {
        assert_eq!(
            pending_path(Path::new("/d/master.key")),
            PathBuf::from("/d/master.key.new")
        );
    }
}
