//! One poll of one server, in three steps: [`read`] the snapshot (and the bans when due),
//! [`plan`] the events and the new checkpoint, [`commit`] them to the store. The crash-safety
//! argument lives on `commit`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::erlc::ErlcError;
use crate::erlc::models::Include;
use crate::events::catalog::{CallPhase, EventPayload, emergency_dedupe_key};
use crate::events::{Event, NewEvent};
use crate::store::{DedupeWrites, Store, tracker_scope};

use super::config::{TrackedServer, TrackerConfig};
use super::diff::{ban_changes, diff};
use super::error::TrackerError;
use super::gap::detect_gap;
use super::logs::{LogRead, LogRow, LogSection, RowKey, read_logs};
use super::observe::SnapshotExtras;
use super::sections::ALWAYS_READ;
use super::world::{Roster, WorldState};

/// Name of the per-log watermark in the dedupe set: the newest row timestamp handled.
const NEWEST: &str = "newest";

/// A ban list: user id → name.
type Bans = BTreeMap<u64, String>;

/// What survives a restart, written atomically with the events it produced. Its parts are
/// shared (`Arc`) so a poll copies neither the world it diffs against nor the one it hands to
/// readers, nor a ban list it did not read again.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Checkpoint {
    /// `None` until the first successful poll (which is a baseline and emits nothing).
    #[serde(default, with = "shared")]
    world: Option<Arc<WorldState>>,
    #[serde(default, with = "shared")]
    bans: Option<Arc<Bans>>,
    /// Unix seconds of the last successful poll.
    last_poll: Option<i64>,
}

/// An `Option<Arc<T>>` stored as the `Option<T>` it holds (the format checkpoints always had).
mod shared {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Arc<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_deref().serialize(serializer)
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<T>>, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map(Arc::new))
    }
}

/// First byte of a checkpoint in the compact encoding (postcard, about a third the size of
/// JSON and several times faster to write, and one is written every poll). Checkpoints from
/// before it are JSON objects, which start with `{`, and are still read.
const COMPACT_CHECKPOINT: u8 = 0xC1;

impl Checkpoint {
    fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_extend(self, vec![COMPACT_CHECKPOINT])
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        match bytes.split_first() {
            Some((&COMPACT_CHECKPOINT, rest)) => {
                postcard::from_bytes(rest).map_err(|e| e.to_string())
            }
            _ => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        }
    }
}

/// A server's poll state in memory; loaded from the store on first use.
#[derive(Debug, Default)]
pub(super) struct PollState {
    loaded: bool,
    checkpoint: Checkpoint,
    watermarks: HashMap<LogSection, i64>,
    /// Every row key of the previous read: all handled, so they skip the store lookup.
    seen: HashSet<(LogSection, RowKey)>,
    scopes: Scopes,
}

/// The dedupe scope of each log of this server, built once at load.
#[derive(Debug, Default)]
struct Scopes {
    joins: String,
    kills: String,
    commands: String,
    mod_calls: String,
}

impl Scopes {
    fn new(server: &TrackedServer) -> Self {
        let scope = |log: LogSection| tracker_scope(server.guild, &server.label, log.name());
        Self {
            joins: scope(LogSection::Joins),
            kills: scope(LogSection::Kills),
            commands: scope(LogSection::Commands),
            mod_calls: scope(LogSection::ModCalls),
        }
    }

    fn of(&self, log: LogSection) -> &str {
        match log {
            LogSection::Joins => &self.joins,
            LogSection::Kills => &self.kills,
            LogSection::Commands => &self.commands,
            LogSection::ModCalls => &self.mod_calls,
        }
    }
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
    /// Players in the server, as PRC counts them (0 when it answered offline).
    pub players: u32,
    /// The poll stored a `feed/gap` notice: PRC's log window may have dropped rows unread.
    pub gap: bool,
    /// The poll also read the ban list, successfully.
    pub bans_read: bool,
    /// A ban read that failed (the snapshot part of the poll still counted).
    pub bans_error: Option<ErlcError>,
    /// What the snapshot said beside the world, for observers.
    pub extras: Arc<SnapshotExtras>,
    /// Unix seconds of the poll.
    pub polled_at: i64,
}

impl PollState {
    fn load(&mut self, store: &Store, server: &TrackedServer) -> Result<(), TrackerError> {
        if self.loaded {
            return Ok(());
        }
        if let Some(bytes) = store.events().checkpoint(server.guild, &server.label)? {
            match Checkpoint::decode(&bytes) {
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
        self.scopes = Scopes::new(server);
        for log in LogSection::ALL {
            if let Some(mark) = store.dedupe().watermark(self.scopes.of(log), NEWEST)? {
                self.watermarks.insert(log, mark);
            }
        }
        self.loaded = true;
        Ok(())
    }

    /// The world the last successful poll saw, if any.
    pub(super) fn world(&self) -> Option<Arc<WorldState>> {
        self.checkpoint.world.clone()
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
    let include = server
        .include
        .union(ALWAYS_READ)
        .union(config.extra_include);
    let previous = state.checkpoint.world.as_deref();
    let reading = read(server, include, previous, with_bans, now).await?;
    let planned = plan(store, server, state, &reading, now)?;
    let (baseline, gap) = (planned.baseline, planned.gap);
    let events = commit(store, config, server, state, &reading, planned).await?;
    Ok(PollReport {
        baseline,
        online: reading.world.online,
        prc_offline: reading.prc_offline,
        players: reading.world.current_players,
        events,
        gap,
        bans_read: reading.bans.is_some(),
        bans_error: reading.bans_error,
        extras: reading.extras,
        polled_at: now,
    })
}

/// What one poll read from PRC.
struct Reading {
    world: Arc<WorldState>,
    logs: LogRead,
    /// PRC answered "offline" (3002) instead of a snapshot.
    prc_offline: bool,
    bans: Option<Arc<Bans>>,
    bans_error: Option<ErlcError>,
    extras: Arc<SnapshotExtras>,
}

/// Step 1: one snapshot request (every log and the player list, plus what the feeds and the
/// tracker's `extra_include` need), then the ban list when due. `previous` enriches players who just left.
async fn read(
    server: &TrackedServer,
    include: Include,
    previous: Option<&WorldState>,
    with_bans: bool,
    now: i64,
) -> Result<Reading, TrackerError> {
    let mut prc_offline = false;
    let (mut world, logs, extras) = match server.handle.snapshot(include).await {
        Ok(snapshot) => {
            let world = WorldState::from_snapshot(&snapshot);
            let roster = Roster {
                newer: &world,
                older: previous,
            };
            let logs = read_logs(&snapshot, roster, now);
            let extras = SnapshotExtras::from_snapshot(&snapshot, &logs);
            (world, logs, extras)
        }
        // PRC's answer for a server nobody is in: a valid state, not a failure.
        Err(ErlcError::ServerOffline(_)) => {
            prc_offline = true;
            let world = WorldState::offline_after(previous);
            (world, LogRead::default(), SnapshotExtras::default())
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(prev) = previous {
        world.carry_over(prev);
    }
    // An offline server answers every read with 3002; its bans wait for the next poll.
    let (bans, bans_error) = if with_bans && !prc_offline {
        match server.handle.bans().await {
            Ok(bans) => (Some(Arc::new(bans.into_inner())), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    Ok(Reading {
        world: Arc::new(world),
        logs,
        prc_offline,
        bans,
        bans_error,
        extras: Arc::new(extras),
    })
}

/// What a poll is about to store, decided before anything is written.
struct Planned<'a> {
    /// The first poll of a server: its rows are marked handled, no events.
    baseline: bool,
    events: Vec<NewEvent>,
    /// Log rows not handled before.
    fresh: Vec<&'a LogRow>,
    gap: bool,
    checkpoint: Checkpoint,
    /// `checkpoint`, encoded for the store.
    encoded: Vec<u8>,
}

/// Step 2: the reading against the previous checkpoint: fresh log rows, the gap notice,
/// snapshot and ban changes, in the order they are stored.
fn plan<'a>(
    store: &Store,
    server: &TrackedServer,
    state: &PollState,
    reading: &'a Reading,
    now: i64,
) -> Result<Planned<'a>, TrackerError> {
    let checkpoint = Checkpoint {
        world: Some(Arc::clone(&reading.world)),
        bans: reading
            .bans
            .clone()
            .or_else(|| state.checkpoint.bans.clone()),
        last_poll: Some(now),
    };
    let encoded = checkpoint.encode().map_err(TrackerError::Encode)?;
    let Some(previous) = &state.checkpoint.world else {
        return Ok(Planned {
            baseline: true,
            events: Vec::new(),
            fresh: reading.logs.rows.iter().collect(),
            gap: false,
            checkpoint,
            encoded,
        });
    };
    let fresh = fresh_rows(store, state, &reading.logs)?;
    let gap = detect_gap(
        &reading.logs.windows,
        &state.watermarks,
        state.checkpoint.last_poll,
    );
    let ban_events = match (&state.checkpoint.bans, &reading.bans) {
        (Some(before), Some(after)) => ban_changes(before, after),
        _ => Vec::new(),
    };
    let has_gap = gap.is_some();
    let changes = diff(previous, &reading.world, server.include);
    let events = assemble(server, now, changes, gap, &fresh, ban_events)?;
    Ok(Planned {
        baseline: false,
        events,
        fresh,
        gap: has_gap,
        checkpoint,
        encoded,
    })
}

/// Step 3: store the plan, then remember what it handled.
///
/// Crash order: the events and the checkpoint (the world they were diffed against) are one
/// atomic batch, and log rows carry their content key into the event store, which skips keys
/// it already holds. A crash after the batch but before the rows are marked in the dedupe set
/// therefore replays nothing twice; a crash before it loses nothing, because the rows are
/// still in PRC's window and not yet marked. A baseline is the exception: it marks its rows
/// first, so a crash in between only repeats the baseline instead of replaying PRC's whole
/// window as new events.
async fn commit(
    store: &Store,
    config: &TrackerConfig,
    server: &TrackedServer,
    state: &mut PollState,
    reading: &Reading,
    planned: Planned<'_>,
) -> Result<Vec<Event>, TrackerError> {
    let Planned {
        baseline,
        events,
        fresh,
        checkpoint,
        encoded,
        ..
    } = planned;
    if baseline {
        let mut marks = store.dedupe().writes();
        mark_handled(&mut marks, config, state, &fresh)?;
        store.dedupe().apply(marks)?;
    }
    let stored =
        store
            .events()
            .append_with_checkpoint(server.guild, &server.label, events, &encoded)?;
    // Durable before anyone hears of them. A poll without events needs no flush: losing its
    // checkpoint only means the next poll diffs against the one before, which matches the
    // events stored.
    if !stored.is_empty() {
        store.events().flush_in_window().await?;
    }
    // The rows handled and the new watermarks: one batch, not a write per row.
    let mut marks = store.dedupe().writes();
    if !baseline {
        mark_handled(&mut marks, config, state, &fresh)?;
    }
    let mut raised = Vec::new();
    for window in &reading.logs.windows {
        let Some(newest) = window.newest else {
            continue;
        };
        if state
            .watermarks
            .get(&window.log)
            .is_none_or(|mark| newest > *mark)
        {
            marks.watermark(state.scopes.of(window.log), NEWEST, newest)?;
            raised.push((window.log, newest));
        }
    }
    store.dedupe().apply(marks)?;
    state.watermarks.extend(raised);
    state.seen = reading
        .logs
        .rows
        .iter()
        .map(|row| (row.log, row.key))
        .collect();
    state.checkpoint = checkpoint;
    Ok(stored)
}

fn mark_handled(
    marks: &mut DedupeWrites,
    config: &TrackerConfig,
    state: &PollState,
    rows: &[&LogRow],
) -> Result<(), TrackerError> {
    for row in rows {
        let key = row.key.text();
        marks.insert(state.scopes.of(row.log), key.as_bytes(), config.dedupe_ttl)?;
    }
    Ok(())
}

/// Rows not handled before: not in the previous read and not in the dedupe set.
fn fresh_rows<'a>(
    store: &Store,
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
            .contains(state.scopes.of(row.log), row.key.text().as_bytes())?
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
        // The key webhooks use too, so a call reported both ways is stored once.
        let key = match &payload {
            EventPayload::EmergencyStarted { call } => Some(emergency_dedupe_key(
                call.call_number,
                call.started_at,
                CallPhase::Started,
            )),
            EventPayload::EmergencyEnded { call } => Some(emergency_dedupe_key(
                call.call_number,
                call.started_at,
                CallPhase::Ended,
            )),
            _ => None,
        };
        events.push(build(payload, time, key)?);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::tracker::world::{CallState, PlayerState, VehicleState};

    fn world(
        players: Vec<(u64, String, Option<String>, u32)>,
        plate: Option<String>,
    ) -> WorldState {
        let players: BTreeMap<u64, PlayerState> = players
            .into_iter()
            .map(|(id, name, callsign, wanted)| {
                let state = PlayerState {
                    name,
                    team: "Police".into(),
                    permission: "Normal".into(),
                    callsign,
                    wanted,
                };
                (id, state)
            })
            .collect();
        let calls = BTreeMap::from([(
            3,
            CallState {
                team: "Fire".into(),
                caller: players.keys().next().copied(),
                responders: players.keys().copied().collect(),
                description: Some("smoke \"here\" {".into()),
                location: None,
                position: [1.5, -2.25],
                started_at: -7,
            },
        )]);
        WorldState {
            name: "A server".into(),
            online: !players.is_empty(),
            current_players: u32::try_from(players.len()).unwrap_or(u32::MAX),
            queue: Some(players.keys().copied().collect()),
            players: Some(players),
            vehicles: Some(vec![VehicleState {
                owner: "someone".into(),
                name: "2019 Falcon".into(),
                plate,
                colour: None,
            }]),
            calls: Some(calls),
        }
    }

    fn checkpoint(world: WorldState) -> Checkpoint {
        Checkpoint {
            world: Some(Arc::new(world)),
            bans: Some(Arc::new(Bans::from([(9, "banned".to_owned())]))),
            last_poll: Some(1_700_000_000),
        }
    }

    fn same(a: &Checkpoint, b: &Checkpoint) -> bool {
        a.world == b.world && a.bans == b.bans && a.last_poll == b.last_poll
    }

    proptest! {
        #[test]
        fn compact_checkpoints_read_back_as_written(
            players in proptest::collection::vec(
                (any::<u64>(), ".{0,20}", proptest::option::of(".{0,8}"), any::<u32>()),
                0..16,
            ),
            plate in proptest::option::of(".{0,8}"),
        ) {
            let written = checkpoint(world(players, plate));
            let bytes = written.encode().unwrap();
            prop_assert_eq!(bytes[0], COMPACT_CHECKPOINT);
            let read = Checkpoint::decode(&bytes).unwrap();
            prop_assert!(same(&read, &written));
        }

        #[test]
        fn damaged_checkpoints_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut compact = vec![COMPACT_CHECKPOINT];
            compact.extend_from_slice(&bytes);
            let _ = Checkpoint::decode(&compact);
            let _ = Checkpoint::decode(&bytes);
        }
    }

    #[test]
    fn json_checkpoints_of_earlier_versions_still_read() {
        let written = checkpoint(world(vec![(42, "Roblox".into(), None, 2)], None));
        let json = serde_json::to_vec(&written).unwrap();
        assert_eq!(json[0], b'{');
        let read = Checkpoint::decode(&json).unwrap();
        assert!(same(&read, &written));
        // Smaller, which is the point of it.
        assert!(written.encode().unwrap().len() < json.len());
        assert!(Checkpoint::decode(b"").is_err());
        assert!(Checkpoint::decode(&[COMPACT_CHECKPOINT]).is_err());
    }
}
