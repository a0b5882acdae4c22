//! A fake Discord (REST + WebSocket gateway on 127.0.0.1) that a serenity 0.12.5 / poise 0.7.1
//! bot can run against unchanged: it keeps a small guild model, records every call, enforces
//! Discord's interaction and message rules, and lets tests dispatch interactions and wait for
//! the bot's answers.
//!
//! Point the bot at it with `HttpBuilder::new(fake.token()).proxy(fake.base_url())
//! .ratelimiter_disabled(true)`; the gateway URL comes from the fake's `GET /gateway`.

pub mod checks;
mod commands;
pub mod dispatch;
mod gateway;
pub mod interactions;
mod multipart;
pub mod options;
mod payloads;
mod rest;
mod rest_interactions;
mod rest_resources;
pub mod state;
pub mod transcript;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

use checks::{Violation, ViolationKind};
use state::{FakeConfig, StoredMessage};
use transcript::{Call, path_matches};
use world::World;

/// What the test side asks every READY gateway session to do.
#[derive(Clone, Debug)]
enum GatewayCommand {
    /// Send a dispatch (`op: 0`) with this name (`t`) and body (`d`).
    Event(String, Value),
    /// Send RECONNECT (`op: 7`) and stop forwarding events, so the bot resumes elsewhere.
    Reconnect,
}

/// State shared by the HTTP handlers, gateway sessions, the test and interaction handles.
struct Shared {
    world: Mutex<World>,
    /// Woken on every change, so waits need no sleeps.
    changed: Notify,
    /// Events for every READY gateway session.
    events: broadcast::Sender<GatewayCommand>,
}

impl Shared {
    /// The world, even after a panicking test poisoned the lock (the dump still needs it).
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Re-checks `check` on every change until it yields a value, or `None` after `timeout`.
    async fn poll_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&mut World) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(value) = check(&mut self.world()) {
                return Some(value);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Like `poll_until`, but a timeout fails the test with what was awaited.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &str,
        check: impl FnMut(&mut World) -> Option<T>,
    ) -> T {
        match self.poll_until(timeout, check).await {
            Some(value) => value,
            None => panic!("fake Discord: timed out after {timeout:?} waiting for {what}"),
        }
    }
}

/// The running fake. Dropping it stops the listener; if the test is panicking, the drop
/// prints the transcript, violations and unknown routes to stderr.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl FakeDiscord {
    /// Starts with [`FakeConfig::default`].
    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with(FakeConfig::default()).await
    }

    pub async fn start_with(config: FakeConfig) -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the fake Discord");
        let addr = listener
            .local_addr()
            .expect("the fake Discord listener has an address");
        let (events, _) = broadcast::channel(1024);
        let world = World::new(config, format!("ws://{addr}/ws"));
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            changed: Notify::new(),
            events,
        });
        let app = Router::new()
            .route("/ws", get(gateway::upgrade))
            .fallback(rest::handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDiscord {
            shared,
            addr,
            server,
        }
    }

    /// The value for `DISCORD_API_BASE` / `HttpBuilder::proxy`, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn gateway_url(&self) -> String {
        self.shared.world().gateway_url.clone()
    }

    pub fn token(&self) -> String {
        self.shared.world().config.token.clone()
    }

    pub fn guild_id(&self) -> u64 {
        self.shared.world().config.guild.id
    }

    /// Waits until a gateway session is READY (and has its GUILD_CREATE); returns the last
    /// IDENTIFY payload (token redacted).
    pub async fn wait_for_ready(&self, timeout: Duration) -> Value {
        self.shared
            .wait_until(timeout, "a READY gateway session", |w| {
                (w.live_sessions > 0)
                    .then(|| w.identifies.last().cloned())
                    .flatten()
            })
            .await
    }

    /// Waits until `n` READYs were sent in total (a restarted bot makes the count grow).
    pub async fn wait_for_ready_count(&self, n: usize, timeout: Duration) -> Value {
        let what = format!("{n} READY gateway sessions");
        self.shared
            .wait_until(timeout, &what, |w| {
                (w.ready_count >= n && w.live_sessions > 0)
                    .then(|| w.identifies.last().cloned())
                    .flatten()
            })
            .await
    }

    /// Waits until no gateway session is connected (after the bot shut down).
    pub async fn wait_for_disconnected(&self, timeout: Duration) {
        self.shared
            .wait_until(timeout, "every gateway session to close", |w| {
                (w.live_sessions == 0).then_some(())
            })
            .await
    }

    pub fn ready_count(&self) -> usize {
        self.shared.world().ready_count
    }

    /// Every IDENTIFY received, token replaced by whether it matched.
    pub fn identifies(&self) -> Vec<Value> {
        self.shared.world().identifies.clone()
    }

    /// Waits for a successful command registration (PUT, global or guild) not yet returned
    /// by an earlier wait, and returns every registered command (guild ones first).
    pub async fn wait_for_commands_registered(&self, timeout: Duration) -> Vec<Value> {
        self.shared
            .wait_until(timeout, "a successful command registration", |w| {
                let found = w.calls.iter().find(|c| {
                    c.method == "PUT"
                        && c.status == 200
                        && !w.consumed_calls.contains(&c.index)
                        && (path_matches("/applications/*/commands", &c.path)
                            || path_matches("/applications/*/guilds/*/commands", &c.path))
                });
                let index = found?.index;
                w.consumed_calls.insert(index);
                Some(
                    w.guild_commands
                        .iter()
                        .chain(&w.global_commands)
                        .cloned()
                        .collect(),
                )
            })
            .await
    }

    /// Every registered command, guild ones first, as the fake echoed them (with ids).
    pub fn registered_commands(&self) -> Vec<Value> {
        let world = self.shared.world();
        world
            .guild_commands
            .iter()
            .chain(&world.global_commands)
            .cloned()
            .collect()
    }

    /// Waits for a REST call matching `method` and `pattern` (see [`path_matches`]) that no
    /// earlier `wait_for_call` returned; so two waits for the same pattern need two calls.
    pub async fn wait_for_call(&self, method: &str, pattern: &str, timeout: Duration) -> Call {
        let what = format!("REST call {method} {pattern}");
        self.shared
            .wait_until(timeout, &what, |w| {
                let call = w.calls.iter().find(|c| {
                    c.method == method
                        && !w.consumed_calls.contains(&c.index)
                        && path_matches(pattern, &c.path)
                })?;
                let call = call.clone();
                w.consumed_calls.insert(call.index);
                Some(call)
            })
            .await
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.world().calls.clone()
    }

    pub fn calls_matching(&self, method: &str, pattern: &str) -> Vec<Call> {
        let world = self.shared.world();
        world
            .calls
            .iter()
            .filter(|c| c.method == method && path_matches(pattern, &c.path))
            .cloned()
            .collect()
    }

    /// Messages currently in a channel (guild or DM), oldest first.
    pub fn messages(&self, channel_id: u64) -> Vec<StoredMessage> {
        self.shared
            .world()
            .messages
            .get(&channel_id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn message(&self, message_id: u64) -> Option<StoredMessage> {
        self.shared.world().find_message(message_id).cloned()
    }

    /// Waits until a message in `channel_id` satisfies `predicate` (edits count too).
    pub async fn wait_for_message(
        &self,
        channel_id: u64,
        predicate: impl Fn(&StoredMessage) -> bool,
        timeout: Duration,
    ) -> StoredMessage {
        let what = format!("a matching message in channel {channel_id}");
        self.shared
            .wait_until(timeout, &what, |w| {
                w.messages
                    .get(&channel_id)?
                    .iter()
                    .find(|m| predicate(m))
                    .cloned()
            })
            .await
    }

    /// The roles `user_id` has now (the bot may have given or taken some).
    pub fn member_roles(&self, user_id: u64) -> Vec<u64> {
        let world = self.shared.world();
        world
            .config
            .guild
            .member(user_id)
            .map(|m| m.roles.clone())
            .unwrap_or_default()
    }

    /// The DM channel the bot opened with `user_id`, if any.
    pub fn dm_channel_of(&self, user_id: u64) -> Option<u64> {
        let world = self.shared.world();
        world
            .dm_channels
            .iter()
            .find(|(_, u)| **u == user_id)
            .map(|(c, _)| *c)
    }

    /// Sends any gateway event to every READY session (e.g. `GUILD_MEMBER_ADD`).
    pub fn send_event(&self, name: &str, data: Value) {
        let sent = self
            .shared
            .events
            .send(GatewayCommand::Event(name.to_string(), data));
        assert!(
            sent.is_ok(),
            "fake Discord: no bot gateway session is READY to receive {name}"
        );
    }

    /// Asks the bot to reconnect (gateway op 7), as Discord does before moving a session;
    /// serenity then opens a new connection and sends RESUME.
    pub fn request_reconnect(&self) {
        let sent = self.shared.events.send(GatewayCommand::Reconnect);
        assert!(
            sent.is_ok(),
            "fake Discord: no bot gateway session is READY to reconnect"
        );
    }

    /// Waits until `n` sessions were resumed in total (RESUME → RESUMED).
    pub async fn wait_for_resumed(&self, n: usize, timeout: Duration) {
        let what = format!("{n} resumed gateway sessions");
        self.shared
            .wait_until(timeout, &what, |w| {
                (w.resume_count >= n && w.live_sessions > 0).then_some(())
            })
            .await
    }

    /// Reads `probe` as each interaction callback arrives and keeps the value in its
    /// `Response::probe`: e.g. how many requests the simulator had answered at that instant.
    pub fn probe_callbacks(&self, probe: impl Fn() -> u64 + Send + Sync + 'static) {
        self.shared.world().callback_probe = Some(Arc::new(probe));
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.shared.world().violations.clone()
    }

    /// Returns and forgets the violations so far (for tests that provoke some on purpose).
    pub fn take_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut self.shared.world().violations)
    }

    /// Panics listing every violation. `LateAck` is only printed: it depends on machine
    /// speed, and tests never fail on wall-clock time.
    pub fn assert_no_violations(&self) {
        let (late, broken): (Vec<Violation>, Vec<Violation>) = self
            .violations()
            .into_iter()
            .partition(|v| v.kind == ViolationKind::LateAck);
        for v in &late {
            eprintln!(
                "fake Discord (not failing the test): {:?}: {}",
                v.kind, v.detail
            );
        }
        let list: Vec<String> = broken
            .iter()
            .map(|v| format!("  at {:?}, {:?}: {}", v.at, v.kind, v.detail))
            .collect();
        assert!(
            list.is_empty(),
            "fake Discord: the bot broke Discord's rules:\n{}",
            list.join("\n")
        );
    }

    /// `"METHOD /path"` of every request the fake has no route for (each answered 404).
    pub fn unknown_routes(&self) -> Vec<String> {
        self.shared.world().unknown_routes.clone()
    }

    pub fn assert_no_unknown_routes(&self) {
        let routes = self.unknown_routes();
        assert!(
            routes.is_empty(),
            "fake Discord: the bot called routes the fake does not implement (add them to \
             tests/it/support/fake_discord/):\n  {}",
            routes.join("\n  ")
        );
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
        if std::thread::panicking() {
            let world = self.shared.world();
            eprintln!(
                "===== fake Discord transcript =====\n{}",
                transcript::render(&world.transcript)
            );
            for v in &world.violations {
                eprintln!("violation at {:?}, {:?}: {}", v.at, v.kind, v.detail);
            }
            for route in &world.unknown_routes {
                eprintln!("unknown route: {route}");
            }
        }
    }
}
