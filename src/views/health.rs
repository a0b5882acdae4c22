//! `/health`: per server, whether polling runs, its lag, rate-limit headroom, the next poll and
//! the last PRC error with its fix, as a green / amber / red light.

use crate::feeds::message::FeedMessage;

/// What the tracker knows about one server's polling, for `/health`. Times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHealthView {
    pub label: String,
    pub polling: bool,
    /// The tracker's one-word state, e.g. `ok`, `backing off`, `stopped`.
    pub status: String,
    pub last_poll_ms: Option<i64>,
    /// How far behind the feed is (now minus the newest data seen).
    pub lag_ms: Option<i64>,
    pub consecutive_errors: u32,
    /// PRC code (if PRC answered), explanation, fix.
    pub last_error: Option<(Option<i64>, String, Option<String>)>,
    /// Requests remaining, the bucket's limit, seconds until it resets.
    pub headroom: Option<(u32, u32, Option<u64>)>,
    pub next_poll_ms: Option<i64>,
}

/// `/health` for every server of the guild.
pub fn health(servers: &[ServerHealthView], now_ms: i64) -> FeedMessage {
    let _ = (servers, now_ms);
    todo!()
}
