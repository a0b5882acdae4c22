//! Routing cursors of the feed pipeline: per (guild, server), the id of the last event whose
//! messages are safely queued. Kept in the outbox tree so that queueing a batch of messages
//! and moving the cursors past their events is one atomic change: after a crash, events are
//! either routed again from scratch (nothing of them was queued) or not at all.

use std::collections::{HashMap, HashSet};

use super::{Outbox, OutboxEntry, ROUTE_CURSOR, check_entry, insert_new};
use crate::store::StoreError;
use crate::store::keys::{be_u64, decode_u64, push_label};

/// How far one server's events have been routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteCursor {
    /// Discord guild id.
    pub guild: u64,
    /// The guild's label for the server.
    pub server: String,
    /// Every event of (guild, server) with an id up to this one is routed and its messages
    /// queued.
    pub last_routed_id: u64,
}

fn cursor_key(guild: u64, server: &str) -> Result<Vec<u8>, StoreError> {
    let mut key = Vec::with_capacity(10 + server.len());
    key.push(ROUTE_CURSOR);
    key.extend_from_slice(&be_u64(guild));
    push_label(&mut key, server)?;
    Ok(key)
}

impl Outbox {
    /// The last routed event id of (guild, server); 0 if none was routed yet.
    pub fn route_cursor(&self, guild: u64, server: &str) -> Result<u64, StoreError> {
        match self.tree.get(cursor_key(guild, server)?)? {
            Some(bytes) => decode_u64(&bytes, "a routing cursor"),
            None => Ok(0),
        }
    }

    /// Queue `entries` (those whose key exists are skipped, as with [`Outbox::enqueue`]) and
    /// move `cursors` forward, all in one atomic change. A cursor never moves back. Returns
    /// how many entries were queued. Not flushed: flush before delivering what was queued.
    pub fn enqueue_and_advance(
        &self,
        entries: &[OutboxEntry],
        cursors: &[RouteCursor],
    ) -> Result<usize, StoreError> {
        for entry in entries {
            check_entry(entry)?;
        }
        let mut cursor_moves: HashMap<Vec<u8>, u64> = HashMap::new();
        for cursor in cursors {
            let id = cursor_moves
                .entry(cursor_key(cursor.guild, &cursor.server)?)
                .or_default();
            *id = (*id).max(cursor.last_routed_id);
        }
        let now = self.clock.now_ms();
        self.change(|change| {
            let mut queued = HashSet::new();
            for entry in entries {
                insert_new(change, &mut queued, entry, now)?;
            }
            for (key, id) in cursor_moves {
                let current = match change.tree.get(&key)? {
                    Some(bytes) => decode_u64(&bytes, "a routing cursor")?,
                    None => 0,
                };
                if id > current {
                    change.insert(key, &be_u64(id));
                }
            }
            Ok(queued.len())
        })
    }
}
