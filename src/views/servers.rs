//! Server replies: `/server status` (players, queue, staff online, join code and link, team
//! counts), `/server list` (every server with its key fingerprint, health and the fix),
//! `/server setup` results (including the trusted-IP steps) and `/server remove`.

use crate::actions::{SetupReport, SetupWarning};
use crate::erlc::models::{Include, Player, ServerInfo, StaffV2, Team, V2Server};
use crate::store::settings::{ServerRecord, ServerStatus};
use crate::ui::colours;
use crate::ui::escape::{code_span, escape_text, plain_line};
use crate::ui::message::{Embed, MAX_FIELD_VALUE, MAX_FIELDS, Message};
use crate::ui::names::{display_name, user_link};
use crate::ui::team::TeamStyle;
use crate::ui::time::relative_time;

use super::common::{count, pack_lines};

/// What a status reply can show: the server object plus whichever optional sections were
/// fetched. Built from a v2 snapshot or from a v1 `/server` answer alone.
#[derive(Debug, Clone, Copy)]
pub struct StatusParts<'a> {
    /// Name, player counts, join code, owners and settings.
    pub info: &'a ServerInfo,
    /// Players in the server; `None` when not fetched (shown as "not fetched").
    pub players: Option<&'a [Player]>,
    /// Roblox user ids waiting to join; `None` when not fetched.
    pub queue: Option<&'a [u64]>,
    /// The staff roster (admins, mods, helpers); `None` when not fetched.
    pub staff: Option<&'a StaffV2>,
}

impl<'a> From<&'a V2Server> for StatusParts<'a> {
    fn from(server: &'a V2Server) -> Self {
        Self {
            info: &server.info,
            players: server.players.as_deref(),
            queue: server.queue.as_deref(),
            staff: server.staff.as_ref(),
        }
    }
}

impl<'a> From<&'a ServerInfo> for StatusParts<'a> {
    fn from(info: &'a ServerInfo) -> Self {
        Self {
            info,
            players: None,
            queue: None,
            staff: None,
        }
    }
}

/// What [`server_status`] reads from `GET /v2/server`: players, queue and staff roster.
pub const STATUS_SECTIONS: Include = Include::none().players().queue().staff();

/// `/server status` for the server labelled `label`, as of `now` (Unix seconds).
pub fn server_status<'a>(label: &str, server: impl Into<StatusParts<'a>>, now: i64) -> Message {
    let parts = server.into();
    let info = parts.info;
    let online = info.current_players > 0;
    let (dot, colour) = if online {
        ("🟢", colours::JOIN)
    } else {
        ("⚪", colours::ENDED)
    };
    let mut summary = vec![format!(
        "**{}/{}** players",
        info.current_players, info.max_players
    )];
    if let Some(queue) = parts.queue {
        summary.push(format!("{} in queue", queue.len()));
    }
    if let Some(players) = parts.players {
        let staff = players.iter().filter(|p| p.permission.is_staff()).count();
        summary.push(format!("{staff} staff online"));
    }
    let mut embed = Embed::new()
        .title(&format!("{dot} {}", display_name(&info.name)))
        .colour(colour)
        .description(&summary.join(" · "))
        .field(
            "Players",
            &format!("{} / {}", info.current_players, info.max_players),
            true,
        )
        .field(
            "Queue",
            &parts.queue.map_or_else(
                || "not fetched".to_owned(),
                |q| count(q.len(), "waiting", "waiting"),
            ),
            true,
        )
        .field("Staff online", &staff_online(parts.players), true)
        .field("Join code", &join_code(info), true)
        .field(
            "Verification",
            &display_name(info.acc_verified_req.as_str()),
            true,
        )
        .field(
            "Team balance",
            if info.team_balance { "On" } else { "Off" },
            true,
        );
    if let Some(url) = join_url(info) {
        embed = embed.url(&url);
    }
    if let Some(players) = parts.players {
        embed = embed.field("Teams", &team_counts(players), false);
    }
    let mut owners = format!("Owner: {}", user_link(info.owner_id));
    if !info.co_owner_ids.is_empty() {
        owners.push_str(&format!(
            "\n{}",
            count(info.co_owner_ids.len(), "co-owner", "co-owners")
        ));
    }
    if let Some(staff) = parts.staff {
        owners.push_str(&format!(
            "\nRoster: {} · {} · {}",
            count(staff.admins.len(), "admin", "admins"),
            count(staff.mods.len(), "mod", "mods"),
            count(staff.helpers.len(), "helper", "helpers")
        ));
    }
    embed = embed
        .field("Ownership", &owners, false)
        .footer(&plain_line(&format!("{label} · server status")))
        .timestamp(now);
    Message::single(embed, Vec::new())
}

fn staff_online(players: Option<&[Player]>) -> String {
    let Some(players) = players else {
        return "not fetched".to_owned();
    };
    let staff = players.iter().filter(|p| p.permission.is_staff()).count();
    staff.to_string()
}

/// PRC join codes are letters and digits; anything else is shown but never put in a link.
fn join_url(info: &ServerInfo) -> Option<String> {
    let key = &info.join_key;
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric())).then(|| info.join_url())
}

fn join_code(info: &ServerInfo) -> String {
    match join_url(info) {
        Some(url) => format!("{} · [Join]({url})", code_span(&info.join_key)),
        None if info.join_key.trim().is_empty() => "none".to_owned(),
        None => code_span(&info.join_key),
    }
}

/// `🔵 Police 5 · 🟢 Sheriff 2 …` for every known team plus any unknown team present.
fn team_counts(players: &[Player]) -> String {
    let mut teams: Vec<(Team, usize)> = Team::KNOWN.iter().map(|t| (t.clone(), 0)).collect();
    for player in players {
        match teams.iter_mut().find(|(team, _)| *team == player.team) {
            Some((_, n)) => *n += 1,
            None => teams.push((player.team.clone(), 1)),
        }
    }
    teams.sort_by(|(a, _), (b, _)| {
        a.rank()
            .cmp(&b.rank())
            .then_with(|| a.as_str().cmp(b.as_str()))
    });
    let parts = teams
        .iter()
        .map(|(team, n)| format!("{} {} **{n}**", team.swatch(), team.display_name()));
    pack_lines(parts, MAX_FIELD_VALUE).replace('\n', " · ")
}

/// `/server list`.
pub fn server_list(servers: &[ServerRecord]) -> Message {
    let mut embed = Embed::new().title("ER:LC servers").colour(colours::STAFF);
    if servers.is_empty() {
        embed = embed.description(
            "No server is connected yet. Run `/server setup` and paste the server key from \
             ER:LC: Private Server Settings → ER:LC API → API Key. Use the key `sandbox` to try \
             the bot against a simulated server first.",
        );
        return Message::single(embed, Vec::new());
    }
    let problems = servers
        .iter()
        .filter(|s| s.status != ServerStatus::Ok)
        .count();
    embed = embed.description(&format!(
        "{} · {}",
        count(servers.len(), "server", "servers"),
        if problems == 0 {
            "all working".to_owned()
        } else {
            format!(
                "{} attention",
                count(problems, "server needs", "servers need")
            )
        }
    ));
    if problems > 0 {
        embed = embed.colour(colours::WARNING);
    }
    let shown = if servers.len() > MAX_FIELDS {
        MAX_FIELDS - 1
    } else {
        servers.len()
    };
    for record in &servers[..shown] {
        embed = embed.field(
            &server_heading(record, record.sandbox),
            &server_details(record),
            false,
        );
    }
    if servers.len() > shown {
        let rest: Vec<String> = servers[shown..]
            .iter()
            .map(|r| display_name(&r.label))
            .collect();
        embed = embed.field(
            &format!("…and {} more", rest.len()),
            &pack_lines(rest, MAX_FIELD_VALUE),
            false,
        );
    }
    Message::single(embed, Vec::new())
}

fn status_icon(status: &ServerStatus) -> &'static str {
    match status {
        ServerStatus::Ok => "✅",
        ServerStatus::Offline => "💤",
        ServerStatus::Error(_) => "⚠️",
        ServerStatus::KeyInvalid | ServerStatus::KeyBanned | ServerStatus::NotAuthorized => "⛔",
    }
}

fn server_heading(record: &ServerRecord, sandbox: bool) -> String {
    let mut heading = format!(
        "{} {}",
        status_icon(&record.status),
        display_name(&record.label)
    );
    if record.is_default {
        heading.push_str(" · ⭐ default");
    }
    if sandbox {
        heading.push_str(" · 🧪 sandbox");
    }
    heading
}

fn server_details(record: &ServerRecord) -> String {
    let mut lines = vec![format!(
        "Status: {}",
        escape_text(&record.status.describe())
    )];
    if let Some(fix) = record.status.fix() {
        lines.push(format!("**How to fix:** {fix}"));
    }
    lines.push(format!("Key: {}", code_span(&record.key_fingerprint)));
    lines.push(format!(
        "Event webhook: {}",
        if record.webhook_token.is_some() {
            "set up"
        } else {
            "not set up"
        }
    ));
    lines.push(format!(
        "Added by {} {}",
        display_name(&record.added_by_name),
        relative_time(record.added_at_ms.div_euclid(1000))
    ));
    lines.join("\n")
}

/// The reply to `/server setup`: what was connected (a server or the built-in sandbox), its
/// key fingerprint, the webhook URL when the bot has a public address, and each warning with
/// its fix (e.g. the trusted-IP steps).
pub fn setup_result(report: &SetupReport, webhook_url: Option<&str>) -> Message {
    let record = &report.record;
    let label = display_name(&record.label);
    let name = report
        .server_name
        .as_deref()
        .map_or_else(|| "the server".to_owned(), display_name);
    let what = if record.sandbox {
        format!(
            "Connected **{label}** to the built-in sandbox server: every command works on a \
             simulated server, so you can try the bot before buying the API pack."
        )
    } else {
        format!("Connected **{label}** to {name}.")
    };
    let colour = if report.warnings.is_empty() {
        colours::ANSWERED
    } else {
        colours::WARNING
    };
    let mut embed = Embed::new()
        .title("ER:LC server connected")
        .description(&what)
        .colour(colour)
        .field("Key", &code_span(&record.key_fingerprint), true)
        .field(
            "Default",
            if record.is_default { "yes" } else { "no" },
            true,
        );
    if let Some(url) = webhook_url {
        embed = embed.field(
            "Webhook URL (optional, faster events)",
            &format!(
                "Paste in game under Private Server Settings → search \"Event Webhook\":\n{}",
                code_span(url)
            ),
            false,
        );
    }
    for warning in &report.warnings {
        let text = match warning {
            SetupWarning::CommandsNotAuthorized { fix } => format!(
                "Reading works, but this bot may not run commands on {name} yet. {}",
                fix.unwrap_or(TRUSTED_IP_STEPS)
            ),
            SetupWarning::ServerOffline => "The game server is offline, so the key could only \
                be partly checked. Join the server in game; the bot connects by itself."
                .to_owned(),
        };
        embed = embed.field("To finish", &text, false);
    }
    embed = embed.footer(&format!("Audit record #{}", report.audit_seq));
    Message::single(embed, Vec::new())
}

/// Shown if ER:LC ever refuses commands without a fix of its own.
const TRUSTED_IP_STEPS: &str = "Open the Server Owner API Dashboard, sign in with Roblox, pick \
    the server, then Settings → Trusted IPs → add the bot's public IP address → Save.";

/// The reply to `/server remove`. `new_default` is the server that became the default.
pub fn removed(label: &str, new_default: Option<&str>) -> Message {
    let mut text = format!(
        "**{}** was removed. Its key was deleted from the bot, and its feeds and panels stop.",
        display_name(label)
    );
    if let Some(default) = new_default {
        text.push_str(&format!(
            "\n\n⭐ **{}** is now the default server.",
            display_name(default)
        ));
    }
    let embed = Embed::new()
        .title("🗑️ Server removed")
        .colour(colours::LEAVE)
        .description(&text);
    Message::single(embed, Vec::new())
}

/// `/server webhook`: the URL to paste in game for PRC's event webhooks, or how to get one.
pub fn webhook_instructions(label: &str, url: Option<&str>) -> Message {
    let embed = Embed::new()
        .title(&format!("🔗 Event webhook for {}", display_name(label)))
        .colour(colours::STAFF);
    let embed = match url {
        Some(url) => embed
            .description(
                "Event webhooks bring in-game `;` commands and 911 calls to the bot at once. \
                 In game, open **Private Server Settings**, search for **Event Webhook** and \
                 paste this URL. ER:LC checks it before saving, so the bot must be reachable \
                 over https at that address.",
            )
            .field("URL", &code_span(url), false)
            .footer("Every delivery is checked against PRC's signature; the URL itself only names your server."),
        None => embed.description(
            "This bot has no public address yet, so ER:LC cannot reach it. The bot's operator \
             must put its HTTP server (HTTP_BIND) behind an https reverse proxy and set \
             PUBLIC_URL to that address (see the README, \"Event webhooks\"). Polling keeps \
             working without it.",
        ),
    };
    Message::single(embed, Vec::new())
}
