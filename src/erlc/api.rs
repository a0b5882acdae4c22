//! Typed PRC endpoints on top of the transport: every v1 read, the v2 snapshot with includes,
//! commands (policy check, dry run, confirmation through the command logs) and key validation.

use std::time::Duration;

use super::client::ServerHandle;
use super::command::GameCommand;
use super::error::ErlcError;
use super::models::{
    Bans, CommandLog, CommandResponse, Include, JoinLog, KillLog, ModCall, Player, ServerInfo,
    StaffV1, V2Server, Vehicle,
};

/// Which API generation a command is sent through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    /// The original `/v1/server/command` route.
    V1,
    /// `/v2/server/command`, the route PRC currently documents.
    #[default]
    V2,
}

impl ApiVersion {
    fn command_path(self) -> &'static str {
        match self {
            ApiVersion::V1 => "/v1/server/command",
            ApiVersion::V2 => "/v2/server/command",
        }
    }
}

/// How to send a command.
#[derive(Debug, Clone, Default)]
pub struct CommandOptions {
    /// Check and render the command but send nothing.
    pub dry_run: bool,
    /// Which command route to POST to.
    pub version: ApiVersion,
    /// Look for the command in the command logs for up to this long after sending.
    pub confirm_within: Option<Duration>,
}

/// Whether a sent command showed up in the server's command logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Nobody asked to confirm (or it was a dry run).
    NotRequested,
    /// Found in the command logs.
    Confirmed {
        /// Timestamp of the matching command-log row, in Unix seconds (PRC's clock).
        logged_at: i64,
    },
    /// Not found before the timeout. PRC accepted it, but the game may not have run it.
    NotSeen,
}

/// What happened to a command.
#[derive(Debug, Clone)]
pub struct CommandReceipt {
    /// The exact text sent (or that would have been sent).
    pub text: String,
    /// True when nothing was sent because the caller asked for a dry run.
    pub dry_run: bool,
    /// PRC's answer; `None` for a dry run.
    pub response: Option<CommandResponse>,
    /// Whether the command was then seen in the command logs.
    pub confirmation: Confirmation,
}

/// Result of checking a server key against PRC.
#[derive(Debug, Clone)]
pub enum KeyValidation {
    /// The key works; here is the server it belongs to.
    Ok(ServerInfo),
    /// The key is malformed, unknown or was regenerated (2001/2002).
    Invalid(ErlcError),
    /// The key is banned from the API (2004).
    Banned(ErlcError),
    /// PRC asked us to slow down.
    RateLimited {
        /// How long PRC asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The key works but the server is offline (no players).
    ServerOffline(ErlcError),
    /// Reads work but this bot may not run commands (untrusted IP / app not authorized).
    NotAuthorized {
        /// The server the key belongs to (reads worked).
        server: ServerInfo,
        /// PRC's refusal of the probe command (code 4000).
        error: ErlcError,
    },
    /// Something else went wrong (network, PRC outage); the key may be fine.
    Unavailable(ErlcError),
}

impl KeyValidation {
    /// Can the bot use this key to read the server?
    pub fn can_read(&self) -> bool {
        matches!(
            self,
            KeyValidation::Ok(_) | KeyValidation::NotAuthorized { .. }
        )
    }

    /// A sentence for the person who pasted the key.
    pub fn user_message(&self) -> String {
        match self {
            KeyValidation::Ok(info) => format!("Connected to {}.", info.name),
            KeyValidation::Invalid(e)
            | KeyValidation::Banned(e)
            | KeyValidation::ServerOffline(e)
            | KeyValidation::Unavailable(e) => e.user_message(),
            KeyValidation::RateLimited { .. } => {
                "ER:LC's API is busy; wait a few seconds and try again.".into()
            }
            KeyValidation::NotAuthorized { server, error } => format!(
                "Connected to {} for reading, but commands will fail. {}",
                server.name,
                error.user_message()
            ),
        }
    }
}

/// The text a command probe writes to the command logs during key validation.
pub const PROBE_COMMAND: &str = ":log erlc-bot connected";

/// How often command confirmation looks at the logs.
const CONFIRM_POLL: Duration = Duration::from_millis(500);

impl ServerHandle {
    /// `GET /v1/server`
    pub async fn server_info(&self) -> Result<ServerInfo, ErlcError> {
        self.get_json("/v1/server", &[]).await
    }

    /// `GET /v1/server/players`
    pub async fn players(&self) -> Result<Vec<Player>, ErlcError> {
        self.get_json("/v1/server/players", &[]).await
    }

    /// `GET /v1/server/joinlogs`
    pub async fn join_logs(&self) -> Result<Vec<JoinLog>, ErlcError> {
        self.get_json("/v1/server/joinlogs", &[]).await
    }

    /// `GET /v1/server/queue`: user ids in queue order.
    pub async fn queue(&self) -> Result<Vec<u64>, ErlcError> {
        self.get_json("/v1/server/queue", &[]).await
    }

    /// `GET /v1/server/killlogs`
    pub async fn kill_logs(&self) -> Result<Vec<KillLog>, ErlcError> {
        self.get_json("/v1/server/killlogs", &[]).await
    }

    /// `GET /v1/server/commandlogs`
    pub async fn command_logs(&self) -> Result<Vec<CommandLog>, ErlcError> {
        self.get_json("/v1/server/commandlogs", &[]).await
    }

    /// `GET /v1/server/modcalls`
    pub async fn mod_calls(&self) -> Result<Vec<ModCall>, ErlcError> {
        self.get_json("/v1/server/modcalls", &[]).await
    }

    /// `GET /v1/server/bans` (v1 only: v2 has no bans).
    pub async fn bans(&self) -> Result<Bans, ErlcError> {
        self.get_json("/v1/server/bans", &[]).await
    }

    /// `GET /v1/server/vehicles`
    pub async fn vehicles(&self) -> Result<Vec<Vehicle>, ErlcError> {
        self.get_json("/v1/server/vehicles", &[]).await
    }

    /// `GET /v1/server/staff`
    pub async fn staff(&self) -> Result<StaffV1, ErlcError> {
        self.get_json("/v1/server/staff", &[]).await
    }

    /// `GET /v2/server` with the requested sections.
    pub async fn snapshot(&self, include: Include) -> Result<V2Server, ErlcError> {
        self.get_json("/v2/server", &include.query_pairs()).await
    }

    /// Any GET as raw JSON, for endpoints or fields the typed models do not cover.
    pub async fn raw_json(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, ErlcError> {
        self.get_json(path, query).await
    }

    /// Build, check and send a typed command.
    pub async fn run(
        &self,
        command: &GameCommand,
        options: &CommandOptions,
    ) -> Result<CommandReceipt, ErlcError> {
        let text = command.to_checked_text()?;
        self.send_command(&text, options).await
    }

    /// Check raw command text against the policy and send it (unless a dry run). Never retried.
    pub async fn send_command(
        &self,
        text: &str,
        options: &CommandOptions,
    ) -> Result<CommandReceipt, ErlcError> {
        self.command_policy().check(text)?;
        if options.dry_run {
            return Ok(CommandReceipt {
                text: text.to_owned(),
                dry_run: true,
                response: None,
                confirmation: Confirmation::NotRequested,
            });
        }
        let sent_at = self.clock().now_secs();
        let raw = self
            .post_command(options.version.command_path(), text)
            .await?;
        let endpoint = format!("POST {}", options.version.command_path());
        let response = if raw.body.iter().all(u8::is_ascii_whitespace) {
            CommandResponse::default()
        } else {
            super::decode::decode(&endpoint, &raw.body)?
        };
        let confirmation = match options.confirm_within {
            None => Confirmation::NotRequested,
            Some(within) => self.confirm_in_logs(text, sent_at, within).await,
        };
        Ok(CommandReceipt {
            text: text.to_owned(),
            dry_run: false,
            response: Some(response),
            confirmation,
        })
    }

    /// Look for a command sent through the API (`Remote Server`) at or after `sent_at` in the
    /// command logs, until `within` has passed. Read errors just mean "not seen yet".
    pub async fn confirm_in_logs(
        &self,
        text: &str,
        sent_at: i64,
        within: Duration,
    ) -> Confirmation {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Ok(snapshot) = self.snapshot(Include::none().command_logs()).await {
                let found = snapshot
                    .command_logs
                    .unwrap_or_default()
                    .into_iter()
                    .find(|e| {
                        e.player.is_remote_server()
                        && e.command.trim() == text.trim()
                        // PRC's clock and ours differ by a second or so.
                        && e.timestamp >= sent_at - 2
                    });
                if let Some(entry) = found {
                    return Confirmation::Confirmed {
                        logged_at: entry.timestamp,
                    };
                }
            }
            if tokio::time::Instant::now() + CONFIRM_POLL > deadline {
                return Confirmation::NotSeen;
            }
            tokio::time::sleep(CONFIRM_POLL).await;
        }
    }

    /// Check the key by reading the server. With `probe_commands`, also send
    /// [`PROBE_COMMAND`] (it only writes a line to the command logs) to learn whether this bot
    /// may run commands (trusted IP).
    pub async fn validate_key(&self, probe_commands: bool) -> KeyValidation {
        let info = match self.server_info().await {
            Ok(info) => info,
            Err(e) => return classify_read_failure(e),
        };
        if !probe_commands {
            return KeyValidation::Ok(info);
        }
        match self
            .send_command(PROBE_COMMAND, &CommandOptions::default())
            .await
        {
            Ok(_) => KeyValidation::Ok(info),
            Err(error @ ErlcError::NotAuthorized(_)) => KeyValidation::NotAuthorized {
                server: info,
                error,
            },
            // An empty server cannot run commands, but the key is fine for reading.
            Err(ErlcError::ServerOffline(_)) => KeyValidation::Ok(info),
            Err(e) => classify_read_failure(e),
        }
    }
}

fn classify_read_failure(error: ErlcError) -> KeyValidation {
    match error {
        ErlcError::MalformedServerKey(_)
        | ErlcError::InvalidServerKey(_)
        | ErlcError::MissingServerKey(_) => KeyValidation::Invalid(error),
        ErlcError::BannedServerKey(_) => KeyValidation::Banned(error),
        ErlcError::RateLimited { retry_after, .. } => KeyValidation::RateLimited { retry_after },
        ErlcError::ServerOffline(_) => KeyValidation::ServerOffline(error),
        other => KeyValidation::Unavailable(other),
    }
}
