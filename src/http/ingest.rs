//! Accepted webhook batches into the same pipeline as polled data: events stored with the
//! dedupe keys the tracker uses (so a 911 call seen both ways is stored, and posted, once),
//! the feed pipeline woken, and `;` commands handed to the command router in order.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::custom_commands::{CommandCall, Handled, LivePlayer, find_by_id, live_players};
use crate::erlc::{WebhookBatch, WebhookEmergencyCall, WebhookEventData, decode_batch};
use crate::events::NewEvent;
use crate::events::catalog::{
    CallPhase, EmergencyCallInfo, EventPayload, PlayerInfo, emergency_dedupe_key,
};

use sha2::{Digest, Sha256};

use super::HttpState;
use crate::store::InboxBatch;

/// Longest wait for the player list used to name 911 callers and responders.
const NAME_LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a batch stands in the store's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Progress {
    /// `None` when the batch could not be kept (it is processed all the same).
    pub inbox_id: Option<u64>,
    /// Commands of the batch that already ran (a replay skips them).
    pub commands_done: u32,
    /// Names the batch in its events' dedupe keys (see [`batch_digest`]).
    pub digest: String,
}

/// A short digest of a batch's body: the same delivery kept and replayed gives the same
/// event keys, so its events are stored once however often it is processed.
pub(super) fn batch_digest(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Store the batch's events, wake the pipeline, run its `;` commands, then drop it from the
/// inbox.
pub(super) async fn ingest(
    state: Arc<HttpState>,
    guild: u64,
    server: String,
    batch: WebhookBatch,
    progress: Progress,
) {
    for event in &batch.events {
        state.counters.count_event(event_label(&event.data));
    }
    if !batch.malformed.is_empty() {
        tracing::warn!(guild, server = %server, count = batch.malformed.len(), "webhook batch had elements that are not events");
    }
    let players = if batch.events.iter().any(|e| needs_names(&e.data)) {
        player_names(&state, guild, &server).await
    } else {
        Vec::new()
    };
    let mut new_events = Vec::new();
    let mut commands = Vec::new();
    for event in &batch.events {
        let origin = event.origin_user_id();
        let built = match &event.data {
            WebhookEventData::Probe | WebhookEventData::Unknown { .. } => None,
            WebhookEventData::CustomCommand { command, argument } => {
                let Some(player_id) = origin else {
                    tracing::debug!(guild, "a ; command without a player id; ignored");
                    continue;
                };
                // Keyed by the batch, so storing it again on a replay is a no-op.
                let key = Some(format!("webhook/{}/{}", progress.digest, commands.len()));
                commands.push(CommandCall {
                    guild,
                    server: server.clone(),
                    player_id,
                    command: command.clone(),
                    argument: argument.clone(),
                    timestamp: event.timestamp,
                });
                let payload = EventPayload::CustomCommand {
                    player: person(&players, player_id),
                    command: command.clone(),
                    argument: argument.clone(),
                };
                Some((payload, event.timestamp, key))
            }
            WebhookEventData::EmergencyCallStarted(call) => Some(emergency(
                call,
                CallPhase::Started,
                event.timestamp,
                &players,
            )),
            WebhookEventData::EmergencyCallEnded(call) => {
                Some(emergency(call, CallPhase::Ended, event.timestamp, &players))
            }
        };
        if let Some((payload, time, key)) = built {
            match payload.into_new_event(&server, time, key) {
                Ok(new) => new_events.push(new),
                Err(e) => tracing::warn!(guild, error = %e, "webhook event not stored"),
            }
        }
    }
    if !store_and_wake(&state, guild, new_events).await {
        // Left in the inbox: the next start tries again.
        return;
    }
    if let Some(router) = &state.commands {
        let skip = usize::try_from(progress.commands_done).unwrap_or(usize::MAX);
        for (index, call) in commands.into_iter().enumerate().skip(skip) {
            let handled = router.handle(call).await;
            state.counters.count_command(handled_label(&handled));
            if let Some(id) = progress.inbox_id {
                let done = u32::try_from(index + 1).unwrap_or(u32::MAX);
                if let Err(e) = state.store.inbox().set_commands_done(id, done) {
                    tracing::warn!(guild, error = %e, "could not note a webhook command as done");
                }
            }
        }
    }
    if let Some(id) = progress.inbox_id {
        if let Err(e) = state.store.inbox().remove(id) {
            tracing::warn!(guild, error = %e, "could not drop a processed webhook batch");
        }
    }
}

/// Process the webhook batches a previous run accepted but did not finish (it stopped or
/// crashed in between), oldest first; the future returns how many. Call it once at start-up
/// before the HTTP server takes new batches: the list is read at the call, so batches
/// accepted while the replay runs are not taken twice.
pub fn replay_inbox(state: &HttpState) -> impl Future<Output = usize> + Send + 'static {
    let state = Arc::new(state.clone());
    let pending = state.store.inbox().pending();
    async move {
        let pending = match pending {
            Ok(pending) => pending,
            Err(e) => {
                tracing::error!(error = %e, "unfinished webhook batches could not be read");
                return 0;
            }
        };
        replay(&state, pending).await
    }
}

async fn replay(state: &Arc<HttpState>, pending: Vec<(u64, InboxBatch)>) -> usize {
    let count = pending.len();
    for (id, kept) in pending {
        let batch = match decode_batch(kept.body.as_bytes()) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(guild = kept.guild, error = %e, "a kept webhook batch cannot be read; dropped");
                if let Err(e) = state.store.inbox().remove(id) {
                    tracing::warn!(error = %e, "could not drop an unreadable webhook batch");
                }
                continue;
            }
        };
        let progress = Progress {
            inbox_id: Some(id),
            commands_done: kept.commands_done,
            digest: batch_digest(kept.body.as_bytes()),
        };
        ingest(state.clone(), kept.guild, kept.server, batch, progress).await;
    }
    if count > 0 {
        tracing::info!(
            batches = count,
            "replayed webhook batches left unfinished by the last run"
        );
    }
    count
}

/// False when the events could not be stored.
async fn store_and_wake(state: &HttpState, guild: u64, events: Vec<NewEvent>) -> bool {
    if events.is_empty() {
        return true;
    }
    let stored = match state.store.events().append(guild, events) {
        Ok(stored) => stored,
        Err(e) => {
            tracing::error!(guild, error = %e, "webhook events could not be stored");
            return false;
        }
    };
    if stored.is_empty() {
        return true;
    }
    if let Err(e) = state.store.events().flush_async().await {
        tracing::error!(guild, error = %e, "webhook events could not be flushed");
        return false;
    }
    state.counters.count_stored(stored.len());
    state
        .wake
        .send_modify(|generation| *generation = generation.wrapping_add(1));
    true
}

/// Only 911 calls and commands name players; probes and unknown events need no lookup.
fn needs_names(data: &WebhookEventData) -> bool {
    matches!(
        data,
        WebhookEventData::EmergencyCallStarted(_)
            | WebhookEventData::EmergencyCallEnded(_)
            | WebhookEventData::CustomCommand { .. }
    )
}

/// The live player list, or nothing when it cannot be read in time (ids are shown then).
async fn player_names(state: &HttpState, guild: u64, server: &str) -> Vec<LivePlayer> {
    let Some(handles) = &state.handles else {
        return Vec::new();
    };
    let lookup = async {
        let handle = handles
            .handle(guild, server)
            .await
            .map_err(|e| e.to_string())?;
        live_players(&handle).await.map_err(|e| e.to_string())
    };
    match tokio::time::timeout(NAME_LOOKUP_TIMEOUT, lookup).await {
        Ok(Ok(players)) => players,
        Ok(Err(e)) => {
            tracing::debug!(guild, server, error = %e, "no player names for webhook events");
            Vec::new()
        }
        Err(_) => {
            tracing::debug!(
                guild,
                server,
                "player list too slow; webhook events keep ids only"
            );
            Vec::new()
        }
    }
}

/// A player by id, named from the live list when they are in it.
fn person(players: &[LivePlayer], id: u64) -> PlayerInfo {
    find_by_id(players, id).map_or_else(
        || PlayerInfo {
            name: format!("user {id}"),
            id: Some(id),
            ..PlayerInfo::default()
        },
        LivePlayer::info,
    )
}

/// A 911 event: the payload, its source time and the dedupe key shared with the tracker.
/// Without a call number the event cannot be matched to polled data and is stored unkeyed.
fn emergency(
    call: &WebhookEmergencyCall,
    phase: CallPhase,
    event_time: i64,
    players: &[LivePlayer],
) -> (EventPayload, i64, Option<String>) {
    let started_at = call.started_at.unwrap_or(event_time);
    let info = EmergencyCallInfo {
        call_number: call.call_number.unwrap_or_default(),
        team: call
            .team
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |t| t.as_str().to_owned()),
        caller: call.caller.map(|id| person(players, id)),
        responders: call.players.iter().map(|id| person(players, *id)).collect(),
        description: call.description.clone(),
        location: call.position_descriptor.clone(),
        position: call.position,
        started_at,
    };
    let key = call
        .call_number
        .map(|number| emergency_dedupe_key(number, started_at, phase));
    match phase {
        CallPhase::Started => (
            EventPayload::EmergencyStarted { call: info },
            started_at,
            key,
        ),
        CallPhase::Ended => (EventPayload::EmergencyEnded { call: info }, event_time, key),
    }
}

fn event_label(data: &WebhookEventData) -> &'static str {
    match data {
        WebhookEventData::Probe => "WebhookProbe",
        WebhookEventData::CustomCommand { .. } => "CustomCommand",
        WebhookEventData::EmergencyCallStarted(_) => "EmergencyCallStarted",
        WebhookEventData::EmergencyCallEnded(_) => "EmergencyCallEnded",
        // Any name PRC adds later is counted together: labels must stay a small set.
        WebhookEventData::Unknown { .. } => "other",
    }
}

fn handled_label(handled: &Handled) -> &'static str {
    match handled {
        Handled::Disabled => "disabled",
        Handled::Unknown => "unknown",
        Handled::CoolingDown { .. } => "cooling_down",
        Handled::Ran { ok: true, .. } => "ran_ok",
        Handled::Ran { ok: false, .. } => "ran_failed",
        Handled::Failed { .. } => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlc::models::Team;

    fn call(number: Option<i64>, started_at: Option<i64>) -> WebhookEmergencyCall {
        WebhookEmergencyCall {
            team: Some(Team::Police),
            caller: Some(5),
            players: vec![6],
            position: Some([1.0, 2.0]),
            started_at,
            call_number: number,
            description: Some("crash".into()),
            position_descriptor: Some("Harbor Road, Postal 307".into()),
            extra: Default::default(),
        }
    }

    #[test]
    fn emergency_events_use_the_shared_key_and_start_time() {
        let players = [LivePlayer {
            name: "Caller".into(),
            id: Some(5),
            team: "Civilian".into(),
            permission: "Normal".into(),
            callsign: None,
            postal: None,
            street: None,
        }];
        let (payload, time, key) = emergency(
            &call(Some(18), Some(100)),
            CallPhase::Started,
            105,
            &players,
        );
        assert_eq!(time, 100);
        assert_eq!(key.as_deref(), Some("emergency:18-100:started"));
        let EventPayload::EmergencyStarted { call: info } = payload else {
            panic!("expected a started call");
        };
        assert_eq!(
            info.caller.as_ref().map(|c| c.name.as_str()),
            Some("Caller")
        );
        assert_eq!(info.responders[0].name, "user 6");
        assert_eq!(info.team, "Police");
        assert_eq!(info.location.as_deref(), Some("Harbor Road, Postal 307"));

        let (payload, time, key) =
            emergency(&call(Some(18), Some(100)), CallPhase::Ended, 300, &[]);
        assert!(matches!(payload, EventPayload::EmergencyEnded { .. }));
        assert_eq!(
            (time, key.as_deref()),
            (300, Some("emergency:18-100:ended"))
        );

        let (_, time, key) = emergency(&call(None, None), CallPhase::Started, 7, &[]);
        assert_eq!((time, key), (7, None));
    }
}
