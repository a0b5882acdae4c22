//! REST routes for plain resources: gateway discovery, the application and bot user, guild
//! reads, members' roles, channels, channel messages and DM channels.

use serde_json::json;

use super::payloads;
use super::rest::{ApiRequest, Reply, check_message, message_reply};
use super::state::{RoleSpec, perms, snowflake_of};
use super::world::World;

/// `None` means the fake does not know the route.
pub fn route(world: &mut World, request: &ApiRequest, segments: &[&str]) -> Option<Reply> {
    if let (method @ ("PUT" | "DELETE"), ["guilds", guild, "members", user, "roles", role]) =
        (request.method.as_str(), segments)
    {
        return Some(member_role(world, method == "PUT", guild, user, role));
    }
    let config = &world.config;
    let reply = match (request.method.as_str(), segments) {
        ("GET", ["gateway"]) => Reply::json(json!({ "url": world.gateway_url })),
        ("GET", ["gateway", "bot"]) => Reply::json(json!({
            "url": world.gateway_url, "shards": 1,
            "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1 }
        })),
        ("GET", ["oauth2", "applications", "@me"]) => Reply::json(payloads::application(config)),
        ("GET", ["users", "@me"]) => Reply::json(payloads::current_user(config)),
        ("POST", ["users", "@me", "channels"]) => open_dm(world, request),
        ("GET", ["guilds", guild, rest @ ..]) => guild_read(world, guild, rest)?,
        ("GET", ["channels", channel]) => channel_read(world, channel),
        ("POST", ["channels", channel, "messages"]) => create_message(world, channel, request),
        (method, ["channels", channel, "messages", message]) => {
            channel_message(world, method, channel, message, request)?
        }
        _ => return None,
    };
    Some(reply)
}

fn guild_read(world: &World, guild: &str, rest: &[&str]) -> Option<Reply> {
    let spec = &world.config.guild;
    if guild != spec.id.to_string() {
        return Some(Reply::not_found(10004, "Unknown Guild"));
    }
    let reply = match rest {
        [] => Reply::json(payloads::guild(spec)),
        ["roles"] => Reply::json(json!(payloads::roles(spec))),
        ["channels"] => {
            let channels: Vec<_> = spec
                .channels
                .iter()
                .map(|c| payloads::channel(spec, c))
                .collect();
            Reply::json(json!(channels))
        }
        ["members", user] => match user.parse().ok().and_then(|u| spec.member(u)) {
            Some(member) => Reply::json(payloads::member(spec, member)),
            None => Reply::not_found(10007, "Unknown Member"),
        },
        _ => return None,
    };
    Some(reply)
}

/// Give (`PUT`) or take (`DELETE`) a member's role as Discord does: the bot needs Manage
/// Roles (or Administrator) and the role must sit below the bot's highest role.
fn member_role(world: &mut World, give: bool, guild: &str, user: &str, role: &str) -> Reply {
    let spec = &mut world.config.guild;
    if guild != spec.id.to_string() {
        return Reply::not_found(10004, "Unknown Guild");
    }
    let Some(role) = role.parse().ok().and_then(|r| spec.role(r)).cloned() else {
        return Reply::not_found(10011, "Unknown Role");
    };
    let bot_roles: Vec<&RoleSpec> = spec
        .members
        .iter()
        .filter(|m| m.bot)
        .flat_map(|m| m.roles.iter().filter_map(|r| spec.role(*r)))
        .collect();
    let bot_permissions = bot_roles
        .iter()
        .fold(spec.everyone_permissions, |p, r| p | r.permissions);
    let highest = bot_roles.iter().map(|r| r.position).max().unwrap_or(0);
    let allowed = bot_permissions & (perms::MANAGE_ROLES | perms::ADMINISTRATOR) != 0;
    if !allowed || role.position >= highest {
        return Reply::error(
            403,
            json!({ "code": 50013, "message": "Missing Permissions" }),
        );
    }
    let user: Option<u64> = user.parse().ok();
    let Some(member) = spec.members.iter_mut().find(|m| Some(m.user_id) == user) else {
        return Reply::not_found(10007, "Unknown Member");
    };
    member.roles.retain(|r| *r != role.id);
    if give {
        member.roles.push(role.id);
    }
    Reply::no_content()
}

fn channel_read(world: &World, channel: &str) -> Reply {
    let id: Option<u64> = channel.parse().ok();
    let spec = &world.config.guild;
    if let Some(found) = id.and_then(|c| spec.channel(c)) {
        return Reply::json(payloads::channel(spec, found));
    }
    match id.and_then(|c| world.dm_channels.get(&c).map(|user| (c, *user))) {
        Some((c, user)) => Reply::json(payloads::dm_channel(&world.config, c, user)),
        None => Reply::not_found(10003, "Unknown Channel"),
    }
}

fn open_dm(world: &mut World, request: &ApiRequest) -> Reply {
    let Some(user) = snowflake_of(&request.body["recipient_id"]) else {
        return Reply::error(
            400,
            super::checks::form_error("recipient_id", "required snowflake"),
        );
    };
    let existing = world
        .dm_channels
        .iter()
        .find(|(_, u)| **u == user)
        .map(|(c, _)| *c);
    let channel = match existing {
        Some(channel) => channel,
        None => {
            let channel = world.snowflake();
            world.dm_channels.insert(channel, user);
            channel
        }
    };
    Reply::json(payloads::dm_channel(&world.config, channel, user))
}

fn create_message(world: &mut World, channel: &str, request: &ApiRequest) -> Reply {
    let Some(channel) = channel.parse().ok().filter(|c| world.channel_exists(*c)) else {
        return Reply::not_found(10003, "Unknown Channel");
    };
    if let Some(reply) = check_message(
        world,
        &format!("message to channel {channel}"),
        &request.body,
    ) {
        return reply;
    }
    if let Some(existing) = nonce_match(world, channel, &request.body) {
        return message_reply(world, existing);
    }
    let id = world.create_message(channel, &request.body, &request.files, None);
    message_reply(world, id)
}

/// Discord's duplicate check: with `enforce_nonce`, a create whose nonce matches a message
/// already in the channel returns that message instead of posting again.
fn nonce_match(world: &World, channel: u64, body: &serde_json::Value) -> Option<u64> {
    if body["enforce_nonce"] != true {
        return None;
    }
    let nonce = body.get("nonce").filter(|n| !n.is_null())?;
    world
        .messages
        .get(&channel)?
        .iter()
        .find(|m| m.nonce.as_ref() == Some(nonce))
        .map(|m| m.id)
}

fn channel_message(
    world: &mut World,
    method: &str,
    channel: &str,
    message: &str,
    request: &ApiRequest,
) -> Option<Reply> {
    let (Some(channel), Some(message)) = (channel.parse::<u64>().ok(), message.parse::<u64>().ok())
    else {
        return Some(Reply::not_found(10008, "Unknown Message"));
    };
    if world.message_mut(channel, message).is_none() {
        return Some(Reply::not_found(10008, "Unknown Message"));
    }
    let reply = match method {
        "GET" => message_reply(world, message),
        "DELETE" => {
            world.remove_message(channel, message);
            Reply::no_content()
        }
        "PATCH" => {
            let what = format!("edit of message {message}");
            if let Some(reply) = check_message(world, &what, &request.body) {
                return Some(reply);
            }
            let attachments = world.attachments_for(&request.files);
            if let Some(msg) = world.message_mut(channel, message) {
                msg.apply(&request.body, attachments);
                msg.edit_count += 1;
            }
            message_reply(world, message)
        }
        _ => return None,
    };
    Some(reply)
}
