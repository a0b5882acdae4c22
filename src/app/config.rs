//! What the app is built from: one setting per part, so `erlc-bot run` fills them from the
//! operator's environment ([`AppConfig::from_config`]) and the demo and the bench from their
//! local simulator ([`super::local`]).

use std::net::SocketAddr;

use crate::config::Config;
use crate::erlc::{ClientConfig, CommandPolicy};
use crate::feeds::PipelineConfig;
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
}

/// The HTTP server's settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where to listen (`HTTP_BIND`).
    pub bind: SocketAddr,
    /// PRC's webhook signing key (base64 SPKI) when it is not PRC's published one (tests).
    pub webhook_public_key: Option<String>,
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
                ..TrackerConfig::default()
            },
            pipeline: PipelineConfig::default(),
            upkeep: MaintenanceConfig::default(),
            http: Some(HttpConfig {
                bind: config.http_bind,
                webhook_public_key: config.prc_webhook_public_key.clone(),
            }),
        }
    }
}
