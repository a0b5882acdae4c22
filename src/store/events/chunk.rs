//! Where an event's record lives. An append stores each server's events as ONE record, a
//! chunk keyed by the first of their ids, instead of a record per event: sled pays per key
//! written (a node copy, a log entry replayed at every open), not per byte. A record key's id
//! is therefore the lowest id of its record, and an event is in the record with the highest
//! key at or below its id. Records written one event each (before chunks) are a chunk of one,
//! so a database needs no migration. Retention takes events out of a chunk by rewriting it,
//! and deletes it once it is empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::StoreError;
use crate::store::keys::{KeyReader, corrupt, prefix_end};

use super::record::{StoredEvent, decode_record};
use super::{EventStore, layout};

/// First byte of a chunk: then postcard of its (id, record) pairs, ids rising.
const CHUNK_ENVELOPE: u8 = 0xB3;

/// A chunk's entries, each an id and that event's record bytes (see `record`).
#[derive(Serialize, Deserialize)]
struct Entries<'a>(#[serde(borrow)] Vec<(u64, &'a [u8])>);

/// The bytes of a record holding `entries` (ids rising).
pub(super) fn encode_chunk(entries: &[(u64, Vec<u8>)]) -> Result<Vec<u8>, StoreError> {
    let borrowed = Entries(entries.iter().map(|(id, r)| (*id, r.as_slice())).collect());
    let mut out = Vec::with_capacity(1 + entries.iter().map(|(_, r)| r.len() + 4).sum::<usize>());
    out.push(CHUNK_ENVELOPE);
    postcard::to_extend(&borrowed, out)
        .map_err(|e| StoreError::Invalid(format!("a chunk of events cannot be encoded: {e}")))
}

/// The (id, record bytes) pairs stored under a record key whose id is `key_id`: a chunk's
/// entries, or the one event of a record written before chunks. Ids must rise and none may
/// be below the key's, else the record is damaged.
pub(super) fn chunk_entries(bytes: &[u8], key_id: u64) -> Result<Vec<(u64, &[u8])>, StoreError> {
    let Some((&CHUNK_ENVELOPE, rest)) = bytes.split_first() else {
        return Ok(vec![(key_id, bytes)]);
    };
    let what = "a chunk of event records";
    let Entries(entries) = postcard::from_bytes(rest).map_err(|e| corrupt(what, e))?;
    let mut floor = key_id;
    for (i, (id, _)) in entries.iter().enumerate() {
        if *id < floor || (i > 0 && *id == floor) {
            return Err(corrupt(
                what,
                format!("id {id} is out of order under key {key_id}"),
            ));
        }
        floor = *id;
    }
    Ok(entries)
}

/// The id a record key ends with, after `prefix` (the server's record prefix).
fn key_id(key: &[u8], prefix_len: usize) -> Result<u64, StoreError> {
    let mut reader = KeyReader::new(key, "event record key");
    reader.skip(prefix_len)?;
    reader.u64()
}

/// Events taken out of chunks by one cleanup batch, kept until the batch is written so that
/// several events of one chunk cost one rewrite.
#[derive(Default)]
pub(super) struct ChunkEdits(BTreeMap<Vec<u8>, Vec<(u64, Vec<u8>)>>);

impl ChunkEdits {
    /// Take event `id` of `(guild, server)` out of its chunk, returning its record.
    pub(super) fn take(
        &mut self,
        store: &EventStore,
        (guild, server, id): (u64, &str, u64),
    ) -> Result<StoredEvent, StoreError> {
        let missing = || {
            corrupt(
                "event partition index",
                format!("it names event {id} of `{server}`, which is missing"),
            )
        };
        let Some((key, key_id, bytes)) = store.chunk_of(guild, server, id)? else {
            return Err(missing());
        };
        let entries = match self.0.entry(key.to_vec()) {
            std::collections::btree_map::Entry::Occupied(held) => held.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                let owned = chunk_entries(&bytes, key_id)?
                    .into_iter()
                    .map(|(id, record)| (id, record.to_vec()))
                    .collect();
                slot.insert(owned)
            }
        };
        let at = entries
            .iter()
            .position(|(held, _)| *held == id)
            .ok_or_else(missing)?;
        let (_, record) = entries.remove(at);
        decode_record(&record, guild, server, id)
    }

    /// Write every edited chunk into `batch`: rewritten, or removed once empty.
    pub(super) fn write(self, batch: &mut sled::Batch) -> Result<(), StoreError> {
        for (key, entries) in self.0 {
            if entries.is_empty() {
                batch.remove(key);
            } else {
                batch.insert(key, encode_chunk(&entries)?);
            }
        }
        Ok(())
    }
}

impl EventStore {
    /// The record holding event `id` of `(guild, server)`, if any: its key, the key's id and
    /// its bytes. The record is the server's last one keyed at or below `id`; whether it holds
    /// `id` is for the caller to see in its entries.
    pub(super) fn chunk_of(
        &self,
        guild: u64,
        server: &str,
        id: u64,
    ) -> Result<Option<(sled::IVec, u64, sled::IVec)>, StoreError> {
        let prefix = layout::record_prefix(guild, server)?;
        let key = layout::record_key(guild, server, id)?;
        match self.tree.range(prefix.clone()..=key).next_back() {
            Some(entry) => {
                let (key, bytes) = entry?;
                let id = key_id(&key, prefix.len())?;
                Ok(Some((key, id, bytes)))
            }
            None => Ok(None),
        }
    }

    /// Event `id` of `(guild, server)`, read from its chunk.
    pub(super) fn record(
        &self,
        guild: u64,
        server: &str,
        id: u64,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let Some((_, key_id, bytes)) = self.chunk_of(guild, server, id)? else {
            return Ok(None);
        };
        chunk_entries(&bytes, key_id)?
            .into_iter()
            .find(|(held, _)| *held == id)
            .map(|(_, record)| decode_record(record, guild, server, id))
            .transpose()
    }

    /// Up to `limit` events of `(guild, server)` from id `first` on, in id order: from the
    /// chunk holding `first` through the following ones.
    pub(super) fn records_from(
        &self,
        guild: u64,
        server: &str,
        first: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let prefix = layout::record_prefix(guild, server)?;
        let start = match self.chunk_of(guild, server, first)? {
            Some((key, _, _)) => key.to_vec(),
            None => layout::record_key(guild, server, first)?,
        };
        let mut events = Vec::new();
        for entry in self.tree.range(start..prefix_end(&prefix)) {
            let (key, bytes) = entry?;
            let key_id = key_id(&key, prefix.len())?;
            for (id, record) in chunk_entries(&bytes, key_id)? {
                if events.len() == limit {
                    return Ok(events);
                }
                if id >= first {
                    events.push(decode_record(record, guild, server, id)?);
                }
            }
            if events.len() == limit {
                break;
            }
        }
        Ok(events)
    }
}

/// How many events a stored record holds (a purge counts them).
pub(super) fn events_in(bytes: &[u8]) -> Result<usize, StoreError> {
    // The key's id only orders a chunk's entries; any floor counts them the same.
    chunk_entries(bytes, 0).map(|entries| entries.len())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_chunk_round_trips_and_an_old_record_is_a_chunk_of_one() {
        let entries = vec![(7, b"seven".to_vec()), (9, b"nine".to_vec())];
        let bytes = encode_chunk(&entries).unwrap();
        let back = chunk_entries(&bytes, 7).unwrap();
        assert_eq!(back, [(7, &b"seven"[..]), (9, &b"nine"[..])]);
        assert_eq!(events_in(&bytes).unwrap(), 2);
        assert_eq!(chunk_entries(b"{}", 4).unwrap(), [(4, &b"{}"[..])]);
        assert_eq!(events_in(b"{}").unwrap(), 1);
    }

    #[test]
    fn ids_below_the_key_or_out_of_order_are_damage() {
        let bytes = encode_chunk(&[(7, vec![]), (9, vec![])]).unwrap();
        assert!(matches!(
            chunk_entries(&bytes, 8),
            Err(StoreError::Corrupt { .. })
        ));
        let bytes = encode_chunk(&[(9, vec![]), (7, vec![])]).unwrap();
        assert!(matches!(
            chunk_entries(&bytes, 0),
            Err(StoreError::Corrupt { .. })
        ));
        let bytes = encode_chunk(&[(9, vec![]), (9, vec![])]).unwrap();
        assert!(matches!(
            chunk_entries(&bytes, 0),
            Err(StoreError::Corrupt { .. })
        ));
    }

    proptest! {
        #[test]
        fn damaged_chunks_are_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut tagged = vec![CHUNK_ENVELOPE];
            tagged.extend_from_slice(&bytes);
            let _ = chunk_entries(&tagged, 3);
            let _ = events_in(&tagged);
        }
    }
}
