//! Minting a dashboard token for a member (`/dashboard token`): the member needs `view`; the
//! token carries their id, guild, roles and admin flag, so every WATCH and CALL is checked
//! against what those roles may do at that moment; it expires after an hour unless asked
//! otherwise (1 to 24 hours). Audited, without the token.

use std::time::Duration;

use serde_json::json;

use crate::actions::{
    ActionError, AuditAction, AuditDraft, Member, Services, begin_audit, complete_audit,
};
use crate::store::{AuditOutcome, Capability, Source};

use super::token::{DEFAULT_TOKEN_TTL, LiveClaims, TokenKeys};

/// Where the live state stream is served on the bot's HTTP server.
pub const LIVE_PATH: &str = "/live";

/// The longest a minted token may live, in hours.
pub const MAX_TOKEN_HOURS: u32 = 24;

/// A minted token and what to tell its owner.
#[derive(Clone)]
pub struct DashboardToken {
    /// The JWT; show it only to its owner.
    pub token: String,
    /// Unix seconds when it stops working.
    pub expires_at: i64,
    /// The `ws://` or `wss://` address of the stream, when the bot has a public URL.
    pub url: Option<String>,
}

impl std::fmt::Debug for DashboardToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardToken")
            .field("expires_at", &self.expires_at)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The stream's address from the bot's public base URL: `https://x` → `wss://x/live`.
pub fn live_url(public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    format!("{ws}{LIVE_PATH}")
}

/// Mint a token for `member` of `guild`, valid `hours` (default 1, at most 24).
pub async fn mint_dashboard_token(
    services: &Services,
    keys: &TokenKeys,
    guild: u64,
    member: &Member,
    hours: Option<u32>,
    public_url: Option<&str>,
) -> Result<DashboardToken, ActionError> {
    let action = AuditAction::DashboardToken;
    let source = Source::SlashCommand;
    services
        .require(guild, member, Capability::View, action, source)
        .await?;
    let ttl = match hours {
        None => DEFAULT_TOKEN_TTL,
        Some(h) if (1..=MAX_TOKEN_HOURS).contains(&h) => Duration::from_secs(u64::from(h) * 3600),
        Some(_) => {
            return Err(ActionError::InvalidInput(format!(
                "A token lives 1 to {MAX_TOKEN_HOURS} hours."
            )));
        }
    };
    let now = u64::try_from(services.store().clock().now_secs()).unwrap_or(0);
    let exp = now.saturating_add(ttl.as_secs());
    let claims = LiveClaims {
        sub: member.discord_id.to_string(),
        guild: guild.to_string(),
        name: member.name.clone(),
        roles: member.roles.iter().map(u64::to_string).collect(),
        admin: member.is_admin,
        iat: now,
        exp,
    };
    let note = AuditDraft::new(action, None, json!({ "expires_at": exp }));
    let store = services.store();
    let ticket = begin_audit(store, guild, member.audit_actor(), source, note).await?;
    let token = keys.mint(&claims);
    complete_audit(store, ticket, AuditOutcome::Ok).await;
    Ok(DashboardToken {
        token,
        expires_at: i64::try_from(exp).unwrap_or(i64::MAX),
        url: public_url.map(live_url),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_address_follows_the_public_url_scheme() {
        assert_eq!(live_url("https://bot.example/"), "wss://bot.example/live");
        assert_eq!(
            live_url("http://127.0.0.1:8080"),
            "ws://127.0.0.1:8080/live"
        );
    }
}
