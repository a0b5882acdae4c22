//! What a read command and its buttons both draw: the paged lists (`/players`, `/vehicles`,
//! `/bans`, `/logs …`, `/audit search`) and the player panel. A slash command draws its first
//! page through the same function as its Previous / Refresh / Next buttons draw every other,
//! so the two cannot drift apart. Live reads ask the v2 snapshot for the sections the view
//! declares; only bans come from v1, which alone has them.

use super::BotError;
use crate::actions::{ActionError, LogQuery, Member, Services, resolve_online};
use crate::erlc::ServerHandle;
use crate::erlc::models::{Player, PlayerRef};
use crate::store::CaseTarget;
use crate::ui::{Message, team};
use crate::views::audit::{AUDIT_PER_PAGE, AuditFilter};
use crate::views::player::{PANEL_SECTIONS, TIMELINE_EVENTS};
use crate::views::players::{
    BANS_PER_PAGE, PLAYERS_PER_PAGE, PLAYERS_SECTIONS, VEHICLES_PER_PAGE, VEHICLES_SECTIONS,
};
use crate::views::{self, LOG_LINES_PER_PAGE, LogFilter, LogsRequest, PageTarget, PagedView};

/// The server a read is about: its label and an open handle.
#[derive(Debug, Clone, Copy)]
pub struct OpenServer<'a> {
    /// The guild's label for the server, e.g. `main`.
    pub label: &'a str,
    /// The open ER:LC API handle for that server.
    pub handle: &'a ServerHandle,
}

/// Draw the page `target` asks for. `server` is the server the page is about; guild-wide
/// views (the audit log) need none.
pub async fn page(
    services: &Services,
    guild: u64,
    actor: &Member,
    server: Option<OpenServer<'_>>,
    target: &PageTarget,
) -> Result<Message, BotError> {
    let on_server = || {
        server.ok_or_else(|| {
            BotError::user("This page belongs to one of your servers; run its command again.")
        })
    };
    let page = target.page;
    Ok(match target.view {
        PagedView::Players => {
            let OpenServer { label, handle } = on_server()?;
            let team = Some(target.filter.as_str())
                .filter(|t| !t.is_empty())
                .map(team::parse);
            let players = handle.snapshot(PLAYERS_SECTIONS).await?.players;
            let list = players.unwrap_or_default();
            views::players::players_page(label, &list, team.as_ref(), page, PLAYERS_PER_PAGE).0
        }
        PagedView::Vehicles => {
            let OpenServer { label, handle } = on_server()?;
            let vehicles = handle.snapshot(VEHICLES_SECTIONS).await?.vehicles;
            let list = vehicles.unwrap_or_default();
            views::players::vehicles_page(label, &list, page, VEHICLES_PER_PAGE).0
        }
        PagedView::Bans => {
            let OpenServer { label, handle } = on_server()?;
            let list = handle.bans().await?;
            views::players::bans_page(label, &list, page, BANS_PER_PAGE).0
        }
        PagedView::Logs => {
            let OpenServer { label, .. } = on_server()?;
            let filter = LogFilter::from_token(&target.filter)
                .ok_or_else(|| BotError::user("This page button's filter is not readable."))?;
            let query = LogQuery {
                patterns: filter
                    .kind
                    .patterns(Some(label))
                    .map_err(|e| BotError::user(format!("That log cannot be read: {e}.")))?,
                span_secs: filter.span_secs,
                player: filter.player,
                per_page: LOG_LINES_PER_PAGE,
            };
            let found = services.log_page(guild, label, &query, page)?;
            let request = LogsRequest {
                server: label,
                filter,
                page,
            };
            views::logs::logs_page(&request, &found).0
        }
        PagedView::Audit => {
            let filter = AuditFilter::from_token(&target.filter);
            let (by, action) = (filter.by.as_deref(), filter.action.as_deref());
            let found = services
                .audit_page(guild, actor, by, action, AUDIT_PER_PAGE, page)
                .await?;
            let has_next = found.next_after_seq.is_some();
            views::audit::audit_page(&found.entries, page, has_next, &filter).0
        }
    })
}

/// A player as typed: a Roblox id, or a name resolved against who is in game now; with their
/// entry in the live player list when they are in game.
pub async fn find_player(
    handle: &ServerHandle,
    typed: &str,
) -> Result<(PlayerRef, Option<Player>), BotError> {
    let online = handle
        .snapshot(PANEL_SECTIONS)
        .await?
        .players
        .unwrap_or_default();
    let refs: Vec<PlayerRef> = online.iter().map(|p| p.player.clone()).collect();
    let who = match typed.trim().parse::<u64>() {
        Ok(id) => refs
            .iter()
            .find(|r| r.id == Some(id))
            .cloned()
            .unwrap_or_else(|| PlayerRef::new(id.to_string(), Some(id))),
        Err(_) => match resolve_online(typed, &refs) {
            Ok(found) => PlayerRef::new(found.name, found.id),
            Err(ActionError::PlayerNotFound { query, .. }) => {
                return Err(BotError::user(format!(
                    "`{query}` is not in game now. To look up someone offline, give their \
                     Roblox user id instead of their name."
                )));
            }
            Err(other) => return Err(other.into()),
        },
    };
    let live = online
        .into_iter()
        .find(|p| p.player.id.is_some() && p.player.id == who.id);
    Ok((who, live))
}

/// The player panel for `typed` (a name in game, or a Roblox id as its Refresh button gives
/// it): live details when in game, the stored timeline, and the moderation buttons.
pub async fn player_panel(
    services: &Services,
    guild: u64,
    viewer: &Member,
    server: OpenServer<'_>,
    typed: &str,
) -> Result<Message, BotError> {
    let (who, live) = find_player(server.handle, typed).await?;
    let timeline = match who.id {
        Some(id) => services.player_timeline(guild, server.label, id, TIMELINE_EVENTS)?,
        None => Vec::new(),
    };
    let target = CaseTarget {
        id: who.id.or_else(|| live.as_ref().and_then(|p| p.player.id)),
        name: who.name.clone(),
    };
    let cases = services.panel_cases(guild, viewer, &target)?;
    let now = services.store().clock().now_secs();
    let panel = views::player::player_panel(server.label, &who, live.as_ref(), &timeline, now);
    Ok(match cases {
        Some(page) => views::player::with_cases(panel, &page),
        None => panel,
    })
}
