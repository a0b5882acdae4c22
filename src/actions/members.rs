//! `MemberLookup`: who a Discord member is (name, roles, admin) when a front end names them
//! only by id, as the dashboard IPC does. The Discord front end answers from its cache and
//! Discord's API; without it, lookups are refused in plain words.

use std::future::Future;
use std::pin::Pin;

use super::{ActionError, Member};

/// A member lookup in flight: `Ok(None)` when the user is not in the guild.
pub type MemberFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Member>, ActionError>> + Send + 'a>>;

/// Finds a guild member by user id, with what capability checks need.
pub trait MemberLookup: Send + Sync {
    /// The member `user` of `guild`, or `None` when they are not in it.
    fn member(&self, guild: u64, user: u64) -> MemberFuture<'_>;
}

/// A role change in flight: `Err` says, in plain words, why Discord refused it.
pub type RoleFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Gives and takes away a member's Discord role (the on-shift role).
pub trait MemberRoles: Send + Sync + std::fmt::Debug {
    /// Give `role` to `user` of `guild` (`give`), or take it away.
    fn set_role(&self, guild: u64, user: u64, role: u64, give: bool) -> RoleFuture<'_>;
}

/// The lookup of a bot running without Discord (headless): every lookup is refused, since
/// nobody's roles can be known.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDiscordMembers;

impl MemberLookup for NoDiscordMembers {
    fn member(&self, _guild: u64, _user: u64) -> MemberFuture<'_> {
        Box::pin(async {
            Err(ActionError::MemberLookup(
                "member lookup needs the Discord connection, and this bot runs without one".into(),
            ))
        })
    }
}

impl MemberRoles for NoDiscordMembers {
    fn set_role(&self, _guild: u64, _user: u64, _role: u64, _give: bool) -> RoleFuture<'_> {
        Box::pin(async {
            Err("roles need the Discord connection, and this bot runs without one".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_discord_a_lookup_is_refused_in_plain_words() {
        let refused = NoDiscordMembers.member(1, 2).await.unwrap_err();
        assert!(
            refused
                .user_message()
                .contains("needs the Discord connection"),
            "{}",
            refused.user_message()
        );
        assert!(!refused.is_user_error());
        let role = NoDiscordMembers.set_role(1, 2, 3, true).await.unwrap_err();
        assert!(role.contains("need the Discord connection"), "{role}");
    }
}
