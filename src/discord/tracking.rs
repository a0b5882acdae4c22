//! Keeping the tracker in step with the guilds' servers: every stored server at start, a new
//! one after `/server setup`, none after `/server remove`.

use crate::actions::Services;
use crate::erlc::ServerHandle;
use crate::erlc::models::Include;
use crate::store::ServerRecord;
use crate::tracker::{TrackedServer, Tracker};

fn tracked(guild: u64, record: &ServerRecord, handle: ServerHandle) -> TrackedServer {
    TrackedServer {
        guild,
        label: record.label.clone(),
        handle,
        // One v2 request costs the same whatever it includes; feeds, cards and panels use
        // every section.
        include: Include::all(),
        want_bans: true,
    }
}

/// Track one server; a failure is logged (the server still answers commands).
pub fn track(tracker: &Tracker, guild: u64, record: &ServerRecord, handle: ServerHandle) {
    if let Err(e) = tracker.add_server(tracked(guild, record, handle)) {
        tracing::warn!(guild, label = %record.label, "cannot track the server: {e}");
    }
}

/// Track every stored server; returns how many.
pub async fn track_all(tracker: &Tracker, services: &Services) -> usize {
    match services.directory().all().await {
        Ok(servers) => {
            let count = servers.len();
            for (guild, record, handle) in servers {
                track(tracker, guild, &record, handle);
            }
            count
        }
        Err(e) => {
            tracing::warn!("cannot list the stored servers to track: {e}");
            0
        }
    }
}
