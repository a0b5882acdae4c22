//! Routing: which channels want an event. Each guild's feed routes (channel, patterns with
//! the time each was added, optional team/player filters) go into a subscription index, so an
//! event only visits the routes its type can match. Presets name the pattern sets most
//! communities want.

use std::collections::{BTreeMap, HashMap};

use crate::events::catalog::{EventPayload, Involved};
use crate::events::{Event, EventTypeError, Pattern, PatternSegment, SubscriptionIndex};

/// The kind of the event that warns about missing entries.
const FEED_GAP: &str = "feed/gap";

/// Optional narrowing of a route. Empty lists do not filter. With both set, an event must
/// pass both.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteFilters {
    /// Team names (case-insensitive): the event must involve a player of one of these teams.
    pub teams: Vec<String>,
    /// Roblox user ids: the event must involve one of these players.
    pub players: Vec<u64>,
}

impl RouteFilters {
    /// True when neither teams nor players narrow the route.
    pub fn is_empty(&self) -> bool {
        self.teams.is_empty() && self.players.is_empty()
    }

    fn accepts(&self, event: &Event, payload: Option<&EventPayload>) -> bool {
        let team_ok = self.teams.is_empty()
            || payload.is_some_and(|p| {
                event_teams(p).iter().any(|team| {
                    self.teams
                        .iter()
                        .any(|want| want.eq_ignore_ascii_case(team))
                })
            });
        let player_ok =
            self.players.is_empty() || event.players.iter().any(|id| self.players.contains(id));
        team_ok && player_ok
    }
}

/// One feed: a channel, the event patterns it follows, and its filters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedRoute {
    /// Discord channel the feed posts in.
    pub channel_id: u64,
    /// Event types the feed follows, such as `main/player/*` or `?/kill`.
    pub patterns: Vec<Pattern>,
    /// Teams or players an event must involve; empty lists let every event through.
    #[serde(default)]
    pub filters: RouteFilters,
    /// When each pattern was added, in Unix ms, by pattern text: the pattern takes only events
    /// from then on. Patterns without a time take every event they match.
    #[serde(default)]
    pub added_at_ms: BTreeMap<String, i64>,
}

impl FeedRoute {
    /// When `pattern` was added to this route, if known.
    fn added_at(&self, pattern: &Pattern) -> Option<i64> {
        self.added_at_ms.get(pattern.as_str()).copied()
    }
}

/// Whether `event` belongs to a pattern added at `added_at_ms`: a feed starts with what
/// happens after it is added. Stored after it, and happened after it too: the tracker can store
/// a log row late (the first read of a log a new feed needs, a poll after an outage), and its
/// PRC time (whole seconds) tells that it is older. The second of the addition still counts.
fn happened_since(event: &Event, added_at_ms: Option<i64>) -> bool {
    added_at_ms.is_none_or(|added| {
        event.recorded_at_ms >= added && event.source_time >= added.div_euclid(1000)
    })
}

#[derive(Debug, Default)]
struct GuildRoutes {
    routes: Vec<FeedRoute>,
    /// Pattern → (position in `routes`, when the route added it).
    index: SubscriptionIndex<(usize, Option<i64>)>,
}

/// Finds the channels an event goes to, per guild.
#[derive(Debug, Default)]
pub struct FeedRouter {
    guilds: HashMap<u64, GuildRoutes>,
}

impl FeedRouter {
    /// A router with no routes: every event goes nowhere.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace a guild's routes (after `/feed add` or `/feed remove`, or at start-up).
    pub fn set_guild_routes(&mut self, guild: u64, routes: Vec<FeedRoute>) {
        if routes.is_empty() {
            self.guilds.remove(&guild);
            return;
        }
        let mut index = SubscriptionIndex::new();
        for (position, route) in routes.iter().enumerate() {
            for pattern in &route.patterns {
                index.insert(pattern.clone(), (position, route.added_at(pattern)));
            }
        }
        self.guilds.insert(guild, GuildRoutes { routes, index });
    }

    /// The routes currently set for a guild.
    pub fn guild_routes(&self, guild: u64) -> &[FeedRoute] {
        self.guilds.get(&guild).map_or(&[], |g| g.routes.as_slice())
    }

    /// Channels that should show `event`, sorted, each once.
    ///
    /// A `feed/gap` event goes to every channel of the guild following anything on that server,
    /// whatever its patterns' kinds and filters: any of its entries may be the missing ones.
    /// No channel gets an event from before it followed it (see `happened_since`).
    pub fn destinations(&self, event: &Event) -> Vec<u64> {
        let Some(guild) = self.guilds.get(&event.guild) else {
            return Vec::new();
        };
        let mut channels: Vec<u64> = if event.event_type.kind() == FEED_GAP {
            guild
                .routes
                .iter()
                .filter(|route| follows_server(route, event))
                .map(|route| route.channel_id)
                .collect()
        } else {
            let mut positions: Vec<usize> = guild
                .index
                .matching(&event.event_type)
                .into_iter()
                .filter(|(_, added_at)| happened_since(event, *added_at))
                .map(|(position, _)| position)
                .collect();
            // Sorted by position, so a route matched by several patterns is dropped here.
            positions.dedup();
            let matched: Vec<&FeedRoute> = positions
                .into_iter()
                .filter_map(|position| guild.routes.get(position))
                .collect();
            // Decode the payload only when a team filter needs it.
            let payload = matched
                .iter()
                .any(|route| !route.filters.teams.is_empty())
                .then(|| EventPayload::from_json(&event.payload))
                .flatten();
            matched
                .into_iter()
                .filter(|route| route.filters.accepts(event, payload.as_ref()))
                .map(|route| route.channel_id)
                .collect()
        };
        channels.sort_unstable();
        channels.dedup();
        channels
    }
}

/// Did the route follow some event of `event`'s server from before `event`?
fn follows_server(route: &FeedRoute, event: &Event) -> bool {
    let server = event.event_type.server();
    route.patterns.iter().any(|pattern| {
        let on_server = match pattern.segments().first() {
            Some(PatternSegment::Exact(label)) => label == server,
            Some(PatternSegment::Any | PatternSegment::Rest) => true,
            None => false,
        };
        on_server && happened_since(event, route.added_at(pattern))
    })
}

/// Every team an event involves: its players' teams, plus the teams a team change moved
/// between and the service a 911 call is for.
fn event_teams(payload: &EventPayload) -> Vec<&str> {
    use EventPayload::*;
    let named = match payload {
        PlayerTeam { from, to, .. } => [Some(from.as_str()), Some(to.as_str())],
        EmergencyStarted { call } | EmergencyResponded { call } | EmergencyEnded { call } => {
            [Some(call.team.as_str()), None]
        }
        // Every other kind names teams only through its players.
        _ => [None, None],
    };
    payload
        .players()
        .filter_map(Involved::team)
        .chain(named.into_iter().flatten())
        .collect()
}

/// A named set of patterns offered by `/feed add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// What a server owner types in `/feed add` to pick it, such as `joins` (any case).
    pub name: &'static str,
    /// What the preset follows, in one short line; `/feed add` shows and searches it.
    pub description: &'static str,
    /// The event patterns it stands for, as text, such as `?/player/join`.
    pub patterns: &'static [&'static str],
}

impl Preset {
    /// The preset's patterns, parsed.
    pub fn parsed_patterns(&self) -> Result<Vec<Pattern>, EventTypeError> {
        self.patterns.iter().map(|p| Pattern::parse(p)).collect()
    }
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "joins",
        description: "Players joining and leaving",
        patterns: &["?/player/join", "?/player/leave"],
    },
    Preset {
        name: "kills",
        description: "The kill log",
        patterns: &["?/kill"],
    },
    Preset {
        name: "commands",
        description: "Commands run in game or through the API",
        patterns: &["?/command"],
    },
    Preset {
        name: "modcalls",
        description: "Mod calls, with Claim and Resolve buttons, updated when answered",
        patterns: &["?/modcall/*"],
    },
    Preset {
        name: "emergency",
        description: "911 calls, updated as units respond and when they end",
        patterns: &["?/emergency/*"],
    },
    Preset {
        name: "staff",
        description: "Staff coming online and going offline",
        patterns: &["?/staff/*"],
    },
    Preset {
        name: "moderation",
        description: "Commands, bans and mod calls",
        patterns: &["?/command", "?/ban/*", "?/modcall/*"],
    },
    Preset {
        name: "cases",
        description: "Cases filed, updated and voided (warnings, kicks, bans, temp bans …)",
        patterns: &["?/case/*"],
    },
    Preset {
        name: "shifts",
        description: "Staff shifts started, on break, resumed, ended and voided",
        patterns: &["?/shift/*"],
    },
    Preset {
        name: "server",
        description: "Server online/offline and feed gaps",
        patterns: &["?/server/*", "?/feed/*"],
    },
    Preset {
        name: "everything",
        description: "Every event from every server",
        patterns: &["*"],
    },
];

/// The presets, in the order `/feed add` lists them.
pub fn presets() -> &'static [Preset] {
    PRESETS
}

/// A preset by name (case-insensitive).
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests;
