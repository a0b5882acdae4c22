//! Slash command options as a test writes them (typed values, subcommands, groups), checked
//! against the registered schema and encoded the way Discord sends them (with `resolved`).

use serde_json::{Value, json};

use super::interactions::BuildError;
use super::payloads;
use super::state::FakeConfig;

/// A typed option value, encoded the way Discord sends it.
#[derive(Clone, Debug)]
pub enum OptionValue {
    String(String),
    Integer(i64),
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
        }
    }

    fn json(&self) -> Value {
        match self {
            OptionValue::String(s) => json!(s),
            OptionValue::Integer(i) => json!(i),
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

pub(super) fn check_options(
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
pub(super) fn encode_options(
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

pub(super) fn contains_option(given: &[Opt], name: &str) -> bool {
    given.iter().any(|o| {
        matches!(o, Opt::Value { name: n, .. } if n == name) || contains_option(o.children(), name)
    })
}

/// Finds the schema entry of the focused option along the given path.
pub(super) fn focused_schema(schema: &Value, given: &[Opt], focused: &str) -> Option<Value> {
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
