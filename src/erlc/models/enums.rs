//! PRC's string enums (`Team`, `Permission`, `AccVerifiedReq`): known values typed, unknown
//! values kept verbatim in `Other` so new game values decode and round-trip unchanged.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Defines a string-backed enum with an `Other(String)` fallback, `as_str`, `From<&str>`,
/// `From<String>`, `Display`, and serde as the exact wire string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this client does not know yet, kept verbatim so it round-trips.
            Other(String),
        }

        impl $name {
            /// Every value this client knows, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant,)+];

            /// The exact string PRC uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(raw) => raw,
                }
            }

            /// False for values kept in `Other`.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(raw: &str) -> Self {
                match raw {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(raw: String) -> Self {
                match $name::from(raw.as_str()) {
                    $name::Other(_) => $name::Other(raw),
                    known => known,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map($name::from)
            }
        }
    };
}

string_enum! {
    /// The team a player is on (also the service an emergency call is for).
    Team {
        /// Civilians: everyone not on a service team.
        Civilian => "Civilian",
        /// City police.
        Police => "Police",
        /// The sheriff's office (county police).
        Sheriff => "Sheriff",
        /// Fire and EMS.
        Fire => "Fire",
        /// Department of Transportation: towing and road work.
        Dot => "DOT",
        /// Players serving jail time.
        Jail => "Jail",
    }
}

string_enum! {
    /// A player's in-game permission level.
    Permission {
        /// No staff rank.
        Normal => "Normal",
        /// `Server Helper`, the lowest staff rank.
        Helper => "Server Helper",
        /// `Server Moderator`, above helpers.
        Moderator => "Server Moderator",
        /// `Server Administrator`, above moderators.
        Administrator => "Server Administrator",
        /// `Server Co-Owner`, second only to the owner.
        CoOwner => "Server Co-Owner",
        /// `Server Owner`, who owns the private server.
        Owner => "Server Owner",
    }
}

string_enum! {
    /// Which account verification the server requires to join.
    AccVerifiedReq {
        /// Any Roblox account may join.
        Disabled => "Disabled",
        /// Players need a verified email on their Roblox account.
        Email => "Email",
        /// Players need a verified phone number or ID on their Roblox account.
        PhoneId => "Phone/ID",
    }
}

impl Permission {
    /// Position in the staff ladder: Normal 0, Helper 1, Moderator 2, Administrator 3,
    /// Co-Owner 4, Owner 5. Unknown levels rank 0 so they never gain powers by accident.
    pub fn rank(&self) -> u8 {
        match self {
            Permission::Normal | Permission::Other(_) => 0,
            Permission::Helper => 1,
            Permission::Moderator => 2,
            Permission::Administrator => 3,
            Permission::CoOwner => 4,
            Permission::Owner => 5,
        }
    }

    /// Helper or above.
    pub fn is_staff(&self) -> bool {
        self.rank() > 0
    }

    /// True when this level is the same as or above `other`.
    pub fn is_at_least(&self, other: &Permission) -> bool {
        self.rank() >= other.rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_through_their_exact_strings() {
        for team in Team::KNOWN {
            let json = serde_json::to_string(team).unwrap();
            assert_eq!(&serde_json::from_str::<Team>(&json).unwrap(), team);
        }
        for perm in Permission::KNOWN {
            let json = serde_json::to_string(perm).unwrap();
            assert_eq!(&serde_json::from_str::<Permission>(&json).unwrap(), perm);
        }
        assert_eq!(Team::from("DOT"), Team::Dot);
        assert_eq!(Permission::from("Server Co-Owner"), Permission::CoOwner);
        assert_eq!(AccVerifiedReq::from("Phone/ID"), AccVerifiedReq::PhoneId);
        assert_eq!(Permission::Helper.to_string(), "Server Helper");
    }

    #[test]
    fn unknown_strings_are_kept_and_round_trip() {
        let team: Team = serde_json::from_str("\"Coast Guard\"").unwrap();
        assert_eq!(team, Team::Other("Coast Guard".into()));
        assert!(!team.is_known());
        assert_eq!(serde_json::to_string(&team).unwrap(), "\"Coast Guard\"");
        // Matching is exact: a different case is a different (unknown) value.
        assert_eq!(Team::from("police"), Team::Other("police".into()));
        let perm: Permission = serde_json::from_str("\"Server Intern\"").unwrap();
        assert_eq!(perm.as_str(), "Server Intern");
        let acc: AccVerifiedReq = serde_json::from_str("\"Passkey\"").unwrap();
        assert_eq!(serde_json::to_string(&acc).unwrap(), "\"Passkey\"");
    }

    #[test]
    fn permission_ranks_order_the_staff_ladder() {
        let ladder = [
            Permission::Normal,
            Permission::Helper,
            Permission::Moderator,
            Permission::Administrator,
            Permission::CoOwner,
            Permission::Owner,
        ];
        for pair in ladder.windows(2) {
            assert!(pair[0].rank() < pair[1].rank());
            assert!(pair[1].is_at_least(&pair[0]));
            assert!(!pair[0].is_at_least(&pair[1]));
        }
        assert!(!Permission::Normal.is_staff());
        assert!(Permission::Helper.is_staff());
        assert!(!Permission::Other("Server Intern".into()).is_staff());
    }

    #[test]
    fn non_string_json_is_an_error() {
        assert!(serde_json::from_str::<Team>("7").is_err());
        assert!(serde_json::from_str::<Permission>("null").is_err());
    }
}
