//! The event record: what the tracker and webhooks submit (`NewEvent`) and what the store
//! keeps and hands to feeds once it has an id (`Event`).

use serde::{Deserialize, Serialize};

use super::types::EventType;

/// An event as submitted for storage, before it has an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// `<server label>/<kind>`, e.g. `main/player/join`.
    pub event_type: EventType,
    /// When it happened, in Unix seconds as reported by PRC (or when we observed it).
    pub source_time: i64,
    /// Roblox user ids of the players involved, for player timelines.
    pub players: Vec<u64>,
    /// The [`EventPayload`](super::catalog::EventPayload) as JSON.
    pub payload: serde_json::Value,
    /// Content key for dropping log rows that reappear across polls; not stored in the event.
    pub dedupe_key: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Discord guild id that owns the ER:LC server.
    pub guild: u64,
    /// The guild's label for the ER:LC server: the first segment of the type.
    pub server: String,
    /// Increases by one per event within (guild, server); never reused, survives restarts.
    pub id: u64,
    /// `<server label>/<kind>`, e.g. `main/player/join`.
    pub event_type: EventType,
    /// When it happened, in Unix seconds as reported by PRC.
    pub source_time: i64,
    /// When the store recorded it, in Unix milliseconds.
    pub recorded_at_ms: i64,
    /// Roblox user ids of the players involved, for player timelines.
    pub players: Vec<u64>,
    /// The [`EventPayload`](super::catalog::EventPayload) as JSON; may come from a newer bot.
    pub payload: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let event = Event {
            guild: 42,
            server: "main".into(),
            id: 7,
            event_type: EventType::parse("main/player/join").unwrap(),
            source_time: -5,
            recorded_at_ms: 1_700_000_000_000,
            players: vec![1, 2],
            payload: serde_json::json!({"name": "Roblox"}),
        };
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);
        let bad = text.replace("main/player/join", "main/*");
        assert!(serde_json::from_str::<Event>(&bad).is_err());
    }
}
