//! `PlayerRef`: PRC's `"Name:Id"` player string, parsed tolerantly (split on the last `:`).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What PRC writes in `Player` for commands sent through the API: no `:Id` suffix.
pub const REMOTE_SERVER_NAME: &str = "Remote Server";

/// A player as PRC names them in logs and player lists: a Roblox username plus, usually, the
/// Roblox user id. The id is `None` for the `"Remote Server"` pseudo-player and for any string
/// that does not end in `:<digits>`; such strings are kept whole as the name so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayerRef {
    /// Roblox username (or the whole string when it had no `:<id>`); untrusted text.
    pub name: String,
    /// Roblox user id; `None` for `Remote Server` and strings without one.
    pub id: Option<u64>,
}

impl PlayerRef {
    /// A player from its parts.
    pub fn new(name: impl Into<String>, id: Option<u64>) -> Self {
        Self {
            name: name.into(),
            id,
        }
    }

    /// The pseudo-player PRC logs for commands sent through the API.
    pub fn remote_server() -> Self {
        Self::new(REMOTE_SERVER_NAME, None)
    }

    /// Parse PRC's player string. Never fails: anything that is not `<name>:<digits>` becomes a
    /// name without an id.
    pub fn parse(raw: &str) -> Self {
        let split = raw.rsplit_once(':').and_then(|(name, id)| {
            let all_digits = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
            let id = if all_digits {
                id.parse::<u64>().ok()
            } else {
                None
            };
            id.map(|id| (name, id))
        });
        match split {
            Some((name, id)) => Self::new(name, Some(id)),
            None => Self::new(raw, None),
        }
    }

    /// True for the `"Remote Server"` pseudo-player (commands sent through the API).
    pub fn is_remote_server(&self) -> bool {
        self.id.is_none() && self.name == REMOTE_SERVER_NAME
    }

    /// The player's Roblox profile page, when the id is known.
    pub fn profile_url(&self) -> Option<String> {
        self.id
            .map(|id| format!("https://www.roblox.com/users/{id}/profile"))
    }
}

/// Shows the wire form, `Name:Id` (or just `Name` without an id).
impl fmt::Display for PlayerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "{}:{id}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl Serialize for PlayerRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PlayerRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PlayerRefVisitor;

        impl Visitor<'_> for PlayerRefVisitor {
            type Value = PlayerRef;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a player string like \"Name:12345\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<PlayerRef, E> {
                Ok(PlayerRef::parse(v))
            }
        }

        deserializer.deserialize_str(PlayerRefVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_name_and_64_bit_id_on_the_last_colon() {
        let p = PlayerRef::parse("minty_pretzel:5873310294");
        assert_eq!(p, PlayerRef::new("minty_pretzel", Some(5_873_310_294)));
        let odd = PlayerRef::parse("a:b:42");
        assert_eq!(odd, PlayerRef::new("a:b", Some(42)));
        assert_eq!(odd.to_string(), "a:b:42");
    }

    #[test]
    fn remote_server_has_no_id() {
        let p: PlayerRef = serde_json::from_str("\"Remote Server\"").unwrap();
        assert!(p.is_remote_server());
        assert_eq!(p.id, None);
        assert_eq!(p.profile_url(), None);
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"Remote Server\"");
        assert!(!PlayerRef::new("Remote Server", Some(1)).is_remote_server());
    }

    #[test]
    fn strings_without_a_numeric_id_keep_the_whole_text_as_name() {
        for raw in [
            "NoColon", "Name:abc", "Name:", "Name:12x", "Name:-5", "Name: 12",
        ] {
            let p = PlayerRef::parse(raw);
            assert_eq!(p, PlayerRef::new(raw, None), "{raw}");
            assert_eq!(p.to_string(), raw, "round trip of {raw}");
        }
        // An id too large for u64 is not an id either.
        let huge = "Name:99999999999999999999999";
        assert_eq!(PlayerRef::parse(huge), PlayerRef::new(huge, None));
    }

    #[test]
    fn profile_url_uses_the_id() {
        let p = PlayerRef::parse("Avery_Cole:2419834401");
        assert_eq!(
            p.profile_url().as_deref(),
            Some("https://www.roblox.com/users/2419834401/profile")
        );
    }

    #[test]
    fn non_string_json_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<PlayerRef>("42").is_err());
        assert!(serde_json::from_str::<PlayerRef>("null").is_err());
        assert!(serde_json::from_str::<PlayerRef>("{}").is_err());
    }
}
