//! `ServerDirectory`: from a guild's stored server record to a live [`ServerHandle`] — the
//! key decrypted from the store, and sandbox servers routed to the guild's built-in simulator.

use crate::erlc::{ErlcClient, ServerHandle};
use crate::sandbox::Sandbox;
use crate::store::{ServerRecord, Store, StoreError};

use super::ActionError;

/// Finds and opens a guild's ER:LC servers. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ServerDirectory {
    store: Store,
    client: ErlcClient,
    sandbox: Sandbox,
}

impl ServerDirectory {
    /// Open stored servers through `client`, and sandbox servers through `sandbox`.
    pub fn new(store: Store, client: ErlcClient, sandbox: Sandbox) -> Self {
        Self {
            store,
            client,
            sandbox,
        }
    }

    /// The shared client for real PRC servers.
    pub fn client(&self) -> &ErlcClient {
        &self.client
    }

    /// The guilds' built-in simulators.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// A handle for the server labelled `label`.
    pub async fn handle(&self, guild: u64, label: &str) -> Result<ServerHandle, ActionError> {
        let record = self.record(guild, label)?;
        self.open(guild, &record).await
    }

    /// A handle for a record already read from the store.
    pub async fn open(
        &self,
        guild: u64,
        record: &ServerRecord,
    ) -> Result<ServerHandle, ActionError> {
        let key = self.store.settings().server_key(guild, &record.label)?;
        if record.sandbox {
            Ok(self.sandbox.ensure(guild).await?.handle(key))
        } else {
            Ok(self.client.server(key))
        }
    }

    /// The record labelled `label`, or an error listing the labels there are.
    pub fn record(&self, guild: u64, label: &str) -> Result<ServerRecord, ActionError> {
        match self.store.settings().server(guild, label.trim()) {
            Ok(record) => Ok(record),
            Err(StoreError::NotFound(_)) => Err(ActionError::UnknownServer {
                label: label.trim().to_lowercase(),
                known: self.labels(guild)?,
            }),
            Err(other) => Err(other.into()),
        }
    }

    /// The server a command should act on, opened: see [`ServerDirectory::pick`].
    pub async fn resolve(
        &self,
        guild: u64,
        label: Option<&str>,
    ) -> Result<(ServerRecord, ServerHandle), ActionError> {
        let record = self.pick(guild, label)?;
        let handle = self.open(guild, &record).await?;
        Ok((record, handle))
    }

    /// The record of the server a command is about: the one named, else the guild's default
    /// server, else its only server.
    pub fn pick(&self, guild: u64, label: Option<&str>) -> Result<ServerRecord, ActionError> {
        match label.map(str::trim).filter(|l| !l.is_empty()) {
            Some(label) => self.record(guild, label),
            None => self.default_record(guild),
        }
    }

    fn default_record(&self, guild: u64) -> Result<ServerRecord, ActionError> {
        let mut servers = self.store.settings().list_servers(guild)?;
        if let Some(default) = servers.iter().position(|r| r.is_default) {
            return Ok(servers.swap_remove(default));
        }
        match servers.len() {
            0 => Err(ActionError::NoServer),
            1 => Ok(servers.swap_remove(0)),
            _ => Err(ActionError::PickServer {
                labels: servers.into_iter().map(|r| r.label).collect(),
            }),
        }
    }

    /// Every server of every guild, opened, for the tracker. A server that cannot be opened
    /// (its key does not decrypt, its sandbox does not start) is logged and left out.
    pub async fn all(&self) -> Result<Vec<(u64, ServerRecord, ServerHandle)>, ActionError> {
        let mut out = Vec::new();
        for (guild, record) in self.store.settings().all_servers()? {
            match self.open(guild, &record).await {
                Ok(handle) => out.push((guild, record, handle)),
                Err(e) => tracing::warn!(
                    guild,
                    label = %record.label,
                    key = %record.key_fingerprint,
                    error = %e,
                    "server left out: it could not be opened"
                ),
            }
        }
        Ok(out)
    }

    /// The guild's server labels, in order (for autocomplete).
    pub fn labels(&self, guild: u64) -> Result<Vec<String>, ActionError> {
        Ok(self
            .store
            .settings()
            .list_servers(guild)?
            .into_iter()
            .map(|r| r.label)
            .collect())
    }
}
