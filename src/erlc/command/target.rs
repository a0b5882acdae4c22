//! Command targets: validated player names, user ids and the group words `all` / `others`.
//! Validation here is what stops user text from adding arguments or a second command, and a
//! player whose username is a group word (Roblox allows `All`) from being named as everyone.

use std::fmt;

use super::CommandBuildError;

/// Longest Roblox username.
pub const MAX_NAME_LEN: usize = 20;
/// Shortest complete Roblox username (shorter names are only accepted as prefixes).
pub const MIN_FULL_NAME_LEN: usize = 3;

/// The words the game reads as several players, in any case: a name equal to one of them is
/// never sent, since `:kick All` kicks everyone, not the player called `All`.
const GROUP_WORDS: [&str; 2] = ["all", "others"];

/// A Roblox username or a prefix of one: 1 to 20 characters of `A-Z a-z 0-9 _`, and not a
/// group word (`all`, `others`, any case). The game matches prefixes, so `avery` can target
/// `Avery_Cole`.
/// It cannot hold spaces, `:`, `,` or line breaks, so it can never change the shape of a
/// command, nor its reach.
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
        if group_word(input).is_some() {
            return Err(CommandBuildError::GroupWordName {
                name: input.to_owned(),
            });
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

/// The group `input` names, if it is a group word (any case).
fn group_word(input: &str) -> Option<Target> {
    let [all, others] = GROUP_WORDS;
    if input.eq_ignore_ascii_case(all) {
        Some(Target::All)
    } else if input.eq_ignore_ascii_case(others) {
        Some(Target::Others)
    } else {
        None
    }
}

impl Target {
    /// A player by (partial) username. A username equal to a group word is refused
    /// ([`CommandBuildError::GroupWordName`]): the game would read it as the group.
    pub fn name(input: &str) -> Result<Self, CommandBuildError> {
        PlayerName::new(input).map(Target::Name)
    }

    /// A player by username for a command that also takes a Roblox user id (ban, unban, the
    /// staff commands): the username, or the id when the game would read the username as a
    /// group word.
    pub fn name_or_id(name: &str, id: Option<u64>) -> Result<Self, CommandBuildError> {
        match (Target::name(name), id) {
            (Err(CommandBuildError::GroupWordName { .. }), Some(id)) => Ok(Target::Id(id)),
            (target, _) => target,
        }
    }

    /// Parse one target as a person would type it: `all`, `others` (any case), a user id
    /// (digits only), or a username. Surrounding spaces are ignored. To target a username made
    /// only of digits, use [`Target::name`].
    pub fn parse(input: &str) -> Result<Self, CommandBuildError> {
        let input = input.trim();
        if let Some(group) = group_word(input) {
            return Ok(group);
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

    /// `word` in every mix of upper and lower case.
    fn every_case(word: &str) -> Vec<String> {
        let letters: Vec<char> = word.chars().collect();
        (0..1u32 << letters.len())
            .map(|mask| {
                letters
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if mask & (1 << i) == 0 {
                            c.to_ascii_lowercase()
                        } else {
                            c.to_ascii_uppercase()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_username_that_is_a_group_word_is_never_a_name_target() {
        for (word, group) in [("all", Target::All), ("others", Target::Others)] {
            let variants = every_case(word);
            assert_eq!(variants.len(), 1 << word.len());
            for variant in variants {
                let refused = CommandBuildError::GroupWordName {
                    name: variant.clone(),
                };
                assert_eq!(PlayerName::new(&variant), Err(refused.clone()));
                assert_eq!(Target::name(&variant), Err(refused.clone()), "{variant}");
                assert_eq!(Target::name_or_id(&variant, None), Err(refused));
                assert_eq!(
                    Target::name_or_id(&variant, Some(5_873_310_294)),
                    Ok(Target::Id(5_873_310_294)),
                    "{variant}: by id where the command takes one"
                );
                // Typed as a target, the word still means the group, on purpose.
                assert_eq!(Target::parse(&variant), Ok(group.clone()));
                assert!(
                    Targets::parse(&format!("avery,{variant}"))
                        .unwrap()
                        .has_group()
                );
            }
        }
        let error = Target::name("All").unwrap_err().to_string();
        assert!(
            error.contains("\"All\"") && error.contains("several players") && error.contains("id"),
            "{error}"
        );
    }

    #[test]
    fn names_that_only_contain_a_group_word_are_fine() {
        for name in [
            "Allison",
            "All_",
            "_all",
            "Others2",
            "al",
            "other",
            "AllOthers",
        ] {
            let target = Target::name(name).unwrap();
            assert_eq!(target.to_string(), name);
            assert_eq!(Target::name_or_id(name, Some(9)), Ok(target));
        }
        assert_eq!(
            Target::name_or_id("bad name", Some(9)),
            Target::name("bad name"),
            "only the group-word refusal falls back to the id"
        );
    }

    proptest::proptest! {
        #[test]
        fn a_name_target_renders_as_text_that_means_that_name(name in "[A-Za-z_][A-Za-z0-9_]{0,19}") {
            // `me` is the caller, and no username: Roblox names have 3 or more characters.
            proptest::prop_assume!(!name.eq_ignore_ascii_case("me"));
            if let Ok(target) = Target::name(&name) {
                proptest::prop_assert_eq!(Target::parse(&target.to_string()), Ok(target));
            }
        }
    }
}
