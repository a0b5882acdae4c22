//! Encryption at rest for server keys: XChaCha20-Poly1305 under a 32-byte master key, where
//! the master key comes from, and the key-check record that makes a wrong master key a clear
//! error instead of garbage.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use super::StoreError;

/// Environment variable holding the master key (base64 or hex of 32 bytes).
pub const MASTER_KEY_ENV: &str = "ERLC_BOT_MASTER_KEY";
/// Name of the key file created in the data directory when no key is configured.
pub const KEY_FILE_NAME: &str = "master.key";

const NONCE_LEN: usize = 24;
const KEY_CHECK_PLAINTEXT: &[u8] = b"erlc-bot master key check v1";
const KEY_CHECK_CONTEXT: &[u8] = b"meta/master_key_check";

/// The 32-byte key that encrypts server keys. It never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// A fresh random key from the operating system.
    pub fn generate() -> Self {
        Self(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Parse 32 bytes given as 64 hex digits or as base64. Errors never echo the input.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).ok()
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| STANDARD_NO_PAD.decode(text))
                .ok()
        };
        let bytes = bytes.ok_or_else(|| {
            StoreError::MasterKey("the master key is neither 64 hex digits nor base64".into())
        })?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            StoreError::MasterKey(format!(
                "the master key must be 32 bytes, this one decodes to {} bytes",
                bytes.len()
            ))
        })?;
        Ok(Self(key))
    }

    /// Read a key file written by [`MasterKey::write_key_file`] (or by hand).
    pub fn from_file(path: &Path) -> Result<Self, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StoreError::io(format!("read the master key file {}", path.display()), e)
        })?;
        Self::parse(&text)
            .map_err(|e| StoreError::MasterKey(format!("in the key file {}: {e}", path.display())))
    }

    /// Write the key (base64) to a file only the owner can read, replacing any file there,
    /// and sync it to disk before returning.
    pub fn write_key_file(&self, path: &Path) -> Result<(), StoreError> {
        let what = || format!("write the master key file {}", path.display());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| StoreError::io(what(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| StoreError::io(what(), e))?;
        }
        writeln!(file, "{}", STANDARD.encode(self.0)).map_err(|e| StoreError::io(what(), e))?;
        file.sync_all().map_err(|e| StoreError::io(what(), e))
    }

    /// A short identifier of the key, safe to print.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"erlc-bot master key fingerprint")
            .chain_update(self.0)
            .finalize();
        format!("fp:{}", hex::encode(&digest[..4]))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// Encrypt `plaintext`, binding it to `context` (where it is stored) so a sealed value
    /// copied to another record does not decrypt.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<SealedKey, StoreError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| StoreError::Invalid("encryption failed".into()))?;
        Ok(SealedKey {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypt a sealed value; `None` if the key, the context or the bytes are wrong.
    pub fn open(&self, sealed: &SealedKey, context: &[u8]) -> Option<Vec<u8>> {
        if sealed.nonce.len() != NONCE_LEN {
            return None;
        }
        let nonce = XNonce::from_slice(&sealed.nonce);
        let payload = Payload {
            msg: &sealed.ciphertext,
            aad: context,
        };
        self.cipher().decrypt(nonce, payload).ok()
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint())
    }
}

/// Where the master key comes from.
#[derive(Clone)]
pub enum MasterKeySource {
    /// The key itself (base64 or hex of 32 bytes), as read from `ERLC_BOT_MASTER_KEY`.
    Env(String),
    /// A key file.
    File(PathBuf),
    /// `ERLC_BOT_MASTER_KEY` if set, else `<data_dir>/master.key`, created on first run.
    Auto,
}

impl std::fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Env(_) => f.write_str("Env(<hidden>)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Auto => f.write_str("Auto"),
        }
    }
}

/// A resolved key source: either a value from the environment or a key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The key text is given directly, normally by `ERLC_BOT_MASTER_KEY`.
    Env,
    /// The key is in this file; for `Auto` that is `<data_dir>/master.key`.
    File(PathBuf),
}

impl MasterKeySource {
    /// Where the key will come from for this data directory.
    pub fn origin(&self, data_dir: &Path) -> KeyOrigin {
        match self {
            Self::Env(_) => KeyOrigin::Env,
            Self::File(path) => KeyOrigin::File(path.clone()),
            Self::Auto if env_key().is_some() => KeyOrigin::Env,
            Self::Auto => KeyOrigin::File(data_dir.join(KEY_FILE_NAME)),
        }
    }

    /// Load the key. With `Auto` and no key anywhere, a new key file is created only when
    /// `fresh_database` is true; an existing database never silently gets a new key.
    pub fn load(&self, data_dir: &Path, fresh_database: bool) -> Result<MasterKey, StoreError> {
        if let Self::Env(value) = self {
            return MasterKey::parse(value);
        }
        match self.origin(data_dir) {
            KeyOrigin::Env => MasterKey::parse(&env_key().unwrap_or_default())
                .map_err(|e| StoreError::MasterKey(format!("in {MASTER_KEY_ENV}: {e}"))),
            KeyOrigin::File(path) if path.exists() => MasterKey::from_file(&path),
            KeyOrigin::File(path) if fresh_database && matches!(self, Self::Auto) => {
                let key = MasterKey::generate();
                key.write_key_file(&path)?;
                tracing::warn!(
                    path = %path.display(),
                    fingerprint = %key.fingerprint(),
                    "created a new master key file because {MASTER_KEY_ENV} is not set; back it \
                     up somewhere safe: without it the stored server keys cannot be decrypted"
                );
                Ok(key)
            }
            KeyOrigin::File(path) if fresh_database => Err(StoreError::MasterKey(format!(
                "the master key file {} does not exist; create it holding 32 random bytes in \
                 base64 (for example `head -c 32 /dev/urandom | base64`), or set \
                 {MASTER_KEY_ENV}",
                path.display()
            ))),
            KeyOrigin::File(path) => Err(StoreError::MasterKey(format!(
                "the master key file {} is missing; put the original key back there or set \
                 {MASTER_KEY_ENV}",
                path.display()
            ))),
        }
    }
}

fn env_key() -> Option<String> {
    std::env::var(MASTER_KEY_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// The master key in use, replaceable in place by a rotation.
#[derive(Debug)]
pub(crate) struct KeyRing(RwLock<Arc<MasterKey>>);

impl KeyRing {
    pub fn new(key: MasterKey) -> Self {
        Self(RwLock::new(Arc::new(key)))
    }

    /// The current key. A poisoned lock still holds a whole key, so it is used as is.
    pub fn current(&self) -> Arc<MasterKey> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Hold the key exclusively (for a rotation) until the guard is dropped.
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Arc<MasterKey>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An encrypted secret: a random 24-byte nonce and the ciphertext with its tag.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedKey {
    #[serde(with = "b64")]
    nonce: Vec<u8>,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

impl SealedKey {
    /// A fingerprint of the ciphertext, to tell sealed values apart in logs.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(&self.ciphertext);
        format!("fp:{}", hex::encode(&digest[..4]))
    }
}

impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedKey({} bytes, {})",
            self.ciphertext.len(),
            self.fingerprint()
        )
    }
}

/// What the stored key-check record says about a master key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    /// No record yet: a fresh database.
    Absent,
    Matches,
    /// Wrong key; `expected` is the fingerprint of the right one.
    Mismatch {
        expected: String,
    },
}

/// The key-check record: a known plaintext sealed under the master key, and its fingerprint.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeyCheckRecord {
    fingerprint: String,
    sealed: SealedKey,
}

/// Key of the key-check record in the `meta` tree.
pub(crate) const KEY_CHECK_KEY: &[u8] = b"master_key_check";

/// Encode the key-check record for `key`.
pub(crate) fn key_check_record(key: &MasterKey) -> Result<Vec<u8>, StoreError> {
    super::db::encode(&KeyCheckRecord {
        fingerprint: key.fingerprint(),
        sealed: key.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_CONTEXT)?,
    })
}

/// Compare `key` against a stored key-check record.
pub(crate) fn check_key(stored: Option<&[u8]>, key: &MasterKey) -> Result<KeyCheck, StoreError> {
    let Some(bytes) = stored else {
        return Ok(KeyCheck::Absent);
    };
    let record: KeyCheckRecord = super::db::decode("master key check record", bytes)?;
    match key.open(&record.sealed, KEY_CHECK_CONTEXT) {
        Some(plain) if plain == KEY_CHECK_PLAINTEXT => Ok(KeyCheck::Matches),
        _ => Ok(KeyCheck::Mismatch {
            expected: record.fingerprint,
        }),
    }
}

mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_context_binding() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"secret-value", b"ctx-a").unwrap();
        assert_eq!(key.open(&sealed, b"ctx-a").unwrap(), b"secret-value");
        assert!(key.open(&sealed, b"ctx-b").is_none());
        assert!(MasterKey::generate().open(&sealed, b"ctx-a").is_none());
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(key.open(&tampered, b"ctx-a").is_none());
        tampered.nonce.pop();
        assert!(key.open(&tampered, b"ctx-a").is_none());
    }

    #[test]
    fn parse_accepts_hex_and_base64_and_hides_input() {
        let key = MasterKey::generate();
        assert_eq!(MasterKey::parse(&hex::encode(key.0)).unwrap(), key);
        assert_eq!(MasterKey::parse(&STANDARD.encode(key.0)).unwrap(), key);
        assert_eq!(
            MasterKey::parse(&format!(" {}\n", STANDARD_NO_PAD.encode(key.0))).unwrap(),
            key
        );
        let err = MasterKey::parse("c2hvcnQtc2VjcmV0")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("32 bytes") && !err.contains("c2hvcnQ"),
            "{err}"
        );
        assert!(MasterKey::parse("not base64 !!").is_err());
    }

    #[test]
    fn nothing_prints_secrets() {
        let key = MasterKey::generate();
        let encoded = STANDARD.encode(key.0);
        let shown = format!(
            "{key:?} {:?} {:?}",
            MasterKeySource::Env(encoded.clone()),
            key.seal(b"plain", b"c").unwrap()
        );
        assert!(!shown.contains(&encoded) && !shown.contains(&hex::encode(key.0)));
        assert!(
            shown.contains("fp:") && shown.contains("<hidden>"),
            "{shown}"
        );
    }

    #[test]
    fn key_check_tells_right_from_wrong() {
        let key = MasterKey::generate();
        let record = key_check_record(&key).unwrap();
        assert_eq!(check_key(None, &key).unwrap(), KeyCheck::Absent);
        assert_eq!(check_key(Some(&record), &key).unwrap(), KeyCheck::Matches);
        assert_eq!(
            check_key(Some(&record), &MasterKey::generate()).unwrap(),
            KeyCheck::Mismatch {
                expected: key.fingerprint()
            }
        );
        assert!(check_key(Some(b"garbage"), &key).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn auto_creates_an_owner_only_key_file_on_a_fresh_database_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let source = MasterKeySource::File(dir.path().join("k"));
        assert!(source.load(dir.path(), true).is_err(), "File never creates");
        let path = dir.path().join(KEY_FILE_NAME);
        let created = MasterKey::generate();
        created.write_key_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(MasterKey::from_file(&path).unwrap(), created);
        let err = MasterKeySource::File(dir.path().join("gone"))
            .load(dir.path(), false)
            .unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
