//! `/health`: per server, whether polling runs, its lag, rate-limit headroom, the next poll and
//! the last PRC error with its fix, as a green / amber / red light.

use crate::ui::colours;
use crate::ui::escape::{escape_name, escape_text};
use crate::ui::message::{Embed, MAX_FIELDS, Message};
use crate::ui::names::display_name;
use crate::ui::time::relative_time;

use super::common::{Light, count, defuse_mentions, duration_ms};

/// Errors in a row that turn a server red (fewer turn it amber).
pub const RED_AFTER_ERRORS: u32 = 3;
/// Lag that turns a server amber.
pub const AMBER_LAG_MS: i64 = 60_000;
/// Lag that turns a server red.
pub const RED_LAG_MS: i64 = 300_000;
/// Rate-limit headroom below this share of the limit (in percent) turns a server amber.
pub const AMBER_HEADROOM_PERCENT: u32 = 10;

/// What the tracker knows about one server's polling, for `/health`. Times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHealthView {
    /// The guild's label for the server.
    pub label: String,
    /// False when the server is not polled (unusable key, or not tracked): the light is red.
    pub polling: bool,
    /// The tracker's one-word state, e.g. `ok`, `backing off`, `stopped`.
    pub status: String,
    /// When the last successful poll finished; `None` if none has since the bot started.
    pub last_poll_ms: Option<i64>,
    /// How late the last poll started after it was due, in ms.
    pub lag_ms: Option<i64>,
    /// Polls that failed since the last successful one.
    pub consecutive_errors: u32,
    /// PRC code (if PRC answered), explanation, fix.
    pub last_error: Option<(Option<i64>, String, Option<String>)>,
    /// Requests remaining, the bucket's limit, seconds until it resets.
    pub headroom: Option<(u32, u32, Option<u64>)>,
    /// When the next poll is due; `None` when none is scheduled.
    pub next_poll_ms: Option<i64>,
}

impl ServerHealthView {
    /// Green when all is well, amber when degraded, red when the feed is not working.
    pub fn light(&self) -> Light {
        let lag = self.lag_ms.unwrap_or(0);
        if !self.polling || self.consecutive_errors >= RED_AFTER_ERRORS || lag > RED_LAG_MS {
            return Light::Red;
        }
        let low_headroom = self.headroom.is_some_and(|(remaining, limit, _)| {
            u64::from(remaining) * 100 < u64::from(limit) * u64::from(AMBER_HEADROOM_PERCENT)
        });
        if self.consecutive_errors > 0 || lag > AMBER_LAG_MS || low_headroom {
            Light::Amber
        } else {
            Light::Green
        }
    }
}

/// `/health` for every server of the guild.
pub fn health(servers: &[ServerHealthView], now_ms: i64) -> Message {
    let mut embed = Embed::new()
        .title("🩺 Health")
        .footer("Lights: 🟢 working · 🟠 degraded · 🔴 not working")
        .timestamp(now_ms.div_euclid(1000));
    if servers.is_empty() {
        embed = embed
            .colour(colours::NEUTRAL)
            .description("No server to watch yet. Run `/server setup` to connect one.");
        return Message::single(embed, Vec::new());
    }
    let worst = servers
        .iter()
        .map(ServerHealthView::light)
        .max()
        .unwrap_or(Light::Green);
    let troubled = servers.iter().filter(|s| s.light() != Light::Green).count();
    embed = embed.colour(worst.colour()).description(&if troubled == 0 {
        format!(
            "{} · all working",
            count(servers.len(), "server", "servers")
        )
    } else {
        format!(
            "{} · {} attention",
            count(servers.len(), "server", "servers"),
            count(troubled, "needs", "need")
        )
    });
    let shown = servers.len().min(MAX_FIELDS);
    let mut ordered: Vec<&ServerHealthView> = servers.iter().collect();
    ordered.sort_by(|a, b| b.light().cmp(&a.light()).then(a.label.cmp(&b.label)));
    for server in &ordered[..shown] {
        let status = if server.status.trim().is_empty() {
            "unknown".to_owned()
        } else {
            escape_name(&server.status)
        };
        let heading = format!(
            "{} {} · {status}",
            server.light().dot(),
            display_name(&server.label)
        );
        embed = embed.field(&heading, &server_text(server, now_ms), false);
    }
    Message::single(embed, Vec::new())
}

fn at(ms: i64) -> String {
    relative_time(ms.div_euclid(1000))
}

fn server_text(server: &ServerHealthView, now_ms: i64) -> String {
    let mut lines = Vec::with_capacity(6);
    if !server.polling {
        lines.push("⛔ **Not polling**: feeds and panels for this server are paused.".to_owned());
    }
    lines.push(match server.last_poll_ms {
        Some(ms) => format!("Last poll: {}", at(ms)),
        None => "Last poll: never".to_owned(),
    });
    if let Some(lag) = server.lag_ms {
        lines.push(format!("Last poll late by: {}", duration_ms(lag)));
    }
    if let Some(next) = server.next_poll_ms {
        let when = if next <= now_ms {
            "now".to_owned()
        } else {
            at(next)
        };
        lines.push(format!("Next poll: {when}"));
    }
    if let Some((remaining, limit, resets)) = server.headroom {
        let mut text = format!("Rate limit: {remaining}/{limit} left");
        if let Some(secs) = resets {
            text.push_str(&format!(
                ", resets in {}",
                duration_ms(i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX))
            ));
        }
        lines.push(text);
    }
    if server.consecutive_errors > 0 {
        lines.push(format!(
            "Errors in a row: **{}**",
            server.consecutive_errors
        ));
    }
    if let Some((code, explanation, fix)) = &server.last_error {
        let code = code.map_or_else(String::new, |c| format!(" (PRC code {c})"));
        lines.push(format!("Last error{code}: {}", escape_text(explanation)));
        if let Some(fix) = fix {
            lines.push(format!("**How to fix:** {}", defuse_mentions(fix)));
        }
    }
    lines.join("\n")
}
