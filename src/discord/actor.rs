//! Who is acting: the Discord member behind a command or a click, as the services see them.

use poise::serenity_prelude as serenity;

use crate::actions::Member;

/// The member's id, display name, roles and whether Discord says they administer the guild
/// (owner, Administrator or Manage Server: interaction payloads carry the computed bits).
pub fn from_member(member: &serenity::Member) -> Member {
    let is_admin = member
        .permissions
        .is_some_and(|p| p.administrator() || p.manage_guild());
    Member {
        discord_id: member.user.id.get(),
        name: member.display_name().to_owned(),
        roles: member.roles.iter().map(|r| r.get()).collect(),
        is_admin,
    }
}

/// The actor behind an interaction; `None` outside a guild.
pub fn from_interaction_member(member: Option<&serenity::Member>) -> Option<Member> {
    member.map(from_member)
}
