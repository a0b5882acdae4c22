//! `CommandPolicy`: the last local check before command text is sent — one line, no control
//! characters, a length limit, a leading `:`, and an alias-aware deny list.

use std::collections::BTreeSet;

use crate::erlc::PolicyViolation;

/// Default longest command, in characters.
pub const DEFAULT_MAX_LEN: usize = 200;

/// Aliases and the canonical name they stand for. Canonical names are the short forms the
/// builder writes; a name not listed here is its own canonical name.
const ALIASES: &[(&str, &str)] = &[
    ("hint", "h"),
    ("message", "m"),
    ("privatemessage", "pm"),
    ("arrest", "jail"),
    ("free", "unjail"),
    ("down", "kill"),
    ("respawn", "load"),
    ("teleport", "tp"),
    ("priority", "prty"),
    ("peacetime", "pt"),
    ("peacetimer", "pt"),
    ("spectate", "view"),
    ("startnearfire", "snf"),
    ("killlogs", "kl"),
    ("commands", "cmds"),
];

/// Canonical form of a bare command name (no `:`): lowercase, aliases resolved.
fn canonical_name(name: &str) -> String {
    let lower = name.to_lowercase();
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, canonical)| (*canonical).to_owned())
        .unwrap_or(lower)
}

/// The canonical command name of command text: `":Hint hello"` → `Some("h")`,
/// `":TELEPORT a b"` → `Some("tp")`. `None` when the text does not start with `:` followed by
/// a name. Spaces between `:` and the name are skipped so they cannot dodge the deny list.
pub fn canonical_command_name(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix(':')?;
    let name = rest.split_whitespace().next()?;
    Some(canonical_name(name))
}

/// Line breaks, including the Unicode ones that some clients render as new lines.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// What command text this bot is willing to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandPolicy {
    /// Longest command in characters (default [`DEFAULT_MAX_LEN`]).
    pub max_len: usize,
    /// Canonical names of refused commands (see [`CommandPolicy::with_deny`]).
    pub deny: BTreeSet<String>,
}

impl Default for CommandPolicy {
    fn default() -> Self {
        Self {
            max_len: DEFAULT_MAX_LEN,
            deny: BTreeSet::new(),
        }
    }
}

impl CommandPolicy {
    /// Add names to the deny list, with or without `:`, any case, any alias: denying `tp`
    /// also refuses `:teleport`.
    pub fn with_deny<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in names {
            let name = name.as_ref().trim();
            let name = name.strip_prefix(':').unwrap_or(name).trim();
            if !name.is_empty() {
                self.deny.insert(canonical_name(name));
            }
        }
        self
    }

    /// Refuse commands longer than `max_len` characters.
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// True when the command (bare name or alias, any case) is on the deny list.
    pub fn is_denied(&self, name: &str) -> bool {
        let name = name.strip_prefix(':').unwrap_or(name);
        self.deny.contains(&canonical_name(name))
    }

    /// Check command text before sending. Checks, in order: empty, line breaks, other
    /// control characters, length, leading `:`, a name after the `:`, deny list.
    pub fn check(&self, text: &str) -> Result<(), PolicyViolation> {
        if text.trim().is_empty() {
            return Err(PolicyViolation::Empty);
        }
        if text.chars().any(is_line_break) {
            return Err(PolicyViolation::MultiLine);
        }
        if text.chars().any(char::is_control) {
            return Err(PolicyViolation::ControlCharacter);
        }
        let len = text.chars().count();
        if len > self.max_len {
            return Err(PolicyViolation::TooLong {
                len,
                max: self.max_len,
            });
        }
        if !text.starts_with(':') {
            return Err(PolicyViolation::MissingColon);
        }
        let name = canonical_command_name(text).ok_or(PolicyViolation::Empty)?;
        if self.deny.contains(&name) {
            return Err(PolicyViolation::Denied(name));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_resolve_aliases_and_case() {
        assert_eq!(canonical_command_name(":Hint hello").as_deref(), Some("h"));
        assert_eq!(canonical_command_name(":h").as_deref(), Some("h"));
        assert_eq!(
            canonical_command_name(":TELEPORT a b").as_deref(),
            Some("tp")
        );
        assert_eq!(
            canonical_command_name(":peacetimer 60").as_deref(),
            Some("pt")
        );
        assert_eq!(
            canonical_command_name(":  shutdown").as_deref(),
            Some("shutdown")
        );
        assert_eq!(
            canonical_command_name(":free bob").as_deref(),
            Some("unjail")
        );
        assert_eq!(canonical_command_name("shutdown"), None);
        assert_eq!(canonical_command_name(":"), None);
        assert_eq!(canonical_command_name(": "), None);
    }

    #[test]
    fn deny_list_catches_aliases_and_any_case() {
        let policy = CommandPolicy::default().with_deny(["shutdown", ":TP", "peacetime", " "]);
        assert_eq!(
            policy.deny.iter().map(String::as_str).collect::<Vec<_>>(),
            ["pt", "shutdown", "tp"]
        );
        for text in [
            ":shutdown",
            ":SHUTDOWN",
            ": shutdown",
            ":teleport a b",
            ":tp a b",
            ":pt 5",
        ] {
            assert!(
                matches!(policy.check(text), Err(PolicyViolation::Denied(_))),
                "{text}"
            );
        }
        assert_eq!(
            policy.check(":Teleport a b"),
            Err(PolicyViolation::Denied("tp".into()))
        );
        assert!(policy.is_denied("teleport") && policy.is_denied(":Shutdown"));
        assert!(!policy.is_denied("h"));
        assert_eq!(policy.check(":h shutdown tp"), Ok(()));
    }

    #[test]
    fn each_violation_in_order() {
        let policy = CommandPolicy::default().with_max_len(10);
        assert_eq!(policy.check(""), Err(PolicyViolation::Empty));
        assert_eq!(policy.check("   "), Err(PolicyViolation::Empty));
        assert_eq!(policy.check(":"), Err(PolicyViolation::Empty));
        assert_eq!(
            policy.check(":h a\n:shutdown"),
            Err(PolicyViolation::MultiLine)
        );
        assert_eq!(policy.check(":h a\r"), Err(PolicyViolation::MultiLine));
        assert_eq!(
            policy.check(":h a\u{2028}b"),
            Err(PolicyViolation::MultiLine)
        );
        assert_eq!(
            policy.check(":h a\tb"),
            Err(PolicyViolation::ControlCharacter)
        );
        assert_eq!(
            policy.check(":h \u{7}"),
            Err(PolicyViolation::ControlCharacter)
        );
        assert_eq!(
            policy.check(":h 123456789"),
            Err(PolicyViolation::TooLong { len: 12, max: 10 })
        );
        assert_eq!(policy.check("h hello"), Err(PolicyViolation::MissingColon));
        assert_eq!(policy.check(" :h hi"), Err(PolicyViolation::MissingColon));
        assert_eq!(policy.check(":h hello"), Ok(()));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = CommandPolicy::default().with_max_len(5);
        assert_eq!(policy.check(":h éé"), Ok(()));
        assert_eq!(CommandPolicy::default().max_len, DEFAULT_MAX_LEN);
    }
}
