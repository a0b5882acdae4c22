//! Which command text needs a person's Confirm press before it is sent: `:shutdown`, bans,
//! staff permission changes, and anything aimed at `all` or `others`. Judged on the text
//! (aliases and case resolved), so raw commands and typed ones share one rule.

use super::Target;
use super::policy::canonical_command_name;

/// Commands that are destructive whatever their arguments.
const ALWAYS: &[&str] = &[
    "shutdown", "ban", "helper", "unhelper", "mod", "unmod", "admin", "unadmin",
];

/// Commands whose arguments are free text or values, never players (so `:h all done` is fine).
const NO_TARGETS: &[&str] = &[
    "h",
    "m",
    "log",
    "time",
    "weather",
    "startfire",
    "stopfire",
    "stopdumpsterfire",
    "prty",
    "pt",
    "loadlayout",
    "unloadlayout",
];

/// Does this command text need confirming? Text without a command name counts as
/// destructive (the policy refuses it anyway). Any argument word that is a group target
/// (`all`, `others`, also inside a comma list) makes a player command destructive.
pub fn is_destructive(text: &str) -> bool {
    let Some(name) = canonical_command_name(text) else {
        return true;
    };
    if ALWAYS.contains(&name.as_str()) {
        return true;
    }
    if NO_TARGETS.contains(&name.as_str()) {
        return false;
    }
    text.split_whitespace()
        .skip(1)
        .flat_map(|word| word.split(','))
        .any(|part| Target::parse(part).is_ok_and(|target| target.is_group()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destructive_commands_are_caught_through_aliases_and_case() {
        for text in [
            ":shutdown",
            ": SHUTDOWN",
            ":ban Avery_Cole rdm",
            ":admin 123",
            ":kick all",
            ":kick ALL",
            ":kill Bob,Others",
            ":teleport all Bob",
            ":pm others hi",
            ":",
        ] {
            assert!(is_destructive(text), "{text}");
        }
        for text in [
            ":h all done",
            ":m everyone",
            ":kick Bob allowed",
            ":kick Bob,",
            ":pt 60",
            ":heal Bob",
        ] {
            assert!(!is_destructive(text), "{text}");
        }
    }
}
