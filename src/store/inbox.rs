//! Accepted webhook batches not yet fully processed. A batch is written here (and flushed)
//! before PRC gets its 200, removed once its events are stored and its `;` commands ran, and
//! replayed at start-up if the bot stopped in between: PRC does not send an acknowledged
//! batch again, so without this a crash right after the reply would lose it. Each batch
//! counts the commands already run, so a replay repeats at most the one that was running.

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::keys::{decode_json, encode_json};
use crate::clock::SharedClock;

/// Name of the sled tree holding the inbox.
pub const INBOX_TREE: &str = "webhook_inbox";

/// One accepted batch, as received (its signature was checked before it was stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxBatch {
    /// Discord guild id the webhook token belongs to.
    pub guild: u64,
    /// The guild's label for the server that sent it.
    pub server: String,
    /// The request body, verbatim.
    pub body: String,
    /// Unix milliseconds when the bot accepted the batch.
    pub received_at_ms: i64,
    /// How many of the batch's `;` commands have run.
    #[serde(default)]
    pub commands_done: u32,
}

/// The inbox. Cheap to clone.
#[derive(Clone)]
pub struct Inbox {
    db: sled::Db,
    tree: sled::Tree,
    clock: SharedClock,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox").finish_non_exhaustive()
    }
}

impl Inbox {
    pub(crate) fn open(db: &sled::Db, clock: SharedClock) -> Result<Self, StoreError> {
        Ok(Self {
            db: db.clone(),
            tree: db.open_tree(INBOX_TREE)?,
            clock,
        })
    }

    /// Keep a batch until [`Inbox::remove`]; returns its id. Not flushed: flush the store
    /// before acknowledging the batch.
    pub fn put(&self, guild: u64, server: &str, body: &str) -> Result<u64, StoreError> {
        let id = self.db.generate_id()?;
        let batch = InboxBatch {
            guild,
            server: server.to_owned(),
            body: body.to_owned(),
            received_at_ms: self.clock.now_ms(),
            commands_done: 0,
        };
        self.tree
            .insert(id.to_be_bytes(), encode_json(&batch, "a webhook batch")?)?;
        Ok(id)
    }

    /// Note that the first `done` commands of batch `id` have run.
    pub fn set_commands_done(&self, id: u64, done: u32) -> Result<(), StoreError> {
        let Some(bytes) = self.tree.get(id.to_be_bytes())? else {
            return Ok(());
        };
        let mut batch: InboxBatch = decode_json(&bytes, "a stored webhook batch")?;
        batch.commands_done = done;
        self.tree
            .insert(id.to_be_bytes(), encode_json(&batch, "a webhook batch")?)?;
        Ok(())
    }

    /// The batch is fully processed.
    pub fn remove(&self, id: u64) -> Result<(), StoreError> {
        self.tree.remove(id.to_be_bytes())?;
        Ok(())
    }

    /// Batches left over, oldest first. A record that cannot be read is reported in the
    /// error with its id, not skipped silently.
    pub fn pending(&self) -> Result<Vec<(u64, InboxBatch)>, StoreError> {
        let mut found = Vec::new();
        for entry in self.tree.iter() {
            let (key, bytes) = entry?;
            let id = super::keys::decode_u64(&key, "a webhook inbox id")?;
            let batch = decode_json(&bytes, &format!("webhook inbox batch {id}"))?;
            found.push((id, batch));
        }
        Ok(found)
    }

    /// Batches of one guild are dropped with it.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let mut removed = 0;
        for (id, batch) in self.pending()? {
            if batch.guild == guild {
                self.remove(id)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn batches_wait_in_order_with_their_progress_until_removed() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let inbox = Inbox::open(&db, Arc::new(ManualClock::new(5_000))).unwrap();
        let first = inbox.put(1, "main", r#"{"events":[]}"#).unwrap();
        let second = inbox.put(2, "side", r#"{"events":[1]}"#).unwrap();
        inbox.set_commands_done(first, 2).unwrap();
        let pending = inbox.pending().unwrap();
        assert_eq!(
            pending.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            [first, second]
        );
        assert_eq!(pending[0].1.commands_done, 2);
        assert_eq!(pending[0].1.received_at_ms, 5_000);
        assert_eq!(pending[1].1.body, r#"{"events":[1]}"#);

        inbox.remove(first).unwrap();
        inbox.set_commands_done(first, 3).unwrap();
        assert_eq!(
            inbox.pending().unwrap().len(),
            1,
            "progress on a removed batch is ignored"
        );
        assert_eq!(inbox.purge_guild(2).unwrap(), 1);
        assert!(inbox.pending().unwrap().is_empty());
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_it() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let inbox = Inbox::open(&db, Arc::new(ManualClock::new(0))).unwrap();
        let id = inbox.put(1, "main", "{}").unwrap();
        inbox
            .tree
            .insert(id.to_be_bytes(), &b"not json"[..])
            .unwrap();
        let error = inbox.pending().unwrap_err().to_string();
        assert!(
            error.contains(&format!("webhook inbox batch {id}")),
            "{error}"
        );
    }
}
