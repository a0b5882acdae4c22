//! The PRC API simulator: a faithful local stand-in for the ER:LC game server's API (v1, v2,
//! auth, rate limits, commands, faults, activity, webhooks) used by every test and the demo.
//! It writes its own JSON and never uses the client's model types.
//!
//! Log arrays are kept oldest first (configurable with [`Quirks::log_order`]) and hold at most
//! [`Quirks::log_retention`] entries each ("PRC's window").

pub mod activity;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
mod control;
pub mod encode;
pub mod faults;
mod http;
mod listener;
pub mod ratelimit;
mod server;
mod state;
pub mod webhook;
pub mod world;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    ActivityConfig, BucketLimit, CommandRules, EmptyMapStyle, LogOrder, MissingField, Quirks,
    RepeatOffender, SimConfig,
};
pub use faults::{FaultKind, FaultPlan, FaultRule, FaultTrigger};
pub use server::{SimServer, SimServerInfo};
pub use state::RecordedRequest;
pub use webhook::WebhookSendOptions;
pub use world::{
    AppliedCommand, Location, MessageKind, PlayerSpec, SentMessage, VehicleSpec, WorldError,
};

use auth::{KeyRing, random_alnum};
use listener::{ConnInfo, KillableListener};
use state::{Limits, Shared, lock};
use world::{ServerInfo, World};

/// What can go wrong running the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be opened.
    #[error("could not listen on {addr}: {source}; choose another port (0 picks a free one)")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why the operating system refused.
        source: std::io::Error,
    },
    /// The HTTP client that delivers webhooks could not be built; holds the reason.
    #[error("could not set up the webhook HTTP client: {0}")]
    HttpClient(String),
    /// A server index past the end of the simulator's list.
    #[error(
        "there is no simulated server {index}; this simulator has {count} (indexes start at 0)"
    )]
    NoSuchServer {
        /// The index asked for.
        index: usize,
        /// How many servers the simulator runs.
        count: usize,
    },
    /// A scripted change did not fit the server's state (unknown player, call, vehicle, …).
    #[error(transparent)]
    World(#[from] WorldError),
    /// A webhook POST got no HTTP answer.
    #[error("could not reach the webhook endpoint {url}: {detail}")]
    Webhook {
        /// The endpoint tried.
        url: String,
        /// What the HTTP client reported.
        detail: String,
    },
    /// The endpoint refused the `WebhookProbe`, so the game would not save its URL.
    #[error(
        "the webhook endpoint {url} answered {status} to the probe; it must answer 2xx to a validly signed request"
    )]
    WebhookRejected {
        /// The endpoint probed.
        url: String,
        /// The HTTP status it answered.
        status: u16,
    },
}

const SERVER_NAMES: &[&str] = &[
    "Riverside County RP",
    "Liberty Valley Roleplay",
    "Harbor City Patrol",
    "Pine Ridge Sheriff's Office",
    "Metro Response Unit",
];

/// Starts simulators.
pub struct Simulator;

struct Tasks {
    stop: oneshot::Sender<()>,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

/// Handle to a running simulator. Cheap to clone; `shutdown` stops it for every clone.
#[derive(Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Arc<Mutex<Option<Tasks>>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

fn build_world(index: usize, seed: u64, rng: &mut StdRng, config: &SimConfig, now: i64) -> World {
    use rand::Rng;
    let server_id = random_alnum(rng, 6);
    let base_name = SERVER_NAMES[index % SERVER_NAMES.len()];
    let name = if index < SERVER_NAMES.len() {
        base_name.to_owned()
    } else {
        format!("{base_name} {}", index / SERVER_NAMES.len() + 1)
    };
    let world_seed = seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut world_rng = StdRng::seed_from_u64(world_seed);
    let owner_id = world_rng.gen_range(world::MIN_GENERATED_ID..9_999_999_999);
    let co_owner_id = world_rng.gen_range(world::MIN_GENERATED_ID..9_999_999_999);
    let info = ServerInfo {
        name,
        owner_id,
        co_owner_ids: vec![co_owner_id],
        max_players: 40,
        join_key: random_alnum(rng, 5),
        acc_verified_req: ["Disabled", "Email", "Phone/ID"][index % 3].to_owned(),
        team_balance: index % 2 == 0,
    };
    let mut world = World::new(server_id, info, config.quirks.log_retention, world_rng);
    let owner_name = activity::roblox_name(&mut world.rng);
    let co_owner_name = activity::roblox_name(&mut world.rng);
    world.known_users.insert(owner_id, owner_name);
    world.known_users.insert(co_owner_id, co_owner_name);
    for _ in 0..config.initial_players {
        activity::populate(&mut world, now);
    }
    world
}

impl Simulator {
    /// Builds the worlds under the seed, binds, and serves until [`SimHandle::shutdown`].
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let now = config.clock.now_secs();
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut keys = KeyRing::new(&config.global_keys);
        let mut worlds = Vec::with_capacity(config.servers);
        for index in 0..config.servers {
            let world = build_world(index, config.seed, &mut rng, &config, now);
            let secret = random_alnum(&mut rng, 15);
            keys.add_server(world.server_id.clone(), secret, &config.trusted_ips);
            worlds.push(world);
        }
        let (webhooks, deliveries) = webhook::Webhooks::new(config.seed, config.clock.clone())
            .map_err(|e| SimError::HttpClient(e.to_string()))?;
        let shared = Arc::new(Shared::new(&config, worlds, keys, rng, webhooks));

        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.bind,
            source,
        })?;
        let app = http::router(shared.clone()).into_make_service_with_connect_info::<ConnInfo>();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serving =
                axum::serve(KillableListener(listener), app).with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
            if let Err(e) = serving.await {
                tracing::warn!(error = %e, "simulator HTTP server stopped with an error");
            }
        });
        let mut background = vec![webhook::spawn_worker(&shared.webhooks, deliveries)];
        if let Some(activity) = config.activity.clone() {
            background.push(activity::spawn(shared.clone(), activity));
        }
        Ok(SimHandle {
            shared,
            addr,
            tasks: Arc::new(Mutex::new(Some(Tasks {
                stop,
                server,
                background,
            }))),
        })
    }
}

impl SimHandle {
    /// `http://<addr>`: what the client uses as its API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the simulator listens on (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Facts about every simulated server (current keys included), by index.
    pub fn servers(&self) -> Vec<SimServerInfo> {
        (0..self.shared.worlds.len())
            .filter_map(|i| self.server(i).ok())
            .map(|s| s.info())
            .collect()
    }

    /// A handle to script server `index` (0-based).
    pub fn server(&self, index: usize) -> Result<SimServer, SimError> {
        SimServer::new(self.shared.clone(), index)
    }

    /// Every PRC request answered so far (control routes excluded), in the order they were
    /// answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many PRC requests have arrived so far, answered or not (never reset). A request
    /// whose [`RecordedRequest::arrival`] is at least a count read earlier came in after
    /// that read; one that arrived but is not yet in [`SimHandle::requests`] is in flight.
    pub fn arrivals(&self) -> u64 {
        self.shared.arrivals.load(Ordering::SeqCst)
    }

    /// Forget the recorded requests, so a test sees only what follows.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Replace the fault rules; they apply to the next requests.
    pub fn set_faults(&self, faults: FaultPlan) {
        lock(&self.shared.faults).set(faults);
    }

    /// Remove every fault rule: requests are served normally again.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Change the GET and command bucket limits from now on.
    pub fn set_rate_limits(&self, read: BucketLimit, command: BucketLimit) {
        *lock(&self.shared.limits) = Limits { read, command };
    }

    /// Runs one activity tick on every server now (uses the configured activity settings, or
    /// the defaults when the background generator is off).
    pub fn tick_activity(&self) {
        let config = self.shared.activity.clone().unwrap_or_default();
        activity::tick_all(&self.shared, &config);
    }

    /// The webhook signing key, as base64 SPKI DER (PRC's published format).
    pub fn webhook_public_key_spki_base64(&self) -> String {
        self.shared.webhooks.public_key_spki_base64()
    }

    /// Signs and sends `body` to `url` with deliberate defects; returns each HTTP status.
    pub async fn send_webhook_raw(
        &self,
        url: &str,
        body: &[u8],
        options: WebhookSendOptions,
    ) -> Result<Vec<u16>, SimError> {
        self.shared
            .webhooks
            .send_raw(url, body, &options)
            .await
            .map_err(|e| SimError::Webhook {
                url: url.to_owned(),
                detail: e.to_string(),
            })
    }

    /// Stops serving (in-flight requests finish), the activity generator and webhook delivery.
    pub async fn shutdown(self) {
        let tasks = lock(&self.tasks).take();
        let Some(tasks) = tasks else {
            return;
        };
        let _ = tasks.stop.send(());
        let mut server = tasks.server;
        if tokio::time::timeout(Duration::from_secs(5), &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
        for task in tasks.background {
            task.abort();
        }
    }
}
