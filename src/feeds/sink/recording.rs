//! An in-memory sink for tests: records every create and edit, counts creates per nonce so
//! tests can assert exactly-once delivery, and can be told to fail the next calls.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::{Sink, SinkError, SinkFuture};
use crate::ui::Message;

/// A successful create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCreate {
    /// Channel the message was posted in.
    pub channel_id: u64,
    /// Id the sink gave the new message.
    pub message_id: String,
    /// Idempotency nonce the create carried.
    pub nonce: String,
    /// What was posted.
    pub message: Message,
}

/// A successful edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEdit {
    /// Channel of the edited message.
    pub channel_id: u64,
    /// Id of the message that was replaced.
    pub message_id: String,
    /// The new content.
    pub message: Message,
}

#[derive(Debug, Default)]
struct State {
    creates: Vec<RecordedCreate>,
    edits: Vec<RecordedEdit>,
    /// Message id → (channel, current content).
    messages: HashMap<String, (u64, Message)>,
    /// Nonce → id of the first message created with it (for Discord-like dedupe).
    by_nonce: HashMap<String, String>,
    next_id: u64,
    fail_next: usize,
    fail_retryable: bool,
    failed_calls: usize,
}

/// Records deliveries in memory.
///
/// By default every create posts a new message, so a retry that reuses a nonce shows up as
/// a second delivery ([`RecordingSink::deliveries`] > 1). [`RecordingSink::discord_like`]
/// instead answers a repeated nonce with the first message's id, as Discord does with
/// `enforce_nonce`.
#[derive(Debug, Default)]
pub struct RecordingSink {
    state: Mutex<State>,
    dedupe_nonces: bool,
}

impl RecordingSink {
    /// A sink that succeeds and posts a new message for every create, even a repeated nonce.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer a repeated nonce with the message already created for it.
    pub fn discord_like() -> Self {
        Self {
            dedupe_nonces: true,
            ..Self::default()
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves usable data behind.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Make the next `calls` creates or edits fail (retryable or not).
    pub fn fail_next(&self, calls: usize, retryable: bool) {
        let mut state = self.state();
        state.fail_next = calls;
        state.fail_retryable = retryable;
    }

    /// Every successful create, in order.
    pub fn creates(&self) -> Vec<RecordedCreate> {
        self.state().creates.clone()
    }

    /// Every successful edit, in order.
    pub fn edits(&self) -> Vec<RecordedEdit> {
        self.state().edits.clone()
    }

    /// How many successful creates carried `nonce` (exactly-once means 1).
    pub fn deliveries(&self, nonce: &str) -> usize {
        self.state()
            .creates
            .iter()
            .filter(|c| c.nonce == nonce)
            .count()
    }

    /// Nonces delivered more than once.
    pub fn duplicated_nonces(&self) -> Vec<String> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let state = self.state();
        for create in &state.creates {
            *counts.entry(create.nonce.as_str()).or_default() += 1;
        }
        let mut twice: Vec<String> = counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(nonce, _)| nonce.to_owned())
            .collect();
        twice.sort();
        twice
    }

    /// The current content of a message (after edits).
    pub fn message(&self, message_id: &str) -> Option<Message> {
        self.state()
            .messages
            .get(message_id)
            .map(|(_, m)| m.clone())
    }

    /// Calls refused because of [`RecordingSink::fail_next`].
    pub fn failed_calls(&self) -> usize {
        self.state().failed_calls
    }

    fn injected_failure(state: &mut State) -> Option<SinkError> {
        if state.fail_next == 0 {
            return None;
        }
        state.fail_next -= 1;
        state.failed_calls += 1;
        Some(if state.fail_retryable {
            SinkError::retryable("injected failure (retryable)")
        } else {
            SinkError::permanent("injected failure")
        })
    }

    fn record_create(
        &self,
        channel_id: u64,
        message: &Message,
        nonce: &str,
    ) -> Result<String, SinkError> {
        let mut state = self.state();
        if let Some(error) = Self::injected_failure(&mut state) {
            return Err(error);
        }
        if self.dedupe_nonces {
            if let Some(existing) = state.by_nonce.get(nonce) {
                return Ok(existing.clone());
            }
        }
        state.next_id += 1;
        let message_id = (1_000_000 + state.next_id).to_string();
        state
            .by_nonce
            .entry(nonce.to_owned())
            .or_insert_with(|| message_id.clone());
        state
            .messages
            .insert(message_id.clone(), (channel_id, message.clone()));
        state.creates.push(RecordedCreate {
            channel_id,
            message_id: message_id.clone(),
            nonce: nonce.to_owned(),
            message: message.clone(),
        });
        Ok(message_id)
    }

    fn record_edit(
        &self,
        channel_id: u64,
        message_id: &str,
        message: &Message,
    ) -> Result<(), SinkError> {
        let mut state = self.state();
        if let Some(error) = Self::injected_failure(&mut state) {
            return Err(error);
        }
        match state.messages.get_mut(message_id) {
            Some((channel, current)) if *channel == channel_id => *current = message.clone(),
            _ => {
                return Err(SinkError::permanent(format!(
                    "message {message_id} does not exist in channel {channel_id}"
                )));
            }
        }
        state.edits.push(RecordedEdit {
            channel_id,
            message_id: message_id.to_owned(),
            message: message.clone(),
        });
        Ok(())
    }
}

impl Sink for RecordingSink {
    fn create<'a>(
        &'a self,
        channel_id: u64,
        message: &'a Message,
        nonce: &'a str,
    ) -> SinkFuture<'a, String> {
        Box::pin(async move { self.record_create(channel_id, message, nonce) })
    }

    fn edit<'a>(
        &'a self,
        channel_id: u64,
        message_id: &'a str,
        message: &'a Message,
    ) -> SinkFuture<'a, ()> {
        Box::pin(async move { self.record_edit(channel_id, message_id, message) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn message(text: &str) -> Message {
        Message {
            content: Some(text.into()),
            ..Message::default()
        }
    }

    #[test]
    fn records_creates_and_edits() {
        let sink = RecordingSink::new();
        let id = block_on(sink.create(5, &message("a"), "n1")).unwrap();
        block_on(sink.edit(5, &id, &message("b"))).unwrap();
        assert_eq!(sink.creates().len(), 1);
        assert_eq!(sink.creates()[0].nonce, "n1");
        assert_eq!(sink.edits()[0].message_id, id);
        assert_eq!(sink.message(&id), Some(message("b")));
        let wrong_channel = block_on(sink.edit(6, &id, &message("c"))).unwrap_err();
        assert!(!wrong_channel.retryable);
        assert!(block_on(sink.edit(5, "nope", &message("c"))).is_err());
    }

    #[test]
    fn counts_deliveries_per_nonce() {
        let sink = RecordingSink::new();
        let first = block_on(sink.create(5, &message("a"), "n1")).unwrap();
        let again = block_on(sink.create(5, &message("a"), "n1")).unwrap();
        block_on(sink.create(5, &message("b"), "n2")).unwrap();
        assert_ne!(first, again);
        assert_eq!(sink.deliveries("n1"), 2);
        assert_eq!(sink.deliveries("n2"), 1);
        assert_eq!(sink.duplicated_nonces(), vec!["n1".to_owned()]);

        let discord = RecordingSink::discord_like();
        let first = block_on(discord.create(5, &message("a"), "n1")).unwrap();
        let again = block_on(discord.create(5, &message("a"), "n1")).unwrap();
        assert_eq!(first, again, "a repeated nonce returns the same message");
        assert_eq!(discord.deliveries("n1"), 1);
    }

    #[test]
    fn fails_the_next_calls_when_told() {
        let sink = RecordingSink::new();
        sink.fail_next(2, true);
        let error = block_on(sink.create(5, &message("a"), "n1")).unwrap_err();
        assert!(error.retryable);
        assert!(block_on(sink.create(5, &message("a"), "n1")).is_err());
        assert!(block_on(sink.create(5, &message("a"), "n1")).is_ok());
        assert_eq!(sink.failed_calls(), 2);
        assert_eq!(sink.deliveries("n1"), 1);
        sink.fail_next(1, false);
        assert!(
            !block_on(sink.create(5, &message("a"), "n2"))
                .unwrap_err()
                .retryable
        );
    }

    #[test]
    fn the_sink_is_object_safe() {
        let sink: Box<dyn Sink> = Box::new(RecordingSink::new());
        assert!(block_on(sink.create(1, &message("a"), "n")).is_ok());
    }
}
