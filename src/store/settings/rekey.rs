//! Re-encrypting every stored server key under a new master key, atomically with the
//! key-check record, so the database is never half under one key and half under another.

use std::sync::Arc;

use super::Settings;
use super::servers::{StoredServer, seal_context};
use crate::store::StoreError;
use crate::store::crypto::{self, KEY_CHECK_KEY, MasterKey};
use crate::store::db::{self, Write};

impl Settings {
    /// Re-seal every server key under `new` and switch to it. Returns the number of keys.
    pub(crate) fn rekey(&self, new: MasterKey, meta: &sled::Tree) -> Result<usize, StoreError> {
        let _guard = self.lock();
        let mut current = self.keys.write();
        let mut writes = Vec::new();
        for entry in self.servers.iter() {
            let (key, raw) = entry?;
            let guild = db::read_u64(&key, 0)
                .ok_or_else(|| StoreError::corrupt("server record key", "shorter than 8 bytes"))?;
            let mut stored: StoredServer = db::decode("server record", &raw)?;
            let context = seal_context(guild, &stored.record.label);
            let plain = current.open(&stored.sealed, &context).ok_or_else(|| {
                StoreError::corrupt(
                    format!("server key of `{}` in guild {guild}", stored.record.label),
                    "it does not decrypt with the current master key",
                )
            })?;
            stored.sealed = new.seal(&plain, &context)?;
            writes.push(Write::put(0, key.to_vec(), db::encode(&stored)?));
        }
        let servers = writes.len();
        writes.push(Write::put(
            1,
            KEY_CHECK_KEY,
            crypto::key_check_record(&new)?,
        ));
        db::apply_atomically(&[&self.servers, meta], &writes)?;
        self.flush()?;
        *current = Arc::new(new);
        Ok(servers)
    }
}
