//! One client's session, independent of the transport: it consumes decoded inbound messages
//! and answers through the hub's outbound queue. HELLO on connect; only HEARTBEAT before
//! AUTH_OK (anything else is 401 and a close); then WATCH / RESUME / UNWATCH under the ACL,
//! CALLs (actions, presence), HEARTBEAT echoes. Limits: 1 MiB frames (413 and a close), a
//! 1-second window for CALLs and another for WATCH/RESUME (429, the session stays), a ping
//! every interval with a close when the previous one got no pong, the token's expiry enforced
//! live (401 "token expired" and a close), and an AUTH deadline. Whatever ends the session,
//! its presence is removed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

use crate::actions::Member;
use crate::clock::SharedClock;

use super::calls::{self, CallContext, CallReply};
use super::frame::{Frame, FrameError, FrameType, decode, error_body, hello_body};
use super::hub::{Hub, HubEnd, Joined, SessionId};
use super::key::{Part, StateKey, may_watch};
use super::outbound::Outbound;
use super::token::{LiveClaims, TokenError, TokenKeys};

/// Where subscription streams start (0 is control, 1–9 are reserved).
const FIRST_STREAM: u32 = 10;

/// WebSocket close codes.
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;
const CLOSE_GOING_AWAY: u16 = 1001;

/// A session's limits, announced in HELLO where SODP has a field for them.
#[derive(Debug, Clone)]
pub struct SessionLimits {
    /// CALLs per second (`rate_limit_writes`). Default 20.
    pub calls_per_sec: u32,
    /// WATCH and RESUME frames per second (`rate_limit_watches`). Default 50.
    pub watches_per_sec: u32,
    /// Time between WebSocket pings; a ping unanswered by the next one closes. Default 25 s.
    pub ping_interval: Duration,
    /// How long a connection may stay without a valid AUTH. Default 30 s.
    pub auth_timeout: Duration,
    /// The largest presence value, encoded as JSON. Default 4 KiB.
    pub presence_max_bytes: usize,
    /// Keys one session may watch at once. Default 1,000.
    pub max_watched_keys: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            calls_per_sec: 20,
            watches_per_sec: 50,
            ping_interval: Duration::from_secs(25),
            auth_timeout: Duration::from_secs(30),
            presence_max_bytes: 4096,
            max_watched_keys: 1000,
        }
    }
}

/// What a transport hands a session.
#[derive(Debug, Clone)]
pub enum Inbound {
    /// A binary message: one frame.
    Binary(Bytes),
    /// A text message (SODP forbids them).
    Text,
    /// A message over the size limit, with its length.
    TooLarge(usize),
    /// The answer to a ping.
    Pong,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client went away (or the transport failed).
    Closed,
    /// Its outbound queue was full: the transport should close at once.
    Evicted,
    /// The bot is shutting down.
    Shutdown,
    /// A frame before AUTH_OK, a bad token, or no AUTH in time.
    Unauthorized,
    /// The token expired during the session.
    TokenExpired,
    /// A frame over the size limit.
    TooLarge,
    /// A ping went unanswered.
    PingTimeout,
}

/// Everything sessions share: the hub, the token keys, the limits, the clock tokens are
/// checked against, and the name HELLO gives.
#[derive(Debug, Clone)]
pub struct SessionShared {
    /// The hub.
    pub hub: Hub,
    /// Verifies AUTH tokens.
    pub keys: Arc<TokenKeys>,
    /// The limits.
    pub limits: SessionLimits,
    /// Unix time for token expiry.
    pub clock: SharedClock,
    /// HELLO's `server`.
    pub server_name: String,
}

/// The member a token stands for.
#[derive(Debug, Clone)]
struct Authed {
    guild: u64,
    member: Member,
    expires: Instant,
}

/// A fixed 1-second window.
#[derive(Debug)]
struct Window {
    start: Instant,
    count: u32,
}

impl Window {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            count: 0,
        }
    }

    fn allow(&mut self, limit: u32) -> bool {
        let now = Instant::now();
        if now.duration_since(self.start) >= Duration::from_secs(1) {
            self.start = now;
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count <= limit
    }
}

/// Inbound messages the session stopped at: a close, or nothing more to read.
enum Step {
    Go,
    End(SessionEnd),
}

/// One session. Build with [`Session::start`], drive with [`Session::run`].
#[derive(Debug)]
pub struct Session {
    shared: SessionShared,
    id: SessionId,
    ended: watch::Receiver<Option<HubEnd>>,
    auth: Option<Authed>,
    /// Key → the stream it is watched on.
    streams: HashMap<String, u32>,
    next_stream: u32,
    calls: Window,
    watches: Window,
}

impl Session {
    /// Join the hub: the session and the outbound queue its transport drains (HELLO is
    /// already in it). `None` once the hub has shut down.
    pub fn start(shared: SessionShared) -> Option<(Self, mpsc::Receiver<Outbound>)> {
        let Joined {
            id,
            outbound,
            ended,
        } = shared.hub.join()?;
        let limits = &shared.limits;
        let queue = u32::try_from(shared.hub.queue_capacity()).unwrap_or(u32::MAX);
        let hello = hello_body(
            &shared.server_name,
            limits.calls_per_sec,
            limits.watches_per_sec,
            queue,
        );
        shared
            .hub
            .push(id, Outbound::frame(FrameType::Hello, 0, &hello));
        let session = Self {
            shared,
            id,
            ended,
            auth: None,
            streams: HashMap::new(),
            next_stream: FIRST_STREAM,
            calls: Window::new(),
            watches: Window::new(),
        };
        Some((session, outbound))
    }

    /// Run until the session ends; its presence is removed whatever the reason.
    pub async fn run(mut self, mut inbound: mpsc::Receiver<Inbound>) -> SessionEnd {
        let end = self.serve(&mut inbound).await;
        self.shared.hub.leave(self.id);
        end
    }

    async fn serve(&mut self, inbound: &mut mpsc::Receiver<Inbound>) -> SessionEnd {
        let ping_every = self.shared.limits.ping_interval;
        let mut next_ping = Instant::now() + ping_every;
        let mut awaiting_pong = false;
        let auth_deadline = Instant::now() + self.shared.limits.auth_timeout;
        loop {
            let deadline = self.auth.as_ref().map_or(auth_deadline, |a| a.expires);
            tokio::select! {
                message = inbound.recv() => {
                    let Some(message) = message else { return SessionEnd::Closed };
                    if matches!(message, Inbound::Pong) {
                        awaiting_pong = false;
                        continue;
                    }
                    if let Step::End(end) = self.on_message(message) {
                        return end;
                    }
                }
                changed = self.ended.changed() => {
                    let end = *self.ended.borrow();
                    return match (changed, end) {
                        // The hub forgot the session, so the transport closes by itself.
                        (Ok(()), Some(HubEnd::Shutdown)) => SessionEnd::Shutdown,
                        (Ok(()), Some(HubEnd::Evicted)) => SessionEnd::Evicted,
                        _ => SessionEnd::Closed,
                    };
                }
                () = sleep_until(deadline) => {
                    return match self.auth {
                        Some(_) => {
                            self.shared.hub.metrics().auth_failed();
                            self.fail(401, "token expired", CLOSE_POLICY);
                            SessionEnd::TokenExpired
                        }
                        None => {
                            self.shared.hub.metrics().auth_failed();
                            self.fail(401, "authenticate first", CLOSE_POLICY);
                            SessionEnd::Unauthorized
                        }
                    };
                }
                () = sleep_until(next_ping) => {
                    if awaiting_pong {
                        self.shared.hub.push(self.id, Outbound::Close {
                            code: CLOSE_GOING_AWAY,
                            reason: "no answer to ping",
                        });
                        return SessionEnd::PingTimeout;
                    }
                    awaiting_pong = true;
                    next_ping = Instant::now() + ping_every;
                    self.shared.hub.push(self.id, Outbound::Ping);
                }
            }
        }
    }

    /// Queue an ERROR frame on the control stream.
    fn error(&self, code: u16, message: &str) {
        let body = error_body(code, message);
        self.shared
            .hub
            .push(self.id, Outbound::frame(FrameType::Error, 0, &body));
    }

    /// ERROR, then close.
    fn fail(&self, code: u16, message: &str, close: u16) {
        self.error(code, message);
        self.shared.hub.push(
            self.id,
            Outbound::Close {
                code: close,
                reason: "see the ERROR frame",
            },
        );
    }

    fn on_message(&mut self, message: Inbound) -> Step {
        let bytes = match message {
            Inbound::Binary(bytes) => bytes,
            Inbound::Pong => return Step::Go,
            Inbound::Text => {
                self.error(
                    400,
                    "text frames are not SODP; send binary MessagePack frames",
                );
                return Step::Go;
            }
            Inbound::TooLarge(len) => {
                let message = FrameError::TooLarge { len }.to_string();
                self.fail(413, &message, CLOSE_TOO_BIG);
                return Step::End(SessionEnd::TooLarge);
            }
        };
        let frame = match decode(&bytes) {
            Ok(frame) => frame,
            Err(error @ FrameError::TooLarge { .. }) => {
                self.fail(413, &error.to_string(), CLOSE_TOO_BIG);
                return Step::End(SessionEnd::TooLarge);
            }
            Err(error) => {
                self.error(error.code(), &error.to_string());
                return Step::Go;
            }
        };
        self.shared.hub.metrics().frame_in(frame.kind);
        if frame.kind == FrameType::Heartbeat {
            self.shared
                .hub
                .push(self.id, Outbound::empty(FrameType::Heartbeat, 0));
            return Step::Go;
        }
        match &self.auth {
            None => self.before_auth(&frame),
            Some(authed) => {
                let authed = authed.clone();
                self.live(&authed, frame);
                Step::Go
            }
        }
    }

    fn before_auth(&mut self, frame: &Frame) -> Step {
        if frame.kind != FrameType::Auth {
            self.shared.hub.metrics().auth_failed();
            self.fail(401, "authenticate first", CLOSE_POLICY);
            return Step::End(SessionEnd::Unauthorized);
        }
        let token = frame
            .body
            .get("token")
            .and_then(Value::as_str)
            .unwrap_or("");
        let now = u64::try_from(self.shared.clock.now_secs()).unwrap_or(0);
        let authed = self
            .shared
            .keys
            .verify(token, now)
            .and_then(|claims| authed(&claims, now));
        match authed {
            Ok((authed, sub)) => {
                self.auth = Some(authed);
                self.shared.hub.push(
                    self.id,
                    Outbound::frame(FrameType::AuthOk, 0, &json!({ "sub": sub })),
                );
                Step::Go
            }
            Err(error) => {
                self.shared.hub.metrics().auth_failed();
                self.fail(401, &error.to_string(), CLOSE_POLICY);
                Step::End(SessionEnd::Unauthorized)
            }
        }
    }

    fn live(&mut self, authed: &Authed, frame: Frame) {
        match frame.kind {
            FrameType::Watch => self.on_watch(authed, &frame),
            FrameType::Resume => self.on_resume(authed, &frame),
            FrameType::Unwatch => self.on_unwatch(&frame),
            FrameType::Call => self.on_call(authed, frame),
            FrameType::Auth => self.error(400, "already authenticated"),
            _ => self.error(400, "that frame type is sent by servers, not clients"),
        }
    }

    /// May this session watch `key`? Denials never say whether the key exists.
    fn allowed(&self, authed: &Authed, key: &str) -> Result<StateKey, (u16, &'static str)> {
        let Ok(parsed) = key.parse::<StateKey>() else {
            return Err((403, "not allowed"));
        };
        let caps = self
            .shared
            .hub
            .services()
            .capabilities(authed.guild, &authed.member)
            .map_err(|_| (500, "could not check permissions; try again"))?;
        if may_watch(authed.guild, &caps, &parsed) {
            Ok(parsed)
        } else {
            Err((403, "not allowed"))
        }
    }

    /// The stream for `key`: the client's when it is a subscription stream not in use for
    /// another key, else the next free one.
    fn stream_for(&mut self, key: &str, asked: u32) -> u32 {
        if let Some(current) = self.streams.get(key) {
            return *current;
        }
        let in_use = |s: u32, streams: &HashMap<String, u32>| streams.values().any(|v| *v == s);
        let stream = if asked >= FIRST_STREAM && !in_use(asked, &self.streams) {
            asked
        } else {
            while in_use(self.next_stream, &self.streams) {
                self.next_stream = self.next_stream.wrapping_add(1).max(FIRST_STREAM);
            }
            self.next_stream
        };
        self.next_stream = self.next_stream.max(stream.saturating_add(1));
        self.streams.insert(key.to_owned(), stream);
        stream
    }

    fn keys_of(body: &Value) -> Option<Vec<String>> {
        if let Some(key) = body.get("state").and_then(Value::as_str) {
            return Some(vec![key.to_owned()]);
        }
        let list = body.get("states")?.as_array()?;
        list.iter()
            .map(|k| k.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .filter(|keys| !keys.is_empty())
    }

    fn on_watch(&mut self, authed: &Authed, frame: &Frame) {
        if !self.watches.allow(self.shared.limits.watches_per_sec) {
            self.shared.hub.metrics().rate_limited();
            self.error(429, "too many WATCH or RESUME frames; slow down");
            return;
        }
        let Some(keys) = Self::keys_of(&frame.body) else {
            self.error(
                400,
                "WATCH needs `state` (a key) or `states` (a list of keys)",
            );
            return;
        };
        let params = frame.body.get("params");
        for key in keys {
            if let Err((code, message)) = self.allowed(authed, &key) {
                self.error(code, message);
                continue;
            }
            if !self.room_for(&key) {
                return;
            }
            let stream = self.stream_for(&key, frame.stream);
            self.shared.hub.watch(self.id, &key, stream, params);
        }
    }

    /// Whether the session may watch one more key (watching it again is always fine); says
    /// why not.
    fn room_for(&self, key: &str) -> bool {
        let max = self.shared.limits.max_watched_keys;
        if self.streams.contains_key(key) || self.streams.len() < max {
            return true;
        }
        self.error(
            400,
            &format!("a session watches at most {max} keys; UNWATCH some first"),
        );
        false
    }

    fn on_resume(&mut self, authed: &Authed, frame: &Frame) {
        if !self.watches.allow(self.shared.limits.watches_per_sec) {
            self.shared.hub.metrics().rate_limited();
            self.error(429, "too many WATCH or RESUME frames; slow down");
            return;
        }
        let body = &frame.body;
        let (Some(key), Some(since)) = (
            body.get("state").and_then(Value::as_str),
            body.get("since_version").and_then(Value::as_u64),
        ) else {
            self.error(400, "RESUME needs `state` and `since_version`");
            return;
        };
        if let Err((code, message)) = self.allowed(authed, key) {
            self.error(code, message);
            return;
        }
        if !self.room_for(key) {
            return;
        }
        let stream = self.stream_for(key, frame.stream);
        self.shared
            .hub
            .resume(self.id, key, since, stream, body.get("params"));
    }

    fn on_unwatch(&mut self, frame: &Frame) {
        let Some(keys) = Self::keys_of(&frame.body) else {
            self.error(400, "UNWATCH needs `state` or `states`");
            return;
        };
        for key in keys {
            self.streams.remove(&key);
            self.shared.hub.unwatch(self.id, &key);
        }
    }

    fn on_call(&mut self, authed: &Authed, frame: Frame) {
        let body = frame.body;
        let Some(call_id) = body.get("call_id").and_then(Value::as_str) else {
            self.error(400, "CALL needs `call_id`");
            return;
        };
        let call_id = call_id.to_owned();
        if !self.calls.allow(self.shared.limits.calls_per_sec) {
            self.shared.hub.metrics().rate_limited();
            self.error(429, "too many CALLs; slow down");
            return;
        }
        let method = body
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let args = body.get("args").cloned().unwrap_or(Value::Null);
        if method == "state.presence" {
            let reply = self.presence(authed, &args);
            self.result(&call_id, reply);
            return;
        }
        let context = CallContext {
            hub: self.shared.hub.clone(),
            guild: authed.guild,
            member: authed.member.clone(),
        };
        let (hub, id) = (self.shared.hub.clone(), self.id);
        // Actions wait on PRC (and on the command showing in its logs): answered when done,
        // while the session keeps reading.
        tokio::spawn(async move {
            let reply = calls::dispatch(&context, &method, &args).await;
            hub.push(id, result_frame(&call_id, reply));
        });
    }

    fn result(&self, call_id: &str, reply: CallReply) {
        self.shared.hub.push(self.id, result_frame(call_id, reply));
    }

    /// `state.presence {state, path, value}`: only the `.viewers` key of a server the token
    /// may watch, and only the session's own path `/<sub>`.
    fn presence(&self, authed: &Authed, args: &Value) -> CallReply {
        let (Some(key), Some(path)) = (
            args.get("state").and_then(Value::as_str),
            args.get("path").and_then(Value::as_str),
        ) else {
            return CallReply::failure(400, "state.presence needs `state`, `path` and `value`");
        };
        let own = format!("/{}", authed.member.discord_id);
        let viewers = self
            .allowed(authed, key)
            .is_ok_and(|k| k.part == Part::Viewers);
        if !viewers || path != own {
            return CallReply::failure(
                403,
                "presence is only for your own path (/<your id>) in a server's .viewers key",
            );
        }
        let value = args.get("value").cloned().unwrap_or(Value::Null);
        if value.to_string().len() > self.shared.limits.presence_max_bytes {
            return CallReply::failure(413, "the presence value is too large");
        }
        match self.shared.hub.presence(self.id, key, path, value) {
            Ok(version) => CallReply::success(json!({ "version": version })),
            Err(error) => CallReply::failure(400, &error.to_string()),
        }
    }
}

/// RESULT `{call_id, success, data}`; a failure's data is its message, with its `code` beside.
fn result_frame(call_id: &str, reply: CallReply) -> Outbound {
    let mut body = json!({
        "call_id": call_id,
        "success": reply.success,
        "data": reply.data,
    });
    if let Some(code) = reply.code {
        body["code"] = json!(code);
    }
    Outbound::frame(FrameType::Result, 0, &body)
}

/// The member a verified token stands for, and its `sub`.
fn authed(claims: &LiveClaims, now: u64) -> Result<(Authed, String), TokenError> {
    let (Some(guild), Some(discord_id)) = (claims.guild_id(), claims.member_id()) else {
        return Err(TokenError::Invalid("the token names no guild or member"));
    };
    let roles = claims
        .roles
        .iter()
        .map(|r| r.parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TokenError::Invalid("the token's roles are not ids"))?;
    let left = Duration::from_secs(claims.exp.saturating_sub(now));
    let member = Member {
        discord_id,
        name: claims.name.clone(),
        roles,
        is_admin: claims.admin,
    };
    // A token is minted for hours; one signed for centuries just never expires in practice.
    let expires = Instant::now()
        .checked_add(left)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600));
    let authed = Authed {
        guild,
        member,
        expires,
    };
    Ok((authed, claims.sub.clone()))
}
