//! The record of everything that crossed the fake's wire: REST calls and gateway frames, in
//! order, plus the path patterns tests use to find calls.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::state::Upload;

/// One REST request the bot made, with the fake's answer.
#[derive(Clone, Debug)]
pub struct Call {
    /// Position in the REST call list (0-based).
    pub index: usize,
    /// Time since the fake started.
    pub at: Duration,
    pub method: String,
    /// Full path, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    pub query: Option<String>,
    /// The JSON body (for multipart: the parsed `payload_json`), or `Null`.
    pub body: Value,
    pub files: Vec<Upload>,
    pub status: u16,
    pub response: Value,
}

/// One gateway frame, in either direction.
#[derive(Clone, Debug)]
pub struct GatewayFrame {
    pub at: Duration,
    /// Connection number, counting from 1.
    pub connection: u64,
    /// True for fake → bot.
    pub to_bot: bool,
    pub payload: Value,
}

#[derive(Clone, Debug)]
pub enum Entry {
    Rest(Call),
    Gateway(GatewayFrame),
}

/// Matches a call path against a pattern. Patterns without `/api/` are taken relative to
/// `/api/v10`. `*` matches exactly one segment; a final `**` matches any remainder.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let full = if pattern.starts_with("/api/") {
        pattern.to_string()
    } else {
        format!("/api/v10/{}", pattern.trim_start_matches('/'))
    };
    let want: Vec<&str> = full.trim_matches('/').split('/').collect();
    let have: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (i, segment) in want.iter().enumerate() {
        match (*segment, have.get(i)) {
            ("**", _) if i + 1 == want.len() => return true,
            ("*", Some(_)) => {}
            (expected, Some(actual)) if expected == *actual => {}
            _ => return false,
        }
    }
    want.len() == have.len()
}

/// Human-readable dump, one line per entry, bodies shortened.
pub fn render(entries: &[Entry]) -> String {
    let mut out = String::new();
    for entry in entries {
        match entry {
            Entry::Rest(call) => {
                let query = call
                    .query
                    .as_deref()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                let files: Vec<&str> = call.files.iter().map(|f| f.filename.as_str()).collect();
                let _ = writeln!(
                    out,
                    "[{:>9.1}ms] REST {} {}{} -> {} body={}{} reply={}",
                    millis(call.at),
                    call.method,
                    call.path,
                    query,
                    call.status,
                    shorten(&call.body),
                    if files.is_empty() {
                        String::new()
                    } else {
                        format!(" files={files:?}")
                    },
                    shorten(&call.response),
                );
            }
            Entry::Gateway(frame) => {
                let arrow = if frame.to_bot { "->" } else { "<-" };
                let p = &frame.payload;
                let _ = writeln!(
                    out,
                    "[{:>9.1}ms] GW#{} {arrow} op={} t={} s={} d={}",
                    millis(frame.at),
                    frame.connection,
                    p["op"],
                    p["t"],
                    p["s"],
                    shorten(&p["d"]),
                );
            }
        }
    }
    out
}

fn millis(at: Duration) -> f64 {
    at.as_secs_f64() * 1000.0
}

fn shorten(value: &Value) -> String {
    const LIMIT: usize = 400;
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        return text;
    }
    let head: String = text.chars().take(LIMIT).collect();
    format!("{head}…({} chars)", text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn patterns_match_segments() {
        assert!(path_matches(
            "/channels/*/messages",
            "/api/v10/channels/1/messages"
        ));
        assert!(!path_matches(
            "/channels/*/messages",
            "/api/v10/channels/1/messages/2"
        ));
        assert!(path_matches(
            "/channels/**",
            "/api/v10/channels/1/messages/2"
        ));
        assert!(path_matches("/api/v10/gateway", "/api/v10/gateway"));
        assert!(!path_matches("/gateway", "/api/v10/gateway/bot"));
    }
}
