//! Simulator configuration: every quirk and limit the simulator can be told to imitate.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{self, SharedClock};

/// A fixed-window rate limit: `limit` requests per `window_secs` whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length in seconds.
    pub window_secs: u32,
}

impl BucketLimit {
    /// `limit` requests per `window_secs` seconds.
    pub const fn new(limit: u32, window_secs: u32) -> Self {
        Self { limit, window_secs }
    }
}

/// How an empty id-keyed map (Staff maps, v1 bans) is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EmptyMapStyle {
    /// `[]`, as PRC really sends it.
    #[default]
    Array,
    /// `{}`.
    Object,
}

/// How an optional field without a value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingField {
    /// The key is left out.
    Omit,
    /// The key is present with `null`.
    Null,
}

/// Order of log arrays (join, kill, command logs and mod calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LogOrder {
    /// Oldest entry first (the default).
    #[default]
    OldestFirst,
    /// Newest entry first.
    NewestFirst,
}

/// Shape quirks of PRC's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quirks {
    /// How empty staff maps and ban lists are written.
    pub empty_maps: EmptyMapStyle,
    /// v1 players: civilians' `Callsign` (default: omitted).
    pub v1_missing_callsign: MissingField,
    /// v2 players: civilians' `Callsign` (default: `null`).
    pub v2_missing_callsign: MissingField,
    /// v2 mod calls: `Moderator` before anyone answered (v1 always omits it; default `null`).
    pub v2_unanswered_moderator: MissingField,
    /// Order of every log array.
    pub log_order: LogOrder,
    /// PRC's window: how many entries each log keeps (join, kill, command logs, mod calls).
    pub log_retention: usize,
    /// GET routes answer 422/3002 while the server has no players.
    pub offline_gets_422: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            empty_maps: EmptyMapStyle::Array,
            v1_missing_callsign: MissingField::Omit,
            v2_missing_callsign: MissingField::Null,
            v2_unanswered_moderator: MissingField::Null,
            log_order: LogOrder::OldestFirst,
            log_retention: 200,
            offline_gets_422: false,
        }
    }
}

/// Escalating blocks for clients that keep sending after a 429 (off unless configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatOffender {
    /// Consecutive 429s from one client before it is blocked.
    pub strikes: u32,
    /// Length of the first block; each further block doubles it.
    pub first_block_secs: u32,
}

/// The in-game command rules of the command endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRules {
    /// Command names (without `:`) answered with 4002.
    pub restricted: Vec<String>,
    /// Words that make a command fail with 4003 (whole words, case-insensitive).
    pub prohibited_words: Vec<String>,
}

impl Default for CommandRules {
    fn default() -> Self {
        let restricted = [
            "view",
            "spectate",
            "to",
            "bring",
            "tocar",
            "toatv",
            "startnearfire",
            "snf",
            "bans",
            "admins",
            "mods",
            "helpers",
            "kl",
            "killlogs",
            "logs",
            "cmds",
            "commands",
        ];
        Self {
            restricted: restricted.iter().map(|s| (*s).to_owned()).collect(),
            prohibited_words: vec!["badword".to_owned(), "slur".to_owned()],
        }
    }
}

/// The background activity generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityConfig {
    /// Time between ticks of the background task.
    pub interval: Duration,
    /// Population the generator steers each server towards.
    pub target_players: usize,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2),
            target_players: 12,
        }
    }
}

/// Everything the simulator can be told at start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free one (the default, on localhost).
    pub bind: SocketAddr,
    /// How many private servers to simulate, each with its own key.
    pub servers: usize,
    /// Seed for everything random (keys, names, ids, activity), so runs repeat exactly.
    pub seed: u64,
    /// Players each server starts with (generated under the seed).
    pub initial_players: usize,
    /// JSON shape quirks to imitate.
    pub quirks: Quirks,
    /// GET bucket (`unauthenticated-global` per IP, `public-app-get` per global key).
    pub read_limit: BucketLimit,
    /// Command bucket (`command-<key>` / `command-<global>-<key>`).
    pub command_limit: BucketLimit,
    /// Blocks for clients that keep sending after a 429; `None` (the default) never blocks.
    pub repeat_offender: Option<RepeatOffender>,
    /// Valid global API keys (`Authorization`); each is authorized on every server at start.
    pub global_keys: Vec<String>,
    /// Trusted IPs for commands without a global key, copied to every server.
    pub trusted_ips: Vec<IpAddr>,
    /// Which commands are restricted (4002) and which words are filtered (4003).
    pub commands: CommandRules,
    /// Background players, kills, calls and vehicles; `None` (the default) keeps servers still.
    pub activity: Option<ActivityConfig>,
    /// Clock for timestamps and rate-limit windows; tests may pass a [`clock::ManualClock`].
    pub clock: SharedClock,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            servers: 1,
            seed: 1,
            initial_players: 0,
            quirks: Quirks::default(),
            read_limit: BucketLimit::new(35, 10),
            command_limit: BucketLimit::new(1, 5),
            repeat_offender: None,
            global_keys: Vec::new(),
            trusted_ips: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            commands: CommandRules::default(),
            activity: None,
            clock: clock::system(),
        }
    }
}
