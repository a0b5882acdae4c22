//! Producer checkpoints: a small opaque state (the tracker's last view of a server) written in
//! the same atomic batch as the events derived from it, so after a crash the stored events and
//! the state they were diffed against always agree: nothing is emitted twice or skipped.

use crate::events::{Event, NewEvent};
use crate::store::StoreError;

use super::{EventStore, layout};

impl EventStore {
    /// Append `events` (as [`EventStore::append`], with content dedupe) and replace the
    /// checkpoint of `(guild, server)` with `checkpoint`, all in one atomic batch.
    pub fn append_with_checkpoint(
        &self,
        guild: u64,
        server: &str,
        events: Vec<NewEvent>,
        checkpoint: &[u8],
    ) -> Result<Vec<Event>, StoreError> {
        let mut batch = sled::Batch::default();
        batch.insert(layout::checkpoint_key(guild, server)?, checkpoint);
        self.append_in_batch(guild, events, batch)
    }

    /// Forget the checkpoint of `(guild, server)` (the server was removed), so a server added
    /// later under the same label starts from a fresh baseline.
    pub fn clear_checkpoint(&self, guild: u64, server: &str) -> Result<(), StoreError> {
        self.tree.remove(layout::checkpoint_key(guild, server)?)?;
        Ok(())
    }

    /// The checkpoint last written for `(guild, server)`, if any.
    pub fn checkpoint(&self, guild: u64, server: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree
            .get(layout::checkpoint_key(guild, server)?)?
            .map(|bytes| bytes.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::clock::ManualClock;
    use crate::events::{EventType, NewEvent};

    use super::*;

    fn row(key: &str) -> NewEvent {
        NewEvent {
            event_type: EventType::parse("main/kill").unwrap(),
            source_time: 5,
            players: vec![],
            payload: serde_json::json!({}),
            dedupe_key: Some(key.to_owned()),
        }
    }

    #[test]
    fn checkpoint_is_written_with_the_events_and_purged_with_the_guild() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let store = EventStore::open(&db, Arc::new(ManualClock::new(0))).unwrap();
        assert_eq!(store.checkpoint(1, "main").unwrap(), None);
        let stored = store
            .append_with_checkpoint(1, "main", vec![row("a")], b"state-1")
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            store.checkpoint(1, "main").unwrap().as_deref(),
            Some(&b"state-1"[..])
        );
        // A replay after a crash: the row is deduplicated, the checkpoint still moves on.
        let stored = store
            .append_with_checkpoint(1, "main", vec![row("a")], b"state-2")
            .unwrap();
        assert!(stored.is_empty());
        assert_eq!(
            store.checkpoint(1, "main").unwrap().as_deref(),
            Some(&b"state-2"[..])
        );
        assert_eq!(store.checkpoint(1, "side").unwrap(), None);
        assert_eq!(store.checkpoint(2, "main").unwrap(), None);
        store.clear_checkpoint(1, "main").unwrap();
        assert_eq!(store.checkpoint(1, "main").unwrap(), None);
        store
            .append_with_checkpoint(1, "main", vec![], b"state-3")
            .unwrap();
        store.purge_guild(1).unwrap();
        assert_eq!(store.checkpoint(1, "main").unwrap(), None);
    }
}
