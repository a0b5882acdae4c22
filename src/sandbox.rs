//! The sandbox: a PRC API simulator running inside the bot, one per guild that asks for it
//! (`/server setup` with the key `sandbox`), so a community can try every feature before it
//! buys the API pack. Each guild's simulator is seeded with the guild id, so its server key is
//! the same after a restart and a stored sandbox key keeps working.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::erlc::{ClientConfig, ErlcClient, ErlcError, ServerHandle, ServerKey};
use crate::sim::{ActivityConfig, BucketLimit, SimConfig, SimError, SimHandle, Simulator};

/// What a person types instead of a server key to get a sandbox.
pub const SANDBOX_KEYWORD: &str = "sandbox";

/// Is `key_text` the sandbox keyword (any case, surrounding spaces ignored)?
pub fn is_sandbox_keyword(key_text: &str) -> bool {
    key_text.trim().eq_ignore_ascii_case(SANDBOX_KEYWORD)
}

/// How sandboxes are started.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Template for each sandbox's own client; its base URL is replaced by the simulator's.
    /// Its clock also drives the simulator.
    pub client: ClientConfig,
    /// Players in the server when the sandbox starts. Default 8.
    pub initial_players: usize,
    /// Generated joins, leaves, kills, calls… `None` for a still world. Default: a tick every
    /// 5 s towards 12 players.
    pub activity: Option<ActivityConfig>,
    /// The command bucket the simulator enforces. Default PRC's: 1 command per 5 s.
    pub command_limit: BucketLimit,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            client: ClientConfig::default(),
            initial_players: 8,
            activity: Some(ActivityConfig {
                interval: Duration::from_secs(5),
                target_players: 12,
            }),
            command_limit: BucketLimit::new(1, 5),
        }
    }
}

/// Why a sandbox could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The in-process simulator failed to start (for example no free local port).
    #[error("could not start the sandbox simulator: {0}")]
    Simulator(#[from] SimError),
    /// The client for the simulator could not be built from the configured template.
    #[error("could not set up the client for the sandbox: {0}")]
    Client(#[from] ErlcError),
}

/// One guild's running sandbox.
#[derive(Clone, Debug)]
pub struct SandboxInstance {
    sim: SimHandle,
    client: ErlcClient,
    key: ServerKey,
}

impl SandboxInstance {
    /// `http://127.0.0.1:<port>`, the simulator's API base.
    pub fn base_url(&self) -> String {
        self.sim.base_url()
    }

    /// The simulated server's key (the same for the same guild on every start).
    pub fn key(&self) -> &ServerKey {
        &self.key
    }

    /// The client that talks to this sandbox only.
    pub fn client(&self) -> &ErlcClient {
        &self.client
    }

    /// A handle for the sandbox server using `key` (normally the stored one).
    pub fn handle(&self, key: ServerKey) -> ServerHandle {
        self.client.server(key)
    }

    /// The simulator itself (to script players, read applied commands).
    pub fn sim(&self) -> &SimHandle {
        &self.sim
    }
}

/// The sandboxes of this process, started lazily, at most one per guild. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Sandbox {
    options: Arc<SandboxOptions>,
    running: Arc<Mutex<HashMap<u64, SandboxInstance>>>,
}

impl Sandbox {
    /// No sandbox runs yet; each guild's starts on its first [`Sandbox::ensure`].
    pub fn new(options: SandboxOptions) -> Self {
        Self {
            options: Arc::new(options),
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The guild's sandbox, started on 127.0.0.1 (a free port) if it is not running yet.
    pub async fn ensure(&self, guild: u64) -> Result<SandboxInstance, SandboxError> {
        let mut running = self.running.lock().await;
        if let Some(instance) = running.get(&guild) {
            return Ok(instance.clone());
        }
        let instance = self.start(guild).await?;
        running.insert(guild, instance.clone());
        Ok(instance)
    }

    async fn start(&self, guild: u64) -> Result<SandboxInstance, SandboxError> {
        let options = &self.options;
        let config = SimConfig {
            servers: 1,
            seed: guild,
            initial_players: options.initial_players,
            command_limit: options.command_limit,
            activity: options.activity.clone(),
            clock: options.client.clock.clone(),
            ..SimConfig::default()
        };
        let sim = Simulator::start(config).await?;
        match self.connect(&sim) {
            Ok(instance) => Ok(instance),
            Err(e) => {
                sim.shutdown().await;
                Err(e)
            }
        }
    }

    /// A client and the server key for a freshly started simulator.
    fn connect(&self, sim: &SimHandle) -> Result<SandboxInstance, SandboxError> {
        let key = ServerKey::new(sim.server(0)?.info().key);
        let client = ErlcClient::new(ClientConfig {
            base_url: sim.base_url(),
            ..self.options.client.clone()
        })?;
        Ok(SandboxInstance {
            sim: sim.clone(),
            client,
            key,
        })
    }

    /// The guild's sandbox if it is running.
    pub async fn running(&self, guild: u64) -> Option<SandboxInstance> {
        self.running.lock().await.get(&guild).cloned()
    }

    /// Stop the guild's sandbox (when its server is removed). Returns whether one ran.
    pub async fn stop(&self, guild: u64) -> bool {
        let instance = self.running.lock().await.remove(&guild);
        match instance {
            Some(instance) => {
                instance.sim.shutdown().await;
                true
            }
            None => false,
        }
    }

    /// Stop every sandbox (on shutdown).
    pub async fn shutdown(&self) {
        let all: Vec<_> = self.running.lock().await.drain().collect();
        for (_, instance) in all {
            instance.sim.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn still() -> SandboxOptions {
        SandboxOptions {
            activity: None,
            ..SandboxOptions::default()
        }
    }

    #[test]
    fn keyword_ignores_case_and_spaces() {
        assert!(is_sandbox_keyword(" Sandbox\n"));
        assert!(!is_sandbox_keyword("sandbox-1"));
        assert!(!is_sandbox_keyword(""));
    }

    #[tokio::test]
    async fn keys_come_from_the_guild_id_and_survive_a_restart() {
        let first = Sandbox::new(still());
        let a = first.ensure(42).await.unwrap();
        let again = first.ensure(42).await.unwrap();
        assert_eq!(a.base_url(), again.base_url(), "started once per guild");
        let other_guild = first.ensure(43).await.unwrap();
        assert_ne!(a.key(), other_guild.key());
        assert!(a.key().check_format().is_ok());

        let restarted = Sandbox::new(still());
        let b = restarted.ensure(42).await.unwrap();
        assert_eq!(a.key(), b.key(), "same seed, same key");
        assert_eq!(b.sim().servers()[0].name, a.sim().servers()[0].name);
        let players = b.handle(b.key().clone()).players().await.unwrap();
        assert_eq!(players.len(), 8);

        assert!(first.stop(42).await);
        assert!(!first.stop(42).await);
        assert!(first.running(42).await.is_none());
        first.shutdown().await;
        restarted.shutdown().await;
        assert!(first.running(43).await.is_none());
    }
}
