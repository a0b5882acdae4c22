//! The fake's mutable state behind one lock: stored messages, commands, interactions, the
//! transcript, violations and gateway sessions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::checks::{Violation, ViolationKind};
use super::state::{FakeConfig, StoredAttachment, StoredMessage, Upload};
use super::transcript::{Call, Entry, GatewayFrame};

/// One interaction callback the bot sent.
#[derive(Clone, Debug)]
pub struct Response {
    /// Callback type: 1 pong, 4 message, 5 deferred message, 6 deferred update, 7 update
    /// message, 8 autocomplete result, 9 modal.
    pub kind: u8,
    pub data: Value,
    pub files: Vec<Upload>,
    /// False when the fake refused it (double ack, broken limit).
    pub accepted: bool,
    /// What the callback probe read as this callback arrived (see
    /// `FakeDiscord::probe_callbacks`); `None` without a probe.
    pub probe: Option<u64>,
}

impl Response {
    pub fn content(&self) -> &str {
        self.data["content"].as_str().unwrap_or("")
    }

    pub fn flags(&self) -> u64 {
        self.data["flags"].as_u64().unwrap_or(0)
    }

    /// Autocomplete choice names (callback type 8).
    pub fn choice_names(&self) -> Vec<String> {
        let choices = self.data["choices"].as_array().into_iter().flatten();
        choices
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    }
}

/// What the fake remembers about a dispatched interaction.
#[derive(Clone, Debug)]
pub struct InteractionRecord {
    pub id: u64,
    pub token: String,
    /// Interaction type: 2 command, 3 component, 4 autocomplete, 5 modal submit.
    pub kind: u8,
    pub channel_id: u64,
    pub user_id: u64,
    pub dispatched_at: Instant,
    pub responses: Vec<Response>,
    /// The message `@original` refers to: the response message, or for a component the
    /// message the component sits on.
    pub original_message: Option<u64>,
    pub followups: Vec<u64>,
}

impl InteractionRecord {
    pub fn acknowledged(&self) -> bool {
        self.responses.iter().any(|r| r.accepted)
    }
}

/// Reads something outside the fake (e.g. the simulator's request log) at the instant a
/// callback arrives, so a test can order the callback against other events without clocks.
pub type Probe = Arc<dyn Fn() -> u64 + Send + Sync>;

pub struct World {
    pub config: FakeConfig,
    pub started: Instant,
    pub gateway_url: String,
    next_snowflake: u64,
    /// Messages per channel, oldest first.
    pub messages: BTreeMap<u64, Vec<StoredMessage>>,
    /// DM channel id → recipient user id.
    pub dm_channels: BTreeMap<u64, u64>,
    pub global_commands: Vec<Value>,
    pub guild_commands: Vec<Value>,
    /// Command ids stay stable across re-registration by (guild scope, name), as on Discord.
    pub command_ids: HashMap<(bool, String), u64>,
    pub registrations: usize,
    pub interactions: HashMap<u64, InteractionRecord>,
    pub transcript: Vec<Entry>,
    pub calls: Vec<Call>,
    /// Call indices already returned by `wait_for_call`.
    pub consumed_calls: HashSet<usize>,
    pub violations: Vec<Violation>,
    pub unknown_routes: Vec<String>,
    /// Gateway session id → last sequence number sent.
    pub sessions: HashMap<String, u64>,
    pub connections: u64,
    pub live_sessions: usize,
    pub ready_count: usize,
    pub resume_count: usize,
    /// IDENTIFY payloads with the token replaced by a note saying whether it matched.
    pub identifies: Vec<Value>,
    /// Read on every interaction callback (see [`Probe`]).
    pub callback_probe: Option<Probe>,
}

impl World {
    pub fn new(config: FakeConfig, gateway_url: String) -> World {
        World {
            config,
            started: Instant::now(),
            gateway_url,
            next_snowflake: 1_400_000_000_000_000_000,
            messages: BTreeMap::new(),
            dm_channels: BTreeMap::new(),
            global_commands: Vec::new(),
            guild_commands: Vec::new(),
            command_ids: HashMap::new(),
            registrations: 0,
            interactions: HashMap::new(),
            transcript: Vec::new(),
            calls: Vec::new(),
            consumed_calls: HashSet::new(),
            violations: Vec::new(),
            unknown_routes: Vec::new(),
            sessions: HashMap::new(),
            connections: 0,
            live_sessions: 0,
            ready_count: 0,
            resume_count: 0,
            identifies: Vec::new(),
            callback_probe: None,
        }
    }

    pub fn snowflake(&mut self) -> u64 {
        self.next_snowflake += 1;
        self.next_snowflake
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn violation(&mut self, kind: ViolationKind, detail: impl Into<String>) {
        let at = self.elapsed();
        self.violations.push(Violation {
            kind,
            detail: detail.into(),
            at,
        });
    }

    pub fn record_call(&mut self, mut call: Call) {
        call.index = self.calls.len();
        call.at = self.elapsed();
        self.calls.push(call.clone());
        self.transcript.push(Entry::Rest(call));
    }

    pub fn record_frame(&mut self, connection: u64, to_bot: bool, payload: Value) {
        let at = self.elapsed();
        self.transcript.push(Entry::Gateway(GatewayFrame {
            at,
            connection,
            to_bot,
            payload,
        }));
    }

    /// Whether the bot may post in this channel: a guild text channel or an opened DM.
    pub fn channel_exists(&self, channel_id: u64) -> bool {
        self.config.guild.channel(channel_id).is_some()
            || self.dm_channels.contains_key(&channel_id)
    }

    pub fn message_mut(&mut self, channel_id: u64, id: u64) -> Option<&mut StoredMessage> {
        self.messages
            .get_mut(&channel_id)?
            .iter_mut()
            .find(|m| m.id == id)
    }

    pub fn find_message(&self, id: u64) -> Option<&StoredMessage> {
        self.messages.values().flatten().find(|m| m.id == id)
    }

    pub fn remove_message(&mut self, channel_id: u64, id: u64) -> bool {
        let Some(list) = self.messages.get_mut(&channel_id) else {
            return false;
        };
        let before = list.len();
        list.retain(|m| m.id != id);
        list.len() != before
    }

    pub fn attachments_for(&mut self, files: &[Upload]) -> Vec<StoredAttachment> {
        files
            .iter()
            .map(|f| StoredAttachment {
                id: self.snowflake(),
                file: f.clone(),
            })
            .collect()
    }

    /// Stores a new bot message built from a create body and returns its id.
    pub fn create_message(
        &mut self,
        channel_id: u64,
        body: &Value,
        files: &[Upload],
        interaction: Option<u64>,
    ) -> u64 {
        let id = self.snowflake();
        let attachments = self.attachments_for(files);
        let mut msg = StoredMessage {
            id,
            channel_id,
            author_id: self.config.application_id,
            content: String::new(),
            embeds: Vec::new(),
            components: Vec::new(),
            allowed_mentions: None,
            nonce: None,
            flags: 0,
            attachments: Vec::new(),
            interaction_id: interaction,
            // Interaction responses and follow-ups arrive through the application's webhook.
            webhook_id: interaction.map(|_| self.config.application_id),
            edit_count: 0,
        };
        msg.apply(body, attachments);
        self.messages.entry(channel_id).or_default().push(msg);
        id
    }

    pub fn interaction_by_token(&mut self, token: &str) -> Option<&mut InteractionRecord> {
        self.interactions.values_mut().find(|r| r.token == token)
    }
}
