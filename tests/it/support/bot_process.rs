//! The real `erlc-bot` binary as a child process, pointed at the fake Discord and a simulator:
//! environment, captured stderr (printed if the test fails), SIGTERM and exit status.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

use super::MASTER_KEY_HEX;

/// Environment for one bot process.
#[derive(Clone, Debug)]
pub struct BotEnv {
    pub token: String,
    pub discord_api_base: String,
    pub dev_guild_id: u64,
    pub erlc_api_base: String,
    pub data_dir: PathBuf,
    pub poll_interval_secs: u64,
    /// Extra variables, e.g. `ERLC_COMMAND_DENY`.
    pub extra: Vec<(String, String)>,
}

impl BotEnv {
    pub fn new(discord_api_base: String, erlc_api_base: String, data_dir: &Path) -> BotEnv {
        BotEnv {
            token: "fake-token".into(),
            discord_api_base,
            dev_guild_id: 800_000_000_000_000_001,
            erlc_api_base,
            data_dir: data_dir.to_path_buf(),
            poll_interval_secs: 1,
            extra: Vec::new(),
        }
    }
}

/// Lines the bot wrote to stderr so far, and a wake-up for each new one.
#[derive(Default)]
struct Output {
    lines: Mutex<Vec<String>>,
    changed: Notify,
}

/// A running bot. Killed on drop; its stderr is printed if the test is panicking.
pub struct BotProcess {
    child: Child,
    output: Arc<Output>,
    status: Option<ExitStatus>,
}

impl BotProcess {
    /// Starts `erlc-bot run` (or, with `args` empty, plain `erlc-bot`).
    pub fn start(env: &BotEnv, args: &[&str]) -> BotProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_erlc-bot"));
        command
            .args(args)
            // Run in the data directory so a developer's own `.env` is never read.
            .current_dir(&env.data_dir)
            .env_clear()
            .env("DISCORD_TOKEN", &env.token)
            .env("DISCORD_API_BASE", &env.discord_api_base)
            .env("DEV_GUILD_ID", env.dev_guild_id.to_string())
            .env("ERLC_API_BASE", &env.erlc_api_base)
            .env("DATA_DIR", &env.data_dir)
            .env("ERLC_BOT_MASTER_KEY", MASTER_KEY_HEX)
            .env("POLL_INTERVAL_SECS", env.poll_interval_secs.to_string())
            .env("HTTP_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "info,serenity=warn,erlc_bot=debug")
            .envs(env.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn the erlc-bot binary");
        let output = Arc::new(Output::default());
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = output.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lines
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
                sink.changed.notify_waiters();
            }
            sink.changed.notify_waiters();
        });
        BotProcess {
            child,
            output,
            status: None,
        }
    }

    pub fn stderr(&self) -> String {
        self.output
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .join("\n")
    }

    /// Waits until a stderr line contains `text`.
    pub async fn wait_for_log(&self, text: &str, timeout: Duration) {
        self.wait_for_log_line(text, timeout).await;
    }

    /// Waits until a stderr line contains `text` and returns the first such line.
    pub async fn wait_for_log_line(&self, text: &str, timeout: Duration) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.output.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let found = self
                .output
                .lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|line| line.contains(text))
                .cloned();
            if let Some(line) = found {
                return line;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "the bot did not log {text:?} within {timeout:?}; stderr:\n{}",
                    self.stderr()
                );
            }
        }
    }

    /// `http://<addr>` of the bot's HTTP server (bound to port 0 by [`BotEnv`]), read from its
    /// "HTTP server listening" log line.
    pub async fn http_base(&self, timeout: Duration) -> String {
        let addr = self.listening_addr("HTTP server listening", timeout).await;
        format!("http://{addr}")
    }

    /// The dashboard IPC's address (start the bot with `IPC_SECRET` and `IPC_BIND` set, port
    /// 0 for a free one), read from its "dashboard IPC listening" log line.
    pub async fn ipc_addr(&self, timeout: Duration) -> std::net::SocketAddr {
        self.listening_addr("dashboard IPC listening", timeout)
            .await
    }

    /// The `addr=` of the first log line containing `text`; it must be a loopback address.
    async fn listening_addr(&self, text: &str, timeout: Duration) -> std::net::SocketAddr {
        let line = self.wait_for_log_line(text, timeout).await;
        let addr = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("addr="))
            .unwrap_or_else(|| panic!("no addr= in the listening line: {line:?}"));
        let addr: std::net::SocketAddr = addr
            .parse()
            .unwrap_or_else(|e| panic!("addr={addr:?} is not an address: {e}"));
        assert!(addr.ip().is_loopback(), "the bot listens on {addr}");
        addr
    }

    /// Sends SIGTERM, as a service manager does.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the bot is still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid} failed");
    }

    /// Waits for the process to exit and returns its status.
    pub async fn wait_for_exit(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let status = tokio::time::timeout(timeout, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the bot did not exit within {timeout:?}; stderr:\n{}",
                    self.stderr()
                )
            })
            .expect("wait for the bot");
        self.status = Some(status);
        status
    }

    /// SIGTERM, then wait: returns the exit status.
    pub async fn stop(&mut self, timeout: Duration) -> ExitStatus {
        self.terminate();
        self.wait_for_exit(timeout).await
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("===== erlc-bot stderr =====\n{}", self.stderr());
        }
    }
}
