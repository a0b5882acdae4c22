//! One poll of one server: read the snapshot (and bans when due), turn it into events, store
//! the events together with the new checkpoint, then mark log rows handled.
//!
//! Crash safety: events and the checkpoint (the world they were diffed against) are one atomic
//! batch, and log rows carry their content key into the event store, which skips keys it
//! already holds. A crash after the batch but before the dedupe set is updated therefore
//! replays nothing twice; a crash before it loses nothing, because the rows are still in
//! PRC's window and not yet marked.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::erlc::ErlcError;
use crate::events::catalog::EventPayload;
use crate::events::{Event, NewEvent};
use crate::store::Store;

use super::config::{TrackedServer, TrackerConfig};
use super::diff::{ban_changes, diff};
use super::error::TrackerError;
use super::gap::detect_gap;
use super::logs::{LogKind, LogRead, LogRow, RowKey, read_logs};
use super::world::{Roster, WorldState};

/// Name of the per-log watermark in the dedupe set: the newest row timestamp handled.
const NEWEST: &str = "newest";

/// What survives a restart, written atomically with the events it produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Checkpoint {
    /// `None` until the first successful poll (which is a baseline and emits nothing).
    world: Option<WorldState>,
    bans: Option<BTreeMap<u64, String>>,
    /// Unix seconds of the last successful poll.
    last_poll: Option<i64>,
}

/// A server's poll state in memory; loaded from the store on first use.
#[derive(Debug, Default)]
pub(super) struct PollState {
    loaded: bool,
    checkpoint: Checkpoint,
    watermarks: HashMap<LogKind, i64>,
    /// Every row key of the previous read: all handled, so they skip the store lookup.
    seen: HashSet<(LogKind, RowKey)>,
}

/// What one poll did.
#[derive(Debug, Clone)]
pub struct PollReport {
    /// Events stored by this poll, in order.
    pub events: Vec<Event>,
    /// The first poll of a server only records what is there; it emits nothing.
    pub baseline: bool,
    /// `CurrentPlayers > 0`.
    pub online: bool,
    /// PRC answered "offline" (3002) instead of a snapshot.
    pub prc_offline: bool,
    pub players: u32,
    pub gap: bool,
    pub bans_read: bool,
    /// A ban read that failed (the snapshot part of the poll still counted).
    pub bans_error: Option<ErlcError>,
}

fn scope(server: &TrackedServer, log: LogKind) -> String {
    format!("{}/{}/{}", server.guild, server.label, log.name())
}

impl PollState {
    fn load(&mut self, store: &Store, server: &TrackedServer) -> Result<(), TrackerError> {
        if self.loaded {
            return Ok(());
        }
        if let Some(bytes) = store.events().checkpoint(server.guild, &server.label)? {
            match serde_json::from_slice(&bytes) {
                Ok(checkpoint) => self.checkpoint = checkpoint,
                // A damaged checkpoint costs one baseline poll, never the whole server.
                Err(e) => tracing::warn!(
                    guild = server.guild,
                    label = %server.label,
                    error = %e,
                    "tracker checkpoint unreadable; starting from a fresh baseline"
                ),
            }
        }
        for log in LogKind::ALL {
            if let Some(mark) = store.dedupe().watermark(&scope(server, log), NEWEST)? {
                self.watermarks.insert(log, mark);
            }
        }
        self.loaded = true;
        Ok(())
    }
}

/// Poll `server` once. `with_bans` also reads the ban list.
pub(super) async fn poll(
    store: &Store,
    config: &TrackerConfig,
    server: &TrackedServer,
    state: &mut PollState,
    with_bans: bool,
) -> Result<PollReport, TrackerError> {
    state.load(store, server)?;
    let now = store.clock().now_secs();
    let previous = state.checkpoint.world.clone();
    let mut prc_offline = false;
    let (mut world, logs) = match server.handle.snapshot(server.include).await {
        Ok(snapshot) => {
            let world = WorldState::from_snapshot(&snapshot);
            let roster = Roster {
                newer: &world,
                older: previous.as_ref(),
            };
            let logs = read_logs(&snapshot, roster, now);
            (world, logs)
        }
        // PRC's answer for a server nobody is in: a valid state, not a failure.
        Err(ErlcError::ServerOffline(_)) => {
            prc_offline = true;
            (
                WorldState::offline_after(previous.as_ref()),
                LogRead::default(),
            )
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(prev) = &previous {
        world.carry_over(prev);
    }
    // An offline server answers every read with 3002; its bans wait for the next poll.
    let (bans, bans_error) = if with_bans && !prc_offline {
        match server.handle.bans().await {
            Ok(bans) => (Some(bans.into_inner()), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    let bans_read = bans.is_some();
    let checkpoint = Checkpoint {
        bans: bans.clone().or_else(|| state.checkpoint.bans.clone()),
        world: Some(world.clone()),
        last_poll: Some(now),
    };
    let (events, fresh_rows, gap) = match &previous {
        None => (Vec::new(), logs.rows.iter().collect(), false),
        Some(prev) => {
            let fresh = fresh_rows(store, server, state, &logs)?;
            let gap = detect_gap(&logs.windows, &state.watermarks, state.checkpoint.last_poll);
            let ban_events = match (&state.checkpoint.bans, &bans) {
                (Some(before), Some(after)) => ban_changes(before, after),
                _ => Vec::new(),
            };
            let has_gap = gap.is_some();
            let changes = diff(prev, &world);
            let events = assemble(server, now, changes, gap, &fresh, ban_events)?;
            (events, fresh, has_gap)
        }
    };
    let bytes = serde_json::to_vec(&checkpoint).map_err(|e| {
        TrackerError::Store(crate::store::StoreError::Invalid(format!(
            "could not encode the tracker checkpoint: {e}"
        )))
    })?;
    let baseline = previous.is_none();
    // A baseline marks its rows before the checkpoint exists: a crash in between then only
    // repeats the baseline, instead of replaying PRC's whole window as new events.
    if baseline {
        mark_handled(store, config, server, &fresh_rows)?;
    }
    let stored =
        store
            .events()
            .append_with_checkpoint(server.guild, &server.label, events, &bytes)?;
    // Durable before anyone hears of them. A poll without events needs no flush: losing its
    // checkpoint only means the next poll diffs against the one before, which matches the
    // events stored.
    if !stored.is_empty() {
        store.events().flush_async().await?;
    }
    if !baseline {
        mark_handled(store, config, server, &fresh_rows)?;
    }
    for window in &logs.windows {
        let Some(newest) = window.newest else {
            continue;
        };
        if state
            .watermarks
            .get(&window.log)
            .is_none_or(|mark| newest > *mark)
        {
            store
                .dedupe()
                .set_watermark(&scope(server, window.log), NEWEST, newest)?;
            state.watermarks.insert(window.log, newest);
        }
    }
    state.seen = logs.rows.iter().map(|row| (row.log, row.key)).collect();
    state.checkpoint = checkpoint;
    Ok(PollReport {
        baseline,
        online: world.online,
        prc_offline,
        players: world.current_players,
        events: stored,
        gap,
        bans_read,
        bans_error,
    })
}

fn mark_handled(
    store: &Store,
    config: &TrackerConfig,
    server: &TrackedServer,
    rows: &[&LogRow],
) -> Result<(), TrackerError> {
    for row in rows {
        let key = row.key.text();
        store
            .dedupe()
            .insert_if_new(&scope(server, row.log), key.as_bytes(), config.dedupe_ttl)?;
    }
    Ok(())
}

/// Rows not handled before: not in the previous read and not in the dedupe set.
fn fresh_rows<'a>(
    store: &Store,
    server: &TrackedServer,
    state: &PollState,
    logs: &'a LogRead,
) -> Result<Vec<&'a LogRow>, TrackerError> {
    let mut fresh = Vec::new();
    for row in &logs.rows {
        if state.seen.contains(&(row.log, row.key)) {
            continue;
        }
        if store
            .dedupe()
            .contains(&scope(server, row.log), row.key.text().as_bytes())?
        {
            continue;
        }
        fresh.push(row);
    }
    Ok(fresh)
}

/// Order of one poll's events: server online, the gap notice, log rows by time, the other
/// snapshot changes, ban changes, server offline last.
fn assemble(
    server: &TrackedServer,
    now: i64,
    changes: Vec<EventPayload>,
    gap: Option<EventPayload>,
    rows: &[&LogRow],
    bans: Vec<EventPayload>,
) -> Result<Vec<NewEvent>, TrackerError> {
    let label = server.label.as_str();
    let build = |payload: EventPayload, time: i64, key: Option<String>| {
        payload
            .into_new_event(label, time, key)
            .map_err(|e| TrackerError::BadLabel {
                label: label.to_owned(),
                detail: e.to_string(),
            })
    };
    let (online, rest): (Vec<_>, Vec<_>) = changes
        .into_iter()
        .partition(|c| matches!(c, EventPayload::ServerOnline { .. }));
    let (offline, rest): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|c| matches!(c, EventPayload::ServerOffline { .. }));
    let mut events = Vec::new();
    for payload in online.into_iter().chain(gap) {
        events.push(build(payload, now, None)?);
    }
    for row in rows {
        let key = format!("{}/{}", row.log.name(), row.key.text());
        events.push(build(row.payload.clone(), row.timestamp, Some(key))?);
    }
    for payload in rest.into_iter().chain(bans).chain(offline) {
        let time = match &payload {
            EventPayload::EmergencyStarted { call } => call.started_at,
            _ => now,
        };
        events.push(build(payload, time, None)?);
    }
    Ok(events)
}
