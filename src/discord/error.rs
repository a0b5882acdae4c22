//! The commands' error type and the framework's error handler: every failure reaches the
//! user as an ephemeral message in plain words with the fix; internal details go to the log.

use poise::serenity_prelude as serenity;

use super::Data;
use crate::store::StoreError;

/// Why a command or a click could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// A problem the user can fix; the text is shown as is.
    #[error("{0}")]
    User(String),
    /// Discord refused or failed a request the bot made.
    #[error("Discord refused the bot's request: {0}")]
    Discord(Box<serenity::Error>),
    #[error("the bot's database failed: {0}")]
    Store(#[from] StoreError),
}

impl From<serenity::Error> for BotError {
    fn from(error: serenity::Error) -> Self {
        Self::Discord(Box::new(error))
    }
}

impl BotError {
    /// A user-facing error.
    pub fn user(message: impl Into<String>) -> Self {
        Self::User(message.into())
    }

    /// What to tell the person who ran the command.
    pub fn user_message(&self) -> String {
        match self {
            Self::User(message) => message.clone(),
            Self::Discord(_) => {
                "Discord refused the bot's request. Check that the bot can View Channel, Send \
                 Messages and Embed Links here, then try again."
                    .to_owned()
            }
            Self::Store(StoreError::NotFound(what)) => format!("Not found: {what}."),
            Self::Store(StoreError::Invalid(what)) => what.clone(),
            Self::Store(_) => {
                "The bot could not read or write its database. Try again; if it keeps failing, \
                 the bot operator should check the bot's logs."
                    .to_owned()
            }
        }
    }

    /// True when the error is the user's to fix (no need to log it loudly).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::User(_) | Self::Store(StoreError::NotFound(_) | StoreError::Invalid(_))
        )
    }
}

/// poise's error hook. A failed setup (registration refused) ends the process with a non-zero
/// code: otherwise the bot would stay online without ever answering (see rust-stack.md §1.3).
pub fn on_error(error: poise::FrameworkError<'_, Data, BotError>) -> poise::BoxFuture<'_, ()> {
    Box::pin(async move {
        match error {
            poise::FrameworkError::Setup { error, .. } => {
                tracing::error!("setup failed: {error}");
                eprintln!("erlc-bot could not start: {error}");
                std::process::exit(1);
            }
            poise::FrameworkError::Command { error, ctx, .. } => {
                if error.is_user_error() {
                    tracing::info!(command = %ctx.command().qualified_name, "refused: {error}");
                } else {
                    tracing::warn!(command = %ctx.command().qualified_name, "failed: {error}");
                }
                let reply = super::render::error_reply(&error.user_message());
                if let Err(e) = ctx.send(reply).await {
                    tracing::warn!("could not tell the user about an error: {e}");
                }
            }
            other => {
                if let Err(e) = poise::builtins::on_error(other).await {
                    tracing::warn!("error while handling an error: {e}");
                }
            }
        }
    })
}
