//! The logic under the slash commands and buttons: permission checks, server lookup, player
//! resolution, safe command building, confirmation of destructive commands, the audit trail
//! around every change, and server/feed/permission/audit management. No Discord types here:
//! commands parse their input, call [`Services`], and render what comes back.

mod audit_trail;
mod buttons;
mod confirm;
mod directory;
mod error;
mod manage_audit;
mod manage_feeds;
mod manage_roles;
mod manage_settings;
mod moderation;
mod permissions;
mod players;
mod raw;
mod reads;
mod servers;
pub mod tracking;

use std::sync::Arc;
use std::time::Duration;

use crate::erlc::ErlcClient;
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::store::Store;

pub use buttons::ModCallStep;
pub use directory::ServerDirectory;
pub use error::ActionError;
pub use manage_feeds::parse_feed_patterns;
pub use manage_roles::parse_capabilities;
pub use moderation::{ActionReport, ModAction};
pub use permissions::{Actor, required_capability};
pub use players::{ResolvedPlayer, resolve_online};
pub use raw::raw_is_destructive;
pub use servers::SetupReport;

use confirm::PendingActions;

/// Knobs for [`Services`].
#[derive(Debug, Clone)]
pub struct ServicesOptions {
    pub sandbox: SandboxOptions,
    /// How long a destructive command waits for its Confirm press. Default 5 minutes.
    pub confirm_ttl: Duration,
    /// How long to look for a sent command in the command logs. Default 6 s.
    pub command_confirm_within: Duration,
}

impl Default for ServicesOptions {
    fn default() -> Self {
        Self {
            sandbox: SandboxOptions::default(),
            confirm_ttl: Duration::from_secs(5 * 60),
            command_confirm_within: Duration::from_secs(6),
        }
    }
}

/// Everything the commands need, one per process. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    directory: ServerDirectory,
    options: ServicesOptions,
    pending: PendingActions,
}

impl Services {
    pub fn new(store: Store, client: ErlcClient, options: ServicesOptions) -> Self {
        let sandbox = Sandbox::new(options.sandbox.clone());
        let directory = ServerDirectory::new(store.clone(), client, sandbox);
        let pending = PendingActions::new(store.clock().clone(), options.confirm_ttl);
        Self {
            inner: Arc::new(Inner {
                store,
                directory,
                options,
                pending,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn directory(&self) -> &ServerDirectory {
        &self.inner.directory
    }

    pub fn options(&self) -> &ServicesOptions {
        &self.inner.options
    }

    /// Stop the sandboxes and flush the store (on SIGINT/SIGTERM).
    pub async fn shutdown(&self) -> Result<(), ActionError> {
        self.inner.directory.sandbox().shutdown().await;
        self.inner.store.flush_async().await?;
        Ok(())
    }
}
