//! An erlc-bot without Discord, in one process: the PRC API simulator (on its own runtime, so
//! its CPU time can be told apart), a store in a scratch directory, the tracker and the feed
//! pipeline, started and stopped in the right order. `erlc-bot demo` and `erlc-bot bench`
//! run on it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::erlc::{ClientConfig, ErlcClient, ErlcError, ServerKey};
use crate::feeds::{FeedPipeline, PipelineConfig, PipelineError, Sink};
use crate::sim::{SimConfig, SimError, SimHandle, Simulator};
use crate::store::{FeedSubscription, MasterKeySource, Store, StoreConfig, StoreError};
use crate::tracker::{TrackedServer, Tracker, TrackerConfig, TrackerError, sections_for};

/// Name prefix of the simulator's threads (see [`crate::bench`]).
pub const SIM_THREAD_NAME: &str = "erlc-sim";

/// What to run.
#[derive(Debug, Clone)]
pub struct StackConfig {
    pub sim: SimConfig,
    /// Worker threads of the simulator's runtime.
    pub sim_threads: usize,
    pub tracker: TrackerConfig,
    pub pipeline: PipelineConfig,
    /// For simulated server `i`: the guild that tracks it and its label there.
    pub servers: Vec<(u64, String)>,
    /// Feeds to set up before anything runs. Each server's polls ask only for the sections
    /// its guild's feeds need, as in the bot.
    pub feeds: Vec<(u64, FeedSubscription)>,
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("the simulator did not start: {0}")]
    Sim(#[from] SimError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the PRC API client could not be built: {0}")]
    Client(#[from] ErlcError),
    #[error(transparent)]
    Tracker(#[from] TrackerError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("could not {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the simulator has {available} servers but {wanted} were asked for")]
    TooFewServers { wanted: usize, available: usize },
    #[error("a background task of the stack failed: {0}")]
    Task(String),
}

/// A directory removed (with its contents) when dropped.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// A new, empty directory under the system's temporary directory.
    pub fn create(prefix: &str) -> Result<Self, StackError> {
        let name = format!(
            "{prefix}-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).map_err(|source| StackError::Io {
            what: format!("create the scratch directory {}", path.display()),
            source,
        })?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(path = %self.0.display(), %error, "could not remove the scratch directory");
        }
    }
}

/// The simulator's runtime. Dropped from async code (a failed start, a stack dropped without
/// `stop`), a runtime must not block, so it is shut down in the background.
struct SimRuntime(Option<tokio::runtime::Runtime>);

impl SimRuntime {
    fn spawn<F>(&self, future: F) -> Option<JoinHandle<F::Output>>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.as_ref().map(|runtime| runtime.spawn(future))
    }
}

impl Drop for SimRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A running stack. Stop it with [`LocalStack::stop`].
pub struct LocalStack {
    pub sim: SimHandle,
    pub store: Store,
    pub client: ErlcClient,
    pub tracker: Tracker,
    pub pipeline: Arc<FeedPipeline>,
    sim_runtime: SimRuntime,
    tracker_stop: watch::Sender<bool>,
    tracker_task: JoinHandle<()>,
    pipeline_stop: oneshot::Sender<()>,
    pipeline_task: JoinHandle<Result<(), PipelineError>>,
    scratch: ScratchDir,
}

impl std::fmt::Debug for LocalStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStack")
            .field("sim", &self.sim)
            .field("data_dir", &self.scratch.path())
            .finish_non_exhaustive()
    }
}

impl LocalStack {
    /// Start the simulator, open a store in a new scratch directory, set up the feeds, and
    /// start the tracker and the pipeline delivering to `sink`.
    pub async fn start(config: StackConfig, sink: Arc<dyn Sink>) -> Result<Self, StackError> {
        let scratch = ScratchDir::create("erlc-bot-local")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.sim_threads.max(1))
            .thread_name(SIM_THREAD_NAME)
            .enable_all()
            .build()
            .map_err(|source| StackError::Io {
                what: "start the simulator's runtime".into(),
                source,
            })?;
        let sim_runtime = SimRuntime(Some(runtime));
        let starting = sim_runtime
            .spawn(Simulator::start(config.sim.clone()))
            .ok_or_else(|| StackError::Task("the simulator's runtime is gone".into()))?;
        let sim = starting
            .await
            .map_err(|e| StackError::Task(e.to_string()))??;
        let available = sim.servers().len();
        if config.servers.len() > available {
            return Err(StackError::TooFewServers {
                wanted: config.servers.len(),
                available,
            });
        }
        // A key that lives only in memory: the scratch store goes when the stack stops.
        let master_key = MasterKeySource::Env(hex::encode(rand::random::<[u8; 32]>()));
        let store = Store::open(StoreConfig::new(scratch.path().join("data"), master_key))?;
        for (guild, subscription) in &config.feeds {
            store
                .settings()
                .set_feed_subscription(*guild, subscription.clone())?;
        }
        let client = ErlcClient::new(ClientConfig::with_base_url(sim.base_url()))?;
        let tracker = Tracker::new(store.clone(), config.tracker.clone());
        for (info, (guild, label)) in sim.servers().into_iter().zip(&config.servers) {
            let patterns = config
                .feeds
                .iter()
                .filter(|(feed_guild, _)| feed_guild == guild)
                .flat_map(|(_, subscription)| subscription.patterns.iter());
            let sections = sections_for(label, patterns);
            tracker.add_server(TrackedServer {
                guild: *guild,
                label: label.clone(),
                handle: client.server(ServerKey::new(info.key)),
                include: sections.include,
                want_bans: sections.bans,
            })?;
        }
        let pipeline = Arc::new(FeedPipeline::new(
            store.clone(),
            sink,
            config.pipeline.clone(),
        )?);

        let (tracker_stop, mut stopped) = watch::channel(false);
        let runner = tracker.clone();
        let tracker_task = tokio::spawn(async move {
            runner
                .run(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await;
        });
        let (pipeline_stop, stop_pipeline) = oneshot::channel::<()>();
        let wake = tracker.subscribe_new_events();
        let runner = pipeline.clone();
        let pipeline_task = tokio::spawn(async move {
            runner
                .run(wake, async move {
                    let _ = stop_pipeline.await;
                })
                .await
        });
        Ok(Self {
            sim,
            store,
            client,
            tracker,
            pipeline,
            sim_runtime,
            tracker_stop,
            tracker_task,
            pipeline_stop,
            pipeline_task,
            scratch,
        })
    }

    /// The scratch directory holding the store (removed by [`LocalStack::stop`]).
    pub fn data_dir(&self) -> &Path {
        self.scratch.path()
    }

    /// Stop polling, let the pipeline queue and deliver what it holds, stop the simulator,
    /// flush and close the store, and remove the scratch directory.
    pub async fn stop(self) -> Result<(), StackError> {
        let _ = self.tracker_stop.send(true);
        let tracked = self.tracker_task.await;
        let _ = self.pipeline_stop.send(());
        let piped = self.pipeline_task.await;
        let sim = self.sim;
        if let Some(stopping) = self.sim_runtime.spawn(sim.shutdown()) {
            let _ = stopping.await;
        }
        drop(self.sim_runtime);
        let flushed = self.store.flush_on_shutdown();
        drop(self.pipeline);
        drop(self.tracker);
        drop(self.store);
        drop(self.scratch);
        tracked.map_err(|e| StackError::Task(format!("tracker: {e}")))?;
        piped.map_err(|e| StackError::Task(format!("pipeline: {e}")))??;
        flushed?;
        Ok(())
    }
}
