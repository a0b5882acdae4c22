//! `CommandBuildError`: why a typed command could not be built from the given pieces.

/// Why a command could not be built. Messages are written for the person who typed the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandBuildError {
    #[error("{input:?} is not a Roblox username: {reason}")]
    InvalidName { input: String, reason: &'static str },
    #[error("name at least one player")]
    NoTargets,
    #[error("`me` means nobody when the bot sends the command; name the player instead")]
    MeNotAllowed,
    #[error(
        "the username {name:?} is also a word the game reads as several players (`all` or \
         `others`), so it is never sent as a name; only commands that take a Roblox user id \
         (ban, unban, staff permissions) can reach this player, by id"
    )]
    GroupWordName { name: String },
    #[error("`:{command}` needs some text")]
    EmptyText { command: &'static str },
    #[error("the time of day must be a whole hour from 0 to 24, not {0}")]
    TimeOutOfRange(u8),
    #[error("`:{command}` works on one player, not on `all` or `others`")]
    GroupNotAllowed { command: &'static str },
    #[error(
        "`:{command}` needs a full username (3 to 20 characters) or a user id, not the partial name {name:?}"
    )]
    NeedsFullUsername { command: &'static str, name: String },
    #[error("unknown weather {0:?}; use clear, rain, fog, snow or thunderstorm")]
    UnknownWeather(String),
    #[error("unknown fire kind {0:?}; use house, brush, building or dumpster")]
    UnknownFireKind(String),
}
