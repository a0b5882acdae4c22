//! Building in-game command text safely: validated targets, one-line free text, typed
//! commands for everything the game accepts over the API, the policy checked before anything
//! is sent, and which commands need a Confirm press first.

mod build_error;
mod destructive;
mod game_command;
mod policy;
mod target;
mod text;

#[cfg(test)]
mod tests;

pub use build_error::CommandBuildError;
pub use destructive::is_destructive;
pub use game_command::{FireKind, GameCommand, MAX_HOUR, Weather};
pub use policy::{CommandPolicy, DEFAULT_MAX_LEN, canonical_command_name};
pub use target::{MAX_NAME_LEN, MIN_FULL_NAME_LEN, PlayerName, Target, Targets};
pub use text::normalize_text;
