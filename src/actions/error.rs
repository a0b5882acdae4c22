//! `ActionError`: why an action did not run, with a plain-words message that says what
//! happened and how to fix it. Never carries a server key.

use std::time::Duration;

use crate::erlc::{ErlcError, KeyFormatError};
use crate::sandbox::SandboxError;
use crate::store::{Capability, StoreError};

/// Most names listed in an error message.
const MAX_LISTED: usize = 10;

/// Why an action did not run (or, for [`ActionError::NeedsConfirmation`], has not run yet).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The guild has set up no ER:LC server.
    #[error("this server has no ER:LC server yet")]
    NoServer,
    /// The guild has several servers, none is the default, and the command named none.
    #[error("this server has several ER:LC servers and none was picked")]
    PickServer {
        /// The guild's server labels, to pick from.
        labels: Vec<String>,
    },
    /// The guild has no server with the label given.
    #[error("no ER:LC server labelled `{label}`")]
    UnknownServer {
        /// The label asked for.
        label: String,
        /// The guild's server labels; empty when none is set up.
        known: Vec<String>,
    },
    /// None of the member's roles grants the capability the action needs.
    #[error("missing the `{needed}` capability")]
    PermissionDenied {
        /// The capability the action needs.
        needed: Capability,
        /// What to tell the member: the `/permissions set` an admin runs to grant it.
        hint: String,
    },
    /// A destructive command waits for its Confirm press; nothing was sent yet.
    #[error("`{command_text}` needs confirmation")]
    NeedsConfirmation {
        /// Names the pending command in its Confirm and Cancel buttons.
        token: String,
        /// The command that would be sent.
        command_text: String,
        /// How long the Confirm press is accepted.
        expires_in: Duration,
    },
    /// The Confirm or Cancel pressed names no pending command: it expired or was used.
    #[error("unknown or expired confirmation")]
    ConfirmationExpired,
    /// Someone other than the member who asked (and not an admin) pressed Confirm or Cancel.
    #[error("confirmation by someone else")]
    NotYourConfirmation,
    /// No online player has the name, or a name starting with it.
    #[error("no player matches `{query}`")]
    PlayerNotFound {
        /// What the member typed.
        query: String,
        /// Usernames of the players online, sorted; untrusted text.
        online: Vec<String>,
    },
    /// Several online players' names start with what was typed, and none is an exact match.
    #[error("`{query}` matches several players")]
    AmbiguousPlayer {
        /// What the member typed.
        query: String,
        /// Usernames it could mean, sorted; untrusted text.
        candidates: Vec<String>,
    },
    /// Input that cannot be used; the text says why and what to type instead.
    #[error("{0}")]
    InvalidInput(String),
    /// The pasted text is not shaped like a server key (`<secret>-<server id>`).
    #[error("the text is not an ER:LC server key: {0}")]
    BadKey(#[from] KeyFormatError),
    /// PRC refused the key (invalid, regenerated, banned); the text says what to do.
    #[error("ER:LC refused the key: {0}")]
    KeyRejected(String),
    /// The key could not be checked right now (rate limit, outage); nothing was saved.
    #[error("the key could not be checked: {0}")]
    KeyCheckUnavailable(String),
    /// PRC refused the request or could not be reached.
    #[error(transparent)]
    Erlc(#[from] ErlcError),
    /// The guild's sandbox simulator could not start.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Who a member is could not be found out (Discord unreachable, or no Discord at all).
    #[error("could not look the member up: {0}")]
    MemberLookup(String),
    /// The store failed; nothing was changed. Input errors of the store become
    /// [`ActionError::InvalidInput`] instead.
    #[error("storage problem: {0}")]
    Store(StoreError),
}

impl From<StoreError> for ActionError {
    /// The store's `Invalid` and `NotFound` texts are written for people; the rest is an
    /// operator's problem.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid(text) | StoreError::NotFound(text) => Self::InvalidInput(text),
            other => Self::Store(other),
        }
    }
}

fn list(names: &[String]) -> String {
    let mut shown: Vec<&str> = names.iter().take(MAX_LISTED).map(String::as_str).collect();
    if names.len() > MAX_LISTED {
        shown.push("…");
    }
    shown.join(", ")
}

impl ActionError {
    /// What happened and how to fix it, for the person who asked.
    pub fn user_message(&self) -> String {
        match self {
            Self::NoServer => {
                "This server has no ER:LC server yet — run /server setup (use the key `sandbox` \
                 to try the bot without one)."
                    .into()
            }
            Self::PickServer { labels } => format!(
                "This server has several ER:LC servers: pick one with the `server` option ({}).",
                list(labels)
            ),
            Self::UnknownServer { label, known } if known.is_empty() => format!(
                "There is no ER:LC server labelled `{label}` here, and none is set up yet — run \
                 /server setup."
            ),
            Self::UnknownServer { label, known } => format!(
                "There is no ER:LC server labelled `{label}` here. Pick one of: {}.",
                list(known)
            ),
            Self::PermissionDenied { hint, .. } => hint.clone(),
            Self::NeedsConfirmation {
                command_text,
                expires_in,
                ..
            } => format!(
                "`{command_text}` can do a lot of damage, so it needs confirming: press Confirm \
                 within {} minutes to run it.",
                expires_in.as_secs().div_ceil(60).max(1)
            ),
            Self::ConfirmationExpired => {
                "That confirmation expired or was already used. Run the command again.".into()
            }
            Self::NotYourConfirmation => {
                "Only the person who asked for this command (or an admin) can confirm it.".into()
            }
            Self::PlayerNotFound { query, online } if online.is_empty() => {
                format!("No player matching `{query}` is in the server; it is empty right now.")
            }
            Self::PlayerNotFound { query, online } => format!(
                "No player matching `{query}` is in the server. Online now: {}.",
                list(online)
            ),
            Self::AmbiguousPlayer { query, candidates } => format!(
                "`{query}` matches several players: {}. Type more of the name.",
                list(candidates)
            ),
            Self::InvalidInput(text) => text.clone(),
            Self::BadKey(e) => format!(
                "That is not an ER:LC server key: {e}. Copy it again from in game: Private \
                 Server Settings → ER:LC API → API Key (or type `sandbox` to try the bot)."
            ),
            Self::KeyRejected(text) | Self::KeyCheckUnavailable(text) => text.clone(),
            Self::Erlc(e) => e.user_message(),
            Self::Sandbox(e) => format!(
                "The sandbox could not start ({e}). Try again; if it keeps failing, tell the \
                 bot's operator."
            ),
            Self::MemberLookup(why) => {
                format!("The bot could not find out who that member is: {why}. Nothing was done.")
            }
            Self::Store(e) => format!(
                "The bot could not read or save its data ({e}). Nothing was changed; tell the \
                 bot's operator."
            ),
        }
    }

    /// True when the person asking can fix it (as opposed to a bot or PRC problem).
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Erlc(e) => matches!(
                e,
                ErlcError::Policy(_)
                    | ErlcError::BadCommand(_)
                    | ErlcError::InvalidCommand(_)
                    | ErlcError::ServerOffline(_)
                    | ErlcError::NotAuthorized(_)
                    | ErlcError::RestrictedCommand(_)
                    | ErlcError::ProhibitedMessage(_)
                    | ErlcError::InvalidServerKey(_)
                    | ErlcError::MalformedServerKey(_)
                    | ErlcError::BannedServerKey(_)
            ),
            Self::Sandbox(_)
            | Self::Store(_)
            | Self::KeyCheckUnavailable(_)
            | Self::MemberLookup(_) => false,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_how_to_fix_it() {
        assert!(
            ActionError::NoServer
                .user_message()
                .contains("/server setup")
        );
        let pick = ActionError::PickServer {
            labels: vec!["main".into(), "side".into()],
        };
        assert!(pick.user_message().contains("(main, side)"), "{pick}");
        let many: Vec<String> = (0..15).map(|i| format!("p{i}")).collect();
        let absent = ActionError::PlayerNotFound {
            query: "zed".into(),
            online: many,
        };
        let text = absent.user_message();
        assert!(text.contains("p9, …") && !text.contains("p10"), "{text}");
        let expires = ActionError::NeedsConfirmation {
            token: "t".into(),
            command_text: ":shutdown".into(),
            expires_in: Duration::from_secs(300),
        };
        assert!(expires.user_message().contains("5 minutes"));
        assert!(ActionError::from(StoreError::Invalid("label taken".into())).is_user_error());
        assert!(!ActionError::KeyCheckUnavailable("busy".into()).is_user_error());
    }
}
