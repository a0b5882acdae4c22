//! `erlc-bot run`: connect to Discord and serve. Start order: config → database → ER:LC client
//! → token check → HTTP server (webhooks, metrics) → framework and gateway, tracker, feed
//! pipeline and store upkeep; stop order on SIGINT/SIGTERM: close the gateway, stop polling
//! and the HTTP server, deliver what is queued, then flush the database. Every failure to
//! start exits non-zero with what to fix.

use std::sync::{Arc, OnceLock};

use poise::serenity_prelude as serenity;

use tokio::sync::watch;

use super::framework::{self, Registration};
use super::sink::DiscordSink;
use super::{Data, tracking};
use crate::actions::{Services, ServicesOptions};
use crate::config::{Config, DiscordToken};
use crate::custom_commands::{CommandRouter, RouterConfig};
use crate::erlc::{ClientConfig, CommandPolicy, ErlcClient, ErlcError};
use crate::feeds::pipeline::{FeedPipeline, PipelineConfig, PipelineStats};
use crate::http::{self, ClientMetrics, HttpState, MetricsWriter, StoreMetrics};
use crate::store::maintenance::{self, MaintenanceConfig};
use crate::store::{MasterKeySource, Store, StoreConfig, StoreError};
use crate::tracker::{Tracker, TrackerConfig};

/// Gateway intents: GUILDS only. Slash commands, buttons and modals arrive without any
/// intent; GUILDS keeps serenity's cache of guilds, channels and roles for channel names and
/// role lookups. No privileged intent (members, presences, message content) is needed.
pub const INTENTS: serenity::GatewayIntents = serenity::GatewayIntents::GUILDS;

/// Why the bot could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "DISCORD_TOKEN is not set: put the bot token from the Discord Developer Portal \
         (your application → Bot → Reset Token) in the environment or in .env"
    )]
    NoToken,
    #[error("{0}")]
    Config(#[from] crate::config::ConfigErrors),
    #[error("could not open the database: {0}")]
    Store(#[from] StoreError),
    #[error("could not set up the ER:LC API client: {0}")]
    Erlc(#[from] ErlcError),
    #[error(
        "Discord rejected the bot token (401 Unauthorized): copy it again from the Discord \
         Developer Portal (your application → Bot → Reset Token) into DISCORD_TOKEN"
    )]
    BadToken,
    #[error("could not reach Discord to check the bot token: {0}")]
    Unreachable(serenity::Error),
    #[error("could not start the feed pipeline: {0}")]
    Pipeline(crate::feeds::pipeline::PipelineError),
    #[error("could not start the HTTP server: {0}")]
    Http(#[from] crate::http::HttpError),
    #[error(
        "PRC_WEBHOOK_PUBLIC_KEY is not a usable Ed25519 public key ({0}); leave it empty to \
         use PRC's published key"
    )]
    WebhookKey(crate::erlc::WebhookKeyError),
    #[error(
        "Discord closed the gateway connection: {0}. If it says authentication failed, the \
         token in DISCORD_TOKEN is wrong; if it mentions intents, enable them in the Developer \
         Portal"
    )]
    Gateway(serenity::Error),
}

/// Read the environment, then [`run`].
pub async fn run_from_env() -> Result<(), RunError> {
    run(Config::from_env()?).await
}

/// Run the bot until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), RunError> {
    let token = config.discord_token.clone().ok_or(RunError::NoToken)?;
    let store = open_store(&config)?;
    let erlc = ErlcClient::new(erlc_client_config(&config))?;
    let verifier = http::verifier_from_config(&config).map_err(RunError::WebhookKey)?;
    let listener = http::bind(config.http_bind).await?;
    let http = discord_http(&token, config.discord_api_base.as_deref());
    check_token(&http).await?;

    let registration = Registration::from_dev_guild(config.dev_guild_id);
    let poll_interval = config.poll_interval;
    let services = Services::new(store.clone(), erlc.clone(), ServicesOptions::default());
    let tracker = Tracker::new(store.clone(), tracker_config(&config));
    let tracked = tracking::track_all(&tracker, &services).await;
    tracing::info!(servers = tracked, "tracking stored servers");
    let pipeline_slot = Arc::new(OnceLock::new());
    let data = Data {
        services: services.clone(),
        config: Arc::new(config),
        tracker: tracker.clone(),
        pipeline: pipeline_slot.clone(),
    };
    let framework = framework::build(data, registration);
    let mut client = serenity::ClientBuilder::new_with_http(http, INTENTS)
        .framework(framework)
        .await
        .map_err(RunError::Unreachable)?;

    let shard_manager = client.shard_manager.clone();
    let signals = tokio::spawn(async move {
        let signal = wait_for_shutdown_signal().await;
        tracing::info!("{signal}: shutting down");
        shard_manager.shutdown_all().await;
    });

    let sink = Arc::new(DiscordSink::new(client.http.clone(), client.cache.clone()));
    let pipeline = Arc::new(
        FeedPipeline::new(store.clone(), sink.clone(), PipelineConfig::default())
            .map_err(RunError::Pipeline)?,
    );
    let _ = pipeline_slot.set(pipeline.clone());

    let (stop_tx, stop_rx) = watch::channel(false);
    // The pipeline wakes when the tracker or a webhook stored events.
    let (webhook_wake, webhook_stored) = watch::channel(0);
    let wake = merge_wakes(tracker.subscribe_new_events(), webhook_stored);

    let directory = Arc::new(services.directory().clone());
    let router = CommandRouter::new(RouterConfig::new(store.clone(), directory.clone(), sink));
    let pipeline_stats = pipeline.stats();
    let state = HttpState::new(store.clone(), verifier, webhook_wake)
        .with_commands(Arc::new(router))
        .with_handles(directory)
        .with_metrics(Arc::new(ClientMetrics(erlc)))
        .with_metrics(Arc::new(StoreMetrics(store.clone())))
        .with_metrics(Arc::new(move |out: &mut MetricsWriter| {
            pipeline_metrics(&pipeline_stats, out)
        }))
        .with_tracker(tracker.clone(), poll_interval);
    // Batches a crash left unfinished: listed now, before new ones arrive, then processed
    // beside them.
    tokio::spawn(http::replay_inbox(&state));
    let web = tokio::spawn(http::serve(state, listener, stopped(stop_rx.clone())));

    let upkeep = tokio::spawn(maintenance::run(
        store.clone(),
        MaintenanceConfig::default(),
        stopped(stop_rx.clone()),
    ));
    let polling_stop = stop_rx.clone();
    let polling = tokio::spawn(async move {
        tracker.run(stopped(polling_stop)).await;
    });
    let feeds = tokio::spawn(async move {
        if let Err(e) = pipeline.run(wake, stopped(stop_rx)).await {
            tracing::error!("the feed pipeline stopped: {e}");
        }
    });

    let outcome = client.start().await;
    signals.abort();
    let _ = stop_tx.send(true);
    match web.await {
        Ok(Err(e)) => tracing::warn!("the HTTP server stopped with an error: {e}"),
        Err(e) => tracing::warn!("the HTTP server task ended abnormally: {e}"),
        Ok(Ok(())) => {}
    }
    for (name, task) in [
        ("tracker", polling),
        ("feed pipeline", feeds),
        ("store upkeep", upkeep),
    ] {
        if let Err(e) = task.await {
            tracing::warn!("the {name} task ended abnormally: {e}");
        }
    }
    if let Err(e) = services.shutdown().await {
        tracing::warn!("shutting the services down: {e}");
    }
    store.flush_on_shutdown()?;
    match outcome {
        Ok(()) => {
            tracing::info!("stopped cleanly");
            Ok(())
        }
        Err(e) => Err(RunError::Gateway(e)),
    }
}

/// One wake signal for the pipeline from the tracker's and the webhooks' "events stored"
/// counters. Ends when both senders are gone.
fn merge_wakes(
    mut tracker: watch::Receiver<u64>,
    mut webhooks: watch::Receiver<u64>,
) -> watch::Receiver<u64> {
    let (tx, rx) = watch::channel(0u64);
    tokio::spawn(async move {
        loop {
            let changed = tokio::select! {
                r = tracker.changed() => r,
                r = webhooks.changed() => r,
            };
            let next = tx.borrow().wrapping_add(1);
            if changed.is_err() || tx.send(next).is_err() {
                return;
            }
        }
    });
    rx
}

/// The feed pipeline's counters for `/metrics`.
fn pipeline_metrics(stats: &PipelineStats, out: &mut MetricsWriter) {
    let now = stats.snapshot(0);
    out.counter(
        "erlc_bot_feed_messages_delivered_total",
        "Feed messages that reached Discord (created or edited).",
        &[],
        now.delivered(),
    );
    out.counter(
        "erlc_bot_feed_delivery_failures_total",
        "Feed delivery attempts that failed and will be retried.",
        &[],
        now.failed_attempts,
    );
    out.counter(
        "erlc_bot_feed_messages_parked_total",
        "Feed messages Discord refused for good (e.g. missing channel permissions).",
        &[],
        now.parked,
    );
    if let Some(lag) = now.last_lag_ms {
        out.gauge(
            "erlc_bot_feed_lag_seconds",
            "Time from an event being stored to its feed message reaching Discord (latest).",
            &[],
            lag as f64 / 1000.0,
        );
    }
}

/// Completes once `true` is sent (or the sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

fn tracker_config(config: &Config) -> TrackerConfig {
    TrackerConfig {
        interval: config.poll_interval,
        ..TrackerConfig::default()
    }
}

fn open_store(config: &Config) -> Result<Store, StoreError> {
    let key = match &config.master_key {
        Some(text) => MasterKeySource::Env(text.clone()),
        None => MasterKeySource::Auto,
    };
    let mut store_config = StoreConfig::new(&config.data_dir, key);
    store_config.audit_retention = config.audit_retention;
    Store::open(store_config)
}

fn erlc_client_config(config: &Config) -> ClientConfig {
    ClientConfig {
        global_key: config.erlc_global_key.clone(),
        command_policy: CommandPolicy::default()
            .with_max_len(config.command_max_len)
            .with_deny(&config.command_deny),
        ..ClientConfig::with_base_url(&config.erlc_api_base)
    }
}

/// serenity's HTTP client. With a (loopback-only, see `Config`) API base it runs in proxy
/// mode for tests; serenity ignores the proxy unless its rate limiter is off.
fn discord_http(token: &DiscordToken, api_base: Option<&str>) -> serenity::Http {
    let builder = serenity::HttpBuilder::new(token.expose());
    match api_base {
        Some(base) => builder.proxy(base).ratelimiter_disabled(true).build(),
        None => builder.build(),
    }
}

/// Ask Discord who we are before connecting: a bad token fails here with a clear message
/// (serenity would otherwise fall back to its default gateway URL and fail later, vaguely).
async fn check_token(http: &serenity::Http) -> Result<(), RunError> {
    match http.get_current_user().await {
        Ok(user) => {
            tracing::info!(bot = %user.name, id = %user.id, "bot token accepted");
            Ok(())
        }
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)))
            if response.status_code.as_u16() == 401 =>
        {
            Err(RunError::BadToken)
        }
        Err(e) => Err(RunError::Unreachable(e)),
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM; says which.
async fn wait_for_shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops the bot");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
