//! What the app is built from: one setting per part, so `erlc-bot run` fills them from the
//! operator's environment ([`AppConfig::from_config`]) and the demo and the bench from their
//! local simulator ([`super::local`]).

use std::net::SocketAddr;

use crate::config::{Config, IpcSettings, LiveSecret};
use crate::erlc::models::Include;
use crate::erlc::{ClientConfig, CommandPolicy};
use crate::feeds::{Packing, PipelineConfig};
use crate::live::hub::QUEUE_CAPACITY;
use crate::live::session::SessionLimits;
use crate::store::maintenance::MaintenanceConfig;
use crate::store::{MasterKeySource, StoreConfig};
use crate::tracker::TrackerConfig;

/// How to build each part of the app.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where the database is and how its keys are sealed.
    pub store: StoreConfig,
    /// Where the ER:LC API is (PRC, or a simulator) and how the client behaves.
    pub erlc: ClientConfig,
    /// How often servers are polled and how the request budget is shared.
    pub tracker: TrackerConfig,
    /// How feed cards are batched, queued and delivered.
    pub pipeline: PipelineConfig,
    /// How often the store's upkeep removes expired records (events past retention, dedupe
    /// keys, confirmations, old delivered outbox entries), and how many at once.
    pub upkeep: MaintenanceConfig,
    /// The HTTP server (webhooks, `/metrics`, `/healthz`); `None` runs without one.
    pub http: Option<HttpConfig>,
    /// The dashboard IPC; `None` runs without it.
    pub ipc: Option<IpcSettings>,
}

/// The HTTP server's settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where to listen (`HTTP_BIND`).
    pub bind: SocketAddr,
    /// PRC's webhook signing key (base64 SPKI) when it is not PRC's published one (tests).
    pub webhook_public_key: Option<String>,
    /// The live state stream at `/live`; `None` leaves it off.
    pub live: Option<LiveConfig>,
}

/// The live state stream's settings.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// `LIVE_JWT_SECRET`: signs and checks the tokens.
    pub secret: LiveSecret,
    /// `PUBLIC_URL`: the one browser origin allowed to connect, and the address tokens name.
    pub public_url: Option<String>,
    /// Rate limits, ping interval, AUTH deadline, presence size.
    pub limits: SessionLimits,
    /// Frames a session may have queued before it is evicted.
    pub queue_capacity: usize,
}

impl AppConfig {
    /// The bot's parts as the operator configured them.
    pub fn from_config(config: &Config) -> Self {
        let key = match &config.master_key {
            Some(text) => MasterKeySource::Env(text.clone()),
            None => MasterKeySource::Auto,
        };
        let mut store = StoreConfig::new(&config.data_dir, key);
        store.audit_retention = config.audit_retention;
        store.flush_window = config.store_flush_window;
        store.cache_mib = config.sled_cache_mib;
        let erlc = ClientConfig {
            global_key: config.erlc_global_key.clone(),
            command_policy: CommandPolicy::default()
                .with_max_len(config.command_max_len)
                .with_deny(&config.command_deny),
            ..ClientConfig::with_base_url(&config.erlc_api_base)
        };
        Self {
            store,
            erlc,
            tracker: TrackerConfig {
                interval: config.poll_interval,
                // The live state keys show the queue, vehicles and 911 calls of every server.
                extra_include: if config.live_jwt_secret.is_some() {
                    Include::none().queue().vehicles().emergency_calls()
                } else {
                    Include::none()
                },
                ..TrackerConfig::default()
            },
            pipeline: PipelineConfig {
                packing: if config.feed_digest {
                    Packing::Digest
                } else {
                    Packing::Cards
                },
                ..PipelineConfig::default()
            },
            upkeep: MaintenanceConfig::default(),
            http: Some(HttpConfig {
                bind: config.http_bind,
                webhook_public_key: config.prc_webhook_public_key.clone(),
                live: config.live_jwt_secret.clone().map(|secret| LiveConfig {
                    secret,
                    public_url: config.public_url.clone(),
                    limits: SessionLimits::default(),
                    queue_capacity: QUEUE_CAPACITY,
                }),
            }),
            ipc: config.ipc.clone(),
        }
    }
}
