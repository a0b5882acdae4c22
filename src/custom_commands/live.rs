//! Reaching a guild's game server: the [`ServerHandles`] seam (implemented by the bot's
//! `ServerDirectory`, and by [`StoreHandles`], which opens keys straight from the store),
//! and the live player list read to find who typed a command and where they are.

use std::future::Future;
use std::pin::Pin;

use crate::erlc::models::{Include, Player};
use crate::erlc::{ErlcClient, ErlcError, ServerHandle};
use crate::events::catalog::PlayerInfo;
use crate::store::Store;

/// Why no handle could be opened for a server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot reach the ER:LC server `{label}`: {reason}")]
pub struct HandleError {
    /// The guild's label for the server.
    pub label: String,
    /// Why it cannot be reached (no such server, no key stored...), in plain words.
    pub reason: String,
}

/// A boxed future, so [`ServerHandles`] stays object-safe.
pub type HandleFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ServerHandle, HandleError>> + Send + 'a>>;

/// Opens a [`ServerHandle`] for a guild's server label.
pub trait ServerHandles: Send + Sync {
    /// The handle for the server `label` of `guild`, or why there is none.
    fn handle<'a>(&'a self, guild: u64, label: &'a str) -> HandleFuture<'a>;
}

/// Handles from keys in the store, all through one client (no sandbox routing).
#[derive(Debug, Clone)]
pub struct StoreHandles {
    store: Store,
    client: ErlcClient,
}

impl StoreHandles {
    /// Handles for the keys in `store`, all through `client`.
    pub fn new(store: Store, client: ErlcClient) -> Self {
        Self { store, client }
    }
}

impl ServerHandles for StoreHandles {
    fn handle<'a>(&'a self, guild: u64, label: &'a str) -> HandleFuture<'a> {
        Box::pin(async move {
            let key = self
                .store
                .settings()
                .server_key(guild, label)
                .map_err(|e| HandleError {
                    label: label.to_owned(),
                    reason: e.to_string(),
                })?;
            Ok(self.client.server(key))
        })
    }
}

/// The bot's server directory: real servers through the shared client, sandbox servers
/// through the built-in simulator.
impl ServerHandles for crate::actions::ServerDirectory {
    fn handle<'a>(&'a self, guild: u64, label: &'a str) -> HandleFuture<'a> {
        Box::pin(async move {
            crate::actions::ServerDirectory::handle(self, guild, label)
                .await
                .map_err(|e| HandleError {
                    label: label.to_owned(),
                    reason: e.user_message(),
                })
        })
    }
}

/// A player in the server right now, as much as commands need of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePlayer {
    /// Roblox username; untrusted text.
    pub name: String,
    /// Roblox user id; `None` when PRC sent the player without one.
    pub id: Option<u64>,
    /// Team as PRC names it, such as `Police` or `Civilian`.
    pub team: String,
    /// In-game permission as PRC names it, such as `Server Moderator` or `Normal`.
    pub permission: String,
    /// Callsign on a non-civilian team; `None` for civilians.
    pub callsign: Option<String>,
    /// Postal code the player stands in; `None` when PRC sent no location or a blank one.
    pub postal: Option<String>,
    /// Street the player is on; `None` when PRC sent no location or a blank one.
    pub street: Option<String>,
}

impl LivePlayer {
    fn from_model(player: &Player) -> Self {
        let location = player.location.as_ref();
        let text = |v: Option<&String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Self {
            name: player.player.name.clone(),
            id: player.player.id,
            team: player.team.as_str().to_owned(),
            permission: player.permission.as_str().to_owned(),
            callsign: player.callsign.clone(),
            postal: text(location.and_then(|l| l.postal_code.as_ref())),
            street: text(location.and_then(|l| l.street_name.as_ref())),
        }
    }

    /// The player as events describe them.
    pub fn info(&self) -> PlayerInfo {
        PlayerInfo {
            name: self.name.clone(),
            id: self.id,
            team: Some(self.team.clone()),
            permission: Some(self.permission.clone()),
            callsign: self.callsign.clone(),
        }
    }

    /// `Postal 307, Harbor Road`, either part alone, or `None` when neither is known.
    pub fn location(&self) -> Option<String> {
        match (&self.postal, &self.street) {
            (Some(postal), Some(street)) => Some(format!("Postal {postal}, {street}")),
            (Some(postal), None) => Some(format!("Postal {postal}")),
            (None, Some(street)) => Some(street.clone()),
            (None, None) => None,
        }
    }
}

/// The players in the server now, with their locations (one `GET /v2/server`).
pub async fn live_players(handle: &ServerHandle) -> Result<Vec<LivePlayer>, ErlcError> {
    let snapshot = handle.snapshot(Include::none().players()).await?;
    Ok(snapshot
        .players
        .unwrap_or_default()
        .iter()
        .map(LivePlayer::from_model)
        .collect())
}

/// The player with this Roblox id.
pub fn find_by_id(players: &[LivePlayer], id: u64) -> Option<&LivePlayer> {
    players.iter().find(|p| p.id == Some(id))
}

/// Whom a typed name means among the players online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch<'a> {
    /// The player the name means: an exact match, or the only name it starts.
    One(&'a LivePlayer),
    /// Several players start with it.
    Ambiguous(usize),
    /// No player online has or starts with that name (or the name was blank).
    Nobody,
}

/// An exact name (any case) wins; otherwise a prefix that fits exactly one player.
pub fn find_by_name<'a>(players: &'a [LivePlayer], typed: &str) -> NameMatch<'a> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() {
        return NameMatch::Nobody;
    }
    if let Some(exact) = players.iter().find(|p| p.name.to_lowercase() == typed) {
        return NameMatch::One(exact);
    }
    let starts: Vec<&LivePlayer> = players
        .iter()
        .filter(|p| p.name.to_lowercase().starts_with(&typed))
        .collect();
    match starts.as_slice() {
        [] => NameMatch::Nobody,
        [one] => NameMatch::One(one),
        many => NameMatch::Ambiguous(many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(name: &str, id: u64) -> LivePlayer {
        LivePlayer {
            name: name.into(),
            id: Some(id),
            team: "Civilian".into(),
            permission: "Normal".into(),
            callsign: None,
            postal: None,
            street: None,
        }
    }

    #[test]
    fn names_resolve_exactly_then_by_unique_prefix() {
        let players = [player("Bob", 1), player("Bobby", 2), player("Alice", 3)];
        assert_eq!(find_by_name(&players, "bob"), NameMatch::One(&players[0]));
        assert_eq!(find_by_name(&players, "bobb"), NameMatch::One(&players[1]));
        assert_eq!(find_by_name(&players, "Bo"), NameMatch::Ambiguous(2));
        assert_eq!(find_by_name(&players, "carl"), NameMatch::Nobody);
        assert_eq!(find_by_name(&players, " "), NameMatch::Nobody);
        assert_eq!(
            find_by_id(&players, 3).map(|p| p.name.as_str()),
            Some("Alice")
        );
        assert_eq!(find_by_id(&players, 9), None);
    }

    #[test]
    fn location_uses_what_is_known() {
        let mut p = player("Bob", 1);
        assert_eq!(p.location(), None);
        p.street = Some("Harbor Road".into());
        assert_eq!(p.location().as_deref(), Some("Harbor Road"));
        p.postal = Some("307".into());
        assert_eq!(p.location().as_deref(), Some("Postal 307, Harbor Road"));
        assert_eq!(p.info().team.as_deref(), Some("Civilian"));
    }
}
