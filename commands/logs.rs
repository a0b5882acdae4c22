//! `/logs joins|kills|commands|modcalls|emergency` from the event store (time range, player
//! filter, pages) and `/player`, a player's live details, timeline and moderation buttons.

use super::common::{self, player_names, server_labels, show};
use crate::actions::{ActionError, AuditAction, resolve_online};
use crate::discord::{BotError, Context};
use crate::erlc::models::PlayerRef;
use crate::erlc::{Player, ServerHandle};
use crate::store::{EventQuery, Page, Store};
use crate::views::{self, LogKind, LogsRequest};

/// Events per `/logs` page.
pub const LOG_LINES_PER_PAGE: usize = 15;
/// Events on a player panel's timeline.
const TIMELINE_EVENTS: usize = 15;

/// Read a time span such as `30m`, `2h`, `1d`, `1h30m` or `90s` as seconds.
pub fn parse_span(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{text}` is not a time span: write a number and a unit, e.g. `30m`, `2h`, `1d` or \
             `1h30m` (s, m, h, d, w)"
        )
    };
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in compact.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: i64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let amount: i64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = amount
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(total)
}

/// What a `/logs` page shows, also carried in its page buttons (`<kind>.<span>.<player id>`,
/// 0 for none) so a click can redo the query after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogFilter {
    pub kind: LogKind,
    pub span_secs: Option<i64>,
    pub player: Option<u64>,
}

impl LogFilter {
    pub fn token(&self) -> String {
        format!(
            "{}.{}.{}",
            self.kind.as_str(),
            self.span_secs.unwrap_or(0),
            self.player.unwrap_or(0)
        )
    }

    pub fn from_token(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let kind = parts.next()?.parse().ok()?;
        let span: i64 = parts.next()?.parse().ok()?;
        let player: u64 = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(Self {
            kind,
            span_secs: (span > 0).then_some(span),
            player: (player > 0).then_some(player),
        })
    }

    fn range_words(&self) -> Option<String> {
        self.span_secs.map(|s| format!("last {}", span_words(s)))
    }
}

fn span_words(secs: i64) -> String {
    let units = [
        (604_800, "week"),
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ];
    for (size, name) in units {
        if secs >= size && secs % size == 0 {
            let n = secs / size;
            return if n == 1 {
                format!("1 {name}")
            } else {
                format!("{n} {name}s")
            };
        }
    }
    format!("{secs} seconds")
}

/// Page `page` (from 0) of a log, following store cursors from the first page.
pub fn log_page(
    store: &Store,
    guild: u64,
    label: &str,
    filter: &LogFilter,
    page: usize,
    now: i64,
) -> Result<Page, BotError> {
    let patterns = filter
        .kind
        .patterns(Some(label))
        .map_err(|e| BotError::user(format!("That log cannot be read: {e}.")))?;
    let mut query = EventQuery {
        patterns,
        server: Some(label.to_owned()),
        from: filter.span_secs.map(|s| now - s),
        max_results: LOG_LINES_PER_PAGE,
        ..EventQuery::default()
    };
    let events = store.events();
    let read = |q: &EventQuery| match filter.player {
        Some(id) => events.player_timeline(guild, id, q),
        None => events.query(guild, q),
    };
    let mut current = read(&query)?;
    for _ in 0..page {
        let Some(next) = current.next.clone() else {
            break;
        };
        query.after = Some(next);
        current = read(&query)?;
    }
    Ok(current)
}

/// The log message for a filter, page and server.
pub fn log_view(
    store: &Store,
    guild: u64,
    label: &str,
    filter: &LogFilter,
    player_text: Option<&str>,
    page: usize,
    now: i64,
) -> Result<crate::ui::Message, BotError> {
    let found = log_page(store, guild, label, filter, page, now)?;
    let range = filter.range_words();
    let token = filter.token();
    let request = LogsRequest {
        server: label,
        kind: filter.kind,
        range: range.as_deref(),
        player: player_text,
        filter_token: &token,
        page,
    };
    Ok(views::logs::logs_page(&request, &found).0)
}

/// A player as typed: a Roblox id, or a name resolved against who is in game now.
async fn find_player(
    handle: &ServerHandle,
    typed: &str,
) -> Result<(PlayerRef, Option<Player>), BotError> {
    let online = handle.players().await?;
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

async fn logs_of(
    ctx: Context<'_>,
    kind: LogKind,
    since: Option<String>,
    player: Option<String>,
    page: Option<u32>,
    server: Option<String>,
) -> Result<(), BotError> {
    let span_secs = since
        .as_deref()
        .map(parse_span)
        .transpose()
        .map_err(BotError::User)?;
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewLogs).await?;
    let player_id = match &player {
        Some(typed) => {
            let (who, _) = find_player(&read.handle, typed).await?;
            who.id
        }
        None => None,
    };
    let filter = LogFilter {
        kind,
        span_secs,
        player: player_id,
    };
    let page = page.map_or(0, |p| p.saturating_sub(1) as usize);
    let now = common::now_secs(ctx);
    let store = ctx.data().store();
    let message = log_view(
        store,
        read.guild,
        &read.record.label,
        &filter,
        player.as_deref(),
        page,
        now,
    )?;
    show(ctx, &message).await
}

macro_rules! log_subcommand {
    ($name:ident, $kind:expr, $doc:literal) => {
        #[doc = $doc]
        #[poise::command(slash_command)]
        async fn $name(
            ctx: Context<'_>,
            #[description = "How far back, e.g. 30m, 2h, 1d (default: everything kept)"]
            since: Option<String>,
            #[description = "Only this player (name in game, or Roblox user id)"]
            #[autocomplete = "player_names"]
            player: Option<String>,
            #[description = "Page number"]
            #[min = 1]
            page: Option<u32>,
            #[description = "Which server (default: this Discord server's default)"]
            #[autocomplete = "server_labels"]
            server: Option<String>,
        ) -> Result<(), BotError> {
            logs_of(ctx, $kind, since, player, page, server).await
        }
    };
}

log_subcommand!(joins, LogKind::Joins, "Joins and leaves");
log_subcommand!(kills, LogKind::Kills, "Kills");
log_subcommand!(commands, LogKind::Commands, "Commands run in game");
log_subcommand!(
    modcalls,
    LogKind::ModCalls,
    "Mod calls and who answered them"
);
log_subcommand!(emergency, LogKind::Emergency, "911 calls");

/// Read the server's history from the bot's event store
#[poise::command(
    slash_command,
    subcommands("joins", "kills", "commands", "modcalls", "emergency"),
    subcommand_required
)]
pub async fn logs(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// A player's live details, recent history and moderation buttons
#[poise::command(slash_command)]
pub async fn player(
    ctx: Context<'_>,
    #[description = "Player (name in game, or Roblox user id)"]
    #[autocomplete = "player_names"]
    name: String,
    #[description = "Which server (default: this Discord server's default)"]
    #[autocomplete = "server_labels"]
    server: Option<String>,
) -> Result<(), BotError> {
    let read = common::server_read(ctx, server.as_deref(), AuditAction::ViewPlayer).await?;
    let (who, live) = find_player(&read.handle, &name).await?;
    let message = player_panel(
        ctx.data().store(),
        read.guild,
        &read.record.label,
        &who,
        live.as_ref(),
        common::now_secs(ctx),
    )?;
    show(ctx, &message).await
}

/// The panel for a player (also redrawn by its Refresh button).
pub fn player_panel(
    store: &Store,
    guild: u64,
    label: &str,
    who: &PlayerRef,
    live: Option<&Player>,
    now: i64,
) -> Result<crate::ui::Message, BotError> {
    let timeline = match who.id {
        Some(id) => {
            let query = EventQuery {
                server: Some(label.to_owned()),
                max_results: TIMELINE_EVENTS,
                ..EventQuery::default()
            };
            store.events().player_timeline(guild, id, &query)?.events
        }
        None => Vec::new(),
    };
    Ok(views::player::player_panel(
        label, who, live, &timeline, now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_like_people_write_them() {
        assert_eq!(parse_span("30m"), Ok(1800));
        assert_eq!(parse_span("2h"), Ok(7200));
        assert_eq!(parse_span("1d"), Ok(86_400));
        assert_eq!(parse_span("1h 30m"), Ok(5400));
        assert_eq!(parse_span("90S"), Ok(90));
        assert_eq!(parse_span("2w"), Ok(1_209_600));
        for bad in ["", "h", "30", "0m", "2x", "-1h", "99999999999999999999d"] {
            let err = parse_span(bad).unwrap_err();
            assert!(err.contains("e.g. `30m`"), "{bad}: {err}");
        }
    }

    #[test]
    fn filters_survive_the_page_button() {
        let filter = LogFilter {
            kind: LogKind::Kills,
            span_secs: Some(7200),
            player: Some(42),
        };
        assert_eq!(filter.token(), "kills.7200.42");
        assert_eq!(LogFilter::from_token(&filter.token()), Some(filter));
        let open = LogFilter {
            kind: LogKind::Joins,
            span_secs: None,
            player: None,
        };
        assert_eq!(LogFilter::from_token("joins.0.0"), Some(open));
        assert_eq!(LogFilter::from_token("joins.0"), None);
        assert_eq!(LogFilter::from_token("fires.0.0"), None);
        assert_eq!(LogFilter::from_token("joins.0.0.1"), None);
        assert_eq!(open.range_words(), None);
        assert_eq!(filter.range_words().as_deref(), Some("last 2 hours"));
        assert_eq!(span_words(5400), "90 minutes");
        assert_eq!(span_words(86_400), "1 day");
    }
}
