//! The tracker's error type.

use crate::erlc::ErlcError;
use crate::store::{ServerStatus, StoreError};

/// What can go wrong tracking a server.
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    #[error("guild {guild} has no tracked server `{label}`; add it to the tracker first")]
    UnknownServer { guild: u64, label: String },
    #[error(
        "server `{label}` of guild {guild} is not polled any more: {}; {}",
        status.describe(),
        status.fix().unwrap_or("add it again once fixed")
    )]
    Stopped {
        guild: u64,
        label: String,
        status: ServerStatus,
    },
    #[error("server label `{label}` cannot name events: {detail}")]
    BadLabel { label: String, detail: String },
    #[error("reading the server failed: {0}")]
    Api(#[from] ErlcError),
    #[error("storing the poll's events failed: {0}")]
    Store(#[from] StoreError),
    #[error("encoding the tracker checkpoint failed: {0}")]
    Encode(#[source] serde_json::Error),
}
