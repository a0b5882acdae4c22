//! The routing half of the pipeline: read the new events of each server whose head moved,
//! route and batch them, and when a batch is due queue it (with every batch holding older
//! events of the same servers) and move the cursors in one atomic store change. A server's cursor
//! stops below its oldest event still held in a batch, so a crash makes the next run route
//! again exactly the events never queued: no batch is ever queued twice or half, and an
//! event queued in one channel is not queued again in another.

use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// The cursors as stored, for the partitions seen.
    stored: HashMap<Partition, u64>,
    /// Partitions read past their stored cursor.
    moved: BTreeSet<Partition>,
    /// The event store's heads mark at the last look (0: look at every partition).
    head_mark: u64,
    /// Partitions with events left to read (reading stopped at `max_held_cards`), with their
    /// head when last seen.
    unread: BTreeMap<Partition, u64>,
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
            stored: HashMap::new(),
            moved: BTreeSet::new(),
            head_mark: 0,
            unread: BTreeMap::new(),
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

    /// One cycle: read and route new events; then, when a batch is due, queue what is due
    /// (everything on the `final_pass` or when too much is held), or when nothing is held but
    /// cursors moved, just move them.
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
        if final_pass || held >= self.config.max_held_cards {
            self.commit(state, true).await?;
        } else if held == 0 || due {
            self.commit(state, false).await?;
        }
        Ok(())
    }

    /// Route every stored event after the read position of each partition whose head moved
    /// since the last look (or that has events left from then) into the batcher.
    fn read_new_events(&self, state: &mut RoutingState) -> Result<(), PipelineError> {
        let moved = self.store.events().heads_moved_since(state.head_mark);
        state.head_mark = moved.mark;
        for head in moved.heads {
            let last = state.unread.entry((head.guild, head.server)).or_default();
            *last = (*last).max(head.last_id);
        }
        let router = self.router();
        let outbox = self.store.outbox();
        let mut todo = std::mem::take(&mut state.unread).into_iter();
        for (partition, head) in todo.by_ref() {
            if state.batcher.pending_cards() >= self.config.max_held_cards {
                state.unread.insert(partition, head);
                break;
            }
            let read = match state.read_upto.get(&partition) {
                Some(read) => *read,
                None => {
                    let cursor = outbox.route_cursor(partition.0, &partition.1)?;
                    state.stored.insert(partition.clone(), cursor);
                    state.read_upto.insert(partition.clone(), cursor);
                    cursor
                }
            };
            if head <= read {
                continue;
            }
            if router.guild_routes(partition.0).is_empty() {
                // Nobody follows this guild: its events need no reading.
                state.read_upto.insert(partition.clone(), head);
                state.moved.insert(partition);
                continue;
            }
            let mut read = read;
            while read < head && state.batcher.pending_cards() < self.config.max_held_cards {
                let events = self.store.events().events_since(
                    partition.0,
                    &partition.1,
                    read,
                    self.config.read_page,
                )?;
                let Some(last) = events.last() else {
                    // The rest was removed by retention.
                    read = head;
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
            if read < head {
                state.unread.insert(partition.clone(), head);
            }
            state.moved.insert(partition);
        }
        state.unread.extend(todo);
        Ok(())
    }

    /// Queue the due messages (`everything`: every held one) and move the cursors of the
    /// partitions read, each up to below its oldest event still held, atomically; then flush,
    /// so nothing is delivered that a crash could make the store forget.
    async fn commit(
        &self,
        state: &mut RoutingState,
        everything: bool,
    ) -> Result<(), PipelineError> {
        let planned = if everything {
            state.batcher.flush_all()
        } else {
            state.batcher.due_whole(self.store.clock().now_ms())
        };
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
        let cursors = state.safe_cursors();
        if entries.is_empty() && cursors.is_empty() {
            return Ok(());
        }
        if let Err(error) = self.store.outbox().enqueue_and_advance(&entries, &cursors) {
            state.forget_uncommitted();
            return Err(error.into());
        }
        state.cursors_stored(cursors);
        if !entries.is_empty() {
            self.store.flush_in_window().await?;
            self.stats.add_queued(entries.len());
            self.delivery_wake.notify_one();
        }
        Ok(())
    }
}

impl RoutingState {
    /// The cursor moves that are safe now: each moved partition up to what was read, but
    /// below its oldest event still held in a batch.
    fn safe_cursors(&self) -> Vec<RouteCursor> {
        let lowest_held = self.batcher.lowest_held();
        self.moved
            .iter()
            .filter_map(|partition| {
                let read = *self.read_upto.get(partition)?;
                let safe = match lowest_held.get(partition) {
                    Some(held) => read.min(held.saturating_sub(1)),
                    None => read,
                };
                (safe > self.stored.get(partition).copied().unwrap_or(0)).then(|| RouteCursor {
                    guild: partition.0,
                    server: partition.1.clone(),
                    last_routed_id: safe,
                })
            })
            .collect()
    }

    /// After a commit wrote `cursors`: partitions whose cursor caught up with what was read
    /// are no longer moved.
    fn cursors_stored(&mut self, cursors: Vec<RouteCursor>) {
        for cursor in cursors {
            self.stored
                .insert((cursor.guild, cursor.server), cursor.last_routed_id);
        }
        let (stored, read_upto) = (&self.stored, &self.read_upto);
        self.moved
            .retain(|partition| stored.get(partition) < read_upto.get(partition));
    }

    /// After a failed commit: drop what is held and read every partition again from the
    /// stored cursors.
    fn forget_uncommitted(&mut self) {
        self.batcher.flush_all();
        self.read_upto.clear();
        self.stored.clear();
        self.moved.clear();
        self.unread.clear();
        self.head_mark = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::batch::{BatchConfig, EventRef};
    use crate::feeds::render::Card;
    use crate::ui::message::Embed;

    fn card() -> Card {
        Card {
            embed: Embed::new().title("t"),
            buttons: Vec::new(),
            live: None,
        }
    }

    fn state() -> RoutingState {
        RoutingState {
            batcher: Batcher::new(BatchConfig {
                max_delay_ms: 1_000,
            }),
            read_upto: HashMap::new(),
            stored: HashMap::new(),
            moved: BTreeSet::new(),
            head_mark: 7,
            unread: BTreeMap::new(),
        }
    }

    fn part(server: &str) -> Partition {
        (1, server.to_owned())
    }

    fn read(state: &mut RoutingState, server: &str, stored: u64, upto: u64) {
        state.stored.insert(part(server), stored);
        state.read_upto.insert(part(server), upto);
        state.moved.insert(part(server));
    }

    fn hold(state: &mut RoutingState, channel: u64, server: &str, id: u64, at: i64) {
        let event = EventRef {
            guild: 1,
            server: server.into(),
            id,
        };
        state.batcher.push(channel, card(), event, 0, at);
    }

    fn cursors(state: &RoutingState) -> Vec<(String, u64)> {
        state
            .safe_cursors()
            .into_iter()
            .map(|c| (c.server, c.last_routed_id))
            .collect()
    }

    #[test]
    fn a_cursor_stops_below_the_oldest_held_event_and_never_passes_it() {
        let mut state = state();
        read(&mut state, "main", 2, 10);
        read(&mut state, "side", 0, 4);
        read(&mut state, "quiet", 5, 9);
        hold(&mut state, 1, "main", 6, 0);
        hold(&mut state, 2, "main", 8, 500);
        hold(&mut state, 2, "side", 1, 500);
        assert_eq!(
            cursors(&state),
            [("main".to_owned(), 5), ("quiet".to_owned(), 9)],
            "side's oldest held event is its first: its cursor stays"
        );
        let released = state.batcher.due_whole(1_000);
        assert_eq!(
            released.len(),
            1,
            "channel 1 only: nothing older waits in 2"
        );
        let moves = state.safe_cursors();
        assert_eq!(
            cursors(&state),
            [("main".to_owned(), 7), ("quiet".to_owned(), 9)],
            "main 6 is released, main 8 still held"
        );
        state.cursors_stored(moves);
        assert_eq!(
            state.moved,
            [part("main"), part("side")].into_iter().collect(),
            "quiet caught up with what was read"
        );
        state.batcher.due_whole(1_500);
        assert_eq!(
            cursors(&state),
            [("main".to_owned(), 10), ("side".to_owned(), 4)]
        );
        state.cursors_stored(state.safe_cursors());
        assert!(state.moved.is_empty());
        assert!(state.safe_cursors().is_empty(), "nothing moves twice");
    }

    #[test]
    fn forgetting_reads_every_partition_again_from_the_stored_cursors() {
        let mut state = state();
        read(&mut state, "main", 2, 10);
        hold(&mut state, 1, "main", 3, 0);
        state.unread.insert(part("side"), 4);
        state.forget_uncommitted();
        assert_eq!(state.batcher.pending_cards(), 0);
        assert!(state.read_upto.is_empty() && state.stored.is_empty());
        assert!(state.moved.is_empty() && state.unread.is_empty());
        assert_eq!(state.head_mark, 0, "the next look names every partition");
    }
}
