//! The composition root. [`App::build`] opens the store, builds the ER:LC client, the
//! services, the tracker (polling every stored server), the feed pipeline, the consumer of
//! in-game staff commands, the HTTP server and,
//! for `erlc-bot run`, the Discord front end; [`App::run_until_stopped`] starts them and stops
//! them in order (the protocol is in `src/app/shutdown.rs`). `run`, `demo` and `bench` all run
//! this one wiring: the demo and the bench put a console or a counter where Discord would be,
//! and a [`local`] simulator where PRC would be.

mod config;
pub mod local;
mod shutdown;
pub mod telemetry;
mod temp_bans;
mod wake;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::actions::{MemberLookup, NoDiscordMembers, Services, ServicesOptions, tracking};
use crate::config::{Config, ConfigErrors, DiscordToken};
use crate::custom_commands::shift_log::{AutomaticShifts, ShiftCommandHandler};
use crate::custom_commands::staff_log::{ConsumerConfig, StaffCommandConsumer};
use crate::custom_commands::{CommandRouter, RouterConfig};
use crate::discord::Data;
use crate::discord::framework::Registration;
use crate::discord::gateway::{Gateway, GatewayError};
use crate::erlc::{ErlcClient, ErlcError, WebhookKeyError};
use crate::feeds::{FeedPipeline, PipelineError, Sink};
use crate::http::ipc::{Ipc, IpcBindError};
use crate::http::{self, ClientMetrics, FeedMetrics, HttpState, LiveEndpoint, StoreMetrics};
use crate::live::hub::Hub;
use crate::live::session::SessionShared;
use crate::live::token::TokenKeys;
use crate::store::maintenance::{self, MaintenanceConfig};
use crate::store::{Store, StoreError};
use crate::tracker::Tracker;

pub use config::{AppConfig, HttpConfig, LiveConfig};
pub use shutdown::{Signal, Signals};

/// Who people reach the bot through, and so where feed posts go.
pub enum FrontEnd {
    /// Discord (`erlc-bot run`): slash commands, buttons, and feed posts in channels. The
    /// Discord sink needs serenity's client, so the app makes it once the client is built.
    Discord {
        /// The bot's token, checked against Discord while the app is built.
        token: DiscordToken,
        /// What the commands read (public URL, limits), also the Discord API base and the
        /// guild to register commands in.
        config: Arc<Config>,
    },
    /// Nobody: feed posts go to this sink (the demo's console, the bench's counter).
    Headless(Arc<dyn Sink>),
}

impl std::fmt::Debug for FrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Discord { .. } => f.write_str("Discord"),
            Self::Headless(_) => f.write_str("Headless"),
        }
    }
}

/// Why the app could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// `erlc-bot run` without a bot token: there is nothing to log in with.
    #[error(
        "DISCORD_TOKEN is not set: put the bot token from the Discord Developer Portal \
         (your application → Bot → Reset Token) in the environment or in .env"
    )]
    NoToken,
    /// The environment has settings that are missing or wrong, all of them listed at once.
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    /// The database could not be opened (a locked or damaged data directory, a wrong master
    /// key), or not flushed at shutdown.
    #[error("could not open the database: {0}")]
    Store(#[from] StoreError),
    /// The ER:LC client could not be built (a bad API base URL, the HTTP stack failed).
    #[error("could not set up the ER:LC API client: {0}")]
    Erlc(#[from] ErlcError),
    /// Discord refused the token, could not be reached, or closed the connection.
    #[error(transparent)]
    Discord(#[from] GatewayError),
    /// The feed pipeline could not load the stored feed subscriptions.
    #[error("could not start the feed pipeline: {0}")]
    Pipeline(PipelineError),
    /// The HTTP port could not be bound (in use, no permission), or the server failed.
    #[error("could not start the HTTP server: {0}")]
    Http(#[from] crate::http::HttpError),
    /// The dashboard IPC's port could not be bound (in use, no permission).
    #[error("could not start the dashboard IPC: {0}")]
    Ipc(#[from] IpcBindError),
    /// `PRC_WEBHOOK_PUBLIC_KEY` does not decode to an Ed25519 public key.
    #[error(
        "PRC_WEBHOOK_PUBLIC_KEY is not a usable Ed25519 public key ({0}); leave it empty to \
         use PRC's published key"
    )]
    WebhookKey(WebhookKeyError),
}

/// `erlc-bot run`: read the environment, then [`run`].
pub async fn run_from_env() -> Result<(), AppError> {
    run(Config::from_env()?).await
}

/// Run the Discord bot until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), AppError> {
    let token = config.discord_token.clone().ok_or(AppError::NoToken)?;
    let app_config = AppConfig::from_config(&config);
    if app_config.ipc.is_none() {
        tracing::info!("dashboard IPC off: IPC_SECRET is not set");
    }
    let front_end = FrontEnd::Discord {
        token,
        config: Arc::new(config),
    };
    let app = App::build(app_config, front_end).await?;
    let signals = Signals::listen();
    app.run_until_stopped(async {
        let signal = signals.recv().await;
        tracing::info!("{signal}: shutting down");
    })
    .await
}

/// The bot, built and not yet started.
#[derive(Debug)]
pub struct App {
    store: Store,
    erlc: ErlcClient,
    services: Services,
    tracker: Tracker,
    pipeline: Arc<FeedPipeline>,
    /// Acts on staff commands (`:log verify …`) the tracker stored from the command logs.
    staff_commands: Arc<StaffCommandConsumer>,
    upkeep: MaintenanceConfig,
    /// Bumped by the HTTP server when a webhook stored events (the tracker has its own).
    webhooks_stored: watch::Receiver<u64>,
    http: Option<(HttpState, TcpListener)>,
    /// The live state hub, when the HTTP server serves `/live`.
    live: Option<Hub>,
    ipc: Option<Ipc>,
    discord: Option<(Gateway, Data)>,
}

impl App {
    /// Build every part, in this order: the database, the ER:LC client, the webhook key and
    /// the HTTP port, Discord (token check, then the client), the services and the tracker,
    /// the feed pipeline, the HTTP routes, then the dashboard IPC's port. The first that fails is reported with what to
    /// fix; nothing runs until [`App::run_until_stopped`].
    pub async fn build(config: AppConfig, front_end: FrontEnd) -> Result<Self, AppError> {
        let store = Store::open(config.store)?;
        let erlc = ErlcClient::new(config.erlc)?;
        let http = match &config.http {
            Some(http) => {
                let verifier = http::webhook_verifier(http.webhook_public_key.as_deref())
                    .map_err(AppError::WebhookKey)?;
                Some((verifier, http::bind(http.bind).await?, http.live.clone()))
            }
            None => None,
        };
        let (sink, discord) = match front_end {
            FrontEnd::Discord { token, config } => {
                let registration = Registration::from_dev_guild(config.dev_guild_id);
                let api_base = config.discord_api_base.as_deref();
                let gateway = Gateway::build(&token, api_base, registration).await?;
                (gateway.sink(), Some((gateway, config)))
            }
            FrontEnd::Headless(sink) => (sink, None),
        };

        let services = Services::new(store.clone(), erlc.clone(), ServicesOptions::default());
        if let Some((gateway, _)) = &discord {
            services.set_member_roles(gateway.member_roles());
        }
        let poll_interval = config.tracker.interval;
        let tracker = Tracker::new(store.clone(), config.tracker);
        let pipeline = FeedPipeline::new(store.clone(), sink.clone(), config.pipeline)
            .map_err(AppError::Pipeline)?;
        let pipeline = Arc::new(pipeline);
        let staff_commands = Arc::new(
            StaffCommandConsumer::new(
                store.clone(),
                Arc::new(services.directory().clone()),
                ConsumerConfig::default(),
            )
            .with_handlers(
                vec![Box::new(ShiftCommandHandler::new(services.clone()))],
                vec![Box::new(AutomaticShifts::new(services.clone()))],
            ),
        );

        let (webhook_wake, webhooks_stored) = watch::channel(0);
        let mut live = None;
        let http = http.map(|(verifier, listener, live_config)| {
            let directory = Arc::new(services.directory().clone());
            let router = RouterConfig::new(store.clone(), directory.clone(), sink);
            let state = HttpState::new(store.clone(), verifier, webhook_wake)
                .with_commands(Arc::new(CommandRouter::new(router)))
                .with_handles(directory)
                .with_metrics(Arc::new(ClientMetrics(erlc.clone())))
                .with_metrics(Arc::new(StoreMetrics(store.clone())))
                .with_metrics(Arc::new(FeedMetrics(pipeline.stats())))
                .with_tracker(tracker.clone(), poll_interval);
            let state = match live_config {
                Some(live_config) => {
                    let endpoint = live_endpoint(&services, &store, live_config);
                    live = Some(endpoint.shared.hub.clone());
                    tracing::info!("live state on at {}", crate::live::dashboard::LIVE_PATH);
                    state.with_live(endpoint)
                }
                None => {
                    tracing::info!("live state off: LIVE_JWT_SECRET is not set");
                    state
                }
            };
            (state, listener)
        });
        let ipc = match config.ipc {
            Some(settings) => {
                let members: Arc<dyn MemberLookup> = match &discord {
                    Some((gateway, _)) => gateway.members(),
                    None => Arc::new(NoDiscordMembers),
                };
                let (services, tracker) = (services.clone(), tracker.clone());
                Some(Ipc::bind(settings, services, tracker, members).await?)
            }
            None => None,
        };
        let discord = discord.map(|(gateway, config)| {
            let data = Data {
                services: services.clone(),
                config,
                tracker: tracker.clone(),
                pipeline: pipeline.clone(),
            };
            (gateway, data)
        });
        Ok(Self {
            store,
            erlc,
            services,
            tracker,
            pipeline,
            staff_commands,
            upkeep: config.upkeep,
            webhooks_stored,
            http,
            live,
            ipc,
            discord,
        })
    }

    /// The ER:LC API client (its counters: requests, 429s).
    pub fn erlc(&self) -> &ErlcClient {
        &self.erlc
    }

    /// The commands' services (the store, the server directory).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The tracker (its counters, plan and per-server health).
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The feed pipeline (its counters; reload its routes after feeds change).
    pub fn pipeline(&self) -> &Arc<FeedPipeline> {
        &self.pipeline
    }

    /// Track every stored server, start polling, the feed pipeline, store upkeep, the HTTP
    /// server, the dashboard IPC and the Discord gateway; run until `shutdown` completes or Discord closes the
    /// connection; then stop in order (front end, intake, delivery, as `src/app/shutdown.rs`
    /// lays out) and flush the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), AppError> {
        // Before anything stores events, or the consumer would take them for history.
        let staff_commands = match self.staff_commands.start() {
            Ok(()) => Some(self.staff_commands.clone()),
            Err(e) => {
                tracing::error!(error = %e, "in-game staff commands are off: the consumer could not read its cursors");
                None
            }
        };
        // Opening a server may start a sandbox simulator: that is starting, not building.
        let tracked = tracking::track_all(&self.tracker, &self.services).await;
        tracing::info!(servers = tracked, "tracking stored servers");
        let mut tasks = shutdown::Tasks::new();
        if let Some((state, listener)) = self.http {
            // Batches a crash left unfinished: listed now, before new ones arrive, then
            // processed beside them.
            tokio::spawn(http::replay_inbox(&state));
            tasks.intake("HTTP server", |stop| async move {
                if let Err(e) = http::serve(state, listener, stop.wait()).await {
                    tracing::warn!("the HTTP server stopped with an error: {e}");
                }
            });
        }
        if let Some(hub) = self.live {
            let tracker = self.tracker.clone();
            // Stopped with the HTTP server: ending every session lets it finish.
            tasks.intake("live state", |stop| async move {
                hub.run(tracker, stop.wait()).await;
            });
        }
        let services = self.services.clone();
        tasks.intake("temp bans", |stop| temp_bans::run(services, stop.wait()));
        if let Some(ipc) = self.ipc {
            tasks.intake("dashboard IPC", |stop| ipc.serve(stop.wait()));
        }
        let wake = wake::merge(self.tracker.subscribe_new_events(), self.webhooks_stored);
        let tracker = self.tracker.clone();
        tasks.intake("tracker", |stop| async move {
            tracker.run(stop.wait()).await;
        });
        if let Some(staff_commands) = staff_commands {
            let staff_wake = wake.clone();
            tasks.delivery("staff commands", |stop| async move {
                staff_commands.run(staff_wake, stop.wait()).await;
            });
        }
        let pipeline = self.pipeline.clone();
        tasks.delivery("feed pipeline", |stop| async move {
            if let Err(e) = pipeline.run(wake, stop.wait()).await {
                tracing::error!("the feed pipeline stopped: {e}");
            }
        });
        let (store, upkeep) = (self.store.clone(), self.upkeep);
        tasks.delivery("store upkeep", |stop| {
            maintenance::run(store, upkeep, stop.wait())
        });

        let served = match self.discord {
            Some((gateway, data)) => gateway.run(data, shutdown).await,
            None => {
                shutdown.await;
                Ok(())
            }
        };
        tasks.stop().await;
        if let Err(e) = self.services.shutdown().await {
            tracing::warn!("shutting the services down: {e}");
        }
        self.store.flush_on_shutdown()?;
        served?;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// The `/live` endpoint: a hub over the services, the token keys, the limits, and the one
/// browser origin allowed (`PUBLIC_URL`'s).
fn live_endpoint(services: &Services, store: &Store, config: LiveConfig) -> LiveEndpoint {
    let hub = Hub::new(services.clone(), config.queue_capacity);
    let shared = SessionShared {
        hub,
        keys: Arc::new(TokenKeys::new(config.secret.expose())),
        limits: config.limits,
        clock: store.clock().clone(),
        server_name: "erlc-bot".to_owned(),
    };
    LiveEndpoint {
        shared,
        origin: config.public_url.as_deref().and_then(http::origin_of),
    }
}
