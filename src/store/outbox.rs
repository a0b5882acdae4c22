//! The delivery outbox: every message a feed wants posted or edited waits here until the
//! sink reports it delivered (at least once; the idempotency key lets the sink drop repeats),
//! and the resulting message id is kept so cards can be edited in place after restarts.
//! Kept in the `outbox` sled tree; each change is one atomic batch, written while holding the
//! outbox's writer lock, so what a change read is still true when it lands (no sled
//! transaction, no retry). The queue depth and the last sequence number live in memory,
//! counted from the queue at open, so queueing a message costs no counter write and marking
//! it delivered is a plain batch. Entries a destination refused for good are parked (see [`Outbox::parked`]); the feed pipeline's routing cursors live
//! here too (see [`routing`]) so that queueing messages and moving a cursor is one change.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::StoreError;
use super::keys::{KeyReader, be_u64, decode_json, decode_u64, encode_json, time_key};
use crate::clock::SharedClock;

/// Name of the sled tree holding the outbox.
pub const OUTBOX_TREE: &str = "outbox";

/// idempotency key → JSON [`Stored`].
const ENTRY: u8 = 1;
/// enqueue sequence number → idempotency key; only pending entries, oldest first.
const QUEUE: u8 = 2;
/// destination, 0, idempotency key → empty.
const BY_DESTINATION: u8 = 3;
/// delivery time, idempotency key → empty; for pruning old delivered entries.
const DELIVERED: u8 = 4;
/// Counters older versions kept in the tree (last sequence number, depth); read once at open
/// and removed, as both are now counted from the queue.
const LEGACY_LAST_SEQ_KEY: [u8; 2] = [5, 1];
const LEGACY_DEPTH_KEY: [u8; 2] = [5, 2];
/// park time, idempotency key → empty; entries a destination refused for good.
const PARKED: u8 = 6;
/// guild, server → last routed event id (see [`routing`]).
const ROUTE_CURSOR: u8 = 7;

/// Longest error text kept per failed attempt.
const MAX_ERROR_LEN: usize = 500;

/// A message to deliver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Unique per message (e.g. `guild/server/event-id/channel`); enqueueing it twice is a no-op.
    pub idempotency_key: String,
    /// Where to deliver, e.g. a channel id.
    pub destination: String,
    /// The rendered message, as JSON text: the outbox stores and returns it as it is, so
    /// queueing, scanning and marking entries never builds (or copies) a tree of its values.
    pub payload: Box<RawValue>,
    /// Edit the message delivered for this other idempotency key instead of posting anew.
    pub edit_of: Option<String>,
}

impl PartialEq for OutboxEntry {
    fn eq(&self, other: &Self) -> bool {
        self.idempotency_key == other.idempotency_key
            && self.destination == other.destination
            && self.payload.get() == other.payload.get()
            && self.edit_of == other.edit_of
    }
}

/// A pending entry with its delivery history.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDelivery {
    /// What to deliver, where.
    pub entry: OutboxEntry,
    /// Unix milliseconds when it was queued.
    pub enqueued_at_ms: i64,
    /// Failed attempts so far; 0 before the first try.
    pub attempts: u32,
    /// Do not retry before this time (Unix ms).
    pub next_attempt_at_ms: i64,
    /// Why the latest attempt failed (cut to 500 characters); `None` before any failure.
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Delivered {
    message_id: String,
    at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Parked {
    reason: String,
    at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    entry: OutboxEntry,
    seq: u64,
    enqueued_at_ms: i64,
    attempts: u32,
    next_attempt_at_ms: i64,
    last_error: Option<String>,
    delivered: Option<Delivered>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parked: Option<Parked>,
}

/// What is ready to deliver, per destination in queue order (see [`Outbox::due_in_order`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DueDeliveries {
    /// Due entries, oldest first; for each destination only those before its first entry
    /// that is not due yet.
    pub due: Vec<PendingDelivery>,
    /// The earliest retry time among destinations held back by an entry not due yet.
    pub next_retry_at_ms: Option<i64>,
}

/// Where an entry stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for (another) attempt.
    Pending,
    /// Delivered; the message it produced.
    Delivered {
        /// Id of the posted (or last edited) message, as the sink reported it.
        message_id: String,
    },
    /// Refused for good; waits for [`Outbox::unpark`] or a purge.
    Parked {
        /// Why the destination refused it, as the sink said.
        reason: String,
    },
}

/// The outbox. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    tree: sled::Tree,
    clock: SharedClock,
    shared: Arc<Shared>,
}

/// What every clone of one outbox shares.
#[derive(Debug)]
struct Shared {
    /// Held by every change, with the last sequence number handed out: a change reads what
    /// it needs and writes one batch while no other change can slip in between, and
    /// sequence numbers are given in the order their entries land.
    writer: Mutex<u64>,
    /// Pending entries (in the queue), kept equal to the queue's size by every change.
    depth: AtomicU64,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("tree", &OUTBOX_TREE)
            .finish_non_exhaustive()
    }
}

/// One change in the making: the writes to apply together, and how the queue's size moves.
struct Change<'a> {
    tree: &'a sled::Tree,
    batch: sled::Batch,
    depth: i64,
    /// The last sequence number handed out (the writer lock's value).
    last_seq: &'a mut u64,
}

impl Change<'_> {
    fn insert(&mut self, key: impl Into<sled::IVec>, value: impl Into<sled::IVec>) {
        self.batch.insert(key, value);
    }

    fn remove(&mut self, key: impl Into<sled::IVec>) {
        self.batch.remove(key);
    }

    fn next_seq(&mut self) -> u64 {
        *self.last_seq += 1;
        *self.last_seq
    }
}

fn entry_key(idempotency_key: &str) -> Vec<u8> {
    [&[ENTRY][..], idempotency_key.as_bytes()].concat()
}

fn queue_key(seq: u64) -> Vec<u8> {
    [&[QUEUE][..], &be_u64(seq)].concat()
}

fn destination_key(destination: &str, idempotency_key: &str) -> Vec<u8> {
    [
        &[BY_DESTINATION][..],
        destination.as_bytes(),
        &[0],
        idempotency_key.as_bytes(),
    ]
    .concat()
}

fn delivered_key(at_ms: i64, idempotency_key: &str) -> Vec<u8> {
    [
        &[DELIVERED][..],
        &time_key(at_ms),
        idempotency_key.as_bytes(),
    ]
    .concat()
}

fn load(tree: &sled::Tree, key: &str) -> Result<Option<Stored>, StoreError> {
    tree.get(entry_key(key))?
        .map(|bytes| decode_json(&bytes, &format!("outbox entry `{key}`")))
        .transpose()
}

fn save(change: &mut Change<'_>, stored: &Stored) -> Result<(), StoreError> {
    let bytes = encode_json(stored, "an outbox entry")?;
    change.insert(entry_key(&stored.entry.idempotency_key), bytes);
    Ok(())
}

fn not_found(key: &str) -> StoreError {
    StoreError::NotFound(format!(
        "outbox entry `{key}` (it was never enqueued, or it was purged)"
    ))
}

/// Remove an entry and everything that points at it.
fn delete(change: &mut Change<'_>, stored: &Stored) {
    let key = &stored.entry.idempotency_key;
    change.remove(entry_key(key));
    change.remove(destination_key(&stored.entry.destination, key));
    leave_current_state(change, stored);
}

/// Remove the index entry of the state `stored` is in (queue, parked or delivered).
fn leave_current_state(change: &mut Change<'_>, stored: &Stored) {
    let key = &stored.entry.idempotency_key;
    if let Some(delivered) = &stored.delivered {
        change.remove(delivered_key(delivered.at_ms, key));
    } else if let Some(parked) = &stored.parked {
        change.remove(parked_key(parked.at_ms, key));
    } else {
        change.remove(queue_key(stored.seq));
        change.depth -= 1;
    }
}

fn parked_key(at_ms: i64, idempotency_key: &str) -> Vec<u8> {
    [&[PARKED][..], &time_key(at_ms), idempotency_key.as_bytes()].concat()
}

/// Mark `stored` delivered as `message_id` at `now` (whatever state it was in) and save it.
fn deliver(
    change: &mut Change<'_>,
    mut stored: Stored,
    message_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    leave_current_state(change, &stored);
    stored.parked = None;
    // From now on the entry is only looked up for its message id (edits, repeats): keeping the
    // message body would cost its encoding now and its bytes until the entry is pruned.
    stored.entry.payload = RawValue::NULL.to_owned();
    stored.delivered = Some(Delivered {
        message_id: message_id.to_owned(),
        at_ms: now,
    });
    change.insert(delivered_key(now, &stored.entry.idempotency_key), &[]);
    save(change, &stored)
}

fn check_entry(entry: &OutboxEntry) -> Result<(), StoreError> {
    if entry.idempotency_key.is_empty() {
        return Err(StoreError::Invalid(
            "an outbox entry needs a non-empty idempotency key".into(),
        ));
    }
    if entry.destination.is_empty() || entry.destination.contains('\0') {
        return Err(StoreError::Invalid(format!(
            "outbox destination `{}` must be non-empty and contain no NUL character",
            entry.destination.escape_debug()
        )));
    }
    Ok(())
}

/// Queue `entry` unless its key exists (stored, or among `queued`, the keys this change
/// queues already); true if queued.
fn insert_new(
    change: &mut Change<'_>,
    queued: &mut HashSet<String>,
    entry: &OutboxEntry,
    now: i64,
) -> Result<bool, StoreError> {
    let key = &entry.idempotency_key;
    if queued.contains(key) || change.tree.contains_key(entry_key(key))? {
        return Ok(false);
    }
    let seq = change.next_seq();
    save(
        change,
        &Stored {
            entry: entry.clone(),
            seq,
            enqueued_at_ms: now,
            attempts: 0,
            next_attempt_at_ms: now,
            last_error: None,
            delivered: None,
            parked: None,
        },
    )?;
    change.insert(queue_key(seq), key.as_bytes());
    change.insert(destination_key(&entry.destination, key), &[]);
    change.depth += 1;
    queued.insert(key.clone());
    Ok(true)
}

/// The last sequence number in use and the queue's size, counted from the tree: the newest
/// queued or parked entry (a parked one goes back to its place when unparked), or the counter
/// an older version stored, whichever is highest.
fn count_queue(tree: &sled::Tree) -> Result<(u64, u64), StoreError> {
    let mut last_seq = match tree.get(LEGACY_LAST_SEQ_KEY)? {
        Some(bytes) => decode_u64(&bytes, "outbox counter")?,
        None => 0,
    };
    let mut depth = 0;
    for key in tree.scan_prefix([QUEUE]).keys() {
        let key = key?;
        let mut reader = KeyReader::new(&key, "outbox queue entry");
        reader.skip(1)?;
        last_seq = last_seq.max(reader.u64()?);
        depth += 1;
    }
    for index_key in tree.scan_prefix([PARKED]).keys() {
        let index_key = index_key?;
        let mut reader = KeyReader::new(&index_key, "outbox parked entry");
        reader.skip(1 + 8)?;
        let key = std::str::from_utf8(reader.rest())
            .map_err(|e| super::keys::corrupt("outbox parked entry", e))?;
        if let Some(stored) = load(tree, key)? {
            last_seq = last_seq.max(stored.seq);
        }
    }
    Ok((last_seq, depth))
}

impl Outbox {
    /// Open the `outbox` tree; `clock` stamps queueing, retries and deliveries. Counts the
    /// queue (pending entries are few: delivery keeps up, or they wait for a retry).
    pub fn open(db: &sled::Db, clock: SharedClock) -> Result<Self, StoreError> {
        let tree = db.open_tree(OUTBOX_TREE)?;
        let (last_seq, depth) = count_queue(&tree)?;
        let mut legacy = sled::Batch::default();
        legacy.remove(&LEGACY_LAST_SEQ_KEY);
        legacy.remove(&LEGACY_DEPTH_KEY);
        tree.apply_batch(legacy)?;
        Ok(Self {
            tree,
            clock,
            shared: Arc::new(Shared {
                writer: Mutex::new(last_seq),
                depth: AtomicU64::new(depth),
            }),
        })
    }

    fn writer(&self) -> MutexGuard<'_, u64> {
        // The guarded number only grows, so a writer that panicked left nothing half-done.
        self.shared.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Make one change with the writer lock held: `make` reads the tree and fills the batch,
    /// which lands whole (or not at all, if `make` fails) before the next change reads.
    fn change<T>(
        &self,
        make: impl FnOnce(&mut Change<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut last_seq = self.writer();
        let mut change = Change {
            tree: &self.tree,
            batch: sled::Batch::default(),
            depth: 0,
            last_seq: &mut last_seq,
        };
        let value = make(&mut change)?;
        let (batch, depth) = (change.batch, change.depth);
        self.tree.apply_batch(batch)?;
        let now = self.shared.depth.load(Ordering::Relaxed);
        self.shared
            .depth
            .store(now.saturating_add_signed(depth), Ordering::Relaxed);
        Ok(value)
    }

    /// Queue a delivery. False if an entry with this idempotency key exists (pending or
    /// delivered), in which case nothing changes.
    pub fn enqueue(&self, entry: OutboxEntry) -> Result<bool, StoreError> {
        check_entry(&entry)?;
        let now = self.clock.now_ms();
        self.change(|change| insert_new(change, &mut HashSet::new(), &entry, now))
    }

    /// Up to `limit` pending entries, oldest first, whether or not they are due.
    pub fn pending(&self, limit: usize) -> Result<Vec<PendingDelivery>, StoreError> {
        self.scan_pending(limit, i64::MAX)
    }

    /// Up to `limit` pending entries whose retry time has come, oldest first.
    pub fn due(&self, limit: usize) -> Result<Vec<PendingDelivery>, StoreError> {
        self.scan_pending(limit, self.clock.now_ms())
    }

    /// Up to `limit` due entries that can go out now, in queue order. A destination whose
    /// oldest pending entry waits for a retry is held back whole (its messages go out in
    /// order), and its later entries neither count toward `limit` nor hide other
    /// destinations' messages behind them, however many it has queued.
    pub fn due_in_order(&self, limit: usize) -> Result<DueDeliveries, StoreError> {
        let now = self.clock.now_ms();
        let mut held_back: HashSet<String> = HashSet::new();
        let mut found = DueDeliveries::default();
        for pending in self.pending_entries() {
            if found.due.len() >= limit {
                break;
            }
            let pending = pending?;
            if held_back.contains(&pending.entry.destination) {
                continue;
            }
            if pending.next_attempt_at_ms > now {
                found.next_retry_at_ms = Some(
                    found
                        .next_retry_at_ms
                        .map_or(pending.next_attempt_at_ms, |t| {
                            t.min(pending.next_attempt_at_ms)
                        }),
                );
                held_back.insert(pending.entry.destination);
                continue;
            }
            found.due.push(pending);
        }
        Ok(found)
    }

    fn scan_pending(
        &self,
        limit: usize,
        due_by_ms: i64,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        self.pending_entries()
            .filter(|p| {
                p.as_ref()
                    .map_or(true, |p| p.next_attempt_at_ms <= due_by_ms)
            })
            .take(limit)
            .collect()
    }

    /// Every pending (not delivered) entry, in queue order, read as the scan goes.
    fn pending_entries(&self) -> impl Iterator<Item = Result<PendingDelivery, StoreError>> + '_ {
        self.tree.scan_prefix([QUEUE]).filter_map(move |entry| {
            let read = || -> Result<Option<PendingDelivery>, StoreError> {
                let (_, key) = entry?;
                let key = std::str::from_utf8(&key)
                    .map_err(|e| super::keys::corrupt("outbox queue entry", e))?;
                // Delivered or purged since the queue entry was read: no longer pending.
                let Some(bytes) = self.tree.get(entry_key(key))? else {
                    return Ok(None);
                };
                let stored: Stored = decode_json(&bytes, &format!("outbox entry `{key}`"))?;
                if stored.delivered.is_some() {
                    return Ok(None);
                }
                Ok(Some(PendingDelivery {
                    entry: stored.entry,
                    enqueued_at_ms: stored.enqueued_at_ms,
                    attempts: stored.attempts,
                    next_attempt_at_ms: stored.next_attempt_at_ms,
                    last_error: stored.last_error,
                }))
            };
            read().transpose()
        })
    }

    /// Record a failed attempt; the entry stays pending until `retry_at_ms`. A no-op for an
    /// entry already delivered.
    pub fn mark_attempt_failed(
        &self,
        key: &str,
        retry_at_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_ERROR_LEN).collect();
        self.change(|change| {
            let mut stored = load(change.tree, key)?.ok_or_else(|| not_found(key))?;
            if stored.delivered.is_some() || stored.parked.is_some() {
                return Ok(());
            }
            stored.attempts = stored.attempts.saturating_add(1);
            stored.next_attempt_at_ms = retry_at_ms;
            stored.last_error = Some(error);
            save(change, &stored)
        })
    }

    /// Record the delivery and the id of the message it produced. Delivering again (the sink
    /// repeated it) keeps the newest message id; a parked entry counts as delivered after all.
    pub fn mark_delivered(&self, key: &str, message_id: String) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.change(|change| {
            let stored = load(change.tree, key)?.ok_or_else(|| not_found(key))?;
            deliver(change, stored, &message_id, now)
        })
    }

    /// Where `key` stands; `None` if it was never enqueued (or was purged).
    pub fn state(&self, key: &str) -> Result<Option<DeliveryState>, StoreError> {
        let Some(bytes) = self.tree.get(entry_key(key))? else {
            return Ok(None);
        };
        let stored: Stored = decode_json(&bytes, &format!("outbox entry `{key}`"))?;
        Ok(Some(DeliveryState::from(&stored)))
    }

    /// The message id delivered for `key`, if it was delivered (so it can be edited).
    pub fn delivered_message_id(&self, key: &str) -> Result<Option<String>, StoreError> {
        let Some(bytes) = self.tree.get(entry_key(key))? else {
            return Ok(None);
        };
        let stored: Stored = decode_json(&bytes, &format!("outbox entry `{key}`"))?;
        Ok(stored.delivered.map(|d| d.message_id))
    }

    /// Number of pending entries (counted in memory, no read).
    pub fn depth(&self) -> Result<u64, StoreError> {
        Ok(self.shared.depth.load(Ordering::Relaxed))
    }

    /// Drop every entry, pending or delivered, for a destination (a deleted channel).
    /// Returns how many went.
    pub fn purge_destination(&self, destination: &str) -> Result<u64, StoreError> {
        let prefix = [&[BY_DESTINATION][..], destination.as_bytes(), &[0]].concat();
        let mut removed = 0;
        for index_key in self.tree.scan_prefix(&prefix).keys() {
            let index_key = index_key?;
            let mut reader = KeyReader::new(&index_key, "outbox destination entry");
            reader.skip(prefix.len())?;
            let key = std::str::from_utf8(reader.rest())
                .map_err(|e| super::keys::corrupt("outbox destination entry", e))?;
            removed += u64::from(self.delete_entry(key)?);
        }
        Ok(removed)
    }

    /// Forget entries delivered before `before_ms`, up to `batch` of them; their message ids
    /// can no longer be looked up. Returns how many went; call until 0.
    pub fn prune_delivered(&self, before_ms: i64, batch: usize) -> Result<usize, StoreError> {
        let end = [&[DELIVERED][..], &time_key(before_ms)].concat();
        let mut removed = 0;
        for index_key in self.tree.range(vec![DELIVERED]..end).keys().take(batch) {
            let index_key = index_key?;
            let mut reader = KeyReader::new(&index_key, "outbox delivered entry");
            reader.skip(1 + 8)?;
            let key = std::str::from_utf8(reader.rest())
                .map_err(|e| super::keys::corrupt("outbox delivered entry", e))?;
            self.change(|change| {
                // The index entry goes even if the entry was redelivered or purged since.
                change.remove(index_key.clone());
                match load(change.tree, key)? {
                    Some(stored)
                        if delivered_key_of(&stored).as_deref() == Some(&index_key[..]) =>
                    {
                        delete(change, &stored);
                    }
                    _ => {}
                }
                Ok(())
            })?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Delete `key` if it exists; true if it did.
    fn delete_entry(&self, key: &str) -> Result<bool, StoreError> {
        self.change(|change| match load(change.tree, key)? {
            Some(stored) => {
                delete(change, &stored);
                Ok(true)
            }
            None => Ok(false),
        })
    }
}

fn delivered_key_of(stored: &Stored) -> Option<Vec<u8>> {
    let delivered = stored.delivered.as_ref()?;
    Some(delivered_key(
        delivered.at_ms,
        &stored.entry.idempotency_key,
    ))
}

mod parked;
pub use parked::ParkedDelivery;
pub mod routing;
#[cfg(test)]
mod tests;
