//! Keeping the tracker in step with the guilds' servers and feeds: every stored server at
//! start, a new one after `/server setup`, none after `/server remove`, and each server's
//! polls asking only for what the guild's feeds need (re-planned after `/feed` changes), and
//! for staff joins and leaves when the guild runs automatic shifts.

use crate::actions::Services;
use crate::erlc::ServerHandle;
use crate::events::Pattern;
use crate::store::{ServerRecord, Store};
use crate::tracker::{TrackedServer, Tracker, sections_for};

/// The tracker entry for one server: the sections come from the guild's feed patterns.
fn tracked(
    store: &Store,
    guild: u64,
    record: &ServerRecord,
    handle: ServerHandle,
) -> TrackedServer {
    let subscriptions = store
        .settings()
        .feed_subscriptions(guild)
        .unwrap_or_else(|e| {
            tracing::warn!(
                guild,
                "cannot read the guild's feeds, polling everything: {e}"
            );
            Vec::new()
        });
    // Automatic shifts start and end on staff joining and leaving: poll for those events
    // even when no feed shows them.
    let automatic = store
        .settings()
        .guild_settings(guild)
        .is_ok_and(|g| g.shifts.automatic);
    let staff = automatic
        .then(|| Pattern::parse("?/staff/*").ok())
        .flatten();
    let patterns: Vec<_> = subscriptions
        .iter()
        .flat_map(|s| s.patterns.iter())
        .chain(staff.iter())
        .collect();
    let sections = sections_for(&record.label, patterns);
    TrackedServer {
        guild,
        label: record.label.clone(),
        handle,
        include: sections.include,
        want_bans: sections.bans,
    }
}

/// Track one server; a failure is logged (the server still answers commands).
pub fn track(
    tracker: &Tracker,
    store: &Store,
    guild: u64,
    record: &ServerRecord,
    handle: ServerHandle,
) {
    if let Err(e) = tracker.add_server(tracked(store, guild, record, handle)) {
        tracing::warn!(guild, label = %record.label, "cannot track the server: {e}");
    }
}

/// Track every stored server; returns how many.
pub async fn track_all(tracker: &Tracker, services: &Services) -> usize {
    match services.directory().all().await {
        Ok(servers) => {
            let count = servers.len();
            for (guild, record, handle) in servers {
                track(tracker, services.store(), guild, &record, handle);
            }
            count
        }
        Err(e) => {
            tracing::warn!("cannot list the stored servers to track: {e}");
            0
        }
    }
}

/// Re-plan one guild's polls after its feeds changed.
pub async fn retrack_guild(tracker: &Tracker, services: &Services, guild: u64) {
    for record in guild_servers(services, guild) {
        match services.directory().open(guild, &record).await {
            Ok(handle) => track(tracker, services.store(), guild, &record, handle),
            Err(e) => tracing::warn!(guild, label = %record.label, "cannot re-plan polls: {e}"),
        }
    }
}

fn guild_servers(services: &Services, guild: u64) -> Vec<ServerRecord> {
    services
        .store()
        .settings()
        .list_servers(guild)
        .unwrap_or_else(|e| {
            tracing::warn!(guild, "cannot list the guild's servers: {e}");
            Vec::new()
        })
}

/// Forget everything about a guild the bot was removed from: stop polling its servers and
/// sandbox, then delete its keys, settings, events and queued posts (the audit log follows
/// the operator's retention setting).
pub async fn forget_guild(tracker: &Tracker, services: &Services, guild: u64) {
    for record in guild_servers(services, guild) {
        tracker.remove_server(guild, &record.label);
    }
    services.directory().sandbox().stop(guild).await;
    match services.store().remove_guild(guild) {
        Ok(removed) => tracing::info!(
            guild,
            ?removed,
            "removed the data of a guild that removed the bot"
        ),
        Err(e) => tracing::warn!(guild, "could not remove the guild's data: {e}"),
    }
}
