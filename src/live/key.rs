//! State key names, `<guild id>.<server key segment>.<part>`, and the one table of which
//! capability each part needs (the live stream's ACL).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::events::types::MAX_SEGMENT_LEN;
use crate::events::validate_segment;
use crate::store::Capability;

/// What a server's state key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// Name, players/max, join code, queue length, last poll, health.
    Server,
    /// Players in game, keyed by Roblox user id (team, permission, callsign, wanted, location).
    Players,
    /// Staff in game.
    Staff,
    /// The join queue.
    Queue,
    /// Spawned vehicles, keyed by a stable id.
    Vehicles,
    /// Open and recent mod calls, with claim state.
    Modcalls,
    /// Emergency (911) calls.
    Emergency,
    /// Presence: who is watching, keyed by Discord member id.
    Viewers,
}

impl Part {
    /// Every part, in key order.
    pub const ALL: [Part; 8] = [
        Self::Server,
        Self::Players,
        Self::Staff,
        Self::Queue,
        Self::Vehicles,
        Self::Modcalls,
        Self::Emergency,
        Self::Viewers,
    ];

    /// The key's last segment, such as `players`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Players => "players",
            Self::Staff => "staff",
            Self::Queue => "queue",
            Self::Vehicles => "vehicles",
            Self::Modcalls => "modcalls",
            Self::Emergency => "emergency",
            Self::Viewers => "viewers",
        }
    }

    /// The capability a token's member needs to watch this part. Every part is something the
    /// `view` capability already shows in Discord (status, player lists with their locations,
    /// logs, mod calls), so every part, `.players` locations included, needs `view`. This
    /// table is the live stream's ACL; acting is a CALL, checked by its action.
    pub fn required(self) -> Capability {
        match self {
            Self::Server
            | Self::Players
            | Self::Staff
            | Self::Queue
            | Self::Vehicles
            | Self::Modcalls
            | Self::Emergency
            | Self::Viewers => Capability::View,
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Part {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(KeyError::UnknownPart)
    }
}

/// A server's state key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateKey {
    /// The Discord guild the server belongs to.
    pub guild: u64,
    /// The server's key segment: its label as [`label_segment`] maps it.
    pub label: String,
    /// What the key holds.
    pub part: Part,
}

/// Why text is not a state key. Plain words that do not repeat the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not three dot-separated segments.
    #[error("a state key has three parts: <guild id>.<server>.<part>")]
    Shape,
    /// A segment is empty, too long, or holds a character outside `[A-Za-z0-9_]`.
    #[error("each part of a state key is 1 to 32 letters, digits or `_`")]
    BadSegment,
    /// The first segment is not a guild id as Discord writes it (decimal, no leading zero).
    #[error("the first part of a state key is a guild id")]
    BadGuild,
    /// The last segment is not one of the parts.
    #[error(
        "the last part of a state key is one of server, players, staff, queue, vehicles, modcalls, emergency, viewers"
    )]
    UnknownPart,
}

impl fmt::Display for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.guild, self.label, self.part)
    }
}

impl FromStr for StateKey {
    type Err = KeyError;

    /// Parse `<guild>.<label>.<part>`; the result displays as exactly the same text.
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let mut segments = s.split('.');
        let (Some(guild), Some(label), Some(part), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(KeyError::Shape);
        };
        if ![guild, label, part].into_iter().all(key_segment) {
            return Err(KeyError::BadSegment);
        }
        let guild_id: u64 = guild.parse().map_err(|_| KeyError::BadGuild)?;
        if guild_id.to_string() != guild {
            return Err(KeyError::BadGuild);
        }
        Ok(Self {
            guild: guild_id,
            label: label.to_owned(),
            part: part.parse()?,
        })
    }
}

fn key_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SEGMENT_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The key segment of a server label, or `None` when `label` is not a label the bot stores.
///
/// Labels are lowercased at entry and may hold `[a-z0-9_-]` (they are event-type segments);
/// key segments may hold `[A-Za-z0-9_]`. So each `-` becomes `H`: labels never hold capitals,
/// so no two labels share a segment, and labels without `-` (most) are their own segment.
/// `west-1` is `westH1`.
pub fn label_segment(label: &str) -> Option<String> {
    validate_segment(label).ok()?;
    if label.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(label.replace('-', "H"))
}

/// Whether a token for `token_guild` whose member holds `caps` may watch `key`: same guild,
/// and the capability the key's part requires. A denial is answered the same whether or not
/// the key exists (403), so watching cannot probe for servers.
pub fn may_watch(token_guild: u64, caps: &BTreeSet<Capability>, key: &StateKey) -> bool {
    token_guild == key.guild && caps.contains(&key.part.required())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_display_the_same_text() {
        for text in [
            "123456789012345678.main.players",
            "1.westH1.server",
            "18446744073709551615.a_b.viewers",
        ] {
            let key: StateKey = text.parse().unwrap();
            assert_eq!(key.to_string(), text);
        }
        let key: StateKey = "123.main.modcalls".parse().unwrap();
        assert_eq!(
            key,
            StateKey {
                guild: 123,
                label: "main".into(),
                part: Part::Modcalls
            }
        );
        for part in Part::ALL {
            assert_eq!(part.as_str().parse::<Part>().unwrap(), part);
        }
    }

    #[test]
    fn bad_keys_are_refused() {
        let cases = [
            ("", KeyError::Shape),
            ("1.main", KeyError::Shape),
            ("1.main.players.x", KeyError::Shape),
            ("1..players", KeyError::BadSegment),
            ("1.ma-in.players", KeyError::BadSegment),
            ("1.main.pla yers", KeyError::BadSegment),
            ("1.mäin.players", KeyError::BadSegment),
            ("1.main.players ", KeyError::BadSegment),
            (
                &format!("1.{}.players", "a".repeat(33)),
                KeyError::BadSegment,
            ),
            ("abc.main.players", KeyError::BadGuild),
            ("007.main.players", KeyError::BadGuild),
            ("18446744073709551616.main.players", KeyError::BadGuild),
            ("1.main.Players", KeyError::UnknownPart),
            ("1.main.location", KeyError::UnknownPart),
        ];
        for (text, why) in cases {
            assert_eq!(text.parse::<StateKey>(), Err(why), "{text}");
        }
    }

    #[test]
    fn labels_map_to_distinct_segments() {
        assert_eq!(label_segment("main").as_deref(), Some("main"));
        assert_eq!(label_segment("west_2").as_deref(), Some("west_2"));
        assert_eq!(label_segment("west-2").as_deref(), Some("westH2"));
        assert_ne!(label_segment("a-b"), label_segment("a_b"));
        for bad in ["", "Main", "a.b", "a b", &"a".repeat(33)] {
            assert_eq!(label_segment(bad), None, "{bad}");
        }
        let key = StateKey {
            guild: 9,
            label: label_segment("a-b").unwrap(),
            part: Part::Players,
        };
        assert_eq!(key.to_string().parse::<StateKey>().unwrap(), key);
    }

    #[test]
    fn watching_needs_the_guild_and_view() {
        let view: BTreeSet<_> = [Capability::View].into();
        let all: BTreeSet<_> = Capability::ALL.into();
        let not_view: BTreeSet<_> = Capability::ALL
            .into_iter()
            .filter(|c| *c != Capability::View)
            .collect();
        for part in Part::ALL {
            let key = StateKey {
                guild: 5,
                label: "main".into(),
                part,
            };
            assert!(may_watch(5, &view, &key), "{part}");
            assert!(may_watch(5, &all, &key), "{part}");
            assert!(!may_watch(6, &all, &key), "{part}: other guild");
            assert!(!may_watch(5, &not_view, &key), "{part}: no view");
            assert!(!may_watch(5, &BTreeSet::new(), &key), "{part}: nothing");
        }
    }
}
