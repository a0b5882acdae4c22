//! Who a member is, by id, for front ends that name members only by id (the dashboard IPC).
//! The member comes from Discord's API (Get Guild Member needs no privileged intent), not from
//! serenity's cache: with the GUILDS intent alone no member update ever arrives, so a cached
//! member keeps the roles it had when the guild was first seen, and a member who lost a role
//! must lose its capabilities at once. The guild (roles, owner) comes from the cache, which
//! GUILDS keeps current; admin is computed from it as Discord does for an interaction.

use std::num::NonZeroU64;
use std::sync::Arc;

use poise::serenity_prelude as serenity;

use crate::actions::{ActionError, Member, MemberFuture, MemberLookup, MemberRoles, RoleFuture};

/// Member lookups through the bot's Discord client.
pub struct DiscordMembers {
    http: Arc<serenity::Http>,
    cache: Arc<serenity::Cache>,
}

impl std::fmt::Debug for DiscordMembers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordMembers").finish_non_exhaustive()
    }
}

impl DiscordMembers {
    /// Lookups through this client's HTTP and cache.
    pub fn new(http: Arc<serenity::Http>, cache: Arc<serenity::Cache>) -> Self {
        Self { http, cache }
    }

    async fn lookup(&self, guild: u64, user: u64) -> Result<Option<Member>, ActionError> {
        // Ids are outside data: 0 names nobody (and serenity's ids may not be 0).
        let (Some(guild), Some(user)) = (NonZeroU64::new(guild), NonZeroU64::new(user)) else {
            return Ok(None);
        };
        let (guild, user) = (serenity::GuildId::from(guild), serenity::UserId::from(user));
        if self.cache.guild(guild).is_none() {
            if self.cache.unavailable_guilds().get(&guild).is_some() {
                // Named in READY but its GUILD_CREATE not yet seen (just after a start or a
                // reconnect): the member may well be there, so "not a member" would be wrong.
                return Err(ActionError::MemberLookup(
                    "Discord has not sent this server to the bot yet; try again in a moment".into(),
                ));
            }
            // The bot is not in that guild: nobody there can be known.
            return Ok(None);
        }
        let fetched = match self.http.get_member(guild, user).await {
            Ok(member) => member,
            Err(serenity::Error::Http(e)) if e.status_code().is_some_and(|s| s == 404) => {
                return Ok(None);
            }
            Err(e) => {
                tracing::warn!(guild = %guild, user = %user, error = %e, "member lookup failed");
                return Err(ActionError::MemberLookup(
                    "Discord did not answer the member lookup; try again".into(),
                ));
            }
        };
        Ok(self
            .cache
            .guild(guild)
            .map(|guild| member_of(&guild, &fetched)))
    }
}

impl MemberLookup for DiscordMembers {
    fn member(&self, guild: u64, user: u64) -> MemberFuture<'_> {
        Box::pin(self.lookup(guild, user))
    }
}

impl DiscordMembers {
    async fn change_role(
        &self,
        guild: u64,
        user: u64,
        role: u64,
        give: bool,
    ) -> Result<(), String> {
        let (Some(guild), Some(user), Some(role)) = (
            NonZeroU64::new(guild),
            NonZeroU64::new(user),
            NonZeroU64::new(role),
        ) else {
            return Err("no such member or role".into());
        };
        let (guild, user, role) = (
            serenity::GuildId::from(guild),
            serenity::UserId::from(user),
            serenity::RoleId::from(role),
        );
        let reason = Some(if give {
            "went on shift"
        } else {
            "went off shift"
        });
        let done = if give {
            self.http.add_member_role(guild, user, role, reason).await
        } else {
            self.http
                .remove_member_role(guild, user, role, reason)
                .await
        };
        done.map_err(|e| match e {
            serenity::Error::Http(e) if e.status_code().is_some_and(|s| s == 403) => {
                "Discord refused: the bot lacks Manage Roles, or the role is above the bot's".into()
            }
            serenity::Error::Http(e) if e.status_code().is_some_and(|s| s == 404) => {
                "Discord knows no such member or role (was the role deleted?)".into()
            }
            other => {
                tracing::warn!(error = %other, "on-shift role change failed");
                "Discord did not answer the role change".into()
            }
        })
    }
}

impl MemberRoles for DiscordMembers {
    fn set_role(&self, guild: u64, user: u64, role: u64, give: bool) -> RoleFuture<'_> {
        Box::pin(self.change_role(guild, user, role, give))
    }
}

/// The member as the services see them; admin as in [`super::actor::from_member`]: owner,
/// Administrator or Manage Server.
fn member_of(guild: &serenity::Guild, member: &serenity::Member) -> Member {
    let permissions = guild.member_permissions(member);
    Member {
        discord_id: member.user.id.get(),
        name: member.display_name().to_owned(),
        roles: member.roles.iter().map(|r| r.get()).collect(),
        is_admin: permissions.administrator() || permissions.manage_guild(),
    }
}
