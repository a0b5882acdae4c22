//! The newest event id of every (guild, server), kept in memory so readers need not scan
//! the tree's LAST_ID keys: loaded once when the store opens, moved forward after each append
//! is applied (under the store's write lock, so it never runs ahead of the tree). Every move
//! takes a number from one rising sequence, so a consumer that remembers the number of its last
//! look ([`HeadsMoved::mark`]) learns which partitions moved since at a cost of how many moved,
//! not of how many servers exist. Ids survive purges, so a head never moves back or goes away.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::layout;
use super::query::PartitionHead;
use crate::store::StoreError;
use crate::store::keys::{KeyReader, decode_u64};

type Partition = (u64, String);

/// Partitions whose newest id moved after a consumer's mark.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeadsMoved {
    /// The moved partitions with their newest id, the longest unmoved first.
    pub heads: Vec<PartitionHead>,
    /// Pass this to the next [`EventStore::heads_moved_since`](super::EventStore::heads_moved_since)
    /// call to learn only of moves after this one.
    pub mark: u64,
}

/// Heads of every partition and the order in which they last moved.
pub(super) struct Heads {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Partition → (newest id, sequence number of its last move).
    partitions: HashMap<Partition, (u64, u64)>,
    /// Sequence number of a partition's last move → the partition; one entry per partition.
    by_move: BTreeMap<u64, Partition>,
    /// The last sequence number handed out.
    moves: u64,
}

impl Inner {
    fn set(&mut self, partition: Partition, last_id: u64) {
        match self.partitions.get(&partition) {
            Some((id, _)) if *id >= last_id => return,
            Some((_, moved_at)) => {
                self.by_move.remove(moved_at);
            }
            None => {}
        }
        self.moves += 1;
        self.partitions
            .insert(partition.clone(), (last_id, self.moves));
        self.by_move.insert(self.moves, partition);
    }
}

impl Heads {
    /// Read every LAST_ID key of `tree`. A damaged entry is logged and left out, so only its
    /// own server's events go unseen by readers (appending to it fails on the same damage).
    pub(super) fn load(tree: &sled::Tree) -> Result<Self, StoreError> {
        let mut inner = Inner::default();
        for entry in tree.scan_prefix([layout::LAST_ID]) {
            let (key, value) = entry?;
            let decoded = (|| -> Result<(Partition, u64), StoreError> {
                let mut reader = KeyReader::new(&key, "last event id key");
                reader.skip(1)?;
                let guild = reader.u64()?;
                let server = reader.label()?.to_owned();
                let last_id = decode_u64(&value, "the last event id counter")?;
                Ok(((guild, server), last_id))
            })();
            match decoded {
                Ok((partition, last_id)) => inner.set(partition, last_id),
                Err(error) => {
                    tracing::error!(%error, "a server's last event id is damaged; its events are not routed");
                }
            }
        }
        Ok(Self {
            inner: Mutex::new(inner),
        })
    }

    /// The map holds no invariant a panic could break halfway, so a poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record that `guild`'s servers now end at these ids (after the batch writing them
    /// applied). An id at or below the known head changes nothing.
    pub(super) fn advance<'a>(
        &self,
        guild: u64,
        last_ids: impl IntoIterator<Item = (&'a String, &'a u64)>,
    ) {
        let mut inner = self.lock();
        for (server, last_id) in last_ids {
            inner.set((guild, server.clone()), *last_id);
        }
    }

    /// Every partition's head, ordered by guild then server.
    pub(super) fn all(&self) -> Vec<PartitionHead> {
        let inner = self.lock();
        let mut heads: Vec<PartitionHead> = inner
            .partitions
            .iter()
            .map(|((guild, server), (last_id, _))| PartitionHead {
                guild: *guild,
                server: server.clone(),
                last_id: *last_id,
            })
            .collect();
        heads.sort_by(|a, b| (a.guild, &a.server).cmp(&(b.guild, &b.server)));
        heads
    }

    /// The partitions that moved after `mark` (0: every partition).
    pub(super) fn moved_since(&self, mark: u64) -> HeadsMoved {
        let inner = self.lock();
        let heads = inner
            .by_move
            .range(mark.saturating_add(1)..)
            .map(|(_, partition)| PartitionHead {
                guild: partition.0,
                server: partition.1.clone(),
                last_id: inner.partitions.get(partition).map_or(0, |(id, _)| *id),
            })
            .collect();
        HeadsMoved {
            heads,
            mark: inner.moves,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::super::EventStore;
    use super::*;
    use crate::clock::ManualClock;
    use crate::events::{EventType, NewEvent};

    fn open(db: &sled::Db) -> EventStore {
        EventStore::open(db, Arc::new(ManualClock::new(1_700_000_000_000))).unwrap()
    }

    fn events(event_type: &str, count: usize) -> Vec<NewEvent> {
        (0..count)
            .map(|i| NewEvent {
                event_type: EventType::parse(event_type).unwrap(),
                source_time: i as i64,
                players: Vec::new(),
                payload: json!({"i": i}),
                dedupe_key: None,
            })
            .collect()
    }

    fn named(moved: &HeadsMoved) -> Vec<(u64, &str, u64)> {
        moved
            .heads
            .iter()
            .map(|h| (h.guild, h.server.as_str(), h.last_id))
            .collect()
    }

    #[test]
    fn a_look_names_only_the_partitions_moved_since_the_last() {
        let store = open(&sled::Config::new().temporary(true).open().unwrap());
        let start = store.heads_moved_since(0);
        assert!(start.heads.is_empty());
        store.append(1, events("main/kill", 3)).unwrap();
        store.append(1, events("side/kill", 1)).unwrap();
        store.append(2, events("main/kill", 2)).unwrap();
        let first = store.heads_moved_since(start.mark);
        assert_eq!(
            named(&first),
            [(1, "main", 3), (1, "side", 1), (2, "main", 2)],
            "in the order they moved"
        );
        assert!(
            store.heads_moved_since(first.mark).heads.is_empty(),
            "nothing moved since"
        );
        store.append(1, events("main/kill", 2)).unwrap();
        let second = store.heads_moved_since(first.mark);
        assert_eq!(named(&second), [(1, "main", 5)]);
        assert_eq!(
            named(&store.heads_moved_since(0)),
            [(1, "side", 1), (2, "main", 2), (1, "main", 5)],
            "mark 0 names every partition once, at its newest id"
        );
        store.append(1, Vec::new()).unwrap();
        assert!(
            store.heads_moved_since(second.mark).heads.is_empty(),
            "an empty append moves nothing"
        );
    }

    #[test]
    fn heads_are_loaded_from_disk_on_reopen_and_match_a_scan() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = crate::store::db::open_test_db(dir.path());
            let store = open(&db);
            store.append(7, events("main/kill", 4)).unwrap();
            store.append(3, events("side/kill", 2)).unwrap();
            store.purge_guild(3).unwrap();
            db.flush().unwrap();
        }
        let db = crate::store::db::open_test_db(dir.path());
        let store = open(&db);
        let all = store.heads_moved_since(0);
        let mut loaded = named(&all);
        loaded.sort();
        assert_eq!(
            loaded,
            [(3, "side", 2), (7, "main", 4)],
            "purges keep heads"
        );
        let mut by_name = all.heads.clone();
        by_name.sort_by(|a, b| (a.guild, &a.server).cmp(&(b.guild, &b.server)));
        assert_eq!(store.heads().unwrap(), by_name);
        let stored = store.append(3, events("side/kill", 1)).unwrap();
        assert_eq!(stored[0].id, 3, "ids go on after the loaded head");
        assert_eq!(named(&store.heads_moved_since(all.mark)), [(3, "side", 3)]);
        let disk = Heads::load(&db.open_tree(super::super::EVENTS_TREE).unwrap()).unwrap();
        assert_eq!(
            disk.all(),
            store.heads().unwrap(),
            "memory matches the tree"
        );
    }

    #[test]
    fn a_damaged_head_is_left_out_and_the_others_load() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let store = open(&db);
        store.append(1, events("main/kill", 2)).unwrap();
        let tree = db.open_tree(super::super::EVENTS_TREE).unwrap();
        tree.insert(layout::last_id_key(1, "side").unwrap(), &b"bad"[..])
            .unwrap();
        let heads = Heads::load(&tree).unwrap();
        let names: Vec<(u64, String, u64)> = heads
            .all()
            .into_iter()
            .map(|h| (h.guild, h.server, h.last_id))
            .collect();
        assert_eq!(names, [(1, "main".to_owned(), 2)]);
    }
}
