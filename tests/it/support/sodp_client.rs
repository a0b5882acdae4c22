//! A small SODP 1.0 client for the tests of the bot's `/live` stream, written from the protocol
//! description (shared docs, event-model.md §1), not from the bot's own codec: frames are
//! 4-element MessagePack arrays `[type, stream, seq, body]` over binary WebSocket messages, and
//! DELTA ops are applied with this file's own JSON-pointer code. So a test that passes shows the
//! bot speaks the protocol, not merely that it agrees with itself.
//!
//! The client keeps a replica per watched key (STATE_INIT sets it, DELTAs are applied to it,
//! routed by the DELTA's `state` field or else by the stream id STATE_INIT named) and a queue
//! of received frames the test has not taken yet. Waiting methods take the first frame that
//! matches and leave the others queued, in order.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// SODP frame type ids (event-model.md §1.3).
pub mod kind {
    pub const HELLO: u8 = 0x01;
    pub const WATCH: u8 = 0x02;
    pub const STATE_INIT: u8 = 0x03;
    pub const DELTA: u8 = 0x04;
    pub const CALL: u8 = 0x05;
    pub const RESULT: u8 = 0x06;
    pub const ERROR: u8 = 0x07;
    pub const HEARTBEAT: u8 = 0x09;
    pub const RESUME: u8 = 0x0A;
    pub const AUTH: u8 = 0x0B;
    pub const AUTH_OK: u8 = 0x0C;
}

/// The first stream id a client may suggest; 0 is control, 1–9 are reserved.
const FIRST_STREAM: u32 = 10;

/// One received frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub kind: u8,
    pub stream: u32,
    pub seq: u64,
    /// The body as JSON; msgpack nil is `Null`.
    pub body: Value,
}

impl Frame {
    /// `(code, message)` of an ERROR frame.
    pub fn error(&self) -> Option<(u64, String)> {
        (self.kind == kind::ERROR).then(|| {
            (
                self.body["code"].as_u64().unwrap_or_default(),
                self.body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
    }
}

/// Why the client could not go on.
#[derive(Debug)]
pub enum SodpError {
    /// The HTTP upgrade was answered with this status instead of 101.
    Refused(u16),
    /// The server closed the socket (with its close frame, if it sent one).
    Closed(Option<(u16, String)>),
    /// Nothing (matching) arrived in time.
    Timeout,
    /// The server broke the protocol: an undecodable frame, a delta that does not apply.
    Protocol(String),
    /// The socket failed.
    Ws(String),
}

impl std::fmt::Display for SodpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(status) => write!(f, "upgrade refused with HTTP {status}"),
            Self::Closed(frame) => write!(f, "closed by the server ({frame:?})"),
            Self::Timeout => write!(f, "timed out"),
            Self::Protocol(why) => write!(f, "protocol violation: {why}"),
            Self::Ws(why) => write!(f, "websocket error: {why}"),
        }
    }
}

/// A key's replica: its version and value as this client knows them.
#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    pub version: u64,
    pub value: Value,
}

/// What RESUME brought: the replayed DELTAs, the final STATE_INIT, and whether the replica
/// the replay produced equalled that snapshot before the snapshot replaced it.
#[derive(Debug)]
pub struct Resumed {
    pub replayed: Vec<Frame>,
    pub init: Frame,
    pub replay_matched_snapshot: bool,
}

/// An SODP client connection.
pub struct SodpTestClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    seq: u64,
    next_stream: u32,
    next_call: u64,
    /// Stream id -> key, learned from STATE_INIT.
    streams: HashMap<u32, String>,
    replicas: HashMap<String, Replica>,
    /// Received frames no wait has taken yet.
    queue: VecDeque<Frame>,
    /// Per key, the replica the latest STATE_INIT replaced (what a RESUME replay produced).
    before_init: HashMap<String, Replica>,
    /// Set once the socket ended; every later read returns it again.
    closed: Option<Option<(u16, String)>>,
}

impl SodpTestClient {
    /// Opens `url` (`ws://…/live`), sending `Origin: <origin>` when given (browsers always
    /// send one; programs usually do not).
    pub async fn connect(url: &str, origin: Option<&str>) -> Result<Self, SodpError> {
        let mut request = url
            .into_client_request()
            .map_err(|e| SodpError::Ws(e.to_string()))?;
        if let Some(origin) = origin {
            let value = HeaderValue::from_str(origin).map_err(|e| SodpError::Ws(e.to_string()))?;
            request.headers_mut().insert("origin", value);
        }
        let ws = match connect_async(request).await {
            Ok((ws, _)) => ws,
            Err(WsError::Http(response)) => {
                return Err(SodpError::Refused(response.status().as_u16()));
            }
            Err(e) => return Err(SodpError::Ws(e.to_string())),
        };
        Ok(Self {
            ws,
            seq: 0,
            next_stream: FIRST_STREAM,
            next_call: 0,
            streams: HashMap::new(),
            replicas: HashMap::new(),
            queue: VecDeque::new(),
            before_init: HashMap::new(),
            closed: None,
        })
    }

    /// Connects, takes HELLO and authenticates with `token`: a client ready to watch.
    pub async fn connect_authed(url: &str, token: &str) -> Result<(Self, String), SodpError> {
        let mut client = Self::connect(url, None).await?;
        client.hello().await?;
        match client.auth(token).await? {
            Ok(sub) => Ok((client, sub)),
            Err((code, message)) => Err(SodpError::Protocol(format!(
                "AUTH refused with {code}: {message}"
            ))),
        }
    }

    /// Sends one frame `[kind, stream, seq, body]`; `seq` counts this client's frames.
    pub async fn send(&mut self, kind: u8, stream: u32, body: Value) -> Result<(), SodpError> {
        self.seq += 1;
        let bytes = rmp_serde::to_vec(&(kind, stream, self.seq, body))
            .map_err(|e| SodpError::Protocol(format!("cannot encode a frame: {e}")))?;
        self.send_raw(bytes).await
    }

    /// Sends `bytes` as one binary message, as they are.
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), SodpError> {
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| SodpError::Ws(e.to_string()))
    }

    /// Sends a text message, which SODP forbids.
    pub async fn send_text(&mut self, text: &str) -> Result<(), SodpError> {
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| SodpError::Ws(e.to_string()))
    }

    /// Waits for HELLO and returns its body.
    pub async fn hello(&mut self) -> Result<Value, SodpError> {
        Ok(self.expect(kind::HELLO, "HELLO").await?.body)
    }

    /// AUTH with `token`: `Ok(sub)` on AUTH_OK, `Err((code, message))` on an ERROR.
    pub async fn auth(&mut self, token: &str) -> Result<Result<String, (u64, String)>, SodpError> {
        self.send(kind::AUTH, 0, json!({ "token": token })).await?;
        let frame = self
            .wait_frame(WAIT_FRAME, |f| {
                f.kind == kind::AUTH_OK || f.kind == kind::ERROR
            })
            .await?;
        Ok(match frame.error() {
            Some(error) => Err(error),
            None => Ok(frame.body["sub"].as_str().unwrap_or_default().to_string()),
        })
    }

    /// WATCH `key` on a fresh stream id: `Ok(STATE_INIT)` or `Err((code, message))` if the
    /// server answered with an ERROR.
    pub async fn watch(&mut self, key: &str) -> Result<Result<Frame, (u64, String)>, SodpError> {
        let stream = self.take_stream();
        self.send(kind::WATCH, stream, json!({ "state": key }))
            .await?;
        self.wait_init_or_error(key).await
    }

    /// RESUME `key` from the replica `base` (from an earlier connection): the server replays
    /// newer DELTAs, then sends STATE_INIT.
    pub async fn resume(&mut self, key: &str, base: Replica) -> Result<Resumed, SodpError> {
        let since = base.version;
        self.replicas.insert(key.to_string(), base);
        let stream = self.take_stream();
        let body = json!({ "state": key, "since_version": since });
        self.send(kind::RESUME, stream, body).await?;
        let mut replayed = Vec::new();
        loop {
            let frame = self
                .wait_frame(WAIT_FRAME, |f| {
                    (f.kind == kind::DELTA || f.kind == kind::STATE_INIT || f.kind == kind::ERROR)
                        && f.body["state"].as_str().is_none_or(|s| s == key)
                })
                .await?;
            match frame.kind {
                kind::DELTA => replayed.push(frame),
                kind::STATE_INIT => {
                    let replay_matched_snapshot = self
                        .before_init
                        .remove(key)
                        .is_some_and(|before| before.value == frame.body["value"]);
                    return Ok(Resumed {
                        replayed,
                        init: frame,
                        replay_matched_snapshot,
                    });
                }
                _ => {
                    return Err(SodpError::Protocol(format!(
                        "RESUME of {key} answered with {:?}",
                        frame.error()
                    )));
                }
            }
        }
    }

    /// CALL `method` with `args` and wait for its RESULT (matched by `call_id`); returns the
    /// RESULT's body. ERROR frames that arrive meanwhile stay queued.
    pub async fn call(&mut self, method: &str, args: Value) -> Result<Value, SodpError> {
        self.next_call += 1;
        let call_id = format!("call-{}", self.next_call);
        let body = json!({ "call_id": call_id, "method": method, "args": args });
        self.send(kind::CALL, 0, body).await?;
        let frame = self
            .wait_frame(WAIT_FRAME, |f| {
                f.kind == kind::RESULT && f.body["call_id"].as_str() == Some(call_id.as_str())
            })
            .await?;
        Ok(frame.body)
    }

    /// The replica of `key`, if this client watches it.
    pub fn replica(&self, key: &str) -> Option<&Replica> {
        self.replicas.get(key)
    }

    /// Reads frames until the replica of `key` satisfies `holds`; returns that value.
    pub async fn wait_for_value(
        &mut self,
        key: &str,
        timeout: Duration,
        mut holds: impl FnMut(&Value) -> bool,
    ) -> Result<Value, SodpError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(value) = self
                .replicas
                .get(key)
                .map(|r| &r.value)
                .filter(|v| holds(v))
            {
                return Ok(value.clone());
            }
            let frame = self.read_until(deadline).await?;
            self.queue.push_back(frame);
        }
    }

    /// The next frame not taken yet.
    pub async fn next_frame(&mut self, timeout: Duration) -> Result<Frame, SodpError> {
        self.wait_frame(timeout, |_| true).await
    }

    /// The first queued or arriving frame for which `matches` holds; other frames stay queued.
    pub async fn wait_frame(
        &mut self,
        timeout: Duration,
        mut matches: impl FnMut(&Frame) -> bool,
    ) -> Result<Frame, SodpError> {
        if let Some(at) = self.queue.iter().position(&mut matches) {
            return Ok(self.queue.remove(at).expect("position is in the queue"));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = self.read_until(deadline).await?;
            if matches(&frame) {
                return Ok(frame);
            }
            self.queue.push_back(frame);
        }
    }

    /// The next ERROR frame's `(code, message)`.
    pub async fn wait_error(&mut self, timeout: Duration) -> Result<(u64, String), SodpError> {
        let frame = self.wait_frame(timeout, |f| f.kind == kind::ERROR).await?;
        Ok(frame.error().expect("an ERROR frame"))
    }

    /// Reads until the server closes the socket; returns its close frame `(code, reason)` if
    /// it sent one. Frames read meanwhile stay queued.
    pub async fn wait_closed(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<(u16, String)>, SodpError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match self.read_until(deadline).await {
                Ok(frame) => self.queue.push_back(frame),
                Err(SodpError::Closed(frame)) => return Ok(frame),
                Err(other) => return Err(other),
            }
        }
    }

    /// Closes the socket from this side (a clean WebSocket close).
    pub async fn close(mut self) {
        // The server may have closed first; either way the socket is gone after this.
        let _ = self.ws.close(None).await;
        let deadline = tokio::time::Instant::now() + WAIT_FRAME;
        while self.closed.is_none() {
            if self.read_until(deadline).await.is_err() {
                break;
            }
        }
    }

    /// Drops the connection without a close handshake, as a crashed client or a lost network
    /// does.
    pub fn drop_connection(self) {
        drop(self);
    }

    fn take_stream(&mut self) -> u32 {
        let stream = self.next_stream;
        self.next_stream += 1;
        stream
    }

    async fn expect(&mut self, wanted: u8, name: &str) -> Result<Frame, SodpError> {
        let frame = self.next_frame(WAIT_FRAME).await?;
        if frame.kind != wanted {
            return Err(SodpError::Protocol(format!(
                "expected {name}, got {frame:?}"
            )));
        }
        Ok(frame)
    }

    async fn wait_init_or_error(
        &mut self,
        key: &str,
    ) -> Result<Result<Frame, (u64, String)>, SodpError> {
        let frame = self
            .wait_frame(WAIT_FRAME, |f| {
                (f.kind == kind::STATE_INIT && f.body["state"].as_str() == Some(key))
                    || f.kind == kind::ERROR
            })
            .await?;
        Ok(match frame.error() {
            Some(error) => Err(error),
            None => Ok(frame),
        })
    }

    /// Reads one frame from the socket (answering pings on the way) and applies it to the
    /// replicas.
    async fn read_until(&mut self, deadline: tokio::time::Instant) -> Result<Frame, SodpError> {
        if let Some(frame) = &self.closed {
            return Err(SodpError::Closed(frame.clone()));
        }
        loop {
            let message = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Err(SodpError::Timeout),
                Ok(None) => return Err(self.mark_closed(None)),
                Ok(Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed))) => {
                    return Err(self.mark_closed(None));
                }
                // A reset or a protocol error from the server's side ends the session too.
                Ok(Some(Err(WsError::Io(_) | WsError::Protocol(_)))) => {
                    return Err(self.mark_closed(None));
                }
                Ok(Some(Err(e))) => return Err(SodpError::Ws(e.to_string())),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Binary(bytes) => {
                    let frame = decode(&bytes)?;
                    self.observe(&frame)?;
                    return Ok(frame);
                }
                Message::Close(frame) => {
                    return Err(self.mark_closed(frame.map(close_parts)));
                }
                Message::Text(text) => {
                    return Err(SodpError::Protocol(format!(
                        "the server sent a text frame: {text}"
                    )));
                }
                // tungstenite answers pings itself.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    fn mark_closed(&mut self, frame: Option<(u16, String)>) -> SodpError {
        self.closed = Some(frame.clone());
        SodpError::Closed(frame)
    }

    /// Keeps the replicas current: STATE_INIT replaces a key's replica and names its stream;
    /// a DELTA is applied to the key its `state` names, or else to its stream's key.
    fn observe(&mut self, frame: &Frame) -> Result<(), SodpError> {
        match frame.kind {
            kind::STATE_INIT => {
                let key = frame.body["state"]
                    .as_str()
                    .ok_or_else(|| {
                        SodpError::Protocol(format!("STATE_INIT without state: {frame:?}"))
                    })?
                    .to_string();
                let version = frame.body["version"].as_u64().ok_or_else(|| {
                    SodpError::Protocol(format!("STATE_INIT without a version: {frame:?}"))
                })?;
                self.streams.insert(frame.stream, key.clone());
                let replica = Replica {
                    version,
                    value: frame.body["value"].clone(),
                };
                match self.replicas.insert(key.clone(), replica) {
                    Some(before) => self.before_init.insert(key, before),
                    None => self.before_init.remove(&key),
                };
            }
            kind::DELTA => {
                let key = match frame.body["state"].as_str() {
                    Some(key) => key.to_string(),
                    None => self.streams.get(&frame.stream).cloned().ok_or_else(|| {
                        SodpError::Protocol(format!("DELTA on an unknown stream: {frame:?}"))
                    })?,
                };
                let version = frame.body["version"].as_u64().ok_or_else(|| {
                    SodpError::Protocol(format!("DELTA without a version: {frame:?}"))
                })?;
                let ops = frame.body["ops"]
                    .as_array()
                    .ok_or_else(|| SodpError::Protocol(format!("DELTA without ops: {frame:?}")))?;
                let replica = self.replicas.entry(key.clone()).or_insert(Replica {
                    version: 0,
                    value: Value::Null,
                });
                if version <= replica.version {
                    return Err(SodpError::Protocol(format!(
                        "{key}: DELTA version {version} is not newer than {}",
                        replica.version
                    )));
                }
                replica.value = apply_ops(&replica.value, ops)
                    .map_err(|why| SodpError::Protocol(format!("{key}: {why}")))?;
                replica.version = version;
            }
            _ => {}
        }
        Ok(())
    }
}

/// How long one awaited frame may take: generous, as for every wait in the tests.
const WAIT_FRAME: Duration = super::wait::WAIT;

fn close_parts(frame: CloseFrame) -> (u16, String) {
    (u16::from(frame.code), frame.reason.to_string())
}

/// Decodes one frame: a 4-element array of type, stream, seq and a map or nil body.
pub fn decode(bytes: &[u8]) -> Result<Frame, SodpError> {
    let (kind, stream, seq, body): (u8, u32, u64, Value) = rmp_serde::from_slice(bytes)
        .map_err(|e| SodpError::Protocol(format!("undecodable frame ({e}): {bytes:02x?}")))?;
    if !(body.is_object() || body.is_null()) {
        return Err(SodpError::Protocol(format!(
            "a frame body must be a map or nil: {body}"
        )));
    }
    Ok(Frame {
        kind,
        stream,
        seq,
        body,
    })
}

/// Applies SODP delta ops to a copy of `state`. Strict, as a test client should be: an unknown
/// op, a path that is not a JSON pointer, or a path through a scalar is an error.
pub fn apply_ops(state: &Value, ops: &[Value]) -> Result<Value, String> {
    let mut state = state.clone();
    for op in ops {
        let kind = op["op"]
            .as_str()
            .ok_or(format!("an op without a name: {op}"))?;
        if !matches!(kind, "ADD" | "UPDATE" | "REMOVE") {
            return Err(format!("unknown op {kind:?}"));
        }
        let path = op["path"]
            .as_str()
            .ok_or(format!("an op without a path: {op}"))?;
        let value = match op.get("value") {
            Some(value) => value.clone(),
            None if kind == "REMOVE" => Value::Null,
            None => return Err(format!("{kind} without a value: {op}")),
        };
        apply_one(&mut state, kind, path, value)?;
    }
    Ok(state)
}

fn apply_one(state: &mut Value, kind: &str, path: &str, value: Value) -> Result<(), String> {
    let rest = path
        .strip_prefix('/')
        .ok_or(format!("path {path:?} is not a JSON pointer"))?;
    if rest.is_empty() {
        *state = if kind == "REMOVE" { Value::Null } else { value };
        return Ok(());
    }
    let segments: Vec<String> = rest.split('/').map(unescape).collect();
    let (last, parents) = segments.split_last().expect("at least one segment");
    let mut node = state;
    for (i, segment) in parents.iter().enumerate() {
        if node.is_null() {
            *node = container_for(&segments[i]);
        }
        node = match node {
            Value::Object(map) => map
                .entry(segment.clone())
                .or_insert_with(|| container_for(&segments[i + 1])),
            Value::Array(items) => {
                let at = index(segment, items.len())?;
                &mut items[at]
            }
            scalar => return Err(format!("{path}: cannot descend into {scalar}")),
        };
    }
    if node.is_null() {
        *node = container_for(last);
    }
    match node {
        Value::Object(map) => {
            if kind == "REMOVE" {
                map.remove(last);
            } else {
                map.insert(last.clone(), value);
            }
        }
        Value::Array(items) => match (kind, last.as_str()) {
            ("REMOVE", "-") => {
                items.pop();
            }
            ("REMOVE", at) => {
                let at = index(at, items.len())?;
                items.remove(at);
            }
            (_, "-") => items.push(value),
            (_, at) => {
                let at = index(at, items.len() + 1)?;
                if at == items.len() {
                    items.push(value);
                } else {
                    items[at] = value;
                }
            }
        },
        scalar => return Err(format!("{path}: cannot set a field of {scalar}")),
    }
    Ok(())
}

/// RFC 6901: `~1` is `/`, `~0` is `~` (in that order).
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn container_for(segment: &str) -> Value {
    if segment == "-" || (!segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())) {
        Value::Array(Vec::new())
    } else {
        Value::Object(Map::new())
    }
}

fn index(segment: &str, len: usize) -> Result<usize, String> {
    match segment.parse::<usize>() {
        Ok(at) if at < len => Ok(at),
        _ => Err(format!("array index {segment:?} out of range (len {len})")),
    }
}
