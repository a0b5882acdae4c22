//! The client's error taxonomy: one variant per documented PRC error code, plus transport,
//! decoding and local-policy failures. Every error can explain itself in plain English, say how
//! to fix the problem, and say whether retrying could help.

use std::time::Duration;

/// Context shared by every error the PRC API reported itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrcErrorInfo {
    /// Route that failed, e.g. `GET /v2/server` or `POST /v1/server/command`.
    pub endpoint: String,
    /// HTTP status of the response.
    pub http_status: u16,
    /// PRC's own message, if it sent one.
    pub message: String,
    /// `commandId` from command failures, if present.
    pub command_id: Option<String>,
}

impl std::fmt::Display for PrcErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} answered HTTP {}", self.endpoint, self.http_status)?;
        if !self.message.is_empty() {
            write!(f, ": {:?}", self.message)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong talking to the PRC API.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ErlcError {
    /// PRC code 0.
    #[error("PRC reported an unknown error (code 0); {0}")]
    Unknown(PrcErrorInfo),
    /// PRC code 1001.
    #[error("PRC could not reach the game server through Roblox (code 1001); {0}")]
    RobloxCommunication(PrcErrorInfo),
    /// PRC code 1002.
    #[error("PRC had an internal error (code 1002); {0}")]
    InternalError(PrcErrorInfo),
    /// PRC code 2000.
    #[error("no server key was sent (code 2000); {0}")]
    MissingServerKey(PrcErrorInfo),
    /// PRC code 2001.
    #[error("the server key is not in the right format (code 2001); {0}")]
    MalformedServerKey(PrcErrorInfo),
    /// PRC code 2002.
    #[error("the server key is invalid or was regenerated (code 2002); {0}")]
    InvalidServerKey(PrcErrorInfo),
    /// PRC code 2003.
    #[error("the global API key is invalid (code 2003); {0}")]
    InvalidGlobalKey(PrcErrorInfo),
    /// PRC code 2004.
    #[error("the server key is banned from the API (code 2004); {0}")]
    BannedServerKey(PrcErrorInfo),
    /// PRC code 3001.
    #[error("PRC found no valid command in the request (code 3001); {0}")]
    InvalidCommand(PrcErrorInfo),
    /// PRC code 3002, or HTTP 422 on the command route.
    #[error("the game server is offline or empty (code 3002); {0}")]
    ServerOffline(PrcErrorInfo),
    /// PRC code 4000.
    #[error("not authorized to do this on the game server (code 4000); {0}")]
    NotAuthorized(PrcErrorInfo),
    /// PRC code 4001, or HTTP 429.
    #[error("rate limited by PRC (code 4001), retry after {retry_after:?}; {info}")]
    RateLimited {
        /// The route, status and PRC's message.
        info: PrcErrorInfo,
        /// How long PRC asked us to wait (header first, then body, then bucket reset).
        retry_after: Option<Duration>,
        /// The bucket PRC named, if any.
        bucket: Option<String>,
    },
    /// PRC code 4002.
    #[error("PRC does not allow this command over the API (code 4002); {0}")]
    RestrictedCommand(PrcErrorInfo),
    /// PRC code 4003.
    #[error("the message was blocked by the game's text filter (code 4003); {0}")]
    ProhibitedMessage(PrcErrorInfo),
    /// PRC code 9998.
    #[error("this resource is restricted (code 9998); {0}")]
    RestrictedResource(PrcErrorInfo),
    /// PRC code 9999.
    #[error("the in-game API module is out of date (code 9999); {0}")]
    ModuleOutdated(PrcErrorInfo),
    /// A PRC error body with a code this client does not know yet.
    #[error("PRC reported error code {code}; {info}")]
    UnrecognizedCode {
        /// The `code` PRC sent.
        code: i64,
        /// The route, status and PRC's message.
        info: PrcErrorInfo,
    },
    /// A non-2xx response with no PRC error body we could read.
    #[error("{endpoint} answered HTTP {status} without a PRC error code")]
    Http {
        /// Route that failed, e.g. `GET /v2/server`.
        endpoint: String,
        /// HTTP status of the response.
        status: u16,
        /// At most the first 200 characters of the body.
        body_snippet: String,
    },
    /// The request never got an HTTP response (DNS, connect, reset, timeout).
    #[error("could not reach the ER:LC API for {endpoint}: {detail}")]
    Network {
        /// Route that was tried, e.g. `GET /v2/server`.
        endpoint: String,
        /// What the HTTP library reported, free of keys.
        detail: String,
    },
    /// The response arrived but did not have the shape we expected.
    #[error("could not read the answer from {endpoint}: field `{field}`: {detail}")]
    Decode {
        /// Route whose answer was unreadable.
        endpoint: String,
        /// Path of the offending field, e.g. `Players[3].Player`, or `.` for the whole body.
        field: String,
        /// What did not fit, as the JSON decoder put it.
        detail: String,
    },
    /// The circuit breaker for this bucket is open after repeated failures.
    #[error("calls to {bucket} are paused for {retry_in:?} after repeated failures")]
    CircuitOpen {
        /// The breaker's bucket, with any key replaced by its fingerprint.
        bucket: String,
        /// Time until the breaker lets a probe request through.
        retry_in: Duration,
    },
    /// Refused locally by the command policy; nothing was sent.
    #[error("command refused before sending: {0}")]
    Policy(#[from] PolicyViolation),
    /// The typed command could not be built from what was given; nothing was sent.
    #[error("command not sent: {0}")]
    BadCommand(#[from] super::command::CommandBuildError),
    /// The client was configured with something unusable (bad base URL, bad key format).
    #[error("client configuration problem: {0}")]
    Config(String),
}

/// Why the local command policy refused a command. Nothing reaches PRC when this happens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    /// Blank text, or a `:` with no command name after it.
    #[error("the command is empty")]
    Empty,
    /// A line break (including Unicode line separators), which could start a second command.
    #[error("the command spans more than one line")]
    MultiLine,
    /// Longer than the policy's limit.
    #[error("the command is {len} characters long; the limit is {max}")]
    TooLong {
        /// Length of the command, in characters.
        len: usize,
        /// The policy's limit, in characters.
        max: usize,
    },
    /// Text that is not a command: it must start with `:`.
    #[error("the command does not start with `:`")]
    MissingColon,
    /// On this bot's configured deny list; holds the command's canonical name.
    #[error("`:{0}` is on this bot's deny list")]
    Denied(String),
    /// A control character other than a line break.
    #[error("the command contains a control character")]
    ControlCharacter,
}

/// Broad category, used for metrics labels and to decide what a caller should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The key or global key is wrong, banned or missing: stop using it until a human fixes it.
    Credentials,
    /// The game server refused: offline, not authorized, restricted, filtered.
    Refused,
    /// Rate limited: wait and try later.
    RateLimited,
    /// PRC, Roblox or the network had a transient problem.
    Transient,
    /// We could not understand the answer.
    Decode,
    /// Refused locally (policy, breaker, configuration).
    Local,
}

impl ErlcError {
    /// The numeric PRC code this error corresponds to, if PRC reported one.
    pub fn prc_code(&self) -> Option<i64> {
        use ErlcError::*;
        Some(match self {
            Unknown(_) => 0,
            RobloxCommunication(_) => 1001,
            InternalError(_) => 1002,
            MissingServerKey(_) => 2000,
            MalformedServerKey(_) => 2001,
            InvalidServerKey(_) => 2002,
            InvalidGlobalKey(_) => 2003,
            BannedServerKey(_) => 2004,
            InvalidCommand(_) => 3001,
            ServerOffline(_) => 3002,
            NotAuthorized(_) => 4000,
            RateLimited { .. } => 4001,
            RestrictedCommand(_) => 4002,
            ProhibitedMessage(_) => 4003,
            RestrictedResource(_) => 9998,
            ModuleOutdated(_) => 9999,
            UnrecognizedCode { code, .. } => *code,
            Http { .. }
            | Network { .. }
            | Decode { .. }
            | CircuitOpen { .. }
            | Policy(_)
            | BadCommand(_)
            | Config(_) => return None,
        })
    }

    /// Build the variant for a PRC error code.
    pub fn from_code(code: i64, info: PrcErrorInfo) -> Self {
        use ErlcError::*;
        match code {
            0 => Unknown(info),
            1001 => RobloxCommunication(info),
            1002 => InternalError(info),
            2000 => MissingServerKey(info),
            2001 => MalformedServerKey(info),
            2002 => InvalidServerKey(info),
            2003 => InvalidGlobalKey(info),
            2004 => BannedServerKey(info),
            3001 => InvalidCommand(info),
            3002 => ServerOffline(info),
            4000 => NotAuthorized(info),
            4001 => RateLimited {
                info,
                retry_after: None,
                bucket: None,
            },
            4002 => RestrictedCommand(info),
            4003 => ProhibitedMessage(info),
            9998 => RestrictedResource(info),
            9999 => ModuleOutdated(info),
            code => UnrecognizedCode { code, info },
        }
    }

    /// The broad category of this error.
    pub fn kind(&self) -> ErrorKind {
        use ErlcError::*;
        match self {
            MissingServerKey(_)
            | MalformedServerKey(_)
            | InvalidServerKey(_)
            | InvalidGlobalKey(_)
            | BannedServerKey(_) => ErrorKind::Credentials,
            InvalidCommand(_)
            | ServerOffline(_)
            | NotAuthorized(_)
            | RestrictedCommand(_)
            | ProhibitedMessage(_)
            | RestrictedResource(_)
            | ModuleOutdated(_) => ErrorKind::Refused,
            RateLimited { .. } => ErrorKind::RateLimited,
            Unknown(_)
            | RobloxCommunication(_)
            | InternalError(_)
            | UnrecognizedCode { .. }
            | Http { .. }
            | Network { .. } => ErrorKind::Transient,
            Decode { .. } => ErrorKind::Decode,
            CircuitOpen { .. } | Policy(_) | BadCommand(_) | Config(_) => ErrorKind::Local,
        }
    }

    /// Whether retrying the same *read* later could succeed. Commands are never retried
    /// automatically whatever this says, because they are not idempotent.
    pub fn is_retryable(&self) -> bool {
        use ErlcError::*;
        match self {
            RateLimited { .. } | RobloxCommunication(_) | InternalError(_) | Network { .. } => true,
            Http { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// True when the server key itself is unusable and polling with it should stop.
    pub fn key_is_unusable(&self) -> bool {
        matches!(
            self,
            ErlcError::InvalidServerKey(_)
                | ErlcError::BannedServerKey(_)
                | ErlcError::MalformedServerKey(_)
        )
    }

    /// PRC's own details, when PRC sent an error body.
    pub fn prc_info(&self) -> Option<&PrcErrorInfo> {
        use ErlcError::*;
        match self {
            Unknown(i)
            | RobloxCommunication(i)
            | InternalError(i)
            | MissingServerKey(i)
            | MalformedServerKey(i)
            | InvalidServerKey(i)
            | InvalidGlobalKey(i)
            | BannedServerKey(i)
            | InvalidCommand(i)
            | ServerOffline(i)
            | NotAuthorized(i)
            | RestrictedCommand(i)
            | ProhibitedMessage(i)
            | RestrictedResource(i)
            | ModuleOutdated(i) => Some(i),
            RateLimited { info, .. } | UnrecognizedCode { info, .. } => Some(info),
            _ => None,
        }
    }

    /// What happened, in words a server owner understands.
    pub fn explanation(&self) -> String {
        use ErlcError::*;
        match self {
            Unknown(_) => "ER:LC's API reported an unknown error.".into(),
            RobloxCommunication(_) => {
                "ER:LC's API could not talk to your game server through Roblox.".into()
            }
            InternalError(_) => "ER:LC's API had an internal problem.".into(),
            MissingServerKey(_) => "No server key was sent with the request.".into(),
            MalformedServerKey(_) => "The server key is not in the format ER:LC uses.".into(),
            InvalidServerKey(_) => "The server key is not valid any more.".into(),
            InvalidGlobalKey(_) => "The bot's global API key was rejected.".into(),
            BannedServerKey(_) => "This server key has been banned from ER:LC's API.".into(),
            InvalidCommand(_) => "ER:LC did not recognise the command.".into(),
            ServerOffline(_) => "The game server is offline (it has no players in it).".into(),
            NotAuthorized(_) => {
                "ER:LC refused: this bot is not allowed to run commands on your server.".into()
            }
            RateLimited { retry_after, .. } => match retry_after {
                Some(d) => format!(
                    "ER:LC's API is limiting how fast we can send; it asked us to wait {:.1} s.",
                    d.as_secs_f64()
                ),
                None => "ER:LC's API is limiting how fast we can send.".into(),
            },
            RestrictedCommand(_) => "ER:LC does not allow this command over its API.".into(),
            ProhibitedMessage(_) => "The text was blocked by ER:LC's chat filter.".into(),
            RestrictedResource(_) => "ER:LC restricts access to this information.".into(),
            ModuleOutdated(_) => "The game server's ER:LC API module is out of date.".into(),
            UnrecognizedCode { code, .. } => {
                format!("ER:LC's API reported error code {code}, which this bot does not know.")
            }
            Http { status, .. } => format!("ER:LC's API answered with HTTP status {status}."),
            Network { .. } => "The bot could not reach ER:LC's API.".into(),
            Decode { field, .. } => {
                format!("ER:LC's API sent data the bot could not read (at `{field}`).")
            }
            CircuitOpen { retry_in, .. } => format!(
                "Calls to ER:LC are paused for {} s after several failures in a row.",
                retry_in.as_secs().max(1)
            ),
            Policy(v) => format!("The command was not sent: {v}."),
            BadCommand(e) => format!("The command was not sent: {e}."),
            Config(detail) => format!("The bot is misconfigured: {detail}."),
        }
    }

    /// How to fix it, when there is something a person can do.
    pub fn fix(&self) -> Option<&'static str> {
        use ErlcError::*;
        Some(match self {
            Unknown(_) => {
                "Try again in a minute. If it keeps happening, ask PRC support in the ER:LC Discord."
            }
            RobloxCommunication(_) | InternalError(_) => {
                "This is usually temporary; try again in a minute."
            }
            MissingServerKey(_) | MalformedServerKey(_) => {
                "Copy the key again from in-game: Private Server Settings → ER:LC API → API Key, and run setup again."
            }
            InvalidServerKey(_) => {
                "The key was probably regenerated in game. Copy the new key from Private Server Settings → ER:LC API and run setup again."
            }
            InvalidGlobalKey(_) => {
                "The bot operator must check ERLC_GLOBAL_API_KEY, or remove it to use per-server limits."
            }
            BannedServerKey(_) => {
                "Generate a new key in game and open an API ticket in the ER:LC Discord to find out why it was banned."
            }
            InvalidCommand(_) => "Check the command's spelling; it must start with `:`.",
            ServerOffline(_) => "Join the server in game to start it, then try again.",
            NotAuthorized(_) => {
                "The server owner must add this bot's public IP address as a Trusted IP: open the Server Owner API Dashboard, sign in with Roblox, pick the server, Settings → Trusted IPs → add the IP → Save."
            }
            RateLimited { .. } => "Wait a few seconds and try again.",
            RestrictedCommand(_) => "Run this command in game instead.",
            ProhibitedMessage(_) => "Reword the message and try again.",
            RestrictedResource(_) => "This data is not available through the API.",
            ModuleOutdated(_) => {
                "Restart the game server: kick everyone (or use :shutdown), wait for it to close, then rejoin."
            }
            UnrecognizedCode { .. } => "Try again later; if it persists, update erlc-bot.",
            Http { .. } | Network { .. } => {
                "Check that the bot can reach the ER:LC API and try again in a minute."
            }
            Decode { .. } => "Update erlc-bot; ER:LC may have changed its API.",
            CircuitOpen { .. } => "Wait a moment; the bot will try again by itself.",
            Policy(_) => "Send a single line starting with `:` that is not on the deny list.",
            BadCommand(_) => "Check the player name and the other values, then try again.",
            Config(_) => return None,
        })
    }

    /// Explanation and fix in one string, for replies to a person.
    pub fn user_message(&self) -> String {
        match self.fix() {
            Some(fix) => format!("{} {}", self.explanation(), fix),
            None => self.explanation(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> PrcErrorInfo {
        PrcErrorInfo {
            endpoint: "GET /v1/server".into(),
            http_status: 403,
            message: "x".into(),
            command_id: None,
        }
    }

    #[test]
    fn every_documented_code_round_trips() {
        for code in [
            0, 1001, 1002, 2000, 2001, 2002, 2003, 2004, 3001, 3002, 4000, 4001, 4002, 4003, 9998,
            9999,
        ] {
            let err = ErlcError::from_code(code, info());
            assert_eq!(err.prc_code(), Some(code), "code {code}");
            assert!(!matches!(err, ErlcError::UnrecognizedCode { .. }));
            assert!(!err.explanation().is_empty());
            assert!(err.fix().is_some());
        }
        assert!(matches!(
            ErlcError::from_code(7777, info()),
            ErlcError::UnrecognizedCode { code: 7777, .. }
        ));
    }

    #[test]
    fn retryable_matches_the_documented_set() {
        for code in [1001, 1002, 4001] {
            assert!(ErlcError::from_code(code, info()).is_retryable(), "{code}");
        }
        for code in [
            2000, 2001, 2002, 2003, 2004, 3001, 3002, 4000, 4002, 4003, 9998, 9999,
        ] {
            assert!(!ErlcError::from_code(code, info()).is_retryable(), "{code}");
        }
    }

    #[test]
    fn fixes_name_the_real_remedy() {
        assert!(
            ErlcError::from_code(4000, info())
                .fix()
                .unwrap()
                .contains("Trusted IP")
        );
        assert!(
            ErlcError::from_code(2002, info())
                .fix()
                .unwrap()
                .contains("regenerated")
        );
        assert!(
            ErlcError::from_code(9999, info())
                .fix()
                .unwrap()
                .contains("Restart")
        );
    }
}
