//! `SimServer`: the test-facing handle for one simulated private server (script players and
//! events, read what commands did, manage its key and webhook).

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

use super::SimError;
use super::commands;
use super::config::CommandRules;
use super::encode;
use super::state::{Shared, lock};
use super::webhook::{self, Delivery};
use super::world::{
    AppliedCommand, PlayerSpec, SentMessage, SimActor, VehicleSpec, World, WorldError,
};

/// Public facts about one simulated server. Debug never shows the key.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimServerInfo {
    /// Position in the simulator's server list, as [`super::SimHandle::server`] takes it.
    pub index: usize,
    /// The stable internal server id: the part of the key after the `-`.
    pub server_id: String,
    /// The current `Server-Key` (a test credential).
    pub key: String,
    /// The server's in-game name.
    pub name: String,
    /// The code players would type to join.
    pub join_key: String,
}

impl std::fmt::Debug for SimServerInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServerInfo")
            .field("index", &self.index)
            .field("server_id", &self.server_id)
            .field("key", &crate::fingerprint::fingerprint(&self.key))
            .field("name", &self.name)
            .field("join_key", &self.join_key)
            .finish()
    }
}

/// Handle for one server of a running simulator.
#[derive(Clone)]
pub struct SimServer {
    shared: Arc<Shared>,
    index: usize,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("index", &self.index)
            .finish()
    }
}

impl SimServer {
    pub(super) fn new(shared: Arc<Shared>, index: usize) -> Result<Self, SimError> {
        if index >= shared.worlds.len() {
            return Err(SimError::NoSuchServer {
                index,
                count: shared.worlds.len(),
            });
        }
        Ok(Self { shared, index })
    }

    fn with<R>(&self, f: impl FnOnce(&mut World, i64) -> R) -> R {
        let now = self.shared.now_secs();
        let mut world = lock(&self.shared.worlds[self.index]);
        f(&mut world, now)
    }

    fn try_with<R>(
        &self,
        f: impl FnOnce(&mut World, i64) -> Result<R, WorldError>,
    ) -> Result<R, SimError> {
        self.with(f).map_err(SimError::World)
    }

    /// Queues webhook events if this server has a webhook URL.
    fn emit(&self, events: Vec<Value>) {
        let (url, server_id) = self.with(|w, _| (w.webhook_url.clone(), w.server_id.clone()));
        if let Some(url) = url {
            for event in events {
                self.shared.webhooks.enqueue(Delivery {
                    url: url.clone(),
                    server_id: server_id.clone(),
                    event,
                });
            }
        }
    }

    /// This server's index in the simulator.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its id, current key, name and join key.
    pub fn info(&self) -> SimServerInfo {
        let key = lock(&self.shared.keys)
            .key_of(self.index)
            .unwrap_or_default();
        self.with(|w, _| SimServerInfo {
            index: self.index,
            server_id: w.server_id.clone(),
            key,
            name: w.info.name.clone(),
            join_key: w.info.join_key.clone(),
        })
    }

    /// A player joins (join log; they leave the queue); returns their user id.
    pub fn add_player(&self, spec: PlayerSpec) -> Result<u64, SimError> {
        self.try_with(|w, now| w.add_player(spec, now))
    }

    /// A player leaves (leave log, their vehicles despawn).
    pub fn remove_player(&self, id: u64) -> Result<(), SimError> {
        self.try_with(|w, now| w.remove_player(id, now))
    }

    /// Ids and names of the players in the server, in join order.
    pub fn players(&self) -> Vec<(u64, String)> {
        self.with(|w, _| w.players.iter().map(|p| (p.id, p.name.clone())).collect())
    }

    /// Move a player to `team`; the callsign follows the team.
    pub fn set_team(&self, id: u64, team: &str) -> Result<(), SimError> {
        self.try_with(|w, _| w.set_team(id, team))
    }

    /// Give a player a permission string (e.g. `Server Moderator`); staff lists follow.
    pub fn set_permission(&self, id: u64, permission: &str) -> Result<(), SimError> {
        self.try_with(|w, _| w.set_permission(id, permission))
    }

    /// Set a player's wanted stars (0 = not wanted).
    pub fn set_wanted(&self, id: u64, stars: u32) -> Result<(), SimError> {
        self.try_with(|w, _| w.set_wanted(id, stars))
    }

    /// One player kills another (kill log).
    pub fn add_kill(&self, killer_id: u64, killed_id: u64) -> Result<(), SimError> {
        self.try_with(|w, now| w.add_kill(killer_id, killed_id, now))
    }

    /// A player runs a command in game: logged under their name and applied (no API rules).
    pub fn player_command(&self, player_id: u64, text: &str) -> Result<(), SimError> {
        self.try_with(|w, now| {
            let name = w
                .player(player_id)
                .map(|p| p.name.clone())
                .ok_or(WorldError::NoSuchPlayer(player_id))?;
            w.log_command(
                SimActor::Player {
                    name,
                    id: player_id,
                },
                text,
                now,
            );
            let in_game = CommandRules {
                restricted: Vec::new(),
                prohibited_words: Vec::new(),
            };
            if let Ok(parsed) = commands::parse(text, &in_game) {
                commands::apply(w, Some(player_id), &parsed, now);
            }
            Ok(())
        })
    }

    /// A player types in chat; a `;` line fires a CustomCommand webhook.
    pub fn player_chat(&self, player_id: u64, text: &str) -> Result<(), SimError> {
        let now = self.try_with(|w, now| {
            w.player(player_id)
                .map(|_| now)
                .ok_or(WorldError::NoSuchPlayer(player_id))
        })?;
        self.emit(
            webhook::custom_command(player_id, text, now)
                .into_iter()
                .collect(),
        );
        Ok(())
    }

    /// Returns the mod call's number, used to answer it.
    pub fn add_mod_call(&self, caller_id: u64) -> Result<u64, SimError> {
        self.try_with(|w, now| w.add_mod_call(caller_id, now))
    }

    /// A moderator answers the mod call `number` (from [`SimServer::add_mod_call`]).
    pub fn answer_mod_call(&self, number: u64, moderator_id: u64) -> Result<(), SimError> {
        self.try_with(|w, _| w.answer_mod_call(number, moderator_id))
    }

    /// Starts a 911 call at the caller's position; returns its CallNumber.
    pub fn start_emergency_call(
        &self,
        caller_id: u64,
        team: &str,
        description: &str,
    ) -> Result<u64, SimError> {
        let (call, now) = self.try_with(|w, now| {
            let description = Some(description.to_owned()).filter(|d| !d.is_empty());
            w.start_emergency_call(caller_id, team, description, now)
                .map(|c| (c, now))
        })?;
        let data = encode::emergency_call_webhook(&call);
        self.emit(vec![webhook::event(
            "EmergencyCallStarted",
            call.caller,
            now,
            data,
        )]);
        Ok(call.call_number)
    }

    /// A player responds to the 911 call with this CallNumber.
    pub fn respond_emergency_call(
        &self,
        call_number: u64,
        responder_id: u64,
    ) -> Result<(), SimError> {
        self.try_with(|w, _| w.respond_emergency_call(call_number, responder_id))
    }

    /// The 911 call ends; an `EmergencyCallEnded` webhook goes out if a webhook URL is set.
    pub fn end_emergency_call(&self, call_number: u64) -> Result<(), SimError> {
        let (call, now) =
            self.try_with(|w, now| w.end_emergency_call(call_number).map(|c| (c, now)))?;
        let data = encode::emergency_call_webhook(&call);
        self.emit(vec![webhook::event(
            "EmergencyCallEnded",
            call.caller,
            now,
            data,
        )]);
        Ok(())
    }

    /// Returns the vehicle's number, used to despawn it.
    pub fn spawn_vehicle(&self, owner_id: u64, spec: VehicleSpec) -> Result<u64, SimError> {
        self.try_with(|w, _| w.spawn_vehicle(owner_id, spec))
    }

    /// Despawn the vehicle numbered by [`SimServer::spawn_vehicle`].
    pub fn despawn_vehicle(&self, vehicle: u64) -> Result<(), SimError> {
        self.try_with(|w, _| w.despawn_vehicle(vehicle))
    }

    /// A user starts waiting in the join queue (no-op if already there).
    pub fn queue_push(&self, id: u64) {
        self.with(|w, _| w.queue_push(id));
    }

    /// A user leaves the join queue.
    pub fn queue_remove(&self, id: u64) {
        self.with(|w, _| w.queue_remove(id));
    }

    /// Put a user on the ban list without a command (no kick).
    pub fn add_ban(&self, id: u64, name: &str) {
        self.with(|w, _| w.add_ban(id, name));
    }

    /// Returns whether the user was banned.
    pub fn remove_ban(&self, id: u64) -> bool {
        self.with(|w, _| w.remove_ban(id))
    }

    /// Gives the server a new key (same server id); the old key then answers 2002.
    pub fn rotate_key(&self) -> String {
        let mut rng = lock(&self.shared.rng);
        lock(&self.shared.keys)
            .rotate(self.index, &mut rng)
            .unwrap_or_default()
    }

    /// Bans the current key from the API (2004) until it is rotated.
    pub fn ban_key(&self) {
        lock(&self.shared.keys).ban(self.index);
    }

    /// Replaces the server's Trusted IP list (for commands without a global key).
    pub fn set_trusted_ips(&self, ips: Vec<IpAddr>) {
        lock(&self.shared.keys).set_trusted_ips(self.index, ips);
    }

    /// Authorizes (or not) the app with this global key to run commands here.
    pub fn set_app_authorized(&self, global_key: &str, authorized: bool) {
        lock(&self.shared.keys).set_app_authorized(self.index, global_key, authorized);
    }

    /// `:h`, `:m` and `:pm` that reached the game, oldest first.
    pub fn messages(&self) -> Vec<SentMessage> {
        self.with(|w, _| w.messages.clone())
    }

    /// Every command applied (API or in-game), oldest first.
    pub fn applied_commands(&self) -> Vec<AppliedCommand> {
        self.with(|w, _| w.applied.clone())
    }

    /// The whole server as `GET /v2/server` with every section (for comparisons in tests).
    pub fn snapshot_json(&self) -> Value {
        let quirks = self.shared.quirks.clone();
        self.with(|w, _| encode::v2_server(w, &quirks, &encode::V2_SECTIONS))
    }

    /// Sets the event webhook URL the way the game does: a signed WebhookProbe is sent and the
    /// URL is kept only if the endpoint answers 2xx. `None` removes it.
    pub async fn set_webhook_url(&self, url: Option<String>) -> Result<(), SimError> {
        let Some(url) = url else {
            self.with(|w, _| w.webhook_url = None);
            return Ok(());
        };
        let (server_id, owner, now) =
            self.with(|w, now| (w.server_id.clone(), w.info.owner_id, now));
        let probe = webhook::event("WebhookProbe", Some(owner), now, serde_json::json!({}));
        let status = self
            .shared
            .webhooks
            .send_batch(&url, &server_id, vec![probe])
            .await
            .map_err(|e| SimError::Webhook {
                url: url.clone(),
                detail: e.to_string(),
            })?;
        if !(200..300).contains(&status) {
            return Err(SimError::WebhookRejected { url, status });
        }
        self.with(|w, _| w.webhook_url = Some(url));
        Ok(())
    }

    /// The event webhook URL the game would post to, once a probe succeeded.
    pub fn webhook_url(&self) -> Option<String> {
        self.with(|w, _| w.webhook_url.clone())
    }
}
