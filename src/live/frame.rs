//! SODP 1.0 frames: one WebSocket binary message is one MessagePack array
//! `[type, stream, seq, body]`, body a map or nil. Decoding is liberal in integer widths and
//! strict in shape, and never panics on what a client sends.

use serde::Deserialize;
use serde_json::{Value, json};

/// Largest inbound frame we read; a bigger one is answered with ERROR 413 and a close.
pub const MAX_FRAME_BYTES: usize = 1 << 20;

/// Deepest nesting we decode in a frame body. SODP bodies are a few levels deep; the limit
/// keeps a hostile frame of nested arrays from exhausting the stack.
const MAX_BODY_DEPTH: usize = 64;

/// SODP frame types, with their wire ids. 0x08 is reserved by the spec and refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FrameType {
    /// Server greeting: protocol, version, auth flag, capabilities.
    Hello = 0x01,
    /// Client subscribes to `state` or `states`.
    Watch = 0x02,
    /// Server sends a key's full value and version.
    StateInit = 0x03,
    /// Server sends ops that move a key to a new version.
    Delta = 0x04,
    /// Client calls a method with a `call_id`.
    Call = 0x05,
    /// Server answers a CALL.
    Result = 0x06,
    /// Server reports an error: `code` and `message`.
    Error = 0x07,
    /// Keep-alive, either direction, nil body.
    Heartbeat = 0x09,
    /// Client resubscribes with the version it last saw.
    Resume = 0x0A,
    /// Client presents its token.
    Auth = 0x0B,
    /// Server accepts the token and names its subject.
    AuthOk = 0x0C,
    /// Client drops a subscription.
    Unwatch = 0x0D,
}

impl TryFrom<u8> for FrameType {
    type Error = FrameError;

    fn try_from(id: u8) -> Result<Self, FrameError> {
        Ok(match id {
            0x01 => Self::Hello,
            0x02 => Self::Watch,
            0x03 => Self::StateInit,
            0x04 => Self::Delta,
            0x05 => Self::Call,
            0x06 => Self::Result,
            0x07 => Self::Error,
            0x09 => Self::Heartbeat,
            0x0A => Self::Resume,
            0x0B => Self::Auth,
            0x0C => Self::AuthOk,
            0x0D => Self::Unwatch,
            other => return Err(FrameError::UnknownType(other)),
        })
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// What the frame is.
    pub kind: FrameType,
    /// Stream id: 0 is control, 10 and up are subscriptions.
    pub stream: u32,
    /// Per-connection, per-direction counter; receivers must not rely on contiguity.
    pub seq: u64,
    /// A JSON object, or `Null` for msgpack nil.
    pub body: Value,
}

/// Why bytes are not a frame. The messages are plain words, fit for an ERROR 400 reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Over [`MAX_FRAME_BYTES`].
    #[error("the frame is {len} bytes, over the limit of {MAX_FRAME_BYTES}")]
    TooLarge {
        /// The frame's length in bytes.
        len: usize,
    },
    /// Not a 4-element msgpack array with integer header and a map or nil body.
    #[error("the frame is not valid: {0}")]
    Malformed(String),
    /// A frame type id SODP does not define (or reserves, like 0x08).
    #[error("frame type {0:#04x} is not a known SODP frame type")]
    UnknownType(u8),
}

impl FrameError {
    /// The SODP error code this failure is answered with: 413 for size, else 400.
    pub fn code(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 413,
            Self::Malformed(_) | Self::UnknownType(_) => 400,
        }
    }
}

/// Decode one frame. See the module doc for what is accepted.
pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge { len: bytes.len() });
    }
    let mut rest = bytes;
    let len = rmp::decode::read_array_len(&mut rest).map_err(|_| {
        FrameError::Malformed("it is not a msgpack array [type, stream, seq, body]".into())
    })?;
    if len != 4 {
        return Err(FrameError::Malformed(format!(
            "it is an array of {len}, not of 4 [type, stream, seq, body]"
        )));
    }
    let mut de = rmp_serde::Deserializer::new(&mut rest);
    de.set_max_depth(MAX_BODY_DEPTH);
    let mut header = [0u64; 3];
    for (slot, name) in header.iter_mut().zip(["type", "stream", "seq"]) {
        *slot = u64::deserialize(&mut de).map_err(|e| {
            FrameError::Malformed(match e {
                rmp_serde::decode::Error::InvalidMarkerRead(_)
                | rmp_serde::decode::Error::InvalidDataRead(_) => "the frame ends early".into(),
                _ => format!("the frame's {name} is not a non-negative integer"),
            })
        })?;
    }
    let body = Value::deserialize(&mut de).map_err(|e| {
        FrameError::Malformed(format!(
            "the body is not valid ({})",
            plain_decode_error(&e)
        ))
    })?;
    if !rest.is_empty() {
        return Err(FrameError::Malformed(
            "there are bytes after the frame's array".into(),
        ));
    }
    let [kind, stream, seq] = header;
    let kind = u8::try_from(kind)
        .map_err(|_| FrameError::Malformed(format!("frame type {kind} is out of range")))?;
    let kind = FrameType::try_from(kind)?;
    let stream = u32::try_from(stream)
        .map_err(|_| FrameError::Malformed(format!("stream id {stream} is out of range")))?;
    if !(body.is_object() || body.is_null()) {
        return Err(FrameError::Malformed(
            "the body must be a map or nil".into(),
        ));
    }
    Ok(Frame {
        kind,
        stream,
        seq,
        body,
    })
}

/// The decoder's complaint in words that name no bytes of the frame: a client's data is not
/// echoed into replies or logs.
fn plain_decode_error(e: &rmp_serde::decode::Error) -> &'static str {
    use rmp_serde::decode::Error as E;
    match e {
        E::InvalidMarkerRead(_) | E::InvalidDataRead(_) => "the frame ends early",
        E::DepthLimitExceeded => "it is nested too deeply",
        E::Utf8Error(_) => "a string is not UTF-8",
        E::OutOfRange => "a number is out of range",
        E::LengthMismatch(_) | E::TypeMismatch(_) | E::Syntax(_) | E::Uncategorized(_) => {
            "a value has a type JSON cannot hold: bytes, extension types, or map keys that \
             are not strings"
        }
    }
}

/// Encode a whole frame.
pub fn encode(frame: &Frame) -> Vec<u8> {
    encode_with_body(
        frame.kind,
        frame.stream,
        frame.seq,
        &encode_body(&frame.body),
    )
}

/// The msgpack of a body alone, so a DELTA body is encoded once and shared by every
/// subscriber's frame.
pub fn encode_body(body: &Value) -> bytes::Bytes {
    let mut out = Vec::new();
    rmp_serde::encode::write_named(&mut out, body)
        .expect("a JSON value always encodes: its keys are strings, msgpack has every JSON type, and a Vec takes every write");
    bytes::Bytes::from(out)
}

/// A frame from its header and a body already encoded with [`encode_body`].
pub fn encode_with_body(kind: FrameType, stream: u32, seq: u64, body: &[u8]) -> Vec<u8> {
    // 1 array marker + at most 2 + 5 + 9 header bytes.
    let mut out = Vec::with_capacity(17 + body.len());
    // Writes into a Vec cannot fail.
    let _ = rmp::encode::write_array_len(&mut out, 4);
    let _ = rmp::encode::write_uint(&mut out, u64::from(kind as u8));
    let _ = rmp::encode::write_uint(&mut out, u64::from(stream));
    let _ = rmp::encode::write_uint(&mut out, seq);
    out.extend_from_slice(body);
    out
}

/// The body of an ERROR frame.
pub fn error_body(code: u16, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

/// The body of the HELLO frame. The limits belong to the sessions, which pass them in.
pub fn hello_body(
    server_name: &str,
    rate_limit_writes: u32,
    rate_limit_watches: u32,
    backpressure_limit: u32,
) -> Value {
    json!({
        "protocol": "sodp",
        "version": "1.0",
        "server": server_name,
        "auth": true,
        "capabilities": {
            "resume": true,
            "multi_watch": true,
            "params": true,
            "rate_limit_writes": rate_limit_writes,
            "rate_limit_watches": rate_limit_watches,
            "backpressure_limit": backpressure_limit,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [FrameType; 12] = [
        FrameType::Hello,
        FrameType::Watch,
        FrameType::StateInit,
        FrameType::Delta,
        FrameType::Call,
        FrameType::Result,
        FrameType::Error,
        FrameType::Heartbeat,
        FrameType::Resume,
        FrameType::Auth,
        FrameType::AuthOk,
        FrameType::Unwatch,
    ];

    /// A msgpack array written by hand, so the tests do not trust our own encoder.
    fn raw(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn every_type_round_trips_with_a_map_body() {
        for (i, kind) in ALL.into_iter().enumerate() {
            let frame = Frame {
                kind,
                stream: 10 + i as u32,
                seq: 1 << (i * 5),
                body: json!({"state": "1.main.players", "n": i, "nested": {"a": [1, "b", null, 2.5, true]}}),
            };
            let bytes = encode(&frame);
            assert_eq!(decode(&bytes).unwrap(), frame, "{kind:?}");
            assert_eq!(FrameType::try_from(kind as u8).unwrap(), kind);
        }
    }

    #[test]
    fn nil_body_round_trips_and_is_one_byte() {
        let frame = Frame {
            kind: FrameType::Heartbeat,
            stream: 0,
            seq: 3,
            body: Value::Null,
        };
        let bytes = encode(&frame);
        assert_eq!(bytes, [0x94, 0x09, 0x00, 0x03, 0xc0]);
        assert_eq!(decode(&bytes).unwrap(), frame);
    }

    #[test]
    fn header_ints_are_encoded_compactly() {
        let bytes = encode_with_body(FrameType::Delta, 300, 70_000, &[0xc0]);
        // fixarray(4), fixint 4, uint16 300, uint32 70000, nil
        assert_eq!(
            bytes,
            [
                0x94, 0x04, 0xcd, 0x01, 0x2c, 0xce, 0x00, 0x01, 0x11, 0x70, 0xc0
            ]
        );
    }

    #[test]
    fn wide_and_signed_ints_decode() {
        // type as uint64, stream as int32, seq as uint16, body nil
        let bytes = raw(&[
            &[0x94],
            &[0xcf, 0, 0, 0, 0, 0, 0, 0, 0x02],
            &[0xd2, 0, 0, 0, 0x0b],
            &[0xcd, 0x01, 0x00],
            &[0xc0],
        ]);
        let frame = decode(&bytes).unwrap();
        assert_eq!(frame.kind, FrameType::Watch);
        assert_eq!(frame.stream, 11);
        assert_eq!(frame.seq, 256);
        assert_eq!(frame.body, Value::Null);
    }

    #[test]
    fn a_hand_written_watch_frame_decodes() {
        // [2, 10, 1, {"state": "a"}] as a msgpack library writes it
        let bytes = raw(&[
            &[0x94, 0x02, 0x0a, 0x01, 0x81, 0xa5],
            b"state",
            &[0xa1],
            b"a",
        ]);
        let frame = decode(&bytes).unwrap();
        assert_eq!(frame.body, json!({"state": "a"}));
    }

    #[test]
    fn shared_body_bytes_decode_to_the_body() {
        let body = json!({"version": 7, "ops": [{"op": "ADD", "path": "/1", "value": {"x": -3}}]});
        let shared = encode_body(&body);
        let frame = decode(&encode_with_body(FrameType::Delta, 12, 9, &shared)).unwrap();
        assert_eq!(
            frame,
            Frame {
                kind: FrameType::Delta,
                stream: 12,
                seq: 9,
                body
            }
        );
    }

    fn malformed(bytes: &[u8]) -> String {
        match decode(bytes) {
            Err(FrameError::Malformed(why)) => why,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn text_garbage_and_wrong_shapes_are_malformed() {
        malformed(b"{\"type\": 2}");
        malformed(b"hello");
        malformed(&[]);
        malformed(&[0xc1, 0xff, 0x00]);
        // a map, not an array
        malformed(&[0x81, 0xa1, b'a', 0x01]);
        // 3 and 5 elements
        assert_eq!(
            malformed(&[0x93, 0x02, 0x00, 0x01]),
            "it is an array of 3, not of 4 [type, stream, seq, body]"
        );
        malformed(&[0x95, 0x02, 0x00, 0x01, 0xc0, 0xc0]);
        assert_eq!(malformed(&[0x94, 0x02]), "the frame ends early");
        // a string where the type goes
        assert_eq!(
            malformed(&[0x94, 0xa1, b'x', 0x00, 0x01, 0xc0]),
            "the frame's type is not a non-negative integer"
        );
        // truncated body
        malformed(&[0x94, 0x02, 0x00, 0x01, 0x81, 0xa5, b's']);
        // trailing bytes
        malformed(&[0x94, 0x09, 0x00, 0x01, 0xc0, 0xc0]);
    }

    #[test]
    fn bodies_that_are_not_maps_or_hold_bytes_are_malformed() {
        // body is an array, a string, an int
        malformed(&[0x94, 0x02, 0x00, 0x01, 0x91, 0x01]);
        malformed(&[0x94, 0x02, 0x00, 0x01, 0xa1, b'x']);
        malformed(&[0x94, 0x02, 0x00, 0x01, 0x05]);
        // bin 8 inside the body
        let why = malformed(&[0x94, 0x02, 0x00, 0x01, 0x81, 0xa1, b'a', 0xc4, 0x01, 0xff]);
        assert!(why.contains("bytes"), "{why}");
        // fixext 1 inside the body
        malformed(&[0x94, 0x02, 0x00, 0x01, 0x81, 0xa1, b'a', 0xd4, 0x01, 0x00]);
        // an integer map key
        malformed(&[0x94, 0x02, 0x00, 0x01, 0x81, 0x01, 0x01]);
    }

    #[test]
    fn negative_or_oversized_header_numbers_are_malformed() {
        // type -1
        malformed(&[0x94, 0xff, 0x00, 0x01, 0xc0]);
        // type 256
        malformed(&[0x94, 0xcd, 0x01, 0x00, 0x00, 0x01, 0xc0]);
        // stream 2^32
        malformed(&[0x94, 0x02, 0xcf, 0, 0, 0, 0x01, 0, 0, 0, 0, 0x01, 0xc0]);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let mut bytes = vec![0x94, 0x02, 0x00, 0x01, 0x81, 0xa1, b'a'];
        bytes.extend(std::iter::repeat_n(0x91, 100_000));
        bytes.push(0xc0);
        let why = malformed(&bytes);
        assert!(why.contains("nested too deeply"), "{why}");
    }

    #[test]
    fn unknown_and_reserved_types_are_refused() {
        assert_eq!(
            decode(&[0x94, 0x08, 0x00, 0x01, 0xc0]),
            Err(FrameError::UnknownType(0x08))
        );
        assert_eq!(
            decode(&[0x94, 0x00, 0x00, 0x01, 0xc0]),
            Err(FrameError::UnknownType(0x00))
        );
        assert_eq!(
            decode(&[0x94, 0x0e, 0x00, 0x01, 0xc0]),
            Err(FrameError::UnknownType(0x0e))
        );
    }

    #[test]
    fn frames_over_one_mebibyte_are_too_large() {
        let bytes = vec![0u8; MAX_FRAME_BYTES + 1];
        let err = decode(&bytes).unwrap_err();
        assert_eq!(
            err,
            FrameError::TooLarge {
                len: MAX_FRAME_BYTES + 1
            }
        );
        assert_eq!(err.code(), 413);
        // exactly at the limit is read (and here found malformed, which is 400)
        let mut at_limit = vec![0x94, 0x09, 0x00, 0x01];
        at_limit.resize(MAX_FRAME_BYTES, 0xc0);
        assert_eq!(decode(&at_limit).unwrap_err().code(), 400);
    }

    #[test]
    fn hello_and_error_bodies_carry_the_spec_fields() {
        let hello = hello_body("erlc-bot", 20, 30, 1024);
        assert_eq!(hello["protocol"], "sodp");
        assert_eq!(hello["version"], "1.0");
        assert_eq!(hello["auth"], true);
        let caps = &hello["capabilities"];
        assert_eq!(caps["resume"], true);
        assert_eq!(caps["multi_watch"], true);
        assert_eq!(caps["rate_limit_writes"], 20);
        assert_eq!(caps["rate_limit_watches"], 30);
        assert_eq!(caps["backpressure_limit"], 1024);
        assert_eq!(
            error_body(403, "not allowed"),
            json!({"code": 403, "message": "not allowed"})
        );
    }
}
