//! Where feed messages go: the [`Sink`] trait (create with an idempotency nonce, edit in
//! place), implemented by the Discord sink (in `discord/`), a recording sink for tests and a
//! console sink for the demo.

mod console;
mod recording;
mod terminal;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::ui::Message;

pub use console::{ConsoleSink, colour_wanted};
pub use recording::{RecordedCreate, RecordedEdit, RecordingSink};

/// A boxed future, so [`Sink`] stays object-safe without extra crates.
pub type SinkFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SinkError>> + Send + 'a>>;

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    /// True for rate limits, timeouts and server errors; false for missing channels or
    /// permissions, which need a person to fix them.
    pub retryable: bool,
    /// How long the destination asked us to wait, when it said.
    pub retry_after: Option<Duration>,
    /// What went wrong, in plain words.
    pub message: String,
}

impl SinkError {
    /// A failure worth retrying.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            retry_after: None,
            message: message.into(),
        }
    }

    /// A failure that retrying will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            retry_after: None,
            message: message.into(),
        }
    }

    /// The same failure, asking the caller to wait at least `wait` before trying again.
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }
}

/// A destination for feed messages.
///
/// Implementations must send every message with no mentions allowed (see
/// [`Message::ALLOWS_MENTIONS`]). `create` must pass `nonce` to the destination's
/// duplicate check (Discord: `nonce` plus `enforce_nonce: true`), so a retry of the same
/// planned message never posts twice.
pub trait Sink: Send + Sync {
    /// Post a new message; returns its id.
    fn create<'a>(
        &'a self,
        channel_id: u64,
        message: &'a Message,
        nonce: &'a str,
    ) -> SinkFuture<'a, String>;

    /// Replace a message posted earlier.
    fn edit<'a>(
        &'a self,
        channel_id: u64,
        message_id: &'a str,
        message: &'a Message,
    ) -> SinkFuture<'a, ()>;
}
