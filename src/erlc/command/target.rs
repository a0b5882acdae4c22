//! Command targets: validated player names, user ids and the group words `all` / `others`.
//! Validation here is what stops user text from adding arguments or a second command.

use std::fmt;

use super::CommandBuildError;

/// Longest Roblox username.
pub const MAX_NAME_LEN: usize = 20;
/// Shortest complete Roblox username (shorter names are only accepted as prefixes).
pub const MIN_FULL_NAME_LEN: usize = 3;

/// A Roblox username or a prefix of one: 1 to 20 characters of `A-Z a-z 0-9 _`. The game
/// matches prefixes, so `avery` can target `Avery_Cole`. It cannot hold spaces, `:`, `,` or
/// line breaks, so it can never change the shape of a command.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayerName(String);

impl PlayerName {
    /// Validate a username or prefix exactly as given (no trimming).
    pub fn new(input: &str) -> Result<Self, CommandBuildError> {
        let invalid = |reason| CommandBuildError::InvalidName {
            input: input.to_owned(),
            reason,
        };
        if input.is_empty() {
            return Err(invalid("it is empty"));
        }
        if !input.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid(
                "usernames only use letters, digits and `_` (no spaces, `:`, `,` or line breaks)",
            ));
        }
        if input.len() > MAX_NAME_LEN {
            return Err(invalid("usernames are at most 20 characters long"));
        }
        Ok(Self(input.to_owned()))
    }

    /// The name as it will appear in the command.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Long enough to be a whole username rather than only a prefix.
    pub fn is_full_username(&self) -> bool {
        self.0.len() >= MIN_FULL_NAME_LEN
    }
}

impl fmt::Display for PlayerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom a command acts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A username or username prefix.
    Name(PlayerName),
    /// A Roblox user id (accepted by ban/unban and the permission commands).
    Id(u64),
    /// Everyone in the server.
    All,
    /// Everyone except the caller.
    Others,
}

impl Target {
    /// A player by (partial) username.
    pub fn name(input: &str) -> Result<Self, CommandBuildError> {
        PlayerName::new(input).map(Target::Name)
    }

    /// Parse one target as a person would type it: `all`, `others` (any case), a user id
    /// (digits only), or a username. Surrounding spaces are ignored. To target a username made
    /// only of digits, use [`Target::name`].
    pub fn parse(input: &str) -> Result<Self, CommandBuildError> {
        let input = input.trim();
        if input.eq_ignore_ascii_case("all") {
            return Ok(Target::All);
        }
        if input.eq_ignore_ascii_case("others") {
            return Ok(Target::Others);
        }
        if input.eq_ignore_ascii_case("me") {
            return Err(CommandBuildError::MeNotAllowed);
        }
        if !input.is_empty() && input.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(id) = input.parse::<u64>() {
                return Ok(Target::Id(id));
            }
        }
        Target::name(input)
    }

    /// `all` or `others`.
    pub fn is_group(&self) -> bool {
        matches!(self, Target::All | Target::Others)
    }
}

impl From<PlayerName> for Target {
    fn from(name: PlayerName) -> Self {
        Target::Name(name)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Name(name) => f.write_str(name.as_str()),
            Target::Id(id) => write!(f, "{id}"),
            Target::All => f.write_str("all"),
            Target::Others => f.write_str("others"),
        }
    }
}

/// One or more targets, written comma-separated (`avery,minty`). Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Targets(Vec<Target>);

impl Targets {
    /// A list of targets; refused when empty.
    pub fn new(targets: Vec<Target>) -> Result<Self, CommandBuildError> {
        if targets.is_empty() {
            return Err(CommandBuildError::NoTargets);
        }
        Ok(Self(targets))
    }

    /// A single target.
    pub fn one(target: Target) -> Self {
        Self(vec![target])
    }

    /// Parse a comma-separated list, e.g. `avery, minty,5873310294`.
    pub fn parse(input: &str) -> Result<Self, CommandBuildError> {
        let targets = input
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(Target::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(targets)
    }

    /// The targets in the order they will be written.
    pub fn as_slice(&self) -> &[Target] {
        &self.0
    }

    /// True when any target is `all` or `others`.
    pub fn has_group(&self) -> bool {
        self.0.iter().any(Target::is_group)
    }
}

impl From<Target> for Targets {
    fn from(target: Target) -> Self {
        Self::one(target)
    }
}

impl fmt::Display for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, target) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{target}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_usernames_prefixes_ids_and_group_words() {
        assert_eq!(
            Target::parse("Avery_Cole").unwrap().to_string(),
            "Avery_Cole"
        );
        assert_eq!(Target::parse(" a ").unwrap().to_string(), "a");
        assert_eq!(
            Target::parse("5873310294").unwrap(),
            Target::Id(5_873_310_294)
        );
        assert_eq!(Target::parse("ALL").unwrap(), Target::All);
        assert_eq!(Target::parse("Others").unwrap(), Target::Others);
        assert_eq!(
            Target::name("12345").unwrap(),
            Target::Name(PlayerName::new("12345").unwrap())
        );
        let twenty = "a".repeat(20);
        assert!(Target::name(&twenty).is_ok());
    }

    #[test]
    fn rejects_anything_that_could_change_the_command() {
        for bad in [
            "",
            "a b",
            "a:b",
            "a,b",
            "a\nb",
            "a\r",
            "name\u{0}",
            "\u{2028}",
            "é",
            "a-b",
            ":shutdown",
            &"a".repeat(21),
        ] {
            let err = Target::name(bad).unwrap_err();
            assert!(
                matches!(err, CommandBuildError::InvalidName { .. }),
                "{bad:?}"
            );
            assert!(err.to_string().contains("not a Roblox username"), "{err}");
        }
        assert_eq!(Target::parse("me"), Err(CommandBuildError::MeNotAllowed));
        // A number too big to be an id is not a valid username either (too long).
        assert!(Target::parse("99999999999999999999999").is_err());
    }

    #[test]
    fn full_username_needs_three_characters() {
        assert!(!PlayerName::new("ab").unwrap().is_full_username());
        assert!(PlayerName::new("abc").unwrap().is_full_username());
    }

    #[test]
    fn target_lists_render_comma_separated() {
        let targets = Targets::parse("avery, minty,5873310294,").unwrap();
        assert_eq!(targets.to_string(), "avery,minty,5873310294");
        assert!(!targets.has_group());
        assert!(Targets::parse("avery,others").unwrap().has_group());
        assert_eq!(Targets::parse(" , "), Err(CommandBuildError::NoTargets));
        assert_eq!(Targets::new(vec![]), Err(CommandBuildError::NoTargets));
        assert!(Targets::parse("avery,bad name").is_err());
    }
}
