//! Decoding a verified webhook body into a batch of typed events. Each event is decoded on its
//! own, so one odd event never loses the others; unknown or ill-fitting events are kept raw.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::WebhookRejection;
use crate::erlc::models::{Extra, Team};

/// One webhook delivery: a server id and the events it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookBatch {
    /// The server's id as PRC sends it (appears to be the Internal Server ID).
    pub server: String,
    /// The events that had a name and a timestamp, in the order PRC sent them.
    pub events: Vec<WebhookEvent>,
    /// Elements of `events` that were not events at all (no name or timestamp), kept for logs.
    pub malformed: Vec<MalformedWebhookEvent>,
}

/// An element of `events` without the envelope every event has.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedWebhookEvent {
    /// Position in the `events` array.
    pub index: usize,
    /// What was wrong with it, for logs.
    pub reason: String,
    /// The element as received.
    pub raw: Value,
}

/// One event from a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// PRC's event name (`event`), e.g. `CustomCommand`.
    pub kind: String,
    /// The acting player's Roblox user id, as PRC sends it (a string).
    pub origin: Option<String>,
    /// Unix seconds.
    pub timestamp: i64,
    /// The event's typed data.
    pub data: WebhookEventData,
}

impl WebhookEvent {
    /// `origin` as a user id, when it is one.
    pub fn origin_user_id(&self) -> Option<u64> {
        self.origin.as_deref().and_then(parse_digits)
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEventData {
    /// Sent when the webhook URL is saved in game; answer 2xx.
    Probe,
    /// A chat message starting with `;`. `command` has any leading `;` removed (case kept);
    /// `argument` is the rest of the message, possibly empty.
    CustomCommand {
        /// The command word.
        command: String,
        /// Rest of the message; untrusted text.
        argument: String,
    },
    /// A 911 call was placed.
    EmergencyCallStarted(WebhookEmergencyCall),
    /// A 911 call closed; the data is its last state.
    EmergencyCallEnded(WebhookEmergencyCall),
    /// An event this client does not know, or a known one whose data did not fit; kept raw.
    Unknown {
        /// PRC's event name.
        event: String,
        /// The event's `data` as received (`null` if absent).
        data: Value,
    },
}

/// Emergency-call data in webhook events (camelCase, unlike the REST API). Every field is
/// optional because PRC's webhook typing is loosely documented; ids may arrive as numbers or
/// digit strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEmergencyCall {
    /// The service called (`Police`, `Fire`, `DOT`, or values such as `ALL`).
    #[serde(default)]
    pub team: Option<Team>,
    /// Roblox user id of the caller.
    #[serde(default, deserialize_with = "optional_id")]
    pub caller: Option<u64>,
    /// Roblox user ids of the responders; empty while nobody responds.
    #[serde(default, deserialize_with = "id_list")]
    pub players: Vec<u64>,
    /// `[x, z]` in world units, the same space as player locations.
    #[serde(default)]
    pub position: Option<[f64; 2]>,
    /// When the call was placed, in Unix seconds.
    #[serde(default)]
    pub started_at: Option<i64>,
    /// Matches the start and end events of one call.
    #[serde(default)]
    pub call_number: Option<i64>,
    /// What the caller typed; untrusted text.
    #[serde(default)]
    pub description: Option<String>,
    /// A readable place, e.g. `Harbor Road, Postal 307`.
    #[serde(default)]
    pub position_descriptor: Option<String>,
    /// Fields this client does not know, kept so they survive a round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A user id sent as a number or as a string of digits.
struct LenientId(u64);

impl<'de> Deserialize<'de> for LenientId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(id) => Ok(LenientId(id)),
            Raw::Text(text) => parse_digits(&text).map(LenientId).ok_or_else(|| {
                serde::de::Error::custom(format!("{text:?} is not a Roblox user id"))
            }),
        }
    }
}

fn optional_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(Option::<LenientId>::deserialize(deserializer)?.map(|LenientId(id)| id))
}

fn id_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u64>, D::Error> {
    let ids = Option::<Vec<LenientId>>::deserialize(deserializer)?.unwrap_or_default();
    Ok(ids.into_iter().map(|LenientId(id)| id).collect())
}

fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[derive(Deserialize)]
struct CustomCommandData {
    command: String,
    #[serde(default)]
    argument: Option<String>,
}

/// Decode a webhook body (after [`super::WebhookVerifier::verify`]). Fails only when the body
/// is not a `{"server": ..., "events": [...]}` object; problems inside single events are kept
/// in [`WebhookBatch::malformed`] or as [`WebhookEventData::Unknown`].
pub fn decode_batch(body: &[u8]) -> Result<WebhookBatch, WebhookRejection> {
    let malformed = |detail: &str| WebhookRejection::MalformedBody(detail.to_owned());
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookRejection::MalformedBody(format!("not valid JSON: {e}")))?;
    let Value::Object(mut root) = root else {
        return Err(malformed(
            "expected a JSON object with `server` and `events`",
        ));
    };
    let server = match root.remove("server") {
        Some(Value::String(server)) => server,
        Some(Value::Number(server)) => server.to_string(),
        Some(_) => return Err(malformed("`server` is not a string")),
        None => return Err(malformed("`server` is missing")),
    };
    let raw_events = match root.remove("events") {
        Some(Value::Array(events)) => events,
        Some(_) => return Err(malformed("`events` is not an array")),
        None => return Err(malformed("`events` is missing")),
    };
    let mut batch = WebhookBatch {
        server,
        events: Vec::with_capacity(raw_events.len()),
        malformed: Vec::new(),
    };
    for (index, raw) in raw_events.into_iter().enumerate() {
        match decode_event(raw) {
            Ok(event) => batch.events.push(event),
            Err((reason, raw)) => {
                batch
                    .malformed
                    .push(MalformedWebhookEvent { index, reason, raw })
            }
        }
    }
    Ok(batch)
}

/// One event; on failure, the reason and the untouched element.
fn decode_event(raw: Value) -> Result<WebhookEvent, (String, Value)> {
    let Value::Object(fields) = raw else {
        return Err(("an event must be a JSON object".into(), raw));
    };
    let envelope = read_envelope(&fields);
    let (kind, origin, timestamp) = match envelope {
        Ok(envelope) => envelope,
        Err(reason) => return Err((reason, Value::Object(fields))),
    };
    let data = fields.get("data").cloned().unwrap_or(Value::Null);
    let data = decode_data(&kind, data);
    Ok(WebhookEvent {
        kind,
        origin,
        timestamp,
        data,
    })
}

fn read_envelope(fields: &Map<String, Value>) -> Result<(String, Option<String>, i64), String> {
    let kind = match fields.get("event") {
        Some(Value::String(kind)) if !kind.is_empty() => kind.clone(),
        Some(_) => return Err("`event` is not a non-empty string".into()),
        None => return Err("`event` is missing".into()),
    };
    let origin = match fields.get("origin") {
        None | Some(Value::Null) => None,
        Some(Value::String(origin)) => Some(origin.clone()),
        Some(Value::Number(origin)) => Some(origin.to_string()),
        Some(_) => return Err("`origin` is not a string".into()),
    };
    let timestamp = match fields.get("timestamp") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(text)) => parse_digits(text).and_then(|t| i64::try_from(t).ok()),
        _ => None,
    }
    .ok_or_else(|| "`timestamp` is missing or not whole unix seconds".to_owned())?;
    Ok((kind, origin, timestamp))
}

fn decode_data(kind: &str, data: Value) -> WebhookEventData {
    let decoded = match kind {
        "WebhookProbe" => Some(WebhookEventData::Probe),
        "CustomCommand" => CustomCommandData::deserialize(&data).ok().map(|custom| {
            WebhookEventData::CustomCommand {
                command: custom.command.trim().trim_start_matches(';').to_owned(),
                argument: custom.argument.unwrap_or_default(),
            }
        }),
        "EmergencyCallStarted" => WebhookEmergencyCall::deserialize(&data)
            .ok()
            .map(WebhookEventData::EmergencyCallStarted),
        "EmergencyCallEnded" => WebhookEmergencyCall::deserialize(&data)
            .ok()
            .map(WebhookEventData::EmergencyCallEnded),
        _ => None,
    };
    decoded.unwrap_or_else(|| WebhookEventData::Unknown {
        event: kind.to_owned(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXAMPLE: &str = r#"{"server":"8xK2mQ",
     "events":[
      {"event":"CustomCommand","origin":"2419834401","timestamp":1767226200,
       "data":{"command":"bolo","argument":"red sedan heading north"}},
      {"event":"EmergencyCallStarted","origin":"5873310294","timestamp":1767226210,
       "data":{"team":"Police","caller":5873310294,"players":[],"position":[1018,-60],
               "startedAt":1767226210,"callNumber":18,"description":"car crash",
               "positionDescriptor":"Harbor Road, Postal 307"}}
     ]}"#;

    #[test]
    fn decodes_the_example_batch() {
        let batch = decode_batch(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(batch.server, "8xK2mQ");
        assert!(batch.malformed.is_empty());
        assert_eq!(batch.events.len(), 2);
        let custom = &batch.events[0];
        assert_eq!(custom.kind, "CustomCommand");
        assert_eq!(custom.origin_user_id(), Some(2_419_834_401));
        assert_eq!(custom.timestamp, 1_767_226_200);
        assert_eq!(
            custom.data,
            WebhookEventData::CustomCommand {
                command: "bolo".into(),
                argument: "red sedan heading north".into()
            }
        );
        let WebhookEventData::EmergencyCallStarted(call) = &batch.events[1].data else {
            panic!("expected a started call, got {:?}", batch.events[1].data);
        };
        assert_eq!(call.team, Some(Team::Police));
        assert_eq!(call.caller, Some(5_873_310_294));
        assert!(call.players.is_empty());
        assert_eq!(call.position, Some([1018.0, -60.0]));
        assert_eq!(call.call_number, Some(18));
        assert_eq!(call.started_at, Some(1_767_226_210));
        assert_eq!(
            call.position_descriptor.as_deref(),
            Some("Harbor Road, Postal 307")
        );
        assert_eq!(batch.events[1].origin_user_id(), Some(5_873_310_294));
    }

    #[test]
    fn probe_custom_command_quirks_and_ended_calls() {
        let body = json!({"server": "s", "events": [
            {"event": "WebhookProbe", "timestamp": 1, "data": {}},
            {"event": "CustomCommand", "origin": 5873310294u64, "timestamp": "2",
             "data": {"command": ";Bolo"}},
            {"event": "EmergencyCallEnded", "timestamp": 3,
             "data": {"team": "ALL", "caller": "42", "players": ["7", 8], "callNumber": 18,
                      "description": null, "extraThing": true}},
        ]});
        let batch = decode_batch(body.to_string().as_bytes()).unwrap();
        assert!(batch.malformed.is_empty());
        assert_eq!(batch.events[0].data, WebhookEventData::Probe);
        assert_eq!(batch.events[0].origin, None);
        assert_eq!(batch.events[0].origin_user_id(), None);
        assert_eq!(
            batch.events[1].data,
            WebhookEventData::CustomCommand {
                command: "Bolo".into(),
                argument: String::new()
            }
        );
        assert_eq!(batch.events[1].origin_user_id(), Some(5_873_310_294));
        assert_eq!(batch.events[1].timestamp, 2);
        let WebhookEventData::EmergencyCallEnded(call) = &batch.events[2].data else {
            panic!("expected an ended call, got {:?}", batch.events[2].data);
        };
        assert_eq!(call.team, Some(Team::Other("ALL".into())));
        assert_eq!(
            (call.caller, call.players.as_slice()),
            (Some(42), &[7, 8][..])
        );
        assert_eq!(call.extra.get("extraThing"), Some(&json!(true)));
    }

    #[test]
    fn unknown_and_ill_fitting_events_are_kept_raw() {
        let body = json!({"server": "s", "events": [
            {"event": "ModCallStarted", "origin": "1", "timestamp": 5, "data": {"x": 1}},
            {"event": "CustomCommand", "timestamp": 6, "data": {"command": 12}},
            {"event": "EmergencyCallStarted", "timestamp": 7, "data": {"position": "docks"}},
        ]});
        let batch = decode_batch(body.to_string().as_bytes()).unwrap();
        assert_eq!(batch.events.len(), 3);
        assert_eq!(
            batch.events[0].data,
            WebhookEventData::Unknown {
                event: "ModCallStarted".into(),
                data: json!({"x": 1})
            }
        );
        assert_eq!(
            batch.events[1].data,
            WebhookEventData::Unknown {
                event: "CustomCommand".into(),
                data: json!({"command": 12})
            }
        );
        assert!(matches!(
            &batch.events[2].data,
            WebhookEventData::Unknown { event, .. } if event == "EmergencyCallStarted"
        ));
    }

    #[test]
    fn a_malformed_event_does_not_lose_the_others() {
        let body = json!({"server": "s", "events": [
            {"event": "WebhookProbe", "timestamp": 1, "data": {}},
            "not an event",
            {"timestamp": 2, "data": {}},
            {"event": "CustomCommand", "timestamp": -1.5, "data": {"command": "a"}},
            {"event": "CustomCommand", "origin": {"id": 1}, "timestamp": 3, "data": {"command": "a"}},
            {"event": "CustomCommand", "origin": "9", "timestamp": 4,
             "data": {"command": "bolo", "argument": "blue van"}},
        ]});
        let batch = decode_batch(body.to_string().as_bytes()).unwrap();
        assert_eq!(batch.events.len(), 2);
        assert_eq!(batch.events[1].origin_user_id(), Some(9));
        let indexes: Vec<usize> = batch.malformed.iter().map(|m| m.index).collect();
        assert_eq!(indexes, [1, 2, 3, 4]);
        assert_eq!(batch.malformed[0].raw, json!("not an event"));
        assert!(batch.malformed[1].reason.contains("`event`"));
        assert!(batch.malformed[2].reason.contains("`timestamp`"));
    }

    #[test]
    fn bodies_that_are_not_batches_are_rejected() {
        for body in [
            &b""[..],
            b"not json",
            b"[]",
            b"{\"events\":[]}",
            b"{\"server\":\"s\"}",
            b"{\"server\":\"s\",\"events\":{}}",
            b"{\"server\":[],\"events\":[]}",
            b"\xff\xfe",
        ] {
            let rejection = decode_batch(body).unwrap_err();
            assert_eq!(rejection.reason_label(), "malformed_body", "{body:?}");
        }
        let empty = decode_batch(br#"{"server":"s","events":[]}"#).unwrap();
        assert!(empty.events.is_empty() && empty.malformed.is_empty());
    }
}
