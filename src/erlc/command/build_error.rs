//! `CommandBuildError`: why a typed command could not be built from the given pieces.

/// Why a command could not be built. Messages are written for the person who typed the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandBuildError {
    /// A target is not a possible Roblox username, so it could change the command's shape.
    #[error("{input:?} is not a Roblox username: {reason}")]
    InvalidName {
        /// The text as given.
        input: String,
        /// Which rule it breaks, as a clause for the message.
        reason: &'static str,
    },
    /// A target list had no names in it.
    #[error("name at least one player")]
    NoTargets,
    /// `me` was given; it means the caller, and a command sent through the API has no player
    /// as its caller.
    #[error("`me` means nobody when the bot sends the command; name the player instead")]
    MeNotAllowed,
    /// A player's username is `all` or `others` (any case), which the game reads as a group;
    /// only commands that take a user id can reach them.
    #[error(
        "the username {name:?} is also a word the game reads as several players (`all` or \
         `others`), so it is never sent as a name; only commands that take a Roblox user id \
         (ban, unban, staff permissions) can reach this player, by id"
    )]
    GroupWordName {
        /// The username as the game reported it.
        name: String,
    },
    /// A command that shows or logs text was given none (after normalising).
    #[error("`:{command}` needs some text")]
    EmptyText {
        /// Canonical command name, without `:`.
        command: &'static str,
    },
    /// `:time` was given an hour above [`super::MAX_HOUR`].
    #[error("the time of day must be a whole hour from 0 to 24, not {0}")]
    TimeOutOfRange(u8),
    /// A single-player command (ban, staff ranks, teleport destination) was aimed at `all` or
    /// `others`.
    #[error("`:{command}` works on one player, not on `all` or `others`")]
    GroupNotAllowed {
        /// Canonical command name, without `:`.
        command: &'static str,
    },
    /// A single-player command was given a name shorter than
    /// [`super::MIN_FULL_NAME_LEN`], which the game would treat as a prefix of anyone's name.
    #[error(
        "`:{command}` needs a full username (3 to 20 characters) or a user id, not the partial name {name:?}"
    )]
    NeedsFullUsername {
        /// Canonical command name, without `:`.
        command: &'static str,
        /// The partial name given.
        name: String,
    },
    /// The text is not one of the game's weather words.
    #[error("unknown weather {0:?}; use clear, rain, fog, snow or thunderstorm")]
    UnknownWeather(String),
    /// The text is not one of the game's fire kinds.
    #[error("unknown fire kind {0:?}; use house, brush, building or dumpster")]
    UnknownFireKind(String),
}
