//! Cards for everyday activity: joins and leaves, team/permission/wanted changes, staff
//! presence, the queue, vehicles, kills, commands and bans. One short line each, so a batch
//! of ten reads like a log.

use crate::events::catalog::{EventPayload, PlayerInfo};

use crate::ui::colours;
use crate::ui::escape::code_span;
use crate::ui::message::Embed;
use crate::ui::names::{display_name, name_link, player_link, user_link};
use crate::ui::stars::stars;

use super::{Card, CardContext, colour_of, team_colour_or};

/// The card of any payload: the one match over every kind, so a new kind does not compile
/// until it has a card. Everyday activity is drawn here; calls, notices and server status by
/// their own modules.
pub(super) fn render(payload: &EventPayload, cx: &CardContext<'_>) -> Card {
    use EventPayload::*;
    let ago = cx.ago();
    let embed = match payload {
        PlayerJoin { player } => with_player_fields(
            cx.embed("Player joined", colour_of(player, colours::JOIN))
                .description(&format!("{} joined {ago}", player_link(player))),
            player,
        ),
        PlayerLeave { player } => with_player_fields(
            cx.embed("Player left", colours::LEAVE)
                .description(&format!("{} left {ago}", player_link(player))),
            player,
        ),
        PlayerTeam { player, from, to } => cx
            .embed("Team change", team_colour_or(to, colours::NEUTRAL))
            .description(&format!(
                "{} switched from **{}** to **{}** {ago}",
                player_link(player),
                display_name(from),
                display_name(to)
            )),
        PlayerPermission { player, from, to } => cx
            .embed("Permission change", colours::STAFF)
            .description(&format!(
                "{}: **{}** → **{}** {ago}",
                player_link(player),
                display_name(from),
                display_name(to)
            )),
        PlayerWanted { player, from, to } => cx
            .embed("Wanted level", wanted_colour(*from, *to))
            .description(&format!(
                "{} {} {ago}",
                player_link(player),
                wanted_change(*from, *to)
            )),
        StaffJoin { player } => with_player_fields(
            cx.embed("Staff online", colours::STAFF)
                .description(&format!("{} came online {ago}", player_link(player))),
            player,
        ),
        StaffLeave { player } => cx
            .embed("Staff offline", colours::LEAVE)
            .description(&format!("{} went offline {ago}", player_link(player))),
        QueueJoin { user_id, position } => {
            cx.embed("Queue", colours::NEUTRAL).description(&format!(
                "{} joined the queue at position **{position}** {ago}",
                user_link(*user_id)
            ))
        }
        QueueLeave { user_id } => cx
            .embed("Queue", colours::LEAVE)
            .description(&format!("{} left the queue {ago}", user_link(*user_id))),
        VehicleSpawn {
            owner,
            name,
            plate,
            colour,
        } => optional_field(
            optional_field(
                cx.embed("Vehicle spawned", colours::NEUTRAL)
                    .description(&format!(
                        "{} spawned **{}** {ago}",
                        display_name(owner),
                        display_name(name)
                    )),
                "Plate",
                plate,
            ),
            "Colour",
            colour,
        ),
        VehicleDespawn { owner, name, plate } => optional_field(
            cx.embed("Vehicle despawned", colours::LEAVE)
                .description(&format!(
                    "**{}** of {} despawned {ago}",
                    display_name(name),
                    display_name(owner)
                )),
            "Plate",
            plate,
        ),
        Kill { killer, killed } => cx
            .embed("Kill", colour_of(killer, colours::KILL))
            .description(&format!(
                "{} killed {} {ago}",
                player_link(killer),
                player_link(killed)
            ))
            .field("Killer team", &team_text(killer), true)
            .field("Victim team", &team_text(killed), true),
        Command { player, command } => cx.embed("Command", colours::COMMAND).description(&format!(
            "{} ran {} {ago}{}",
            player_link(player),
            code_span(command),
            if player.id.is_none() {
                "\n-# sent through the API"
            } else {
                ""
            }
        )),
        CustomCommand {
            player,
            command,
            argument,
        } => cx
            .embed("In-game ; command", colours::COMMAND)
            .description(&format!(
                "{} typed {} {ago}",
                player_link(player),
                code_span(&format!(";{command} {argument}"))
            )),
        BanAdded { user_id, name } => cx
            .embed("Ban added", colours::DANGER)
            .description(&format!(
                "{} was banned {ago}",
                name_link(name, Some(*user_id))
            ))
            .field("User id", &user_id.to_string(), true),
        BanRemoved { user_id, name } => cx
            .embed("Ban removed", colours::JOIN)
            .description(&format!(
                "{} was unbanned {ago}",
                name_link(name, Some(*user_id))
            ))
            .field("User id", &user_id.to_string(), true),
        ModCallNew { call_key, caller } => return super::calls::mod_call_new(call_key, caller, cx),
        ModCallAnswered {
            call_key,
            caller,
            moderator,
        } => return super::calls::mod_call_answered(call_key, caller, moderator, cx),
        EmergencyStarted { call } => {
            return super::calls::emergency(call, super::calls::CallStage::Started, cx);
        }
        EmergencyResponded { call } => {
            return super::calls::emergency(call, super::calls::CallStage::Responded, cx);
        }
        EmergencyEnded { call } => {
            return super::calls::emergency(call, super::calls::CallStage::Ended, cx);
        }
        CaseCreated { case } => {
            return super::cases::case_card(case, super::cases::CaseStage::Created, cx);
        }
        CaseUpdated { case } => {
            return super::cases::case_card(case, super::cases::CaseStage::Updated, cx);
        }
        CaseVoided { case } => {
            return super::cases::case_card(case, super::cases::CaseStage::Voided, cx);
        }
        ShiftStarted { shift }
        | ShiftBreak { shift }
        | ShiftResumed { shift }
        | ShiftEnded { shift }
        | ShiftVoided { shift } => {
            return super::shifts::shift_card(payload.kind(), shift, cx);
        }
        FeedGap { since, until, logs } => {
            return super::notices::feed_gap(*since, *until, logs, cx);
        }
        ServerOnline { name, players } => {
            return super::notices::server_online(name, *players, cx);
        }
        ServerOffline { name } => return super::notices::server_offline(name, cx),
    };
    Card::plain(embed)
}

/// Team, permission and callsign as small inline fields, when the game told us.
fn with_player_fields(embed: Embed, player: &PlayerInfo) -> Embed {
    let embed = optional_field(embed, "Team", &player.team);
    let embed = match player.permission.as_deref() {
        Some(p) if !p.eq_ignore_ascii_case("normal") => {
            embed.field("Permission", &display_name(p), true)
        }
        _ => embed,
    };
    optional_field(embed, "Callsign", &player.callsign)
}

fn optional_field(embed: Embed, name: &str, value: &Option<String>) -> Embed {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => embed.field(name, &display_name(v), true),
        _ => embed,
    }
}

fn team_text(player: &PlayerInfo) -> String {
    player
        .team
        .as_deref()
        .map_or_else(|| "unknown".to_owned(), display_name)
}

fn wanted_change(from: u32, to: u32) -> String {
    let verb = match to.cmp(&from) {
        std::cmp::Ordering::Greater => "is now wanted",
        std::cmp::Ordering::Less if to == 0 => "is no longer wanted",
        _ => "wanted level changed",
    };
    format!("{verb}: {} ({from} → {to})", stars(to))
}

fn wanted_colour(from: u32, to: u32) -> u32 {
    if to > from {
        colours::DANGER
    } else {
        colours::JOIN
    }
}
