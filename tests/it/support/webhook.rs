//! Shared setup for the webhook tests: a simulator and the bot's HTTP server on 127.0.0.1,
//! one store in a temporary directory, the simulator's signing key as the verifier key, a
//! server connected with a webhook token, and a recording sink for cards.

use std::sync::Arc;

use erlc_bot::clock::ManualClock;
use erlc_bot::config::WEBHOOK_PATH;
use erlc_bot::custom_commands::{CommandRouter, RouterConfig, StoreHandles};
use erlc_bot::erlc::{ClientConfig, ErlcClient, ServerKey, WebhookVerifier};
use erlc_bot::feeds::RecordingSink;
use erlc_bot::http::{self, HttpState, StoreMetrics};
use erlc_bot::sim::{BucketLimit, SimConfig, SimHandle, SimServer, Simulator};
use erlc_bot::store::Store;
use tokio::sync::{oneshot, watch};

use super::{START_MS, store_config};

pub const GUILD: u64 = 4242;
pub const LABEL: &str = "main";
pub const MODCALL_CHANNEL: u64 = 555;
pub const STAFF_ROLE: u64 = 777;

pub struct Bot {
    pub sim: SimHandle,
    pub server: SimServer,
    pub clock: Arc<ManualClock>,
    pub store: Store,
    pub state: HttpState,
    pub sink: Arc<RecordingSink>,
    pub wake: watch::Receiver<u64>,
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Bot {
    /// Simulator, store, router and HTTP server, all wired as the bot would.
    pub async fn start() -> Bot {
        let clock = Arc::new(ManualClock::new(START_MS));
        let sim = Simulator::start(SimConfig {
            clock: clock.clone(),
            read_limit: BucketLimit::new(10_000, 10),
            command_limit: BucketLimit::new(10_000, 5),
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let server = sim.server(0).expect("one server");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store_config = store_config(dir.path());
        store_config.clock = clock.clone();
        let store = Store::open(store_config).expect("store opens");
        store
            .settings()
            .add_server(GUILD, LABEL, &ServerKey::new(server.info().key), 1, "Owner")
            .expect("server added");
        let token = store
            .settings()
            .ensure_webhook_token(GUILD, LABEL)
            .expect("token");
        let client = ErlcClient::new(ClientConfig {
            base_url: sim.base_url(),
            clock: clock.clone(),
            ..ClientConfig::default()
        })
        .expect("client");
        let handles = Arc::new(StoreHandles::new(store.clone(), client));
        let sink = Arc::new(RecordingSink::new());
        let router = Arc::new(CommandRouter::new(RouterConfig::new(
            store.clone(),
            handles.clone(),
            sink.clone(),
        )));
        let verifier = WebhookVerifier::from_spki_base64(&sim.webhook_public_key_spki_base64())
            .expect("simulator key is valid SPKI");
        let (wake_tx, wake) = watch::channel(0);
        let state = HttpState::new(store.clone(), verifier, wake_tx)
            .with_commands(router)
            .with_handles(handles)
            .with_metrics(Arc::new(StoreMetrics(store.clone())));
        let listener = http::bind("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(http::serve(state.clone(), listener, async {
            let _ = stopped.await;
        }));
        Bot {
            sim,
            server,
            clock,
            store,
            state,
            sink,
            wake,
            base,
            token,
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            stop: Some(stop),
            _dir: dir,
        }
    }

    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}{}", self.base, self.token)
    }

    /// Point the simulated server at our webhook URL (it sends a signed probe first).
    pub async fn register_webhook(&self) {
        self.server
            .set_webhook_url(Some(self.webhook_url()))
            .await
            .expect("the probe is answered 2xx");
    }

    pub fn events_of(&self, kind: &str) -> u64 {
        let event_type =
            erlc_bot::events::EventType::parse(&format!("{LABEL}/{kind}")).expect("event type");
        super::stored_of_type(&self.store, GUILD, &event_type).len() as u64
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.sim.shutdown().await;
    }
}

/// Turn on `;` commands for the guild, with a mod-call channel, staff role and invite, and
/// the given commands switched off.
pub fn enable_custom_commands(bot: &Bot, disabled: &[&str]) {
    bot.store
        .settings()
        .update_guild_settings(GUILD, |g| {
            g.custom_commands_enabled = true;
            g.modcall_channel = Some(MODCALL_CHANNEL);
            g.modcall_ping_role = Some(STAFF_ROLE);
            g.discord_invite = Some("https://discord.gg/erlcbot".into());
            g.disabled_custom_commands = disabled.iter().map(|d| d.to_string()).collect();
        })
        .unwrap();
}
