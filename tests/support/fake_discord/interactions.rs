//! Interaction builders (slash command, autocomplete, button, modal submit), checked against
//! what the bot registered and sent, and the handle a test uses to await the bot's answer.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::checks::ViolationKind;
use super::payloads::{self, ATTACHMENT_SIZE_LIMIT};
use super::state::{FakeConfig, StoredMessage};
use super::world::{InteractionRecord, Response, World};
use super::{FakeDiscord, Shared, commands};

/// A typed option value, encoded the way Discord sends it.
#[derive(Clone, Debug)]
pub enum OptionValue {
    String(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    User(u64),
    Channel(u64),
    Role(u64),
}

impl OptionValue {
    fn type_code(&self) -> u64 {
        match self {
            OptionValue::String(_) => 3,
            OptionValue::Integer(_) => 4,
            OptionValue::Boolean(_) => 5,
            OptionValue::User(_) => 6,
            OptionValue::Channel(_) => 7,
            OptionValue::Role(_) => 8,
            OptionValue::Number(_) => 10,
        }
    }

    fn json(&self) -> Value {
        match self {
            OptionValue::String(s) => json!(s),
            OptionValue::Integer(i) => json!(i),
            OptionValue::Number(n) => json!(n),
            OptionValue::Boolean(b) => json!(b),
            OptionValue::User(id) | OptionValue::Channel(id) | OptionValue::Role(id) => {
                json!(id.to_string())
            }
        }
    }
}

/// One option of a slash command invocation: a value, a subcommand or a subcommand group.
#[derive(Clone, Debug)]
pub enum Opt {
    Value { name: String, value: OptionValue },
    SubCommand { name: String, options: Vec<Opt> },
    Group { name: String, subcommands: Vec<Opt> },
}

impl Opt {
    pub fn string(name: &str, value: &str) -> Opt {
        Opt::Value {
            name: name.into(),
            value: OptionValue::String(value.into()),
        }
    }
    pub fn integer(name: &str, value: i64) -> Opt {
        Opt::Value {
            name: name.into(),
            value: OptionValue::Integer(value),
        }
    }
    pub fn number(name: &str, value: f64) -> Opt {
        Opt::Value {
            name: name.into(),
            value: OptionValue::Number(value),
        }
    }
    pub fn boolean(name: &str, value: bool) -> Opt {
        Opt::Value {
            name: name.into(),
            value: OptionValue::Boolean(value),
        }
    }
    pub fn user(name: &str, user_id: u64) -> Opt {
        Opt::Value {
            name: name.into(),
            value: OptionValue::User(user_id),
        }
    }
    pub fn channel(name: &str, channel_id: u64) -> Opt {
        Opt::Value {
            name: name.into(),
            value: OptionValue::Channel(channel_id),
        }
    }
    pub fn role(name: &str, role_id: u64) -> Opt {
        Opt::Value {
            name: name.into(),
            value: OptionValue::Role(role_id),
        }
    }
    pub fn sub(name: &str, options: Vec<Opt>) -> Opt {
        Opt::SubCommand {
            name: name.into(),
            options,
        }
    }
    pub fn group(name: &str, subcommands: Vec<Opt>) -> Opt {
        Opt::Group {
            name: name.into(),
            subcommands,
        }
    }

    fn name(&self) -> &str {
        match self {
            Opt::Value { name, .. } | Opt::SubCommand { name, .. } | Opt::Group { name, .. } => {
                name
            }
        }
    }

    fn type_code(&self) -> u64 {
        match self {
            Opt::Value { value, .. } => value.type_code(),
            Opt::SubCommand { .. } => 1,
            Opt::Group { .. } => 2,
        }
    }

    fn children(&self) -> &[Opt] {
        match self {
            Opt::Value { .. } => &[],
            Opt::SubCommand { options, .. } => options,
            Opt::Group { subcommands, .. } => subcommands,
        }
    }
}

/// Why a builder refused: the interaction could not happen on real Discord.
#[derive(Debug)]
pub struct BuildError(pub String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

/// An interaction ready to dispatch. Defaults: the config's default user and channel.
#[derive(Clone, Debug)]
pub struct Interaction {
    kind: u8,
    data: Value,
    user_id: Option<u64>,
    channel_id: Option<u64>,
    /// The message a component sits on (component interactions, modals opened from one).
    message_id: Option<u64>,
}

impl Interaction {
    /// Invoke as this guild member (roles and permissions come from the guild model).
    /// A builder step, not a conversion: the name reads like the test scenario it describes.
    #[allow(clippy::wrong_self_convention)]
    pub fn as_member(mut self, user_id: u64) -> Interaction {
        self.user_id = Some(user_id);
        self
    }

    pub fn in_channel(mut self, channel_id: u64) -> Interaction {
        self.channel_id = Some(channel_id);
        self
    }

    /// Interaction type: 2 command, 3 component, 4 autocomplete, 5 modal submit.
    pub fn kind(&self) -> u8 {
        self.kind
    }

    pub fn data(&self) -> &Value {
        &self.data
    }
}

fn check_options(
    schema: &Value,
    given: &[Opt],
    path: &str,
    complete: bool,
) -> Result<(), BuildError> {
    let schema = schema.as_array().map(Vec::as_slice).unwrap_or_default();
    let names: Vec<&str> = schema.iter().filter_map(|o| o["name"].as_str()).collect();
    for opt in given {
        let Some(spec) = schema.iter().find(|o| o["name"] == opt.name()) else {
            return Err(BuildError(format!(
                "{path} has no option {:?} (registered: {names:?})",
                opt.name()
            )));
        };
        if spec["type"].as_u64() != Some(opt.type_code()) {
            let detail = format!(
                "{path} {}: registered as type {}, given type {}",
                opt.name(),
                spec["type"],
                opt.type_code()
            );
            return Err(BuildError(detail));
        }
        check_options(
            &spec["options"],
            opt.children(),
            &format!("{path} {}", opt.name()),
            complete,
        )?;
    }
    if !complete {
        return Ok(());
    }
    let wants_sub = schema
        .iter()
        .any(|o| matches!(o["type"].as_u64(), Some(1 | 2)));
    if wants_sub && given.is_empty() {
        return Err(BuildError(format!(
            "{path} needs one of its subcommands: {names:?}"
        )));
    }
    let missing = schema
        .iter()
        .filter(|o| o["required"] == true)
        .find(|o| !given.iter().any(|g| o["name"] == g.name()));
    match missing {
        Some(option) => Err(BuildError(format!(
            "{path} is missing required option {}",
            option["name"]
        ))),
        None => Ok(()),
    }
}

/// Encodes options; fills `resolved` for users, channels and roles from the guild model.
fn encode_options(
    config: &FakeConfig,
    given: &[Opt],
    focused: Option<&str>,
    resolved: &mut Value,
) -> Result<Vec<Value>, BuildError> {
    let guild = &config.guild;
    let mut out = Vec::new();
    for opt in given {
        let mut encoded = json!({ "name": opt.name(), "type": opt.type_code() });
        if let Opt::Value { name, value } = opt {
            encoded["value"] = value.json();
            if focused == Some(name.as_str()) {
                // Discord sends the partial text of the focused option as a string.
                encoded["value"] = json!(
                    value
                        .json()
                        .as_str()
                        .map_or_else(|| value.json().to_string(), str::to_string)
                );
                encoded["focused"] = json!(true);
            }
            match value {
                OptionValue::User(id) => {
                    resolved["users"][id.to_string()] = payloads::user_by_id(config, *id);
                    if let Some(member) = guild.member(*id) {
                        let mut partial = payloads::interaction_member(guild, member);
                        partial.as_object_mut().map(|m| m.remove("user"));
                        resolved["members"][id.to_string()] = partial;
                    }
                }
                OptionValue::Channel(id) => {
                    let channel = guild
                        .channel(*id)
                        .ok_or_else(|| BuildError(format!("no channel {id} in the fake guild")))?;
                    let perms = guild.permissions_of(config.default_user).to_string();
                    resolved["channels"][id.to_string()] = json!({ "id": id.to_string(), "name": channel.name, "type": 0, "permissions": perms });
                }
                OptionValue::Role(id) => {
                    let role = guild
                        .role(*id)
                        .ok_or_else(|| BuildError(format!("no role {id} in the fake guild")))?;
                    resolved["roles"][id.to_string()] = payloads::role(guild, role);
                }
                _ => {}
            }
        } else {
            encoded["options"] = json!(encode_options(config, opt.children(), focused, resolved)?);
        }
        out.push(encoded);
    }
    Ok(out)
}

fn contains_option(given: &[Opt], name: &str) -> bool {
    given.iter().any(|o| {
        matches!(o, Opt::Value { name: n, .. } if n == name) || contains_option(o.children(), name)
    })
}

/// Finds the schema entry of the focused option along the given path.
fn focused_schema(schema: &Value, given: &[Opt], focused: &str) -> Option<Value> {
    let schema = schema.as_array()?;
    for opt in given {
        let spec = schema.iter().find(|o| o["name"] == opt.name())?;
        if opt.name() == focused && matches!(opt, Opt::Value { .. }) {
            return Some(spec.clone());
        }
        if let Some(found) = focused_schema(&spec["options"], opt.children(), focused) {
            return Some(found);
        }
    }
    None
}

impl FakeDiscord {
    fn command_data(
        &self,
        name: &str,
        options: &[Opt],
        focused: Option<&str>,
    ) -> Result<Value, BuildError> {
        let mut world = self.shared.world();
        let Some(command) = commands::find(&world, name) else {
            let known: Vec<Value> = world
                .guild_commands
                .iter()
                .chain(&world.global_commands)
                .map(|c| c["name"].clone())
                .collect();
            let detail = format!("/{name} was never registered by the bot (registered: {known:?})");
            world.violation(ViolationKind::UnregisteredCommand, detail.clone());
            return Err(BuildError(detail));
        };
        check_options(
            &command["options"],
            options,
            &format!("/{name}"),
            focused.is_none(),
        )?;
        let mut resolved = json!({});
        let encoded = encode_options(&world.config, options, focused, &mut resolved)?;
        let mut data = json!({ "id": command["id"], "name": name, "type": 1, "options": encoded });
        if resolved.as_object().is_some_and(|r| !r.is_empty()) {
            data["resolved"] = resolved;
        }
        if !command["guild_id"].is_null() {
            data["guild_id"] = command["guild_id"].clone();
        }
        Ok(data)
    }

    /// A slash command invocation (type 2). Errors if the bot never registered the command,
    /// or the options do not fit its registered schema (names, types, required, subcommands).
    pub fn slash(&self, name: &str, options: Vec<Opt>) -> Result<Interaction, BuildError> {
        let data = self.command_data(name, &options, None)?;
        Ok(Interaction {
            kind: 2,
            data,
            user_id: None,
            channel_id: None,
            message_id: None,
        })
    }

    /// An autocomplete request (type 4) while the user types into option `focused`, which
    /// must be registered with `autocomplete: true`.
    pub fn autocomplete(
        &self,
        name: &str,
        options: Vec<Opt>,
        focused: &str,
    ) -> Result<Interaction, BuildError> {
        if !contains_option(&options, focused) {
            return Err(BuildError(format!(
                "the focused option {focused:?} is not among the given options"
            )));
        }
        let schema = commands::find(&self.shared.world(), name).map(|c| c["options"].clone());
        let spec = schema.and_then(|s| focused_schema(&s, &options, focused));
        if spec.as_ref().is_some_and(|s| s["autocomplete"] != true) {
            return Err(BuildError(format!(
                "/{name} option {focused:?} is not registered with autocomplete"
            )));
        }
        let data = self.command_data(name, &options, Some(focused))?;
        Ok(Interaction {
            kind: 4,
            data,
            user_id: None,
            channel_id: None,
            message_id: None,
        })
    }

    /// A button click (type 3) on a stored message; the button must exist on it.
    pub fn button(&self, message_id: u64, custom_id: &str) -> Result<Interaction, BuildError> {
        let world = self.shared.world();
        let Some(message) = world.find_message(message_id) else {
            return Err(BuildError(format!("no message {message_id} in the fake")));
        };
        let ids = message.custom_ids();
        if !ids.iter().any(|id| id == custom_id) {
            return Err(BuildError(format!(
                "message {message_id} has no component {custom_id:?} (has {ids:?})"
            )));
        }
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        let channel_id = Some(message.channel_id);
        Ok(Interaction {
            kind: 3,
            data,
            user_id: None,
            channel_id,
            message_id: Some(message_id),
        })
    }

    /// A modal submit (type 5) for a modal the bot opened with this `custom_id`; each field
    /// must be one of that modal's text inputs.
    pub fn modal_submit(
        &self,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> Result<Interaction, BuildError> {
        let world = self.shared.world();
        let opened = world.interactions.values().find_map(|record| {
            let modal = record
                .responses
                .iter()
                .find(|r| r.accepted && r.kind == 9 && r.data["custom_id"] == custom_id)?;
            Some((record.clone(), modal.data.clone()))
        });
        let Some((opener, modal)) = opened else {
            return Err(BuildError(format!(
                "the bot never opened a modal with custom_id {custom_id:?}"
            )));
        };
        let inputs: Vec<&str> = modal["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().into_iter().flatten())
            .filter_map(|input| input["custom_id"].as_str())
            .collect();
        if let Some((unknown, _)) = fields.iter().find(|(id, _)| !inputs.contains(id)) {
            return Err(BuildError(format!(
                "modal {custom_id:?} has no input {unknown:?} (has {inputs:?})"
            )));
        }
        let rows: Vec<Value> = fields
            .iter()
            .map(|(id, value)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": value }] }))
            .collect();
        let data = json!({ "custom_id": custom_id, "components": rows });
        let message_id = if opener.kind == 3 {
            opener.original_message
        } else {
            None
        };
        let channel_id = Some(opener.channel_id);
        Ok(Interaction {
            kind: 5,
            data,
            user_id: Some(opener.user_id),
            channel_id,
            message_id,
        })
    }

    /// Sends the interaction as INTERACTION_CREATE to the READY bot session(s).
    pub fn dispatch(&self, interaction: Interaction) -> InteractionHandle {
        let (id, token, payload) = {
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
            (id, token, payload)
        };
        self.send_event("INTERACTION_CREATE", payload);
        InteractionHandle {
            shared: self.shared.clone(),
            id,
            token,
        }
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
    token: String,
}

impl InteractionHandle {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn token(&self) -> &str {
        &self.token
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

    /// Every callback so far, refused ones included.
    pub fn responses(&self) -> Vec<Response> {
        self.record().map(|r| r.responses).unwrap_or_default()
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
