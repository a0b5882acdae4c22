//! Which built-in `;` command a chat line names (aliases and any case accepted) and what its
//! arguments are. Pure: no I/O, so every rule is tested here.

use std::time::Duration;

use crate::actions::AuditAction;

/// Longest reason kept from a chat line; the rest is cut (the card shows it).
pub const MAX_REASON_CHARS: usize = 300;

/// The built-in in-game commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `;help`: a `:pm` listing the enabled commands.
    Help,
    /// `;staff <reason>`: a card in the mod-call channel, pinging the mod-call role if set.
    Staff,
    /// `;report <player> <reason>`: a card in the mod-call channel, no ping.
    Report,
    /// `;discord`: a `:pm` with the guild's Discord invite, if one is set.
    Discord,
    /// `;verify <code>`: link the player's Roblox account to the Discord member who got the
    /// code from `/link`; answered with a `:pm`.
    Verify,
}

impl Builtin {
    /// Every built-in, in the order `;help` lists them.
    pub const ALL: [Builtin; 5] = [
        Builtin::Help,
        Builtin::Staff,
        Builtin::Report,
        Builtin::Discord,
        Builtin::Verify,
    ];

    /// The canonical name (what `disabled_custom_commands` and the audit log use).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Help => "help",
            Builtin::Staff => "staff",
            Builtin::Report => "report",
            Builtin::Discord => "discord",
            Builtin::Verify => "verify",
        }
    }

    /// What a run of the command is audited as (`custom_command.<name>`).
    pub fn audit_action(self) -> AuditAction {
        match self {
            Builtin::Help => AuditAction::CustomCommandHelp,
            Builtin::Staff => AuditAction::CustomCommandStaff,
            Builtin::Report => AuditAction::CustomCommandReport,
            Builtin::Discord => AuditAction::CustomCommandDiscord,
            Builtin::Verify => AuditAction::CustomCommandVerify,
        }
    }

    /// Other words that run the same command.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Builtin::Help => &["commands", "cmds"],
            Builtin::Staff => &["modcall", "mods", "callstaff"],
            Builtin::Report => &["rep"],
            Builtin::Discord => &["invite", "dc"],
            Builtin::Verify => &["link"],
        }
    }

    /// How a player types it, for `;help` and usage replies.
    pub fn usage(self) -> &'static str {
        match self {
            Builtin::Help => ";help",
            Builtin::Staff => ";staff <reason>",
            Builtin::Report => ";report <player> <reason>",
            Builtin::Discord => ";discord",
            Builtin::Verify => ";verify <code>",
        }
    }

    /// How long one player waits between two uses. Alerts that ping people wait longest;
    /// `;verify` waits long enough that guessing codes is hopeless.
    pub fn default_cooldown(self) -> Duration {
        match self {
            Builtin::Help | Builtin::Discord | Builtin::Verify => Duration::from_secs(10),
            Builtin::Staff | Builtin::Report => Duration::from_secs(60),
        }
    }

    /// The command a word names, ignoring case and a leading `;`.
    pub fn lookup(word: &str) -> Option<Builtin> {
        let word = word.trim().trim_start_matches(';').to_lowercase();
        Builtin::ALL
            .into_iter()
            .find(|b| b.name() == word || b.aliases().contains(&word.as_str()))
    }
}

/// A command with its arguments read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedCommand {
    /// `;help`.
    Help,
    /// `;staff`, with what the player wrote after it.
    Staff {
        /// The reason, cut to [`MAX_REASON_CHARS`]; `None` for a bare `;staff` / `;modcall`.
        reason: Option<String>,
    },
    /// `;report`, with whom and why.
    Report {
        /// The name (or start of it) the player typed, without a leading `@`; untrusted.
        player: String,
        /// Why, cut to [`MAX_REASON_CHARS`]; never empty.
        reason: String,
    },
    /// `;discord`.
    Discord,
    /// `;verify`, with the code as typed (not yet normalised).
    Verify {
        /// The first word after the command; untrusted.
        code: String,
    },
}

impl ParsedCommand {
    /// The built-in it runs.
    pub fn builtin(&self) -> Builtin {
        match self {
            ParsedCommand::Help => Builtin::Help,
            ParsedCommand::Staff { .. } => Builtin::Staff,
            ParsedCommand::Report { .. } => Builtin::Report,
            ParsedCommand::Discord => Builtin::Discord,
            ParsedCommand::Verify { .. } => Builtin::Verify,
        }
    }
}

/// What a chat line turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse {
    /// A built-in with its arguments.
    Command(ParsedCommand),
    /// A built-in typed with missing arguments: answer with its usage.
    Usage(Builtin),
    /// Not one of ours (another tool may handle it).
    Unknown(String),
}

/// Read a `CustomCommand` event. PRC sends the first word as `command` and the rest as
/// `argument`, but a `command` holding the whole line is accepted too.
pub fn parse(command: &str, argument: &str) -> Parse {
    let command = command.trim();
    let (word, rest) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let argument = clean(&format!("{rest} {argument}"));
    let Some(builtin) = Builtin::lookup(word) else {
        return Parse::Unknown(clean(word.trim_start_matches(';')));
    };
    let parsed = match builtin {
        Builtin::Help => ParsedCommand::Help,
        Builtin::Discord => ParsedCommand::Discord,
        Builtin::Staff => ParsedCommand::Staff {
            reason: Some(limit(&argument)).filter(|r| !r.is_empty()),
        },
        Builtin::Verify => match argument.split(' ').next() {
            Some(code) if !code.is_empty() => ParsedCommand::Verify {
                code: code.to_owned(),
            },
            _ => return Parse::Usage(builtin),
        },
        Builtin::Report => {
            let Some((player, reason)) = argument.split_once(' ') else {
                return Parse::Usage(builtin);
            };
            let player = player.trim_start_matches('@');
            if player.is_empty() || reason.trim().is_empty() {
                return Parse::Usage(builtin);
            }
            ParsedCommand::Report {
                player: player.to_owned(),
                reason: limit(reason.trim()),
            }
        }
    };
    Parse::Command(parsed)
}

/// One line: control characters dropped, whitespace runs collapsed, trimmed.
fn clean(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    kept.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn limit(text: &str) -> String {
    crate::ui::message::truncate(text, MAX_REASON_CHARS)
}

/// The `;help` reply: every enabled command in one line.
pub fn help_text(enabled: &[Builtin]) -> String {
    let list: Vec<String> = enabled
        .iter()
        .map(|b| match b.aliases().first() {
            Some(alias) if *b == Builtin::Staff => format!("{} (or ;{alias})", b.usage()),
            _ => b.usage().to_owned(),
        })
        .collect();
    format!("Commands: {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_in_any_case() {
        assert_eq!(Builtin::lookup("HELP"), Some(Builtin::Help));
        assert_eq!(Builtin::lookup(";ModCall"), Some(Builtin::Staff));
        assert_eq!(Builtin::lookup("invite"), Some(Builtin::Discord));
        assert_eq!(Builtin::lookup("bolo"), None);
        for b in Builtin::ALL {
            assert_eq!(Builtin::lookup(b.name()), Some(b));
            for alias in b.aliases() {
                assert_eq!(Builtin::lookup(alias), Some(b), "{alias}");
            }
        }
    }

    #[test]
    fn runs_are_audited_under_the_canonical_name() {
        for b in Builtin::ALL {
            let expected = format!("custom_command.{}", b.name());
            assert_eq!(b.audit_action().as_str(), expected);
        }
    }

    #[test]
    fn staff_reason_is_optional_and_cleaned() {
        assert_eq!(
            parse("staff", "  someone\tis \n rdming "),
            Parse::Command(ParsedCommand::Staff {
                reason: Some("someone is rdming".into())
            })
        );
        assert_eq!(
            parse("modcall", ""),
            Parse::Command(ParsedCommand::Staff { reason: None })
        );
        let long = "x".repeat(1000);
        let Parse::Command(ParsedCommand::Staff { reason: Some(r) }) = parse("staff", &long) else {
            panic!("expected a staff command");
        };
        assert_eq!(r.chars().count(), MAX_REASON_CHARS);
    }

    #[test]
    fn report_needs_a_player_and_a_reason() {
        assert_eq!(
            parse("report", "@Bad_Driver ran me over twice"),
            Parse::Command(ParsedCommand::Report {
                player: "Bad_Driver".into(),
                reason: "ran me over twice".into()
            })
        );
        assert_eq!(parse("report", "Bad_Driver"), Parse::Usage(Builtin::Report));
        assert_eq!(parse("rep", ""), Parse::Usage(Builtin::Report));
        assert_eq!(parse("report", "@ reason"), Parse::Usage(Builtin::Report));
    }

    #[test]
    fn verify_takes_the_first_word_as_the_code() {
        assert_eq!(
            parse("verify", " ab3d7f  please "),
            Parse::Command(ParsedCommand::Verify {
                code: "ab3d7f".into()
            })
        );
        assert_eq!(
            parse(";link AB3D7F", ""),
            Parse::Command(ParsedCommand::Verify {
                code: "AB3D7F".into()
            })
        );
        assert_eq!(parse("verify", "  "), Parse::Usage(Builtin::Verify));
    }

    #[test]
    fn whole_line_in_command_and_unknown_words() {
        assert_eq!(
            parse(";report Bob spam", ""),
            Parse::Command(ParsedCommand::Report {
                player: "Bob".into(),
                reason: "spam".into()
            })
        );
        assert_eq!(parse("bolo", "red car"), Parse::Unknown("bolo".into()));
        assert_eq!(parse("", ""), Parse::Unknown(String::new()));
    }

    #[test]
    fn help_lists_enabled_commands_within_a_pm() {
        let text = help_text(&Builtin::ALL);
        assert!(text.contains(";staff <reason> (or ;modcall)"), "{text}");
        assert!(text.contains(";report <player> <reason>"));
        assert!(text.chars().count() < 150, "fits a :pm line");
        assert!(!help_text(&[Builtin::Help]).contains("report"));
    }
}
