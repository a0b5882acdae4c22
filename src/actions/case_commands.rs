//! Reading the command-log lines that become cases: moderation commands staff ran in game
//! (`:kick Name reason`, `:ban`, `:unban`, `:jail`, or the guild's own list) and the case
//! commands `:log warn Name reason` and `:log note Name text`. Pure: no I/O, never panics on
//! what staff type.
//!
//! PRC takes the first word after the command as its targets: a username, a username prefix or
//! a Roblox user id, several separated by commas (`:kick a,b` or `:kick a, b`). Roblox
//! usernames have no spaces, so the first word (with the words a trailing comma joins to it)
//! is the target list and the rest of the line the reason. `me`, `all` and `others` name no
//! one player: they are kept apart in [`CaseCommand::crowd`] and file no case.

/// The in-game commands that file a case when no guild list is set, each filing the case type
/// of its own name.
pub const DEFAULT_CASE_COMMANDS: &[&str] = &["kick", "ban", "unban", "jail"];

/// The in-game commands a guild may have file cases: PRC's commands that act on players.
pub const CASEABLE_COMMANDS: &[&str] = &[
    "kick", "ban", "unban", "jail", "unjail", "wanted", "unwanted", "kill", "heal", "refresh",
    "load", "tp", "helper", "unhelper", "mod", "unmod", "admin", "unadmin",
];

/// Command words PRC accepts for another one (`:arrest` is `:jail`).
const ALIASES: &[(&str, &str)] = &[("arrest", "jail"), ("free", "unjail")];

/// The target words that mean a group, not one player.
const CROWD_WORDS: &[&str] = &["me", "all", "others"];

/// Most targets read from one line (PRC lines are short; this bounds a hostile one).
const MAX_TARGETS: usize = 25;

/// One target as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedTarget {
    /// Digits: a Roblox user id.
    Id(u64),
    /// A username or the start of one, as typed.
    Name(String),
}

/// Which kind of line it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseCommandKind {
    /// A moderation command the game ran (`:kick …`): the case records it.
    Action,
    /// `:log warn …`: a warning filed from game.
    Warn,
    /// `:log note …`: a note filed from game.
    Note,
}

/// A command-log line that files cases: one case per target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCommand {
    /// Which kind of line.
    pub kind: CaseCommandKind,
    /// The case type each target's case gets (`kick`, `warning`, `note`, …).
    pub case_type: String,
    /// The players named one by one, in the order typed, each once.
    pub targets: Vec<TypedTarget>,
    /// `me`, `all` or `others` as typed (lower case): no case is filed for these.
    pub crowd: Vec<String>,
    /// What was typed after the targets, trimmed; `None` when nothing was.
    pub reason: Option<String>,
}

/// The command word and the rest, for a line starting with `:`.
fn split_command(text: &str) -> Option<(String, &str)> {
    let text = text.trim().strip_prefix(':')?;
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    (!word.is_empty() && !word.starts_with(':')).then(|| (word.to_lowercase(), rest.trim_start()))
}

/// The canonical name of a command word (aliases folded).
pub fn canonical_command(word: &str) -> String {
    let word = word.trim().trim_start_matches(':').to_lowercase();
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == word)
        .map_or(word, |(_, name)| (*name).to_owned())
}

/// Split the targets off the front of `rest`: the first word, plus the next ones while the
/// list ends with a comma. Returns the target words and what follows.
fn split_targets(rest: &str) -> (Vec<&str>, &str) {
    let mut words = Vec::new();
    let mut rest = rest.trim_start();
    loop {
        let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if word.is_empty() {
            break;
        }
        words.extend(word.split(',').map(str::trim).filter(|w| !w.is_empty()));
        rest = after.trim_start();
        let continues = word.ends_with(',') || rest.starts_with(',');
        if !continues {
            break;
        }
        rest = rest.trim_start_matches(',').trim_start();
    }
    (words, rest)
}

fn typed(word: &str) -> TypedTarget {
    match word.parse::<u64>() {
        Ok(id) if word.chars().all(|c| c.is_ascii_digit()) => TypedTarget::Id(id),
        _ => TypedTarget::Name(word.to_owned()),
    }
}

/// Read the targets and the reason after a command word.
fn read_rest(kind: CaseCommandKind, case_type: &str, rest: &str) -> CaseCommand {
    let (words, reason) = split_targets(rest);
    let mut targets = Vec::new();
    let mut crowd = Vec::new();
    for word in words.into_iter().take(MAX_TARGETS) {
        let lower = word.to_lowercase();
        if CROWD_WORDS.contains(&lower.as_str()) {
            if !crowd.contains(&lower) {
                crowd.push(lower);
            }
            continue;
        }
        let target = typed(word);
        let seen = targets.iter().any(|t: &TypedTarget| match (t, &target) {
            (TypedTarget::Name(a), TypedTarget::Name(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        });
        if !seen {
            targets.push(target);
        }
    }
    let reason = reason.trim();
    CaseCommand {
        kind,
        case_type: case_type.to_owned(),
        targets,
        crowd,
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
    }
}

/// The cases a command-log line asks for: a moderation command from `commands` (canonical
/// names, such as [`DEFAULT_CASE_COMMANDS`]), or `:log warn` / `:log note`. `None` for every
/// other line, including one that names no target at all.
pub fn parse_case_command(text: &str, commands: &[String]) -> Option<CaseCommand> {
    let (word, rest) = split_command(text)?;
    let parsed = if word == "log" {
        let (verb, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match verb.to_lowercase().as_str() {
            "warn" => read_rest(CaseCommandKind::Warn, "warning", rest),
            "note" => read_rest(CaseCommandKind::Note, "note", rest),
            _ => return None,
        }
    } else {
        let name = canonical_command(&word);
        if !commands.contains(&name) {
            return None;
        }
        read_rest(CaseCommandKind::Action, &name, rest)
    };
    (!parsed.targets.is_empty() || !parsed.crowd.is_empty()).then_some(parsed)
}

/// Whether a line may file cases in some guild: a command of [`CASEABLE_COMMANDS`], or
/// `:log warn` / `:log note`. Reads no settings; [`parse_case_command`] applies the guild's
/// list.
pub fn wants_case_line(text: &str) -> bool {
    is_log_case_line(text)
        || split_command(text)
            .is_some_and(|(word, _)| CASEABLE_COMMANDS.contains(&canonical_command(&word).as_str()))
}

/// Whether a line is `:log warn` or `:log note`, with or without targets (so a bare one still
/// gets a usage reply).
pub fn is_log_case_line(text: &str) -> bool {
    let Some((word, rest)) = split_command(text) else {
        return false;
    };
    let verb = rest.split_whitespace().next().unwrap_or_default();
    word == "log" && (verb.eq_ignore_ascii_case("warn") || verb.eq_ignore_ascii_case("note"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn defaults() -> Vec<String> {
        DEFAULT_CASE_COMMANDS
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    fn parse(text: &str) -> Option<CaseCommand> {
        parse_case_command(text, &defaults())
    }

    fn name(n: &str) -> TypedTarget {
        TypedTarget::Name(n.into())
    }

    #[test]
    fn a_kick_with_a_reason() {
        let kick = parse(":kick Bob  random killing ").unwrap();
        assert_eq!(kick.kind, CaseCommandKind::Action);
        assert_eq!(kick.case_type, "kick");
        assert_eq!(kick.targets, [name("Bob")]);
        assert_eq!(kick.reason.as_deref(), Some("random killing"));
        assert!(kick.crowd.is_empty());
    }

    #[test]
    fn ids_prefixes_and_lists_give_one_target_each() {
        let ban = parse(":BAN 2419834401").unwrap();
        assert_eq!(ban.case_type, "ban");
        assert_eq!(ban.targets, [TypedTarget::Id(2419834401)]);
        assert_eq!(ban.reason, None, "a missing reason");
        let many = parse(":jail av,bob, 77 ,Bob fail rp").unwrap();
        assert_eq!(
            many.targets,
            [name("av"), name("bob"), TypedTarget::Id(77)],
            "a trailing comma continues the list; repeats count once"
        );
        assert_eq!(many.reason.as_deref(), Some("fail rp"));
        let spaced = parse(":kick a , b reason").unwrap();
        assert_eq!(spaced.targets, [name("a"), name("b")]);
        assert_eq!(spaced.reason.as_deref(), Some("reason"));
        assert_eq!(
            parse(":arrest Bob").unwrap().case_type,
            "jail",
            "aliases fold"
        );
    }

    #[test]
    fn crowds_file_no_case_of_their_own() {
        let all = parse(":kick all restart").unwrap();
        assert!(all.targets.is_empty());
        assert_eq!(all.crowd, ["all"]);
        let mixed = parse(":kick Me,Bob,others").unwrap();
        assert_eq!(mixed.targets, [name("Bob")]);
        assert_eq!(mixed.crowd, ["me", "others"]);
    }

    #[test]
    fn log_warn_and_note() {
        let warn = parse(":log warn Bob  spamming radio").unwrap();
        assert_eq!(
            (warn.kind, warn.case_type.as_str()),
            (CaseCommandKind::Warn, "warning")
        );
        assert_eq!(warn.targets, [name("Bob")]);
        assert_eq!(warn.reason.as_deref(), Some("spamming radio"));
        let note = parse(":LOG Note 55 asked about rules").unwrap();
        assert_eq!(note.kind, CaseCommandKind::Note);
        assert_eq!(note.targets, [TypedTarget::Id(55)]);
        assert!(parse(":log warn").is_none());
        assert!(is_log_case_line(":log warn"));
        assert!(is_log_case_line(" :LOG NOTE x"));
        assert!(!is_log_case_line(":log shift start"));
        assert!(parse(":log shift start").is_none());
        assert!(parse(":log verify ABC123").is_none());
    }

    #[test]
    fn other_lines_and_the_guild_list() {
        for text in [
            "",
            ":",
            "kick Bob",
            ":h hello",
            ":kick",
            ":wanted Bob",
            "::kick a",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
        let own = vec!["wanted".to_string()];
        assert_eq!(
            parse_case_command(":wanted Bob", &own).unwrap().case_type,
            "wanted"
        );
        assert!(parse_case_command(":kick Bob", &own).is_none());
        assert_eq!(canonical_command(":Arrest"), "jail");
        assert!(wants_case_line(":ARREST Bob") && wants_case_line(":wanted Bob"));
        assert!(wants_case_line(":log note"));
        assert!(!wants_case_line(":h hi") && !wants_case_line(":log shift start"));
        assert!(
            DEFAULT_CASE_COMMANDS
                .iter()
                .all(|c| CASEABLE_COMMANDS.contains(c))
        );
    }

    #[test]
    fn a_hostile_line_is_bounded() {
        let names: Vec<String> = (0..100).map(|i| format!("p{i}")).collect();
        let line = format!(":kick {} why", names.join(","));
        assert_eq!(parse(&line).unwrap().targets.len(), MAX_TARGETS);
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            if let Some(parsed) = parse(&text) {
                prop_assert!(parsed.targets.len() <= MAX_TARGETS);
                prop_assert!(parsed.reason.as_deref().is_none_or(|r| !r.is_empty()));
            }
        }

        #[test]
        fn never_panics_on_command_shaped_text(
            word in "(kick|ban|unban|jail|log warn|log note)",
            rest in "[ ,a-zA-Z0-9_\\u{80}-\\u{10FFFF}]{0,80}",
        ) {
            let _ = parse(&format!(":{word} {rest}"));
        }
    }
}
