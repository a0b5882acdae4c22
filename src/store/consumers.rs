//! Durable cursors of consumers of stored events other than the feed pipeline (whose cursors
//! live in the outbox): per (consumer, guild, server), the id of the last event the consumer
//! has handled, so it resumes there after a restart. A cursor never moves back.

use super::StoreError;
use super::keys::{be_u64, decode_u64, from_tx, push_label};

/// Name of the sled tree holding the cursors.
pub const CONSUMER_CURSORS_TREE: &str = "consumer_cursors";

/// The cursors. Cheap to clone.
#[derive(Clone)]
pub struct ConsumerCursors {
    tree: sled::Tree,
}

impl std::fmt::Debug for ConsumerCursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerCursors").finish_non_exhaustive()
    }
}

/// `consumer ++ guild ++ server`, the names length-prefixed.
fn key(consumer: &str, guild: u64, server: &str) -> Result<Vec<u8>, StoreError> {
    let mut key = Vec::with_capacity(10 + consumer.len() + server.len());
    push_label(&mut key, consumer)?;
    key.extend_from_slice(&be_u64(guild));
    push_label(&mut key, server)?;
    Ok(key)
}

impl ConsumerCursors {
    pub(crate) fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            tree: db.open_tree(CONSUMER_CURSORS_TREE)?,
        })
    }

    /// The last event id `consumer` handled on (guild, server); `None` if it never recorded
    /// one there.
    pub fn get(&self, consumer: &str, guild: u64, server: &str) -> Result<Option<u64>, StoreError> {
        match self.tree.get(key(consumer, guild, server)?)? {
            Some(bytes) => decode_u64(&bytes, "a consumer cursor").map(Some),
            None => Ok(None),
        }
    }

    /// Record that `consumer` handled every event of (guild, server) up to `id`. A smaller
    /// id than the stored one changes nothing. Not flushed: flush before relying on it.
    pub fn advance(
        &self,
        consumer: &str,
        guild: u64,
        server: &str,
        id: u64,
    ) -> Result<(), StoreError> {
        self.advance_many(consumer, &[(guild, server, id)])
    }

    /// [`ConsumerCursors::advance`] for many (guild, server, id) at once, in one transaction.
    pub fn advance_many(
        &self,
        consumer: &str,
        moves: &[(u64, &str, u64)],
    ) -> Result<(), StoreError> {
        let keys = moves
            .iter()
            .map(|(guild, server, id)| Ok((key(consumer, *guild, server)?, *id)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.tree
            .transaction(|tx| {
                for (key, id) in &keys {
                    let current = match tx.get(key)? {
                        Some(bytes) => Some(
                            decode_u64(&bytes, "a consumer cursor")
                                .map_err(sled::transaction::ConflictableTransactionError::Abort)?,
                        ),
                        None => None,
                    };
                    if current.is_none_or(|current| *id > current) {
                        tx.insert(key.as_slice(), &be_u64(*id))?;
                    }
                }
                Ok(())
            })
            .map_err(from_tx)
    }

    /// A removed guild's cursors go with it. Returns how many.
    pub fn purge_guild(&self, guild: u64) -> Result<u64, StoreError> {
        let mut removed = 0;
        for entry in self.tree.iter() {
            let (key, _) = entry?;
            let consumer_len = usize::from(key.first().copied().unwrap_or(0));
            let at = 1 + consumer_len;
            if key.get(at..at + 8) == Some(&be_u64(guild)[..]) {
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

    #[test]
    fn cursors_move_forward_only_and_per_consumer_guild_and_server() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let cursors = ConsumerCursors::open(&db).unwrap();
        assert_eq!(cursors.get("staff", 1, "main").unwrap(), None);
        cursors.advance("staff", 1, "main", 0).unwrap();
        assert_eq!(cursors.get("staff", 1, "main").unwrap(), Some(0));
        cursors.advance("staff", 1, "main", 5).unwrap();
        cursors.advance("staff", 1, "main", 3).unwrap();
        assert_eq!(cursors.get("staff", 1, "main").unwrap(), Some(5));
        cursors
            .advance_many("staff", &[(1, "side", 9), (2, "main", 4), (1, "main", 4)])
            .unwrap();
        cursors.advance("other", 1, "main", 2).unwrap();
        assert_eq!(cursors.get("staff", 1, "main").unwrap(), Some(5));
        assert_eq!(cursors.get("other", 1, "main").unwrap(), Some(2));
        assert_eq!(cursors.purge_guild(1).unwrap(), 3);
        assert_eq!(cursors.get("staff", 1, "side").unwrap(), None);
        assert_eq!(cursors.get("staff", 2, "main").unwrap(), Some(4));
    }
}
