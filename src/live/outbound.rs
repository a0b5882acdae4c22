//! What a session sends, as it waits in the session's bounded queue: frames whose body is
//! already msgpack (a DELTA body is encoded once and shared by every watcher), pings, and the
//! close. The transport numbers frames as it writes them ([`Encoder`]), since `seq` counts per
//! connection and direction.

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::frame::{FrameType, encode_body, encode_with_body};

/// One item of a session's outbound queue.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A frame with its body pre-encoded as msgpack.
    Frame {
        /// The frame type.
        kind: FrameType,
        /// The stream it belongs to (0 = control).
        stream: u32,
        /// The msgpack body (shared between sessions for DELTAs).
        body: Bytes,
    },
    /// A WebSocket ping (the transport's keep-alive).
    Ping,
    /// Close the connection after what is queued before it.
    Close {
        /// WebSocket close code.
        code: u16,
        /// Plain words for the close frame.
        reason: &'static str,
    },
}

impl Outbound {
    /// A frame with a JSON body (encoded now).
    pub fn frame(kind: FrameType, stream: u32, body: &Value) -> Self {
        Self::Frame {
            kind,
            stream,
            body: encode_body(body),
        }
    }

    /// A frame whose body is any serializable value, encoded as a msgpack map.
    pub(super) fn serialized(kind: FrameType, stream: u32, body: &impl Serialize) -> Self {
        // Serializing our own structs of strings, numbers and JSON values cannot fail; a
        // failure would be a bug, answered with nil rather than a panic.
        let body = rmp_serde::to_vec_named(body).unwrap_or_else(|_| vec![0xc0]);
        Self::Frame {
            kind,
            stream,
            body: Bytes::from(body),
        }
    }

    /// A frame with a nil body (HEARTBEAT).
    pub fn empty(kind: FrameType, stream: u32) -> Self {
        Self::Frame {
            kind,
            stream,
            body: Bytes::from_static(&[0xc0]),
        }
    }
}

/// Numbers a connection's outbound frames (`seq` from 1) and encodes them.
#[derive(Debug, Default)]
pub struct Encoder {
    seq: u64,
}

impl Encoder {
    /// The wire bytes of one frame.
    pub fn encode(&mut self, kind: FrameType, stream: u32, body: &[u8]) -> Vec<u8> {
        self.seq += 1;
        encode_with_body(kind, stream, self.seq, body)
    }
}
