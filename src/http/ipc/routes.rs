//! The IPC's routes: a table from name to handler. Handlers are thin: read the arguments,
//! call the services or the tracker (never PRC for reads: the tracker's latest poll is the
//! server's state), and shape the JSON reply.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::actions::{ActionReport, CaseQuery, HeldForConfirmation, Member, ModAction};
use crate::erlc::api::Confirmation;
use crate::events::Pattern;
use crate::store::{AuditEntry, AuditRecord, Case, CaseModerator, Shift, Source};

use super::IpcState;
use super::args::Args;
use super::dispatch::action_refusal;
use super::protocol::Refusal;

/// Longest `pad` a ping may ask for: 4 MiB.
pub(super) const MAX_PAD: usize = 4 << 20;
/// Events, mod calls or audit entries per page at most.
const MAX_PER_PAGE: usize = 100;

/// What a handler gets: the shared state, the arguments and, for routes that act for a
/// member, the guild and the member as Discord knows them.
pub(super) struct Call {
    pub state: Arc<IpcState>,
    pub data: Map<String, Value>,
    pub acting: Option<(u64, Member)>,
}

impl Call {
    fn args(&self) -> Args<'_> {
        Args(&self.data)
    }

    /// The guild and member of a route that declared [`Route::acts_for_member`].
    fn acting(&self) -> Result<(u64, &Member), Refusal> {
        self.acting
            .as_ref()
            .map(|(guild, member)| (*guild, member))
            .ok_or_else(|| Refusal::new(500, "the bot could not answer that request"))
    }
}

/// A handler's answer.
pub(super) type Answer = Pin<Box<dyn Future<Output = Result<Value, Refusal>> + Send>>;

/// One route.
pub(super) struct Route {
    /// Its name, as `endpoint` carries it (without the leading `/`).
    pub name: &'static str,
    /// Needs `guild` and `member` (the acting Discord member), looked up before it runs.
    pub acts_for_member: bool,
    /// The handler.
    pub run: fn(Call) -> Answer,
}

macro_rules! route {
    ($name:literal, $member:expr, $handler:ident) => {
        Route {
            name: $name,
            acts_for_member: $member,
            run: |call| Box::pin($handler(call)),
        }
    };
}

/// Every route.
pub(super) const ROUTES: &[Route] = &[
    route!("ping", false, ping),
    route!("guilds", false, guilds),
    route!("servers", false, servers),
    route!("players", false, players),
    route!("modcalls", false, modcalls),
    route!("events", false, events),
    route!("audit", true, audit),
    route!("cases", true, cases),
    route!("shifts", true, shifts),
    route!("kick", true, kick),
    route!("ban", true, ban),
    route!("unban", true, unban),
    route!("pm", true, pm),
    route!("hint", true, hint),
    route!("announce", true, announce),
    route!("confirm", true, confirm),
    route!("cancel", true, cancel),
];

/// The route called `name`, if there is one.
pub(super) fn find(name: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.name == name)
}

async fn ping(call: Call) -> Result<Value, Refusal> {
    let echo = call.data.get("echo").cloned().unwrap_or(Value::Null);
    let mut reply = json!({ "echo": echo });
    if let Some(pad) = call.args().opt_u64("pad")? {
        let pad = usize::try_from(pad)
            .ok()
            .filter(|pad| *pad <= MAX_PAD)
            .ok_or_else(|| Refusal::new(400, format!("`pad` must be at most {MAX_PAD}")))?;
        reply["pad"] = Value::String("x".repeat(pad));
    }
    Ok(reply)
}

async fn guilds(call: Call) -> Result<Value, Refusal> {
    let guilds = call
        .state
        .services
        .guilds_with_servers()
        .map_err(|e| action_refusal(&e))?;
    let list: Vec<Value> = guilds
        .into_iter()
        .map(|(guild, records)| {
            let labels: Vec<String> = records.into_iter().map(|r| r.label).collect();
            json!({ "guild": guild.to_string(), "servers": labels })
        })
        .collect();
    Ok(json!({ "guilds": list }))
}

async fn servers(call: Call) -> Result<Value, Refusal> {
    let guild = call.args().u64("guild")?;
    let state = &call.state;
    let records = state
        .services
        .guilds_with_servers()
        .map_err(|e| action_refusal(&e))?
        .remove(&guild)
        .ok_or_else(|| Refusal::new(404, "no ER:LC server is set up in that guild"))?;
    let health = state.tracker.health();
    let list: Vec<Value> = records
        .into_iter()
        .map(|record| {
            let latest = state.tracker.latest_world(guild, &record.label);
            let polls = health
                .iter()
                .find(|h| h.guild == guild && h.label == record.label);
            json!({
                "label": record.label,
                "default": record.is_default,
                "sandbox": record.sandbox,
                "status": record.status.describe(),
                "polled": latest.is_some(),
                "name": latest.as_ref().map(|w| w.name.clone()),
                "online": latest.as_ref().map(|w| w.online),
                "players": latest.as_ref().map(|w| w.current_players),
                "queue": latest.as_ref().and_then(|w| w.queue.as_ref().map(Vec::len)),
                "health": polls.map(|h| json!({
                    "polling": h.polling,
                    "last_poll_ms": h.last_poll_ms,
                    "consecutive_errors": h.consecutive_errors,
                    "last_error": h.last_error.as_ref().map(|e| e.message.clone()),
                })),
            })
        })
        .collect();
    Ok(json!({ "guild": guild.to_string(), "servers": list }))
}

/// The label of the server named by `server` (or the guild's default).
fn server_label(call: &Call, guild: u64) -> Result<String, Refusal> {
    let named = call.args().opt_text("server")?;
    let record = call
        .state
        .services
        .directory()
        .pick(guild, named.as_deref())
        .map_err(|e| action_refusal(&e))?;
    Ok(record.label)
}

async fn players(call: Call) -> Result<Value, Refusal> {
    let guild = call.args().u64("guild")?;
    let label = server_label(&call, guild)?;
    let latest = call
        .state
        .tracker
        .latest_world(guild, &label)
        .ok_or_else(|| {
            Refusal::new(
                503,
                "that server has not been polled yet; ask again in a few seconds",
            )
        })?;
    let players: Vec<Value> = latest
        .players
        .iter()
        .flatten()
        .map(|(id, p)| {
            json!({
                "id": id, "name": p.name, "team": p.team, "permission": p.permission,
                "callsign": p.callsign, "wanted": p.wanted,
            })
        })
        .collect();
    Ok(json!({ "server": label, "online": latest.online, "players": players }))
}

async fn modcalls(call: Call) -> Result<Value, Refusal> {
    let guild = call.args().u64("guild")?;
    let label = server_label(&call, guild)?;
    let limit = call.args().count("limit", 25, MAX_PER_PAGE)?;
    let calls = call
        .state
        .services
        .mod_calls(guild, &label, limit)
        .map_err(|e| action_refusal(&e))?;
    Ok(json!({ "server": label, "modcalls": calls }))
}

async fn events(call: Call) -> Result<Value, Refusal> {
    let args = call.args();
    let guild = args.u64("guild")?;
    let label = server_label(&call, guild)?;
    let kinds = args.opt_text("pattern")?.unwrap_or_else(|| "*".into());
    let patterns = kinds
        .split(',')
        .map(|kind| Pattern::parse(&format!("{label}/{}", kind.trim())))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Refusal::new(400, format!("`pattern` is not an event pattern: {e}")))?;
    let query = crate::actions::LogQuery {
        patterns,
        span_secs: args
            .opt_u64("since_secs")?
            .map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
        player: args.opt_u64("player")?,
        per_page: args.count("per_page", 25, MAX_PER_PAGE)?.max(1),
    };
    let page = args.count("page", 0, usize::MAX)?;
    let found = call
        .state
        .services
        .log_page(guild, &label, &query, page)
        .map_err(|e| action_refusal(&e))?;
    Ok(json!({
        "server": label, "page": page, "events": found.events, "more": found.more_follows,
    }))
}

fn audit_record(record: &AuditRecord) -> Value {
    json!({
        "seq": record.seq, "time_ms": record.time_ms, "actor": record.actor,
        "source": record.source, "action": record.action, "target": record.target,
        "args": record.args, "outcome": record.outcome,
    })
}

fn audit_entry(entry: &AuditEntry) -> Value {
    json!({
        "intent": audit_record(&entry.intent),
        "completion": entry.completion.as_ref().map(audit_record),
        "outcome": entry.outcome(),
    })
}

async fn audit(call: Call) -> Result<Value, Refusal> {
    let (guild, member) = call.acting()?;
    let args = call.args();
    let by = args.opt_text("by")?;
    let action = args.opt_text("action")?;
    let per_page = args.count("per_page", 25, MAX_PER_PAGE)?.max(1);
    let page = args.count("page", 0, usize::MAX)?;
    let found = call
        .state
        .services
        .audit_page(
            guild,
            member,
            by.as_deref(),
            action.as_deref(),
            per_page,
            page,
        )
        .await
        .map_err(|e| action_refusal(&e))?;
    let entries: Vec<Value> = found.entries.iter().map(audit_entry).collect();
    Ok(json!({ "page": page, "entries": entries, "more": found.next_after_seq.is_some() }))
}

/// Ids as strings, as the other routes give them: Discord and Roblox ids pass 2^53, which a
/// JavaScript dashboard would round.
fn case_json(case: &Case) -> Value {
    let id = |id: Option<u64>| id.map(|id| id.to_string());
    let moderator = |m: &CaseModerator| {
        json!({
            "discord_id": id(m.discord_id), "discord_name": m.discord_name,
            "roblox_id": id(m.roblox_id), "roblox_name": m.roblox_name,
        })
    };
    json!({
        "number": case.number, "type": case.kind,
        "player": { "id": id(case.target.id), "name": case.target.name },
        "moderator": moderator(&case.moderator), "reason": case.reason, "server": case.server,
        "created_at_ms": case.created_at_ms, "source": case.source, "status": case.status,
        "expires_at_ms": case.expires_at_ms,
    })
}

/// One case (`number`), or a page of a player's (`player`: id or name) or a moderator's
/// (`moderator`: Discord id) cases, newest first, optionally of one `type`.
async fn cases(call: Call) -> Result<Value, Refusal> {
    let (guild, member) = call.acting()?;
    let args = call.args();
    let services = &call.state.services;
    if let Some(number) = args.opt_u64("number")? {
        let case = services
            .view_case(guild, member, number, Source::Ipc)
            .await
            .map_err(|e| action_refusal(&e))?;
        return Ok(json!({ "case": case_json(&case) }));
    }
    let query = match (args.opt_text("player")?, args.opt_u64("moderator")?) {
        (Some(player), None) => CaseQuery::Player(player),
        (None, Some(moderator)) => CaseQuery::Moderator(moderator),
        _ => {
            return Err(Refusal::new(
                400,
                "give `number`, or one of `player` and `moderator`",
            ));
        }
    };
    let kind = args.opt_text("type")?;
    let page = args.count("page", 0, usize::MAX)?;
    let found = services
        .list_cases(guild, member, &query, kind.as_deref(), page, Source::Ipc)
        .await
        .map_err(|e| action_refusal(&e))?;
    let list: Vec<Value> = found.cases.iter().map(case_json).collect();
    Ok(json!({ "page": page, "cases": list, "more": found.has_more }))
}

/// Ids as strings (see [`case_json`]); the time worked counts an open shift up to `now_ms`.
fn shift_json(shift: &Shift, now_ms: i64) -> Value {
    let breaks: Vec<Value> = shift
        .breaks
        .iter()
        .map(|b| json!({ "start_ms": b.start_ms, "end_ms": b.end_ms }))
        .collect();
    let adjustments: Vec<Value> = shift
        .adjustments
        .iter()
        .map(|a| {
            json!({
                "minutes": a.minutes, "reason": a.reason, "by": a.by.to_string(),
                "at_ms": a.at_ms,
            })
        })
        .collect();
    json!({
        "id": shift.id, "member": shift.member.to_string(),
        "roblox": shift.roblox.as_ref().map(|r| json!({ "id": r.id.to_string(), "name": r.name })),
        "type": shift.kind, "server": shift.server, "source": shift.source,
        "status": shift.status, "started_at_ms": shift.started_at_ms,
        "ended_at_ms": shift.ended_at_ms, "breaks": breaks, "adjustments": adjustments,
        "worked_ms": shift.worked_ms(i64::MIN, i64::MAX, now_ms),
    })
}

/// A member's open shift and a page of their shifts, newest first: `of` (Discord id; the
/// acting member when absent), optionally only those started at or after `since_ms`.
async fn shifts(call: Call) -> Result<Value, Refusal> {
    let (guild, member) = call.acting()?;
    let args = call.args();
    let services = &call.state.services;
    let of = args.opt_u64("of")?.unwrap_or(member.discord_id);
    let since_ms = match args.opt_u64("since_ms")? {
        Some(ms) => {
            Some(i64::try_from(ms).map_err(|_| Refusal::new(400, "`since_ms` is too large"))?)
        }
        None => None,
    };
    let page = args.count("page", 0, usize::MAX)?;
    let open = services
        .shift_status(guild, member, of, Source::Ipc)
        .await
        .map_err(|e| action_refusal(&e))?;
    let found = services
        .shift_history(guild, member, of, since_ms, page, Source::Ipc)
        .await
        .map_err(|e| action_refusal(&e))?;
    let now = services.store().clock().now_ms();
    let list: Vec<Value> = found.shifts.iter().map(|s| shift_json(s, now)).collect();
    Ok(json!({
        "of": of.to_string(), "open": open.map(|s| shift_json(&s, now)),
        "page": page, "shifts": list, "more": found.has_more,
    }))
}

fn done(report: &ActionReport) -> Value {
    let seen = match report.confirmation {
        Confirmation::Confirmed { .. } => Some(true),
        Confirmation::NotSeen => Some(false),
        Confirmation::NotRequested => None,
    };
    json!({
        "status": "done",
        "action": report.action.verb(),
        "server": report.server_label,
        "command": report.command_text,
        "player": report.player.as_ref().map(|p| json!({ "name": p.name, "id": p.id })),
        "seen_in_logs": seen,
    })
}

fn held(held: &HeldForConfirmation) -> Value {
    json!({
        "status": "needs_confirmation",
        "confirm_id": held.token,
        "command": held.command_text,
        "server": held.server_label,
        "player": held.player.as_ref().map(|p| json!({ "name": p.name, "id": p.id })),
        "expires_in_secs": held.expires_in.as_secs(),
    })
}

/// Kicks and bans wait for `confirm` (as destructive commands wait for a Confirm press);
/// the rest run at once. Both are checked against the member's capabilities and audited.
async fn act(call: Call, action: ModAction, hold: bool) -> Result<Value, Refusal> {
    let (guild, member) = call.acting()?;
    let server = call.args().opt_text("server")?;
    let services = &call.state.services;
    if hold {
        let held_action = services
            .hold_for_confirmation(guild, member, Source::Ipc, server.as_deref(), action)
            .await
            .map_err(|e| action_refusal(&e))?;
        return Ok(held(&held_action));
    }
    let report = services
        .run_action(guild, member, Source::Ipc, server.as_deref(), action)
        .await
        .map_err(|e| action_refusal(&e))?;
    Ok(done(&report))
}

async fn kick(call: Call) -> Result<Value, Refusal> {
    let player = call.args().text("player")?;
    let reason = call.args().opt_text("reason")?;
    act(call, ModAction::Kick { player, reason }, true).await
}

async fn ban(call: Call) -> Result<Value, Refusal> {
    let player = call.args().text("player")?;
    let reason = call.args().opt_text("reason")?;
    act(call, ModAction::Ban { player, reason }, true).await
}

async fn unban(call: Call) -> Result<Value, Refusal> {
    let player = call.args().text("player")?;
    act(call, ModAction::Unban { player }, false).await
}

async fn pm(call: Call) -> Result<Value, Refusal> {
    let player = call.args().text("player")?;
    let text = call.args().text("message")?;
    act(call, ModAction::Pm { player, text }, false).await
}

async fn hint(call: Call) -> Result<Value, Refusal> {
    let text = call.args().text("message")?;
    act(call, ModAction::Hint { text }, false).await
}

async fn announce(call: Call) -> Result<Value, Refusal> {
    let text = call.args().text("message")?;
    act(call, ModAction::Announce { text }, false).await
}

async fn confirm(call: Call) -> Result<Value, Refusal> {
    let (guild, member) = call.acting()?;
    let token = call.args().text("confirm_id")?;
    let report = call
        .state
        .services
        .confirm_from(guild, member, Source::Ipc, &token)
        .await
        .map_err(|e| action_refusal(&e))?;
    Ok(done(&report))
}

async fn cancel(call: Call) -> Result<Value, Refusal> {
    let (guild, member) = call.acting()?;
    let token = call.args().text("confirm_id")?;
    let command = call
        .state
        .services
        .cancel_confirmation(guild, member, &token)
        .map_err(|e| action_refusal(&e))?;
    Ok(json!({ "status": "cancelled", "command": command }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn route_names_are_unique_and_found_by_name() {
        let names: BTreeSet<&str> = ROUTES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), ROUTES.len());
        assert!(find("ping").is_some_and(|r| !r.acts_for_member));
        assert!(find("kick").is_some_and(|r| r.acts_for_member));
        assert!(
            find("/ping").is_none(),
            "names are normalised before lookup"
        );
        assert!(find("shutdown").is_none());
    }

    #[test]
    fn every_action_route_acts_for_a_member() {
        for name in [
            "audit", "cases", "shifts", "kick", "ban", "unban", "pm", "hint", "announce",
            "confirm", "cancel",
        ] {
            assert!(find(name).is_some_and(|r| r.acts_for_member), "{name}");
        }
    }
}
