//! Key layout of the `events` tree. Every key starts with a tag byte naming what it indexes,
//! then the guild id; integers are big-endian and times sign-shifted so byte order is time
//! order. A "position" (source time, id, server) ends every time-ordered index key.

use crate::events::EventType;
use crate::store::StoreError;
use crate::store::keys::{KeyReader, be_u64, corrupt, push_label, time_key};

use super::query::Cursor;

/// Primary record: guild, server, lowest id → the events of one append to that server, or
/// one event in records written before chunks (see `chunk` and `record`).
pub const RECORD: u8 = 1;
/// Time series: guild, position → empty. Written only with JSON records (before the record
/// envelope): queries merge the partition indexes instead, and such an entry goes with its
/// event.
pub const BY_TIME: u8 = 2;
/// Player timeline: guild, roblox id, position → empty.
pub const BY_PLAYER: u8 = 3;
/// Retired: the newest event per type (guild, type → event), which nothing read. Databases
/// written before may still hold such keys; only a guild purge removes them.
pub const LATEST: u8 = 4;
/// Retention walk order and time series: guild, partition, position → the event's kind
/// (empty in entries written before the kind was, which then need the record to filter).
pub const BY_PARTITION: u8 = 5;
/// Last id handed out: guild, server → u64. Kept by purges so ids are never reused.
pub const LAST_ID: u8 = 6;
/// Events per partition: guild, partition → u64.
pub const PARTITION_COUNT: u8 = 7;
/// Retired: events per type (guild, type → u64), which nothing read. Databases written
/// before may still hold such keys; only a guild purge removes them.
pub const TYPE_COUNT: u8 = 8;
/// Content dedupe: guild, server, dedupe key → id. Lives as long as the event it names.
pub const DEDUPE: u8 = 9;
/// A producer's resume state: guild, server → opaque bytes, written with the events it covers.
pub const CHECKPOINT: u8 = 10;

/// Every tag holding data that belongs to a guild and goes when the guild is purged. Index
/// entries go before the records they name, so an interrupted purge never leaves an index
/// pointing at a missing record.
pub const PURGED_TAGS: [u8; 9] = [
    BY_TIME,
    BY_PLAYER,
    BY_PARTITION,
    LATEST,
    DEDUPE,
    CHECKPOINT,
    RECORD,
    PARTITION_COUNT,
    TYPE_COUNT,
];

pub fn guild_prefix(tag: u8, guild: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(48);
    key.push(tag);
    key.extend_from_slice(&be_u64(guild));
    key
}

fn with_label(tag: u8, guild: u64, label: &str) -> Result<Vec<u8>, StoreError> {
    let mut key = guild_prefix(tag, guild);
    push_label(&mut key, label)?;
    Ok(key)
}

pub fn record_prefix(guild: u64, server: &str) -> Result<Vec<u8>, StoreError> {
    with_label(RECORD, guild, server)
}

pub fn record_key(guild: u64, server: &str, id: u64) -> Result<Vec<u8>, StoreError> {
    let mut key = record_prefix(guild, server)?;
    key.extend_from_slice(&be_u64(id));
    Ok(key)
}

/// Append the position (source time, id, server) that orders time-indexed keys.
pub fn push_position(key: &mut Vec<u8>, position: &Cursor) -> Result<(), StoreError> {
    key.extend_from_slice(&time_key(position.source_time));
    key.extend_from_slice(&be_u64(position.id));
    push_label(key, &position.server)
}

/// Read a position back from the tail of an index key.
pub fn read_position(reader: &mut KeyReader<'_>) -> Result<Cursor, StoreError> {
    let source_time = reader.time()?;
    let id = reader.u64()?;
    let server = reader.label()?.to_owned();
    Ok(Cursor {
        source_time,
        id,
        server,
    })
}

/// The event type an index entry's value names (with the server from its key), or `None`
/// for an entry that names none.
pub fn indexed_type(server: &str, value: &[u8]) -> Result<Option<EventType>, StoreError> {
    if value.is_empty() {
        return Ok(None);
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|kind| EventType::parse(&format!("{server}/{kind}")).ok())
        .map(Some)
        .ok_or_else(|| corrupt("event index entry", "its value is not an event kind"))
}

pub fn player_prefix(guild: u64, player: u64) -> Vec<u8> {
    let mut key = guild_prefix(BY_PLAYER, guild);
    key.extend_from_slice(&be_u64(player));
    key
}

pub fn partition_prefix(guild: u64, partition: &str) -> Result<Vec<u8>, StoreError> {
    with_label(BY_PARTITION, guild, partition)
}

pub fn last_id_key(guild: u64, server: &str) -> Result<Vec<u8>, StoreError> {
    with_label(LAST_ID, guild, server)
}

pub fn partition_count_key(guild: u64, partition: &str) -> Vec<u8> {
    let mut key = guild_prefix(PARTITION_COUNT, guild);
    key.extend_from_slice(partition.as_bytes());
    key
}

pub fn dedupe_key(guild: u64, server: &str, content_key: &str) -> Result<Vec<u8>, StoreError> {
    let mut key = with_label(DEDUPE, guild, server)?;
    key.extend_from_slice(content_key.as_bytes());
    Ok(key)
}

pub fn checkpoint_key(guild: u64, server: &str) -> Result<Vec<u8>, StoreError> {
    with_label(CHECKPOINT, guild, server)
}
