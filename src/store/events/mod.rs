//! The event store: every event a guild's ER:LC servers produce, with per-server ids that
//! survive restarts, time-series and player-timeline indexes, per-partition counters kept in
//! step with the data, content dedupe, retention and guild purges.
//!
//! All of it lives in one sled tree (`events`), so each append or deletion is one atomic
//! batch: an event is never visible without its index entries and counters. An append keeps
//! each server's events in one record (`chunk`), as sled's costs go by keys written. Writers are
//! serialised by a lock held by this value, so open one `EventStore` per database and clone it.

mod checkpoint;
mod chunk;
mod heads;
mod layout;
#[cfg(test)]
mod legacy_tests;
mod query;
mod record;
mod retention;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::SharedClock;
use crate::events::{Event, NewEvent};
use crate::store::StoreError;
use crate::store::flusher::GroupFlush;
use crate::store::keys::decode_u64;

use record::{StoredEvent, encode_record};

pub use heads::HeadsMoved;
pub use query::{Cursor, EventQuery, MAX_PAGE_SIZE, Order, Page, PartitionHead};
pub use retention::{PartitionRule, RetentionConfig, RetentionPolicy};

/// Name of the sled tree holding events.
pub const EVENTS_TREE: &str = "events";

/// The event store. Cheap to clone; clones share the write lock.
#[derive(Clone)]
pub struct EventStore {
    tree: sled::Tree,
    clock: SharedClock,
    retention: Arc<RetentionConfig>,
    write_lock: Arc<Mutex<()>>,
    group_flush: GroupFlush,
    heads: Arc<heads::Heads>,
}

impl std::fmt::Debug for EventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStore")
            .field("tree", &EVENTS_TREE)
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

/// Counter changes gathered while building a batch, applied once at the end.
#[derive(Default)]
struct CounterDeltas(BTreeMap<Vec<u8>, i64>);

impl CounterDeltas {
    fn add(&mut self, key: Vec<u8>, delta: i64) {
        *self.0.entry(key).or_default() += delta;
    }
}

impl EventStore {
    /// Open (or create) the event store in `db` with the default retention configuration.
    pub fn open(db: &sled::Db, clock: SharedClock) -> Result<Self, StoreError> {
        Self::open_with_retention(db, clock, RetentionConfig::default())
    }

    /// Open with a custom partition mapping and retention policies (validated here).
    pub fn open_with_retention(
        db: &sled::Db,
        clock: SharedClock,
        retention: RetentionConfig,
    ) -> Result<Self, StoreError> {
        let tree = db.open_tree(EVENTS_TREE)?;
        Self::open_inner(tree.clone(), clock, retention, GroupFlush::new(tree))
    }

    /// Open with the default retention, flushing through the database's shared group commit.
    pub(crate) fn open_sharing_flush(
        db: &sled::Db,
        clock: SharedClock,
        group_flush: GroupFlush,
    ) -> Result<Self, StoreError> {
        let tree = db.open_tree(EVENTS_TREE)?;
        Self::open_inner(tree, clock, RetentionConfig::default(), group_flush)
    }

    fn open_inner(
        tree: sled::Tree,
        clock: SharedClock,
        retention: RetentionConfig,
        group_flush: GroupFlush,
    ) -> Result<Self, StoreError> {
        retention.validate()?;
        Ok(Self {
            heads: Arc::new(heads::Heads::load(&tree)?),
            group_flush,
            tree,
            clock,
            retention: Arc::new(retention),
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    /// How long each partition keeps events, as the cleanup applies it.
    pub fn retention(&self) -> &RetentionConfig {
        &self.retention
    }

    /// The lock only orders writers; a panic while holding it leaves no half-written state
    /// (batches are atomic), so a poisoned lock is safe to take over.
    fn lock(&self) -> MutexGuard<'_, ()> {
        self.write_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Store events for `guild`, giving each the next id of its server. Events whose
    /// `dedupe_key` is already stored for that server (or repeats earlier in `events`) are
    /// skipped; the stored events are returned in input order. Written atomically, not
    /// flushed: call [`EventStore::flush_async`] before telling anyone about them.
    pub fn append(&self, guild: u64, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        self.append_in_batch(guild, events, sled::Batch::default())
    }

    /// [`EventStore::append`], writing `batch` (extra records of this tree) in the same
    /// atomic batch as the events.
    fn append_in_batch(
        &self,
        guild: u64,
        events: Vec<NewEvent>,
        mut batch: sled::Batch,
    ) -> Result<Vec<Event>, StoreError> {
        let _guard = self.lock();
        let recorded_at_ms = self.clock.now_ms();
        let mut counters = CounterDeltas::default();
        let mut last_ids: HashMap<String, u64> = HashMap::new();
        let mut seen_keys: HashSet<Vec<u8>> = HashSet::new();
        // Each server's records of this append, written as one chunk (see `chunk`).
        let mut records: BTreeMap<String, Vec<(u64, Vec<u8>)>> = BTreeMap::new();
        let mut stored = Vec::with_capacity(events.len());
        for new in events {
            let server = new.event_type.server().to_owned();
            if let Some(content_key) = &new.dedupe_key {
                let key = layout::dedupe_key(guild, &server, content_key)?;
                if seen_keys.contains(&key) || self.tree.contains_key(&key)? {
                    continue;
                }
                seen_keys.insert(key);
            }
            let id = match last_ids.get(&server) {
                Some(last) => *last,
                None => self.last_id(guild, &server)?,
            }
            .checked_add(1)
            .ok_or_else(|| StoreError::Invalid(format!("event ids of `{server}` ran out")))?;
            last_ids.insert(server.clone(), id);
            let event = Event {
                guild,
                server,
                id,
                event_type: new.event_type,
                source_time: new.source_time,
                recorded_at_ms,
                players: new.players,
                payload: new.payload,
            };
            let partition = self.retention.partition_of(&event.event_type);
            for (key, value) in index_entries(&event, partition)? {
                batch.insert(key, value);
            }
            if let Some(content_key) = &new.dedupe_key {
                let key = layout::dedupe_key(guild, &event.server, content_key)?;
                batch.insert(key, &be_id(id));
            }
            counters.add(layout::partition_count_key(guild, partition), 1);
            let record = encode_record(&event, new.dedupe_key.as_deref())?;
            records
                .entry(event.server.clone())
                .or_default()
                .push((id, record));
            stored.push(event);
        }
        for (server, mut records) in records {
            let Some(&(first, _)) = records.first() else {
                continue;
            };
            // A lone event keeps the plain record it had before chunks.
            let value = match records.as_mut_slice() {
                [(_, only)] => std::mem::take(only),
                _ => chunk::encode_chunk(&records)?,
            };
            batch.insert(layout::record_key(guild, &server, first)?, value);
        }
        for (server, last) in &last_ids {
            batch.insert(layout::last_id_key(guild, server)?, &be_id(*last));
        }
        self.apply(batch, counters)?;
        self.heads.advance(guild, &last_ids);
        Ok(stored)
    }

    fn last_id(&self, guild: u64, server: &str) -> Result<u64, StoreError> {
        match self.tree.get(layout::last_id_key(guild, server)?)? {
            Some(bytes) => decode_u64(&bytes, "the last event id counter"),
            None => Ok(0),
        }
    }

    /// Fold counter changes into `batch` and write it atomically. Zero counters are removed.
    fn apply(&self, mut batch: sled::Batch, counters: CounterDeltas) -> Result<(), StoreError> {
        for (key, delta) in counters.0 {
            let current = match self.tree.get(&key)? {
                Some(bytes) => decode_u64(&bytes, "an event counter")?,
                None => 0,
            };
            let updated = i128::from(current) + i128::from(delta);
            match u64::try_from(updated) {
                Ok(0) | Err(_) => batch.remove(key),
                Ok(value) => batch.insert(key, &be_id(value)),
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// The partitions whose newest id moved after `mark` (0: all of them), and the mark
    /// to pass next time; from memory, so a look costs what moved, not how many servers exist.
    pub fn heads_moved_since(&self, mark: u64) -> HeadsMoved {
        self.heads.moved_since(mark)
    }

    /// One event by its id.
    pub fn get(&self, guild: u64, server: &str, id: u64) -> Result<Option<Event>, StoreError> {
        Ok(self.record(guild, server, id)?.map(|stored| stored.event))
    }

    /// Number of stored events of a guild in a retention partition (no scan).
    pub fn count(&self, guild: u64, partition: &str) -> Result<u64, StoreError> {
        self.counter(layout::partition_count_key(guild, partition))
    }

    fn counter(&self, key: Vec<u8>) -> Result<u64, StoreError> {
        match self.tree.get(key)? {
            Some(bytes) => decode_u64(&bytes, "an event counter"),
            None => Ok(0),
        }
    }

    /// Make everything written so far durable; concurrent callers share flushes.
    pub async fn flush_async(&self) -> Result<(), StoreError> {
        self.group_flush.flush().await
    }

    /// [`EventStore::flush_async`] for bulk writers (tracker polls): shares one flush with
    /// every bulk writer of the same window (the store's `flush_window`).
    pub async fn flush_in_window(&self) -> Result<(), StoreError> {
        self.group_flush.flush_in_window().await
    }
}

fn be_id(value: u64) -> [u8; 8] {
    value.to_be_bytes()
}

/// An index entry to write: key and value.
type IndexEntry<'a> = (Vec<u8>, &'a [u8]);

/// Every index entry of an event: its players' timelines (empty values) and its retention
/// partition's time series, whose value is the kind so queries filter without the record.
fn index_entries<'a>(event: &'a Event, partition: &str) -> Result<Vec<IndexEntry<'a>>, StoreError> {
    let position = Cursor::of(event);
    let mut entries = Vec::with_capacity(1 + event.players.len());
    let players: BTreeSet<u64> = event.players.iter().copied().collect();
    for player in players {
        let mut key = layout::player_prefix(event.guild, player);
        layout::push_position(&mut key, &position)?;
        entries.push((key, &[][..]));
    }
    let mut by_partition = layout::partition_prefix(event.guild, partition)?;
    layout::push_position(&mut by_partition, &position)?;
    entries.push((by_partition, event.event_type.kind().as_bytes()));
    Ok(entries)
}

/// Every index key of a stored event, to delete with it: [`index_entries`], and the
/// time-series entry that events stored as JSON records also have.
fn index_keys(stored: &StoredEvent, partition: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut keys: Vec<Vec<u8>> = index_entries(&stored.event, partition)?
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    if stored.time_indexed {
        let mut by_time = layout::guild_prefix(layout::BY_TIME, stored.event.guild);
        layout::push_position(&mut by_time, &Cursor::of(&stored.event))?;
        keys.push(by_time);
    }
    Ok(keys)
}
