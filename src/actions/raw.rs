//! Which raw command text needs a Confirm press before it is sent: `:shutdown`, bans, staff
//! permission changes, and anything aimed at `all` or `others`.

use crate::erlc::canonical_command_name;

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

/// Does this raw command text need confirming? Unparseable text counts as destructive (the
/// policy refuses it anyway).
pub fn raw_is_destructive(text: &str) -> bool {
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
        .any(|part| part.eq_ignore_ascii_case("all") || part.eq_ignore_ascii_case("others"))
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
            ":kill Bob,Others",
            ":teleport all Bob",
            ":pm others hi",
            ":",
        ] {
            assert!(raw_is_destructive(text), "{text}");
        }
        for text in [
            ":h all done",
            ":m everyone",
            ":kick Bob allowed",
            ":pt 60",
            ":heal Bob",
        ] {
            assert!(!raw_is_destructive(text), "{text}");
        }
    }
}
