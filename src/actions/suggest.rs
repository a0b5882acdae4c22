//! Autocomplete suggestions, answered from what the bot already holds: server labels from the
//! store, player names from the tracker's latest poll. Never a PRC request: suggestions later
//! than Discord's 3 s are dropped, and every keystroke would spend PRC's read budget.

use crate::store::Capability;
use crate::tracker::Tracker;

use super::{ActionError, Member, Services};

/// The most suggestions one answer holds (Discord's limit on autocomplete choices).
const MAX_SUGGESTIONS: usize = 25;

impl Services {
    /// The guild's server labels containing `typed` (ignoring case), in the guild's order.
    pub fn server_suggestions(&self, guild: u64, typed: &str) -> Result<Vec<String>, ActionError> {
        Ok(self
            .directory()
            .labels(guild)?
            .into_iter()
            .filter(|label| contains(label, typed))
            .take(MAX_SUGGESTIONS)
            .collect())
    }

    /// Names of the players in game on the named (or default) server at the tracker's latest
    /// poll that contain `typed` (ignoring case), sorted. None for a member without `view` (a
    /// refusal is not audited: it is only typing), nor before the server's first poll.
    pub fn player_suggestions(
        &self,
        tracker: &Tracker,
        guild: u64,
        actor: &Member,
        server: Option<&str>,
        typed: &str,
    ) -> Result<Vec<String>, ActionError> {
        if !self.capabilities(guild, actor)?.contains(&Capability::View) {
            return Ok(Vec::new());
        }
        let record = self.directory().pick(guild, server)?;
        let Some(world) = tracker.latest_world(guild, &record.label) else {
            return Ok(Vec::new());
        };
        let mut names: Vec<String> = world
            .players
            .iter()
            .flat_map(|players| players.values())
            .filter(|player| contains(&player.name, typed))
            .map(|player| player.name.clone())
            .collect();
        names.sort_by_key(|name| name.to_lowercase());
        names.truncate(MAX_SUGGESTIONS);
        Ok(names)
    }
}

fn contains(name: &str, typed: &str) -> bool {
    name.to_lowercase().contains(&typed.trim().to_lowercase())
}
