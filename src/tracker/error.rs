//! The tracker's error type.

use crate::erlc::ErlcError;
use crate::store::{ServerStatus, StoreError};

/// What can go wrong tracking a server.
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// The (guild, label) asked for was never added to the tracker, or was removed.
    #[error("guild {guild} has no tracked server `{label}`; add it to the tracker first")]
    UnknownServer {
        /// Discord guild id asked for.
        guild: u64,
        /// Server label asked for.
        label: String,
    },
    #[error(
        "server `{label}` of guild {guild} is not polled any more: {}; {}",
        status.describe(),
        status.fix().unwrap_or("add it again once fixed")
    )]
    /// Polling of the server stopped because PRC refused its key; only a person can fix it.
    Stopped {
        /// Discord guild id that owns the server.
        guild: u64,
        /// The guild's label for the server.
        label: String,
        /// Why polling stopped (key invalid, banned or not authorised).
        status: ServerStatus,
    },
    /// The label cannot be the first segment of an event type (empty, too long, or characters
    /// other than ASCII letters, digits, `-` and `_`).
    #[error("server label `{label}` cannot name events: {detail}")]
    BadLabel {
        /// The label as given.
        label: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The read from PRC failed.
    #[error("reading the server failed: {0}")]
    Api(#[from] ErlcError),
    /// The store could not read the checkpoint or write the poll's events.
    #[error("storing the poll's events failed: {0}")]
    Store(#[from] StoreError),
    /// The checkpoint (the world the events were diffed against) could not be serialised.
    #[error("encoding the tracker checkpoint failed: {0}")]
    Encode(#[source] postcard::Error),
}
