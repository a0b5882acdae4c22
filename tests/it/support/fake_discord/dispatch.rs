//! Sending an interaction to the bot (INTERACTION_CREATE with every field serenity 0.12.5
//! requires) and the handle a test uses to await what the bot answered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::interactions::Interaction;
use super::payloads::{self, ATTACHMENT_SIZE_LIMIT};
use super::state::StoredMessage;
use super::world::{InteractionRecord, Response, World};
use super::{FakeDiscord, GatewayCommand, Shared};

impl FakeDiscord {
    /// Sends the interaction as INTERACTION_CREATE to the READY bot session(s).
    pub fn dispatch(&self, interaction: Interaction) -> InteractionHandle {
        let (id, payload) = {
            let mut world = self.shared.world();
            assert!(
                world.live_sessions > 0,
                "fake Discord: dispatch before any READY gateway session; call wait_for_ready first"
            );
            let id = world.snowflake();
            let token = format!("fake-interaction-token-{id}");
            let payload = interaction_payload(&world, &interaction, id, &token);
            let record = InteractionRecord {
                id,
                token: token.clone(),
                kind: interaction.kind,
                channel_id: interaction
                    .channel_id
                    .unwrap_or(world.config.default_channel),
                user_id: interaction.user_id.unwrap_or(world.config.default_user),
                dispatched_at: Instant::now(),
                responses: Vec::new(),
                original_message: interaction.message_id,
                followups: Vec::new(),
            };
            world.interactions.insert(id, record);
            (id, payload)
        };
        if interaction.redeliver {
            tokio::spawn(redeliver_until_answered(
                self.shared.clone(),
                id,
                payload.clone(),
            ));
        }
        self.send_event("INTERACTION_CREATE", payload);
        InteractionHandle {
            shared: self.shared.clone(),
            id,
        }
    }
}

/// poise awaits a modal submit with a collector that it registers only after the modal
/// callback's HTTP reply came back, so a submit sent at once can reach the bot before anyone
/// listens and be dropped. On Discord a human takes seconds to fill the form; here the fake
/// re-sends the identical submit (same id and token) with growing gaps until the bot answers.
/// A one-shot collector takes at most one copy, and a second answer would still be caught as
/// a double acknowledgement.
async fn redeliver_until_answered(shared: Arc<Shared>, id: u64, payload: Value) {
    let mut gap = Duration::from_millis(25);
    for _ in 0..8 {
        let answered = |w: &mut World| {
            w.interactions
                .get(&id)
                .filter(|r| !r.responses.is_empty())
                .map(|_| ())
        };
        if shared.poll_until(gap, answered).await.is_some() {
            return;
        }
        let again = GatewayCommand::Event("INTERACTION_CREATE".into(), payload.clone());
        if shared.events.send(again).is_err() {
            return;
        }
        gap *= 2;
    }
}

fn interaction_payload(world: &World, interaction: &Interaction, id: u64, token: &str) -> Value {
    let config = &world.config;
    let guild = &config.guild;
    let user_id = interaction.user_id.unwrap_or(config.default_user);
    let channel_id = interaction.channel_id.unwrap_or(config.default_channel);
    let member = guild.member(user_id).unwrap_or_else(|| {
        panic!("fake Discord: user {user_id} is not a member of the fake guild; add them with GuildSpec::with_member")
    });
    let channel_name = guild.channel(channel_id).map(|c| c.name.clone());
    let app_permissions = guild.permissions_of(config.application_id).to_string();
    let mut payload = json!({
        "id": id.to_string(), "application_id": config.application_id.to_string(),
        "type": interaction.kind, "token": token, "version": 1,
        "guild_id": guild.id.to_string(), "channel_id": channel_id.to_string(),
        "channel": {
            "id": channel_id.to_string(), "name": channel_name, "type": 0,
            "guild_id": guild.id.to_string(), "permissions": guild.permissions_of(user_id).to_string()
        },
        "member": payloads::interaction_member(guild, member), "app_permissions": app_permissions,
        "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
        "authorizing_integration_owners": { "0": guild.id.to_string() }, "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT, "data": interaction.data
    });
    if let Some(message) = interaction.message_id.and_then(|m| world.find_message(m)) {
        payload["message"] = payloads::message(config, message);
    }
    payload
}

/// A dispatched interaction: await what the bot answered.
pub struct InteractionHandle {
    shared: Arc<Shared>,
    id: u64,
}

impl InteractionHandle {
    pub fn id(&self) -> u64 {
        self.id
    }

    fn record(&self) -> Option<InteractionRecord> {
        self.shared.world().interactions.get(&self.id).cloned()
    }

    /// The first callback the bot sent (even one the fake refused; see `Response::accepted`).
    pub async fn await_response(&self, timeout: Duration) -> Response {
        let what = format!("a callback for interaction {}", self.id);
        let id = self.id;
        self.shared
            .wait_until(timeout, &what, |w| {
                w.interactions.get(&id)?.responses.first().cloned()
            })
            .await
    }

    /// Waits for `n` follow-ups and returns them as stored now (oldest first).
    pub async fn await_followups(&self, n: usize, timeout: Duration) -> Vec<StoredMessage> {
        let what = format!("{n} follow-ups for interaction {}", self.id);
        let id = self.id;
        self.shared
            .wait_until(timeout, &what, |w| {
                let ids = w.interactions.get(&id)?.followups.clone();
                (ids.len() >= n).then(|| {
                    ids.iter()
                        .filter_map(|m| w.find_message(*m).cloned())
                        .collect()
                })
            })
            .await
    }

    /// The custom_id of the modal the bot opened (poise uses the interaction id).
    pub fn modal_custom_id(&self) -> Option<String> {
        let record = self.record()?;
        let modal = record
            .responses
            .iter()
            .find(|r| r.accepted && r.kind == 9)?;
        modal.data["custom_id"].as_str().map(str::to_string)
    }

    /// The message `@original` refers to, as stored now.
    pub fn original_message(&self) -> Option<StoredMessage> {
        let world = self.shared.world();
        let id = world.interactions.get(&self.id)?.original_message?;
        world.find_message(id).cloned()
    }
}
