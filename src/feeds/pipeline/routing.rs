//! The routing half of the pipeline: read each server's new events after its cursor, route
//! and batch them, and when the oldest batch is due queue every planned message and move the
//! cursors in one transaction. Between those commits nothing is persisted, so a crash makes
//! the next run route the same events again from the old cursors, and no batch is ever
//! queued twice or half.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use super::{FeedPipeline, PipelineError, outbox_entry};
use crate::feeds::batch::Batcher;
use crate::store::RouteCursor;

type Partition = (u64, String);

/// Pause after a store error before routing again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// What routing holds between commits.
struct RoutingState {
    batcher: Batcher,
    /// Last event id read per partition, committed or not. Loaded from the cursors on first
    /// sight, and dropped after a failed commit so the store's cursors count again.
    read_upto: HashMap<Partition, u64>,
    /// Partitions read past their stored cursor since the last commit.
    moved: BTreeSet<Partition>,
}

impl FeedPipeline {
    pub(super) async fn route_until(
        &self,
        mut wake: watch::Receiver<u64>,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), PipelineError> {
        let mut state = RoutingState {
            batcher: Batcher::new(self.config.batch).packed(self.config.packing),
            read_upto: HashMap::new(),
            moved: BTreeSet::new(),
        };
        let mut wake_open = true;
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let pause = match self.route_and_commit(&mut state, false).await {
                Ok(()) => self.until_next_due(&state),
                Err(error) => {
                    tracing::error!(%error, "feed routing failed; retrying");
                    state.forget_uncommitted();
                    ERROR_PAUSE
                }
            };
            tokio::select! {
                () = &mut shutdown => break,
                changed = wake.changed(), if wake_open => {
                    // Whoever stores events went away; keep going on the recheck timer.
                    wake_open = changed.is_ok();
                }
                () = self.routes_changed.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        // Pick up what was stored last, and queue everything held.
        self.route_and_commit(&mut state, true).await
    }

    /// How long to wait for a wake-up before looking again.
    fn until_next_due(&self, state: &RoutingState) -> Duration {
        let recheck = self.config.recheck_interval;
        match state.batcher.next_due_ms() {
            Some(due) => {
                let wait = due.saturating_sub(self.store.clock().now_ms()).max(0);
                recheck.min(Duration::from_millis(wait as u64))
            }
            None => recheck,
        }
    }

    /// One cycle: read and route new events, then commit when a batch is due (or `final_pass`,
    /// or too much is held), or when nothing is held but cursors moved.
    async fn route_and_commit(
        &self,
        state: &mut RoutingState,
        final_pass: bool,
    ) -> Result<(), PipelineError> {
        self.read_new_events(state)?;
        let now = self.store.clock().now_ms();
        let held = state.batcher.pending_cards();
        let due = state.batcher.next_due_ms().is_some_and(|at| at <= now);
        if held == 0 && state.moved.is_empty() {
            return Ok(());
        }
        if held == 0 || due || final_pass || held >= self.config.max_held_cards {
            self.commit(state).await?;
        }
        Ok(())
    }

    /// Route every stored event after each partition's read position into the batcher.
    fn read_new_events(&self, state: &mut RoutingState) -> Result<(), PipelineError> {
        let heads = self.store.events().heads()?;
        let router = self.router();
        let outbox = self.store.outbox();
        for head in heads {
            if state.batcher.pending_cards() >= self.config.max_held_cards {
                break;
            }
            let partition = (head.guild, head.server);
            let read = match state.read_upto.get(&partition) {
                Some(read) => *read,
                None => {
                    let cursor = outbox.route_cursor(partition.0, &partition.1)?;
                    state.read_upto.insert(partition.clone(), cursor);
                    cursor
                }
            };
            if head.last_id <= read {
                continue;
            }
            if router.guild_routes(partition.0).is_empty() {
                // Nobody follows this guild: its events need no reading.
                state.read_upto.insert(partition.clone(), head.last_id);
                state.moved.insert(partition);
                continue;
            }
            let mut read = read;
            while read < head.last_id && state.batcher.pending_cards() < self.config.max_held_cards
            {
                let events = self.store.events().events_since(
                    partition.0,
                    &partition.1,
                    read,
                    self.config.read_page,
                )?;
                let Some(last) = events.last() else {
                    // The rest was removed by retention.
                    read = head.last_id;
                    break;
                };
                read = last.id;
                let now = self.store.clock().now_ms();
                for event in &events {
                    let channels = router.destinations(event);
                    state.batcher.push_event(&channels, event, now);
                }
                self.stats.add_routed(events.len());
            }
            state.read_upto.insert(partition.clone(), read);
            state.moved.insert(partition);
        }
        Ok(())
    }

    /// Queue every held message and move the cursors of the partitions read, atomically; then
    /// flush, so nothing is delivered that a crash could make the store forget.
    async fn commit(&self, state: &mut RoutingState) -> Result<(), PipelineError> {
        let planned = state.batcher.flush_all();
        let entries = match planned
            .iter()
            .map(outbox_entry)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(entries) => entries,
            Err(error) => {
                state.forget_uncommitted();
                return Err(error.into());
            }
        };
        let cursors: Vec<RouteCursor> = state
            .moved
            .iter()
            .filter_map(|partition| {
                state.read_upto.get(partition).map(|id| RouteCursor {
                    guild: partition.0,
                    server: partition.1.clone(),
                    last_routed_id: *id,
                })
            })
            .collect();
        if let Err(error) = self.store.outbox().enqueue_and_advance(&entries, &cursors) {
            state.forget_uncommitted();
            return Err(error.into());
        }
        state.moved.clear();
        if !entries.is_empty() {
            self.store.flush_in_window().await?;
            self.stats.add_queued(entries.len());
            self.delivery_wake.notify_one();
        }
        Ok(())
    }
}

impl RoutingState {
    /// After a failed commit: drop what is held and read again from the stored cursors.
    fn forget_uncommitted(&mut self) {
        self.batcher.flush_all();
        self.read_upto.clear();
        self.moved.clear();
    }
}
