//! The Discord feed sink: posts planned feed messages to channels (with Discord's nonce
//! check, so a retried post never appears twice) and edits live cards, turning Discord's
//! refusals into [`SinkError`]s that say whether to retry and what to fix.

use std::sync::Arc;

use poise::serenity_prelude as serenity;

use super::render;
use crate::feeds::{Sink, SinkError, SinkFuture};
use crate::ui::Message;

/// Posts to Discord through serenity's HTTP client.
pub struct DiscordSink {
    http: Arc<serenity::Http>,
    /// For channel names in error messages.
    cache: Arc<serenity::Cache>,
}

impl std::fmt::Debug for DiscordSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordSink").finish_non_exhaustive()
    }
}

impl DiscordSink {
    /// A sink posting through the bot's REST client, naming channels from its cache in errors.
    pub fn new(http: Arc<serenity::Http>, cache: Arc<serenity::Cache>) -> Self {
        Self { http, cache }
    }

    /// `#name` when the channel is in the cache, else a channel mention.
    fn channel_name(&self, channel_id: u64) -> String {
        let id = serenity::ChannelId::new(channel_id);
        self.cache
            .guilds()
            .into_iter()
            .find_map(|guild| {
                let guild = self.cache.guild(guild)?;
                guild.channels.get(&id).map(|c| format!("#{}", c.name))
            })
            .unwrap_or_else(|| format!("<#{channel_id}>"))
    }

    fn error(&self, channel_id: u64, doing: Doing, error: &serenity::Error) -> SinkError {
        let channel = self.channel_name(channel_id);
        classify(&channel, doing, &Refusal::of(error))
    }
}

/// What the sink was doing when Discord refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doing {
    Post,
    Edit,
}

/// What went wrong, reduced to what decides the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// serenity refused before sending (the message does not fit Discord's rules).
    Local(String),
    /// No answer from Discord (network, timeout).
    Unreachable(String),
    /// Discord answered with an error.
    Status {
        status: u16,
        code: isize,
        message: String,
    },
}

impl Refusal {
    fn of(error: &serenity::Error) -> Self {
        match error {
            serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
                Self::Status {
                    status: response.status_code.as_u16(),
                    code: response.error.code,
                    message: response.error.message.clone(),
                }
            }
            serenity::Error::Http(http) => Self::Unreachable(http.to_string()),
            other => Self::Local(other.to_string()),
        }
    }
}

/// Discord's answer as a [`SinkError`]: rate limits, server errors and network failures are
/// worth retrying; missing permissions, channels or messages need a person.
fn classify(channel: &str, doing: Doing, refusal: &Refusal) -> SinkError {
    let (status, code, message) = match refusal {
        Refusal::Local(why) => {
            return SinkError::permanent(format!(
                "the feed message for {channel} could not be built: {why}"
            ));
        }
        Refusal::Unreachable(why) => {
            return SinkError::retryable(format!(
                "could not reach Discord to post in {channel}: {why}"
            ));
        }
        Refusal::Status {
            status,
            code,
            message,
        } => (*status, *code, message),
    };
    match status {
        429 => SinkError::retryable(format!("Discord is rate limiting posts in {channel}")),
        500..=599 => SinkError::retryable(format!(
            "Discord had a server error ({status}) posting in {channel}"
        )),
        403 => SinkError::permanent(format!(
            "the bot cannot post in {channel}: give it View Channel, Send Messages and Embed \
             Links there (Discord code {code})"
        )),
        404 if doing == Doing::Edit && code == 10008 => SinkError::permanent(format!(
            "the card to update in {channel} was deleted, so it is not updated any more"
        )),
        404 => SinkError::permanent(format!(
            "{channel} no longer exists or the bot cannot see it: move the feed with /feed \
             remove and /feed add (Discord code {code})"
        )),
        _ => SinkError::permanent(format!(
            "Discord refused the feed message for {channel} ({status}, code {code}): {message}"
        )),
    }
}

impl Sink for DiscordSink {
    fn create<'a>(
        &'a self,
        channel_id: u64,
        message: &'a Message,
        nonce: &'a str,
    ) -> SinkFuture<'a, String> {
        Box::pin(async move {
            let builder = render::create_message(message)
                .nonce(serenity::Nonce::String(nonce.to_owned()))
                .enforce_nonce(true);
            serenity::ChannelId::new(channel_id)
                .send_message(&*self.http, builder)
                .await
                .map(|posted| posted.id.get().to_string())
                .map_err(|e| self.error(channel_id, Doing::Post, &e))
        })
    }

    fn edit<'a>(
        &'a self,
        channel_id: u64,
        message_id: &'a str,
        message: &'a Message,
    ) -> SinkFuture<'a, ()> {
        Box::pin(async move {
            let id: u64 = message_id.parse().map_err(|_| {
                SinkError::permanent(format!("`{message_id}` is not a Discord message id"))
            })?;
            serenity::ChannelId::new(channel_id)
                .edit_message(
                    &*self.http,
                    serenity::MessageId::new(id),
                    render::edit_message(message),
                )
                .await
                .map(|_| ())
                .map_err(|e| self.error(channel_id, Doing::Edit, &e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: isize) -> Refusal {
        Refusal::Status {
            status,
            code,
            message: "refused".into(),
        }
    }

    #[test]
    fn rate_limits_and_outages_are_retried() {
        for status in [429, 500, 502, 503] {
            let e = classify("#feed", Doing::Post, &refused(status, 0));
            assert!(e.retryable, "{status}: {e}");
        }
        let offline = classify(
            "#feed",
            Doing::Post,
            &Refusal::Unreachable("timeout".into()),
        );
        assert!(offline.retryable);
        let local = classify("#feed", Doing::Post, &Refusal::Local("too long".into()));
        assert!(!local.retryable);
    }

    #[test]
    fn missing_access_says_what_to_grant() {
        let e = classify("#feed", Doing::Post, &refused(403, 50013));
        assert!(!e.retryable);
        assert!(e.message.contains("the bot cannot post in #feed"), "{e}");
        assert!(e.message.contains("Send Messages and Embed Links"), "{e}");
        let gone = classify("#feed", Doing::Post, &refused(404, 10003));
        assert!(
            !gone.retryable && gone.message.contains("/feed add"),
            "{gone}"
        );
        let deleted = classify("#feed", Doing::Edit, &refused(404, 10008));
        assert!(deleted.message.contains("was deleted"), "{deleted}");
        let other = classify("#feed", Doing::Post, &refused(400, 50035));
        assert!(
            !other.retryable && other.message.contains("50035"),
            "{other}"
        );
    }
}
