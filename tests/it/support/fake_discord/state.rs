//! The fake Discord's configurable world: the guild (roles, members, channels) a test starts
//! with, and the stored things the bot creates (messages, DM channels, uploads).

use serde_json::Value;

/// Default snowflakes. Tests may use them directly or build their own [`GuildSpec`].
pub mod ids {
    pub const APPLICATION: u64 = 900_000_000_000_000_001;
    /// Discord gives a bot user the same id as its application.
    pub const BOT_USER: u64 = APPLICATION;
    pub const GUILD: u64 = 800_000_000_000_000_001;
    pub const GENERAL_CHANNEL: u64 = 700_000_000_000_000_001;
    pub const LOG_CHANNEL: u64 = 700_000_000_000_000_002;
    pub const OWNER: u64 = 600_000_000_000_000_001;
    pub const MODERATOR: u64 = 600_000_000_000_000_002;
    pub const MEMBER: u64 = 600_000_000_000_000_003;
    pub const MODERATOR_ROLE: u64 = 810_000_000_000_000_001;
    pub const ADMIN_ROLE: u64 = 810_000_000_000_000_002;
    pub const BOT_ROLE: u64 = 810_000_000_000_000_003;
}

/// Discord permission bits used by the default guild (values from Discord's docs).
pub mod perms {
    pub const KICK_MEMBERS: u64 = 1 << 1;
    pub const BAN_MEMBERS: u64 = 1 << 2;
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    pub const MODERATE_MEMBERS: u64 = 1 << 40;
    /// What Discord reports for the owner and for ADMINISTRATOR: every defined bit.
    pub const ALL: u64 = (1 << 51) - 1;
    pub const EVERYONE_DEFAULT: u64 =
        VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS;
}

#[derive(Clone, Debug)]
pub struct RoleSpec {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
    pub position: u16,
}

#[derive(Clone, Debug)]
pub struct MemberSpec {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<u64>,
    pub bot: bool,
}

#[derive(Clone, Debug)]
pub struct ChannelSpec {
    pub id: u64,
    pub name: String,
}

/// The one guild the fake serves. `Default` gives an owner, a moderator, a plain member, the
/// bot, a Moderator/Admin/bot role and the channels `general` and `mod-log`.
#[derive(Clone, Debug)]
pub struct GuildSpec {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    /// Permissions of the @everyone role (whose id equals the guild id).
    pub everyone_permissions: u64,
    pub roles: Vec<RoleSpec>,
    pub members: Vec<MemberSpec>,
    pub channels: Vec<ChannelSpec>,
}

impl Default for GuildSpec {
    fn default() -> Self {
        GuildSpec {
            id: ids::GUILD,
            name: "ER:LC Test Server".into(),
            owner_id: ids::OWNER,
            everyone_permissions: perms::EVERYONE_DEFAULT,
            roles: Vec::new(),
            members: Vec::new(),
            channels: Vec::new(),
        }
        .with_role(
            ids::MODERATOR_ROLE,
            "Moderator",
            perms::KICK_MEMBERS | perms::BAN_MEMBERS | perms::MODERATE_MEMBERS,
        )
        .with_role(ids::ADMIN_ROLE, "Admin", perms::ADMINISTRATOR)
        .with_role(
            ids::BOT_ROLE,
            "erlc-bot",
            perms::SEND_MESSAGES | perms::EMBED_LINKS | perms::ATTACH_FILES | perms::KICK_MEMBERS,
        )
        .with_member(ids::OWNER, "owner", &[])
        .with_member(ids::MODERATOR, "modperson", &[ids::MODERATOR_ROLE])
        .with_member(ids::MEMBER, "regular", &[])
        .with_bot_member(ids::BOT_USER, "erlc-bot", &[ids::BOT_ROLE])
        .with_channel(ids::GENERAL_CHANNEL, "general")
        .with_channel(ids::LOG_CHANNEL, "mod-log")
    }
}

impl GuildSpec {
    pub fn with_role(mut self, id: u64, name: &str, permissions: u64) -> Self {
        let position = u16::try_from(self.roles.len() + 1).unwrap_or(u16::MAX);
        self.roles.push(RoleSpec {
            id,
            name: name.into(),
            permissions,
            position,
        });
        self
    }

    pub fn with_member(mut self, user_id: u64, name: &str, roles: &[u64]) -> Self {
        let roles = roles.to_vec();
        self.members.push(MemberSpec {
            user_id,
            name: name.into(),
            roles,
            bot: false,
        });
        self
    }

    pub fn with_bot_member(mut self, user_id: u64, name: &str, roles: &[u64]) -> Self {
        let roles = roles.to_vec();
        self.members.push(MemberSpec {
            user_id,
            name: name.into(),
            roles,
            bot: true,
        });
        self
    }

    pub fn with_channel(mut self, id: u64, name: &str) -> Self {
        self.channels.push(ChannelSpec {
            id,
            name: name.into(),
        });
        self
    }

    pub fn member(&self, user_id: u64) -> Option<&MemberSpec> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    pub fn role(&self, role_id: u64) -> Option<&RoleSpec> {
        self.roles.iter().find(|r| r.id == role_id)
    }

    pub fn channel(&self, channel_id: u64) -> Option<&ChannelSpec> {
        self.channels.iter().find(|c| c.id == channel_id)
    }

    /// Guild-level permissions the way Discord computes them (no channel overwrites exist in
    /// the fake): the owner and ADMINISTRATOR get everything, others the union of their roles.
    pub fn permissions_of(&self, user_id: u64) -> u64 {
        if user_id == self.owner_id {
            return perms::ALL;
        }
        let mut bits = self.everyone_permissions;
        if let Some(member) = self.member(user_id) {
            for role in member.roles.iter().filter_map(|r| self.role(*r)) {
                bits |= role.permissions;
            }
        }
        if bits & perms::ADMINISTRATOR != 0 {
            perms::ALL
        } else {
            bits
        }
    }
}

/// Everything a test may change before starting the fake.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The bot token the fake accepts (REST `Authorization: Bot <token>`, gateway IDENTIFY).
    pub token: String,
    pub application_id: u64,
    pub bot_name: String,
    pub guild: GuildSpec,
    /// Who invokes interactions unless a builder says `.as_member(..)`.
    pub default_user: u64,
    /// Where interactions happen unless a builder says `.in_channel(..)`.
    pub default_channel: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            token: "fake-token".into(),
            application_id: ids::APPLICATION,
            bot_name: "erlc-bot".into(),
            guild: GuildSpec::default(),
            default_user: ids::MODERATOR,
            default_channel: ids::GENERAL_CHANNEL,
        }
    }
}

/// A file part of a multipart request (`files[n]`), kept byte for byte.
#[derive(Clone, Debug, PartialEq)]
pub struct Upload {
    /// The form field name, e.g. `files[0]`.
    pub field: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A file attached to a stored message.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAttachment {
    pub id: u64,
    pub file: Upload,
}

/// A message as the fake stores it: what the bot sent, field by field.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    /// Exactly as received; `None` when the bot did not send the field.
    pub allowed_mentions: Option<Value>,
    pub nonce: Option<Value>,
    pub flags: u64,
    pub attachments: Vec<StoredAttachment>,
    /// Set for interaction responses and follow-ups.
    pub interaction_id: Option<u64>,
    /// Set when the message came through the interaction webhook.
    pub webhook_id: Option<u64>,
    pub edit_count: u32,
}

/// Message flag bits the fake interprets.
pub mod message_flags {
    pub const EPHEMERAL: u64 = 1 << 6;
    /// "The bot is thinking": the placeholder left by a deferred response.
    pub const LOADING: u64 = 1 << 7;
}

impl StoredMessage {
    pub fn is_ephemeral(&self) -> bool {
        self.flags & message_flags::EPHEMERAL != 0
    }

    /// The first embed's `title`, or "" (a convenience for assertions).
    pub fn embed_title(&self) -> &str {
        self.embeds
            .first()
            .and_then(|e| e["title"].as_str())
            .unwrap_or("")
    }

    /// Every `custom_id` in the message's components, in order.
    pub fn custom_ids(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.components {
            for component in row["components"].as_array().into_iter().flatten() {
                if let Some(id) = component["custom_id"].as_str() {
                    out.push(id.to_string());
                }
            }
        }
        out
    }

    /// Applies a create or edit body: only the keys present change (Discord's PATCH rules).
    pub(crate) fn apply(&mut self, body: &Value, new_files: Vec<StoredAttachment>) {
        if let Some(content) = body.get("content") {
            self.content = content.as_str().unwrap_or_default().to_string();
        }
        if let Some(embeds) = body.get("embeds") {
            self.embeds = embeds.as_array().cloned().unwrap_or_default();
        }
        if let Some(components) = body.get("components") {
            self.components = components.as_array().cloned().unwrap_or_default();
        }
        if let Some(allowed) = body.get("allowed_mentions") {
            self.allowed_mentions = Some(allowed.clone());
        }
        if let Some(nonce) = body.get("nonce") {
            self.nonce = Some(nonce.clone());
        }
        if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
            self.flags = (self.flags & message_flags::EPHEMERAL) | flags;
        }
        if let Some(kept) = body.get("attachments").and_then(Value::as_array) {
            let kept_ids: Vec<u64> = kept.iter().filter_map(snowflake_of).collect();
            self.attachments.retain(|a| kept_ids.contains(&a.id));
        }
        self.attachments.extend(new_files);
    }
}

/// Reads a snowflake written as a JSON string or number.
pub fn snowflake_of(value: &Value) -> Option<u64> {
    let id = value.get("id").unwrap_or(value);
    match id {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}
