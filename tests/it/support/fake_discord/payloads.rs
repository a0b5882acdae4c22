//! JSON encoders for Discord objects, written by hand with the field sets serenity 0.12.5
//! requires (the fake never uses serenity's types, so it catches decoding mistakes).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::state::{ChannelSpec, FakeConfig, GuildSpec, MemberSpec, RoleSpec, StoredMessage};

const JOINED_AT: &str = "2024-01-01T00:00:00.000000+00:00";
/// Discord's default upload limit, sent in every interaction (serenity requires the field).
pub const ATTACHMENT_SIZE_LIMIT: u64 = 26_214_400;

/// Now, as Discord formats timestamps (RFC 3339, UTC, microseconds).
pub fn timestamp_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(), "username": name, "discriminator": "0", "global_name": name,
        "avatar": null, "bot": bot, "public_flags": 0
    })
}

/// A user by id: guild members by their spec, the bot by its config, anyone else generically.
pub fn user_by_id(config: &FakeConfig, id: u64) -> Value {
    match config.guild.member(id) {
        Some(member) => user(id, &member.name, member.bot),
        None if id == config.application_id => user(id, &config.bot_name, true),
        None => user(id, &format!("user-{id}"), false),
    }
}

pub fn role(guild: &GuildSpec, role: &RoleSpec) -> Value {
    json!({
        "id": role.id.to_string(), "name": role.name, "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false, "icon": null, "unicode_emoji": null, "position": role.position,
        "permissions": role.permissions.to_string(), "managed": false, "mentionable": false,
        "flags": 0, "guild_id": guild.id.to_string()
    })
}

/// All roles, with @everyone (id = guild id) first as Discord sends it.
pub fn roles(guild: &GuildSpec) -> Vec<Value> {
    let everyone = RoleSpec {
        id: guild.id,
        name: "@everyone".into(),
        permissions: guild.everyone_permissions,
        position: 0,
    };
    std::iter::once(&everyone)
        .chain(&guild.roles)
        .map(|r| role(guild, r))
        .collect()
}

pub fn member(guild: &GuildSpec, spec: &MemberSpec) -> Value {
    let roles: Vec<String> = spec.roles.iter().map(u64::to_string).collect();
    json!({
        "user": user(spec.user_id, &spec.name, spec.bot), "nick": null, "avatar": null,
        "banner": null, "roles": roles, "joined_at": JOINED_AT, "premium_since": null,
        "deaf": false, "mute": false, "flags": 0, "pending": false,
        "communication_disabled_until": null, "guild_id": guild.id.to_string()
    })
}

/// The member object inside an interaction: with the computed `permissions` string.
pub fn interaction_member(guild: &GuildSpec, spec: &MemberSpec) -> Value {
    let mut value = member(guild, spec);
    value["permissions"] = json!(guild.permissions_of(spec.user_id).to_string());
    value
}

pub fn channel(guild: &GuildSpec, spec: &ChannelSpec) -> Value {
    let position = guild
        .channels
        .iter()
        .position(|c| c.id == spec.id)
        .unwrap_or(0);
    json!({
        "id": spec.id.to_string(), "type": 0, "guild_id": guild.id.to_string(),
        "name": spec.name, "position": position, "permission_overwrites": [], "nsfw": false,
        "topic": null, "last_message_id": null, "parent_id": null, "rate_limit_per_user": 0,
        "flags": 0
    })
}

pub fn dm_channel(config: &FakeConfig, channel_id: u64, user_id: u64) -> Value {
    json!({
        "id": channel_id.to_string(), "type": 1, "last_message_id": null, "flags": 0,
        "recipients": [user_by_id(config, user_id)]
    })
}

/// The guild as `GET /guilds/{id}` returns it.
pub fn guild(guild: &GuildSpec) -> Value {
    json!({
        "id": guild.id.to_string(), "name": guild.name, "icon": null, "icon_hash": null,
        "splash": null, "discovery_splash": null, "owner_id": guild.owner_id.to_string(),
        "afk_channel_id": null, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": roles(guild), "emojis": [], "features": [], "mfa_level": 0,
        "application_id": null, "system_channel_id": null, "system_channel_flags": 0,
        "rules_channel_id": null, "vanity_url_code": null, "description": null, "banner": null,
        "premium_tier": 0, "preferred_locale": "en-US", "public_updates_channel_id": null,
        "nsfw_level": 0, "stickers": [], "premium_progress_bar_enabled": false,
        "max_members": 500_000, "widget_enabled": false, "widget_channel_id": null,
        "safety_alerts_channel_id": null
    })
}

/// The GUILD_CREATE dispatch body: the guild plus members, channels and the gateway extras.
pub fn guild_create(spec: &GuildSpec) -> Value {
    let mut value = guild(spec);
    let members: Vec<Value> = spec.members.iter().map(|m| member(spec, m)).collect();
    let channels: Vec<Value> = spec.channels.iter().map(|c| channel(spec, c)).collect();
    let extra = json!({
        "joined_at": JOINED_AT, "large": false, "unavailable": false,
        "member_count": spec.members.len(), "voice_states": [], "members": members,
        "channels": channels, "threads": [], "presences": [], "stage_instances": [],
        "guild_scheduled_events": [], "soundboard_sounds": []
    });
    if let (Some(target), Value::Object(more)) = (value.as_object_mut(), extra) {
        target.extend(more);
    }
    value
}

pub fn message(config: &FakeConfig, msg: &StoredMessage) -> Value {
    let attachments: Vec<Value> = msg
        .attachments
        .iter()
        .map(|a| {
            let url = format!(
                "https://cdn.fake.invalid/attachments/{}/{}",
                a.id, a.file.filename
            );
            json!({
                "id": a.id.to_string(), "filename": a.file.filename, "size": a.file.bytes.len(),
                "url": url, "proxy_url": url, "content_type": a.file.content_type
            })
        })
        .collect();
    let mut value = json!({
        "id": msg.id.to_string(), "channel_id": msg.channel_id.to_string(),
        "author": user_by_id(config, msg.author_id), "content": msg.content,
        "timestamp": timestamp_now(), "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "mention_channels": [],
        "attachments": attachments, "embeds": msg.embeds, "reactions": [], "pinned": false,
        "type": 0, "flags": msg.flags, "components": msg.components
    });
    if msg.edit_count > 0 {
        value["edited_timestamp"] = json!(timestamp_now());
    }
    if let Some(nonce) = &msg.nonce {
        value["nonce"] = nonce.clone();
    }
    if let Some(webhook) = msg.webhook_id {
        value["webhook_id"] = json!(webhook.to_string());
        value["application_id"] = json!(config.application_id.to_string());
        value["type"] = json!(if msg.interaction_id.is_some() { 20 } else { 0 });
    }
    value
}

pub fn application(config: &FakeConfig) -> Value {
    json!({
        "id": config.application_id.to_string(), "name": config.bot_name, "icon": null,
        "description": "", "bot_public": true, "bot_require_code_grant": false,
        "owner": user_by_id(config, config.guild.owner_id), "verify_key": "00", "team": null,
        "flags": 0
    })
}

pub fn current_user(config: &FakeConfig) -> Value {
    let mut value = user(config.application_id, &config.bot_name, true);
    value["verified"] = json!(true);
    value["mfa_enabled"] = json!(false);
    value
}

pub fn ready(config: &FakeConfig, session_id: &str, resume_url: &str) -> Value {
    json!({
        "v": 10, "user": current_user(config),
        "guilds": [{ "id": config.guild.id.to_string(), "unavailable": true }],
        "session_id": session_id, "resume_gateway_url": resume_url, "shard": [0, 1],
        "application": { "id": config.application_id.to_string(), "flags": 0 }
    })
}
