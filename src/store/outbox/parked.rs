//! Entries a destination refused for good (a deleted channel, missing permissions) leave the
//! queue with their reason, so delivery does not spin on them; an operator can requeue them
//! once fixed. Also: recording a card's message id when a card update had to be posted anew.

use serde_json::value::RawValue;

use super::{
    Change, Delivered, DeliveryState, MAX_ERROR_LEN, Outbox, OutboxEntry, PARKED, Parked, Stored,
    deliver, delivered_key, destination_key, entry_key, leave_current_state, load, not_found,
    parked_key, queue_key, save,
};
use crate::store::StoreError;
use crate::store::keys::{KeyReader, decode_json};

/// A parked entry, for operators.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedDelivery {
    /// What was to be delivered, where.
    pub entry: OutboxEntry,
    /// Attempts made, the refused one included.
    pub attempts: u32,
    /// Why the destination refused it (a deleted channel, missing permissions).
    pub reason: String,
    /// Unix milliseconds when it was parked.
    pub parked_at_ms: i64,
}

impl Outbox {
    /// Take a pending entry out of the queue for good, keeping `reason`. A no-op for an entry
    /// already delivered or parked.
    pub fn park(&self, key: &str, reason: &str) -> Result<(), StoreError> {
        let reason: String = reason.chars().take(MAX_ERROR_LEN).collect();
        let now = self.clock.now_ms();
        self.change(|change| {
            let mut stored = load(change.tree, key)?.ok_or_else(|| not_found(key))?;
            if stored.delivered.is_some() || stored.parked.is_some() {
                return Ok(());
            }
            leave_current_state(change, &stored);
            stored.attempts = stored.attempts.saturating_add(1);
            stored.last_error = Some(reason.clone());
            stored.parked = Some(Parked { reason, at_ms: now });
            change.insert(parked_key(now, key), &[]);
            save(change, &stored)
        })
    }

    /// Put a parked entry back in the queue, at its original place, due now. False if it was
    /// not parked.
    pub fn unpark(&self, key: &str) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        self.change(|change| {
            let mut stored = load(change.tree, key)?.ok_or_else(|| not_found(key))?;
            if stored.delivered.is_some() || stored.parked.is_none() {
                return Ok(false);
            }
            leave_current_state(change, &stored);
            stored.parked = None;
            stored.next_attempt_at_ms = now;
            change.insert(queue_key(stored.seq), key.as_bytes());
            change.depth += 1;
            save(change, &stored).map(|()| true)
        })
    }

    /// Up to `limit` parked entries, oldest first.
    pub fn parked(&self, limit: usize) -> Result<Vec<ParkedDelivery>, StoreError> {
        let mut found = Vec::new();
        for index_key in self.tree.scan_prefix([PARKED]).keys().take(limit) {
            let index_key = index_key?;
            let mut reader = KeyReader::new(&index_key, "outbox parked entry");
            reader.skip(1 + 8)?;
            let key = std::str::from_utf8(reader.rest())
                .map_err(|e| crate::store::keys::corrupt("outbox parked entry", e))?;
            let Some(bytes) = self.tree.get(entry_key(key))? else {
                continue;
            };
            let stored: Stored = decode_json(&bytes, &format!("outbox entry `{key}`"))?;
            if let Some(parked) = stored.parked {
                found.push(ParkedDelivery {
                    entry: stored.entry,
                    attempts: stored.attempts,
                    reason: parked.reason,
                    parked_at_ms: parked.at_ms,
                });
            }
        }
        Ok(found)
    }

    /// Record that delivering `key` posted a new message `message_id`, which from now on is
    /// also the message of `card_key` (a card whose own post is missing or was refused), so
    /// later updates edit it. One atomic change: a crash never records one without the other.
    pub fn mark_delivered_as_card(
        &self,
        key: &str,
        message_id: &str,
        card_key: &str,
    ) -> Result<(), StoreError> {
        if card_key.is_empty() || card_key == key {
            return Err(StoreError::Invalid(format!(
                "card key `{card_key}` must be non-empty and differ from the entry key"
            )));
        }
        let now = self.clock.now_ms();
        self.change(|change| {
            let stored = load(change.tree, key)?.ok_or_else(|| not_found(key))?;
            let destination = stored.entry.destination.clone();
            deliver(change, stored, message_id, now)?;
            match load(change.tree, card_key)? {
                Some(card) => deliver(change, card, message_id, now),
                None => insert_delivered_card(change, card_key, &destination, message_id, now),
            }
        })
    }
}

/// Save a delivered record for a card that was never queued itself: it exists only to name
/// its message.
fn insert_delivered_card(
    change: &mut Change<'_>,
    card_key: &str,
    destination: &str,
    message_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let seq = change.next_seq();
    let stored = Stored {
        entry: OutboxEntry {
            idempotency_key: card_key.to_owned(),
            destination: destination.to_owned(),
            payload: RawValue::NULL.to_owned(),
            edit_of: None,
        },
        seq,
        enqueued_at_ms: now,
        attempts: 0,
        next_attempt_at_ms: now,
        last_error: None,
        delivered: Some(Delivered {
            message_id: message_id.to_owned(),
            at_ms: now,
        }),
        parked: None,
    };
    change.insert(destination_key(destination, card_key), &[]);
    change.insert(delivered_key(now, card_key), &[]);
    save(change, &stored)
}

impl From<&Stored> for DeliveryState {
    fn from(stored: &Stored) -> Self {
        match (&stored.delivered, &stored.parked) {
            (Some(delivered), _) => Self::Delivered {
                message_id: delivered.message_id.clone(),
            },
            (None, Some(parked)) => Self::Parked {
                reason: parked.reason.clone(),
            },
            (None, None) => Self::Pending,
        }
    }
}
