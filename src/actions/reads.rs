//! Helpers for the read commands (`/players`, `/staff`, `/server status`…) and autocomplete:
//! the `view` check and the server lookup in one call, and live player names.

use crate::erlc::ServerHandle;
use crate::store::{Capability, ServerRecord, Source};

use super::{ActionError, Actor, Services};

/// Most names autocomplete offers (Discord's limit).
const MAX_SUGGESTIONS: usize = 25;

impl Services {
    /// Check `view` and find the server a read command is about (named, default, or only).
    /// `action_name` is what a refusal is audited as, e.g. `read.players`.
    pub async fn server_for_reading(
        &self,
        guild: u64,
        actor: &Actor,
        source: Source,
        server: Option<&str>,
        action_name: &'static str,
    ) -> Result<(ServerRecord, ServerHandle), ActionError> {
        self.require(guild, actor, Capability::View, action_name, source)
            .await?;
        self.directory().resolve(guild, server).await
    }

    /// Online player names starting with `typed` (ignoring case), sorted, at most 25, for
    /// autocomplete. No permission check: it only suggests names.
    pub async fn suggest_players(
        &self,
        guild: u64,
        server: Option<&str>,
        typed: &str,
    ) -> Result<Vec<String>, ActionError> {
        let (_, handle) = self.directory().resolve(guild, server).await?;
        let typed = typed.trim().to_lowercase();
        let mut names: Vec<String> = handle
            .players()
            .await?
            .into_iter()
            .map(|p| p.player.name)
            .filter(|name| name.to_lowercase().starts_with(&typed))
            .collect();
        names.sort_by_key(|n| n.to_lowercase());
        names.truncate(MAX_SUGGESTIONS);
        Ok(names)
    }
}
