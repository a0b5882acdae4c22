//! `GameCommand`: every in-game command from prc-api.md §7 as a typed value, rendered to the
//! single-line text PRC expects.

use std::fmt;
use std::str::FromStr;

use super::text::normalize_text;
use super::{CommandBuildError, Target, Targets};

/// Latest hour `:time` accepts.
pub const MAX_HOUR: u8 = 24;

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $error:ident { $($variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The word the game command takes.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = CommandBuildError;

            /// Case-insensitive, surrounding spaces ignored.
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                let word = input.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str().eq_ignore_ascii_case(word))
                    .ok_or_else(|| CommandBuildError::$error(input.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum! {
    /// `:weather` values.
    Weather, UnknownWeather {
        Clear => "clear",
        Rain => "rain",
        Fog => "fog",
        Snow => "snow",
        Thunderstorm => "thunderstorm",
    }
}

word_enum! {
    /// `:startfire` values.
    FireKind, UnknownFireKind {
        House => "house",
        Brush => "brush",
        Building => "building",
        Dumpster => "dumpster",
    }
}

/// An in-game command. Free text (messages, reasons, layout names) is normalised to one line
/// when rendered; names are validated when the [`Target`]s are built; [`GameCommand::validate`]
/// checks the remaining rules (ranges, empty text, single-player commands).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GameCommand {
    Hint(String),
    Message(String),
    Pm {
        targets: Targets,
        text: String,
    },
    Kick {
        targets: Targets,
        reason: Option<String>,
    },
    Ban {
        target: Target,
        reason: Option<String>,
    },
    Unban {
        target: Target,
    },
    Wanted(Targets),
    Unwanted(Targets),
    Jail(Targets),
    Unjail(Targets),
    Kill(Targets),
    Heal(Targets),
    Refresh(Targets),
    Load(Targets),
    Teleport {
        targets: Targets,
        destination: Target,
    },
    Helper(Target),
    Unhelper(Target),
    Mod(Target),
    Unmod(Target),
    Admin(Target),
    Unadmin(Target),
    /// Hour of the day, 0 to 24.
    Time(u8),
    Weather(Weather),
    StartFire(FireKind),
    StopFire,
    StopDumpsterFire,
    /// Priority countdown in seconds; 0 turns it off.
    Priority(u32),
    /// Peace timer in seconds.
    PeaceTimer(u32),
    /// Writes a custom line to the command logs (an integration hook).
    Log(String),
    LoadLayout(String),
    UnloadLayout(Option<String>),
    Shutdown,
    /// Text sent exactly as given. Not normalised: check it with
    /// [`super::CommandPolicy::check`] before sending.
    Raw(String),
}

impl GameCommand {
    /// The command's name without `:`, using the short canonical alias (`h`, `tp`, `prty`…).
    /// For [`GameCommand::Raw`] it is the name as typed (see [`super::canonical_command_name`]).
    pub fn name(&self) -> &str {
        match self {
            GameCommand::Raw(text) => raw_name(text),
            typed => typed.typed_name(),
        }
    }

    /// The canonical name of a typed command; `raw` for [`GameCommand::Raw`].
    fn typed_name(&self) -> &'static str {
        use GameCommand::*;
        match self {
            Hint(_) => "h",
            Message(_) => "m",
            Pm { .. } => "pm",
            Kick { .. } => "kick",
            Ban { .. } => "ban",
            Unban { .. } => "unban",
            Wanted(_) => "wanted",
            Unwanted(_) => "unwanted",
            Jail(_) => "jail",
            Unjail(_) => "unjail",
            Kill(_) => "kill",
            Heal(_) => "heal",
            Refresh(_) => "refresh",
            Load(_) => "load",
            Teleport { .. } => "tp",
            Helper(_) => "helper",
            Unhelper(_) => "unhelper",
            Mod(_) => "mod",
            Unmod(_) => "unmod",
            Admin(_) => "admin",
            Unadmin(_) => "unadmin",
            Time(_) => "time",
            Weather(_) => "weather",
            StartFire(_) => "startfire",
            StopFire => "stopfire",
            StopDumpsterFire => "stopdumpsterfire",
            Priority(_) => "prty",
            PeaceTimer(_) => "pt",
            Log(_) => "log",
            LoadLayout(_) => "loadlayout",
            UnloadLayout(_) => "unloadlayout",
            Shutdown => "shutdown",
            Raw(_) => "raw",
        }
    }

    /// The text to POST, e.g. `:pm avery,minty Hello`. Always one line for every variant
    /// except [`GameCommand::Raw`], which is returned unchanged.
    pub fn to_text(&self) -> String {
        use GameCommand::*;
        let text = |t: &String| normalize_text(t);
        let optional = |t: &Option<String>| t.as_deref().map(normalize_text).unwrap_or_default();
        let parts: Vec<String> = match self {
            Raw(raw) => return raw.clone(),
            Hint(t) | Message(t) | Log(t) | LoadLayout(t) => vec![text(t)],
            Pm { targets, text: t } => vec![targets.to_string(), text(t)],
            Kick { targets, reason } => vec![targets.to_string(), optional(reason)],
            Ban { target, reason } => vec![target.to_string(), optional(reason)],
            Wanted(t) | Unwanted(t) | Jail(t) | Unjail(t) | Kill(t) | Heal(t) | Refresh(t)
            | Load(t) => vec![t.to_string()],
            Teleport {
                targets,
                destination,
            } => vec![targets.to_string(), destination.to_string()],
            Unban { target }
            | Helper(target)
            | Unhelper(target)
            | Mod(target)
            | Unmod(target)
            | Admin(target)
            | Unadmin(target) => vec![target.to_string()],
            Time(hour) => vec![hour.to_string()],
            Weather(weather) => vec![weather.to_string()],
            StartFire(kind) => vec![kind.to_string()],
            Priority(seconds) | PeaceTimer(seconds) => vec![seconds.to_string()],
            UnloadLayout(name) => vec![optional(name)],
            StopFire | StopDumpsterFire | Shutdown => vec![],
        };
        let mut out = format!(":{}", self.name());
        for part in parts.iter().filter(|part| !part.is_empty()) {
            out.push(' ');
            out.push_str(part);
        }
        out
    }

    /// Check the rules the types alone cannot: the hour range, required text, and that
    /// single-player commands name one whole player or a user id.
    pub fn validate(&self) -> Result<(), CommandBuildError> {
        use GameCommand::*;
        let command = self.typed_name();
        let needs_text = |t: &str| {
            if normalize_text(t).is_empty() {
                Err(CommandBuildError::EmptyText { command })
            } else {
                Ok(())
            }
        };
        match self {
            Hint(t) | Message(t) | Log(t) | LoadLayout(t) | Pm { text: t, .. } => needs_text(t),
            Ban { target, .. }
            | Unban { target }
            | Helper(target)
            | Unhelper(target)
            | Mod(target)
            | Unmod(target)
            | Admin(target)
            | Unadmin(target) => one_whole_player(command, target),
            Teleport { destination, .. } if destination.is_group() => {
                Err(CommandBuildError::GroupNotAllowed { command })
            }
            Time(hour) if *hour > MAX_HOUR => Err(CommandBuildError::TimeOutOfRange(*hour)),
            _ => Ok(()),
        }
    }

    /// [`GameCommand::validate`], then [`GameCommand::to_text`].
    pub fn to_checked_text(&self) -> Result<String, CommandBuildError> {
        self.validate().map(|()| self.to_text())
    }

    /// Everyone the command acts on, including a teleport destination.
    pub fn targets(&self) -> Vec<&Target> {
        use GameCommand::*;
        match self {
            Pm { targets, .. }
            | Kick { targets, .. }
            | Wanted(targets)
            | Unwanted(targets)
            | Jail(targets)
            | Unjail(targets)
            | Kill(targets)
            | Heal(targets)
            | Refresh(targets)
            | Load(targets) => targets.as_slice().iter().collect(),
            Teleport {
                targets,
                destination,
            } => targets
                .as_slice()
                .iter()
                .chain(std::iter::once(destination))
                .collect(),
            Ban { target, .. }
            | Unban { target }
            | Helper(target)
            | Unhelper(target)
            | Mod(target)
            | Unmod(target)
            | Admin(target)
            | Unadmin(target) => vec![target],
            _ => Vec::new(),
        }
    }
}

fn one_whole_player(command: &'static str, target: &Target) -> Result<(), CommandBuildError> {
    match target {
        Target::All | Target::Others => Err(CommandBuildError::GroupNotAllowed { command }),
        Target::Name(name) if !name.is_full_username() => {
            Err(CommandBuildError::NeedsFullUsername {
                command,
                name: name.to_string(),
            })
        }
        Target::Name(_) | Target::Id(_) => Ok(()),
    }
}

/// The name part of raw command text as typed: after `:` (and any spaces), up to whitespace.
fn raw_name(text: &str) -> &str {
    text.trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
}

impl fmt::Display for GameCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}
