//! The hub: one [`StateTable`] fed by the tracker's polls (through [`super::project`]) and by the
//! sessions' presence, and the fan-out of its changes. Every watcher of a key gets each change
//! as one DELTA whose body is msgpack-encoded once and shared. Each session has a bounded
//! outbound queue; a session whose queue is full is evicted (closed, its presence removed) so a
//! stalled reader never holds up the others; it RESUMEs when it reconnects.
//!
//! One lock guards the table, the watchers and the sessions, so a WATCH's STATE_INIT and the
//! DELTAs after it reach the queue in version order, and nothing is queued while holding it but
//! non-blocking sends.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, watch};

use crate::actions::Services;
use crate::tracker::{PolledServer, ServerChange, Tracker};

use super::delta::Op;
use super::frame::FrameType;
use super::key::{Part, StateKey, label_segment};
use super::metrics::{LiveCounts, LiveMetrics};
use super::outbound::Outbound;
use super::project::{POLLED_PARTS, project};
use super::states::{Published, Resume, StateTable};

/// The spec's default outbound queue: 1,024 frames per session.
pub const QUEUE_CAPACITY: usize = 1024;

/// A session's number within this process.
pub type SessionId = u64;

/// Why the hub ended a session (the session tells its client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubEnd {
    /// Its outbound queue was full: a stalled reader.
    Evicted,
    /// The bot is shutting down.
    Shutdown,
}

/// What a session gets when it joins the hub.
#[derive(Debug)]
pub struct Joined {
    /// Its id, for every later call.
    pub id: SessionId,
    /// Its outbound queue, for the transport to drain.
    pub outbound: mpsc::Receiver<Outbound>,
    /// Set when the hub ends the session.
    pub ended: watch::Receiver<Option<HubEnd>>,
}

/// The live state hub. Cheap to clone; clones share everything.
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    services: Services,
    queue_capacity: usize,
    metrics: LiveMetrics,
    next_session: AtomicU64,
    state: Mutex<HubState>,
}

#[derive(Debug, Default)]
struct HubState {
    table: StateTable,
    /// Key → the sessions watching it, with the stream each one reads it on.
    watchers: HashMap<String, HashMap<SessionId, u32>>,
    sessions: HashMap<SessionId, Slot>,
    /// The last poll of each server, to re-project its mod calls when a claim changes.
    servers: HashMap<(u64, String), Arc<PolledServer>>,
    shut_down: bool,
}

#[derive(Debug)]
struct Slot {
    out: mpsc::Sender<Outbound>,
    ended: watch::Sender<Option<HubEnd>>,
    keys: HashSet<String>,
    /// (key, path) pairs this session set with `state.presence`.
    presence: BTreeSet<(String, String)>,
}

#[derive(Serialize)]
struct StateInitBody<'a> {
    state: &'a str,
    version: u64,
    value: &'a Value,
    initialized: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
}

#[derive(Serialize)]
struct DeltaBody<'a> {
    state: &'a str,
    version: u64,
    ops: &'a [Op],
}

/// Why a presence write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceError {
    /// The session is gone (evicted or closed).
    #[error("the session has ended")]
    Ended,
    /// The path names nothing settable (not a JSON Pointer below the root).
    #[error("the path is not a JSON Pointer below the root")]
    BadPath,
}

impl Hub {
    /// A hub with no state yet; `queue_capacity` frames per session ([`QUEUE_CAPACITY`]).
    pub fn new(services: Services, queue_capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                services,
                queue_capacity: queue_capacity.max(1),
                metrics: LiveMetrics::default(),
                next_session: AtomicU64::new(1),
                state: Mutex::new(HubState::default()),
            }),
        }
    }

    /// The services the sessions' CALLs and ACL checks use.
    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    /// The counters, for `/metrics`.
    pub fn counts(&self) -> LiveCounts {
        self.inner.metrics.snapshot()
    }

    pub(super) fn metrics(&self) -> &LiveMetrics {
        &self.inner.metrics
    }

    /// The capacity of each session's outbound queue.
    pub fn queue_capacity(&self) -> usize {
        self.inner.queue_capacity
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A new session; `None` once the hub has shut down.
    pub fn join(&self) -> Option<Joined> {
        let (out, outbound) = mpsc::channel(self.inner.queue_capacity);
        let (ended_tx, ended) = watch::channel(None);
        let id = self.inner.next_session.fetch_add(1, Ordering::Relaxed);
        let mut state = self.lock();
        if state.shut_down {
            return None;
        }
        state.sessions.insert(
            id,
            Slot {
                out,
                ended: ended_tx,
                keys: HashSet::new(),
                presence: BTreeSet::new(),
            },
        );
        self.inner.metrics.session_opened();
        Some(Joined {
            id,
            outbound,
            ended,
        })
    }

    /// Queue `item` for session `id`. False if the session is gone, or was evicted because
    /// its queue was full.
    pub fn push(&self, id: SessionId, item: Outbound) -> bool {
        let mut state = self.lock();
        let mut gone = Vec::new();
        let sent = send(&mut state, &self.inner.metrics, id, item, &mut gone);
        settle(&mut state, &self.inner.metrics, gone);
        sent
    }

    /// Session `id` watches `key` on `stream`: its current value (STATE_INIT), then every
    /// change (DELTA). The caller checked the ACL.
    pub fn watch(&self, id: SessionId, key: &str, stream: u32, params: Option<&Value>) {
        let mut state = self.lock();
        let mut gone = Vec::new();
        if subscribe(&mut state, id, key, stream) {
            let init = state_init(&state.table, key, stream, params);
            send(&mut state, &self.inner.metrics, id, init, &mut gone);
        }
        settle(&mut state, &self.inner.metrics, gone);
    }

    /// Session `id` resumes `key` from `since`: the newer deltas in order, then STATE_INIT as
    /// the live marker; only the STATE_INIT when `since` is older than the key's ring.
    pub fn resume(
        &self,
        id: SessionId,
        key: &str,
        since: u64,
        stream: u32,
        params: Option<&Value>,
    ) {
        let mut state = self.lock();
        let mut gone = Vec::new();
        if subscribe(&mut state, id, key, stream) {
            if let Resume::Replay(deltas) = state.table.since(key, since) {
                for (version, ops) in deltas {
                    let body = DeltaBody {
                        state: key,
                        version,
                        ops: &ops,
                    };
                    let frame = Outbound::serialized(FrameType::Delta, stream, &body);
                    if !send(&mut state, &self.inner.metrics, id, frame, &mut gone) {
                        break;
                    }
                }
            }
            let init = state_init(&state.table, key, stream, params);
            send(&mut state, &self.inner.metrics, id, init, &mut gone);
        }
        settle(&mut state, &self.inner.metrics, gone);
    }

    /// Session `id` stops watching `key`.
    pub fn unwatch(&self, id: SessionId, key: &str) {
        let mut state = self.lock();
        if let Some(watchers) = state.watchers.get_mut(key) {
            watchers.remove(&id);
            if watchers.is_empty() {
                state.watchers.remove(key);
            }
        }
        if let Some(slot) = state.sessions.get_mut(&id) {
            slot.keys.remove(key);
        }
    }

    /// Set `path` of `key` to `value` for as long as session `id` lives. Returns the key's
    /// version after the write. The caller checked the ACL and that the path is the session's
    /// own.
    pub fn presence(
        &self,
        id: SessionId,
        key: &str,
        path: &str,
        value: Value,
    ) -> Result<u64, PresenceError> {
        if path.len() < 2 || !path.starts_with('/') {
            return Err(PresenceError::BadPath);
        }
        let mut state = self.lock();
        let slot = state.sessions.get_mut(&id).ok_or(PresenceError::Ended)?;
        slot.presence.insert((key.to_owned(), path.to_owned()));
        let mut gone = Vec::new();
        if let Some(published) = state.table.set_path(key, path, value) {
            fan_out(&mut state, &self.inner.metrics, &published, &mut gone);
        }
        settle(&mut state, &self.inner.metrics, gone);
        Ok(state.table.get(key).map_or(0, |(version, _)| version))
    }

    /// Session `id` ended (closed, timed out, expired, failed): forget it and remove its
    /// presence, telling the other watchers.
    pub fn leave(&self, id: SessionId) {
        let mut state = self.lock();
        let mut gone = Vec::new();
        remove_session(&mut state, &self.inner.metrics, id, None, &mut gone);
        settle(&mut state, &self.inner.metrics, gone);
    }

    /// Project a poll into the server's keys and publish what changed.
    pub fn apply_polled(&self, polled: Arc<PolledServer>) {
        let Some(segment) = label_segment(&polled.label) else {
            return;
        };
        let claims = self
            .inner
            .services
            .mod_call_claims(polled.guild, &polled.label);
        let mut state = self.lock();
        let mut gone = Vec::new();
        for part in POLLED_PARTS {
            let key = key_name(polled.guild, &segment, part);
            let value = project(&polled, &claims, part);
            if let Some(published) = state.table.set(&key, value) {
                fan_out(&mut state, &self.inner.metrics, &published, &mut gone);
            }
        }
        state
            .servers
            .insert((polled.guild, polled.label.clone()), polled);
        settle(&mut state, &self.inner.metrics, gone);
    }

    /// A mod call of the server was claimed or resolved: publish its `.modcalls` again.
    pub fn claims_changed(&self, guild: u64, label: &str) {
        let Some(segment) = label_segment(label) else {
            return;
        };
        let claims = self.inner.services.mod_call_claims(guild, label);
        let mut state = self.lock();
        let Some(polled) = state.servers.get(&(guild, label.to_owned())).cloned() else {
            return;
        };
        let key = key_name(guild, &segment, Part::Modcalls);
        let mut gone = Vec::new();
        if let Some(published) = state
            .table
            .set(&key, project(&polled, &claims, Part::Modcalls))
        {
            fan_out(&mut state, &self.inner.metrics, &published, &mut gone);
        }
        settle(&mut state, &self.inner.metrics, gone);
    }

    /// The caller of mod call `call_key` as a command names them (user id, else name), if the
    /// server's last poll saw the call.
    pub fn mod_call_caller(&self, guild: u64, label: &str, call_key: &str) -> Option<String> {
        let state = self.lock();
        let polled = state.servers.get(&(guild, label.to_owned()))?;
        let call = polled
            .extras
            .mod_calls
            .iter()
            .find(|c| c.call_key == call_key)?;
        Some(
            call.caller
                .id
                .map_or_else(|| call.caller.name.clone(), |id| id.to_string()),
        )
    }

    /// The server is no longer tracked: its keys go (watchers get REMOVE `/`, and stay
    /// subscribed in case it comes back).
    pub fn remove_server(&self, guild: u64, label: &str) {
        let mut state = self.lock();
        state.servers.remove(&(guild, label.to_owned()));
        let Some(segment) = label_segment(label) else {
            return;
        };
        let mut gone = Vec::new();
        for part in Part::ALL {
            let key = key_name(guild, &segment, part);
            if let Some(published) = state.table.set(&key, Value::Null) {
                fan_out(&mut state, &self.inner.metrics, &published, &mut gone);
            }
            state.table.drop_key(&key);
        }
        settle(&mut state, &self.inner.metrics, gone);
    }

    /// Match the tracker's servers after missing some of its changes.
    fn resync(&self, current: Vec<Arc<PolledServer>>) {
        let tracked: HashSet<(u64, String)> =
            current.iter().map(|p| (p.guild, p.label.clone())).collect();
        let stale: Vec<(u64, String)> = self
            .lock()
            .servers
            .keys()
            .filter(|id| !tracked.contains(*id))
            .cloned()
            .collect();
        for (guild, label) in stale {
            self.remove_server(guild, &label);
        }
        for polled in current {
            self.apply_polled(polled);
        }
    }

    /// Every server's mod calls again (claim notices were missed).
    fn all_claims_changed(&self) {
        let servers: Vec<(u64, String)> = self.lock().servers.keys().cloned().collect();
        for (guild, label) in servers {
            self.claims_changed(guild, &label);
        }
    }

    /// Follow the tracker's polls and the claims until `stop` completes, then end every
    /// session (their presence removed) and refuse new ones.
    pub async fn run(&self, tracker: Tracker, stop: impl Future<Output = ()>) {
        let mut changes = tracker.subscribe_changes();
        let mut claims = self.inner.services.subscribe_claims();
        self.resync(tracker.latest_polled());
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                change = changes.recv() => match change {
                    Ok(ServerChange::Polled(polled)) => self.apply_polled(polled),
                    Ok(ServerChange::Removed { guild, label }) => {
                        self.remove_server(guild, &label);
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::debug!(missed, "live state fell behind the tracker; re-syncing");
                        self.resync(tracker.latest_polled());
                    }
                    Err(RecvError::Closed) => break,
                },
                notice = claims.recv() => match notice {
                    Ok((guild, label)) => self.claims_changed(guild, &label),
                    Err(RecvError::Lagged(_)) => self.all_claims_changed(),
                    Err(RecvError::Closed) => {}
                },
            }
        }
        self.shutdown();
    }

    /// End every session (each is told, and its presence removed) and refuse new ones.
    pub fn shutdown(&self) {
        let mut state = self.lock();
        state.shut_down = true;
        let ids: Vec<SessionId> = state.sessions.keys().copied().collect();
        let mut gone = Vec::new();
        for id in ids {
            remove_session(
                &mut state,
                &self.inner.metrics,
                id,
                Some(HubEnd::Shutdown),
                &mut gone,
            );
        }
        settle(&mut state, &self.inner.metrics, gone);
    }
}

/// `<guild>.<segment>.<part>`.
fn key_name(guild: u64, segment: &str, part: Part) -> String {
    StateKey {
        guild,
        label: segment.to_owned(),
        part,
    }
    .to_string()
}

fn state_init(table: &StateTable, key: &str, stream: u32, params: Option<&Value>) -> Outbound {
    let current = table.get(key);
    let (version, value) = match &current {
        Some((version, value)) => (*version, value.as_ref()),
        None => (0, &Value::Null),
    };
    let body = StateInitBody {
        state: key,
        version,
        value,
        initialized: current.is_some(),
        params,
    };
    Outbound::serialized(FrameType::StateInit, stream, &body)
}

/// Record that session `id` watches `key` on `stream`. False if the session is gone.
fn subscribe(state: &mut HubState, id: SessionId, key: &str, stream: u32) -> bool {
    let Some(slot) = state.sessions.get_mut(&id) else {
        return false;
    };
    slot.keys.insert(key.to_owned());
    state
        .watchers
        .entry(key.to_owned())
        .or_default()
        .insert(id, stream);
    true
}

/// Try to queue `item` for `id`; a full queue marks the session for eviction, a closed one
/// (the transport is gone) for removal.
fn send(
    state: &mut HubState,
    metrics: &LiveMetrics,
    id: SessionId,
    item: Outbound,
    gone: &mut Vec<(SessionId, bool)>,
) -> bool {
    let Some(slot) = state.sessions.get(&id) else {
        return false;
    };
    let kind = match &item {
        Outbound::Frame { kind, .. } => Some(*kind),
        _ => None,
    };
    match slot.out.try_send(item) {
        Ok(()) => {
            if let Some(kind) = kind {
                metrics.frame_out(kind);
            }
            true
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            gone.push((id, true));
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            gone.push((id, false));
            false
        }
    }
}

/// Send one change to every watcher of its key: the body is encoded once and shared.
fn fan_out(
    state: &mut HubState,
    metrics: &LiveMetrics,
    published: &Published,
    gone: &mut Vec<(SessionId, bool)>,
) {
    let Some(watchers) = state.watchers.get(&published.key) else {
        return;
    };
    let body = DeltaBody {
        state: &published.key,
        version: published.version,
        ops: &published.ops,
    };
    let Outbound::Frame { body, .. } = Outbound::serialized(FrameType::Delta, 0, &body) else {
        return;
    };
    let targets: Vec<(SessionId, u32)> = watchers.iter().map(|(id, s)| (*id, *s)).collect();
    for (id, stream) in targets {
        let frame = Outbound::Frame {
            kind: FrameType::Delta,
            stream,
            body: body.clone(),
        };
        send(state, metrics, id, frame, gone);
    }
}

/// Remove the sessions marked gone (evicted ones are counted and told), and their presence,
/// whose removal may mark more.
fn settle(state: &mut HubState, metrics: &LiveMetrics, mut gone: Vec<(SessionId, bool)>) {
    while let Some((id, evicted)) = gone.pop() {
        let end = evicted.then_some(HubEnd::Evicted);
        remove_session(state, metrics, id, end, &mut gone);
    }
    metrics.set_resume_bytes(state.table.ring_bytes());
}

fn remove_session(
    state: &mut HubState,
    metrics: &LiveMetrics,
    id: SessionId,
    end: Option<HubEnd>,
    gone: &mut Vec<(SessionId, bool)>,
) {
    let Some(slot) = state.sessions.remove(&id) else {
        return;
    };
    metrics.session_closed();
    if end == Some(HubEnd::Evicted) {
        metrics.evicted();
    }
    if end.is_some() {
        let _ = slot.ended.send(end);
    }
    for key in &slot.keys {
        if let Some(watchers) = state.watchers.get_mut(key) {
            watchers.remove(&id);
            if watchers.is_empty() {
                state.watchers.remove(key);
            }
        }
    }
    for (key, path) in &slot.presence {
        if let Some(published) = state.table.remove_path(key, path) {
            fan_out(state, metrics, &published, gone);
        }
    }
}
