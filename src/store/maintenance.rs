//! Periodic upkeep: enforce event retention, drop expired dedupe keys, pending
//! confirmations and `/link` codes, and forget old delivered outbox entries, in small batches
//! so the bot never stalls on a big cleanup.

use std::future::Future;
use std::time::Duration;

use super::{Store, StoreError};

/// How often and how much upkeep runs.
#[derive(Debug, Clone)]
pub struct MaintenanceConfig {
    /// Time between rounds. Default 10 minutes.
    pub interval: Duration,
    /// Records removed per batch; rounds loop until a batch removes nothing. Default 1,000.
    pub batch: usize,
    /// Delivered outbox entries (and the card message ids they hold, used to edit mod-call and
    /// 911 cards) are kept this long. Default 7 days.
    pub keep_delivered: Duration,
}

impl Default for MaintenanceConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(600),
            batch: 1_000,
            keep_delivered: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// What one round removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Events removed by the retention policies.
    pub events: usize,
    /// Dedupe keys whose time to live had passed.
    pub dedupe_keys: usize,
    /// Delivered outbox entries older than `keep_delivered`.
    pub outbox_entries: usize,
    /// Pending confirmations past their expiry, or unreadable, that were dropped.
    pub confirmations: usize,
    /// `/link` codes past their expiry (used or not), or unreadable, that were dropped.
    pub link_codes: usize,
}

/// Run one full round now.
pub fn run_once(
    store: &Store,
    config: &MaintenanceConfig,
) -> Result<MaintenanceReport, StoreError> {
    let mut report = MaintenanceReport::default();
    let now = store.clock().now_ms();
    let batch = config.batch.max(1);
    loop {
        let removed = store.events().cleanup_batch(now, batch)?;
        report.events += removed;
        if removed == 0 {
            break;
        }
    }
    loop {
        let removed = store.dedupe().sweep_expired(batch)?;
        report.dedupe_keys += removed;
        if removed == 0 {
            break;
        }
    }
    loop {
        let removed = store.confirmations().sweep_expired(now, batch)?;
        report.confirmations += removed;
        if removed == 0 {
            break;
        }
    }
    loop {
        let removed = store.links().sweep_expired_codes(now, batch)?;
        report.link_codes += removed;
        if removed == 0 {
            break;
        }
    }
    let keep_ms = i64::try_from(config.keep_delivered.as_millis()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(keep_ms);
    loop {
        let removed = store.outbox().prune_delivered(cutoff, batch)?;
        report.outbox_entries += removed;
        if removed == 0 {
            break;
        }
    }
    store.flush()?;
    Ok(report)
}

/// Run rounds every `config.interval` until `shutdown` completes. A failed round is logged and
/// retried next time: upkeep must never take the bot down.
pub async fn run(store: Store, config: MaintenanceConfig, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = ticker.tick() => {}
        }
        let (round_store, round_config) = (store.clone(), config.clone());
        match tokio::task::spawn_blocking(move || run_once(&round_store, &round_config)).await {
            Ok(Ok(report)) if report != MaintenanceReport::default() => {
                tracing::info!(?report, "store maintenance removed old records");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "store maintenance failed; will retry"),
            Err(e) => tracing::warn!(error = %e, "store maintenance task stopped unexpectedly"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::events::catalog::EventPayload;
    use crate::store::{MasterKeySource, OutboxEntry, PendingConfirmation, Source, StoreConfig};

    #[test]
    fn a_round_applies_retention_sweeps_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_000_000));
        let mut config = StoreConfig::new(dir.path(), MasterKeySource::Env("11".repeat(32)));
        config.clock = clock.clone();
        let store = Store::open(config).unwrap();

        // Events older than the system partition's 30-day age, beyond its minimum of 100 kept.
        let old: Vec<_> = (0..150)
            .map(|i| {
                EventPayload::ServerOnline {
                    name: "s".into(),
                    players: i,
                }
                .into_new_event("main", 0, None)
                .unwrap()
            })
            .collect();
        store.events().append(1, old).unwrap();
        store
            .dedupe()
            .insert_if_new("1/main/kills", b"k", Duration::from_secs(1))
            .unwrap();
        store
            .outbox()
            .enqueue(OutboxEntry {
                idempotency_key: "feed:1".into(),
                destination: "9".into(),
                payload: serde_json::value::to_raw_value(&serde_json::json!({})).unwrap(),
                edit_of: None,
            })
            .unwrap();
        store
            .outbox()
            .mark_delivered("feed:1", "m1".into())
            .unwrap();
        let confirmation = |expires_at_ms| PendingConfirmation {
            guild: 1,
            requested_by: 2,
            source: Source::SlashCommand,
            server_label: "main".into(),
            command_text: ":shutdown".into(),
            expires_at_ms,
            action: None,
        };
        let later = 1_000_000 + 41 * 24 * 3600 * 1000;
        let confirmations = store.confirmations();
        confirmations.put("old", &confirmation(1_300_000)).unwrap();
        confirmations.put("later", &confirmation(later)).unwrap();

        clock.advance_ms(40 * 24 * 3600 * 1000);
        let report = run_once(&store, &MaintenanceConfig::default()).unwrap();
        assert_eq!(report.events, 50, "{report:?}");
        assert_eq!(report.dedupe_keys, 1);
        assert_eq!(report.outbox_entries, 1);
        assert_eq!(report.confirmations, 1);
        let still = confirmations.take_if("later", |_| Ok::<_, StoreError>(()));
        assert!(still.unwrap().is_some(), "not expired yet");
        assert_eq!(store.events().count(1, "system").unwrap(), 100);
        assert_eq!(store.outbox().delivered_message_id("feed:1").unwrap(), None);
        assert_eq!(
            run_once(&store, &MaintenanceConfig::default()).unwrap(),
            MaintenanceReport::default()
        );
    }
}
