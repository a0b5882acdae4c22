//! Which parts of `GET /v2/server` (and whether the v1 ban list) a server's poll must ask for:
//! what every poll reads ([`ALWAYS_READ`]), and what the patterns its guild subscribes to add.
//! Asking for no more keeps responses small and leaves PRC's rate limits for the servers that
//! need them.

use crate::erlc::Include;
use crate::events::catalog::ALL_KINDS;
use crate::events::{EventType, Pattern};

/// What every poll reads, whatever the feeds want. Every log, because the event store is the
/// bot's memory beyond PRC's short window (`/logs`, the player timeline), and it is still the
/// same one request; the player list, because it enriches log rows and is the tracker's latest
/// view of who is in game (autocomplete answers from it). What is posted, and which snapshot
/// sections become events, still depends on the feeds.
pub const ALWAYS_READ: Include = Include::none()
    .players()
    .join_logs()
    .kill_logs()
    .command_logs()
    .mod_calls();

/// What one server's feeds need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    /// Sections of `GET /v2/server` to ask for.
    pub include: Include,
    /// Read `GET /v1/server/bans` (at the tracker's slower ban cadence).
    pub bans: bool,
}

/// The sections an event kind is derived from. Players are always needed alongside join logs,
/// because joins are enriched with team and permission from the live list.
fn sections_of(kind: &str) -> Sections {
    let include = Include::none();
    let (include, bans) = match kind {
        "player/join" | "player/leave" => (include.join_logs().players(), false),
        "player/team" | "player/permission" | "player/wanted" | "staff/join" | "staff/leave" => {
            (include.players(), false)
        }
        "queue/join" | "queue/leave" => (include.queue(), false),
        "vehicle/spawn" | "vehicle/despawn" => (include.vehicles(), false),
        "kill" => (include.kill_logs().players(), false),
        "command" => (include.command_logs(), false),
        "modcall/new" | "modcall/answered" => (include.mod_calls().players(), false),
        "emergency/started" | "emergency/responded" | "emergency/ended" => {
            (include.emergency_calls().players(), false)
        }
        "ban/added" | "ban/removed" => (include, true),
        // server/* come from the base fields; customcommand from webhooks; feed/gap from the
        // logs that are read anyway.
        _ => (include, false),
    };
    Sections { include, bans }
}

/// The sections needed for `label` by the union of `patterns` (all of a guild's feeds).
pub fn sections_for<'a>(label: &str, patterns: impl IntoIterator<Item = &'a Pattern>) -> Sections {
    let patterns: Vec<&Pattern> = patterns.into_iter().collect();
    let mut wanted = Sections {
        include: Include::none(),
        bans: false,
    };
    for kind in ALL_KINDS {
        let Ok(event_type) = EventType::parse(&format!("{label}/{kind}")) else {
            continue;
        };
        if patterns.iter().any(|p| p.matches(&event_type)) {
            let needed = sections_of(kind);
            wanted.include = wanted.include.union(needed.include);
            wanted.bans |= needed.bans;
        }
    }
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    #[test]
    fn only_what_the_feeds_need() {
        let none = sections_for("main", &[]);
        assert!(none.include.is_empty() && !none.bans);

        let joins = sections_for("main", &[p("?/player/join")]);
        assert_eq!(joins.include, Include::none().join_logs().players());
        assert!(!joins.bans);

        let other_server = sections_for("side", &[p("main/*")]);
        assert!(other_server.include.is_empty());

        let modcalls = sections_for("main", &[p("main/modcall/*"), p("?/command")]);
        assert_eq!(
            modcalls.include,
            Include::none().mod_calls().players().command_logs()
        );

        // No event needs the v2 Staff maps: staff joins come from player permissions.
        let everything = sections_for("main", &[p("*")]);
        assert_eq!(
            everything.include,
            Include::none()
                .players()
                .join_logs()
                .queue()
                .kill_logs()
                .command_logs()
                .mod_calls()
                .emergency_calls()
                .vehicles()
        );
        assert!(everything.bans);
    }
}
