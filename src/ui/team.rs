//! How a team shows in our messages: its colour, its swatch, where it sorts in lists and its
//! name. The client's [`Team`] knows only what PRC sends; every presentation fact about a team
//! is in the one table here, so adding a team is one row.

use crate::erlc::models::Team;

use super::names::display_name;

/// Presentation facts of a [`Team`] (a trait because the enum belongs to the client).
pub trait TeamStyle {
    /// The card colour, so a glance tells which team was involved; `None` for teams we do
    /// not know.
    fn colour(&self) -> Option<u32>;
    /// A coloured dot matching the team's card colour, so lists scan by team at a glance.
    fn swatch(&self) -> &'static str;
    /// Lists show services first, then civilians, then jail, then teams we do not know.
    fn rank(&self) -> u8;
    /// The team's name as PRC spells it, escaped (an unknown team's name is game text).
    fn display_name(&self) -> String;
}

/// One row per team: colour, swatch, rank.
struct Look {
    colour: Option<u32>,
    swatch: &'static str,
    rank: u8,
}

fn look(team: &Team) -> Look {
    let (colour, swatch, rank) = match team {
        Team::Police => (Some(0x1F5FD1), "🔵", 0),
        Team::Sheriff => (Some(0x6B8E23), "🟢", 1),
        Team::Fire => (Some(0xD7263D), "🔴", 2),
        Team::Dot => (Some(0xF28C28), "🟠", 3),
        Team::Civilian => (Some(0x95A5A6), "⚪", 4),
        // Near-black: Discord treats exactly 0 as "no colour".
        Team::Jail => (Some(0x1B1B1B), "⚫", 5),
        Team::Other(_) => (None, "🟣", 6),
    };
    Look {
        colour,
        swatch,
        rank,
    }
}

impl TeamStyle for Team {
    fn colour(&self) -> Option<u32> {
        look(self).colour
    }

    fn swatch(&self) -> &'static str {
        look(self).swatch
    }

    fn rank(&self) -> u8 {
        look(self).rank
    }

    fn display_name(&self) -> String {
        display_name(self.as_str())
    }
}

/// A team named in text we keep (event payloads, page-button tokens): PRC's names, ignoring
/// case and surrounding space; anything else is kept as [`Team::Other`].
pub fn parse(text: &str) -> Team {
    let text = text.trim();
    Team::KNOWN
        .iter()
        .find(|team| team.as_str().eq_ignore_ascii_case(text))
        .cloned()
        .unwrap_or_else(|| Team::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_are_parsed_once_ignoring_case() {
        assert_eq!(parse("Police"), Team::Police);
        assert_eq!(parse(" sheriff "), Team::Sheriff);
        assert_eq!(parse("dot"), Team::Dot);
        assert_eq!(parse("Mystery"), Team::Other("Mystery".into()));
        for team in Team::KNOWN {
            assert_eq!(&parse(team.as_str()), team);
        }
    }

    #[test]
    fn every_known_team_has_its_own_colour_swatch_and_rank() {
        let known = Team::KNOWN;
        for (i, a) in known.iter().enumerate() {
            assert!(a.colour().is_some_and(|c| c != 0), "{a}");
            for b in &known[i + 1..] {
                assert_ne!(a.colour(), b.colour(), "{a} {b}");
                assert_ne!(a.swatch(), b.swatch(), "{a} {b}");
                assert_ne!(a.rank(), b.rank(), "{a} {b}");
            }
        }
        let other = Team::Other("Coast Guard".into());
        assert_eq!(other.colour(), None);
        assert!(known.iter().all(|t| t.rank() < other.rank()));
        assert!(Team::Police.rank() < Team::Civilian.rank());
        assert!(Team::Civilian.rank() < Team::Jail.rank());
    }

    #[test]
    fn unknown_team_names_are_escaped() {
        assert_eq!(Team::Dot.display_name(), "DOT");
        assert_eq!(Team::Other("**x**".into()).display_name(), "\\*\\*x\\*\\*");
    }
}
