//! Interaction builders (slash command, autocomplete, button, modal submit), checked against
//! what the bot registered and what it sent.

use std::fmt;

use serde_json::{Value, json};

use super::checks::ViolationKind;
use super::options::{Opt, check_options, contains_option, encode_options, focused_schema};
use super::{FakeDiscord, commands};

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
    pub(super) kind: u8,
    pub(super) data: Value,
    pub(super) user_id: Option<u64>,
    pub(super) channel_id: Option<u64>,
    /// The message a component sits on (component interactions, modals opened from one).
    pub(super) message_id: Option<u64>,
    /// Re-send until answered: see `dispatch::redeliver_until_answered`.
    pub(super) redeliver: bool,
}

impl Interaction {
    /// Invoke as this guild member (roles and permissions come from the guild model).
    /// A builder step, not a conversion: the name reads like the test scenario it describes.
    #[allow(clippy::wrong_self_convention)]
    pub fn as_member(mut self, user_id: u64) -> Interaction {
        self.user_id = Some(user_id);
        self
    }

    /// The interaction's `data` object as Discord sends it (command name and options, or the
    /// component's custom id), e.g. to describe it in a failure message.
    pub fn data(&self) -> &Value {
        &self.data
    }
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
            redeliver: false,
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
            redeliver: false,
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
            redeliver: false,
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
            // poise names collector-awaited modals after the opening interaction's id.
            redeliver: custom_id == opener.id.to_string(),
        })
    }
}
