//! `GameCommand`: every in-game command the game accepts over the API as a typed value,
//! rendered to the single-line text PRC expects.

use std::fmt;
use std::str::FromStr;

use super::text::normalize_text;
use super::{CommandBuildError, Target, Targets};

/// Latest hour `:time` accepts.
pub const MAX_HOUR: u8 = 24;

macro_rules! word_enum {
    (
        $(#[$meta:meta])* $name:ident, $error:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order; parsing searches this list.
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
        /// Clear skies.
        Clear => "clear",
        /// Rain showers.
        Rain => "rain",
        /// Fog that cuts visibility.
        Fog => "fog",
        /// Snowfall.
        Snow => "snow",
        /// Rain with thunder and lightning.
        Thunderstorm => "thunderstorm",
    }
}

word_enum! {
    /// `:startfire` values.
    FireKind, UnknownFireKind {
        /// A fire in a house.
        House => "house",
        /// A brush (wildland) fire.
        Brush => "brush",
        /// A fire in a larger building.
        Building => "building",
        /// A dumpster fire; `:stopdumpsterfire` puts it out.
        Dumpster => "dumpster",
    }
}

/// An in-game command. Free text (messages, reasons, layout names) is normalised to one line
/// when rendered; names are validated when the [`Target`]s are built; [`GameCommand::validate`]
/// checks the remaining rules (ranges, empty text, single-player commands).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GameCommand {
    /// `:h`: a hint banner at the top of every player's screen.
    Hint(String),
    /// `:m`: a server-wide announcement popup.
    Message(String),
    /// `:pm`: a private popup to some players.
    Pm {
        /// Who receives it.
        targets: Targets,
        /// The message; normalised to one line.
        text: String,
    },
    /// `:kick`: remove players from the server (they may rejoin).
    Kick {
        /// Who is kicked.
        targets: Targets,
        /// Shown to the kicked players; normalised to one line.
        reason: Option<String>,
    },
    /// `:ban`: kick one player and keep them out (adds them to the server's ban list).
    Ban {
        /// One whole username or a user id.
        target: Target,
        /// Recorded with the ban; normalised to one line.
        reason: Option<String>,
    },
    /// `:unban`: take one user off the server's ban list.
    Unban {
        /// One whole username or a user id.
        target: Target,
    },
    /// `:wanted`: mark players wanted.
    Wanted(Targets),
    /// `:unwanted`: clear players' wanted status.
    Unwanted(Targets),
    /// `:jail`: send players to jail (their team becomes `Jail`).
    Jail(Targets),
    /// `:unjail`: release players from jail.
    Unjail(Targets),
    /// `:kill`: down players.
    Kill(Targets),
    /// `:heal`: restore players' health.
    Heal(Targets),
    /// `:refresh`: respawn players where they stand.
    Refresh(Targets),
    /// `:load`: respawn players at their spawn point.
    Load(Targets),
    /// `:tp`: move players to another player.
    Teleport {
        /// Who is moved.
        targets: Targets,
        /// The player they are moved to; never a group.
        destination: Target,
    },
    /// `:helper`: make one user a server helper.
    Helper(Target),
    /// `:unhelper`: take the helper rank away.
    Unhelper(Target),
    /// `:mod`: make one user a server moderator.
    Mod(Target),
    /// `:unmod`: take the moderator rank away.
    Unmod(Target),
    /// `:admin`: make one user a server administrator.
    Admin(Target),
    /// `:unadmin`: take the administrator rank away.
    Unadmin(Target),
    /// Hour of the day, 0 to 24.
    Time(u8),
    /// `:weather`: change the weather.
    Weather(Weather),
    /// `:startfire`: start a fire event for the fire department.
    StartFire(FireKind),
    /// `:stopfire`: put out every fire.
    StopFire,
    /// `:stopdumpsterfire`: put out dumpster fires.
    StopDumpsterFire,
    /// Priority countdown in seconds; 0 turns it off.
    Priority(u32),
    /// Peace timer in seconds.
    PeaceTimer(u32),
    /// Writes a custom line to the command logs (an integration hook).
    Log(String),
    /// `:loadlayout`: load a custom map layout by name or share code.
    LoadLayout(String),
    /// `:unloadlayout`: unload the named layout, or the loaded one when `None`.
    UnloadLayout(Option<String>),
    /// `:shutdown`: close the server, kicking everyone (staff too).
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
