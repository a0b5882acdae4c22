//! Guild configuration replies: feeds (`/feed list|add|remove`), role permissions
//! (`/permissions list|set`), in-game command and case settings (`/settings`) and what each
//! capability allows. Channels and roles appear as
//! `<#id>` / `<@&id>`: our own text, which Discord renders as names and never pings in embeds.

use std::collections::{BTreeMap, BTreeSet};

use crate::actions::DEFAULT_CASE_COMMANDS;
use crate::store::cases::BUILT_IN_TYPES;
use crate::store::settings::{Capability, FeedSubscription, GuildSettings};
use crate::ui::colours;
use crate::ui::escape::code_span;
use crate::ui::message::{Embed, MAX_DESCRIPTION, MAX_FIELD_VALUE, Message};
use crate::ui::names::{display_name, user_link};

use super::common::{count, pack_lines};

/// `/feed list`.
pub fn feed_list(feeds: &[FeedSubscription]) -> Message {
    let embed = Embed::new().title("📡 Feeds").colour(colours::STAFF);
    let embed = if feeds.is_empty() {
        embed.description(
            "No channel receives a feed yet. Use `/feed add` with a channel and a preset (joins, \
             kills, mod calls, …) or a pattern such as `main/player/*`.",
        )
    } else {
        let lines = feeds.iter().map(feed_line);
        embed.description(&format!(
            "{}\n\n{}",
            count(feeds.len(), "channel", "channels"),
            pack_lines(lines, MAX_DESCRIPTION - 100)
        ))
    };
    Message::single(embed, Vec::new())
}

/// `<#id> ← `main/*` `?/kill` · teams: Police · 2 players`
fn feed_line(feed: &FeedSubscription) -> String {
    format!("<#{}> ← {}", feed.channel_id, feed_details(feed))
}

fn feed_details(feed: &FeedSubscription) -> String {
    let patterns: Vec<String> = feed
        .patterns
        .iter()
        .map(|p| code_span(p.as_str()))
        .collect();
    let mut text = patterns.join(" ");
    let filters = &feed.filters;
    if !filters.teams.is_empty() {
        let teams: Vec<String> = filters.teams.iter().map(|t| display_name(t)).collect();
        text.push_str(&format!(" · teams: {}", teams.join(", ")));
    }
    if !filters.players.is_empty() {
        let players: Vec<String> = filters.players.iter().map(|id| user_link(*id)).collect();
        text.push_str(&format!(
            " · {}: {}",
            count(players.len(), "player", "players"),
            pack_lines(players, 400).replace('\n', ", ")
        ));
    }
    text
}

/// `/feed add`: what the channel now receives, and that it starts now.
pub fn feed_saved(feed: &FeedSubscription) -> Message {
    let embed = Embed::new()
        .title("✅ Feed saved")
        .colour(colours::JOIN)
        .description(&format!(
            "<#{}> now receives {}\n\nWhat you added starts now: events from before it are \
             not posted, only what happens from now on. Make sure the bot can view the \
             channel, send messages and embed links there.",
            feed.channel_id,
            feed_details(feed)
        ));
    Message::single(embed, Vec::new())
}

/// `/feed remove`: `existed` says whether the channel had a feed.
pub fn feed_removed(channel_id: u64, existed: bool) -> Message {
    let embed = if existed {
        Embed::new()
            .title("🗑️ Feed removed")
            .colour(colours::LEAVE)
            .description(&format!(
                "<#{channel_id}> no longer receives events. Messages already posted stay."
            ))
    } else {
        Embed::new()
            .title("Nothing to remove")
            .colour(colours::NEUTRAL)
            .description(&format!(
                "<#{channel_id}> has no feed. `/feed list` shows the channels that do."
            ))
    };
    Message::single(embed, Vec::new())
}

fn capability_list(capabilities: &BTreeSet<Capability>) -> String {
    let names: Vec<String> = capabilities
        .iter()
        .map(|c| format!("`{}`", c.as_str()))
        .collect();
    names.join(", ")
}

/// `/permissions list`: role → capabilities.
pub fn permissions_list(roles: &BTreeMap<u64, BTreeSet<Capability>>) -> Message {
    let embed = Embed::new().title("🔐 Permissions").colour(colours::STAFF);
    let embed = if roles.is_empty() {
        embed.description(
            "No role has been given any capability yet. Use `/permissions set` to let a role \
             view, message, moderate, ban, run raw commands or manage the bot.",
        )
    } else {
        let lines = roles
            .iter()
            .map(|(role, caps)| format!("<@&{role}> → {}", capability_list(caps)));
        embed.description(&pack_lines(lines, MAX_DESCRIPTION))
    };
    let embed = embed.footer("Capabilities add up across a member's roles; none implies another.");
    Message::single(embed, Vec::new())
}

/// `/permissions set`: the role's capabilities now (empty: removed).
pub fn permissions_saved(role_id: u64, capabilities: &BTreeSet<Capability>) -> Message {
    let text = if capabilities.is_empty() {
        format!("<@&{role_id}> no longer has any capability.")
    } else {
        format!(
            "<@&{role_id}> can now use: {}",
            capability_list(capabilities)
        )
    };
    let embed = Embed::new()
        .title("✅ Permissions saved")
        .colour(colours::JOIN)
        .description(&text);
    Message::single(embed, Vec::new())
}

/// `/settings modcall|ingame`: the in-game command settings as they now stand.
pub fn ingame_settings_saved(settings: &GuildSettings) -> Message {
    let channel = settings.modcall_channel.map_or(
        "not set (`;staff` and `;report` cannot post)".to_owned(),
        |c| format!("<#{c}>"),
    );
    let role = settings
        .modcall_ping_role
        .map_or("nobody".to_owned(), |r| format!("<@&{r}>"));
    let state = if settings.custom_commands_enabled {
        "on"
    } else {
        "off (turn them on with `/settings ingame enabled:True`)"
    };
    let embed = Embed::new()
        .title("✅ Settings saved")
        .colour(colours::JOIN)
        .field("In-game `;` commands", state, false)
        .field("Mod-call channel", &channel, true)
        .field("Pinged role", &role, true);
    Message::single(embed, Vec::new())
}

/// `/settings cases`: the case settings as they now stand.
pub fn cases_settings_saved(settings: &GuildSettings) -> Message {
    let channel = settings.cases_channel.map_or(
        "not set (in-game cases without a reason get no card; `/case edit` sets it)".to_owned(),
        |c| format!("<#{c}>"),
    );
    let commands = match &settings.ingame_case_commands {
        None => format!("{} (the default)", DEFAULT_CASE_COMMANDS.join(", ")),
        Some(list) if list.is_empty() => "none".to_owned(),
        Some(list) => list.join(", "),
    };
    let types = if settings.case_types.is_empty() {
        "none".to_owned()
    } else {
        settings.case_types.join(", ")
    };
    let embed = Embed::new()
        .title("✅ Case settings saved")
        .colour(colours::JOIN)
        .field("Cases channel", &channel, false)
        .field(
            "In-game commands that file cases",
            &code_span(&commands),
            false,
        )
        .field("Built-in case types", &BUILT_IN_TYPES.join(", "), false)
        .field("This server's own case types", &code_span(&types), false);
    Message::single(embed, Vec::new())
}

/// What a capability allows, in words and commands.
pub fn capability_summary(capability: Capability) -> &'static str {
    match capability {
        Capability::View => {
            "See servers and players: `/server status`, `/players`, `/staff`, `/queue`, \
             `/vehicles`, `/bans`, `/emergency`, `/logs`, `/player`, `/health`, `/whois`."
        }
        Capability::Message => "Talk in game: `/pm`, `/hint`, `/announce`; the panel's PM button.",
        Capability::Moderate => {
            "Moderate: `/kick`, `/jail`, `/wanted`; the panel's Kick and Wanted buttons; Claim \
             and Resolve on mod calls."
        }
        Capability::Ban => "Ban and unban: `/ban`, `/unban`; the panel's Ban button.",
        Capability::RawCommand => {
            "Run any in-game command with `/command` (destructive ones ask for confirmation)."
        }
        Capability::Manage => {
            "Configure the bot: `/server setup|remove`, `/feed`, `/permissions`, `/audit`; link \
             and unlink members' Roblox accounts with `/links`."
        }
        Capability::Cases => {
            "Cases: `/warn`, `/note`, `/case view`, `/cases`; `/case edit` on cases one filed."
        }
        Capability::CaseAdmin => "Case admin: `/case edit` on anyone's case, and `/case void`.",
        Capability::Shifts => {
            "Shifts: `/shift start|break|resume|end|status|history|leaderboard`, `:log shift` in game."
        }
        Capability::ShiftAdmin => {
            "Shift admin: `/shift adjust` and `/shift void` on anyone's shifts; approve or \
             deny leave (`/loa`) and see anyone's; `/activity report`."
        }
    }
}

/// What each capability allows, for `/permissions` help.
pub fn capabilities_help() -> Message {
    let mut embed = Embed::new()
        .title("🔐 Capabilities")
        .colour(colours::STAFF)
        .description(
            "Give roles capabilities with `/permissions set`. A member may do what any of \
             their roles allows; every action and button checks this again and is audited.",
        );
    for capability in Capability::ALL {
        embed = embed.field(
            &format!("`{}`", capability.as_str()),
            &crate::ui::message::truncate(capability_summary(capability), MAX_FIELD_VALUE),
            false,
        );
    }
    Message::single(embed, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingame_settings_show_channel_role_and_switch() {
        let saved = ingame_settings_saved(&GuildSettings {
            modcall_channel: Some(5),
            modcall_ping_role: Some(7),
            custom_commands_enabled: true,
            ..GuildSettings::default()
        });
        let text = serde_json::to_string(&saved.embeds).unwrap();
        assert!(text.contains("<#5>") && text.contains("<@&7>"), "{text}");
        assert!(text.contains("\"value\":\"on\""), "{text}");

        let unset = serde_json::to_string(&ingame_settings_saved(&GuildSettings::default()).embeds)
            .unwrap();
        assert!(
            unset.contains("not set") && unset.contains("nobody"),
            "{unset}"
        );
        assert!(unset.contains("/settings ingame"), "{unset}");
    }
}
