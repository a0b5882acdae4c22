//! Linking Roblox and Discord accounts: `/link` gives a member a one-time code, typed in game
//! (`;verify CODE`, or `:log verify CODE` by staff) to prove the Roblox account is theirs;
//! `/unlink`; `/whois` in both directions (`view`); admins link and unlink by hand (`manage`).
//! Every change is audited; a refusal says what to do instead.

use std::time::Duration;

use serde_json::json;

use crate::store::{
    AccountLink, Capability, EventMark, LinkError, LinkRefusal, Linked, LinkedBy, Source, Store,
};

use super::audit_trail::AuditDraft;
use super::{ActionError, AuditAction, Member, Services};

/// How long a `/link` code works.
pub const LINK_CODE_TTL: Duration = Duration::from_secs(10 * 60);

/// A code made by `/link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStart {
    /// What to type in game.
    pub code: String,
    /// Unix ms from which it no longer works.
    pub expires_at_ms: i64,
}

/// Who `/whois` asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhoisQuery {
    /// A Roblox user id, or a Roblox username as linked (any case).
    Player(String),
    /// A Discord member.
    Member(u64),
}

impl From<LinkError> for ActionError {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::Refused(refusal) => refusal.into(),
            LinkError::Store(e) => e.into(),
        }
    }
}

impl From<LinkRefusal> for ActionError {
    fn from(refusal: LinkRefusal) -> Self {
        let text = match &refusal {
            LinkRefusal::RobloxTaken { discord_id } => format!(
                "That Roblox account is already linked to <@{discord_id}>. They can /unlink it, \
                 or an admin can use `/links remove`."
            ),
            other => format!("{}.", capitalised(&other.to_string())),
        };
        ActionError::InvalidInput(text)
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Redeem a code typed in game by the player `(roblox id, name)` on `server` of `guild`:
/// link them to the member who asked for the code, and flush. `event` names the stored
/// event that carried the code (for a consumer that may replay it after a crash). The
/// in-game front ends (the `;verify` router, the command-log consumer) audit around it and
/// answer a refusal in game with its own words.
pub async fn redeem_link_code(
    store: &Store,
    guild: u64,
    code: &str,
    player: (u64, &str),
    server: &str,
    event: Option<EventMark>,
) -> Result<Linked, LinkError> {
    let now = store.clock().now_ms();
    let linked = store
        .links()
        .redeem(guild, code, player, server, event, now)?;
    store.flush_async().await?;
    Ok(linked)
}

impl Services {
    /// A new one-time code for `actor` (anyone may link their own account); their older
    /// unused code stops working. Flushed before it is returned, so a code shown works.
    pub async fn link_start(&self, guild: u64, actor: &Member) -> Result<LinkStart, ActionError> {
        let expires_at_ms = self
            .store()
            .clock()
            .now_ms()
            .saturating_add(LINK_CODE_TTL.as_millis() as i64);
        // The code itself stays out of the audit log: until it expires it links an account.
        let note = AuditDraft::new(
            AuditAction::LinkStart,
            Some(actor.discord_id.to_string()),
            json!({ "expires_at_ms": expires_at_ms }),
        );
        self.audited(guild, actor, note, async || {
            let code = self
                .store()
                .links()
                .new_code(guild, actor.discord_id, expires_at_ms)?;
            self.store().flush_async().await?;
            Ok(LinkStart {
                code,
                expires_at_ms,
            })
        })
        .await
    }

    /// Wait until `member` is linked by a code redeemed after `since_ms`, or `until_ms`
    /// passes (`None` then). Lets `/link` tell the member privately once it worked.
    pub async fn link_wait(
        &self,
        guild: u64,
        member: u64,
        since_ms: i64,
        until_ms: i64,
    ) -> Option<AccountLink> {
        let links = self.store().links();
        let mut changes = links.subscribe();
        loop {
            match links.by_member(guild, member) {
                Ok(Some(link))
                    if link.linked_at_ms >= since_ms
                        && matches!(link.linked_by, LinkedBy::Code { .. }) =>
                {
                    return Some(link);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(guild, error = %e, "could not read a member's link");
                    return None;
                }
            }
            let left = until_ms.saturating_sub(self.store().clock().now_ms());
            let Ok(left) = u64::try_from(left) else {
                return None;
            };
            match tokio::time::timeout(Duration::from_millis(left), changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    /// Remove `actor`'s own link. Refused when they have none.
    pub async fn unlink_self(
        &self,
        guild: u64,
        actor: &Member,
    ) -> Result<AccountLink, ActionError> {
        let note = AuditDraft::new(
            AuditAction::LinkUnlink,
            Some(actor.discord_id.to_string()),
            json!({}),
        );
        self.audited(guild, actor, note, async || {
            let removed = self
                .store()
                .links()
                .remove_member(guild, actor.discord_id)?;
            self.store().flush_async().await?;
            removed.ok_or_else(|| {
                ActionError::InvalidInput(
                    "Your Discord account is not linked to a Roblox account here; /link links \
                     one."
                        .into(),
                )
            })
        })
        .await
    }

    /// Who is behind a Roblox account, or which Roblox account a member has. Needs `view`.
    /// Empty when nothing is linked.
    pub async fn whois(
        &self,
        guild: u64,
        actor: &Member,
        query: &WhoisQuery,
    ) -> Result<Vec<AccountLink>, ActionError> {
        self.require(
            guild,
            actor,
            Capability::View,
            AuditAction::ViewWhois,
            Source::SlashCommand,
        )
        .await?;
        let links = self.store().links();
        let found = match query {
            WhoisQuery::Member(id) => links.by_member(guild, *id)?.into_iter().collect(),
            WhoisQuery::Player(text) => {
                let text = text.trim();
                match text.parse::<u64>() {
                    Ok(id) => links.by_roblox(guild, id)?.into_iter().collect(),
                    Err(_) => links.by_roblox_name(guild, text.trim_start_matches('@'))?,
                }
            }
        };
        Ok(found)
    }

    /// Link `roblox_id` (named `roblox_name`) to the member `discord_id` by hand. Needs
    /// `manage`. Replaces the member's other link; refused when the Roblox account is
    /// linked to someone else.
    pub async fn link_set(
        &self,
        guild: u64,
        actor: &Member,
        discord_id: u64,
        roblox_id: u64,
        roblox_name: &str,
    ) -> Result<Linked, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::LinkSet,
            Source::SlashCommand,
        )
        .await?;
        let roblox_name = roblox_name.trim();
        if roblox_name.is_empty() || roblox_name.chars().count() > 50 {
            return Err(ActionError::InvalidInput(
                "Give the Roblox username (1 to 50 characters) with the id.".into(),
            ));
        }
        let note = AuditDraft::new(
            AuditAction::LinkSet,
            Some(roblox_id.to_string()),
            json!({ "member": discord_id, "roblox_id": roblox_id, "roblox_name": roblox_name }),
        );
        self.audited(guild, actor, note, async || {
            let link = AccountLink {
                guild,
                roblox_id,
                roblox_name: roblox_name.to_owned(),
                discord_id,
                linked_at_ms: self.store().clock().now_ms(),
                linked_by: LinkedBy::Admin {
                    admin: actor.discord_id,
                },
            };
            let replaced = self.store().links().put(&link)?;
            self.store().flush_async().await?;
            Ok(Linked {
                link,
                replaced,
                fresh: true,
            })
        })
        .await
    }

    /// Remove a link by hand, named by either side. Needs `manage`. Refused when there is
    /// none.
    pub async fn link_remove(
        &self,
        guild: u64,
        actor: &Member,
        query: &WhoisQuery,
    ) -> Result<AccountLink, ActionError> {
        self.require(
            guild,
            actor,
            Capability::Manage,
            AuditAction::LinkRemove,
            Source::SlashCommand,
        )
        .await?;
        let target = match query {
            WhoisQuery::Member(id) => format!("member {id}"),
            WhoisQuery::Player(text) => text.clone(),
        };
        let note = AuditDraft::new(AuditAction::LinkRemove, Some(target), json!({}));
        self.audited(guild, actor, note, async || {
            let links = self.store().links();
            let member = match query {
                WhoisQuery::Member(id) => Some(*id),
                WhoisQuery::Player(text) => {
                    let found = match text.trim().parse::<u64>() {
                        Ok(id) => links.by_roblox(guild, id)?.into_iter().collect(),
                        Err(_) => links.by_roblox_name(guild, text.trim())?,
                    };
                    found.first().map(|l| l.discord_id)
                }
            };
            let removed = match member {
                Some(member) => links.remove_member(guild, member)?,
                None => None,
            };
            self.store().flush_async().await?;
            removed.ok_or_else(|| {
                ActionError::InvalidInput("Nothing is linked for that member or player.".into())
            })
        })
        .await
    }
}
