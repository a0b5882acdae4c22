//! Application command registration (bulk overwrite, global and guild) with the schema rules
//! Discord enforces, and lookup of registered commands for the interaction builders.

use serde_json::{Value, json};

use super::checks::{ViolationKind, discord_error, form_error};
use super::rest::Reply;
use super::world::World;

/// `PUT /applications/{app}/commands` and `PUT /applications/{app}/guilds/{guild}/commands`.
pub fn register(world: &mut World, app: &str, guild: Option<&str>, body: &Value) -> Reply {
    if app != world.config.application_id.to_string() {
        return Reply::not_found(10002, "Unknown Application");
    }
    if guild.is_some_and(|g| g != world.config.guild.id.to_string()) {
        return Reply::error(403, discord_error(50001, "Missing Access"));
    }
    let Some(commands) = body.as_array() else {
        world.violation(
            ViolationKind::InvalidBody,
            "command registration body is not an array",
        );
        return Reply::error(400, form_error("_root", "expected an array of commands"));
    };
    let problems: Vec<String> = commands.iter().flat_map(command_problems).collect();
    if let Some(first) = problems.first().cloned() {
        for problem in problems {
            world.violation(ViolationKind::InvalidCommand, problem);
        }
        return Reply::error(400, form_error("commands", &first));
    }
    let stored: Vec<Value> = commands
        .iter()
        .map(|c| store_command(world, guild.is_some(), c))
        .collect();
    if guild.is_some() {
        world.guild_commands = stored.clone();
    } else {
        world.global_commands = stored.clone();
    }
    world.registrations += 1;
    Reply::json(Value::Array(stored))
}

/// The command as Discord echoes it: with id, application_id, version and defaults filled in.
fn store_command(world: &mut World, in_guild: bool, command: &Value) -> Value {
    let name = command["name"].as_str().unwrap_or_default().to_string();
    let key = (in_guild, name);
    let id = match world.command_ids.get(&key) {
        Some(id) => *id,
        None => {
            let id = world.snowflake();
            world.command_ids.insert(key, id);
            id
        }
    };
    let version = world.snowflake();
    let mut stored = command.clone();
    stored["id"] = json!(id.to_string());
    stored["application_id"] = json!(world.config.application_id.to_string());
    stored["version"] = json!(version.to_string());
    if stored["type"].is_null() {
        stored["type"] = json!(1);
    }
    if stored["description"].is_null() {
        stored["description"] = json!("");
    }
    if in_guild {
        stored["guild_id"] = json!(world.config.guild.id.to_string());
    }
    stored
}

/// The registered command by name: guild commands first, then global ones.
pub fn find(world: &World, name: &str) -> Option<Value> {
    let all = world.guild_commands.iter().chain(&world.global_commands);
    all.filter(|c| c["type"].as_u64().unwrap_or(1) == 1)
        .find(|c| c["name"] == name)
        .cloned()
}

fn name_ok(name: &str) -> bool {
    let len = name.chars().count();
    (1..=32).contains(&len)
        && name
            .chars()
            .all(|c| (c.is_alphanumeric() || matches!(c, '-' | '_' | '\'')) && !c.is_uppercase())
}

fn description_ok(description: &str) -> bool {
    (1..=100).contains(&description.chars().count())
}

fn command_problems(command: &Value) -> Vec<String> {
    let name = command["name"].as_str().unwrap_or_default();
    let kind = command["type"].as_u64().unwrap_or(1);
    let mut problems = Vec::new();
    if kind == 1 {
        if !name_ok(name) {
            problems.push(format!(
                "command name {name:?} must be 1-32 lowercase letters, digits, - or _"
            ));
        }
        if !description_ok(command["description"].as_str().unwrap_or_default()) {
            problems.push(format!(
                "command {name:?} needs a description of 1-100 characters"
            ));
        }
        problems.extend(option_problems(name, &command["options"]));
    } else if name.is_empty() || name.chars().count() > 32 {
        problems.push(format!(
            "context menu name {name:?} must be 1-32 characters"
        ));
    }
    problems
}

fn option_problems(path: &str, options: &Value) -> Vec<String> {
    let options = options.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut problems = Vec::new();
    if options.len() > 25 {
        problems.push(format!("{path}: {} options (max 25)", options.len()));
    }
    let mut seen_optional = false;
    for option in options {
        let name = option["name"].as_str().unwrap_or_default();
        let here = format!("{path} {name}");
        if !name_ok(name) {
            problems.push(format!(
                "{here}: option name must be 1-32 lowercase letters, digits, - or _"
            ));
        }
        if !description_ok(option["description"].as_str().unwrap_or_default()) {
            problems.push(format!(
                "{here}: option needs a description of 1-100 characters"
            ));
        }
        if option["choices"].as_array().is_some_and(|c| c.len() > 25) {
            problems.push(format!("{here}: more than 25 choices"));
        }
        let kind = option["type"].as_u64().unwrap_or(0);
        if matches!(kind, 1 | 2) {
            problems.extend(option_problems(&here, &option["options"]));
            continue;
        }
        let required = option["required"].as_bool().unwrap_or(false);
        if required && seen_optional {
            problems.push(format!(
                "{here}: required options must come before optional ones"
            ));
        }
        seen_optional |= !required;
    }
    problems
}
