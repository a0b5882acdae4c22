//! The bytes of a stored event. A record is written as a compact envelope: a tag byte, the
//! fixed fields in postcard, then the payload's JSON (free-form, so postcard cannot carry it).
//! The guild, server and id are in the record's key and not repeated. Records written before
//! the envelope are JSON objects (first byte `{`) and are still read, so a database needs no
//! migration.

use serde::{Deserialize, Serialize};

use crate::events::{Event, EventType};
use crate::store::StoreError;
use crate::store::keys::{corrupt, decode_json};

/// First byte of a record envelope.
const RECORD_ENVELOPE: u8 = 0xB1;

/// The fixed fields; `P` is a borrowed slice when writing and a vector when reading.
#[derive(Serialize, Deserialize)]
struct Header<'a, P> {
    /// The type after the server label (`kill`, `player/join`).
    kind: &'a str,
    source_time: i64,
    recorded_at_ms: i64,
    players: P,
    dedupe_key: Option<&'a str>,
}

/// What a primary record holds: the event plus the content key it was deduplicated by, so
/// deleting the event also frees its dedupe entry.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredEvent {
    #[serde(flatten)]
    pub event: Event,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    /// A JSON record, written when every event also had a time-series entry (`BY_TIME`).
    #[serde(skip)]
    pub time_indexed: bool,
}

/// Encode `event` (with the content key it was deduplicated by) as a record envelope,
/// appending to `out`.
fn encode_into(
    event: &Event,
    dedupe_key: Option<&str>,
    mut out: Vec<u8>,
) -> Result<Vec<u8>, StoreError> {
    let invalid =
        |e: &dyn std::fmt::Display| StoreError::Invalid(format!("an event cannot be encoded: {e}"));
    out.push(RECORD_ENVELOPE);
    let header = Header {
        kind: event.event_type.kind(),
        source_time: event.source_time,
        recorded_at_ms: event.recorded_at_ms,
        players: event.players.as_slice(),
        dedupe_key,
    };
    let mut out = postcard::to_extend(&header, out).map_err(|e| invalid(&e))?;
    serde_json::to_writer(&mut out, &event.payload).map_err(|e| invalid(&e))?;
    Ok(out)
}

/// The primary record of `event`.
pub(super) fn encode_record(
    event: &Event,
    dedupe_key: Option<&str>,
) -> Result<Vec<u8>, StoreError> {
    encode_into(event, dedupe_key, Vec::with_capacity(256))
}

/// Decode a record envelope of event `(guild, server, id)`.
fn decode_envelope(
    bytes: &[u8],
    (guild, server, id): (u64, &str, u64),
    what: &str,
) -> Result<StoredEvent, StoreError> {
    let (header, payload): (Header<'_, Vec<u64>>, &[u8]) =
        postcard::take_from_bytes(bytes).map_err(|e| corrupt(what, e))?;
    let event_type = EventType::parse(&format!("{server}/{}", header.kind))
        .map_err(|e| corrupt(what, format!("its type: {e}")))?;
    let payload = serde_json::from_slice(payload).map_err(|e| corrupt(what, e))?;
    Ok(StoredEvent {
        event: Event {
            guild,
            server: server.to_owned(),
            id,
            event_type,
            source_time: header.source_time,
            recorded_at_ms: header.recorded_at_ms,
            players: header.players,
            payload,
        },
        dedupe_key: header.dedupe_key.map(str::to_owned),
        time_indexed: false,
    })
}

/// Decode the primary record stored under `(guild, server, id)`, in either format, and check
/// that it is the event its key names.
pub(super) fn decode_record(
    bytes: &[u8],
    guild: u64,
    server: &str,
    id: u64,
) -> Result<StoredEvent, StoreError> {
    let what = format!("event {id} of server `{server}` in guild {guild}");
    let stored = match bytes.split_first() {
        Some((&RECORD_ENVELOPE, rest)) => decode_envelope(rest, (guild, server, id), &what)?,
        _ => StoredEvent {
            time_indexed: true,
            ..decode_json::<StoredEvent>(bytes, &what)?
        },
    };
    let event = &stored.event;
    if event.guild != guild
        || event.server != server
        || event.id != id
        || event.event_type.server() != server
    {
        return Err(corrupt(&what, "the record names a different event"));
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn event(kind: &str, players: Vec<u64>, payload: serde_json::Value) -> Event {
        Event {
            guild: 9,
            server: "main".into(),
            id: 41,
            event_type: EventType::parse(&format!("main/{kind}")).unwrap(),
            source_time: -7,
            recorded_at_ms: 1_700_000_000_123,
            players,
            payload,
        }
    }

    #[test]
    fn a_record_round_trips_and_is_smaller_than_json() {
        let payload = serde_json::json!({"type": "kill", "killer": {"name": "A", "id": 5}});
        let event = event("kill", vec![5, 6, 5], payload);
        let bytes = encode_record(&event, Some("kill/abc")).unwrap();
        let back = decode_record(&bytes, 9, "main", 41).unwrap();
        assert_eq!(back.event, event);
        assert_eq!(back.dedupe_key.as_deref(), Some("kill/abc"));
        let json = serde_json::to_vec(&StoredEvent {
            event: event.clone(),
            dedupe_key: Some("kill/abc".into()),
            time_indexed: false,
        })
        .unwrap();
        assert!(
            bytes.len() * 2 < json.len(),
            "{} vs {}",
            bytes.len(),
            json.len()
        );
    }

    #[test]
    fn json_records_from_before_the_envelope_still_read() {
        // Exactly what the store wrote before the envelope: the JSON of `StoredEvent`.
        let event = event("player/join", vec![3], serde_json::json!({"name": "B"}));
        let old = serde_json::to_vec(&StoredEvent {
            event: event.clone(),
            dedupe_key: Some("join/1".into()),
            time_indexed: false,
        })
        .unwrap();
        assert_eq!(old.first(), Some(&b'{'));
        let back = decode_record(&old, 9, "main", 41).unwrap();
        assert_eq!(back.event, event);
        assert_eq!(back.dedupe_key.as_deref(), Some("join/1"));
        assert!(back.time_indexed);
    }

    #[test]
    fn a_copy_naming_another_event_is_corrupt() {
        let event = event("kill", vec![], serde_json::json!(null));
        let json = serde_json::to_vec(&StoredEvent {
            event: event.clone(),
            dedupe_key: None,
            time_indexed: false,
        })
        .unwrap();
        assert!(matches!(
            decode_record(&json, 9, "side", 41),
            Err(StoreError::Corrupt { .. })
        ));
    }

    proptest! {
        #[test]
        fn damaged_bytes_are_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_record(&bytes, 1, "main", 1);
            let mut tagged = vec![RECORD_ENVELOPE];
            tagged.extend_from_slice(&bytes);
            let _ = decode_record(&tagged, 1, "main", 1);
        }

        #[test]
        fn any_event_round_trips(
            kind in "[a-z]{1,8}(/[a-z_]{1,8}){0,2}",
            source_time in any::<i64>(),
            recorded_at_ms in any::<i64>(),
            players in proptest::collection::vec(any::<u64>(), 0..4),
            text in ".{0,20}",
            dedupe in proptest::option::of("[ -~]{0,30}"),
        ) {
            let mut event = event(&kind, players, serde_json::json!({"text": text, "n": source_time}));
            event.source_time = source_time;
            event.recorded_at_ms = recorded_at_ms;
            let bytes = encode_record(&event, dedupe.as_deref()).unwrap();
            let back = decode_record(&bytes, 9, "main", 41).unwrap();
            prop_assert_eq!(back.event, event);
            prop_assert_eq!(back.dedupe_key, dedupe);
        }
    }
}
