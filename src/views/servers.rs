//! Server replies: `/server status` (players, queue, staff online, join code and link, team
//! counts), `/server list` (every server with its key fingerprint, health and the fix),
//! `/server setup` results (including the trusted-IP steps) and `/server remove`.

use crate::erlc::api::KeyValidation;
use crate::erlc::models::{Player, ServerInfo, StaffV2, V2Server};
use crate::feeds::message::FeedMessage;
use crate::store::settings::ServerRecord;

/// What a status reply can show: the server object plus whichever optional sections were
/// fetched. Built from a v2 snapshot or from a v1 `/server` answer alone.
#[derive(Debug, Clone, Copy)]
pub struct StatusParts<'a> {
    pub info: &'a ServerInfo,
    pub players: Option<&'a [Player]>,
    pub queue: Option<&'a [u64]>,
    pub staff: Option<&'a StaffV2>,
}

impl<'a> From<&'a V2Server> for StatusParts<'a> {
    fn from(server: &'a V2Server) -> Self {
        Self {
            info: &server.info,
            players: server.players.as_deref(),
            queue: server.queue.as_deref(),
            staff: server.staff.as_ref(),
        }
    }
}

impl<'a> From<&'a ServerInfo> for StatusParts<'a> {
    fn from(info: &'a ServerInfo) -> Self {
        Self {
            info,
            players: None,
            queue: None,
            staff: None,
        }
    }
}

/// `/server status` for the server labelled `label`, as of `now` (Unix seconds).
pub fn server_status<'a>(label: &str, server: impl Into<StatusParts<'a>>, now: i64) -> FeedMessage {
    let _ = (label, server.into(), now);
    todo!()
}

/// `/server list`. `sandbox_labels` names the servers that are the built-in simulator.
pub fn server_list(servers: &[ServerRecord], sandbox_labels: &[&str]) -> FeedMessage {
    let _ = (servers, sandbox_labels);
    todo!()
}

/// What `/server setup` did.
#[derive(Debug, Clone, Copy)]
pub struct SetupOutcome<'a> {
    pub label: &'a str,
    /// [`crate::erlc::ServerKey::fingerprint`] of the pasted key (never the key).
    pub key_fingerprint: &'a str,
    pub validation: &'a KeyValidation,
    /// Whether the key was stored.
    pub saved: bool,
    /// The key was `sandbox`: the guild is connected to the built-in simulator.
    pub sandbox: bool,
    /// The server is (now) the guild's default.
    pub is_default: bool,
}

/// The reply to `/server setup`: success, success with warnings (commands not authorized:
/// the trusted-IP steps), or a red card saying why nothing was saved and how to fix it.
pub fn setup_result(outcome: &SetupOutcome<'_>) -> FeedMessage {
    let _ = outcome;
    todo!()
}

/// The reply to `/server remove`. `new_default` is the server that became the default.
pub fn removed(label: &str, new_default: Option<&str>) -> FeedMessage {
    let _ = (label, new_default);
    todo!()
}
