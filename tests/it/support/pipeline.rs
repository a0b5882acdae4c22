//! Shared set-up for the feed pipeline tests: subscriptions in a real store, stored catalog
//! events, and a running pipeline with fast timings.

use std::sync::Arc;
use std::time::Duration;

use erlc_bot::events::catalog::{EventPayload, PlayerInfo};
use erlc_bot::events::{Event, Pattern};
use erlc_bot::feeds::{
    BatchConfig, DeliveryRetry, FeedPipeline, PipelineConfig, PipelineError, Sink,
};
use erlc_bot::store::{FeedFilters, FeedSubscription, Store};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub const TIME: i64 = 1_700_000_000;

/// Timings short enough for tests; batching still gathers everything stored before a cycle.
pub fn fast_config() -> PipelineConfig {
    PipelineConfig {
        batch: BatchConfig { max_delay_ms: 100 },
        retry: DeliveryRetry {
            base: Duration::from_millis(10),
            max: Duration::from_millis(40),
        },
        recheck_interval: Duration::from_millis(500),
        drain_timeout: Duration::from_secs(2),
        ..PipelineConfig::default()
    }
}

pub fn subscribe(store: &Store, guild: u64, channel_id: u64, patterns: &[&str], teams: &[&str]) {
    let subscription = FeedSubscription {
        channel_id,
        patterns: patterns
            .iter()
            .map(|p| Pattern::parse(p).unwrap())
            .collect(),
        filters: FeedFilters {
            teams: teams.iter().map(|t| (*t).to_owned()).collect(),
            players: Vec::new(),
        },
        added_at_ms: Default::default(),
    };
    store
        .settings()
        .set_feed_subscription(guild, subscription)
        .unwrap();
}

pub fn player(name: &str, id: u64, team: &str) -> PlayerInfo {
    PlayerInfo {
        name: name.into(),
        id: Some(id),
        team: Some(team.into()),
        ..PlayerInfo::default()
    }
}

/// Store payloads as events of `guild`/`server`, one second apart.
pub fn store_events(
    store: &Store,
    guild: u64,
    server: &str,
    payloads: Vec<EventPayload>,
) -> Vec<Event> {
    let events = payloads
        .into_iter()
        .enumerate()
        .map(|(i, payload)| {
            payload
                .into_new_event(server, TIME + i as i64, None)
                .unwrap()
        })
        .collect();
    store.events().append(guild, events).unwrap()
}

pub fn joins(count: u64, team: &str) -> Vec<EventPayload> {
    (0..count)
        .map(|i| EventPayload::PlayerJoin {
            player: player(&format!("Player{i}"), 1_000 + i, team),
        })
        .collect()
}

/// A pipeline running in a task, with its wake-up sender and stop switch.
pub struct Running {
    pub pipeline: Arc<FeedPipeline>,
    pub wake: watch::Sender<u64>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), PipelineError>>,
}

impl Running {
    pub fn start(store: &Store, sink: Arc<dyn Sink>, config: PipelineConfig) -> Self {
        let pipeline = Arc::new(FeedPipeline::new(store.clone(), sink, config).unwrap());
        let (wake, wake_rx) = watch::channel(0);
        let (stop, stopped) = oneshot::channel::<()>();
        let runner = pipeline.clone();
        let task = tokio::spawn(async move {
            runner
                .run(wake_rx, async {
                    let _ = stopped.await;
                })
                .await
        });
        Self {
            pipeline,
            wake,
            stop: Some(stop),
            task,
        }
    }

    /// Tell the pipeline that events were stored.
    pub fn poke(&self) {
        self.wake.send_modify(|n| *n += 1);
    }

    /// Stop cleanly and wait for the pipeline to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("the pipeline stops within 20 s")
            .expect("the pipeline task does not panic");
        result.expect("the pipeline ends without error");
    }

    /// Stop without draining: abort the task as a crash would.
    pub async fn abort(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
