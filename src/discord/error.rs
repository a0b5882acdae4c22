//! The commands' error type and the framework's error handler: every failure reaches the
//! user as an ephemeral card in plain words with the fix; internal details go to the log.

use poise::serenity_prelude as serenity;

use super::Data;
use crate::actions::ActionError;
use crate::erlc::ErlcError;
use crate::store::StoreError;
use crate::ui::Message;
use crate::views;

/// Why a command or a click could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// A problem the user can fix; the text is shown as is.
    #[error("{0}")]
    User(String),
    /// Refused or failed in the services (permissions, servers, players, PRC).
    #[error(transparent)]
    Action(Box<ActionError>),
    /// Discord refused or failed a request the bot made.
    #[error("Discord refused the bot's request: {0}")]
    Discord(Box<serenity::Error>),
}

impl From<serenity::Error> for BotError {
    fn from(error: serenity::Error) -> Self {
        Self::Discord(Box::new(error))
    }
}

impl From<ActionError> for BotError {
    fn from(error: ActionError) -> Self {
        Self::Action(Box::new(error))
    }
}

impl From<StoreError> for BotError {
    fn from(error: StoreError) -> Self {
        ActionError::from(error).into()
    }
}

impl From<ErlcError> for BotError {
    fn from(error: ErlcError) -> Self {
        ActionError::from(error).into()
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
            Self::Action(error) => error.user_message(),
            Self::Discord(_) => {
                "Discord refused the bot's request. Check that the bot can View Channel, Send \
                 Messages and Embed Links here, then try again."
                    .to_owned()
            }
        }
    }

    /// True when the error is the user's to fix (no need to log it loudly).
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::User(_) => true,
            Self::Action(error) => error.is_user_error(),
            Self::Discord(_) => false,
        }
    }

    /// The red card shown for this error.
    pub fn card(&self) -> Message {
        match self {
            Self::Action(action) => match action.as_ref() {
                ActionError::PermissionDenied { needed, .. } => {
                    views::outcome::permission_denied(*needed, None)
                }
                ActionError::Erlc(error) => views::outcome::erlc_error(error),
                other => views::outcome::error(&other.user_message(), None),
            },
            other => views::outcome::error(&other.user_message(), None),
        }
    }

    fn log(&self, what: &str) {
        if self.is_user_error() {
            tracing::info!(what, "refused: {self}");
        } else {
            tracing::warn!(what, "failed: {self}");
        }
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
                error.log(&ctx.command().qualified_name);
                send_error(ctx, &error).await;
            }
            other => {
                if let Err(e) = poise::builtins::on_error(other).await {
                    tracing::warn!("error while handling an error: {e}");
                }
            }
        }
    })
}

/// Show the error card to the invoker only. After a public `defer` the "thinking" message
/// would turn the card public, so it is deleted first and the card sent as an ephemeral
/// follow-up.
async fn send_error(ctx: poise::Context<'_, Data, BotError>, error: &BotError) {
    if let poise::Context::Application(app) = ctx {
        let deferred = app
            .has_sent_initial_response
            .load(std::sync::atomic::Ordering::SeqCst);
        if deferred && let Err(e) = app.interaction.delete_response(ctx.http()).await {
            tracing::debug!("no response to replace with the error card: {e}");
        }
    }
    let reply = super::render::reply(&error.card(), true);
    if let Err(e) = ctx.send(reply).await {
        tracing::warn!("could not tell the user about an error: {e}");
    }
}
