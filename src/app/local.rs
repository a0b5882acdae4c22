//! What `demo` and `bench` run the app against instead of PRC and an operator's data
//! directory: the PRC API simulator on its own runtime (so its CPU time can be told apart from
//! the bot's), a store in a scratch directory removed on exit, with a key that lives only in
//! memory, and the simulated servers and their feeds stored as guilds' own, so the app polls
//! them and posts their events exactly as it does a real community's.

use std::path::{Path, PathBuf};

use tokio::task::JoinHandle;

use super::{App, AppConfig};
use crate::erlc::{ClientConfig, ServerKey};
use crate::feeds::{PipelineConfig, PipelineError};
use crate::sim::{SimConfig, SimError, SimHandle, Simulator};
use crate::store::maintenance::MaintenanceConfig;
use crate::store::{FeedSubscription, MasterKeySource, StoreConfig, StoreError};
use crate::tracker::TrackerConfig;

/// Name prefix of the simulator's threads (see [`crate::bench`]).
pub const SIM_THREAD_NAME: &str = "erlc-sim";

/// Who the stored simulated servers were "added by".
const ADDED_BY: (u64, &str) = (0, "erlc-bot (local simulator)");

/// What to run.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// The simulated world: seed, servers, activity, rate limits and quirks.
    pub sim: SimConfig,
    /// Worker threads of the simulator's runtime.
    pub sim_threads: usize,
    /// How the app's tracker polls the simulated servers.
    pub tracker: TrackerConfig,
    /// For simulated server `i`: the guild it is connected to and its label there.
    pub servers: Vec<(u64, String)>,
    /// The guilds' feeds. Each server's polls ask only for the sections its guild's feeds
    /// need, as in the bot.
    pub feeds: Vec<(u64, FeedSubscription)>,
}

/// Why the local simulator could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The simulator could not start (its port, or its webhook HTTP client).
    #[error("the simulator did not start: {0}")]
    Sim(#[from] SimError),
    /// The servers or feeds could not be written to the scratch store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The feed routes could not be reloaded after the feeds were stored.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The scratch directory or the simulator's runtime could not be created.
    #[error("could not {what}: {source}")]
    Io {
        /// What was being done, completing "could not …".
        what: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// [`LocalConfig::servers`] lists more servers than the simulator has.
    #[error("the simulator has {available} servers but {wanted} were asked for")]
    TooFewServers {
        /// Servers in [`LocalConfig::servers`].
        wanted: usize,
        /// Servers the simulator was configured with.
        available: usize,
    },
    /// The simulator's start task panicked or was cancelled, or its runtime was gone.
    #[error("the simulator's runtime failed: {0}")]
    Task(String),
}

/// A directory removed (with its contents) when dropped.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// A new, empty directory under the system's temporary directory.
    pub fn create(prefix: &str) -> Result<Self, LocalError> {
        let name = format!(
            "{prefix}-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).map_err(|source| LocalError::Io {
            what: format!("create the scratch directory {}", path.display()),
            source,
        })?;
        Ok(Self(path))
    }

    /// Where the directory is; it exists until this value is dropped.
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

/// The simulator's runtime. Dropped from async code (a failed start, a simulator dropped
/// without `stop`), a runtime must not block, so it is shut down in the background.
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

/// A running simulator with a scratch directory for the app's store. Stop it with
/// [`LocalSim::stop`] once the app has stopped.
pub struct LocalSim {
    sim: SimHandle,
    runtime: SimRuntime,
    scratch: ScratchDir,
    config: LocalConfig,
}

impl std::fmt::Debug for LocalSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSim")
            .field("sim", &self.sim)
            .field("data_dir", &self.scratch.path())
            .finish_non_exhaustive()
    }
}

impl LocalSim {
    /// Create the scratch directory and start the simulator on its own runtime.
    pub async fn start(config: LocalConfig) -> Result<Self, LocalError> {
        let scratch = ScratchDir::create("erlc-bot-local")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.sim_threads.max(1))
            .thread_name(SIM_THREAD_NAME)
            .enable_all()
            .build()
            .map_err(|source| LocalError::Io {
                what: "start the simulator's runtime".into(),
                source,
            })?;
        let runtime = SimRuntime(Some(runtime));
        let starting = runtime
            .spawn(Simulator::start(config.sim.clone()))
            .ok_or_else(|| LocalError::Task("the simulator's runtime is gone".into()))?;
        let sim = starting
            .await
            .map_err(|e| LocalError::Task(e.to_string()))??;
        let available = sim.servers().len();
        if config.servers.len() > available {
            return Err(LocalError::TooFewServers {
                wanted: config.servers.len(),
                available,
            });
        }
        Ok(Self {
            sim,
            runtime,
            scratch,
            config,
        })
    }

    /// The running simulator: its address, servers and keys, and its controls (faults, rate
    /// limits, activity).
    pub fn sim(&self) -> &SimHandle {
        &self.sim
    }

    /// The scratch directory holding the store (removed by [`LocalSim::stop`]).
    pub fn data_dir(&self) -> &Path {
        self.scratch.path()
    }

    /// The app against this simulator: its store in the scratch directory, sealed with a key
    /// that lives only in memory (the store goes when the simulator stops), and no HTTP server
    /// or IPC.
    pub fn app_config(&self) -> AppConfig {
        scratch_app_config(
            self.scratch.path(),
            &self.sim.base_url(),
            self.config.tracker.clone(),
        )
    }

    /// Store the feeds and the simulated servers in the built app's store, as `/feed add` and
    /// `/server setup` would, and route to the feeds; the app polls the servers from its start,
    /// as it polls every stored server.
    pub fn connect(&self, app: &App) -> Result<(), LocalError> {
        let servers = self
            .sim
            .servers()
            .into_iter()
            .zip(&self.config.servers)
            .map(|(info, (guild, label))| (*guild, label.clone(), ServerKey::new(info.key)));
        connect_servers(app, &self.config.feeds, servers)
    }

    /// Stop the simulator and remove the scratch directory.
    pub async fn stop(self) {
        if let Some(stopping) = self.runtime.spawn(self.sim.shutdown()) {
            let _ = stopping.await;
        }
        drop(self.runtime);
        drop(self.scratch);
    }
}

/// The app against the PRC-compatible API at `base_url` (a simulator here or in another
/// process), its store under `scratch`, sealed with a key that lives only in memory (the store
/// goes with the directory), and no HTTP server.
pub fn scratch_app_config(scratch: &Path, base_url: &str, tracker: TrackerConfig) -> AppConfig {
    let master_key = MasterKeySource::Env(hex::encode(rand::random::<[u8; 32]>()));
    AppConfig {
        store: StoreConfig::new(scratch.join("data"), master_key),
        erlc: ClientConfig::with_base_url(base_url),
        tracker,
        pipeline: PipelineConfig::default(),
        upkeep: MaintenanceConfig::default(),
        http: None,
        ipc: None,
    }
}

/// Store `feeds` and `servers` (guild, label, key) in the built app's store, as `/feed add`
/// and `/server setup` would, and route to the feeds; the app polls the servers from its
/// start, as it polls every stored server.
pub fn connect_servers(
    app: &App,
    feeds: &[(u64, FeedSubscription)],
    servers: impl IntoIterator<Item = (u64, String, ServerKey)>,
) -> Result<(), LocalError> {
    let settings = app.services().store().settings();
    for (guild, subscription) in feeds {
        settings.set_feed_subscription(*guild, subscription.clone())?;
    }
    app.pipeline().reload_routes()?;
    for (guild, label, key) in servers {
        settings.add_server(guild, &label, &key, ADDED_BY.0, ADDED_BY.1)?;
    }
    Ok(())
}
