//! Destructive commands waiting for their Confirm press, kept until they expire so that a
//! prompt posted before a restart still works after it. Records are keyed by a hash of the
//! prompt's token (the token is a bearer secret and lives only in the button); taking one is
//! atomic, so a double press runs the command once; upkeep drops expired records.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::{decode_json, encode_json};
use super::{Source, StoreError};

/// Name of the sled tree holding pending confirmations.
pub const CONFIRMATIONS_TREE: &str = "pending_confirmations";

/// A command that runs only once someone confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingConfirmation {
    /// Discord guild the command was asked for in.
    pub guild: u64,
    /// Discord user id of the person who asked: they (or an admin) may confirm or cancel.
    pub requested_by: u64,
    /// Where they asked from.
    pub source: Source,
    /// The guild's label for the ER:LC server the command goes to.
    pub server_label: String,
    /// The command text to send once confirmed.
    pub command_text: String,
    /// Unix ms from which the prompt no longer works.
    pub expires_at_ms: i64,
    /// The typed action the command text was built from (a kick, a ban …), in the actions
    /// layer's own JSON, so the confirmation is checked and audited as that action; `None`
    /// for a raw command. Opaque to the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<serde_json::Value>,
}

impl PendingConfirmation {
    /// Whether the prompt has stopped working at `now_ms` (Unix ms).
    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms
    }
}

/// The pending confirmations. Cheap to clone.
#[derive(Clone)]
pub struct Confirmations {
    tree: sled::Tree,
}

impl std::fmt::Debug for Confirmations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Confirmations").finish_non_exhaustive()
    }
}

fn key(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn decode(bytes: &[u8]) -> Result<PendingConfirmation, StoreError> {
    decode_json(bytes, "a pending confirmation")
}

impl Confirmations {
    pub(crate) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            tree: db.open_tree(CONFIRMATIONS_TREE)?,
        })
    }

    /// Keep `confirmation` under `token`. Not flushed: flush the store before showing the
    /// prompt, so a prompt never outlives its record.
    pub fn put(&self, token: &str, confirmation: &PendingConfirmation) -> Result<(), StoreError> {
        let bytes = encode_json(confirmation, "a pending confirmation")?;
        self.tree.insert(key(token), bytes)?;
        Ok(())
    }

    /// Remove and return the confirmation under `token` if `accept` agrees to it (`accept`'s
    /// error is returned and the record stays). `None` when there is none (never made, or
    /// already taken). When two presses race, only one gets the record.
    pub fn take_if<E: From<StoreError>>(
        &self,
        token: &str,
        accept: impl Fn(&PendingConfirmation) -> Result<(), E>,
    ) -> Result<Option<PendingConfirmation>, E> {
        let key = key(token);
        loop {
            let Some(bytes) = self.tree.get(&key).map_err(StoreError::from)? else {
                return Ok(None);
            };
            let confirmation = decode(&bytes)?;
            accept(&confirmation)?;
            let swapped = self
                .tree
                .compare_and_swap(&key, Some(bytes), None::<&[u8]>)
                .map_err(StoreError::from)?;
            if swapped.is_ok() {
                return Ok(Some(confirmation));
            }
            // Changed in between (taken by another press): look again.
        }
    }

    /// Drop up to `batch` confirmations that expired by `now_ms`, and records that cannot
    /// be read (a prompt whose record is damaged could never run anyway). Returns how many.
    pub fn sweep_expired(&self, now_ms: i64, batch: usize) -> Result<usize, StoreError> {
        let mut removed = 0;
        for entry in self.tree.iter() {
            if removed >= batch {
                break;
            }
            let (key, bytes) = entry?;
            let drop = match decode(&bytes) {
                Ok(confirmation) => confirmation.is_expired(now_ms),
                Err(error) => {
                    tracing::warn!(%error, "dropping an unreadable pending confirmation");
                    true
                }
            };
            if drop {
                self.tree.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// A removed guild's confirmations go with it. Returns how many.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let mut removed = 0;
        for entry in self.tree.iter() {
            let (key, bytes) = entry?;
            if decode(&bytes).is_ok_and(|c| c.guild == guild) {
                self.tree.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirmations() -> Confirmations {
        let db = sled::Config::new().temporary(true).open().unwrap();
        Confirmations::open(&db).unwrap()
    }

    fn pending(guild: u64, expires_at_ms: i64) -> PendingConfirmation {
        PendingConfirmation {
            guild,
            requested_by: 1,
            source: Source::SlashCommand,
            server_label: "main".into(),
            command_text: ":shutdown".into(),
            expires_at_ms,
            action: None,
        }
    }

    fn take(store: &Confirmations, token: &str) -> Option<PendingConfirmation> {
        store.take_if(token, |_| Ok::<_, StoreError>(())).unwrap()
    }

    #[test]
    fn taken_once_and_only_when_accepted() {
        let store = confirmations();
        store.put("tok", &pending(7, 100)).unwrap();
        let refused = store.take_if("tok", |c| {
            Err(StoreError::Invalid(format!("not for {}", c.requested_by)))
        });
        assert!(matches!(refused, Err(StoreError::Invalid(text)) if text == "not for 1"));
        assert_eq!(take(&store, "tok"), Some(pending(7, 100)), "still there");
        assert_eq!(take(&store, "tok"), None, "single use");
        assert_eq!(take(&store, "other"), None);
    }

    #[test]
    fn tokens_are_not_stored() {
        let store = confirmations();
        store.put("secret-token", &pending(7, 100)).unwrap();
        for entry in store.tree.iter() {
            let (key, value) = entry.unwrap();
            for bytes in [key.as_ref(), value.as_ref()] {
                assert!(!String::from_utf8_lossy(bytes).contains("secret-token"));
            }
        }
    }

    #[test]
    fn upkeep_drops_expired_and_unreadable_records_in_batches() {
        let store = confirmations();
        store.put("old1", &pending(7, 100)).unwrap();
        store.put("old2", &pending(7, 150)).unwrap();
        store.put("fresh", &pending(7, 500)).unwrap();
        store.tree.insert(key("bad"), &b"not json"[..]).unwrap();
        assert!(matches!(
            store.take_if("bad", |_| Ok::<_, StoreError>(())),
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(store.sweep_expired(200, 2).unwrap(), 2);
        assert_eq!(store.sweep_expired(200, 2).unwrap(), 1);
        assert_eq!(store.sweep_expired(200, 2).unwrap(), 0);
        assert!(take(&store, "fresh").is_some());
    }

    #[test]
    fn a_guild_takes_its_confirmations_along() {
        let store = confirmations();
        store.put("a", &pending(7, 100)).unwrap();
        store.put("b", &pending(8, 100)).unwrap();
        assert_eq!(store.purge_guild(7).unwrap(), 1);
        assert_eq!(take(&store, "a"), None);
        assert!(take(&store, "b").is_some());
    }

    #[test]
    fn expiry_is_inclusive() {
        assert!(!pending(7, 100).is_expired(99));
        assert!(pending(7, 100).is_expired(100));
    }
}
