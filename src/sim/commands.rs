//! In-game commands: parse the text a caller sends (`:name targets args`), check it against the
//! command rules, resolve targets, and apply the effect to the world.

use super::config::CommandRules;
use super::world::{
    ADMINISTRATOR, AppliedCommand, CIVILIAN, HELPER, JAIL, Location, MODERATOR, MessageKind,
    NORMAL, SentMessage, World,
};

/// Why the command endpoint refuses a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// 3001: no valid command.
    Invalid(&'static str),
    /// 4002: the command is restricted.
    Restricted,
    /// 4003: the text contains a prohibited word.
    Prohibited,
}

/// Every accepted command name or alias, with its canonical name.
const ALIASES: &[(&str, &str)] = &[
    ("h", "h"),
    ("hint", "h"),
    ("m", "m"),
    ("message", "m"),
    ("pm", "pm"),
    ("privatemessage", "pm"),
    ("kick", "kick"),
    ("ban", "ban"),
    ("unban", "unban"),
    ("wanted", "wanted"),
    ("unwanted", "unwanted"),
    ("jail", "jail"),
    ("arrest", "jail"),
    ("unjail", "unjail"),
    ("free", "unjail"),
    ("kill", "kill"),
    ("down", "kill"),
    ("heal", "heal"),
    ("refresh", "refresh"),
    ("load", "load"),
    ("respawn", "load"),
    ("tp", "tp"),
    ("teleport", "tp"),
    ("helper", "helper"),
    ("unhelper", "unhelper"),
    ("mod", "mod"),
    ("unmod", "unmod"),
    ("admin", "admin"),
    ("unadmin", "unadmin"),
    ("time", "time"),
    ("weather", "weather"),
    ("startfire", "startfire"),
    ("stopfire", "stopfire"),
    ("stopdumpsterfire", "stopfire"),
    ("prty", "prty"),
    ("priority", "prty"),
    ("pt", "pt"),
    ("peacetime", "pt"),
    ("peacetimer", "pt"),
    ("log", "log"),
    ("loadlayout", "loadlayout"),
    ("unloadlayout", "unloadlayout"),
    ("shutdown", "shutdown"),
];

const WEATHERS: &[&str] = &["clear", "rain", "fog", "snow", "thunderstorm"];

/// A command that passed the rules: canonical name and the text after the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Canonical command name, aliases resolved, without `:`.
    pub name: &'static str,
    /// Everything after the name, unchanged.
    pub rest: String,
}

/// Checks a command's text the way the command endpoint does.
pub fn parse(text: &str, rules: &CommandRules) -> Result<Parsed, CommandError> {
    if text.contains(['\n', '\r']) {
        return Err(CommandError::Invalid("commands must be a single line"));
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CommandError::Invalid("the command is empty"));
    }
    let Some(body) = trimmed.strip_prefix(':') else {
        return Err(CommandError::Invalid("commands start with `:`"));
    };
    let (word, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let word = word.to_lowercase();
    if word.is_empty() {
        return Err(CommandError::Invalid("the command has no name"));
    }
    if rules
        .restricted
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&word))
    {
        return Err(CommandError::Restricted);
    }
    let Some((_, name)) = ALIASES.iter().find(|(alias, _)| *alias == word) else {
        return Err(CommandError::Invalid("unknown command"));
    };
    let prohibited = trimmed.split(|c: char| !c.is_alphanumeric()).any(|w| {
        rules
            .prohibited_words
            .iter()
            .any(|p| p.eq_ignore_ascii_case(w))
    });
    if prohibited {
        return Err(CommandError::Prohibited);
    }
    Ok(Parsed {
        name,
        rest: rest.trim().to_owned(),
    })
}

/// The first whitespace-separated token and the rest.
fn split_token(text: &str) -> (&str, &str) {
    let (token, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    (token, rest.trim())
}

/// Online players named by a target list: exact name, name prefix (first match in join order),
/// user id, comma lists, `all`, `others` (all but the caller) and `me`.
pub fn resolve_targets(world: &World, token: &str, caller: Option<u64>) -> Vec<u64> {
    let mut ids = Vec::new();
    for part in token.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let lower = part.to_lowercase();
        let found: Vec<u64> = match lower.as_str() {
            "all" => world.players.iter().map(|p| p.id).collect(),
            "others" => world
                .players
                .iter()
                .map(|p| p.id)
                .filter(|id| Some(*id) != caller)
                .collect(),
            "me" => caller.into_iter().collect(),
            _ => resolve_one(world, part).into_iter().collect(),
        };
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

fn resolve_one(world: &World, part: &str) -> Option<u64> {
    if let Ok(id) = part.parse::<u64>() {
        if world.player(id).is_some() {
            return Some(id);
        }
    }
    let lower = part.to_lowercase();
    world
        .players
        .iter()
        .find(|p| p.name.to_lowercase() == lower)
        .or_else(|| {
            world
                .players
                .iter()
                .find(|p| p.name.to_lowercase().starts_with(&lower))
        })
        .map(|p| p.id)
}

/// A user named by id (online or not) or by an online player's name; for bans and staff.
fn resolve_user(world: &World, token: &str) -> Option<(u64, String)> {
    if let Ok(id) = token.parse::<u64>() {
        let name = world
            .known_users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string());
        return Some((id, name));
    }
    if let Some(id) = resolve_one(world, token) {
        return world.player(id).map(|p| (p.id, p.name.clone()));
    }
    world
        .known_users
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(token))
        .map(|(id, name)| (*id, name.clone()))
}

/// Applies a parsed command run by `caller` (`None` = the API) and records it.
pub fn apply(world: &mut World, caller: Option<u64>, cmd: &Parsed, now: i64) {
    let (token, argument) = split_token(&cmd.rest);
    let targets = match cmd.name {
        "h" | "m" | "log" => {
            let kind = match cmd.name {
                "h" => Some(MessageKind::Hint),
                "m" => Some(MessageKind::Message),
                _ => None,
            };
            if let Some(kind) = kind {
                world.messages.push(SentMessage {
                    kind,
                    targets: Vec::new(),
                    text: cmd.rest.clone(),
                    timestamp: now,
                });
            }
            Vec::new()
        }
        "pm" => {
            let targets = resolve_targets(world, token, caller);
            world.messages.push(SentMessage {
                kind: MessageKind::PrivateMessage,
                targets: targets.clone(),
                text: argument.to_owned(),
                timestamp: now,
            });
            targets
        }
        "kick" => {
            let targets = resolve_targets(world, token, caller);
            for id in &targets {
                let _ = world.remove_player(*id, now);
            }
            targets
        }
        "shutdown" => {
            let targets: Vec<u64> = world.players.iter().map(|p| p.id).collect();
            for id in &targets {
                let _ = world.remove_player(*id, now);
            }
            targets
        }
        "ban" => match resolve_user(world, token) {
            Some((id, name)) => {
                world.add_ban(id, &name);
                let _ = world.remove_player(id, now);
                vec![id]
            }
            None => Vec::new(),
        },
        "unban" => unban(world, token),
        "wanted" | "unwanted" | "jail" | "unjail" | "load" | "kill" | "heal" | "refresh" => {
            let targets = resolve_targets(world, token, caller);
            for id in &targets {
                apply_to_player(world, cmd.name, *id);
            }
            targets
        }
        "tp" => {
            let targets = resolve_targets(world, token, caller);
            let (dest, _) = split_token(argument);
            let destination = resolve_one(world, dest)
                .and_then(|d| world.player(d))
                .map(|p| p.location.clone());
            if let Some(location) = destination {
                for id in &targets {
                    if let Some(p) = world.player_mut(*id) {
                        p.location = location.clone();
                    }
                }
            }
            targets
        }
        "helper" | "mod" | "admin" | "unhelper" | "unmod" | "unadmin" => {
            staff_change(world, cmd.name, token)
        }
        _ => {
            set_flag(world, cmd.name, &cmd.rest);
            Vec::new()
        }
    };
    world.applied.push(AppliedCommand {
        name: cmd.name.to_owned(),
        targets,
        argument: cmd.rest.clone(),
        timestamp: now,
    });
}

fn unban(world: &mut World, token: &str) -> Vec<u64> {
    let by_id = token
        .parse::<u64>()
        .ok()
        .filter(|id| world.bans.contains_key(id));
    let lower = token.to_lowercase();
    let by_name = || {
        let exact = world.bans.iter().find(|(_, n)| n.to_lowercase() == lower);
        exact
            .or_else(|| {
                world
                    .bans
                    .iter()
                    .find(|(_, n)| !lower.is_empty() && n.to_lowercase().starts_with(&lower))
            })
            .map(|(id, _)| *id)
    };
    match by_id.or_else(by_name) {
        Some(id) => {
            world.remove_ban(id);
            vec![id]
        }
        None => Vec::new(),
    }
}

fn apply_to_player(world: &mut World, name: &str, id: u64) {
    match name {
        "jail" => {
            if let Some(p) = world.player_mut(id) {
                if p.team != JAIL {
                    p.team_before_jail = Some(p.team.clone());
                }
                p.wanted_stars = 0;
            }
            let _ = world.set_team(id, JAIL);
        }
        "unjail" => {
            let back = world.player_mut(id).filter(|p| p.team == JAIL).map(|p| {
                p.team_before_jail
                    .take()
                    .unwrap_or_else(|| CIVILIAN.to_owned())
            });
            if let Some(team) = back {
                let _ = world.set_team(id, &team);
            }
        }
        _ => {
            if let Some(p) = world.player_mut(id) {
                match name {
                    "wanted" => p.wanted_stars = p.wanted_stars.max(1),
                    "unwanted" => p.wanted_stars = 0,
                    "load" => p.location = Location::default(),
                    _ => {}
                }
            }
        }
    }
}

fn staff_change(world: &mut World, name: &str, token: &str) -> Vec<u64> {
    let Some((id, user)) = resolve_user(world, token) else {
        return Vec::new();
    };
    let tier = match name.trim_start_matches("un") {
        "helper" => HELPER,
        "mod" => MODERATOR,
        _ => ADMINISTRATOR,
    };
    let granting = !name.starts_with("un");
    if world.player(id).is_some() {
        let current = world.player(id).map(|p| p.permission.clone());
        if granting {
            let _ = world.set_permission(id, tier);
        } else if current.as_deref() == Some(tier) {
            let _ = world.set_permission(id, NORMAL);
        }
    } else {
        let map = match tier {
            HELPER => &mut world.staff.helpers,
            MODERATOR => &mut world.staff.mods,
            _ => &mut world.staff.admins,
        };
        if granting {
            map.insert(id, user);
        } else {
            map.remove(&id);
        }
    }
    vec![id]
}

fn set_flag(world: &mut World, name: &str, rest: &str) {
    let (word, _) = split_token(rest);
    let seconds = || word.parse::<u64>().ok().map(|s| Some(s).filter(|s| *s > 0));
    let flags = &mut world.flags;
    match name {
        "time" => {
            if let Ok(hour) = word.parse::<f64>() {
                if (0.0..=24.0).contains(&hour) {
                    flags.time = Some(hour);
                }
            }
        }
        "weather" => {
            let w = word.to_lowercase();
            if WEATHERS.contains(&w.as_str()) {
                flags.weather = Some(w);
            }
        }
        "prty" => {
            if let Some(s) = seconds() {
                flags.priority_secs = s;
            }
        }
        "pt" => {
            if let Some(s) = seconds() {
                flags.peace_timer_secs = s;
            }
        }
        "startfire" => flags.fire = Some(word.to_lowercase()).filter(|w| !w.is_empty()),
        "stopfire" => flags.fire = None,
        "loadlayout" => flags.layout = Some(rest.to_owned()).filter(|l| !l.is_empty()),
        "unloadlayout" => flags.layout = None,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::world::{PlayerSpec, ServerInfo};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn rules() -> CommandRules {
        CommandRules::default()
    }

    fn world_with(names: &[&str]) -> (World, Vec<u64>) {
        let info = ServerInfo {
            name: "T".into(),
            owner_id: 1,
            co_owner_ids: vec![],
            max_players: 40,
            join_key: "K".into(),
            acc_verified_req: "Disabled".into(),
            team_balance: false,
        };
        let mut w = World::new("s".into(), info, 100, StdRng::seed_from_u64(3));
        let ids = names
            .iter()
            .map(|n| w.add_player(PlayerSpec::named(n), 0).unwrap())
            .collect();
        (w, ids)
    }

    #[test]
    fn parse_applies_the_rules_in_order() {
        let r = rules();
        assert_eq!(parse(":H hi", &r).map(|p| p.name), Ok("h"));
        assert_eq!(parse(":arrest bob", &r).map(|p| p.name), Ok("jail"));
        assert!(matches!(parse("", &r), Err(CommandError::Invalid(_))));
        assert!(matches!(parse("h hi", &r), Err(CommandError::Invalid(_))));
        assert!(matches!(parse(":", &r), Err(CommandError::Invalid(_))));
        assert!(matches!(
            parse(":h a\nb", &r),
            Err(CommandError::Invalid(_))
        ));
        assert!(matches!(parse(":fly", &r), Err(CommandError::Invalid(_))));
        assert_eq!(parse(":View bob", &r), Err(CommandError::Restricted));
        assert_eq!(parse(":h you BADWORD!", &r), Err(CommandError::Prohibited));
        assert!(parse(":h badwordish", &r).is_ok());
    }

    #[test]
    fn targets_resolve_by_name_prefix_id_lists_and_specials() {
        let (w, ids) = world_with(&["Avery_Cole", "avery2", "minty_pretzel"]);
        assert_eq!(resolve_targets(&w, "avery2", None), vec![ids[1]]);
        assert_eq!(resolve_targets(&w, "AVE", None), vec![ids[0]]);
        assert_eq!(resolve_targets(&w, &ids[2].to_string(), None), vec![ids[2]]);
        assert_eq!(
            resolve_targets(&w, "min,avery_cole", None),
            vec![ids[2], ids[0]]
        );
        assert_eq!(resolve_targets(&w, "all", None), ids);
        assert_eq!(
            resolve_targets(&w, "others", Some(ids[0])),
            ids[1..].to_vec()
        );
        assert!(resolve_targets(&w, "nobody", None).is_empty());
    }

    #[test]
    fn group_words_mean_the_group_even_when_a_player_has_that_name() {
        // Roblox allows these usernames; the game still reads the words as groups.
        let (mut w, ids) = world_with(&["All", "Others", "Bob"]);
        for word in ["All", "aLL", "all"] {
            assert_eq!(resolve_targets(&w, word, None), ids, "{word}");
        }
        assert_eq!(
            resolve_targets(&w, "OTHERS", Some(ids[2])),
            ids[..2].to_vec()
        );
        // By user id, only that player.
        assert_eq!(resolve_targets(&w, &ids[0].to_string(), None), vec![ids[0]]);
        let kick = parse(":kick All", &rules()).unwrap();
        apply(&mut w, None, &kick, 5);
        assert!(w.players.is_empty(), "`:kick All` kicks everyone");
    }

    #[test]
    fn flags_and_teleport_follow_their_arguments() {
        let (mut w, ids) = world_with(&["Avery_Cole", "minty_pretzel"]);
        let run = |w: &mut World, text: &str| apply(w, None, &parse(text, &rules()).unwrap(), 5);
        if let Some(p) = w.player_mut(ids[1]) {
            p.location.x = 55.0;
        }
        run(&mut w, ":tp avery minty");
        assert_eq!(w.player(ids[0]).unwrap().location.x, 55.0);
        run(&mut w, ":respawn avery");
        assert_eq!(w.player(ids[0]).unwrap().location, Location::default());
        run(&mut w, ":time 13.5");
        run(&mut w, ":time 99");
        assert_eq!(w.flags.time, Some(13.5));
        run(&mut w, ":priority 120");
        assert_eq!(w.flags.priority_secs, Some(120));
        run(&mut w, ":prty 0");
        assert_eq!(w.flags.priority_secs, None);
        run(&mut w, ":peacetimer 60");
        assert_eq!(w.flags.peace_timer_secs, Some(60));
        run(&mut w, ":startfire brush");
        assert_eq!(w.flags.fire.as_deref(), Some("brush"));
        run(&mut w, ":stopdumpsterfire");
        assert_eq!(w.flags.fire, None);
        run(&mut w, ":log shift started");
        assert_eq!(w.messages.len(), 0, ":log is not a broadcast");
        assert_eq!(w.applied.last().unwrap().name, "log");
    }

    #[test]
    fn effects_change_the_world() {
        let (mut w, ids) = world_with(&["Avery_Cole", "minty_pretzel"]);
        let run = |w: &mut World, text: &str| apply(w, None, &parse(text, &rules()).unwrap(), 5);
        run(&mut w, ":wanted min");
        assert_eq!(w.player(ids[1]).unwrap().wanted_stars, 1);
        run(&mut w, ":jail min");
        assert_eq!(w.player(ids[1]).unwrap().team, JAIL);
        run(&mut w, ":free min");
        assert_eq!(w.player(ids[1]).unwrap().team, CIVILIAN);
        run(&mut w, ":mod avery_cole");
        assert!(w.staff.mods.contains_key(&ids[0]));
        run(&mut w, ":unmod avery_cole");
        assert!(w.staff.mods.is_empty());
        run(&mut w, ":weather Rain");
        assert_eq!(w.flags.weather.as_deref(), Some("rain"));
        run(&mut w, ":pm min,ave hello there");
        let pm = w.messages.last().unwrap();
        assert_eq!(
            (pm.targets.clone(), pm.text.as_str()),
            (vec![ids[1], ids[0]], "hello there")
        );
        run(&mut w, ":ban minty");
        assert!(w.player(ids[1]).is_none());
        assert_eq!(
            w.bans.get(&ids[1]).map(String::as_str),
            Some("minty_pretzel")
        );
        run(&mut w, ":unban MINTY");
        assert!(w.bans.is_empty());
        run(&mut w, ":shutdown");
        assert!(w.players.is_empty());
    }
}
