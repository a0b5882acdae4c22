//! The delivery outbox: every message a feed wants posted or edited waits here until the
//! sink reports it delivered (at least once; the idempotency key lets the sink drop repeats),
//! and the resulting message id is kept so cards can be edited in place after restarts.
//! Kept in the `outbox` sled tree; each change is one transaction. Entries a destination
//! refused for good are parked (see [`Outbox::parked`]); the feed pipeline's routing cursors live
//! here too (see [`routing`]) so that queueing messages and moving a cursor is one change.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::StoreError;
use super::keys::{KeyReader, be_u64, decode_json, decode_u64, encode_json, from_tx, time_key};
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
const LAST_SEQ_KEY: [u8; 2] = [5, 1];
const DEPTH_KEY: [u8; 2] = [5, 2];
/// park time, idempotency key → empty; entries a destination refused for good.
const PARKED: u8 = 6;
/// guild, server → last routed event id (see [`routing`]).
const ROUTE_CURSOR: u8 = 7;

/// Longest error text kept per failed attempt.
const MAX_ERROR_LEN: usize = 500;

/// A message to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Unique per message (e.g. `guild/server/event-id/channel`); enqueueing it twice is a no-op.
    pub idempotency_key: String,
    /// Where to deliver, e.g. a channel id.
    pub destination: String,
    /// The rendered message.
    pub payload: serde_json::Value,
    /// Edit the message delivered for this other idempotency key instead of posting anew.
    pub edit_of: Option<String>,
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
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("tree", &OUTBOX_TREE)
            .finish_non_exhaustive()
    }
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn abort(error: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error)
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

fn read_counter(tx: &TransactionalTree, key: &[u8]) -> TxResult<u64> {
    match tx.get(key)? {
        Some(bytes) => decode_u64(&bytes, "outbox counter").map_err(abort),
        None => Ok(0),
    }
}

fn add_depth(tx: &TransactionalTree, delta: i64) -> TxResult<()> {
    let depth = read_counter(tx, &DEPTH_KEY)?.saturating_add_signed(delta);
    tx.insert(&DEPTH_KEY, &be_u64(depth))?;
    Ok(())
}

fn load(tx: &TransactionalTree, key: &str) -> TxResult<Option<Stored>> {
    tx.get(entry_key(key))?
        .map(|bytes| decode_json(&bytes, &format!("outbox entry `{key}`")))
        .transpose()
        .map_err(abort)
}

fn save(tx: &TransactionalTree, stored: &Stored) -> TxResult<()> {
    let bytes = encode_json(stored, "an outbox entry").map_err(abort)?;
    tx.insert(entry_key(&stored.entry.idempotency_key), bytes)?;
    Ok(())
}

fn not_found(key: &str) -> ConflictableTransactionError<StoreError> {
    abort(StoreError::NotFound(format!(
        "outbox entry `{key}` (it was never enqueued, or it was purged)"
    )))
}

/// Remove an entry and everything that points at it.
fn delete(tx: &TransactionalTree, stored: &Stored) -> TxResult<()> {
    let key = &stored.entry.idempotency_key;
    tx.remove(entry_key(key))?;
    tx.remove(destination_key(&stored.entry.destination, key))?;
    leave_current_state(tx, stored)
}

/// Remove the index entry of the state `stored` is in (queue, parked or delivered).
fn leave_current_state(tx: &TransactionalTree, stored: &Stored) -> TxResult<()> {
    let key = &stored.entry.idempotency_key;
    if let Some(delivered) = &stored.delivered {
        tx.remove(delivered_key(delivered.at_ms, key))?;
    } else if let Some(parked) = &stored.parked {
        tx.remove(parked_key(parked.at_ms, key))?;
    } else {
        tx.remove(queue_key(stored.seq))?;
        add_depth(tx, -1)?;
    }
    Ok(())
}

fn parked_key(at_ms: i64, idempotency_key: &str) -> Vec<u8> {
    [&[PARKED][..], &time_key(at_ms), idempotency_key.as_bytes()].concat()
}

/// Mark `stored` delivered as `message_id` at `now` (whatever state it was in) and save it.
fn deliver(tx: &TransactionalTree, mut stored: Stored, message_id: &str, now: i64) -> TxResult<()> {
    leave_current_state(tx, &stored)?;
    stored.parked = None;
    // From now on the entry is only looked up for its message id (edits, repeats): keeping the
    // message body would cost its encoding now and its bytes until the entry is pruned.
    stored.entry.payload = serde_json::Value::Null;
    stored.delivered = Some(Delivered {
        message_id: message_id.to_owned(),
        at_ms: now,
    });
    tx.insert(delivered_key(now, &stored.entry.idempotency_key), &[])?;
    save(tx, &stored)
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

fn next_seq(tx: &TransactionalTree) -> TxResult<u64> {
    let seq = read_counter(tx, &LAST_SEQ_KEY)? + 1;
    tx.insert(&LAST_SEQ_KEY, &be_u64(seq))?;
    Ok(seq)
}

/// Queue `entry` unless its key exists; true if queued.
fn insert_new(tx: &TransactionalTree, entry: &OutboxEntry, now: i64) -> TxResult<bool> {
    let key = &entry.idempotency_key;
    if tx.get(entry_key(key))?.is_some() {
        return Ok(false);
    }
    let seq = next_seq(tx)?;
    save(
        tx,
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
    tx.insert(queue_key(seq), key.as_bytes())?;
    tx.insert(destination_key(&entry.destination, key), &[])?;
    add_depth(tx, 1)?;
    Ok(true)
}

impl Outbox {
    /// Open the `outbox` tree; `clock` stamps queueing, retries and deliveries.
    pub fn open(db: &sled::Db, clock: SharedClock) -> Result<Self, StoreError> {
        Ok(Self {
            tree: db.open_tree(OUTBOX_TREE)?,
            clock,
        })
    }

    /// Queue a delivery. False if an entry with this idempotency key exists (pending or
    /// delivered), in which case nothing changes.
    pub fn enqueue(&self, entry: OutboxEntry) -> Result<bool, StoreError> {
        check_entry(&entry)?;
        let now = self.clock.now_ms();
        self.tree
            .transaction(|tx| insert_new(tx, &entry, now))
            .map_err(from_tx)
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
        self.tree
            .transaction(|tx| {
                let mut stored = load(tx, key)?.ok_or_else(|| not_found(key))?;
                if stored.delivered.is_some() || stored.parked.is_some() {
                    return Ok(());
                }
                stored.attempts = stored.attempts.saturating_add(1);
                stored.next_attempt_at_ms = retry_at_ms;
                stored.last_error = Some(error.clone());
                save(tx, &stored)
            })
            .map_err(from_tx)
    }

    /// Record the delivery and the id of the message it produced. Delivering again (the sink
    /// repeated it) keeps the newest message id; a parked entry counts as delivered after all.
    pub fn mark_delivered(&self, key: &str, message_id: String) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        self.tree
            .transaction(|tx| {
                let stored = load(tx, key)?.ok_or_else(|| not_found(key))?;
                deliver(tx, stored, &message_id, now)
            })
            .map_err(from_tx)
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

    /// Number of pending entries (a counter, no scan).
    pub fn depth(&self) -> Result<u64, StoreError> {
        match self.tree.get(DEPTH_KEY)? {
            Some(bytes) => decode_u64(&bytes, "outbox counter"),
            None => Ok(0),
        }
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
            self.tree
                .transaction(|tx| {
                    // The index entry goes even if the entry was redelivered or purged since.
                    tx.remove(&index_key)?;
                    match load(tx, key)? {
                        Some(stored)
                            if delivered_key_of(&stored).as_deref() == Some(&index_key[..]) =>
                        {
                            delete(tx, &stored)
                        }
                        _ => Ok(()),
                    }
                })
                .map_err(from_tx)?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Delete `key` if it exists; true if it did.
    fn delete_entry(&self, key: &str) -> Result<bool, StoreError> {
        self.tree
            .transaction(|tx| match load(tx, key)? {
                Some(stored) => delete(tx, &stored).map(|()| true),
                None => Ok(false),
            })
            .map_err(from_tx)
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
