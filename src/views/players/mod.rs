//! Live lists from a server: players (paged, by team), staff online, the queue, vehicles,
//! bans and active 911 calls.

mod calls;
mod lists;

pub use calls::{EMERGENCY_SECTIONS, emergency_calls};
pub use lists::{VEHICLES_SECTIONS, bans_page, vehicles_page};

use std::collections::HashSet;

use crate::erlc::models::{IdMap, Include, Player, StaffV2, Team};
use crate::ui::colours;
use crate::ui::escape::{code_span, plain_line};
use crate::ui::message::{Embed, MAX_DESCRIPTION, MAX_FIELD_VALUE, Message};
use crate::ui::names::{name_link, user_link};
use crate::ui::stars::stars;
use crate::ui::team::TeamStyle;

use super::common::{count, pack_lines, permission_badge, ref_link};
use super::paging::{PageInfo, PagedView, page_buttons};

/// Players per page of `/players`.
pub const PLAYERS_PER_PAGE: usize = 20;
/// Vehicles per page of `/vehicles`.
pub const VEHICLES_PER_PAGE: usize = 15;
/// Bans per page of `/bans` (read from `GET /v1/server/bans`: v2 has no ban list).
pub const BANS_PER_PAGE: usize = 25;

/// What [`players_page`] reads from `GET /v2/server`: the player list, with the wanted stars
/// only v2 has.
pub const PLAYERS_SECTIONS: Include = Include::none().players();
/// What [`staff`] reads: who is in game (with their permission) and the staff roster.
pub const STAFF_SECTIONS: Include = Include::none().players().staff();
/// What [`queue`] reads: the queue, and the player list to name who is in it.
pub const QUEUE_SECTIONS: Include = Include::none().players().queue();

/// `/players`: sorted by team then name, with callsign, staff badge and wanted stars.
/// `filter` keeps one team; `page` counts from 0 and is clamped.
pub fn players_page(
    label: &str,
    players: &[Player],
    filter: Option<&Team>,
    page: usize,
    per_page: usize,
) -> (Message, PageInfo) {
    let mut shown: Vec<&Player> = players
        .iter()
        .filter(|p| filter.is_none_or(|team| p.team == *team))
        .collect();
    shown.sort_by(|a, b| {
        a.team
            .rank()
            .cmp(&b.team.rank())
            .then_with(|| a.team.as_str().cmp(b.team.as_str()))
            .then_with(|| {
                a.player
                    .name
                    .to_lowercase()
                    .cmp(&b.player.name.to_lowercase())
            })
    });
    let info = PageInfo::of_list(page, shown.len(), per_page);
    let title = match filter {
        Some(team) => format!(
            "👥 {} players ({} of {})",
            team.display_name(),
            shown.len(),
            players.len()
        ),
        None => format!("👥 Players ({})", players.len()),
    };
    let colour = filter.and_then(Team::colour).unwrap_or(colours::STAFF);
    let description = if shown.is_empty() {
        empty_players_text(players, filter)
    } else {
        let page_players = shown.get(info.range(per_page)).unwrap_or_default();
        let team_sizes = |team: &Team| shown.iter().filter(|p| p.team == *team).count();
        let mut lines = Vec::with_capacity(page_players.len() + 6);
        let mut current: Option<&Team> = None;
        for player in page_players {
            if current != Some(&player.team) {
                current = Some(&player.team);
                lines.push(format!(
                    "**{} {}** · {}",
                    player.team.swatch(),
                    player.team.display_name(),
                    team_sizes(&player.team)
                ));
            }
            lines.push(player_line(player));
        }
        pack_lines(lines, MAX_DESCRIPTION)
    };
    let embed = Embed::new()
        .title(&title)
        .colour(colour)
        .description(&description)
        .footer(&plain_line(&format!("{label} · {}", info.label())));
    let token = filter.map_or("", Team::as_str);
    let buttons = page_buttons(label, PagedView::Players, token, &info);
    (Message::single(embed, buttons), info)
}

fn empty_players_text(players: &[Player], filter: Option<&Team>) -> String {
    match filter {
        None => "Nobody is in the server right now.".to_owned(),
        Some(team) => {
            let mut teams: Vec<&Team> = players.iter().map(|p| &p.team).collect();
            teams.sort_by_key(|t| t.rank());
            teams.dedup();
            let present = if teams.is_empty() {
                "nobody is in the server".to_owned()
            } else {
                let names: Vec<String> = teams.iter().map(|t| t.display_name()).collect();
                format!("teams in game now: {}", names.join(", "))
            };
            format!(
                "Nobody is on the team **{}** ({present}).",
                team.display_name()
            )
        }
    }
}

/// `[name](profile) · `1A-12` · 🛡 Mod · ★★` (the team is the heading above).
fn player_line(player: &Player) -> String {
    let mut line = ref_link(&player.player);
    if let Some(callsign) = player.callsign.as_deref().filter(|c| !c.trim().is_empty()) {
        line.push_str(&format!(" · {}", code_span(callsign)));
    }
    if let Some(badge) = permission_badge(&player.permission) {
        line.push_str(&format!(" · {badge}"));
    }
    if let Some(wanted) = player.wanted_stars.filter(|w| *w > 0) {
        line.push_str(&format!(" · {}", stars(wanted)));
    }
    line
}

/// `/staff`: staff in game now (from the player list), and the roster with who is online.
pub fn staff(
    label: &str,
    online: &[Player],
    roster: Option<&StaffV2>,
    co_owners: &[u64],
) -> Message {
    let mut in_game: Vec<&Player> = online.iter().filter(|p| p.permission.is_staff()).collect();
    in_game.sort_by(|a, b| {
        b.permission.rank().cmp(&a.permission.rank()).then_with(|| {
            a.player
                .name
                .to_lowercase()
                .cmp(&b.player.name.to_lowercase())
        })
    });
    let online_ids: HashSet<u64> = online.iter().filter_map(|p| p.player.id).collect();
    let in_game_text = if in_game.is_empty() {
        "No staff in game right now.".to_owned()
    } else {
        let lines = in_game.iter().map(|p| {
            let badge = permission_badge(&p.permission).unwrap_or("Staff");
            format!(
                "{badge} · {} · {} {}",
                ref_link(&p.player),
                p.team.swatch(),
                p.team.display_name()
            )
        });
        pack_lines(lines, MAX_DESCRIPTION)
    };
    let mut embed = Embed::new()
        .title(&format!("🛡 Staff in game ({})", in_game.len()))
        .colour(colours::STAFF)
        .description(&in_game_text);
    let dot = |id: u64| {
        if online_ids.contains(&id) {
            "🟢"
        } else {
            "⚫"
        }
    };
    if !co_owners.is_empty() {
        let lines = co_owners
            .iter()
            .map(|id| format!("{} {}", dot(*id), user_link(*id)));
        embed = embed.field("Co-owners", &pack_lines(lines, MAX_FIELD_VALUE), false);
    }
    if let Some(roster) = roster {
        for (title, members) in [
            ("Administrators", &roster.admins),
            ("Moderators", &roster.mods),
            ("Helpers", &roster.helpers),
        ] {
            embed = embed.field(
                &format!("{title} ({})", members.len()),
                &roster_lines(members, &dot),
                false,
            );
        }
    }
    let embed = embed.footer(&plain_line(&format!(
        "{label} · 🟢 in game · ⚫ not in game"
    )));
    Message::single(embed, Vec::new())
}

/// Roster members, online first, then by name.
fn roster_lines(members: &IdMap, dot: &dyn Fn(u64) -> &'static str) -> String {
    if members.is_empty() {
        return "none".to_owned();
    }
    let mut list: Vec<(&u64, &String)> = members.iter().collect();
    list.sort_by_key(|(id, name)| (dot(**id) != "🟢", name.to_lowercase()));
    let lines = list
        .into_iter()
        .map(|(id, name)| format!("{} {}", dot(*id), name_link(name, Some(*id))));
    pack_lines(lines, MAX_FIELD_VALUE)
}

/// `/queue`: user ids in queue order, named where `name_of` knows them.
pub fn queue(label: &str, queue: &[u64], name_of: &dyn Fn(u64) -> Option<String>) -> Message {
    let description = if queue.is_empty() {
        "Nobody is waiting to join.".to_owned()
    } else {
        let lines = queue.iter().enumerate().map(|(i, id)| {
            let who = match name_of(*id) {
                Some(name) => name_link(&name, Some(*id)),
                None => user_link(*id),
            };
            format!("`{:>2}.` {who}", i + 1)
        });
        pack_lines(lines, MAX_DESCRIPTION)
    };
    let embed = Embed::new()
        .title(&format!(
            "⏳ Queue · {}",
            count(queue.len(), "waiting", "waiting")
        ))
        .colour(colours::NEUTRAL)
        .description(&description)
        .footer(&plain_line(&format!("{label} · queue")));
    Message::single(embed, Vec::new())
}
